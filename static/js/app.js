// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Copy buttons: shown only when script runs.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2500);
      };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        try { document.execCommand("copy"); } catch (e) { /* selected for manual copy */ }
        done();
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  // Destructive forms ask first, in a dialog on the same page.
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var message = document.getElementById("confirm-message");
  var accept = document.getElementById("confirm-accept");
  var decline = dialog.querySelector("button[value=cancel]");
  var pending = null;

  document.querySelectorAll("details[data-confirm]").forEach(function (details) {
    var summary = details.querySelector("summary");
    // The confirming form sits inside the disclosure, or holds it when the
    // confirmation guards a form with fields of its own (rotate later).
    var form = details.querySelector("form") || details.closest("form");
    if (!summary || !form) return;
    summary.addEventListener("click", function (event) {
      event.preventDefault();
      pending = form;
      message.textContent = details.getAttribute("data-confirm");
      accept.textContent = details.getAttribute("data-confirm-button") || "Confirm";
      if (decline) decline.textContent = details.getAttribute("data-cancel-button") || "Cancel";
      dialog.showModal();
    });
  });

  dialog.addEventListener("close", function () {
    if (dialog.returnValue === "confirm" && pending) {
      pending.submit();
    }
    pending = null;
  });
})();
