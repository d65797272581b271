//! Alerts (SPEC §9): a dead token tried, or a live one used from a new
//! address, found by the usage writer, at most once per token, address and
//! day; each a banner, an audit line and a count on the Settings home, and
//! editors dismiss the banner.

use reqwest::StatusCode;

use crate::api_support::{eventually, second_account};
use crate::helpers::{TestApp, spawn_app_with};
use crate::integration_support::{create_with_token, execute, integration_path, rotate};
use crate::viewers::signed_in_viewer;

/// `GET /v2/token` with `token`, as if from `ip` behind the trusted proxy
/// (none: from the proxy itself, 127.0.0.1).
async fn call_from(app: &TestApp, token: &str, ip: Option<&str>) -> StatusCode {
    let client = app.new_client();
    let mut request = client
        .client
        .get(client.url("/v2/token"))
        .bearer_auth(token);
    if let Some(ip) = ip {
        request = request.header("X-Forwarded-For", ip);
    }
    client.send(request).await.status
}

async fn trusting_loopback() -> TestApp {
    spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

async fn recorded(app: &TestApp, n: i64) {
    assert!(
        eventually(10, || app.count("api_requests") == n).await,
        "the usage writer records {n} requests"
    );
}

fn alerts(app: &TestApp, kind: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM alerts WHERE kind = '{kind}'"
    ))
}

fn audited(app: &TestApp, action: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events WHERE action = '{action}'"
    ))
}

