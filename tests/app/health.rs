//! Health and readiness probes for load balancers.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_says_ok_even_before_setup() {
    let app = spawn_app().await;

    let reply = app.get("/healthz").await;

    reply.assert_status(StatusCode::OK);
    assert_eq!(reply.body.trim(), "ok");

    // Load balancers that probe with HEAD get the status without a body.
    for path in ["/healthz", "/readyz"] {
        let client = app.new_client();
        let head = client.send(client.client.head(client.url(path))).await;
        head.assert_status(StatusCode::OK);
        assert!(head.body.is_empty(), "{path}: {:?}", head.body);
    }
}

#[actix_web::test]
async fn readyz_is_200_while_the_database_answers() {
    let app = spawn_app().await;

    app.get("/readyz").await.assert_status(StatusCode::OK);
    app.setup_owner().await;
    app.new_client()
        .get("/readyz")
        .await
        .assert_status(StatusCode::OK);
}

#[actix_web::test]
async fn readyz_is_503_once_the_database_is_gone_and_healthz_still_ok() {
    let app = spawn_app().await;
    app.get("/readyz").await.assert_status(StatusCode::OK);

    app.db.drop_now();

    let started = std::time::Instant::now();
    app.get("/readyz")
        .await
        .assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "readyz took {:?} to notice the database is gone",
        started.elapsed()
    );
    let health = app.get("/healthz").await;
    health.assert_status(StatusCode::OK);
    assert_eq!(health.body.trim(), "ok");
}

/// Ends every connection the server holds to its database, as a restart of
/// PostgreSQL or an administrator would.
fn end_the_servers_connections(app: &crate::helpers::TestApp) -> i64 {
    app.db.query_count(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
}

/// How many of `n` readiness probes sent one after the other failed, and
/// whether the last ten all passed.
async fn probes(app: &crate::helpers::TestApp, n: usize) -> (usize, bool) {
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        answers.push(app.get("/readyz").await.status == StatusCode::OK);
    }
    let failed = answers.iter().filter(|ok| !**ok).count();
    (failed, answers[n - 10..].iter().all(|ok| *ok))
}

#[actix_web::test]
async fn connections_the_database_ended_are_replaced_without_failing_a_stream_of_requests() {
    let app = spawn_app().await;
    let pool = private_integrations::config::Settings::new("").db_pool_size as usize;
    // Every pooled connection in use at once, so each is open.
    futures_util::future::join_all((0..pool).map(|_| app.get("/readyz"))).await;

    // Ended while resting: each is checked before it is handed out again.
    assert!(end_the_servers_connections(&app) > 0);
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert_eq!(probes(&app, 30).await, (0, true), "after a rest");

    // Ended between busy requests: a connection back from work is handed
    // out unchecked, but one that failed is dropped, so each costs one
    // failed request at most.
    end_the_servers_connections(&app);
    let (failed, recovered) = probes(&app, 40).await;
    assert!(
        failed <= pool && recovered,
        "{failed} of 40 probes failed (pool of {pool}); the last ten all passed: {recovered}"
    );
}
