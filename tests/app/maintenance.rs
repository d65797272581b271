//! The maintenance sweep: API request rows are kept 30 days, and expired
//! sessions and day-old sign-in attempts are removed.

use crate::api_support::eventually;
use crate::helpers::spawn_app;
use crate::integration_support::{create_with_token, execute, token_info};
use private_integrations::workers::maintenance;

#[actix_web::test]
async fn the_sweep_deletes_api_requests_older_than_30_days_and_keeps_newer_ones() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Sweep", &["contacts.readonly"], "").await;
    token_info(&app, &token).await;
    // The usage worker writes the request above within a moment.
    for _ in 0..40 {
        if app.count("api_requests") > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(app.count("api_requests"), 1, "the request was recorded");
    execute(
        &app,
        "INSERT INTO api_requests (account_id, integration_id, method, route, status, duration_ms, ip, created_at) \
         SELECT account_id, integration_id, 'GET', '/v2/token', 200, 1, '127.0.0.1', now() - interval '31 days' \
         FROM api_requests LIMIT 1",
    );
    execute(
        &app,
        "INSERT INTO api_requests (account_id, integration_id, method, route, status, duration_ms, ip, created_at) \
         SELECT account_id, integration_id, 'GET', '/v2/token', 200, 1, '127.0.0.1', now() - interval '29 days' \
         FROM api_requests LIMIT 1",
    );
    execute(
        &app,
        "UPDATE sessions SET expires_at = now() - interval '1 minute'",
    );
    execute(
        &app,
        "INSERT INTO login_attempts (email, ip, succeeded, attempted_at) VALUES \
         ('old@example.com', '127.0.0.1', false, now() - interval '2 days'), \
         ('new@example.com', '127.0.0.1', false, now())",
    );
    assert_eq!(app.count("api_requests"), 3);

    maintenance::sweep(&mut app.db.connection()).expect("sweep");

    assert_eq!(
        app.count("api_requests"),
        2,
        "only the 31-day-old row is gone"
    );
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM api_requests WHERE created_at < now() - interval '30 days'"
        ),
        0
    );
    assert_eq!(app.count("sessions"), 0, "expired sessions are removed");
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM login_attempts WHERE email = 'old@example.com'"
        ),
        0
    );
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM login_attempts WHERE email = 'new@example.com'"
        ),
        1
    );
}

#[actix_web::test]
async fn the_sweep_forgets_scopes_used_more_than_30_days_ago() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Sweep", &["contacts.readonly"], "").await;
    execute(
        &app,
        &format!(
            "INSERT INTO usage_scopes (integration_id, day, scope) VALUES \
             ('{id}', current_date - 31, 'contacts.write'), \
             ('{id}', current_date - 29, 'contacts.readonly')"
        ),
    );

    maintenance::sweep(&mut app.db.connection()).expect("sweep");

    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM usage_scopes WHERE scope = 'contacts.readonly'"
        ),
        1
    );
    assert_eq!(app.count("usage_scopes"), 1, "the 31-day-old note is gone");
}

#[actix_web::test]
async fn the_sweep_forgets_alerts_raised_more_than_30_days_ago() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Alerted", &["contacts.readonly"], "").await;
    execute(
        &app,
        &format!(
            "INSERT INTO alerts (account_id, integration_id, kind, token_id, ip, day, created_at) \
             SELECT i.account_id, i.id, 'new_ip', t.id, ip, (now() - age)::date, now() - age \
             FROM integrations i JOIN access_tokens t ON t.integration_id = i.id, \
                  (VALUES ('192.0.2.1', interval '31 days'), ('192.0.2.2', interval '29 days')) \
                  AS a(ip, age) \
             WHERE i.id = '{id}'"
        ),
    );

    maintenance::sweep(&mut app.db.connection()).expect("sweep");

    assert_eq!(app.count("alerts"), 1, "the 31-day-old alert is gone");
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM alerts WHERE ip = '192.0.2.2'"),
        1
    );
}

#[actix_web::test]
async fn the_sweep_forgets_addresses_unused_for_30_days() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Addresses", &["contacts.readonly"], "").await;
    token_info(&app, &token).await;
    let addresses = || {
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM integration_addresses WHERE integration_id = '{id}'"
        ))
    };
    assert!(
        eventually(10, || addresses() == 1).await,
        "the address of the use is noted"
    );
    execute(
        &app,
        &format!(
            "INSERT INTO integration_addresses (integration_id, ip, last_used_at) \
             VALUES ('{id}', '198.51.100.77', now() - interval '31 days')"
        ),
    );
    assert_eq!(addresses(), 2);
    maintenance::sweep(&mut app.db.connection()).expect("sweep");
    assert_eq!(addresses(), 1, "only the address used lately is kept");
}

#[actix_web::test]
async fn the_sweep_forgets_quarter_hour_counts_older_than_30_days() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Quarters", &["contacts.readonly"], "").await;
    token_info(&app, &token).await;
    let quarters = || {
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM usage_quarter_hours WHERE integration_id = '{id}'"
        ))
    };
    assert!(
        eventually(10, || quarters() == 1).await,
        "the use is counted in its quarter hour"
    );
    execute(
        &app,
        &format!(
            "INSERT INTO usage_quarter_hours (integration_id, starts_at, requests, errors) \
             VALUES ('{id}', date_trunc('hour', now()) - interval '31 days', 5, 1)"
        ),
    );
    assert_eq!(quarters(), 2);
    maintenance::sweep(&mut app.db.connection()).expect("sweep");
    assert_eq!(quarters(), 1, "only the last 30 days are kept");
}
