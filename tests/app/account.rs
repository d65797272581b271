//! The Account page (SPEC §6): owners rename the account and set the
//! tokens' inactivity window, which takes effect on saving; nobody else may.

use reqwest::StatusCode;

use crate::audit_log::{actions, event_rows, log_page};
use crate::helpers::{Browser, OWNER_ACCOUNT, TestApp, excerpt, spawn_app};
use crate::integration_support::{
    api_status, create_with_token, execute, integration_path, texts, wait_for_last_use,
};

const ACCOUNT: &str = "/settings/account";
const PASSWORD: &str = "a long enough password";

async fn save(browser: &Browser, name: &str, window: &str) -> crate::helpers::Reply {
    browser
        .submit(
            ACCOUNT,
            ACCOUNT,
            &[("name", name), ("inactivity_expiry_days", window)],
        )
        .await
}

fn account_row(app: &TestApp) -> String {
    texts(
        app,
        "SELECT name || '|' || coalesce(inactivity_expiry_days::text, 'off') AS s FROM accounts",
    )
    .concat()
}

/// Makes the integration's token look unused for `days` days.
fn age_tokens(app: &TestApp, id: &str, days: i64) {
    execute(
        app,
        &format!(
            "UPDATE access_tokens SET created_at = now() - interval '{days} days', \
             last_used_at = now() - interval '{days} days' WHERE integration_id = '{id}'"
        ),
    );
}

fn inactive_events(app: &TestApp, id: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'token.expired' \
         AND integration_id = '{id}' AND details->>'reason' = 'inactive'"
    ))
}

/// A token used once through the API (so later SQL is not overwritten by
/// that use's bookkeeping): `(integration id, token)`.
async fn used_token(app: &TestApp, name: &str) -> (String, String) {
    let (id, token) = create_with_token(app, name, &["contacts.readonly"], "").await;
    assert_eq!(api_status(app, &token).await, StatusCode::OK);
    wait_for_last_use(app, &id).await;
    (id, token)
}

#[actix_web::test]
async fn the_owner_renames_the_account_and_sets_the_window() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let page = app.get(ACCOUNT).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(&format!("value=\"{OWNER_ACCOUNT}\"")));
    assert!(
        page.body.contains("<option value=\"90\" selected>"),
        "90 days by default"
    );
    assert!(
        page.body.contains("id=\"inactivity-rule\""),
        "the rule is explained"
    );

    save(&app, "  Acme Renamed  ", "60")
        .await
        .assert_redirect_to(ACCOUNT);
    assert_eq!(account_row(&app), "Acme Renamed|60");
    let page = app.get(ACCOUNT).await.body;
    assert!(page.contains("<option value=\"60\" selected>"));
    assert!(page.contains("Account settings saved."));
    assert!(
        page.contains("Acme Renamed"),
        "the header names the account"
    );

    save(&app, "Acme Renamed", "off")
        .await
        .assert_redirect_to(ACCOUNT);
    assert_eq!(account_row(&app), "Acme Renamed|off");
    // Saving what is already there records nothing.
    save(&app, "Acme Renamed", "off")
        .await
        .assert_redirect_to(ACCOUNT);

    let log = log_page(&app, "?action=account.updated").await;
    let rows = event_rows(&log);
    assert_eq!(rows.len(), 2, "{}", excerpt(&log));
    assert!(
        rows[0].contains("inactivity expiry from 60 days to off"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("renamed from “Acme Widgets”; inactivity expiry from 90 days to 60 days"),
        "{}",
        rows[1]
    );
}

#[actix_web::test]
async fn bad_values_are_a_422_with_the_input_kept_and_nothing_changed() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let long = "x".repeat(101);
    let cases = [
        ("Acme", "45", "inactivity-error"),
        ("Acme", "", "inactivity-error"),
        ("Acme", "never", "inactivity-error"),
        ("", "30", "name-error"),
        ("   ", "30", "name-error"),
        (long.as_str(), "30", "name-error"),
        ("Ac\u{202e}me", "30", "name-error"),
        ("Ac\0me", "30", "name-error"),
    ];
    for (name, window, error) in cases {
        let reply = save(&app, name, window).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains(&format!("id=\"{error}\"")),
            "{name:?} {window:?}"
        );
    }
    let kept = save(&app, "Kept name", "45").await;
    assert!(kept.body.contains("value=\"Kept name\""));
    assert_eq!(account_row(&app), format!("{OWNER_ACCOUNT}|90"));
    assert!(actions(&log_page(&app, "?action=account.updated").await).is_empty());
}

