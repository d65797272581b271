//! The Profile page (SPEC §6): every user's own time zone, in which the
//! panel shows every time, and their password, whose change ends their
//! other sessions.

use reqwest::StatusCode;

use crate::helpers::{Browser, OWNER_EMAIL, OWNER_PASSWORD, TestApp, excerpt, spawn_app};
use crate::integration_support::{create_with_token, execute, integration_path, texts};

const PROFILE: &str = "/settings/profile";
const NEW_PASSWORD: &str = "a brand new passphrase";

async fn set_zone(browser: &Browser, zone: &str) -> crate::helpers::Reply {
    browser
        .submit(PROFILE, PROFILE, &[("time_zone", zone)])
        .await
}

async fn change_password(
    browser: &Browser,
    current: &str,
    new: &str,
    confirmation: &str,
) -> crate::helpers::Reply {
    browser
        .submit(
            PROFILE,
            PROFILE,
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirmation", confirmation),
            ],
        )
        .await
}

fn zone_of(app: &TestApp, email: &str) -> String {
    texts(
        app,
        &format!("SELECT time_zone AS s FROM users WHERE email = '{email}'"),
    )
    .pop()
    .unwrap_or_default()
}

fn events(app: &TestApp, action: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events WHERE action = '{action}'"
    ))
}

#[actix_web::test]
async fn the_time_zone_is_utc_until_the_user_picks_a_known_one() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let page = app.get(PROFILE).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("value=\"UTC\""),
        "{}",
        excerpt(&page.body)
    );

    let refused = set_zone(&app, "Mars/Olympus_Mons").await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("value=\"Mars/Olympus_Mons\""),
        "the entry is kept: {}",
        excerpt(&refused.body)
    );
    assert!(
        refused.body.contains("time-zone-error"),
        "{}",
        excerpt(&refused.body)
    );
    assert_eq!(zone_of(&app, OWNER_EMAIL), "UTC");

    set_zone(&app, "Asia/Tokyo")
        .await
        .assert_redirect_to(PROFILE);
    assert_eq!(zone_of(&app, OWNER_EMAIL), "Asia/Tokyo");
    assert_eq!(events(&app, "user.profile_updated"), 1);
    let page = app.get(PROFILE).await;
    assert!(page.body.contains("value=\"Asia/Tokyo\""));
    assert!(
        page.body.contains("Times in Asia/Tokyo"),
        "the zone is named"
    );
    let log = app.get("/settings/audit-log").await.body;
    assert!(
        log.contains("set their time zone to Asia/Tokyo"),
        "{}",
        excerpt(&log)
    );
}

#[actix_web::test]
async fn rendered_times_follow_the_viewers_time_zone() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Zone sync", &["contacts.readonly"], "").await;
    execute(
        &app,
        "UPDATE access_tokens SET created_at = '2026-11-20 20:30:00+00'",
    );
    execute(
        &app,
        "UPDATE integrations SET created_at = '2026-11-20 20:30:00+00'",
    );
    let detail = integration_path(&id, "");

    let in_utc = app.get(&detail).await.body;
    assert!(
        in_utc.contains("20 Nov 2026, 20:30 UTC"),
        "{}",
        excerpt(&in_utc)
    );

    set_zone(&app, "Asia/Tokyo")
        .await
        .assert_redirect_to(PROFILE);
    let in_tokyo = app.get(&detail).await.body;
    assert!(
        in_tokyo.contains("21 Nov 2026, 05:30 JST"),
        "{}",
        excerpt(&in_tokyo)
    );
    assert!(!in_tokyo.contains("20 Nov 2026, 20:30 UTC"));

    // The audit log's exact times move too, and its machine-readable
    // `datetime` stays in UTC.
    execute(
        &app,
        "UPDATE audit_events SET created_at = '2026-11-20 20:30:00+00'",
    );
    let log = app.get("/settings/audit-log").await.body;
    assert!(
        log.contains("21 Nov 2026, 05:30:00 JST"),
        "{}",
        excerpt(&log)
    );
    assert!(
        log.contains("datetime=\"2026-11-20T20:30:00Z\""),
        "{}",
        excerpt(&log)
    );
}

