//! After signing in, people return to the page they asked for (`next`), and
//! a form posted after the session ended changes nothing and returns to the
//! page it came from.

use reqwest::StatusCode;

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, excerpt, extract_csrf_token, spawn_app};
use crate::integration_support::{create_with_token, integration_path};

fn sign_in_url(next: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login?next={encoded}")
}

#[actix_web::test]
async fn signing_in_returns_to_the_page_asked_for() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let browser = app.new_client();
    let asked = "/settings/audit-log?action=user.login&x=1";

    let sent = browser.get(asked).await;
    sent.assert_redirect_to(&sign_in_url(asked));
    let form = browser.get(&sign_in_url(asked)).await;
    form.assert_status(StatusCode::OK);
    assert!(
        form.body
            .contains(r#"name="next" value="/settings/audit-log?action=user.login&amp;x=1""#)
            || form
                .body
                .contains(r#"name="next" value="/settings/audit-log?action=user.login&#38;x=1""#),
        "the form does not carry next: {}",
        excerpt(&form.body)
    );
    let token = extract_csrf_token(&form.body).expect("a csrf token");

    browser
        .post_form(
            "/login",
            &[
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("next", asked),
                ("csrf_token", &token),
            ],
        )
        .await
        .assert_redirect_to(asked);
}

#[actix_web::test]
async fn a_next_in_the_sign_in_forms_query_is_heard_too() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let browser = app.new_client();
    let asked = "/settings/users";
    let form = browser.get(&sign_in_url(asked)).await;
    let token = extract_csrf_token(&form.body).expect("a csrf token");

    browser
        .post_form(
            &sign_in_url(asked),
            &[
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await
        .assert_redirect_to(asked);
}

#[actix_web::test]
async fn an_off_site_or_malformed_next_leads_to_settings() {
    let app = spawn_app().await;
    app.setup_owner().await;

    for next in [
        "https://evil.example/settings",
        "//evil.example/settings",
        "/\\evil.example",
        "javascript:alert(1)",
        "settings",
        "/settings\r\nSet-Cookie: x=1",
    ] {
        let browser = app.new_client();
        let form = browser.get(&sign_in_url(next)).await;
        form.assert_status(StatusCode::OK);
        assert!(
            !form.body.contains(r#"name="next""#),
            "{next:?} was kept: {}",
            excerpt(&form.body)
        );
        let token = extract_csrf_token(&form.body).expect("a csrf token");
        browser
            .post_form(
                "/login",
                &[
                    ("email", OWNER_EMAIL),
                    ("password", OWNER_PASSWORD),
                    ("next", next),
                    ("csrf_token", &token),
                ],
            )
            .await
            .assert_redirect_to("/settings");
    }
}

#[actix_web::test]
async fn a_form_posted_after_the_session_ended_changes_nothing_and_returns_to_its_page() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Stale", &["contacts.readonly"], "").await;
    let page = integration_path(&id, "");
    let rotate = integration_path(&id, "/rotate");
    let form_page = format!("{page}?tab=tokens");
    let token = app.csrf_token(&page).await;
    let tokens = app.count("access_tokens");
    app.logout().await.assert_redirect_to("/login");

    let fields = [("expire_old", "now"), ("csrf_token", token.as_str())];
    let from_its_page = app
        .send(
            app.form_request(&rotate, &fields)
                .header("Referer", app.url(&form_page)),
        )
        .await;
    from_its_page.assert_redirect_to(&sign_in_url(&form_page));

    let without_referer = app.post_form(&rotate, &fields).await;
    without_referer.assert_redirect_to(&sign_in_url(&page));

    let from_elsewhere = app
        .send(
            app.form_request(&rotate, &fields)
                .header("Referer", "https://evil.example/settings/api-keys"),
        )
        .await;
    from_elsewhere.assert_redirect_to(&sign_in_url(&page));

    assert_eq!(app.count("access_tokens"), tokens, "a token was rotated");

    // Signing in from there returns to the integration's page.
    let form = app.get(&sign_in_url(&page)).await;
    let token = extract_csrf_token(&form.body).expect("a csrf token");
    app.post_form(
        "/login",
        &[
            ("email", OWNER_EMAIL),
            ("password", OWNER_PASSWORD),
            ("next", &page),
            ("csrf_token", &token),
        ],
    )
    .await
    .assert_redirect_to(&page);
}

#[actix_web::test]
async fn a_form_posted_after_the_session_ended_is_explained_before_and_after_sign_in() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Stale", &["contacts.readonly"], "").await;
    let page = integration_path(&id, "");
    let token = app.csrf_token(&page).await;
    app.logout().await.assert_redirect_to("/login");
    // Signing out says so once.
    assert!(
        app.get("/login")
            .await
            .body
            .contains("You have signed out.")
    );

    let sessions = app.count("sessions");
    app.post_form(
        &integration_path(&id, "/rotate"),
        &[("expire_old", "now"), ("csrf_token", token.as_str())],
    )
    .await
    .assert_redirect_to(&sign_in_url(&page));
    assert_eq!(
        app.count("sessions"),
        sessions,
        "no row carries the message"
    );

    let form = app.get(&sign_in_url(&page)).await;
    assert!(
        form.body.contains("your last change was not made"),
        "{}",
        form.body
    );
    let token = extract_csrf_token(&form.body).expect("a csrf token");
    app.post_form(
        "/login",
        &[
            ("email", OWNER_EMAIL),
            ("password", OWNER_PASSWORD),
            ("next", &page),
            ("csrf_token", &token),
        ],
    )
    .await
    .assert_redirect_to(&page);
    let landed = app.get(&page).await;
    assert!(
        landed.body.contains("make the change again"),
        "the integration's page says nothing was changed"
    );
    let again = app.get(&page).await;
    assert!(!again.body.contains("make the change again"), "said once");
}