#[actix_web::test]
async fn a_shorter_window_expires_a_token_unused_for_40_days_at_once() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (old, old_token) = used_token(&app, "Forty days idle").await;
    let (_, fresh_token) = used_token(&app, "Fresh").await;
    age_tokens(&app, &old, 40);
    assert_eq!(
        api_status(&app, &old_token).await,
        StatusCode::OK,
        "within 90 days"
    );

    save(&app, OWNER_ACCOUNT, "30")
        .await
        .assert_redirect_to(ACCOUNT);

    // No sweep, no wait: the answer to the save came after the marking.
    assert_eq!(api_status(&app, &old_token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &fresh_token).await, StatusCode::OK);
    assert_eq!(
        texts(
            &app,
            &format!(
                "SELECT revoked_reason AS s FROM access_tokens WHERE integration_id = '{old}'"
            )
        ),
        ["inactive"]
    );
    assert_eq!(inactive_events(&app, &old), 1);

    // Lengthening the window again revives nothing.
    save(&app, OWNER_ACCOUNT, "90")
        .await
        .assert_redirect_to(ACCOUNT);
    assert_eq!(api_status(&app, &old_token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(inactive_events(&app, &old), 1, "expired once");
}

#[actix_web::test]
async fn with_the_window_off_an_unused_token_keeps_working() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = used_token(&app, "Rarely used").await;

    save(&app, OWNER_ACCOUNT, "off")
        .await
        .assert_redirect_to(ACCOUNT);
    age_tokens(&app, &id, 400);
    private_integrations::workers::maintenance::sweep(&mut app.db.connection()).expect("sweep");
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
    assert_eq!(inactive_events(&app, &id), 0);
    let detail = app.get(&integration_path(&id, "")).await.body;
    let items = crate::integration_support::token_items(&detail);
    assert!(
        items[0].html.contains("<dd>Never expires</dd>"),
        "no deadline shown: {items:#?}"
    );

    // Switched on again, the rule applies at once.
    save(&app, OWNER_ACCOUNT, "90")
        .await
        .assert_redirect_to(ACCOUNT);
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_inactivity_deadline_links_to_the_rule() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Deadline", &["contacts.readonly"], "").await;

    let detail = app.get(&integration_path(&id, "")).await.body;
    assert!(
        detail.contains("Expires on ") && detail.contains("<a href=\"/settings/account\""),
        "{}",
        excerpt(&detail)
    );
    assert!(detail.contains(">unless used</a>"));
}

#[actix_web::test]
async fn admins_and_viewers_may_not_read_or_change_the_account() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let mut others = Vec::new();
    for (email, role) in [("ada@acme.test", "admin"), ("vic@acme.test", "viewer")] {
        app.submit(
            "/settings/users",
            "/settings/users",
            &[("email", email), ("role", role), ("password", PASSWORD)],
        )
        .await
        .assert_redirect_to("/settings/users");
        let browser = app.new_client();
        browser
            .login(email, PASSWORD)
            .await
            .assert_redirect_to("/settings");
        others.push(browser);
    }
    let events = app.count("audit_events");

    for browser in &others {
        browser
            .get(ACCOUNT)
            .await
            .assert_status(StatusCode::FORBIDDEN);
        let token = browser.csrf_token("/settings").await;
        browser
            .post_form(
                ACCOUNT,
                &[
                    ("csrf_token", &token),
                    ("name", "Taken over"),
                    ("inactivity_expiry_days", "off"),
                ],
            )
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    assert_eq!(account_row(&app), format!("{OWNER_ACCOUNT}|90"));
    assert_eq!(app.count("audit_events"), events);
}
