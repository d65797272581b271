//! Destructive actions ask first, also without JavaScript (SPEC §6): each
//! one's form sits inside a `<details class="confirm">` disclosure, and the
//! question says what will happen — that three tokens would be live, that
//! the app stops working, which button keeps things as they are.

use reqwest::StatusCode;

use crate::helpers::{TestApp, excerpt, spawn_app};
use crate::integration_support::{act, create_with_token, integration_path, rotate};
use crate::webhook_support::{ALL_EVENTS, NOWHERE_URL, add_endpoint};

/// One `<form>` of a page: its action, the hidden `role` it posts (if any),
/// whether it stands inside an open confirmation disclosure, and whether
/// its submit button does.
#[derive(Debug)]
struct FormSeen {
    action: String,
    role: Option<String>,
    inside_confirm: bool,
    button_inside_confirm: bool,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(tag[start..].split('"').next()?.to_string())
}

/// Whether position `at` of `body` is inside a `<details class="confirm">`.
fn inside_confirm(body: &str, at: usize) -> bool {
    let before = &body[..at];
    let opened = before.rfind("<details class=\"confirm\"");
    let closed = before.rfind("</details>");
    match (opened, closed) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    }
}

fn forms(body: &str) -> Vec<FormSeen> {
    let mut seen = Vec::new();
    let mut from = 0;
    while let Some(found) = body[from..].find("<form") {
        let start = from + found;
        let end = body[start..]
            .find("</form>")
            .map_or(body.len(), |e| start + e);
        let form = &body[start..end];
        let tag = form.split('>').next().unwrap_or_default();
        let role = form
            .split("<input")
            .find(|i| i.contains("name=\"role\"") && i.contains("type=\"hidden\""))
            .and_then(|i| attr(i, "value"));
        let button_inside_confirm = form
            .find("type=\"submit\"")
            .is_some_and(|b| inside_confirm(body, start + b));
        seen.push(FormSeen {
            action: attr(tag, "action").unwrap_or_default(),
            role,
            inside_confirm: inside_confirm(body, start),
            button_inside_confirm,
        });
        from = end;
    }
    seen
}

/// Whether a form posting to `action` is one SPEC §6 calls destructive.
fn destructive(form: &FormSeen) -> bool {
    let a = form.action.as_str();
    a.ends_with("/cancel-rotation")
        || a.ends_with("/delete")
        || a.ends_with("/expire")
        || a.ends_with("/roll-secret")
        || a.ends_with("/remove")
        || a == "/settings/api-keys/disable"
        || a == "/settings/api-keys/generate"
        || (a.ends_with("/role") && form.role.as_deref() == Some("viewer"))
}

fn assert_all_confirmed(page: &str, body: &str) {
    let all = forms(body);
    let mut checked = 0;
    for form in &all {
        if destructive(form) {
            checked += 1;
            assert!(
                form.inside_confirm,
                "{page}: {form:?} posts without a confirming step"
            );
        }
    }
    assert!(checked > 0, "{page}: no destructive form found: {all:#?}");
}

