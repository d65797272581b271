//! Self-rotation by API (SPEC §9): `POST /v2/token/rotate` with
//! `{"expireOldInSeconds": N}` answers a new token once; the old one dies at
//! once for 0 and keeps working for N seconds otherwise; audited.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{Api, assert_names_field, ok_json};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{
    api_status, assert_expires_in, create_with_token, expires_in_days, find_tokens, token_info,
};

/// Rotates `token`; the answer's body.
async fn rotate(app: &TestApp, token: &str, seconds: i64) -> Value {
    let reply = Api::new(app, token)
        .post("/v2/token/rotate", &json!({"expireOldInSeconds": seconds}))
        .await;
    let body = ok_json(&format!("rotate {seconds}"), &reply, StatusCode::OK);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let new = body["token"].as_str().expect("a token").to_string();
    assert_eq!(find_tokens(&new), vec![new.clone()], "token format");
    assert_ne!(new, token);
    body
}

fn rotations(app: &TestApp, id: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events \
         WHERE action = 'token.rotated' AND integration_id = '{id}'"
    ))
}

#[actix_web::test]
async fn rotating_with_no_grace_kills_the_old_token_at_once_and_is_audited() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Vault", &["contacts.readonly"], "").await;
    let before = token_info(&app, &old).await;

    let body = rotate(&app, &old, 0).await;
    assert!(body.get("expiresAt").is_none(), "no lifetime: {body}");
    let new = body["token"].as_str().expect("token");

    assert_eq!(api_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    let after = token_info(&app, new).await;
    assert_eq!(after["integration"], before["integration"]);
    assert_eq!(after["scopes"], before["scopes"]);
    assert_eq!(rotations(&app, &id), 1);
    let revoked = app.db.query_count(&format!(
        "SELECT count(*) AS n FROM access_tokens WHERE integration_id = '{id}' \
         AND revoked_at IS NOT NULL"
    ));
    assert_eq!(revoked, 1);
}

#[actix_web::test]
async fn rotating_with_a_grace_keeps_the_old_token_working_until_it_ends() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Vault", &["users.readonly"], "").await;

    let first = rotate(&app, &old, 3600).await;
    let new = first["token"].as_str().expect("token").to_string();
    assert_eq!(api_status(&app, &old).await, StatusCode::OK, "in its grace");
    assert_expires_in(&token_info(&app, &old).await, 3600.0 / 86_400.0);
    assert!(expires_in_days(&token_info(&app, &new).await).is_none());

    // The old token, in its grace period, cannot rotate again (409); the
    // new one can, briefly.
    let again = Api::new(&app, &old)
        .post("/v2/token/rotate", &json!({"expireOldInSeconds": 0}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let second = rotate(&app, &new, 2).await;
    let newest = second["token"].as_str().expect("token").to_string();
    assert_eq!(api_status(&app, &new).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        api_status(&app, &new).await,
        StatusCode::UNAUTHORIZED,
        "grace over"
    );
    assert_eq!(api_status(&app, &newest).await, StatusCode::OK);
    assert_eq!(rotations(&app, &id), 2);
}

#[actix_web::test]
async fn a_rotated_token_gets_the_integrations_lifetime_and_out_of_range_graces_are_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Vault", &["contacts.readonly"], "30").await;

    for (body, field) in [
        (json!({"expireOldInSeconds": 604_801}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": -5}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": 1.5}), "expireOldInSeconds"),
        (json!({"expireIn": 5}), "expireIn"),
    ] {
        let reply = Api::new(&app, &token).post("/v2/token/rotate", &body).await;
        assert_names_field(&format!("rotate {body}"), &reply, field);
    }
    assert_eq!(app.count("access_tokens"), 1, "nothing was issued");

    let body = rotate(&app, &token, 604_800).await;
    assert_expires_in(&body, 30.0);
    let new = body["token"].as_str().expect("token");
    assert_expires_in(&token_info(&app, new).await, 30.0);
    assert_expires_in(&token_info(&app, &token).await, 7.0);
}
