//! Health and readiness probes for load balancers.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_says_ok_even_before_setup() {
    let app = spawn_app().await;

    let reply = app.get("/healthz").await;

    reply.assert_status(StatusCode::OK);
    assert_eq!(reply.body.trim(), "ok");
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
