//! Usage is never dropped: a batch the database cannot take yet is written
//! once it can, however long the usage table stays out of reach.

use std::time::Duration;

use reqwest::StatusCode;

use crate::api_support::{Api, eventually, insert_contact};
use crate::helpers::spawn_app_with;
use crate::integration_support::{create_with_token, texts};

#[actix_web::test]
async fn requests_answered_while_the_usage_table_is_locked_are_all_recorded_afterwards() {
    let app = spawn_app_with(|s| s.db_statement_timeout_seconds = 1).await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Patient", &["contacts.readonly"], "").await;
    let account = texts(
        &app,
        &format!("SELECT account_id::text AS s FROM integrations WHERE id = '{id}'"),
    )
    .remove(0);
    let contact = insert_contact(&app, &account, "Waited");
    let api = Api::new(&app, &token);
    let rows = format!("SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}'");

    // Every insert into api_requests now waits for the lock and is cancelled
    // by the one-second statement timeout, again and again.
    let lock = app.db.lock_table("api_requests");
    let calls = 20;
    for _ in 0..calls {
        let reply = api.get(&format!("/v2/contacts/{contact}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    // Long enough for several writes to time out.
    tokio::time::sleep(Duration::from_secs(4)).await;
    lock.release();

    let all_there = eventually(15, || app.db.query_count(&rows) >= calls).await;
    assert!(
        all_there,
        "only {} of {calls} requests recorded",
        app.db.query_count(&rows)
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        app.db.query_count(&rows),
        calls,
        "no request recorded twice"
    );
    let daily = format!(
        "SELECT coalesce(sum(requests), 0)::bigint AS n FROM usage_daily WHERE integration_id = '{id}'"
    );
    assert_eq!(app.db.query_count(&daily), calls, "daily counts too");
}

#[actix_web::test]
async fn with_usage_recording_switched_off_for_a_benchmark_nothing_is_recorded() {
    let app = crate::helpers::spawn_app_with(|s| s.usage_recording = false).await;
    app.setup_owner().await;
    let (_, token) =
        crate::integration_support::create_with_token(&app, "Quiet", &["contacts.readonly"], "")
            .await;
    for _ in 0..5 {
        assert_eq!(
            crate::integration_support::api_status(&app, &token).await,
            reqwest::StatusCode::OK
        );
    }
    // Longer than the writer's flush interval.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(app.count("api_requests"), 0);
}
