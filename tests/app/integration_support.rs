//! Shared steps for the private-integration tests: creating an integration
//! through the panel, reading the one-time reveal page, calling API v2 with a
//! token, and reading tokens off the detail page.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Browser, Reply, TestApp, excerpt};

pub const BASE: &str = "/settings/private-integrations";

/// `/settings/private-integrations/{id}` plus `rest`.
pub fn integration_path(id: &str, rest: &str) -> String {
    format!("{BASE}/{id}{rest}")
}

/// Every match of `pit_[0-9A-Za-z]{49}` in `text`.
pub fn find_tokens(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("pit_") {
        let after = &rest[at + 4..];
        let run = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if run >= 49 {
            found.push(format!("pit_{}", &after[..49]));
        }
        rest = after;
    }
    found
}

/// The token shown in `<code id="access-token">`, if the page shows one.
pub fn revealed_token(body: &str) -> Option<String> {
    const MARKER: &str = r#"<code id="access-token">"#;
    let start = body.find(MARKER)? + MARKER.len();
    let end = body[start..].find("</code>")?;
    Some(body[start..start + end].trim().to_string())
}

/// The integration id in a `Location` of `/settings/private-integrations/{id}/token`.
#[track_caller]
pub fn id_from_reveal_location(reply: &Reply) -> String {
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "expected a 303 to a reveal page: {}",
        excerpt(&reply.body)
    );
    let location = reply.location().expect("a Location header");
    let id = location
        .strip_prefix(&format!("{BASE}/"))
        .and_then(|rest| rest.strip_suffix("/token"))
        .unwrap_or_else(|| panic!("not a reveal page: {location}"));
    uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id} is not a uuid: {e}"));
    id.to_string()
}

/// Follows a 303 to the reveal page and returns the token it shows.
pub async fn follow_reveal(browser: &Browser, reply: &Reply) -> String {
    let id = id_from_reveal_location(reply);
    let page = browser.get(&integration_path(&id, "/token")).await;
    page.assert_status(StatusCode::OK);
    let token = revealed_token(&page.body)
        .unwrap_or_else(|| panic!("no token on the reveal page: {}", excerpt(&page.body)));
    assert_eq!(find_tokens(&token), vec![token.clone()], "token format");
    token
}

/// Posts the create form (CSRF token taken from the new-integration page).
pub async fn post_create(
    browser: &Browser,
    name: &str,
    description: &str,
    scopes: &[&str],
    lifetime_days: &str,
) -> Reply {
    let mut fields = vec![
        ("name", name),
        ("description", description),
        ("lifetime_days", lifetime_days),
    ];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    browser.submit(&format!("{BASE}/new"), BASE, &fields).await
}

/// Creates an integration and reads its token off the reveal page:
/// `(integration id, token)`.
pub async fn create_with_token(
    browser: &Browser,
    name: &str,
    scopes: &[&str],
    lifetime_days: &str,
) -> (String, String) {
    let reply = post_create(browser, name, "", scopes, lifetime_days).await;
    let id = id_from_reveal_location(&reply);
    let token = follow_reveal(browser, &reply).await;
    (id, token)
}

/// Posts a form on the integration's detail page to `rest` (e.g. `/rotate`).
pub async fn act(browser: &Browser, id: &str, rest: &str, fields: &[(&str, &str)]) -> Reply {
    browser
        .submit(
            &integration_path(id, ""),
            &integration_path(id, rest),
            fields,
        )
        .await
}

/// Rotates and returns the new token read from the reveal page.
pub async fn rotate(browser: &Browser, id: &str, fields: &[(&str, &str)]) -> String {
    let reply = act(browser, id, "/rotate", fields).await;
    reply.assert_redirect_to(&integration_path(id, "/token"));
    follow_reveal(browser, &reply).await
}

/// `GET /v2/token` with `Authorization: Bearer {token}`, from a client with
/// no cookies.
pub async fn whoami(app: &TestApp, token: &str) -> Reply {
    let client = app.new_client();
    client
        .send(
            client
                .client
                .get(client.url("/v2/token"))
                .bearer_auth(token),
        )
        .await
}

/// The status `GET /v2/token` answers for `token`.
pub async fn api_status(app: &TestApp, token: &str) -> StatusCode {
    whoami(app, token).await.status
}

/// `GET /v2/token` for a token that must work; its JSON body.
pub async fn token_info(app: &TestApp, token: &str) -> Value {
    let reply = whoami(app, token).await;
    reply.assert_status(StatusCode::OK);
    json(&reply)
}

#[track_caller]
pub fn json(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", excerpt(&reply.body)))
}

