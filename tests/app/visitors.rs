//! Visitors who are not signed in: they leave no rows behind, and the
//! sign-in form is protected by a double-submit cookie instead of a session.

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{FORM_COOKIE, Reply, TestApp, excerpt, extract_csrf_token, spawn_app};

/// The `name=value` part of the form cookie a reply sets, if it sets one.
fn form_cookie(reply: &Reply) -> Option<String> {
    reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{FORM_COOKIE}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

fn rows(app: &TestApp) -> [i64; 3] {
    [
        app.count("sessions"),
        app.count("login_attempts"),
        app.count("audit_events"),
    ]
}

#[actix_web::test]
async fn a_thousand_cookieless_visits_to_the_sign_in_page_add_no_rows() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let before = rows(&app);
    // No cookie store: every request comes from a new visitor.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = app.url("/login");

    for _ in 0..20 {
        let batch = join_all((0..50).map(|_| client.get(&url).send())).await;
        for resp in batch {
            let resp = resp.expect("GET /login");
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }

    assert_eq!(
        rows(&app),
        before,
        "sessions, sign-in attempts, audit events"
    );
}

#[actix_web::test]
async fn two_sign_in_tabs_both_succeed_in_either_order() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    for second_tab_first in [false, true] {
        let browser = app.new_client();
        let first = browser.get("/login").await;
        let second = browser.get("/login").await;
        assert!(form_cookie(&first).is_some(), "the form sets its cookie");
        assert_eq!(
            form_cookie(&second),
            None,
            "the second tab must not replace the first tab's cookie"
        );
        let mut tokens = [&first, &second]
            .map(|tab| extract_csrf_token(&tab.body).expect("a csrf token on /login"));
        if second_tab_first {
            tokens.reverse();
        }

        for token in &tokens {
            browser
                .post_form(
                    "/login",
                    &[
                        ("email", &owner.email),
                        ("password", &owner.password),
                        ("csrf_token", token),
                    ],
                )
                .await
                .assert_redirect_to("/settings");
        }
        assert!(browser.is_signed_in().await);
    }
}

#[actix_web::test]
async fn a_sign_in_with_a_missing_wrong_or_forged_token_is_refused() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let sessions = app.count("sessions");
    let credentials = |token: Option<&str>| {
        let mut fields = vec![
            ("email", owner.email.clone()),
            ("password", owner.password.clone()),
        ];
        if let Some(token) = token {
            fields.push(("csrf_token", token.to_string()));
        }
        fields
    };
    let post = |browser: &crate::helpers::Browser,
                fields: Vec<(&'static str, String)>,
                cookie: Option<String>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut request = browser.form_request("/login", &fields);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request
    };

    let browser = app.new_client();
    let form = browser.get("/login").await;
    let token = extract_csrf_token(&form.body).expect("a csrf token on /login");
    let cookie = form_cookie(&form).expect("the form's cookie");
    let (name, value) = cookie.split_once('=').expect("name=value");
    let mut tampered = value.to_string();
    let last = if tampered.pop() == Some('A') {
        'B'
    } else {
        'A'
    };
    tampered.push(last);

    // An empty cookie jar: only the cookies a test names are sent.
    let stranger = app.new_client();
    let attempts = [
        (
            "no token",
            browser.send(post(&browser, credentials(None), None)).await,
        ),
        (
            "a wrong token",
            browser
                .send(post(
                    &browser,
                    credentials(Some(&format!("{token}x"))),
                    None,
                ))
                .await,
        ),
        (
            "the token without its cookie",
            stranger
                .send(post(&stranger, credentials(Some(&token)), None))
                .await,
        ),
        (
            "a cookie this server did not make",
            stranger
                .send(post(
                    &stranger,
                    credentials(Some(&token)),
                    Some(format!("{name}={token}")),
                ))
                .await,
        ),
        (
            "a tampered cookie",
            stranger
                .send(post(
                    &stranger,
                    credentials(Some(&token)),
                    Some(format!("{name}={tampered}")),
                ))
                .await,
        ),
    ];
    for (what, reply) in attempts {
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            excerpt(&reply.body)
        );
        assert_eq!(reply.session_cookie, None, "{what} signed somebody in");
    }
    assert_eq!(app.count("sessions"), sessions);

    // The cookie and its own token still sign in.
    browser
        .send(post(&browser, credentials(Some(&token)), None))
        .await
        .assert_redirect_to("/settings");
}
