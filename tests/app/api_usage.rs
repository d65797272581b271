//! API usage: one `api_requests` row per request with a known token (route
//! pattern, never the query string), per-day counts in `usage_daily`, and
//! the token's `last_used_at`, written at most about once a minute.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_support::{Api, eventually, insert_contact};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{act, create_with_token, second_instance, texts};

fn one(app: &TestApp, sql: &str) -> String {
    let mut rows = texts(app, sql);
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows.remove(0)
}

/// `last_used_at` of the token, or `-`.
fn last_used(app: &TestApp, token_id: &str) -> String {
    one(
        app,
        &format!(
            "SELECT coalesce(last_used_at::text, '-') || ' ' || coalesce(last_used_ip, '-') AS s \
             FROM access_tokens WHERE id = '{token_id}'"
        ),
    )
}

/// Waits until the integration has exactly `n` rows in `api_requests`.
async fn wait_for_rows(app: &TestApp, id: &str, n: i64) {
    let sql = format!("SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}'");
    let done = eventually(10, || app.db.query_count(&sql) >= n).await;
    assert!(
        done,
        "only {} of {n} requests recorded",
        app.db.query_count(&sql)
    );
    // A late duplicate would show up by now.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(app.db.query_count(&sql), n, "rows recorded");
}

#[actix_web::test]
async fn a_burst_leaves_one_usage_row_per_request_daily_counts_and_a_last_use() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Metered", &["contacts.readonly"], "").await;
    let token_id = one(
        &app,
        &format!("SELECT id::text AS s FROM access_tokens WHERE integration_id = '{id}'"),
    );
    let location = one(
        &app,
        &format!("SELECT account_id::text AS s FROM integrations WHERE id = '{id}'"),
    );
    let contact = insert_contact(&app, &location, "Counted");
    assert_eq!(last_used(&app, &token_id), "- -", "unused so far");
    let api = Api::new(&app, &token);
    let unknown = uuid::Uuid::new_v4();

    let mut statuses = vec![
        api.get(&format!("/v2/contacts/{contact}")).await.status,
        api.get(&format!("/v2/contacts/{contact}")).await.status,
        api.get(&format!("/v2/contacts/{contact}/?fields=all"))
            .await
            .status,
        api.get(&format!(
            "/v2/contacts/?locationId={location}&limit=5&query=count"
        ))
        .await
        .status,
        api.post("/v2/contacts/", &json!({"locationId": location}))
            .await
            .status,
        api.post("/v2/contacts", &json!({"locationId": location}))
            .await
            .status,
        api.get(&format!("/v2/users/?locationId={location}"))
            .await
            .status,
        api.get(&format!("/v2/contacts/{unknown}")).await.status,
    ];
    act(&app, &id, &format!("/tokens/{token_id}/expire"), &[])
        .await
        .assert_redirect_to(&format!("/settings/private-integrations/{id}"));
    statuses.push(api.get("/v2/token").await.status);
    statuses.push(api.get("/v2/token?verbose=1").await.status);
    let codes: Vec<u16> = statuses.iter().map(StatusCode::as_u16).collect();
    // `fields` is no parameter of the route: 422, recorded all the same.
    assert_eq!(codes, [200, 200, 422, 200, 403, 403, 403, 404, 401, 401]);

    wait_for_rows(&app, &id, 10).await;
    let mut rows = texts(
        &app,
        &format!(
            "SELECT method || ' ' || route || ' ' || status || ' ' || ip || ' ' \
             || coalesce(token_id::text, '-') || ' ' || coalesce(scope, '-') AS s \
             FROM api_requests WHERE integration_id = '{id}' AND account_id = '{location}' \
             AND duration_ms >= 0"
        ),
    );
    // `/v2/contacts/` and `/v2/contacts` may be one route in reports.
    for row in &mut rows {
        *row = row.replacen("/v2/contacts/ ", "/v2/contacts ", 1).replacen(
            "/v2/users/ ",
            "/v2/users ",
            1,
        );
    }
    let row = |method: &str, route: &str, status: u16, scope: &str| {
        format!("{method} {route} {status} 127.0.0.1 {token_id} {scope}")
    };
    let one_contact = "/v2/contacts/{contactId}";
    let mut expected = vec![
        row("GET", one_contact, 200, "contacts.readonly"),
        row("GET", one_contact, 200, "contacts.readonly"),
        row("GET", one_contact, 422, "contacts.readonly"),
        row("GET", "/v2/contacts", 200, "contacts.readonly"),
        row("POST", "/v2/contacts", 403, "contacts.write"),
        row("POST", "/v2/contacts", 403, "contacts.write"),
        row("GET", "/v2/users", 403, "users.readonly"),
        row("GET", one_contact, 404, "contacts.readonly"),
        row("GET", "/v2/token", 401, "-"),
        row("GET", "/v2/token", 401, "-"),
    ];
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected);

    let daily = |column: &str| {
        app.db.query_count(&format!(
            "SELECT coalesce(sum({column}), 0)::bigint AS n FROM usage_daily \
             WHERE integration_id = '{id}'"
        ))
    };
    assert_eq!((daily("requests"), daily("errors")), (10, 7));
    let today = app.db.query_count(&format!(
        "SELECT count(*) AS n FROM usage_daily WHERE integration_id = '{id}' \
         AND day = (now() AT TIME ZONE 'UTC')::date"
    ));
    assert_eq!(today, 1, "counted on today's UTC row");

    let used = last_used(&app, &token_id);
    assert!(used.ends_with(" 127.0.0.1"), "last use: {used}");
    let recent = app.db.query_count(&format!(
        "SELECT count(*) AS n FROM access_tokens WHERE id = '{token_id}' \
         AND last_used_at > now() - interval '1 minute'"
    ));
    assert_eq!(recent, 1, "last use is recent: {used}");
}

