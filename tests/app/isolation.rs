//! One account cannot see or touch another account's integrations: every
//! route answers 404 and changes nothing.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, assert_succeeded, excerpt, spawn_app};
use crate::integration_support::{
    BASE, api_status, create_with_token, integration_path, item_for, token_info, token_items,
};

const OTHER_EMAIL: &str = "other@example.com";
const OTHER_PASSWORD: &str = "a long password 123";

/// A second account with its own admin, signed in in a browser of its own.
pub async fn other_account(app: &TestApp) -> Browser {
    let output = app
        .create_admin("Other Co", OTHER_EMAIL, OTHER_PASSWORD)
        .await;
    assert_succeeded("create-admin", &output);
    let other = app.new_client();
    other
        .login(OTHER_EMAIL, OTHER_PASSWORD)
        .await
        .assert_redirect_to("/settings");
    other
}

#[actix_web::test]
async fn another_account_gets_404_on_every_route_of_an_integration() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Acme secret app", &["contacts.readonly"], "").await;
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let token_id = item_for(&items, &token).id.clone();
    let other = other_account(&app).await;
    let csrf = other.csrf_token("/settings").await;
    let tokens_before = app.count("access_tokens");
    let events_before = app.count("audit_events");

    for rest in ["", "/edit", "/token", "/requests", "/requests.csv"] {
        let reply = other.get(&integration_path(&id, rest)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "GET {rest}");
        assert!(!reply.body.contains("Acme secret app"), "GET {rest} leaks");
    }
    let expire = format!("/tokens/{token_id}/expire");
    let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/edit",
            vec![("name", "Hijacked"), ("scopes", "contacts.write")],
        ),
        ("/edit", vec![("name", ""), ("scopes", "nonsense")]),
        ("/rotate", vec![("expire_old", "now")]),
        (
            "/rotate",
            vec![("expire_old", "later"), ("grace_days", "1")],
        ),
        ("/generate", vec![]),
        ("/cancel-rotation", vec![]),
        (&expire, vec![]),
        ("/delete", vec![]),
    ];
    for (rest, mut fields) in posts {
        fields.push(("csrf_token", &csrf));
        let reply = other.post_form(&integration_path(&id, rest), &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "POST {rest}: {}",
            excerpt(&reply.body)
        );
    }

    let info = token_info(&app, &token).await;
    assert_eq!(info["integration"]["name"], "Acme secret app");
    assert_eq!(info["scopes"], serde_json::json!(["contacts.readonly"]));
    assert_eq!(app.count("access_tokens"), tokens_before);
    assert_eq!(app.count("audit_events"), events_before);
    let list = other.get(BASE).await;
    list.assert_status(StatusCode::OK);
    assert!(!list.body.contains("Acme secret app"));
    assert!(!list.body.contains(&id));
}

#[actix_web::test]
async fn a_token_id_of_another_account_cannot_be_expired_through_your_own_integration() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Acme app", &["contacts.readonly"], "").await;
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let token_id = item_for(&items, &token).id.clone();
    let other = other_account(&app).await;
    let (other_id, other_token) =
        create_with_token(&other, "Other app", &["users.readonly"], "").await;

    let reply = other
        .submit(
            &integration_path(&other_id, ""),
            &integration_path(&other_id, &format!("/tokens/{token_id}/expire")),
            &[],
        )
        .await;

    reply.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    assert_eq!(api_status(&app, &other_token).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_malformed_id_in_the_path_is_a_404() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Acme app", &["contacts.readonly"], "").await;
    let csrf = app.csrf_token(BASE).await;

    for path in [
        format!("{BASE}/not-a-uuid"),
        format!("{BASE}/not-a-uuid/edit"),
        format!("{BASE}/not-a-uuid/token"),
        format!("{BASE}/{id}x"),
    ] {
        app.get(&path).await.assert_status(StatusCode::NOT_FOUND);
    }
    for path in [
        format!("{BASE}/not-a-uuid/rotate"),
        format!("{BASE}/not-a-uuid/delete"),
        format!("{BASE}/{id}/tokens/not-a-uuid/expire"),
    ] {
        let reply = app
            .post_form(&path, &[("expire_old", "now"), ("csrf_token", &csrf)])
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "POST {path}");
    }
}
