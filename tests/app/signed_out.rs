//! "You have signed out" reaches the sign-in page without a session row
//! (SPEC §6: messages to visitors travel in a signed cookie or the query).

use reqwest::StatusCode;

use crate::helpers::{excerpt, spawn_app};

const SIGNED_OUT: &str = "You have signed out.";

#[actix_web::test]
async fn after_signing_out_the_sign_in_page_says_so_once_and_no_session_row_carries_it() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let before = app.count("sessions");

    app.logout().await.assert_redirect_to("/login");
    let after_logout = app.count("sessions");
    assert_eq!(after_logout, before - 1, "sign-out ends the session row");

    let page = app.get("/login").await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(SIGNED_OUT), "{}", excerpt(&page.body));
    assert_eq!(
        app.count("sessions"),
        after_logout,
        "the message added a session row"
    );

    let again = app.get("/login").await;
    assert!(!again.body.contains(SIGNED_OUT), "shown twice");
}

#[actix_web::test]
async fn a_visitor_cannot_forge_the_signed_out_message() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let visitor = app.new_client();
    let page = visitor
        .send(
            visitor
                .client
                .get(visitor.url("/login"))
                .header("Cookie", "pi_signed_out=1"),
        )
        .await;
    page.assert_status(StatusCode::OK);
    assert!(!page.body.contains(SIGNED_OUT), "{}", excerpt(&page.body));
    let fresh = visitor.get("/login").await;
    assert!(!fresh.body.contains(SIGNED_OUT));
}