#[actix_web::test]
async fn last_used_at_is_written_at_most_once_a_minute_per_instance_and_then_moves() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Metered", &["users.readonly"], "").await;
    let token_id = one(
        &app,
        &format!("SELECT id::text AS s FROM access_tokens WHERE integration_id = '{id}'"),
    );
    let api = Api::new(&app, &token);
    assert_eq!(last_used(&app, &token_id), "- -");

    api.get("/v2/token").await.assert_status(StatusCode::OK);
    wait_for_rows(&app, &id, 1).await;
    assert_ne!(last_used(&app, &token_id), "- -", "set after the first use");

    // Within the minute the same instance does not write it again.
    crate::integration_support::execute(
        &app,
        &format!(
            "UPDATE access_tokens SET last_used_at = now() - interval '10 minutes' \
             WHERE id = '{token_id}'"
        ),
    );
    let stale = format!(
        "SELECT count(*) AS n FROM access_tokens WHERE id = '{token_id}' \
         AND last_used_at < now() - interval '5 minutes'"
    );
    api.get("/v2/token").await.assert_status(StatusCode::OK);
    wait_for_rows(&app, &id, 2).await;
    assert_eq!(
        app.db.query_count(&stale),
        1,
        "{}",
        last_used(&app, &token_id)
    );

    // A request answered by another instance moves it.
    let other = second_instance(&app).await;
    let reply = other
        .send(other.client.get(other.url("/v2/token")).bearer_auth(&token))
        .await;
    reply.assert_status(StatusCode::OK);
    let sql = format!(
        "SELECT count(*) AS n FROM access_tokens WHERE id = '{token_id}' \
         AND last_used_at > now() - interval '1 minute'"
    );
    let moved = eventually(10, || app.db.query_count(&sql) == 1).await;
    assert!(
        moved,
        "last use did not move: {}",
        last_used(&app, &token_id)
    );
}

/// Batches reach the database in no set order (two instances, or a slow
/// request written after a quicker one): an earlier use never moves a
/// token's last use back, nor its address.
#[actix_web::test]
async fn an_earlier_use_written_late_does_not_move_the_last_use_back() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Ordered", &["users.readonly"], "").await;
    let token_id = one(
        &app,
        &format!("SELECT id::text AS s FROM access_tokens WHERE integration_id = '{id}'"),
    );
    // A later use, as another instance's batch would have left it.
    crate::integration_support::execute(
        &app,
        &format!(
            "UPDATE access_tokens SET last_used_at = now() + interval '1 hour', \
             last_used_ip = '198.51.100.7' WHERE id = '{token_id}'"
        ),
    );
    let later = last_used(&app, &token_id);

    Api::new(&app, &token)
        .get("/v2/token")
        .await
        .assert_status(StatusCode::OK);
    wait_for_rows(&app, &id, 1).await;

    assert_eq!(last_used(&app, &token_id), later);
}

#[actix_web::test]
async fn a_request_no_route_serves_is_recorded_against_its_known_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Lost", &["contacts.readonly"], "").await;
    let api = Api::new(&app, &token);

    let missing = api.get("/v2/no-such-thing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let wrong_method = api
        .call(reqwest::Method::PATCH, "/v2/contacts/search", None)
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    // A token nobody knows leaves no row.
    let stranger = Api::new(&app, &format!("pit_{}", "A".repeat(49)));
    assert_eq!(
        stranger.get("/v2/no-such-thing").await.status,
        StatusCode::NOT_FOUND
    );

    wait_for_rows(&app, &id, 2).await;
    let rows = texts(
        &app,
        &format!(
            "SELECT method || ' ' || status || ' ' || outcome AS s FROM api_requests \
             WHERE integration_id = '{id}' ORDER BY status"
        ),
    );
    assert_eq!(rows, ["GET 404 used", "PATCH 405 used"]);
}
