//! The `/settings/api-keys` page: a banner steering to private
//! integrations, one API v1 key per account, shown once, stored as its
//! SHA-256, generated and disabled only with a CSRF token, and each account
//! seeing and changing only its own key.

use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::api_support::{Api, assert_error, ok_json, second_account};
use crate::api_v1::assert_deprecated;
use crate::helpers::{Browser, OWNER_ACCOUNT, Reply, TestApp, excerpt, spawn_app};
use crate::integration_support::texts;
use crate::secrets::pg_dump;

pub const PAGE: &str = "/settings/api-keys";
pub const REVEAL: &str = "/settings/api-keys/key";
pub const GENERATE: &str = "/settings/api-keys/generate";
pub const DISABLE: &str = "/settings/api-keys/disable";

/// The key shown in `<code id="api-key">`, if the page shows one.
pub fn revealed_key(body: &str) -> Option<String> {
    const MARKER: &str = r#"<code id="api-key">"#;
    let start = body.find(MARKER)? + MARKER.len();
    let end = body[start..].find("</code>")?;
    Some(body[start..start + end].trim().to_string())
}

/// Every `pik_` followed by 49 or more alphanumerics in `text`.
pub fn find_keys(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("pik_") {
        let after = &rest[at + 4..];
        let run = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if run >= 49 {
            found.push(format!("pik_{}", &after[..49]));
        }
        rest = after;
    }
    found
}

/// `pik_` and exactly 49 base62 characters.
#[track_caller]
pub fn assert_key_format(key: &str) {
    let body = key
        .strip_prefix("pik_")
        .unwrap_or_else(|| panic!("{key:?}"));
    assert!(
        body.len() == 49 && body.bytes().all(|b| b.is_ascii_alphanumeric()),
        "not pik_ + 49 base62: {key:?}"
    );
}

/// Posts the generate (or regenerate) form of the keys page, with its token.
pub async fn post_generate(browser: &Browser) -> Reply {
    browser.submit(PAGE, GENERATE, &[]).await
}

/// Generates a key and reads it off the reveal page.
pub async fn generate_key(browser: &Browser) -> String {
    post_generate(browser).await.assert_redirect_to(REVEAL);
    let page = browser.get(REVEAL).await;
    page.assert_status(StatusCode::OK);
    let key = revealed_key(&page.body)
        .unwrap_or_else(|| panic!("no key on the reveal page: {}", excerpt(&page.body)));
    assert_key_format(&key);
    key
}

/// Posts the disable form of the keys page, with its token.
pub async fn disable_key(browser: &Browser) -> Reply {
    browser.submit(PAGE, DISABLE, &[]).await
}

/// The `id` of the account named `name`.
pub fn account_id(app: &TestApp, name: &str) -> String {
    let ids = texts(
        app,
        &format!("SELECT id::text AS s FROM accounts WHERE name = '{name}'"),
    );
    assert_eq!(ids.len(), 1, "account {name}: {ids:?}");
    ids[0].clone()
}

/// The `api_key.*` audit events of the database, oldest first, as
/// `action actor_email target_label`.
pub fn key_audit(app: &TestApp, account: &str) -> Vec<String> {
    texts(
        app,
        &format!(
            "SELECT action || ' ' || coalesce(actor_email, '-') || ' ' || \
             coalesce(target_label, '-') AS s FROM audit_events \
             WHERE action LIKE 'api_key.%' AND account_id = '{account}' ORDER BY id"
        ),
    )
}

/// The page's "no key" state: the explanation and the generate button.
#[track_caller]
fn assert_no_key(body: &str) {
    assert!(
        body.contains("This account has no API v1 key"),
        "no-key text missing: {}",
        excerpt(body)
    );
    assert!(body.contains("Generate API v1 key"), "{}", excerpt(body));
    assert!(
        !body.contains("pik_…") && !body.contains("Active"),
        "a key is shown: {}",
        excerpt(body)
    );
}

