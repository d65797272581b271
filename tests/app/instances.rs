//! Sessions live in PostgreSQL and are signed with one key, so every
//! instance behind a load balancer accepts them (SPEC §2, §10).

use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::helpers::{
    Browser, FORM_COOKIE, OWNER_ACCOUNT, OWNER_EMAIL, OWNER_PASSWORD, SESSION_COOKIE, TestApp,
    extract_csrf_token, spawn_app, spawn_app_with, test_settings,
};
use crate::integration_support::instance_with;
use private_integrations::config::{SecretBytes, Settings};

/// Another instance on `app`'s database, with `adjust`ed settings.
async fn second_instance(app: &TestApp, adjust: impl FnOnce(&mut Settings)) -> Browser {
    let mut settings = test_settings(&app.database_url);
    adjust(&mut settings);
    instance_with(settings).await
}

/// `/settings` on `browser`'s server, presenting `session` as the cookie.
async fn settings_status(browser: &Browser, session: &str) -> StatusCode {
    browser
        .send(
            browser
                .client
                .get(browser.url("/settings"))
                .header(COOKIE, format!("{SESSION_COOKIE}={session}")),
        )
        .await
        .status
}

#[actix_web::test]
async fn a_generated_session_key_is_kept_in_the_database_so_every_instance_accepts_the_session() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let session = app.current_session_cookie().expect("signed in");
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM server_secrets WHERE name = 'session_key' AND octet_length(value) = 64"
        ),
        1
    );

    let other = second_instance(&app, |_| {}).await;
    assert_eq!(settings_status(&other, &session).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_configured_session_key_signs_the_cookie_and_another_key_refuses_it() {
    let key = |b: u8| Some(SecretBytes::new(vec![b; 64]));
    let app = spawn_app_with(|s| s.session_key = key(7)).await;
    app.setup_owner().await;
    let session = app.current_session_cookie().expect("signed in");

    let same_key = second_instance(&app, |s| s.session_key = key(7)).await;
    assert_eq!(settings_status(&same_key, &session).await, StatusCode::OK);
    // The database's generated key is not what signed this cookie.
    let stored_key = second_instance(&app, |_| {}).await;
    assert_eq!(
        settings_status(&stored_key, &session).await,
        StatusCode::SEE_OTHER
    );
    let other_key = second_instance(&app, |s| s.session_key = key(8)).await;
    assert_eq!(
        settings_status(&other_key, &session).await,
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn the_session_cookie_is_secure_when_configured_and_not_by_default_on_http() {
    for (secure, app) in [
        (true, spawn_app_with(|s| s.cookie_secure = Some(true)).await),
        (false, spawn_app().await),
    ] {
        let form = app.get("/setup").await;
        let form_cookie = form
            .set_cookies
            .iter()
            .find(|c| c.starts_with(FORM_COOKIE))
            .expect("the setup form's cookie");
        assert_eq!(form_cookie.contains("; Secure"), secure, "{form_cookie}");
        // A Secure cookie is not sent back over http: post its token by hand.
        let token = extract_csrf_token(&form.body).expect("csrf token on /setup");
        let value = form_cookie
            .split(';')
            .next()
            .expect("name=value")
            .to_string();
        let done = app
            .send(
                app.form_request(
                    "/setup",
                    &[
                        ("account_name", OWNER_ACCOUNT),
                        ("email", OWNER_EMAIL),
                        ("password", OWNER_PASSWORD),
                        ("password_confirmation", OWNER_PASSWORD),
                        ("csrf_token", &token),
                    ],
                )
                .header("Cookie", value),
            )
            .await;
        done.assert_redirect_to("/settings");
        let cookie = done
            .set_cookies
            .iter()
            .find(|c| c.starts_with(SESSION_COOKIE))
            .expect("a session cookie");
        assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
    }
}
