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