/// The page shows `pik_…` + the last four of `key`, as the active key.
#[track_caller]
fn assert_shows_key(body: &str, key: &str) {
    let masked = format!("pik_…{}", &key[key.len() - 4..]);
    assert!(
        body.contains(&format!(r#"<code class="token-mask">{masked}</code>"#)),
        "{masked} missing: {}",
        excerpt(body)
    );
    assert!(body.contains("Active"), "{}", excerpt(body));
    assert!(find_keys(body).is_empty(), "the page shows a whole key");
}

#[actix_web::test]
async fn the_page_explains_that_v1_keys_have_full_access_and_offers_private_integrations() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let page = app.get(PAGE).await;
    page.assert_status(StatusCode::OK);
    let banner = page
        .body
        .split("legacy-banner")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no banner: {}", excerpt(&page.body)));
    assert!(banner.contains("full access"), "{banner}");
    assert!(
        banner.contains("Private integrations replace them"),
        "{banner}"
    );
    assert!(
        banner.contains(r#"href="/settings/private-integrations/new""#),
        "no link to create one: {banner}"
    );
    assert_no_key(&page.body);
    assert_eq!(app.count("legacy_api_keys"), 0);
}

#[actix_web::test]
async fn a_generated_key_is_shown_once_and_never_again() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let generated = post_generate(&app).await;
    generated.assert_redirect_to(REVEAL);
    let reveal_cookie = generated
        .set_cookies
        .iter()
        .find(|c| c.starts_with("pi_reveal="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no pi_reveal cookie: {:?}", generated.set_cookies))
        .to_string();

    let first = app.get(REVEAL).await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let key = revealed_key(&first.body)
        .unwrap_or_else(|| panic!("no <code id=\"api-key\">: {}", excerpt(&first.body)));
    assert_key_format(&key);
    assert!(
        first.body.contains(&format!("Bearer {key}")) && first.body.contains("/v1/contacts/"),
        "no curl example: {}",
        excerpt(&first.body)
    );
    assert!(
        first.body.contains("full access"),
        "banner on the reveal page too"
    );

    let again = app.get(REVEAL).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.header("cache-control"), Some("no-store"));
    assert!(
        again.body.contains("can't be shown again"),
        "{}",
        excerpt(&again.body)
    );
    assert_eq!(revealed_key(&again.body), None);
    assert!(find_keys(&again.body).is_empty(), "the key is shown again");

    // The cookie that carried the key, replayed in the same session.
    let session = app.current_session_cookie().expect("signed in");
    let replay = app
        .send(
            app.client
                .get(app.url(REVEAL))
                .header(COOKIE, format!("pi_session={session}; {reveal_cookie}")),
        )
        .await;
    replay.assert_status(StatusCode::OK);
    assert!(
        replay.body.contains("can't be shown again"),
        "{}",
        excerpt(&replay.body)
    );
    assert!(
        !replay.body.contains(&key[4..]),
        "a replayed cookie shows the key"
    );

    let page = app.get(PAGE).await;
    assert_shows_key(&page.body, &key);
    assert!(page.body.contains("<dt>Last used</dt><dd>Never</dd>"));
    assert!(page.body.contains("Regenerate") && page.body.contains("Disable"));
    ok_json(
        "the revealed key works",
        &Api::new(&app, &key).get("/v1/contacts/").await,
        StatusCode::OK,
    );
}

#[actix_web::test]
async fn the_key_is_stored_only_as_its_sha256() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let generated = post_generate(&app).await;
    generated.assert_redirect_to(REVEAL);
    // Issued but not yet shown: it lives only in the reveal cookie.
    let before_reveal = pg_dump(&app).await;
    let page = app.get(REVEAL).await;
    let key = revealed_key(&page.body).expect("the key");
    let after_reveal = pg_dump(&app).await;

    let check = format!(
        "SELECT count(*) AS n FROM legacy_api_keys WHERE octet_length(key_hash) = 32 \
         AND key_hash = sha256(convert_to('{key}', 'UTF8')) AND last_four = '{}' \
         AND revealed_at IS NOT NULL AND revoked_at IS NULL",
        &key[49..]
    );
    assert_eq!(
        app.db.query_count(&check),
        1,
        "key_hash is SHA-256 of the key"
    );
    let rows = texts(&app, "SELECT t::text AS s FROM legacy_api_keys t");
    assert_eq!(rows.len(), 1);
    let audit = texts(&app, "SELECT t::text AS s FROM audit_events t");
    for (what, text) in [
        ("the row", rows.join("\n")),
        ("the audit log", audit.join("\n")),
        ("the dump before the reveal", before_reveal),
        ("the dump after the reveal", after_reveal),
    ] {
        assert!(
            !text.contains(&key[4..]) && find_keys(&text).is_empty(),
            "{what} holds the key {}…",
            &key[..8]
        );
    }
}

#[actix_web::test]
async fn generating_or_disabling_without_a_csrf_token_is_forbidden() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for fields in [&[][..], &[("csrf_token", "forged")][..]] {
        let reply = app.post_form(GENERATE, fields).await;
        reply.assert_status(StatusCode::FORBIDDEN);
        assert!(
            reply
                .set_cookies
                .iter()
                .all(|c| !c.starts_with("pi_reveal="))
        );
    }
    assert_eq!(app.count("legacy_api_keys"), 0, "no key was created");
    assert_no_key(&app.get(PAGE).await.body);

    let key = generate_key(&app).await;
    app.post_form(DISABLE, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_form(GENERATE, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    ok_json(
        "the key still works",
        &Api::new(&app, &key).get("/v1/contacts/").await,
        StatusCode::OK,
    );
    assert_eq!(app.count("legacy_api_keys"), 1);
    let account = account_id(&app, OWNER_ACCOUNT);
    assert_eq!(key_audit(&app, &account).len(), 1, "only the generation");
}

#[actix_web::test]
async fn each_account_sees_and_changes_only_its_own_key() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let key_a = generate_key(&app).await;
    let other = second_account(&app).await;

    let b_page = other.get(PAGE).await;
    b_page.assert_status(StatusCode::OK);
    assert_no_key(&b_page.body);
    assert!(!b_page.body.contains(&key_a[49..]));

    // B has no key: disabling touches nothing, A's key keeps working.
    disable_key(&other).await.assert_redirect_to(PAGE);
    assert!(
        other
            .get(PAGE)
            .await
            .body
            .contains("no API v1 key to disable")
    );
    ok_json(
        "A after B's disable",
        &Api::new(&app, &key_a).get("/v1/contacts/").await,
        StatusCode::OK,
    );

    let key_b = generate_key(&other).await;
    assert_ne!(key_a, key_b);
    let b_page = other.get(PAGE).await;
    assert_shows_key(&b_page.body, &key_b);
    assert!(!b_page.body.contains(&format!("pik_…{}", &key_a[49..])));
    let a_page = app.get(PAGE).await;
    assert_shows_key(&a_page.body, &key_a);
    assert!(!a_page.body.contains(&format!("pik_…{}", &key_b[49..])));

    // B disables: only B's key stops working.
    disable_key(&other).await.assert_redirect_to(PAGE);
    let refused = Api::new(&app, &key_b).get("/v1/contacts/").await;
    assert_error("B's disabled key", &refused, StatusCode::UNAUTHORIZED);
    assert_deprecated("B's disabled key", &refused);
    ok_json(
        "A's key",
        &Api::new(&app, &key_a).get("/v1/contacts/").await,
        StatusCode::OK,
    );
    assert_shows_key(&app.get(PAGE).await.body, &key_a);
    assert_no_key(&other.get(PAGE).await.body);

    let account_a = account_id(&app, OWNER_ACCOUNT);
    let account_b = account_id(&app, "Other Co");
    let a_audit = key_audit(&app, &account_a);
    assert_eq!(a_audit.len(), 1, "{a_audit:?}");
    assert!(a_audit[0].starts_with("api_key.generated owner@acme.test"));
    let b_audit = key_audit(&app, &account_b);
    assert_eq!(
        b_audit,
        [
            format!("api_key.generated other@example.com pik_…{}", &key_b[49..]),
            format!("api_key.disabled other@example.com pik_…{}", &key_b[49..]),
        ]
    );
}

#[actix_web::test]
async fn only_owners_see_generate_or_disable_the_key() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let key = generate_key(&app).await;
    let out = app
        .create_admin(OWNER_ACCOUNT, "admin@acme.test", "an admin's long password")
        .await;
    assert!(out.status.success(), "create-admin failed");
    let admin = app.new_client();
    admin
        .login("admin@acme.test", "an admin's long password")
        .await
        .assert_redirect_to("/settings");

    for page in [PAGE, REVEAL] {
        admin.get(page).await.assert_status(StatusCode::FORBIDDEN);
    }
    // The admin's own CSRF token, from a page admins may use.
    let token = admin.csrf_token("/settings/private-integrations/new").await;
    for action in [GENERATE, DISABLE] {
        admin
            .post_form(action, &[("csrf_token", token.as_str())])
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("legacy_api_keys"), 1, "nothing was generated");
    ok_json(
        "the owner's key still works",
        &Api::new(&app, &key).get("/v1/contacts/").await,
        StatusCode::OK,
    );
}
