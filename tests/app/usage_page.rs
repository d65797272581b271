//! The integration page shows how it is used: requests per day, the latest
//! requests, and which granted scopes were actually used (SPEC §6, §9).

use reqwest::StatusCode;

use crate::api_support::{Api, eventually, location_of};
use crate::helpers::spawn_app;
use crate::integration_support::create_with_token;

#[actix_web::test]
async fn the_detail_page_shows_recent_requests_daily_counts_and_the_scopes_actually_used() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(
        &app,
        "Reporter",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let page = format!("/settings/private-integrations/{id}");

    let before = app.get(&page).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains("No requests yet"), "empty usage state");
    assert!(
        before
            .body
            .contains("0 requests, 0 errors in the last 14 days")
    );

    let api = Api::new(&app, &token);
    let location = location_of(&app, &token).await;
    let ok = api
        .get(&format!(
            "/v2/contacts/?locationId={location}&query=secret-ish"
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    // Another account's location: refused, so users.readonly is not "used".
    let refused = api
        .get("/v2/users/search?companyId=00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // location_of made one more request (GET /v2/token): three in all.
    assert!(
        eventually(10, || app.count("api_requests") == 3).await,
        "the usage worker records the three requests"
    );

    let body = app.get(&page).await.body;
    assert!(
        body.contains("3 requests, 1 error in the last 14 days"),
        "{body}"
    );
    assert_eq!(body.matches("class=\"request-row\"").count(), 3);
    assert!(body.contains("GET /v2/contacts"));
    assert!(body.contains("GET /v2/users/search"));
    assert!(body.contains("GET /v2/token"));
    assert!(
        !body.contains("secret-ish"),
        "query strings are never recorded or shown"
    );
    assert!(body.contains(">403<") && body.contains(">200<"));
    let last_four = &token[token.len() - 4..];
    assert!(body.contains(&format!("pit_…{last_four}")));

    let scope_item = |name: &str| {
        let start = body
            .find(&format!("data-scope=\"{name}\""))
            .unwrap_or_else(|| panic!("{name} listed"));
        body[start..start + body[start..].find("</li>").unwrap_or(0)].to_string()
    };
    assert!(scope_item("contacts.readonly").contains("Used"));
    // Granted today and not used: too soon to call it unused.
    assert!(scope_item("users.readonly").contains(">New<"));
    assert!(body.contains("<svg"), "the chart is server-rendered SVG");
    assert!(
        body.contains("3 requests, 1 error</title>"),
        "today's bar names its counts"
    );
}

#[actix_web::test]
async fn the_scopes_used_come_from_a_note_per_day_not_from_reading_every_request() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) =
        create_with_token(&app, "Busy", &["contacts.readonly", "users.readonly"], "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    for _ in 0..3 {
        let ok = api
            .get(&format!("/v2/contacts/?locationId={location}"))
            .await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    assert!(
        eventually(10, || app.count("api_requests") == 4).await,
        "the usage worker records the four requests"
    );
    assert_eq!(
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM usage_scopes WHERE integration_id = '{id}'"
        )),
        1,
        "one note for the scope and the day, however many requests"
    );

    // The log itself is not what the report reads.
    app.db.query_count(
        "WITH gone AS (DELETE FROM api_requests RETURNING 1) SELECT count(*) AS n FROM gone",
    );
    let body = app
        .get(&format!("/settings/private-integrations/{id}"))
        .await
        .body;
    let start = body
        .find("data-scope=\"contacts.readonly\"")
        .expect("contacts.readonly listed");
    let item = &body[start..start + body[start..].find("</li>").unwrap_or(0)];
    assert!(
        item.contains("Used") && !item.contains("Not used"),
        "{item}"
    );
}