#[actix_web::test]
async fn a_rotated_out_token_tried_again_raises_one_alert_per_address_and_day() {
    let app = trusting_loopback().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Leaky", &["contacts.readonly"], "").await;
    let new = rotate(&app, &id, &[("expire_old", "now")]).await;
    for _ in 0..3 {
        let status = call_from(&app, &old, Some("203.0.113.7")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(call_from(&app, &new, None).await, StatusCode::OK);
    recorded(&app, 4).await;
    assert_eq!(alerts(&app, "revoked_token_used"), 1, "once a day");
    assert_eq!(audited(&app, "alert.revoked_token_used"), 1);

    let page = app.get(&integration_path(&id, "")).await.body;
    let last_four = &old[old.len() - 4..];
    assert!(page.contains("A token rotated out on "), "{page}");
    assert!(page.contains(&format!("(pit_…{last_four}) was used from 203.0.113.7")));
    assert!(page.contains("it may be leaked"));
    let home = app.get("/settings").await.body;
    assert!(home.contains("1 open alert:"), "{home}");
    assert!(home.contains(&integration_path(&id, "")));
    let log = app
        .get("/settings/audit-log?action=alert.revoked_token_used")
        .await
        .body;
    assert!(log.contains(&format!("pit_…{last_four}")) && log.contains("203.0.113.7"));

    // Another address the same day, and the same address the next day.
    assert_eq!(
        call_from(&app, &old, Some("198.51.100.9")).await,
        StatusCode::UNAUTHORIZED
    );
    recorded(&app, 5).await;
    execute(&app, "UPDATE alerts SET day = day - 1");
    assert_eq!(
        call_from(&app, &old, Some("203.0.113.7")).await,
        StatusCode::UNAUTHORIZED
    );
    recorded(&app, 6).await;
    assert!(eventually(5, || alerts(&app, "revoked_token_used") == 3).await);
    assert_eq!(audited(&app, "alert.revoked_token_used"), 3);
    assert_eq!(alerts(&app, "new_ip"), 0, "refused requests are no use");
}

#[actix_web::test]
async fn a_new_address_raises_an_alert_but_the_first_address_of_an_unused_integration_does_not() {
    let app = trusting_loopback().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Travelling", &["contacts.readonly"], "").await;
    assert_eq!(
        call_from(&app, &token, Some("192.0.2.10")).await,
        StatusCode::OK
    );
    recorded(&app, 1).await;
    assert_eq!(alerts(&app, "new_ip"), 0, "no history: not a new address");

    for _ in 0..3 {
        assert_eq!(
            call_from(&app, &token, Some("203.0.113.50")).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        call_from(&app, &token, Some("192.0.2.10")).await,
        StatusCode::OK
    );
    recorded(&app, 5).await;
    assert_eq!(alerts(&app, "new_ip"), 1, "one alert for the new address");
    assert_eq!(audited(&app, "alert.new_ip"), 1);
    let page = app.get(&integration_path(&id, "")).await.body;
    assert!(
        page.contains("was used from a new address, 203.0.113.50"),
        "{page}"
    );

    // A second integration's very first requests: no alert either.
    let (_, other) = create_with_token(&app, "Fresh", &["contacts.readonly"], "").await;
    assert_eq!(
        call_from(&app, &other, Some("198.51.100.1")).await,
        StatusCode::OK
    );
    assert_eq!(
        call_from(&app, &other, Some("198.51.100.1")).await,
        StatusCode::OK
    );
    recorded(&app, 7).await;
    assert_eq!(alerts(&app, "new_ip"), 1);
}

#[actix_web::test]
async fn one_token_and_address_raise_one_alert_a_day_whatever_its_kind() {
    let app = trusting_loopback().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Roaming", &["contacts.readonly"], "").await;
    assert_eq!(call_from(&app, &token, None).await, StatusCode::OK);
    recorded(&app, 1).await;
    assert_eq!(
        call_from(&app, &token, Some("203.0.113.80")).await,
        StatusCode::OK
    );
    recorded(&app, 2).await;
    assert!(eventually(5, || alerts(&app, "new_ip") == 1).await);

    // The same token, rotated out, tried from that address the same day:
    // that token and address already have their alert today.
    rotate(&app, &id, &[("expire_old", "now")]).await;
    assert_eq!(
        call_from(&app, &token, Some("203.0.113.80")).await,
        StatusCode::UNAUTHORIZED
    );
    recorded(&app, 3).await;
    // From another address it is an alert of its own.
    assert_eq!(
        call_from(&app, &token, Some("198.51.100.80")).await,
        StatusCode::UNAUTHORIZED
    );
    recorded(&app, 4).await;
    assert!(eventually(5, || alerts(&app, "revoked_token_used") == 1).await);
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM alerts WHERE ip = '203.0.113.80'"),
        1,
        "one alert for the token and address that day"
    );
    assert_eq!(alerts(&app, "new_ip"), 1);
}

#[actix_web::test]
async fn editors_dismiss_an_alert_and_viewers_and_other_accounts_cannot() {
    let app = trusting_loopback().await;
    let viewer = signed_in_viewer(&app).await;
    let (id, old) = create_with_token(&app, "Dismissed", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    call_from(&app, &old, Some("203.0.113.7")).await;
    recorded(&app, 1).await;
    let alert =
        crate::integration_support::texts(&app, "SELECT id::text AS s FROM alerts").concat();
    let page = integration_path(&id, "");
    let dismiss = integration_path(&id, &format!("/alerts/{alert}/dismiss"));

    let shown = viewer.get(&page).await.body;
    assert!(shown.contains("it may be leaked"), "viewers see the banner");
    assert!(!shown.contains(&dismiss), "but no dismiss button");
    viewer
        .submit(&page, &dismiss, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let other = second_account(&app).await;
    other
        .submit("/settings", &dismiss, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let open = "SELECT count(*) AS n FROM alerts WHERE dismissed_at IS NULL";
    assert_eq!(app.db.query_count(open), 1);

    assert!(app.get(&page).await.body.contains(&dismiss));
    app.submit(&page, &dismiss, &[])
        .await
        .assert_redirect_to(&page);
    assert_eq!(app.db.query_count(open), 0);
    assert!(!app.get(&page).await.body.contains("it may be leaked"));
    assert!(!app.get("/settings").await.body.contains("open alert"));
    assert_eq!(audited(&app, "alert.dismissed"), 1);
    app.submit(&page, &dismiss, &[])
        .await
        .assert_redirect_to(&page);
    assert_eq!(audited(&app, "alert.dismissed"), 1, "twice is once");
}

#[actix_web::test]
async fn an_address_counts_as_known_for_30_days_after_its_last_use() {
    let app = trusting_loopback().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Remembering", &["contacts.readonly"], "").await;
    assert_eq!(
        call_from(&app, &token, Some("192.0.2.10")).await,
        StatusCode::OK
    );
    recorded(&app, 1).await;
    // As earlier requests, since expired from the log, left them.
    execute(
        &app,
        &format!(
            "INSERT INTO integration_addresses (integration_id, ip, last_used_at) VALUES \
             ('{id}', '203.0.113.9', now() - interval '10 days'), \
             ('{id}', '203.0.113.40', now() - interval '40 days')"
        ),
    );
    assert_eq!(
        call_from(&app, &token, Some("203.0.113.9")).await,
        StatusCode::OK
    );
    recorded(&app, 2).await;
    assert_eq!(alerts(&app, "new_ip"), 0, "used 10 days ago: known");
    assert_eq!(
        call_from(&app, &token, Some("203.0.113.40")).await,
        StatusCode::OK
    );
    recorded(&app, 3).await;
    assert!(
        eventually(10, || alerts(&app, "new_ip") == 1).await,
        "used 40 days ago: new again"
    );
    let last = app.db.query_count(&format!(
        "SELECT count(*) AS n FROM integration_addresses WHERE integration_id = '{id}' \
         AND ip = '203.0.113.40' AND last_used_at > now() - interval '1 minute'"
    ));
    assert_eq!(last, 1, "its last use moves to now");
}

#[actix_web::test]
async fn a_banner_gives_its_days_in_the_readers_time_zone() {
    let app = trusting_loopback().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Far east", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "now")]).await;
    call_from(&app, &old, Some("203.0.113.7")).await;
    assert!(eventually(10, || alerts(&app, "revoked_token_used") == 1).await);
    // 20:00 UTC on 10 March is 10:00 on 11 March in Kiritimati (UTC+14).
    execute(
        &app,
        "UPDATE access_tokens SET revoked_at = '2026-03-10 20:00Z' WHERE revoked_at IS NOT NULL",
    );
    execute(&app, "UPDATE alerts SET created_at = '2026-03-10 20:00Z'");
    execute(&app, "UPDATE users SET time_zone = 'Pacific/Kiritimati'");

    let page = app.get(&integration_path(&id, "")).await.body;
    assert!(page.contains("A token rotated out on 11 Mar "), "{page}");
    assert!(page.contains("203.0.113.7 on 11 Mar"), "{page}");
}
