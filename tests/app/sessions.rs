//! Sessions: who is signed in, a new id at login, logout ending one session.

use futures_util::future::{join, join_all};
use reqwest::StatusCode;

use crate::helpers::{SESSION_COOKIE, TestApp, spawn_app};
use crate::integration_support::execute;

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_login() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let anonymous = app.new_client();

    for path in [
        "/settings",
        "/settings/private-integrations",
        "/settings/private-integrations/new",
        "/settings/audit-log",
        "/settings/users",
        "/settings/account",
        "/settings/api-keys",
    ] {
        let reply = anonymous.get(path).await;
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        reply.assert_redirect_to(&format!("/login?next={next}"));
    }
}

#[actix_web::test]
async fn an_unknown_page_is_404_for_a_signed_in_user() {
    let app = spawn_app().await;
    app.setup_owner().await;

    app.get("/settings/no-such-page")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.get("/definitely-not-a-page")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn login_issues_a_new_session_id() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();

    let form = browser.get("/login").await;
    form.assert_status(StatusCode::OK);
    assert_eq!(
        form.session_cookie, None,
        "a visitor who is not signed in gets no session"
    );
    let token = crate::helpers::extract_csrf_token(&form.body).expect("csrf token on /login");
    let fields = [
        ("email", owner.email.as_str()),
        ("password", owner.password.as_str()),
        ("csrf_token", token.as_str()),
    ];
    let first = browser.post_form("/login", &fields).await;
    first.assert_redirect_to("/settings");
    let first_id = first
        .session_cookie
        .clone()
        .expect("login sets a session cookie");

    // Signing in again, over a live session, starts a new one.
    let second = browser.post_form("/login", &fields).await;
    second.assert_redirect_to("/settings");
    let second_id = second
        .session_cookie
        .clone()
        .expect("login sets a new session cookie");
    assert_ne!(first_id, second_id, "the session id must change at login");
    assert!(browser.is_signed_in().await);

    // The earlier id does not carry the signed-in session any more.
    assert_eq!(
        replay(&app, &first_id).await,
        (StatusCode::SEE_OTHER, Some(SIGN_IN.to_string()))
    );
}

#[actix_web::test]
async fn logout_ends_that_session_only() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    let laptop = app.new_client();
    laptop
        .login(&owner.email, &owner.password)
        .await
        .assert_redirect_to("/settings");
    let laptop_cookie = laptop
        .current_session_cookie()
        .expect("the laptop holds a session cookie");
    let phone = app.new_client();
    phone
        .login(&owner.email, &owner.password)
        .await
        .assert_redirect_to("/settings");

    laptop.logout().await.assert_redirect_to("/login");

    assert!(
        !laptop.is_signed_in().await,
        "the laptop is still signed in"
    );

    // Replaying the old cookie value does not bring the session back: it was
    // deleted on the server, not just in the browser.
    assert_eq!(
        replay(&app, &laptop_cookie).await,
        (StatusCode::SEE_OTHER, Some(SIGN_IN.to_string())),
        "replayed cookie after logout"
    );

    // The phone, and the browser that ran setup, stay signed in.
    assert!(phone.is_signed_in().await, "logout ended another session");
    assert!(app.is_signed_in().await, "logout ended another session");
}

/// Where an anonymous `GET /settings` is sent.
const SIGN_IN: &str = "/login?next=%2Fsettings";

/// `GET /settings` with only this cookie, as a copy of it elsewhere would.
async fn replay(app: &TestApp, cookie: &str) -> (StatusCode, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = client
        .get(app.url("/settings"))
        .header("Cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .expect("send");
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (resp.status(), location)
}

#[actix_web::test]
async fn sign_out_is_final_even_with_requests_in_flight() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let sessions_before = app.count("sessions");

    for round in 1..=6 {
        let browser = app.new_client();
        browser
            .login(&owner.email, &owner.password)
            .await
            .assert_redirect_to("/settings");
        let cookie = browser.current_session_cookie().expect("signed in");
        let token = browser.csrf_token("/settings").await;

        let pages = join_all((0..10).map(|i| {
            browser.get(if i % 2 == 0 {
                "/settings"
            } else {
                "/settings/private-integrations"
            })
        }));
        let fields = [("csrf_token", token.as_str())];
        let logout = browser.post_form("/logout", &fields);
        let (_, signed_out) = join(pages, logout).await;
        signed_out.assert_redirect_to("/login");

        assert_eq!(
            replay(&app, &cookie).await,
            (StatusCode::SEE_OTHER, Some(SIGN_IN.to_string())),
            "round {round}: the signed-out cookie works again"
        );
        assert_eq!(
            app.count("sessions"),
            sessions_before,
            "round {round}: the signed-out session was written back"
        );
    }
}

#[actix_web::test]
async fn a_session_ends_seven_days_after_sign_in_however_busy() {
    let app = spawn_app().await;
    app.setup_owner().await;
    assert!(app.is_signed_in().await);

    // Used a minute ago, so not idle: only its age can end it.
    execute(
        &app,
        "UPDATE sessions SET created_at = now() - interval '7 days 1 minute', \
         expires_at = now() + interval '11 hours'",
    );

    app.get("/settings").await.assert_redirect_to(SIGN_IN);
    private_integrations::workers::maintenance::sweep(&mut app.db.connection()).expect("sweep");
    assert_eq!(app.count("sessions"), 0, "the sweep removes ended sessions");
}

#[actix_web::test]
async fn renewing_a_session_never_takes_it_past_seven_days() {
    let app = spawn_app().await;
    app.setup_owner().await;
    execute(
        &app,
        "UPDATE sessions SET created_at = now() - interval '7 days' + interval '2 hours', \
         expires_at = now() + interval '1 minute'",
    );

    app.get("/settings").await.assert_status(StatusCode::OK);

    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM sessions WHERE expires_at > created_at + interval '7 days'"
        ),
        0,
        "a renewal extended the session past its lifetime"
    );
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM sessions WHERE expires_at > now() + interval '1 hour'"
        ),
        1,
        "the session was renewed up to its lifetime"
    );
}

#[actix_web::test]
async fn a_busy_session_is_pushed_forward_at_most_once_a_minute() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // This view pushes the session's end forward, as its first does.
    app.get("/settings").await.assert_status(StatusCode::OK);
    execute(
        &app,
        "UPDATE sessions SET expires_at = now() + interval '1 hour'",
    );
    for _ in 0..3 {
        app.get("/settings").await.assert_status(StatusCode::OK);
    }
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM sessions WHERE expires_at <= now() + interval '1 hour'"
        ),
        1,
        "views within the minute write nothing"
    );
}