/// An integration mid-rotation (two live tokens), with a webhook endpoint,
/// an admin user and a legacy key: every destructive button is on show.
async fn everything_destructive(app: &TestApp) -> String {
    app.setup_owner().await;
    let (id, _) = create_with_token(app, "Busy", &["contacts.readonly"], "").await;
    rotate(app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;
    add_endpoint(app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    app.submit(
        "/settings/users",
        "/settings/users",
        &[
            ("email", "admin@acme.test"),
            ("role", "admin"),
            ("password", "a long enough password"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    app.submit("/settings/api-keys", "/settings/api-keys/generate", &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    id
}

#[actix_web::test]
async fn every_destructive_action_posts_only_from_inside_its_confirmation() {
    let app = spawn_app().await;
    let id = everything_destructive(&app).await;
    // The key is revealed once; the page after that shows the actions.
    app.get("/settings/api-keys/key").await;

    for page in [
        integration_path(&id, ""),
        integration_path(&id, "/webhooks"),
        "/settings/users".to_string(),
        "/settings/api-keys".to_string(),
    ] {
        let reply = app.get(&page).await;
        reply.assert_status(StatusCode::OK);
        assert_all_confirmed(&page, &reply.body);
    }

    let detail = app.get(&integration_path(&id, "")).await.body;
    let rotate_now = forms(&detail)
        .into_iter()
        .find(|f| f.action.ends_with("/rotate") && f.inside_confirm);
    assert!(
        rotate_now.is_some(),
        "Rotate Now is not behind a confirmation"
    );
}

#[actix_web::test]
async fn cancelling_a_rotation_asks_with_keep_both_tokens_and_cancel_rotation() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Rolling", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "later")]).await;

    let body = app.get(&integration_path(&id, "")).await.body;
    let details = body
        .split("<details class=\"confirm\"")
        .find(|d| d.contains("/cancel-rotation\""))
        .unwrap_or_else(|| panic!("no cancel-rotation confirmation: {}", excerpt(&body)));
    let tag = details.split('>').next().unwrap_or_default();
    assert_eq!(
        attr(tag, "data-cancel-button").as_deref(),
        Some("Keep both tokens")
    );
    assert_eq!(
        attr(tag, "data-confirm-button").as_deref(),
        Some("Cancel rotation")
    );
    let panel = details.split("</details>").next().unwrap_or_default();
    assert!(panel.contains(">Keep both tokens</a>"), "{panel}");
    assert!(
        panel.contains("class=\"button button-danger\">Cancel rotation</button>"),
        "{panel}"
    );
    // The dialog the script opens reads its words from those attributes.
    let script = app.get("/static/js/app.js").await.body;
    assert!(script.contains("data-cancel-button"), "app.js ignores them");
}

/// The confirmation question of the Expire Now form of every token item.
fn expire_questions(body: &str) -> Vec<String> {
    body.split("<details class=\"confirm\"")
        .skip(1)
        .filter(|d| d.contains("/expire\""))
        .filter_map(|d| attr(d.split('>').next()?, "data-confirm"))
        .collect()
}

#[actix_web::test]
async fn expiring_the_last_working_token_warns_that_the_app_stops_working() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Lonely", &["contacts.readonly"], "").await;

    let alone = expire_questions(&app.get(&integration_path(&id, "")).await.body);
    assert_eq!(alone.len(), 1, "{alone:?}");
    assert!(
        alone[0].contains("last working token") && alone[0].contains("stops working"),
        "{alone:?}"
    );

    rotate(&app, &id, &[("expire_old", "later")]).await;
    let pair = expire_questions(&app.get(&integration_path(&id, "")).await.body);
    assert_eq!(pair.len(), 2, "{pair:?}");
    assert!(
        pair.iter().all(|q| !q.contains("last working token")),
        "{pair:?}"
    );
}

#[actix_web::test]
async fn a_second_rotate_later_says_three_tokens_would_then_be_live() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Twice", &["contacts.readonly"], "").await;

    let calm = app.get(&integration_path(&id, "")).await.body;
    assert!(!calm.contains("three tokens"), "{}", excerpt(&calm));
    let later = forms(&calm)
        .into_iter()
        .find(|f| f.action.ends_with("/rotate") && !f.inside_confirm)
        .expect("the rotate-later form");
    assert!(
        !later.button_inside_confirm,
        "no question without a rotation"
    );

    rotate(&app, &id, &[("expire_old", "later")]).await;
    let busy = app.get(&integration_path(&id, "")).await.body;
    let later = forms(&busy)
        .into_iter()
        .find(|f| f.action.ends_with("/rotate") && !f.inside_confirm)
        .expect("the rotate-later form");
    assert!(
        later.button_inside_confirm,
        "a second rotate-later posts without asking"
    );
    assert!(busy.contains("three tokens working"), "{}", excerpt(&busy));

    // The question is text only: the form posts the same fields as before.
    let reply = act(
        &app,
        &id,
        "/rotate",
        &[("expire_old", "later"), ("grace_days", "1")],
    )
    .await;
    reply.assert_redirect_to(&integration_path(&id, "/token"));
}

#[actix_web::test]
async fn the_token_actions_sit_with_the_tokens_above_the_usage_chart() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Placed", &["contacts.readonly"], "").await;

    let body = app.get(&integration_path(&id, "")).await.body;
    let tokens = body.find(">Access tokens</h2>").expect("the tokens card");
    let usage = body
        .find("<section class=\"card\" id=\"usage\"")
        .expect("the usage card");
    for label in ["Rotate Now", "Rotate and expire later"] {
        let at = body
            .find(&format!(">{label}<"))
            .unwrap_or_else(|| panic!("no {label}"));
        assert!(tokens < at && at < usage, "{label} is not with the tokens");
    }
    // The tokens card holds them: no other card starts in between.
    assert!(
        !body[tokens..usage].contains("<section"),
        "the actions are in a card of their own"
    );

    let rotate_now = integration_path(&id, "/rotate");
    act(&app, &id, "/rotate", &[("expire_old", "now")]).await;
    app.get(&integration_path(&id, "/token")).await;
    let token_id =
        crate::integration_support::token_items(&app.get(&integration_path(&id, "")).await.body)[0]
            .id
            .clone();
    act(&app, &id, &format!("/tokens/{token_id}/expire"), &[]).await;
    let body = app.get(&integration_path(&id, "")).await.body;
    let tokens = body.find(">Access tokens</h2>").expect("the tokens card");
    let usage = body
        .find("<section class=\"card\" id=\"usage\"")
        .expect("the usage card");
    let generate = body
        .find(">Generate Access Token</button>")
        .unwrap_or_else(|| panic!("no Generate button: {}", excerpt(&body)));
    assert!(tokens < generate && generate < usage, "{rotate_now}");
}
