//! First run: `/setup` creates the account and its owner, once.

use reqwest::StatusCode;

use crate::helpers::{OWNER_ACCOUNT, OWNER_EMAIL, OWNER_PASSWORD, excerpt, spawn_app};

#[actix_web::test]
async fn before_setup_every_page_redirects_to_setup() {
    let app = spawn_app().await;

    for path in [
        "/login",
        "/settings",
        "/settings/private-integrations",
        "/settings/audit-log",
    ] {
        let reply = app.get(path).await;
        assert_eq!(
            (reply.status, reply.location().as_deref()),
            (StatusCode::SEE_OTHER, Some("/setup")),
            "GET {path} before setup"
        );
    }
    app.get("/setup").await.assert_status(StatusCode::OK);
}

#[actix_web::test]
async fn setup_creates_the_owner_once_and_then_is_gone() {
    let app = spawn_app().await;

    let reply = app
        .submit(
            "/setup",
            "/setup",
            &[
                ("account_name", OWNER_ACCOUNT),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("password_confirmation", OWNER_PASSWORD),
            ],
        )
        .await;
    reply.assert_redirect_to("/settings");
    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("users"), 1);
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM users WHERE role = 'owner'"),
        1,
        "the first user is the owner"
    );

    // The new owner is signed in.
    let settings = app.get("/settings").await;
    settings.assert_status(StatusCode::OK);
    assert!(
        settings.body.contains(OWNER_ACCOUNT),
        "{}",
        excerpt(&settings.body)
    );
    assert!(
        settings.body.contains(OWNER_EMAIL),
        "{}",
        excerpt(&settings.body)
    );

    // Setup is gone, for the owner and for anyone else, GET and POST, even
    // with a valid CSRF token.
    app.get("/setup").await.assert_status(StatusCode::NOT_FOUND);
    let token = app.csrf_token("/settings").await;
    let again = app
        .post_form(
            "/setup",
            &[
                ("account_name", "Second Account"),
                ("email", "second@acme.test"),
                ("password", OWNER_PASSWORD),
                ("password_confirmation", OWNER_PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    again.assert_status(StatusCode::NOT_FOUND);

    let stranger = app.new_client();
    stranger
        .get("/setup")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let stranger_token = stranger.csrf_token("/login").await;
    stranger
        .post_form(
            "/setup",
            &[
                ("account_name", "Takeover"),
                ("email", "attacker@evil.test"),
                ("password", OWNER_PASSWORD),
                ("password_confirmation", OWNER_PASSWORD),
                ("csrf_token", &stranger_token),
            ],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);

    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("users"), 1);

    // And the pages that redirected to /setup now redirect to /login.
    stranger
        .get("/settings")
        .await
        .assert_redirect_to("/login?next=%2Fsettings");
    stranger.get("/login").await.assert_status(StatusCode::OK);
}

#[actix_web::test]
async fn setup_with_invalid_input_shows_the_form_again_and_creates_nothing() {
    let app = spawn_app().await;
    let account = "Zebra Crossing Ltd";
    let email = "zebra.owner@example.test";
    let good_password = "a perfectly long passphrase";

    let cases: [(&str, [(&str, &str); 4]); 4] = [
        (
            "a password under 12 characters",
            [
                ("account_name", account),
                ("email", email),
                ("password", "Short1pass!"),
                ("password_confirmation", "Short1pass!"),
            ],
        ),
        (
            "a confirmation that does not match",
            [
                ("account_name", account),
                ("email", email),
                ("password", good_password),
                ("password_confirmation", "another long passphrase"),
            ],
        ),
        (
            "an email without an @",
            [
                ("account_name", account),
                ("email", "zebra.owner.example.test"),
                ("password", good_password),
                ("password_confirmation", good_password),
            ],
        ),
        (
            "an empty account name",
            [
                ("account_name", ""),
                ("email", email),
                ("password", good_password),
                ("password_confirmation", good_password),
            ],
        ),
    ];

    for (what, fields) in cases {
        let reply = app.submit("/setup", "/setup", &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "setup with {what}: {}",
            excerpt(&reply.body)
        );
        for (name, value) in fields {
            if value.is_empty() {
                continue;
            }
            if name.starts_with("password") {
                assert!(
                    !reply.body.contains(value),
                    "setup with {what} echoes the {name}"
                );
            } else {
                assert!(
                    reply.body.contains(value),
                    "setup with {what} drops the {name} {value:?}: {}",
                    excerpt(&reply.body)
                );
            }
        }
        assert!(
            reply.body.contains(r#"name="csrf_token""#),
            "setup with {what} does not show the form again"
        );
        assert_eq!(app.count("users"), 0, "setup with {what} created a user");
        assert_eq!(
            app.count("accounts"),
            0,
            "setup with {what} created an account"
        );
    }

    // Still first run: nobody is signed in and setup is still offered.
    app.get("/settings").await.assert_redirect_to("/setup");
    app.get("/setup").await.assert_status(StatusCode::OK);
}

#[actix_web::test]
async fn a_nul_in_any_setup_field_is_a_422_beside_that_field() {
    let app = spawn_app().await;
    let password_with_nul = format!("{OWNER_PASSWORD}\0");
    let cases = [
        (
            "account_name",
            "Acme\0Widgets",
            "Acme\u{FFFD}Widgets",
            OWNER_EMAIL,
            OWNER_PASSWORD,
        ),
        (
            "email",
            OWNER_ACCOUNT,
            "owner\u{FFFD}@acme.test",
            "owner\0@acme.test",
            OWNER_PASSWORD,
        ),
        (
            "password",
            OWNER_ACCOUNT,
            "",
            OWNER_EMAIL,
            password_with_nul.as_str(),
        ),
    ];

    for (field, account_name, shown, email, password) in cases {
        let reply = app
            .submit(
                "/setup",
                "/setup",
                &[
                    ("account_name", account_name),
                    ("email", email),
                    ("password", password),
                    ("password_confirmation", password),
                ],
            )
            .await;

        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let error = format!(r#"<p class="field-error" id="{field}-error">Remove the NUL"#);
        assert!(
            reply.body.contains(&error),
            "{field}: {}",
            excerpt(&reply.body)
        );
        if !shown.is_empty() {
            assert!(
                reply.body.contains(&format!(r#"value="{shown}""#)),
                "{field}: the input is not kept: {}",
                excerpt(&reply.body)
            );
        }
    }
    assert_eq!(app.count("accounts"), 0);
    assert_eq!(app.count("users"), 0);
}
