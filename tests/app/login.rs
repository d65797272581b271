//! Signing in: credentials, messages and the throttle on failures.

use reqwest::StatusCode;

use crate::helpers::{excerpt, spawn_app};

const INCORRECT: &str = "Incorrect email or password";
const THROTTLED: &str = "Too many failed sign-in attempts";

#[actix_web::test]
async fn login_accepts_the_email_in_any_case() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();

    let reply = browser
        .login(&owner.email.to_uppercase(), &owner.password)
        .await;

    reply.assert_redirect_to("/settings");
    let settings = browser.get("/settings").await;
    settings.assert_status(StatusCode::OK);
    assert!(
        settings.body.contains(&owner.email),
        "{}",
        excerpt(&settings.body)
    );
    assert!(
        settings.body.contains(&owner.account_name),
        "{}",
        excerpt(&settings.body)
    );
    assert!(
        settings.body.contains("Private Integrations"),
        "sidebar missing: {}",
        excerpt(&settings.body)
    );
}

#[actix_web::test]
async fn a_wrong_password_is_refused_with_401_and_no_session() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();

    let reply = browser
        .login(&owner.email, "not the right password at all")
        .await;

    reply.assert_status(StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains(INCORRECT), "{}", excerpt(&reply.body));
    assert!(
        reply.body.contains(&owner.email),
        "the email is not kept in the form: {}",
        excerpt(&reply.body)
    );
    assert!(!reply.body.contains("not the right password at all"));
    assert!(
        reply.body.contains(r#"name="csrf_token""#),
        "the form is not shown again"
    );
    browser.get("/settings").await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn an_unknown_email_is_refused_the_same_way() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();

    let reply = browser.login("nobody@acme.test", &owner.password).await;

    reply.assert_status(StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains(INCORRECT), "{}", excerpt(&reply.body));
    assert!(reply.body.contains("nobody@acme.test"));
    browser.get("/settings").await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn five_failures_lock_that_email_even_for_the_right_password_but_not_others() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let colleague_email = "colleague@acme.test";
    let colleague_password = "colleague passphrase 42";
    let created = app
        .create_admin(&owner.account_name, colleague_email, colleague_password)
        .await;
    // The exit status is the CLI tests' business; here only the user matters.
    assert_eq!(
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM users WHERE email = '{colleague_email}'"
        )),
        1,
        "create-admin did not add the colleague: {created:?}"
    );
    let attacker = app.new_client();

    for attempt in 1..=5 {
        let reply = attacker.login(&owner.email, "wrong password number").await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            excerpt(&reply.body)
        );
    }

    let owner_browser = app.new_client();
    let locked = owner_browser.login(&owner.email, &owner.password).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains(THROTTLED), "{}", excerpt(&locked.body));
    assert!(!owner_browser.is_signed_in().await);

    // The lock is per email (below the per-IP limit): others still sign in.
    let colleague = app.new_client();
    colleague
        .login(colleague_email, colleague_password)
        .await
        .assert_redirect_to("/settings");
    assert!(colleague.is_signed_in().await);
}

#[actix_web::test]
async fn twenty_failures_from_one_address_lock_every_email() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let attacker = app.new_client();

    for attempt in 1..=20 {
        // A different email each time, so no single email reaches its limit.
        let reply = attacker
            .login(
                &format!("guess{attempt}@acme.test"),
                "wrong password number",
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            excerpt(&reply.body)
        );
    }

    let browser = app.new_client();
    let locked = browser.login(&owner.email, &owner.password).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains(THROTTLED), "{}", excerpt(&locked.body));
    assert!(!browser.is_signed_in().await);
}
