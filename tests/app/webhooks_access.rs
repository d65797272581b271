//! Who may see and change an integration's webhooks: viewers read without
//! forms, another account and a deleted integration get 404, a visitor is
//! sent to sign in, and a form without its CSRF token changes nothing.

use reqwest::StatusCode;

use crate::helpers::{TestApp, excerpt, spawn_app};
use crate::integration_support::{act, create_with_token, texts};
use crate::isolation::other_account;
use crate::viewers::signed_in_viewer;
use crate::webhook_support::{
    NOWHERE_URL, endpoint_path, endpoint_with_failed_delivery, spawn_webhook_app, webhooks_path,
};

/// Every changing webhook route of endpoint `endpoint` (and delivery
/// `delivery`) of integration `id`, with its form fields.
fn changing_routes(
    id: &str,
    endpoint: &str,
    delivery: &str,
) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let mut routes = vec![(
        webhooks_path(id),
        vec![
            ("url", "https://hooks.nowhere.test/x"),
            ("events", "ContactCreate"),
        ],
    )];
    for rest in ["/delete", "/enable", "/disable", "/roll-secret", "/test"] {
        routes.push((endpoint_path(id, endpoint, rest), vec![]));
    }
    routes.push((
        endpoint_path(id, endpoint, &format!("/deliveries/{delivery}/resend")),
        vec![],
    ));
    routes
}

/// What a refused request must leave as it was.
fn snapshot(app: &TestApp) -> Vec<String> {
    texts(
        app,
        "SELECT (SELECT count(*) FROM audit_events)::text || ' ' || \
         (SELECT string_agg(id::text || enabled::text || md5(secret_sealed), ',' ORDER BY id) FROM webhook_endpoints) || ' ' || \
         (SELECT string_agg(id::text || state || coalesce(max_attempts, 0)::text, ',' ORDER BY id) FROM webhook_deliveries) AS s",
    )
}

#[actix_web::test]
async fn viewers_see_the_webhook_pages_without_forms_and_change_nothing() {
    let app = spawn_webhook_app().await;
    let viewer = signed_in_viewer(&app).await;
    let (id, _) = create_with_token(&app, "Watched hooks", &["contacts.readonly"], "").await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;

    let page = viewer.get(&webhooks_path(&id)).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(NOWHERE_URL), "the endpoint is listed");
    let log_path = endpoint_path(&id, &endpoint, "/deliveries");
    let log = viewer.get(&log_path).await;
    log.assert_status(StatusCode::OK);
    assert!(log.body.contains(&delivery), "the log is shown");
    for body in [&page.body, &log.body] {
        assert!(
            !body.contains(r#"method="post" action="/settings/private"#)
                && !body.contains(r#"method="post" class="card form-card""#),
            "a viewer sees a form: {}",
            excerpt(body)
        );
        assert!(!body.contains("Roll secret") && !body.contains(">Resend<"));
    }

    let before = snapshot(&app);
    let csrf = viewer.csrf_token(&webhooks_path(&id)).await;
    for (path, fields) in changing_routes(&id, &endpoint, &delivery) {
        let mut form = fields.clone();
        form.push(("csrf_token", &csrf));
        let reply = viewer.post_form(&path, &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(snapshot(&app), before);
}

#[actix_web::test]
async fn another_account_gets_404_on_every_webhook_route() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Acme hooks", &["contacts.readonly"], "").await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    let other = other_account(&app).await;
    let (own, _) = create_with_token(&other, "Other hooks", &["contacts.readonly"], "").await;
    let csrf = other.csrf_token("/settings").await;
    let before = snapshot(&app);

    let gets = [
        webhooks_path(&id),
        endpoint_path(&id, &endpoint, "/deliveries"),
        // Acme's endpoint under the other account's own integration.
        endpoint_path(&own, &endpoint, "/deliveries"),
    ];
    for path in gets {
        let reply = other.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!reply.body.contains(NOWHERE_URL), "GET {path} leaks");
    }
    let posts = changing_routes(&id, &endpoint, &delivery)
        .into_iter()
        .chain(
            changing_routes(&own, &endpoint, &delivery)
                .into_iter()
                .skip(1),
        );
    for (path, fields) in posts {
        let mut form = fields.clone();
        form.push(("csrf_token", &csrf));
        let reply = other.post_form(&path, &form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(snapshot(&app), before);
}

#[actix_web::test]
async fn a_deleted_integrations_webhooks_are_gone() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Doomed", &["contacts.readonly"], "").await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    act(&app, &id, "/delete", &[])
        .await
        .assert_redirect_to("/settings/private-integrations");
    let csrf = app.csrf_token("/settings").await;
    let before = snapshot(&app);

    for path in [
        webhooks_path(&id),
        endpoint_path(&id, &endpoint, "/deliveries"),
    ] {
        assert_eq!(
            app.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for (path, fields) in changing_routes(&id, &endpoint, &delivery) {
        let mut form = fields.clone();
        form.push(("csrf_token", &csrf));
        let reply = app.post_form(&path, &form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(snapshot(&app), before);
}

#[actix_web::test]
async fn the_webhooks_page_needs_a_signed_in_user() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Private", &["contacts.readonly"], "").await;
    let visitor = app.new_client();
    let reply = visitor.get(&webhooks_path(&id)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        reply
            .location()
            .is_some_and(|l| l.starts_with("/login?next=")),
        "{:?}",
        reply.location()
    );
}

#[actix_web::test]
async fn webhook_forms_without_a_csrf_token_change_nothing() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Forged", &["contacts.readonly"], "").await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    let before = snapshot(&app);
    for (path, fields) in changing_routes(&id, &endpoint, &delivery) {
        let reply = app.post_form(&path, &fields).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    assert_eq!(snapshot(&app), before);
}
