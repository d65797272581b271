//! The API v2 rate limit: `RateLimit-*` headers on every response, 429 with
//! `Retry-After` past the burst, counted per integration.

use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_support::{ALL_SCOPES, Api, Auth, assert_error, location_of, rate_headers, send};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::integration_support::create_with_token;

#[actix_web::test]
async fn every_v2_response_carries_the_rate_limit_headers_whatever_its_status() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Headers", &["contacts.readonly"], "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    let unknown = uuid::Uuid::new_v4();
    let bad = HeaderValue::from_static("Bearer pit_nope");
    let client = app.new_client();

    let replies = vec![
        ("200", api.get("/v2/token").await),
        (
            "200 list",
            api.get(&format!("/v2/contacts?locationId={location}"))
                .await,
        ),
        ("401 no token", client.get("/v2/token").await),
        (
            "401 bad token",
            send(&client, Auth::Raw(&bad), Method::GET, "/v2/token", None).await,
        ),
        ("403 scope", api.get("/v2/users/?locationId=x").await),
        ("403 location", api.get("/v2/contacts/?locationId=x").await),
        (
            "404 contact",
            api.get(&format!("/v2/contacts/{unknown}")).await,
        ),
        ("404 route", api.get("/v2/no-such-route").await),
        (
            "404 route, anonymous",
            client.get("/v2/no-such-route").await,
        ),
        (
            "400",
            api.raw(Method::POST, "/v2/contacts/search", "{").await,
        ),
        (
            "422",
            api.post("/v2/contacts/search", &json!({"oops": 1})).await,
        ),
        ("openapi", client.get("/v2/openapi.json").await),
    ];
    for (what, reply) in &replies {
        let (limit, remaining, reset) = rate_headers(what, reply);
        assert_eq!(limit, 100, "{what}: the default burst");
        assert!(remaining < limit, "{what}: remaining {remaining}");
        assert!((1..=10).contains(&reset), "{what}: reset {reset}");
        assert!(reply.status != StatusCode::TOO_MANY_REQUESTS, "{what}");
    }
    // The integration's own count went down with each of its requests.
    let remaining: Vec<u64> = [&replies[0].1, &replies[1].1]
        .iter()
        .map(|r| rate_headers("own", r).1)
        .collect();
    assert!(remaining[1] < remaining[0], "{remaining:?}");
}

#[actix_web::test]
async fn past_the_burst_an_integration_gets_429_with_retry_after_until_the_window_ends() {
    let app = spawn_app_with(|s| {
        s.api_rate_limit_burst = 5;
        s.api_rate_limit_window_seconds = 3;
    })
    .await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Busy", &ALL_SCOPES, "").await;
    let (_, quiet_token) = create_with_token(&app, "Quiet", &ALL_SCOPES, "").await;
    let api = Api::new(&app, &token);

    let mut remaining = Vec::new();
    for i in 0..5 {
        let reply = api.get("/v2/token").await;
        reply.assert_status(StatusCode::OK);
        let (limit, left, reset) = rate_headers(&format!("request {i}"), &reply);
        assert_eq!(limit, 5);
        assert!((1..=3).contains(&reset), "reset {reset}");
        remaining.push(left);
    }
    assert_eq!(remaining, vec![4, 3, 2, 1, 0]);

    let refused = api.get("/v2/contacts/?locationId=whatever").await;
    assert_error("past the burst", &refused, StatusCode::TOO_MANY_REQUESTS);
    let (limit, left, reset) = rate_headers("429", &refused);
    assert_eq!((limit, left), (5, 0));
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric Retry-After: {:?}", refused.headers));
    assert!((1..=3).contains(&retry_after), "Retry-After {retry_after}");
    assert!(reset <= 3);

    // Another integration has its own budget.
    let quiet = Api::new(&app, &quiet_token);
    quiet.get("/v2/token").await.assert_status(StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(retry_after * 1000 + 200)).await;
    let reply = api.get("/v2/token").await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(rate_headers("after the window", &reply).1, 4);
}

#[actix_web::test]
async fn a_request_past_the_integrations_burst_is_a_refusal_its_address_pays_for_too() {
    let app = spawn_app_with(|s| {
        s.api_rate_limit_burst = 3;
        s.api_rate_limit_window_seconds = 600;
    })
    .await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Busy", &ALL_SCOPES, "").await;
    let api = Api::new(&app, &token);
    for _ in 0..3 {
        api.get("/v2/token").await.assert_status(StatusCode::OK);
    }
    for _ in 0..2 {
        let refused = api.get("/v2/token").await;
        assert_error("past the burst", &refused, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(rate_headers("429", &refused).1, 0, "the integration's");
    }

    // The address's own budget: two of its three went on those refusals.
    let stranger = Api::new(&app, "pit_not_a_token");
    let reply = stranger.get("/v2/token").await;
    assert_error("a bad token", &reply, StatusCode::UNAUTHORIZED);
    assert_eq!(rate_headers("401", &reply).1, 0, "{:?}", reply.headers);
    let reply = stranger.get("/v2/token").await;
    assert_error(
        "past the address's burst",
        &reply,
        StatusCode::TOO_MANY_REQUESTS,
    );
}
