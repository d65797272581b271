//! Tokens verified from memory stay revocable at once (SPEC §4, §10): a
//! change through one instance is refused by that instance at once and by
//! another instance, whose cache held the token, within a second.

use std::time::Duration;

use reqwest::StatusCode;

use crate::api_support::{Api, edit_integration, location_of};
use crate::helpers::{Browser, TestApp, spawn_app};
use crate::integration_support::{
    act, api_status, create_with_token, execute, integration_path, rotate, second_instance,
    status_on, texts, until_status,
};

/// Warms both instances' caches with `token`.
async fn warm(app: &TestApp, other: &Browser, token: &str) {
    for _ in 0..3 {
        assert_eq!(api_status(app, token).await, StatusCode::OK);
        assert_eq!(status_on(other, token, "/v2/token").await, StatusCode::OK);
    }
}

#[actix_web::test]
async fn a_token_rotated_or_expired_on_one_instance_is_refused_by_another_within_a_second() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = second_instance(&app).await;
    let (id, first) = create_with_token(&app, "Shared", &["contacts.readonly"], "").await;
    warm(&app, &other, &first).await;

    let second = rotate(&app, &id, &[("expire_old", "now"), ("grace_days", "7")]).await;
    assert_eq!(
        api_status(&app, &first).await,
        StatusCode::UNAUTHORIZED,
        "the instance that rotated refuses at once"
    );
    let took = until_status(&other, &first, "/v2/token", StatusCode::UNAUTHORIZED).await;
    assert!(
        took < Duration::from_secs(1),
        "the other instance took {took:?}"
    );

    warm(&app, &other, &second).await;
    let token_id = texts(
        &app,
        &format!(
            "SELECT id::text AS s FROM access_tokens WHERE integration_id = '{id}' \
             AND revoked_at IS NULL"
        ),
    )
    .concat();
    act(&app, &id, &format!("/tokens/{token_id}/expire"), &[])
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    assert_eq!(api_status(&app, &second).await, StatusCode::UNAUTHORIZED);
    let took = until_status(&other, &second, "/v2/token", StatusCode::UNAUTHORIZED).await;
    assert!(
        took < Duration::from_secs(1),
        "the other instance took {took:?}"
    );
}

#[actix_web::test]
async fn a_scope_removed_on_one_instance_is_refused_by_another_within_a_second() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = second_instance(&app).await;
    let (id, token) = create_with_token(
        &app,
        "Narrowed",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let location = location_of(&app, &token).await;
    let users = format!("/v2/users/?locationId={location}");
    for _ in 0..3 {
        assert_eq!(status_on(&other, &token, &users).await, StatusCode::OK);
    }

    edit_integration(&app, &id, "Narrowed", &["contacts.readonly"], "")
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    let api = Api::new(&app, &token);
    assert_eq!(
        api.get(&users).await.status,
        StatusCode::FORBIDDEN,
        "at once here"
    );
    let took = until_status(&other, &token, &users, StatusCode::FORBIDDEN).await;
    assert!(
        took < Duration::from_secs(1),
        "the other instance took {took:?}"
    );
}

#[actix_web::test]
async fn a_deleted_integrations_token_is_refused_everywhere() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = second_instance(&app).await;
    let (id, token) = create_with_token(&app, "Gone", &["contacts.readonly"], "").await;
    warm(&app, &other, &token).await;

    act(&app, &id, "/delete", &[])
        .await
        .assert_redirect_to("/settings/private-integrations");
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    let took = until_status(&other, &token, "/v2/token", StatusCode::UNAUTHORIZED).await;
    assert!(
        took < Duration::from_secs(1),
        "the other instance took {took:?}"
    );
}

#[actix_web::test]
async fn a_token_changed_by_hand_in_the_database_is_refused_at_once_by_every_instance() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = second_instance(&app).await;
    for (name, change) in [
        ("Ended", "expires_at = now() - interval '1 second'"),
        (
            "Revoked",
            "revoked_at = now(), revoked_reason = 'expired_by_user'",
        ),
        ("Idle", "last_used_at = now() - interval '100 days'"),
    ] {
        let (id, token) = create_with_token(&app, name, &["contacts.readonly"], "").await;
        warm(&app, &other, &token).await;
        execute(
            &app,
            &format!("UPDATE access_tokens SET {change} WHERE integration_id = '{id}'"),
        );
        for instance in [&app.browser, &other] {
            let took = until_status(instance, &token, "/v2/token", StatusCode::UNAUTHORIZED).await;
            assert!(took < Duration::from_millis(500), "{name}: took {took:?}");
        }
    }

    // The account's window, changed by hand, holds at once too.
    let (_, token) = create_with_token(&app, "Quiet", &["contacts.readonly"], "").await;
    warm(&app, &other, &token).await;
    execute(
        &app,
        "UPDATE access_tokens SET created_at = now() - interval '40 days', last_used_at = NULL \
         WHERE revoked_at IS NULL",
    );
    execute(&app, "UPDATE accounts SET inactivity_expiry_days = 30");
    for instance in [&app.browser, &other] {
        let took = until_status(instance, &token, "/v2/token", StatusCode::UNAUTHORIZED).await;
        assert!(took < Duration::from_millis(500), "window: took {took:?}");
    }
}

/// The usage writer moves a token's last use forward at most once a minute
/// per token; that tells no instance to drop a token (it only got more
/// alive), or every instance would drop every busy token once a minute.
/// Only the list pages that show the use are told.
#[actix_web::test]
async fn a_last_use_moving_forward_tells_no_instance_and_any_other_change_does() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    app.setup_owner().await;
    create_with_token(&app, "Busy", &["contacts.readonly"], "").await;
    let mut listener = app.db.connection();
    listener
        .batch_execute("LISTEN pi_token_changes")
        .expect("listen");
    let mut told = |sql: &str| {
        execute(&app, sql);
        std::thread::sleep(Duration::from_millis(100));
        listener
            .notifications_iter()
            .filter_map(Result::ok)
            .filter(|n| !n.payload.starts_with("list:"))
            .count()
            > 0
    };
    assert!(!told(
        "UPDATE access_tokens SET last_used_at = now(), last_used_ip = '192.0.2.1'"
    ));
    assert!(!told("UPDATE integrations SET last_used_at = now()"));
    assert!(told(
        "UPDATE access_tokens SET last_used_at = now() - interval '100 days'"
    ));
    assert!(told("UPDATE access_tokens SET expires_at = now()"));
    assert!(told("UPDATE integrations SET description = 'changed'"));
}