#[actix_web::test]
async fn a_password_change_needs_the_current_password_and_a_matching_new_one() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let wrong = change_password(&app, "not my password at all", NEW_PASSWORD, NEW_PASSWORD).await;
    wrong.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("current-password-error"),
        "{}",
        excerpt(&wrong.body)
    );

    let mismatch = change_password(&app, OWNER_PASSWORD, NEW_PASSWORD, "another passphrase!").await;
    mismatch.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch.body.contains("confirmation-error"),
        "{}",
        excerpt(&mismatch.body)
    );

    let short = change_password(&app, OWNER_PASSWORD, "too short", "too short").await;
    short.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("new-password-error"));

    // The password form posted with every field empty is no time zone save.
    let empty = change_password(&app, "", "", "").await;
    empty.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.body.contains("current-password-error") && empty.body.contains("new-password-error"),
        "{}",
        excerpt(&empty.body)
    );
    assert!(!empty.body.contains("Time zone saved"));

    assert_eq!(events(&app, "user.password_changed"), 0);
    let old_still_works = app.new_client();
    old_still_works
        .login(OWNER_EMAIL, OWNER_PASSWORD)
        .await
        .assert_redirect_to("/settings");
}

#[actix_web::test]
async fn a_password_change_signs_out_the_users_other_sessions_only() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let laptop = app.new_client();
    laptop
        .login(OWNER_EMAIL, OWNER_PASSWORD)
        .await
        .assert_redirect_to("/settings");
    assert!(laptop.is_signed_in().await);

    change_password(&app, OWNER_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .assert_redirect_to(PROFILE);

    assert!(
        app.is_signed_in().await,
        "the session that changed it stays"
    );
    assert!(!laptop.is_signed_in().await, "the other session ended");
    assert_eq!(events(&app, "user.password_changed"), 1);
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM sessions WHERE user_id IS NOT NULL"),
        1
    );

    let fresh = app.new_client();
    fresh
        .login(OWNER_EMAIL, OWNER_PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    fresh
        .login(OWNER_EMAIL, NEW_PASSWORD)
        .await
        .assert_redirect_to("/settings");
}

#[actix_web::test]
async fn a_viewer_changes_their_own_profile() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let viewer_password = "a viewer's long password";
    app.submit(
        "/settings/users",
        "/settings/users",
        &[
            ("email", "viewer@acme.test"),
            ("role", "viewer"),
            ("password", viewer_password),
        ],
    )
    .await
    .assert_redirect_to("/settings/users");
    let viewer = app.new_client();
    viewer
        .login("viewer@acme.test", viewer_password)
        .await
        .assert_redirect_to("/settings");

    set_zone(&viewer, "Europe/Paris")
        .await
        .assert_redirect_to(PROFILE);
    assert_eq!(zone_of(&app, "viewer@acme.test"), "Europe/Paris");
    assert_eq!(zone_of(&app, OWNER_EMAIL), "UTC", "only their own");
    change_password(&viewer, viewer_password, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .assert_redirect_to(PROFILE);
    assert!(viewer.is_signed_in().await);
}

#[actix_web::test]
async fn guesses_at_the_current_password_are_throttled_like_sign_ins() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for _ in 0..5 {
        change_password(&app, "a wrong guess here", NEW_PASSWORD, NEW_PASSWORD)
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let refused = change_password(&app, OWNER_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    refused.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.body.contains("Too many wrong passwords"),
        "{}",
        excerpt(&refused.body)
    );
    assert_eq!(events(&app, "user.password_changed"), 0);
    assert!(app.is_signed_in().await, "the session itself goes on");
}
