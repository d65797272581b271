//! Panel forms larger than any of ours, or repeating a single-valued field,
//! are refused with the error page and change nothing.

use reqwest::StatusCode;

use crate::helpers::{Reply, excerpt, spawn_app};
use crate::integration_support::{post_create, texts};

const NEW: &str = "/settings/private-integrations/new";
const CREATE: &str = "/settings/private-integrations";

#[track_caller]
fn assert_error_page(what: &str, reply: &Reply, status: StatusCode, heading: &str) {
    assert_eq!(reply.status, status, "{what}: {}", excerpt(&reply.body));
    assert!(
        reply.body.contains("<!doctype html>") && reply.body.contains(heading),
        "{what}: not the error page: {}",
        excerpt(&reply.body)
    );
}

#[actix_web::test]
async fn an_oversized_form_is_413_with_the_error_page_and_creates_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // Just over 64 KiB, the limit of API bodies and panel forms alike.
    let huge = "x".repeat(64 * 1024);

    let create = app
        .submit(
            NEW,
            CREATE,
            &[
                ("name", "Huge"),
                ("description", &huge),
                ("scopes", "contacts.readonly"),
            ],
        )
        .await;
    assert_error_page(
        "a huge create form",
        &create,
        StatusCode::PAYLOAD_TOO_LARGE,
        "This form is too large",
    );
    assert_eq!(app.count("integrations"), 0);

    let visitor = app.new_client();
    let sign_in = visitor
        .submit("/login", "/login", &[("email", &huge), ("password", "x")])
        .await;
    assert_error_page(
        "a huge sign-in form",
        &sign_in,
        StatusCode::PAYLOAD_TOO_LARGE,
        "This form is too large",
    );
    assert_eq!(app.count("login_attempts"), 0);
}

#[actix_web::test]
async fn a_repeated_single_valued_field_is_400_with_the_error_page_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let token = app.csrf_token(NEW).await;

    for (what, fields) in [
        (
            "two names",
            vec![
                ("name", "First"),
                ("name", "Second"),
                ("scopes", "contacts.readonly"),
                ("csrf_token", token.as_str()),
            ],
        ),
        (
            "two CSRF tokens",
            vec![
                ("name", "Twice"),
                ("scopes", "contacts.readonly"),
                ("csrf_token", token.as_str()),
                ("csrf_token", token.as_str()),
            ],
        ),
    ] {
        let reply = app.post_form(CREATE, &fields).await;
        assert_error_page(
            what,
            &reply,
            StatusCode::BAD_REQUEST,
            "This form could not be read",
        );
    }
    assert_eq!(app.count("integrations"), 0);

    let visitor = app.new_client();
    let sign_in = visitor
        .submit(
            "/login",
            "/login",
            &[
                ("email", "someone@else.test"),
                ("email", &owner.email),
                ("password", &owner.password),
            ],
        )
        .await;
    assert_error_page(
        "two emails",
        &sign_in,
        StatusCode::BAD_REQUEST,
        "This form could not be read",
    );
    assert!(!visitor.is_signed_in().await);
    assert_eq!(app.count("login_attempts"), 0);

    // Checkboxes repeat their key by design.
    post_create(
        &app,
        "Two scopes",
        "",
        &["contacts.readonly", "contacts.write"],
        "",
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn a_form_that_is_not_utf8_is_400_with_the_error_page_and_creates_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let token = app.csrf_token(NEW).await;
    for (what, name) in [
        ("raw bytes", &b"\xff\xfeAcme"[..]),
        ("escaped", b"%FF%FEAcme"),
    ] {
        let mut body = b"scopes=contacts.readonly&csrf_token=".to_vec();
        body.extend_from_slice(token.as_bytes());
        body.extend_from_slice(b"&name=");
        body.extend_from_slice(name);
        let reply = app
            .send(
                app.client
                    .post(app.url(CREATE))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
            )
            .await;
        assert_error_page(
            what,
            &reply,
            StatusCode::BAD_REQUEST,
            "This form could not be read",
        );
    }
    assert_eq!(app.count("integrations"), 0);
}

/// A browser counts a textarea's line break as one character against its
/// maxlength but sends it as CRLF: a description the browser let through is
/// not refused for its line breaks, and is kept with plain newlines.
#[actix_web::test]
async fn a_descriptions_line_breaks_count_as_one_character_each() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // 399 characters in the browser, 598 as sent.
    let lines = vec!["a"; 200].join("\r\n");
    post_create(&app, "Multi-line", &lines, &["contacts.readonly"], "")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        texts(&app, "SELECT description AS s FROM integrations"),
        [vec!["a"; 200].join("\n")]
    );
    // 501 characters in the browser: one too many still.
    let long = format!("{}\r\n{}", "b".repeat(250), "c".repeat(250));
    post_create(&app, "Too long", &long, &["contacts.readonly"], "")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}
