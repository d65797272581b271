//! A person in a real (headless) Chromium: signs in, creates an integration,
//! copies its token, rotates it with a grace period and expires the old one
//! through the confirmation dialog. Screenshots of every step land in
//! `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them);
//! without them the test fails rather than passing silently.

use std::time::Instant;

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::Value;

use crate::browser_support::*;
use crate::helpers::spawn_app;
use crate::integration_support::integration_path;

#[actix_web::test]
async fn a_person_creates_reveals_rotates_and_expires_a_token_in_a_browser() {
    let started = Instant::now();
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let driver = Driver::start().await;
    let client = driver.open().await;
    let mut shots = Screenshots::new();

    // 1. Sign in.
    client.goto(&app.url("/login")).await.expect("open /login");
    element(&client, "input[name=email]")
        .await
        .send_keys(&owner.email)
        .await
        .expect("type the email");
    element(&client, "input[name=password]")
        .await
        .send_keys(&owner.password)
        .await
        .expect("type the password");
    shots.take(&client, "01-login.png").await;
    button_labelled(&client, None, "Sign in")
        .await
        .click()
        .await
        .expect("click Sign in");
    wait_for_path(&client, "/settings").await;

    // 2. The empty list leads to the form.
    client
        .goto(&app.url("/settings/private-integrations"))
        .await
        .expect("open the list");
    let empty = element(&client, ".empty-state").await;
    assert!(
        empty
            .text()
            .await
            .expect("empty state text")
            .contains("No private integrations yet"),
        "the empty list does not say so"
    );
    shots.take(&client, "02-empty-list.png").await;
    empty
        .find(Locator::Css(
            r#"a[href="/settings/private-integrations/new"]"#,
        ))
        .await
        .expect("the empty state links to the form")
        .click()
        .await
        .expect("click the create link");
    wait_for_path(&client, "/settings/private-integrations/new").await;

    // 3. Fill in the form: name, two scopes, a 30-day lifetime.
    element(&client, "input[name=name]")
        .await
        .send_keys("Zapier sync")
        .await
        .expect("type the name");
    for scope in [SCOPE_A, SCOPE_B] {
        let checkbox = element(&client, &format!(r#"input[name=scopes][value="{scope}"]"#)).await;
        checkbox.click().await.expect("tick a scope");
        assert!(
            checkbox.is_selected().await.expect("checkbox state"),
            "clicking the {scope} checkbox did not tick it"
        );
    }
    element(&client, "select[name=lifetime_days]")
        .await
        .select_by_value("30")
        .await
        .expect("choose a 30-day lifetime");
    shots.take(&client, "03-new-form.png").await;
    button_labelled(&client, None, "Generate Access Token")
        .await
        .click()
        .await
        .expect("click Generate Access Token");

    // 4. The reveal page: the token, a working copy button, a working token.
    let reveal = wait_for_path_matching(&client, "the reveal page", |p| {
        p.starts_with("/settings/private-integrations/") && p.ends_with("/token")
    })
    .await;
    let detail_path = reveal
        .path()
        .strip_suffix("/token")
        .expect("reveal path ends in /token")
        .to_string();
    let first_token = revealed_token(&client).await;
    let copy = element(&client, "#copy-token").await;
    eventually("the copy button to be shown by app.js", || async {
        copy.is_displayed().await.ok()?.then_some(())
    })
    .await;
    copy.click().await.expect("click Copy");
    eventually("the copy button to say Copied", || async {
        (copy.text().await.ok()?.trim() == "Copied").then_some(())
    })
    .await;
    shots.take(&client, "04-reveal.png").await;

    let (status, body) = introspect(&app, &first_token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new token is refused by /v2/token"
    );
    let body = body.expect("a JSON body");
    let scopes: Vec<&str> = body["scopes"]
        .as_array()
        .unwrap_or_else(|| panic!("no scopes array in {body}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&SCOPE_A) && scopes.contains(&SCOPE_B),
        "/v2/token reports scopes {scopes:?}, expected {SCOPE_A} and {SCOPE_B}"
    );

    // 5. Rotate and expire later, keeping the old token for 3 days.
    let done = element(
        &client,
        r#"a.button[href^="/settings/private-integrations/"]"#,
    )
    .await;
    assert_eq!(
        done.text().await.expect("link text").trim(),
        "I have copied the token"
    );
    done.click().await.expect("click I have copied the token");
    wait_for_path(&client, &detail_path).await;
    shots.take(&client, "05-detail.png").await;
    let later_form = element(
        &client,
        "form.rotate-form:has(input[name=expire_old][value=later])",
    )
    .await;
    later_form
        .find(Locator::Css("select[name=grace_days]"))
        .await
        .expect("the grace period select")
        .select_by_value("3")
        .await
        .expect("choose 3 days");
    button_labelled(&client, Some(&later_form), "Rotate and expire later")
        .await
        .click()
        .await
        .expect("click Rotate and expire later");
    wait_for_path(&client, &format!("{detail_path}/token")).await;
    let second_token = revealed_token(&client).await;
    assert_ne!(second_token, first_token, "rotation showed the same token");
    for (which, token) in [("old", &first_token), ("new", &second_token)] {
        let (status, _) = introspect(&app, token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "during the grace period the {which} token is refused"
        );
    }

    // 6. Expire the old token through the confirmation dialog.
    client
        .goto(&app.url(&detail_path))
        .await
        .expect("open the detail page");
    element(&client, "li.token-item").await;
    shots.take(&client, "06-after-rotate-later.png").await;
    let items = token_items(&client).await;
    let masks: Vec<String> = items.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(items.len(), 2, "expected two token items, got {masks:?}");
    for (_, mask) in &items {
        assert!(
            mask.starts_with("pit_…") && mask.chars().count() == 9,
            "a token is shown as {mask:?}, not pit_… and four characters"
        );
    }
    let mut old_items = Vec::new();
    for (item, mask) in items {
        let current = item
            .attr("class")
            .await
            .expect("class attribute")
            .unwrap_or_default()
            .split_whitespace()
            .any(|c| c == "token-current");
        if mask.ends_with(last_four(&first_token)) && !current {
            old_items.push(item);
        }
    }
    assert_eq!(
        old_items.len(),
        1,
        "expected one non-current item ending in {} among {masks:?}",
        last_four(&first_token)
    );
    let old_item = &old_items[0];
    button_labelled(&client, Some(old_item), "Expire Now")
        .await
        .click()
        .await
        .expect("click Expire Now");
    let dialog = element(&client, "dialog#confirm-dialog").await;
    eventually("the confirmation dialog to open", || async {
        let open = dialog.attr("open").await.ok()?.is_some();
        let shown = dialog.is_displayed().await.ok()?;
        (open && shown).then_some(())
    })
    .await;
    let message = element(&client, "#confirm-message")
        .await
        .text()
        .await
        .expect("dialog message");
    assert!(
        message.contains(last_four(&first_token)),
        "the dialog does not name the token it expires: {message:?}"
    );
    shots.take(&client, "07-expire-dialog.png").await;
    element(&client, "#confirm-accept")
        .await
        .click()
        .await
        .expect("confirm Expire Now");
    // The POST redirects back to the same path, so wait for the old
    // document to go away before looking at the new one.
    eventually("the page to reload after Expire Now", || async {
        match old_item.is_displayed().await {
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                Some(())
            }
            _ => None,
        }
    })
    .await;
    wait_for_path(&client, &detail_path).await;
    let remaining = eventually("one token item after Expire Now", || async {
        let items = token_items(&client).await;
        (items.len() == 1).then_some(items)
    })
    .await;
    assert!(
        remaining[0].1.ends_with(last_four(&second_token)),
        "the remaining token is {:?}, not the new one",
        remaining[0].1
    );
    shots.take(&client, "08-after-expire.png").await;
    let (status, _) = introspect(&app, &first_token).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the expired old token still works"
    );
    let (status, _) = introspect(&app, &second_token).await;
    assert_eq!(status, StatusCode::OK, "the new token stopped working");

    client.close().await.expect("end the browser session");
    drop(driver);
    eprintln!(
        "browser flow took {:.1?}; screenshots: {}",
        started.elapsed(),
        shots
            .taken
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The page is no wider than the screen, and the top bar's sign-out button
/// is on it.
async fn assert_fits(client: &fantoccini::Client, what: &str) {
    let sizes = client
        .execute(
            "const bar = document.querySelector('.topbar');
             const out = document.querySelector('.topbar button');
             return [document.documentElement.scrollWidth, window.innerWidth,
                     bar ? bar.getBoundingClientRect().right : 0,
                     out ? out.getBoundingClientRect().right : 0];",
            vec![],
        )
        .await
        .expect("measure the page");
    let n = |i: usize| sizes[i].as_f64().expect("a number");
    // A phone may widen its layout viewport to fit an overflowing page, so
    // the screen's own width is the bound.
    let (scroll, inner) = (n(0), n(1).min(390.0));
    if scroll > inner {
        let wide = client
            .execute(
                "return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > arguments[0])
                   .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > arguments[0]))
                   .slice(0, 8)
                   .map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
                     + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![serde_json::json!(inner)],
            )
            .await
            .expect("find what overflows");
        panic!("{what} is {scroll} px wide on a {inner} px screen; too wide: {wide}");
    }
    assert!(
        n(2) <= inner && n(3) <= inner,
        "{what}: the top bar is clipped ({} / {} px of {inner})",
        n(2),
        n(3)
    );
}

#[actix_web::test]
async fn every_page_fits_a_390_px_phone_screen() {
    const PHONE: (u32, u32) = (390, 844);
    let app = spawn_app().await;
    let driver = Driver::start().await;
    let client = driver.open_with(PHONE, true).await;
    client.goto(&app.url("/setup")).await.expect("open /setup");
    assert_fits(&client, "/setup").await;
    let owner = app.setup_owner().await;
    let (id, endpoint) = populate(&app).await;
    client.goto(&app.url("/login")).await.expect("open /login");
    let inner = client
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("read the screen width");
    assert_eq!(inner.as_u64(), Some(u64::from(PHONE.0)), "the screen");
    assert_fits(&client, "/login").await;
    sign_in(&client, &app, &owner.email, &owner.password).await;
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("create target/screenshots");
    for (name, path) in panel_pages(&id, &endpoint) {
        client.goto(&app.url(&path)).await.expect("open the page");
        assert_fits(&client, name).await;
        // The first screenful, as the phone shows it.
        let png = client.screenshot().await.expect("take a screenshot");
        std::fs::write(shots.join(format!("phone-{name}.png")), png).expect("save it");
    }

    // The list: rows stacked, each cell under its column's name, and a long
    // description cut to two lines.
    client
        .goto(&app.url("/settings/private-integrations"))
        .await
        .expect("open the list");
    let shape = client
        .execute(
            "const td = document.querySelector('table.stack td');
             const d = document.querySelector('.row-description');
             const lh = parseFloat(getComputedStyle(d).lineHeight);
             return [getComputedStyle(td).display,
                     getComputedStyle(td, '::before').content,
                     d.getBoundingClientRect().height / lh,
                     getComputedStyle(document.querySelector('table.stack thead th')).position];",
            vec![],
        )
        .await
        .expect("read the list's layout");
    assert_eq!(shape[0], "block", "table cells do not stack");
    assert_eq!(shape[1], "\"Name\"", "a cell does not name its column");
    let lines = shape[2].as_f64().expect("a number");
    assert!(lines <= 2.1, "the description takes {lines} lines");

    // The detail page: the two ways to rotate, one above the other.
    client
        .goto(&app.url(&integration_path(&id, "")))
        .await
        .expect("open the detail page");
    let panels = client
        .execute(
            "return [...document.querySelectorAll('.rotate-form')]
               .map(p => { const r = p.getBoundingClientRect(); return [r.top, r.bottom]; });",
            vec![],
        )
        .await
        .expect("measure the rotate panels");
    let panels: Vec<(f64, f64)> = panels
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    assert_eq!(panels.len(), 2, "{panels:?}");
    assert!(
        panels[1].0 >= panels[0].1,
        "the rotate panels sit side by side"
    );

    // The reveal page: what the app needs to connect, on the phone too.
    client
        .goto(&app.url("/settings/private-integrations/new"))
        .await
        .expect("open the form");
    element(&client, "input[name=name]")
        .await
        .send_keys("Phone app")
        .await
        .expect("type the name");
    element(
        &client,
        &format!(r#"input[name=scopes][value="{SCOPE_B}"]"#),
    )
    .await
    .click()
    .await
    .expect("tick a scope");
    button_labelled(&client, None, "Generate Access Token")
        .await
        .click()
        .await
        .expect("submit");
    wait_for_path_matching(&client, "the reveal page", |p| p.ends_with("/token")).await;
    revealed_token(&client).await;
    assert_fits(&client, "the reveal page").await;
    let png = client.screenshot().await.expect("take a screenshot");
    std::fs::write(shots.join("phone-reveal.png"), png).expect("save it");
    let account = crate::integration_support::texts(&app, "SELECT id::text AS s FROM accounts");
    let location = element(&client, "#location-id").await.text().await.unwrap();
    assert_eq!(location.trim(), account[0], "the location id");
    let base = element(&client, "#api-base-url")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(base.trim(), format!("{}/v2", app.address), "the base URL");
    let scopes = element(&client, "#granted-scopes")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        scopes.contains(SCOPE_B) && !scopes.contains(SCOPE_A),
        "granted scopes shown: {scopes:?}"
    );
    for copy in ["#copy-token", "#copy-location-id", "#copy-curl"] {
        let button = element(&client, copy).await;
        eventually("app.js to show the copy buttons", || async {
            button.is_displayed().await.ok()?.then_some(())
        })
        .await;
    }

    client.close().await.expect("end the browser session");
}

/// Presses `keys` one after another on whatever has focus.
async fn press(client: &fantoccini::Client, keys: &[char]) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut seq = KeyActions::new("keyboard".to_string());
    for &k in keys {
        seq = seq
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    client.perform_actions(seq).await.expect("press keys");
}

/// What has focus: its tag, name, value and type.
async fn focused(client: &fantoccini::Client) -> (String, String, String, String) {
    let v = client
        .execute(
            "const e = document.activeElement;
             return [e.tagName.toLowerCase(), e.getAttribute('name') || '',
                     e.getAttribute('value') || '', e.getAttribute('type') || ''];",
            vec![],
        )
        .await
        .expect("read the focused element");
    let s = |i: usize| v[i].as_str().unwrap_or_default().to_string();
    (s(0), s(1), s(2), s(3))
}

/// Presses Tab until `want` holds for the focused element.
async fn tab_to(
    client: &fantoccini::Client,
    what: &str,
    want: impl Fn(&(String, String, String, String)) -> bool,
) {
    use fantoccini::key::Key;
    for _ in 0..80 {
        press(client, &[Key::Tab.into()]).await;
        if want(&focused(client).await) {
            return;
        }
    }
    panic!("Tab never reached {what}");
}

#[actix_web::test]
async fn an_integration_is_created_with_the_keyboard_alone() {
    use fantoccini::key::Key;
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let driver = Driver::start().await;
    let client = driver.open().await;
    sign_in(&client, &app, &owner.email, &owner.password).await;
    client
        .goto(&app.url("/settings/private-integrations/new"))
        .await
        .expect("open the form");

    tab_to(&client, "the name field", |f| f.1 == "name").await;
    let name: Vec<char> = "Keyboard app".chars().collect();
    press(&client, &name).await;
    tab_to(&client, "the first scope", |f| {
        f.1 == "scopes" && f.2 == SCOPE_A
    })
    .await;

    // The focused box shows a ring a person can see: solid, at least 2 px,
    // 3:1 against the white card.
    let ring = client
        .execute(
            "const s = getComputedStyle(document.activeElement);
             const parts = s.outlineColor.match(/[0-9.]+/g).map(Number);
             const alpha = parts.length > 3 ? parts[3] : 1;
             // Seen over the white card: a see-through ring is paler.
             const rgb = parts.slice(0, 3).map(c => alpha * c + (1 - alpha) * 255)
               .map(c => c / 255).map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
             const l = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
             return [s.outlineStyle, parseFloat(s.outlineWidth), 1.05 / (l + 0.05)];",
            vec![],
        )
        .await
        .expect("read the focus ring");
    assert_ne!(ring[0], "none", "no focus ring on the scope checkbox");
    assert!(ring[1].as_f64().unwrap() >= 2.0, "focus ring {ring:?}");
    assert!(
        ring[2].as_f64().unwrap() >= 3.0,
        "focus ring contrast {ring:?}"
    );

    press(&client, &[Key::Space.into()]).await;
    let ticked = element(
        &client,
        &format!(r#"input[name=scopes][value="{SCOPE_A}"]"#),
    )
    .await
    .is_selected()
    .await
    .expect("checkbox state");
    assert!(ticked, "Space did not tick the focused scope");
    tab_to(&client, "the submit button", |f| {
        f.0 == "button" && f.3 == "submit"
    })
    .await;
    press(&client, &[Key::Enter.into()]).await;

    wait_for_path_matching(&client, "the reveal page", |p| p.ends_with("/token")).await;
    let token = revealed_token(&client).await;
    let (status, body) = introspect(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    let body = body.expect("a JSON body");
    assert_eq!(body["scopes"], serde_json::json!([SCOPE_A]), "{body}");
    client.close().await.expect("end the browser session");
}

#[actix_web::test]
async fn without_javascript_rotate_now_asks_first_and_no_copy_button_shows() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let driver = Driver::start().await;
    let client = driver.open_with(WINDOW, false).await;
    sign_in(&client, &app, &owner.email, &owner.password).await;

    client
        .goto(&app.url("/settings/private-integrations/new"))
        .await
        .expect("open the form");
    element(&client, "input[name=name]")
        .await
        .send_keys("Scriptless")
        .await
        .expect("type the name");
    element(
        &client,
        &format!(r#"input[name=scopes][value="{SCOPE_A}"]"#),
    )
    .await
    .click()
    .await
    .expect("tick a scope");
    button_labelled(&client, None, "Generate Access Token")
        .await
        .click()
        .await
        .expect("submit");
    let reveal =
        wait_for_path_matching(&client, "the reveal page", |p| p.ends_with("/token")).await;
    let first = revealed_token(&client).await;
    let copies = client
        .find_all(Locator::Css("[data-copy-target]"))
        .await
        .expect("list copy buttons");
    assert!(copies.len() >= 3, "the copy buttons are not in the HTML");
    for copy in copies {
        assert!(
            !copy.is_displayed().await.expect("visibility"),
            "a copy button shows without JavaScript"
        );
    }

    let detail = reveal.path().strip_suffix("/token").unwrap().to_string();
    client
        .goto(&app.url(&detail))
        .await
        .expect("open the detail page");
    let confirm = element(
        &client,
        "details.confirm:has(input[name=expire_old][value=now])",
    )
    .await;
    let submit = confirm
        .find(Locator::Css("button[type=submit]"))
        .await
        .expect("the confirming button");
    assert!(
        !submit.is_displayed().await.expect("visibility"),
        "Rotate Now posts in one click"
    );
    button_labelled(&client, Some(&confirm), "Rotate Now")
        .await
        .click()
        .await
        .expect("open the confirmation");
    eventually("the confirmation to open", || async {
        submit.is_displayed().await.ok()?.then_some(())
    })
    .await;
    let question = confirm
        .find(Locator::Css(".confirm-panel p"))
        .await
        .expect("the question")
        .text()
        .await
        .expect("its text");
    assert!(question.contains("Rotate now?"), "{question}");
    let dialog_open = element(&client, "dialog#confirm-dialog")
        .await
        .attr("open")
        .await
        .expect("dialog state");
    assert!(dialog_open.is_none(), "the script ran after all");
    submit.click().await.expect("confirm Rotate Now");
    wait_for_path(&client, &format!("{detail}/token")).await;
    let second = revealed_token(&client).await;
    assert_ne!(first, second);
    assert_eq!(introspect(&app, &first).await.0, StatusCode::UNAUTHORIZED);
    client.close().await.expect("end the browser session");
}

#[actix_web::test]
async fn a_second_rotate_later_asks_in_the_dialog_and_keeps_the_chosen_grace_period() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (id, _) =
        crate::integration_support::create_with_token(&app, "Twice", &[SCOPE_A], "").await;
    crate::integration_support::rotate(&app, &id, &[("expire_old", "later")]).await;
    let driver = Driver::start().await;
    let client = driver.open().await;
    sign_in(&client, &app, &owner.email, &owner.password).await;
    let detail = integration_path(&id, "");
    client
        .goto(&app.url(&detail))
        .await
        .expect("open the detail page");

    let later_form = element(
        &client,
        "form.rotate-form:has(input[name=expire_old][value=later])",
    )
    .await;
    later_form
        .find(Locator::Css("select[name=grace_days]"))
        .await
        .expect("the grace period select")
        .select_by_value("1")
        .await
        .expect("choose 1 day");
    button_labelled(&client, Some(&later_form), "Rotate and expire later")
        .await
        .click()
        .await
        .expect("click Rotate and expire later");
    let dialog = element(&client, "dialog#confirm-dialog").await;
    eventually("the confirmation dialog to open", || async {
        dialog.attr("open").await.ok()?.is_some().then_some(())
    })
    .await;
    let message = element(&client, "#confirm-message")
        .await
        .text()
        .await
        .expect("dialog message");
    assert!(message.contains("three tokens"), "{message:?}");
    element(&client, "#confirm-accept")
        .await
        .click()
        .await
        .expect("confirm");
    wait_for_path(&client, &format!("{detail}/token")).await;
    revealed_token(&client).await;

    let graces = crate::integration_support::texts(
        &app,
        &format!(
            "SELECT round(extract(epoch FROM grace_ends_at - now()) / 86400)::text AS s \
             FROM access_tokens WHERE integration_id = '{id}' AND grace_ends_at IS NOT NULL \
             AND revoked_at IS NULL ORDER BY grace_ends_at"
        ),
    );
    assert_eq!(graces, ["1", "7"], "the grace periods after two rotations");
    client.close().await.expect("end the browser session");
}
