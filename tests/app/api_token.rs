//! `GET /v2/token` authentication: the 401 answers and their RFC 6750
//! headers for every way a token can be missing or wrong.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;

use crate::helpers::{Reply, TestApp, spawn_app};
use crate::integration_support::{act, create_with_token, json, token_info};

async fn with_authorization(app: &TestApp, value: HeaderValue) -> Reply {
    let client = app.new_client();
    client
        .send(
            client
                .client
                .get(client.url("/v2/token"))
                .header("Authorization", value),
        )
        .await
}

/// Asserts HighLevel's 401 body.
#[track_caller]
fn assert_unauthorized_body(what: &str, reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.body
    );
    let body = json(reply);
    assert_eq!(body["statusCode"], 401, "{what}: {body}");
    assert_eq!(body["error"], "Unauthorized", "{what}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
}

/// `token` with the character at `at` replaced by a different alphanumeric.
fn flip(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[actix_web::test]
async fn no_authorization_header_gets_a_bare_bearer_challenge() {
    let app = spawn_app().await;

    let client = app.new_client();
    let reply = client.get("/v2/token").await;

    assert_unauthorized_body("no header", &reply);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
}

#[actix_web::test]
async fn malformed_or_unknown_tokens_get_invalid_token_never_a_server_error() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Real", &["contacts.readonly"], "").await;
    let (gone_id, gone) = create_with_token(&app, "Gone", &["contacts.readonly"], "").await;
    act(&app, &gone_id, "/delete", &[])
        .await
        .assert_redirect_to("/settings/private-integrations");
    let bearer = |t: &str| HeaderValue::from_str(&format!("Bearer {t}")).expect("header value");

    let mut cases: Vec<(&str, HeaderValue)> = vec![
        ("empty bearer", HeaderValue::from_static("Bearer ")),
        ("bare scheme", HeaderValue::from_static("Bearer")),
        ("prefix only", bearer("pit_")),
        ("flipped body character", bearer(&flip(&token, 10))),
        ("flipped checksum character", bearer(&flip(&token, 50))),
        ("lower-cased", bearer(&token.to_lowercase())),
        ("10 KB", bearer(&format!("pit_{}", "a".repeat(10 * 1024)))),
        (
            "non-ASCII",
            HeaderValue::from_bytes(format!("Bearer {}é", &token[..51]).as_bytes())
                .expect("obs-text header value"),
        ),
        ("deleted integration's token", bearer(&gone)),
    ];
    if token.to_lowercase() == token {
        cases.retain(|(what, _)| *what != "lower-cased");
    }

    for (what, value) in cases {
        let reply = with_authorization(&app, value).await;
        assert_unauthorized_body(what, &reply);
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with(r#"Bearer realm="api""#)
                && challenge.contains(r#"error="invalid_token""#),
            "{what}: WWW-Authenticate {challenge:?}"
        );
    }
    // Another scheme, or an empty header, carries no bearer token at all:
    // the bare challenge, with no error code (RFC 6750 §3.1).
    for (what, value) in [
        (
            "Basic scheme",
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        ),
        ("Token scheme", HeaderValue::from_static("Token abc")),
        ("empty header", HeaderValue::from_static("")),
    ] {
        let reply = with_authorization(&app, value).await;
        assert_unauthorized_body(what, &reply);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#),
            "{what}"
        );
    }
    // Two credentials are refused, whichever order they come in.
    for pair in [
        [token.clone(), "garbage".into()],
        ["garbage".into(), token.clone()],
    ] {
        let client = app.new_client();
        let mut request = client.client.get(client.url("/v2/token"));
        for t in &pair {
            request = request.header("Authorization", bearer(t));
        }
        let reply = client.send(request).await;
        assert_unauthorized_body("two Authorization headers", &reply);
    }
    // The real token still works after all that.
    token_info(&app, &token).await;
}

#[actix_web::test]
async fn the_token_route_answers_with_a_trailing_slash_too() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Slashed", &["users.readonly"], "").await;

    let client = app.new_client();
    let reply = client
        .send(
            client
                .client
                .get(client.url("/v2/token/"))
                .bearer_auth(&token),
        )
        .await;

    reply.assert_status(StatusCode::OK);
    let body = json(&reply);
    assert_eq!(body, token_info(&app, &token).await);
    assert_eq!(body["integration"]["id"], id.as_str());

    let anonymous = client.get("/v2/token/").await;
    assert_unauthorized_body("no header, trailing slash", &anonymous);
}
