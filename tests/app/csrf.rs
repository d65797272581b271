//! Cross-site request forgery: every POST needs the session's token and no
//! foreign `Origin`.

use reqwest::StatusCode;

use crate::helpers::{OWNER_ACCOUNT, OWNER_EMAIL, OWNER_PASSWORD, excerpt, spawn_app};

const EVIL_ORIGIN: &str = "https://evil.example";

fn setup_fields(token: Option<&str>) -> Vec<(&str, &str)> {
    let mut fields = vec![
        ("account_name", OWNER_ACCOUNT),
        ("email", OWNER_EMAIL),
        ("password", OWNER_PASSWORD),
        ("password_confirmation", OWNER_PASSWORD),
    ];
    if let Some(token) = token {
        fields.push(("csrf_token", token));
    }
    fields
}

#[actix_web::test]
async fn setup_without_a_valid_token_creates_no_user() {
    let app = spawn_app().await;
    let token = app.csrf_token("/setup").await;
    let wrong = format!("{token}x");

    app.post_form("/setup", &setup_fields(None))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_form("/setup", &setup_fields(Some(&wrong)))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_form("/setup", &setup_fields(Some("")))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("accounts"), 0);
    // The right token still works afterwards.
    app.post_form("/setup", &setup_fields(Some(&token)))
        .await
        .assert_redirect_to("/settings");
    assert_eq!(app.count("users"), 1);
}

#[actix_web::test]
async fn setup_from_a_foreign_origin_is_refused_even_with_the_token() {
    let app = spawn_app().await;
    let token = app.csrf_token("/setup").await;

    let reply = app
        .send(
            app.form_request("/setup", &setup_fields(Some(&token)))
                .header("Origin", EVIL_ORIGIN),
        )
        .await;

    reply.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("accounts"), 0);
}

#[actix_web::test]
async fn logout_without_a_valid_token_leaves_you_signed_in() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let token = app.csrf_token("/settings").await;
    let sessions = app.count("sessions");

    app.post_form("/logout", &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_form("/logout", &[("csrf_token", "not-the-token")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_form("/logout", &[("csrf_token", &format!("{token}A"))])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let foreign = app
        .send(
            app.form_request("/logout", &[("csrf_token", &token)])
                .header("Origin", EVIL_ORIGIN),
        )
        .await;
    foreign.assert_status(StatusCode::FORBIDDEN);

    assert!(
        app.is_signed_in().await,
        "a refused logout signed the user out"
    );
    assert_eq!(app.count("sessions"), sessions);
}

#[actix_web::test]
async fn login_without_a_token_signs_nobody_in() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();
    // Give the browser a session (and so a token of its own) first.
    let _ = browser.csrf_token("/login").await;

    let reply = browser
        .post_form(
            "/login",
            &[("email", &owner.email), ("password", &owner.password)],
        )
        .await;

    reply.assert_status(StatusCode::FORBIDDEN);
    assert!(!browser.is_signed_in().await);
}

#[actix_web::test]
async fn a_token_from_another_session_is_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let attacker = app.new_client();
    let attackers_token = attacker.csrf_token("/login").await;

    let reply = app
        .post_form("/logout", &[("csrf_token", &attackers_token)])
        .await;

    reply.assert_status(StatusCode::FORBIDDEN);
    assert!(app.is_signed_in().await);
}

#[actix_web::test]
async fn a_token_can_be_used_again_in_the_same_session() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();
    let token = browser.csrf_token("/login").await;

    // Two failed attempts (a double submit), then the right password, all
    // with the one token from the page.
    for _ in 0..2 {
        let reply = browser
            .post_form(
                "/login",
                &[
                    ("email", &owner.email),
                    ("password", "a wrong password here"),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            excerpt(&reply.body)
        );
    }
    browser
        .post_form(
            "/login",
            &[
                ("email", &owner.email),
                ("password", &owner.password),
                ("csrf_token", &token),
            ],
        )
        .await
        .assert_redirect_to("/settings");
    assert!(browser.is_signed_in().await);
}

#[actix_web::test]
async fn a_post_from_the_apps_own_origin_is_accepted() {
    // Browsers send `Origin` on every form POST: the panel's own must pass.
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();
    let token = browser.csrf_token("/login").await;
    let own_origin = format!("http://127.0.0.1:{}", app.port);

    let reply = browser
        .send(
            browser
                .form_request(
                    "/login",
                    &[
                        ("email", &owner.email),
                        ("password", &owner.password),
                        ("csrf_token", &token),
                    ],
                )
                .header("Origin", own_origin),
        )
        .await;

    reply.assert_redirect_to("/settings");
    assert!(browser.is_signed_in().await);
}