/// The scopes of a `/v2/token` answer, sorted.
pub fn scopes_of(info: &Value) -> Vec<String> {
    let mut scopes: Vec<String> = info["scopes"]
        .as_array()
        .unwrap_or_else(|| panic!("no scopes array: {info}"))
        .iter()
        .map(|s| s.as_str().expect("scope is a string").to_string())
        .collect();
    scopes.sort();
    scopes
}

/// Days from now until the `expiresAt` of a `/v2/token` answer, if any.
pub fn expires_in_days(info: &Value) -> Option<f64> {
    let raw = info.get("expiresAt")?;
    let text = raw.as_str().unwrap_or_else(|| panic!("expiresAt: {raw}"));
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("expiresAt {text}: {e}"))
        .into();
    Some((at - Utc::now()).num_seconds() as f64 / 86_400.0)
}

/// Asserts `expiresAt` lies about `days` ahead (within an hour).
#[track_caller]
pub fn assert_expires_in(info: &Value, days: f64) {
    let ahead = expires_in_days(info).unwrap_or_else(|| panic!("no expiresAt in {info}"));
    assert!(
        (ahead - days).abs() < 1.0 / 24.0,
        "expiresAt is {ahead} days ahead, expected {days}: {info}"
    );
}

/// One `li.token-item` of the detail page.
#[derive(Debug)]
pub struct TokenItem {
    pub id: String,
    pub current: bool,
    pub html: String,
}

/// The `li.token-item` elements of a detail page, in page order.
pub fn token_items(body: &str) -> Vec<TokenItem> {
    body.split("<li class=\"token-item")
        .skip(1)
        .map(|chunk| {
            let html = chunk.split("</li>").next().unwrap_or(chunk).to_string();
            let id = html
                .split("data-token-id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("token item without data-token-id: {html}"))
                .to_string();
            let current = html.starts_with(" token-current");
            TokenItem { id, current, html }
        })
        .collect()
}

/// The token item showing `pit_…` + the last four of `token`.
#[track_caller]
pub fn item_for<'a>(items: &'a [TokenItem], token: &str) -> &'a TokenItem {
    let masked = format!("pit_…{}", &token[token.len() - 4..]);
    let matching: Vec<&TokenItem> = items.iter().filter(|i| i.html.contains(&masked)).collect();
    assert_eq!(matching.len(), 1, "items showing {masked}: {items:#?}");
    matching[0]
}

/// The row of integration `id` on a page of the integrations list.
pub fn list_row(body: &str, id: &str) -> String {
    body.split(&format!("data-integration-id=\"{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row for {id}: {}", excerpt(body)))
        .to_string()
}

/// Runs one SQL statement on the test's database, as an operator would in
/// psql: the database itself tells every instance what changed, and each
/// listener wakes for it at once; the short wait leaves room for a thread
/// scheduled late on a machine busy with other tests.
pub fn execute(app: &TestApp, sql: &str) {
    diesel::sql_query(sql)
        .execute(&mut app.db.connection())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    s: String,
}

/// The single text column `s` of every row `sql` returns.
pub fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<TextRow>(&mut app.db.connection())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| r.s)
        .collect()
}

/// Waits until the API has recorded a use of the integration's tokens, so
/// later SQL is not overwritten by that bookkeeping.
pub async fn wait_for_last_use(app: &TestApp, id: &str) {
    let sql = format!(
        "SELECT count(*) AS n FROM access_tokens \
         WHERE integration_id = '{id}' AND last_used_at IS NOT NULL"
    );
    for _ in 0..100 {
        if app.db.query_count(&sql) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token's last use was never recorded");
}

/// The status `path` on `browser`'s server answers for `token`.
pub async fn status_on(browser: &Browser, token: &str, path: &str) -> StatusCode {
    browser
        .send(browser.client.get(browser.url(path)).bearer_auth(token))
        .await
        .status
}

/// Polls `path` on `browser`'s server with `token` until it answers
/// `expected`; how long that took. Gives up (failing) after five seconds.
pub async fn until_status(
    browser: &Browser,
    token: &str,
    path: &str,
    expected: StatusCode,
) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        let status = status_on(browser, token, path).await;
        if status == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{path} on {} still answers {status}, not {expected}",
            browser.url("")
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Another instance on `app`'s database, in this process; a fresh browser
/// against it.
pub async fn second_instance(app: &TestApp) -> Browser {
    instance_with(crate::helpers::test_settings(&app.database_url)).await
}

/// An instance with `settings` (say, another on a test's database), in
/// this process; a fresh browser against it.
pub async fn instance_with(settings: private_integrations::config::Settings) -> Browser {
    let second = private_integrations::startup::Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("build a second instance: {e}"));
    let address = format!("http://127.0.0.1:{}", second.port());
    actix_web::rt::spawn(second.run_until_stopped());
    Browser::new(&address)
}
