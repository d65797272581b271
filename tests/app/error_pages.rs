//! The error policy: an unexpected failure is a 500 page in the layout that
//! leaks nothing of its cause; an unknown page is a 404 in the layout.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::integration_support::execute;

#[actix_web::test]
async fn a_database_failure_is_a_500_page_that_names_no_sql() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // The page's query now fails inside PostgreSQL.
    execute(&app, "ALTER TABLE integrations RENAME TO integrations_gone");

    let reply = app.get("/settings/private-integrations").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        reply.body.contains("Something went wrong"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("/static/css/app.css") && reply.body.contains(r#"class="sidebar""#),
        "rendered in the signed-in layout"
    );
    // The sidebar names the integrations page; the table never shows.
    for leak in [
        "integrations_gone",
        "\"integrations\"",
        "relation",
        "does not exist",
        "SELECT",
        "diesel",
    ] {
        assert!(!reply.body.contains(leak), "the page leaks {leak:?}");
    }
}

#[actix_web::test]
async fn an_unknown_page_is_a_404_in_the_layout_with_the_sidebar() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let reply = app.get("/settings/no-such-page").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("Page not found"));
    assert!(reply.body.contains("class=\"sidebar\""), "signed-in layout");
}
