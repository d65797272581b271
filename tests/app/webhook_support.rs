//! Shared steps for the webhook tests: the webhooks page of an integration,
//! adding an endpoint through its form and reading the signing secret the
//! page shows once, the other forms of an endpoint, and a stub resolver
//! (names pinned like curl's `--resolve`) so no test resolves a real name.

use std::net::IpAddr;

use reqwest::StatusCode;

use crate::helpers::{Browser, Reply, TestApp, excerpt, spawn_app_with};
use crate::integration_support::{execute, integration_path, texts};

/// A name pinned to no address: it never resolves, so an endpoint there is
/// accepted and nothing is ever sent to it.
pub const NOWHERE_HOST: &str = "hooks.nowhere.test";
/// A URL on [`NOWHERE_HOST`].
pub const NOWHERE_URL: &str = "https://hooks.nowhere.test/receive";
/// A name pinned to a private address.
pub const INSIDE_HOST: &str = "intranet.inside.test";

/// Every event an endpoint may ask for.
pub const ALL_EVENTS: [&str; 3] = ["ContactCreate", "ContactUpdate", "ContactDelete"];

/// An application whose resolver knows only the pinned test names, with
/// private targets refused (the default).
pub async fn spawn_webhook_app() -> TestApp {
    spawn_app_with(|s| {
        s.webhook_allow_private_targets = false;
        s.webhook_resolve = vec![
            (NOWHERE_HOST.to_string(), Vec::new()),
            (
                INSIDE_HOST.to_string(),
                vec!["10.20.30.40".parse::<IpAddr>().expect("an address")],
            ),
        ];
    })
    .await
}

/// `/settings/private-integrations/{id}/webhooks`.
pub fn webhooks_path(id: &str) -> String {
    integration_path(id, "/webhooks")
}

/// `…/webhooks/{endpoint_id}` plus `rest` (e.g. `/disable`).
pub fn endpoint_path(id: &str, endpoint_id: &str, rest: &str) -> String {
    format!("{}/{endpoint_id}{rest}", webhooks_path(id))
}

/// The text of the element that starts with `marker`, up to `</code>`.
fn code_after(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find("</code>")?;
    Some(body[start..start + end].trim().to_string())
}

/// The secret shown in `<code id="webhook-secret">`, if the page shows one.
pub fn revealed_secret(body: &str) -> Option<String> {
    code_after(body, r#"<code id="webhook-secret">"#)
}

/// The endpoint whose secret the page shows, if it shows one.
pub fn revealed_endpoint(body: &str) -> Option<String> {
    let marker = r#"id="webhook-reveal" data-endpoint-id=""#;
    let start = body.find(marker)? + marker.len();
    Some(body[start..].split('"').next()?.to_string())
}

/// Posts the add form of the integration's webhooks page (CSRF token taken
/// from that page): `url` and one `events` field per event.
pub async fn post_endpoint(browser: &Browser, id: &str, url: &str, events: &[&str]) -> Reply {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let page = webhooks_path(id);
    browser.submit(&page, &page, &fields).await
}

/// Adds an endpoint through the form, follows the 303 and reads the secret
/// the page shows once: `(endpoint id, secret)`.
pub async fn add_endpoint(
    browser: &Browser,
    id: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let reply = post_endpoint(browser, id, url, events).await;
    reply.assert_redirect_to(&webhooks_path(id));
    read_secret(browser, id).await
}

/// Visits the webhooks page after an add or a roll and reads the secret it
/// shows once: `(endpoint id, secret)`.
pub async fn read_secret(browser: &Browser, id: &str) -> (String, String) {
    let page = browser.get(&webhooks_path(id)).await;
    page.assert_status(StatusCode::OK);
    let secret = revealed_secret(&page.body)
        .unwrap_or_else(|| panic!("no secret on the webhooks page: {}", excerpt(&page.body)));
    let endpoint = revealed_endpoint(&page.body).expect("the revealed secret names its endpoint");
    (endpoint, secret)
}

/// Posts one of an endpoint's forms (`/delete`, `/enable`, `/disable`,
/// `/roll-secret`, `/test`) with the CSRF token of the webhooks page.
pub async fn endpoint_action(browser: &Browser, id: &str, endpoint_id: &str, rest: &str) -> Reply {
    browser
        .submit(
            &webhooks_path(id),
            &endpoint_path(id, endpoint_id, rest),
            &[],
        )
        .await
}

/// `POST …/deliveries/{delivery_id}/resend` with the CSRF token of the
/// delivery log.
pub async fn resend(browser: &Browser, id: &str, endpoint_id: &str, delivery_id: &str) -> Reply {
    let log = endpoint_path(id, endpoint_id, "/deliveries");
    browser
        .submit(&log, &format!("{log}/{delivery_id}/resend"), &[])
        .await
}

/// How many `action` audit events name integration `id` as their target.
pub fn audit_count(app: &TestApp, action: &str, id: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events \
         WHERE action = '{action}' AND target_type = 'integration' AND target_id = '{id}'"
    ))
}

/// The details (JSON text) of every `action` audit event, oldest first.
pub fn audit_details(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    texts(
        app,
        &format!(
            "SELECT details::text AS s FROM audit_events WHERE action = '{action}' \
             ORDER BY created_at, id"
        ),
    )
    .iter()
    .map(|s| serde_json::from_str(s).expect("details are JSON"))
    .collect()
}

/// A connection listening on the channel that wakes the delivery workers.
pub struct DueListener(diesel::PgConnection);

impl DueListener {
    pub fn start(app: &TestApp) -> DueListener {
        use diesel::connection::SimpleConnection as _;
        let mut conn = app.db.connection();
        conn.batch_execute("LISTEN pi_webhook_due")
            .expect("LISTEN pi_webhook_due");
        DueListener(conn)
    }

    /// Whether a wake-up arrived (waiting up to two seconds for one);
    /// consumes what arrived.
    pub async fn heard(&mut self) -> bool {
        for _ in 0..40 {
            let mut heard = false;
            for n in self.0.notifications_iter() {
                n.expect("read notifications");
                heard = true;
            }
            if heard {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }
}

/// Marks every delivery failed, as the worker does after the last attempt.
pub fn fail_all_deliveries(app: &TestApp) {
    execute(
        app,
        "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, \
         lease_until = NULL, finished_at = now()",
    );
}

/// An endpoint on [`NOWHERE_URL`] with one failed (test) delivery:
/// `(endpoint id, delivery id)`.
pub async fn endpoint_with_failed_delivery(app: &TestApp, id: &str) -> (String, String) {
    let (endpoint, _) = add_endpoint(app, id, NOWHERE_URL, &ALL_EVENTS).await;
    endpoint_action(app, id, &endpoint, "/test")
        .await
        .assert_redirect_to(&webhooks_path(id));
    fail_all_deliveries(app);
    let delivery = texts(
        app,
        &format!("SELECT id::text AS s FROM webhook_deliveries WHERE endpoint_id = '{endpoint}'"),
    )
    .remove(0);
    (endpoint, delivery)
}
