//! Signing in: credentials, messages and the throttle on failures.

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{Reply, excerpt, spawn_app};

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
    browser
        .get("/settings")
        .await
        .assert_redirect_to("/login?next=%2Fsettings");
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
    browser
        .get("/settings")
        .await
        .assert_redirect_to("/login?next=%2Fsettings");
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

#[actix_web::test]
async fn a_nul_in_the_email_is_a_422_beside_the_field_with_the_input_kept() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();
    let attempts = app.count("login_attempts");

    let reply = browser
        .login(&format!("{}\0", owner.email), &owner.password)
        .await;

    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains(r#"<p class="field-error" id="email-error">Remove the NUL"#),
        "{}",
        excerpt(&reply.body)
    );
    assert!(
        reply.body.contains(&format!(r#"value="{}"#, owner.email)),
        "the email is not kept: {}",
        excerpt(&reply.body)
    );
    assert_eq!(app.count("login_attempts"), attempts);
    assert!(!browser.is_signed_in().await);
}

#[actix_web::test]
async fn a_nul_in_the_password_is_a_422_and_no_password_check() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let browser = app.new_client();
    let attempts = app.count("login_attempts");

    let reply = browser
        .login(&owner.email, &format!("{}\0", owner.password))
        .await;

    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains(r#"<p class="field-error" id="password-error">Remove the NUL"#),
        "{}",
        excerpt(&reply.body)
    );
    assert_eq!(app.count("login_attempts"), attempts);
    assert!(!browser.is_signed_in().await);
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status.as_u16()).collect()
}

fn answered(replies: &[Reply], status: StatusCode) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

#[actix_web::test]
async fn sixteen_concurrent_wrong_passwords_get_five_checks_and_fifteen_refusals() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let attacker = app.new_client();
    let token = attacker.csrf_token("/login").await;
    let fields = [
        ("email", owner.email.as_str()),
        ("password", "wrong password number"),
        ("csrf_token", token.as_str()),
    ];

    let replies = join_all((0..16).map(|_| attacker.post_form("/login", &fields))).await;

    let checked = answered(&replies, StatusCode::UNAUTHORIZED);
    let refused = answered(&replies, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(checked + refused, 16, "{:?}", statuses(&replies));
    assert_eq!(checked, 5, "passwords checked: {:?}", statuses(&replies));
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM login_attempts WHERE succeeded IS NOT DISTINCT FROM false"
        ),
        5,
        "each checked attempt is recorded and settled"
    );
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'user.login_failed'"
        ),
        5
    );
    let owner_browser = app.new_client();
    owner_browser
        .login(&owner.email, &owner.password)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn the_right_password_among_concurrent_wrong_ones_cannot_get_past_the_limit() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let attacker = app.new_client();
    let attackers_token = attacker.csrf_token("/login").await;
    let wrong = [
        ("email", owner.email.as_str()),
        ("password", "wrong password number"),
        ("csrf_token", attackers_token.as_str()),
    ];
    let owner_browser = app.new_client();
    let owners_token = owner_browser.csrf_token("/login").await;
    let right = [
        ("email", owner.email.as_str()),
        ("password", owner.password.as_str()),
        ("csrf_token", owners_token.as_str()),
    ];

    // The right password goes out as the twelfth of sixteen.
    let replies = join_all((0..16).map(|i| {
        if i == 11 {
            owner_browser.post_form("/login", &right)
        } else {
            attacker.post_form("/login", &wrong)
        }
    }))
    .await;

    let signed_in = replies[11].status == StatusCode::SEE_OTHER;
    assert!(
        signed_in || replies[11].status == StatusCode::TOO_MANY_REQUESTS,
        "the right password: {:?}",
        statuses(&replies)
    );
    let checked_wrong = answered(&replies, StatusCode::UNAUTHORIZED);
    if signed_in {
        // Admitted within the limit: fewer than five failures came before it,
        // and its success reset the count for at most five after it.
        assert!(
            app.db.query_count(
                "SELECT count(*) AS n FROM login_attempts f, login_attempts s \
                 WHERE s.succeeded AND f.succeeded IS NOT TRUE AND f.attempted_at < s.attempted_at"
            ) < 5,
            "signed in after the limit was reached: {:?}",
            statuses(&replies)
        );
        assert!(checked_wrong <= 9, "{:?}", statuses(&replies));
    } else {
        assert_eq!(checked_wrong, 5, "{:?}", statuses(&replies));
        assert!(!owner_browser.is_signed_in().await);
    }
}
