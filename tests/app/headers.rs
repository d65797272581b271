//! Security headers on every response, and the session cookie's attributes.

use reqwest::StatusCode;

use crate::helpers::{FORM_COOKIE, Reply, SESSION_COOKIE, TestApp, spawn_app, spawn_app_with};
use crate::integration_support::create_with_token;
use private_integrations::config::SecretBytes;

#[track_caller]
fn assert_security_headers(what: &str, reply: &Reply) {
    let csp = reply.header("content-security-policy");
    assert!(
        csp.is_some_and(|v| !v.trim().is_empty()),
        "{what}: Content-Security-Policy missing ({:?})",
        reply.headers
    );
    for (name, expected) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(
            reply.header(name).map(str::to_ascii_lowercase),
            Some(expected.to_ascii_lowercase()),
            "{what}: header {name}"
        );
    }
}

#[actix_web::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;

    let setup = app.get("/setup").await;
    setup.assert_status(StatusCode::OK);
    assert_security_headers("GET /setup before setup", &setup);
    let redirect = app.get("/login").await;
    redirect.assert_redirect_to("/setup");
    assert_security_headers("redirect to /setup", &redirect);

    app.setup_owner().await;
    let anonymous = app.new_client();

    let login = anonymous.get("/login").await;
    login.assert_status(StatusCode::OK);
    assert_security_headers("GET /login", &login);

    let redirect = anonymous.get("/settings").await;
    redirect.assert_redirect_to("/login?next=%2Fsettings");
    assert_security_headers("anonymous GET /settings", &redirect);

    let failed = anonymous
        .login("owner@acme.test", "wrong password number")
        .await;
    failed.assert_status(StatusCode::UNAUTHORIZED);
    assert_security_headers("failed login", &failed);

    let refused = anonymous.post_form("/login", &[]).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert_security_headers("POST without a CSRF token", &refused);

    let settings = app.get("/settings").await;
    settings.assert_status(StatusCode::OK);
    assert_security_headers("GET /settings", &settings);

    let missing = app.get("/settings/no-such-page").await;
    missing.assert_status(StatusCode::NOT_FOUND);
    assert_security_headers("a 404", &missing);

    let health = app.get("/healthz").await;
    health.assert_status(StatusCode::OK);
    assert_security_headers("GET /healthz", &health);
}

#[actix_web::test]
async fn the_session_form_and_reveal_cookies_are_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let browser = app.new_client();

    let form = browser.get("/login").await;
    let login = browser
        .login("owner@acme.test", crate::helpers::OWNER_PASSWORD)
        .await;
    login.assert_redirect_to("/settings");
    let created = browser
        .submit(
            "/settings/private-integrations/new",
            "/settings/private-integrations",
            &[("name", "Cookies"), ("scopes", "contacts.readonly")],
        )
        .await;

    for (what, reply, name) in [
        ("GET /login", &form, FORM_COOKIE),
        ("POST /login", &login, SESSION_COOKIE),
        ("POST a new integration", &created, "pi_reveal"),
    ] {
        let cookie = reply
            .set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{what} sets no {name} cookie: {:?}", reply.set_cookies));
        let attributes: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(
            attributes.iter().any(|a| a == "httponly"),
            "{what}: not HttpOnly: {cookie}"
        );
        assert!(
            attributes.iter().any(|a| a == "samesite=lax"),
            "{what}: not SameSite=Lax: {cookie}"
        );
    }
}

#[actix_web::test]
async fn signed_in_pages_are_never_cached() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Cached", &["contacts.readonly"], "").await;

    for path in [
        "/settings".to_string(),
        "/settings/private-integrations".to_string(),
        "/settings/private-integrations/new".to_string(),
        format!("/settings/private-integrations/{id}"),
        format!("/settings/private-integrations/{id}/edit"),
        "/settings/api-keys".to_string(),
        "/settings/no-such-page".to_string(),
    ] {
        let reply = app.get(&path).await;
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "GET {path} ({})",
            reply.status
        );
    }
    let signed_out = app.logout().await;
    signed_out.assert_redirect_to("/login");
    assert_eq!(signed_out.header("cache-control"), Some("no-store"));
}

/// Every kind of response: pages signed in and not, the API v2 and v1,
/// static files and probes.
async fn every_kind_of_response(app: &TestApp) -> Vec<(String, Reply)> {
    let (_, token) = create_with_token(app, "Headers", &["contacts.readonly"], "").await;
    let api = app.new_client();
    let mut replies = Vec::new();
    for path in [
        "/settings",
        "/settings/no-such-page",
        "/static/css/app.css",
        "/healthz",
        "/readyz",
    ] {
        replies.push((format!("GET {path}"), app.get(path).await));
    }
    replies.push(("GET /login".into(), api.get("/login").await));
    // Refused by a middleware rather than a handler.
    let forged = app
        .post_form(
            "/settings/private-integrations",
            &[("csrf_token", "forged"), ("name", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    replies.push(("POST with a forged CSRF token".into(), forged));
    let huge = "x".repeat(300 * 1024);
    let too_large = app
        .post_form("/settings/private-integrations", &[("name", huge.as_str())])
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    replies.push(("POST of a form too large".into(), too_large));
    replies.push((
        "GET /v2/token".into(),
        api.send(api.client.get(api.url("/v2/token")).bearer_auth(&token))
            .await,
    ));
    replies.push(("GET /v2/token, no token".into(), api.get("/v2/token").await));
    replies.push((
        "GET /v1/contacts, no key".into(),
        api.get("/v1/contacts").await,
    ));
    replies
}

#[actix_web::test]
async fn with_an_https_public_url_every_response_sends_strict_transport_security() {
    let app = spawn_app_with(|s| {
        s.public_url = Some("https://panel.example".into());
        s.session_key = Some(SecretBytes::new(vec![7; 64]));
        // The test client talks plain http to the server behind the proxy.
        s.cookie_secure = Some(false);
    })
    .await;
    app.setup_owner().await;

    for (what, reply) in every_kind_of_response(&app).await {
        let hsts = reply
            .header("strict-transport-security")
            .unwrap_or_default();
        assert!(
            hsts.contains("max-age=31536000"),
            "{what} ({}): {hsts:?}",
            reply.status
        );
    }
}

#[actix_web::test]
async fn over_plain_http_no_response_sends_strict_transport_security() {
    let app = spawn_app().await;
    app.setup_owner().await;

    for (what, reply) in every_kind_of_response(&app).await {
        assert_eq!(reply.header("strict-transport-security"), None, "{what}");
    }
}
