//! Viewers see integrations but change nothing (SPEC §6).

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, spawn_app};
use crate::integration_support::{create_with_token, execute, token_info};

const VIEWER: &str = "viewer@acme.test";
const VIEWER_PASSWORD: &str = "a viewer's long password";

/// Sets up the owner (signed in in the first browser), then a viewer of the
/// same account, signed in in a browser of its own.
pub async fn signed_in_viewer(app: &TestApp) -> Browser {
    let owner = app.setup_owner().await;
    let out = app
        .create_admin(&owner.account_name, VIEWER, VIEWER_PASSWORD)
        .await;
    assert!(out.status.success(), "create-admin failed");
    execute(
        app,
        &format!("UPDATE users SET role = 'viewer' WHERE email = '{VIEWER}'"),
    );
    let viewer = app.new_client();
    viewer.login(VIEWER, VIEWER_PASSWORD).await;
    viewer
}

#[actix_web::test]
async fn a_viewer_sees_an_integration_but_every_change_is_refused() {
    let app = spawn_app().await;
    let viewer = signed_in_viewer(&app).await;
    let (id, token) = create_with_token(&app, "Watched", &["contacts.readonly"], "").await;
    let page = format!("/settings/private-integrations/{id}");

    let list = viewer.get("/settings/private-integrations").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Watched"));
    assert!(
        !list.body.contains("/settings/private-integrations/new"),
        "no create button"
    );
    let detail = viewer.get(&page).await;
    assert_eq!(detail.status, StatusCode::OK);
    for action in ["/rotate", "/generate", "/delete", "/expire", "/edit"] {
        assert!(
            !detail.body.contains(&format!("{action}\"")),
            "viewer sees {action}"
        );
    }

    assert_eq!(
        viewer
            .get("/settings/private-integrations/new")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer.get(&format!("{page}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    // The viewer's own CSRF token, from a page they may see.
    let token_field = viewer.csrf_token(&page).await;
    for (action, fields) in [
        ("/rotate", vec![("expire_old", "now")]),
        ("/generate", vec![]),
        ("/cancel-rotation", vec![]),
        ("/delete", vec![]),
        (
            "/edit",
            vec![("name", "Renamed"), ("scopes", "contacts.write")],
        ),
    ] {
        let mut form = vec![("csrf_token", token_field.as_str())];
        form.extend(fields);
        let reply = viewer.post_form(&format!("{page}{action}"), &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{action}");
    }
    let created = viewer
        .post_form(
            "/settings/private-integrations",
            &[
                ("csrf_token", token_field.as_str()),
                ("name", "Sneaky"),
                ("scopes", "contacts.readonly"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get("/settings/api-keys").await.status,
        StatusCode::FORBIDDEN,
        "the legacy key is the owner's alone"
    );
    let generated = viewer
        .post_form(
            "/settings/api-keys/generate",
            &[("csrf_token", &token_field)],
        )
        .await;
    assert_eq!(generated.status, StatusCode::FORBIDDEN);

    assert_eq!(app.count("integrations"), 1);
    assert_eq!(app.count("legacy_api_keys"), 0);
    let info = token_info(&app, &token).await;
    assert_eq!(
        info["integration"]["name"], "Watched",
        "the token still works, unchanged"
    );
}
