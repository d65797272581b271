//! The reveal page tells a developer what an app needs to connect (SPEC §6):
//! the API base URL, the location id, the granted scopes and the API
//! reference; after a rotate-later, until when the old token still works.

use reqwest::StatusCode;

use crate::helpers::{excerpt, spawn_app, spawn_app_with};
use crate::integration_support::{
    act, create_with_token, id_from_reveal_location, integration_path, post_create, texts,
};
use crate::webhook_support::{ALL_EVENTS, NOWHERE_URL, post_endpoint};

/// The text of the element with `id`, tags and all, up to its closing tag.
fn element_text<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let start = body.find(&format!("id=\"{id}\""))?;
    let rest = &body[start..];
    let open_end = rest.find('>')? + 1;
    let close = rest[open_end..].find("</")?;
    Some(&rest[open_end..open_end + close])
}

#[actix_web::test]
async fn the_reveal_page_shows_the_base_url_the_location_id_and_the_scopes() {
    let app = spawn_app_with(|s| s.public_url = Some("http://pi.example.test/".to_string())).await;
    app.setup_owner().await;
    let created = post_create(
        &app,
        "Connector",
        "",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let id = id_from_reveal_location(&created);
    let page = app.get(&integration_path(&id, "/token")).await;
    page.assert_status(StatusCode::OK);
    let body = &page.body;

    assert_eq!(
        element_text(body, "api-base-url"),
        Some("http://pi.example.test/v2"),
        "{}",
        excerpt(body)
    );
    let account = texts(&app, "SELECT id::text AS s FROM accounts");
    assert_eq!(element_text(body, "location-id"), Some(account[0].as_str()));
    let scopes = body
        .split("id=\"granted-scopes\"")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("a list of granted scopes");
    assert!(
        scopes.contains("contacts.readonly") && scopes.contains("users.readonly"),
        "{scopes}"
    );
    assert!(
        !scopes.contains("contacts.write"),
        "only granted scopes: {scopes}"
    );
    assert!(body.contains("href=\"/docs/api\""), "no link to the docs");
}

/// Each copy button for `targets` is in the page with the `hidden`
/// attribute: without script it would copy nothing.
#[track_caller]
fn assert_copy_buttons_hidden(body: &str, targets: &[&str]) {
    for target in targets {
        let marker = format!("data-copy-target=\"{target}\"");
        let button = body
            .split("<button")
            .find(|b| b.contains(&marker))
            .unwrap_or_else(|| panic!("no copy button for {target}: {}", excerpt(body)));
        let tag = button.split('>').next().unwrap_or_default();
        assert!(
            tag.split_whitespace().any(|a| a == "hidden"),
            "the copy button for {target} shows without script: {tag}"
        );
    }
}

#[actix_web::test]
async fn every_copy_button_is_hidden_until_script_shows_it() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let created = post_create(&app, "Copyable", "", &["contacts.readonly"], "").await;
    let id = id_from_reveal_location(&created);
    let page = app.get(&integration_path(&id, "/token")).await;
    let body = &page.body;

    assert_copy_buttons_hidden(body, &["access-token", "location-id", "curl-example"]);

    // The other secrets shown once: a webhook's signing secret, the legacy key.
    post_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    let webhooks = app.get(&integration_path(&id, "/webhooks")).await;
    assert_copy_buttons_hidden(&webhooks.body, &["webhook-secret"]);
    app.submit("/settings/api-keys", "/settings/api-keys/generate", &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let key = app.get("/settings/api-keys/key").await;
    assert_copy_buttons_hidden(&key.body, &["api-key"]);
    // The curl example keeps its URL whole and scrolls sideways instead.
    let css = app.get("/static/css/app.css").await.body;
    let rule = css
        .split(".code-block pre")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .expect("a rule for the curl example's block");
    assert!(
        rule.contains("white-space: pre") && rule.contains("overflow-x: auto"),
        "{rule}"
    );
    assert!(body.contains("class=\"code-block\""), "{}", excerpt(body));
}

#[actix_web::test]
async fn after_a_rotate_later_the_reveal_page_says_until_when_the_old_token_works() {
    let app = spawn_app().await;
    app.setup_owner().await;
    app.submit(
        "/settings/profile",
        "/settings/profile",
        &[("time_zone", "Asia/Tokyo")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let (id, _) = create_with_token(&app, "Rolling", &["contacts.readonly"], "").await;

    let reply = act(
        &app,
        &id,
        "/rotate",
        &[("expire_old", "later"), ("grace_days", "3")],
    )
    .await;
    let page = app.get(&integration_path(&id, "/token")).await;
    assert_eq!(
        reply.location().as_deref(),
        Some(integration_path(&id, "/token").as_str())
    );
    let until = element_text(&page.body, "previous-token-until")
        .unwrap_or_else(|| panic!("no end for the old token: {}", excerpt(&page.body)));
    let grace_end = texts(
        &app,
        &format!(
            "SELECT to_char(grace_ends_at AT TIME ZONE 'Asia/Tokyo', 'FMDD Mon YYYY, HH24:MI') AS s \
             FROM access_tokens WHERE integration_id = '{id}' AND grace_ends_at IS NOT NULL"
        ),
    );
    assert_eq!(grace_end.len(), 1);
    assert!(
        until.contains(&format!("{} JST", grace_end[0])),
        "{until:?} is not {} JST",
        grace_end[0]
    );

    // A rotation with no grace period has no old token to speak of.
    let reply = act(&app, &id, "/rotate", &[("expire_old", "now")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = app.get(&integration_path(&id, "/token")).await;
    assert!(
        element_text(&page.body, "previous-token-until").is_none(),
        "{}",
        excerpt(&page.body)
    );
}

#[actix_web::test]
async fn the_detail_page_links_to_the_api_reference() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Documented", &["contacts.readonly"], "").await;
    let page = app.get(&integration_path(&id, "")).await;
    assert!(
        page.body.contains("href=\"/docs/api\""),
        "{}",
        excerpt(&page.body)
    );
}
