//! Tokens that stop working within 7 days are flagged with the reason — a
//! lifetime running out, a rotation's grace period, or disuse — on the list,
//! the detail page and the Settings home; a token 8 days away is not.

use crate::helpers::{TestApp, excerpt, spawn_app};
use crate::integration_support::{
    create_with_token, execute, integration_path, list_row, rotate, token_items,
};

const LIST: &str = "/settings/private-integrations";

/// The Settings home's section of tokens about to stop.
async fn home_section(app: &TestApp) -> String {
    let body = app.get("/settings").await.body;
    body.split("id=\"ending-soon\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("no ending-soon section: {}", excerpt(&body)))
        .to_string()
}

/// The flag appears on the list row, the detail page and the Settings home
/// (with a link to the integration).
async fn assert_flagged(app: &TestApp, id: &str, words: &str) {
    let row = list_row(&app.get(LIST).await.body, id);
    assert!(row.contains(words), "list row lacks {words:?}: {row}");
    let detail = app.get(&integration_path(id, "")).await.body;
    assert!(
        detail.contains(&format!("class=\"expiry-flag\" role=\"status\">{words}<")),
        "detail lacks {words:?}: {}",
        excerpt(&detail)
    );
    let home = home_section(app).await;
    assert!(
        home.contains("<strong class=\"ending-count\">1</strong>"),
        "{home}"
    );
    assert!(home.contains(words), "{home}");
    assert!(
        home.contains(&format!("href=\"{}\"", integration_path(id, ""))),
        "{home}"
    );
}

#[actix_web::test]
async fn a_lifetime_ending_within_a_week_is_flagged() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Short lived", &["contacts.readonly"], "30").await;
    execute(
        &app,
        "UPDATE access_tokens SET expires_at = now() + interval '3 days'",
    );
    assert_flagged(&app, &id, "Expires in 3 days: lifetime ends").await;
    let row = list_row(&app.get(LIST).await.body, &id);
    assert!(
        row.contains(">Expires in 3 days</span>"),
        "status keeps its words: {row}"
    );
}

#[actix_web::test]
async fn a_token_rotated_out_is_flagged_as_replaced_by_a_rotation() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Rotating", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET grace_ends_at = now() + interval '2 days' \
             WHERE last_four = '{}'",
            &old[old.len() - 4..]
        ),
    );
    assert_flagged(&app, &id, "Expires in 2 days: replaced by a rotation").await;
}

#[actix_web::test]
async fn a_token_about_to_pass_the_inactivity_window_is_flagged() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Idle", &["contacts.readonly"], "").await;
    execute(
        &app,
        "UPDATE access_tokens SET last_used_at = now() - interval '85 days'",
    );
    assert_flagged(&app, &id, "Expires in 5 days: unused for 90 days").await;
    let detail = app.get(&integration_path(&id, "")).await.body;
    assert!(detail.contains("Expires on "), "{}", excerpt(&detail));
    assert!(detail.contains(">unless used</a>"));
}

#[actix_web::test]
async fn a_token_eight_days_from_its_end_is_not_flagged() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Not yet", &["contacts.readonly"], "30").await;
    execute(
        &app,
        "UPDATE access_tokens SET expires_at = now() + interval '8 days'",
    );
    let row = list_row(&app.get(LIST).await.body, &id);
    assert!(!row.contains("expiry-flag"), "{row}");
    assert!(row.contains("Expires in 8 days"), "{row}");
    let detail = app.get(&integration_path(&id, "")).await.body;
    assert!(!detail.contains("class=\"expiry-flag\""));
    let home = home_section(&app).await;
    assert!(home.contains("No token stops working"), "{home}");
}

#[actix_web::test]
async fn a_token_without_an_end_never_expires() {
    let app = spawn_app().await;
    app.setup_owner().await;
    app.submit(
        "/settings/account",
        "/settings/account",
        &[("name", "Acme Widgets"), ("inactivity_expiry_days", "off")],
    )
    .await
    .assert_redirect_to("/settings/account");
    let (id, _) = create_with_token(&app, "Forever", &["contacts.readonly"], "").await;
    let detail = app.get(&integration_path(&id, "")).await.body;
    let items = token_items(&detail);
    assert!(
        items[0].html.contains("<dd>Never expires</dd>"),
        "{items:#?}"
    );
    assert!(!detail.contains("Never expire<"), "{}", excerpt(&detail));
}
