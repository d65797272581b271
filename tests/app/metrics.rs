//! `GET /metrics`: the usage that could not be recorded, for a scraper on
//! the same machine only, without a session or the database.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use reqwest::StatusCode;

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};
use crate::integration_support::{create_with_token, whoami};

async fn scrape(app: &TestApp) -> Reply {
    app.new_client().get("/metrics").await
}

/// The value of `metric` in a scrape, which must be there.
fn value_of(reply: &Reply, metric: &str) -> u64 {
    reply
        .body
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{metric} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {metric} in:\n{}", reply.body))
}

#[actix_web::test]
async fn a_scraper_on_this_machine_reads_the_usage_counters_without_a_session_or_the_database() {
    let app = spawn_app().await;

    let reply = scrape(&app).await;

    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(
        reply
            .body
            .contains("# TYPE usage_records_lost_total counter\n"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("# TYPE usage_records_queued gauge\n"));
    assert_eq!(value_of(&reply, "usage_records_lost_total"), 0);
    assert_eq!(value_of(&reply, "usage_records_queued"), 0);

    app.db.drop_now();
    let started = Instant::now();
    scrape(&app).await.assert_status(StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited on the database"
    );
}

#[actix_web::test]
async fn usage_the_database_refuses_is_counted_as_lost() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "CRM sync", &["contacts.readonly"], "").await;
    diesel::sql_query(
        "ALTER TABLE api_requests ADD CONSTRAINT refuses_token_checks CHECK (route <> '/v2/token')",
    )
    .execute(&mut app.db.connection())
    .unwrap();

    whoami(&app, &token).await.assert_status(StatusCode::OK);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = scrape(&app).await;
        reply.assert_status(StatusCode::OK);
        if value_of(&reply, "usage_records_lost_total") == 1 {
            assert_eq!(value_of(&reply, "usage_records_queued"), 0);
            break;
        }
        assert!(Instant::now() < deadline, "never counted:\n{}", reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_request_a_proxy_forwards_gets_a_plain_404_whatever_address_it_names() {
    // Even with the proxy trusted, and naming a loopback client.
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let client = app.new_client();

    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-for", "127.0.0.1"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        let reply = client
            .send(
                client
                    .client
                    .get(client.url("/metrics"))
                    .header(name, value),
            )
            .await;
        reply.assert_status(StatusCode::NOT_FOUND);
        assert!(
            !reply.body.contains("usage_records"),
            "{name}: {value}: {}",
            reply.body
        );
    }
}
