//! Rotating, generating, cancelling a rotation and expiring tokens, and what
//! each does to the old and new tokens on API v2.

use reqwest::StatusCode;

use crate::helpers::{OWNER_EMAIL, encode_form, excerpt, spawn_app};
use crate::integration_support::{
    act, api_status, assert_expires_in, create_with_token, execute, follow_reveal,
    integration_path, item_for, revealed_token, rotate, token_info, token_items, wait_for_last_use,
};

const SCOPES: &[&str] = &["contacts.readonly"];

#[actix_web::test]
async fn rotate_now_kills_the_old_token_at_once() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Rotating", SCOPES, "").await;

    let new = rotate(&app, &id, &[("expire_old", "now")]).await;

    assert_ne!(new, old);
    assert_eq!(api_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &new).await, StatusCode::OK);
}

#[actix_web::test]
async fn rotate_later_keeps_the_old_token_for_the_chosen_grace_period() {
    let app = spawn_app().await;
    app.setup_owner().await;

    for (grace, days) in [
        (Some("1"), 1.0),
        (Some("3"), 3.0),
        (Some("7"), 7.0),
        (None, 7.0),
    ] {
        // Names are unique per account.
        let name = format!("Planned {grace:?}");
        let (id, old) = create_with_token(&app, &name, SCOPES, "").await;
        let mut fields = vec![("expire_old", "later")];
        if let Some(grace) = grace {
            fields.push(("grace_days", grace));
        }
        let new = rotate(&app, &id, &fields).await;

        let old_info = token_info(&app, &old).await;
        assert_expires_in(&old_info, days);
        let new_info = token_info(&app, &new).await;
        assert!(new_info.get("expiresAt").is_none(), "{new_info}");

        let detail = app.get(&integration_path(&id, "")).await;
        let items = token_items(&detail.body);
        assert_eq!(items.len(), 2, "grace {grace:?}: {items:#?}");
        for item in &items {
            let action = format!(
                "action=\"{}\"",
                integration_path(&id, &format!("/tokens/{}/expire", item.id))
            );
            assert!(
                item.html.contains(&action),
                "{action} missing: {}",
                item.html
            );
        }
        assert!(item_for(&items, &new).current);
        assert!(!item_for(&items, &old).current);
    }
}

#[actix_web::test]
async fn cancelling_a_rotation_revokes_the_new_token_and_restores_the_old() {
    let app = spawn_app().await;
    app.setup_owner().await;

    for (lifetime, end) in [("", None), ("30", Some(30.0))] {
        let name = format!("Cancelled {lifetime}");
        let (id, old) = create_with_token(&app, &name, SCOPES, lifetime).await;
        let new = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;
        assert_expires_in(&token_info(&app, &old).await, 3.0);

        act(&app, &id, "/cancel-rotation", &[])
            .await
            .assert_redirect_to(&integration_path(&id, ""));

        assert_eq!(api_status(&app, &new).await, StatusCode::UNAUTHORIZED);
        let info = token_info(&app, &old).await;
        match end {
            None => assert!(info.get("expiresAt").is_none(), "{info}"),
            Some(days) => assert_expires_in(&info, days),
        }
        let items = token_items(&app.get(&integration_path(&id, "")).await.body);
        assert_eq!(items.len(), 1);
        assert!(item_for(&items, &old).current);
    }
}

#[actix_web::test]
async fn cancelling_when_no_rotation_runs_changes_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Steady", SCOPES, "").await;
    let revoked = "SELECT count(*) AS n FROM access_tokens WHERE revoked_at IS NOT NULL";

    let refused = act(&app, &id, "/cancel-rotation", &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(
        refused.body.contains("No rotation is in progress."),
        "{}",
        excerpt(&refused.body)
    );

    assert_eq!(app.count("access_tokens"), 1);
    assert_eq!(app.db.query_count(revoked), 0);
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
}

#[actix_web::test]
async fn expire_now_works_on_the_grace_token_and_on_the_current_one() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Expiring", SCOPES, "").await;
    let new = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let (old_id, new_id) = (
        item_for(&items, &old).id.clone(),
        item_for(&items, &new).id.clone(),
    );

    act(&app, &id, &format!("/tokens/{old_id}/expire"), &[])
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    assert_eq!(api_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &new).await, StatusCode::OK);

    act(&app, &id, &format!("/tokens/{new_id}/expire"), &[])
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    assert_eq!(api_status(&app, &new).await, StatusCode::UNAUTHORIZED);
    assert!(token_items(&app.get(&integration_path(&id, "")).await.body).is_empty());
}

#[actix_web::test]
async fn generate_issues_a_token_only_when_none_is_active() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Generated", SCOPES, "").await;

    act(&app, &id, "/generate", &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("access_tokens"), 1, "a second token was issued");
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);

    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let token_id = item_for(&items, &token).id.clone();
    act(&app, &id, &format!("/tokens/{token_id}/expire"), &[]).await;
    let reply = act(&app, &id, "/generate", &[]).await;
    reply.assert_redirect_to(&integration_path(&id, "/token"));
    let fresh = follow_reveal(&app, &reply).await;

    assert_ne!(fresh, token);
    assert_eq!(app.count("access_tokens"), 2);
    assert_eq!(api_status(&app, &fresh).await, StatusCode::OK);
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn concurrent_rotate_now_requests_leave_exactly_one_live_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Raced", SCOPES, "").await;
    let csrf = app.csrf_token(&integration_path(&id, "")).await;

    let url = app.url(&integration_path(&id, "/rotate"));
    let posts: Vec<_> = (0..6)
        .map(|_| {
            let request = app
                .client
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(encode_form(&[("expire_old", "now"), ("csrf_token", &csrf)]));
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    let mut reveal_cookies = Vec::new();
    for post in posts {
        let resp = post.await.expect("join").expect("send");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        reveal_cookies.extend(
            resp.cookies()
                .filter(|c| c.name() == "pi_reveal")
                .map(|c| c.value().to_string()),
        );
    }

    let live = format!(
        "SELECT count(*) AS n FROM access_tokens WHERE integration_id = '{id}' AND revoked_at IS NULL"
    );
    assert_eq!(app.db.query_count(&live), 1);
    assert_eq!(api_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    // Of the six tokens issued, only the live one can still be revealed.
    let session = app.current_session_cookie().expect("signed in");
    let mut shown = Vec::new();
    for cookie in reveal_cookies {
        let page = app
            .send(
                app.client
                    .get(app.url(&integration_path(&id, "/token")))
                    .header(
                        "Cookie",
                        format!("pi_session={session}; pi_reveal={cookie}"),
                    ),
            )
            .await;
        shown.extend(revealed_token(&page.body));
    }
    assert_eq!(shown.len(), 1, "revealed: {shown:?}");
    assert_eq!(api_status(&app, &shown[0]).await, StatusCode::OK);
}

#[actix_web::test]
async fn every_token_action_writes_an_audit_event() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Audited", SCOPES, "").await;
    app.submit(
        &integration_path(&id, "/edit"),
        &integration_path(&id, "/edit"),
        &[("name", "Audited"), ("scopes", "users.readonly")],
    )
    .await
    .assert_redirect_to(&integration_path(&id, ""));
    let token = rotate(&app, &id, &[("expire_old", "now")]).await;
    let _new = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "1")]).await;
    act(&app, &id, "/cancel-rotation", &[]).await;
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let token_id = item_for(&items, &token).id.clone();
    act(&app, &id, &format!("/tokens/{token_id}/expire"), &[]).await;
    let count = |action: &str, extra: &str| {
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = '{action}' \
             AND actor_email = '{OWNER_EMAIL}' AND ip IS NOT NULL AND ip <> '' \
             AND integration_id = '{id}' {extra}"
        ))
    };
    let generated_before = count("token.generated", "");
    let generated = act(&app, &id, "/generate", &[]).await;
    follow_reveal(&app, &generated).await;
    act(&app, &id, "/delete", &[])
        .await
        .assert_redirect_to("/settings/private-integrations");

    assert_eq!(count("integration.created", ""), 1);
    assert_eq!(
        count(
            "integration.updated",
            "AND details::text LIKE '%users.readonly%' AND details::text LIKE '%contacts.readonly%'"
        ),
        1,
        "the edit's details name the scopes added and removed"
    );
    assert_eq!(count("token.generated", ""), generated_before + 1);
    assert_eq!(count("token.rotated", "AND details->>'mode' = 'now'"), 1);
    assert_eq!(count("token.rotated", "AND details->>'mode' = 'later'"), 1);
    assert_eq!(count("token.rotation_cancelled", ""), 1);
    assert_eq!(count("token.expired", ""), 1);
    assert_eq!(count("integration.deleted", ""), 1);
}

#[actix_web::test]
async fn tokens_stop_working_past_their_end_or_after_long_disuse() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (expired_id, expired) = create_with_token(&app, "Lapsed", SCOPES, "30").await;
    let (idle_id, idle) = create_with_token(&app, "Idle", SCOPES, "").await;
    assert_eq!(api_status(&app, &expired).await, StatusCode::OK);
    assert_eq!(api_status(&app, &idle).await, StatusCode::OK);
    wait_for_last_use(&app, &expired_id).await;
    wait_for_last_use(&app, &idle_id).await;

    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET expires_at = now() - interval '1 minute' \
             WHERE integration_id = '{expired_id}'"
        ),
    );
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET created_at = now() - interval '91 days', \
             last_used_at = now() - interval '91 days' WHERE integration_id = '{idle_id}'"
        ),
    );

    assert_eq!(api_status(&app, &expired).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &idle).await, StatusCode::UNAUTHORIZED);
    let list = app.get("/settings/private-integrations").await;
    assert!(list.body.contains("Expired"), "{}", excerpt(&list.body));
}

#[actix_web::test]
async fn a_token_left_in_its_grace_period_is_rotated_not_joined_by_a_generated_one() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Left in grace", SCOPES, "").await;
    let new = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    let new_id = item_for(&items, &new).id.clone();
    act(&app, &id, &format!("/tokens/{new_id}/expire"), &[])
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    assert_eq!(
        api_status(&app, &old).await,
        StatusCode::OK,
        "still in grace"
    );

    // The old token is active: no Generate, and a posted one is refused.
    let detail = app.get(&integration_path(&id, "")).await;
    assert!(
        !detail.body.contains(&format!(
            "action=\"{}\"",
            integration_path(&id, "/generate")
        )),
        "Generate offered while a token works"
    );
    act(&app, &id, "/generate", &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("access_tokens"), 2, "nothing was issued");

    // Rotating it later never lengthens the grace it already has.
    let newer = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;
    assert_expires_in(&token_info(&app, &old).await, 3.0);
    assert_eq!(api_status(&app, &newer).await, StatusCode::OK);
}

#[actix_web::test]
async fn rotate_values_outside_the_form_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Strict", SCOPES, "").await;
    for fields in [
        vec![("expire_old", "soon")],
        vec![("expire_old", "now\0")],
        vec![],
        vec![("expire_old", "later"), ("grace_days", "2")],
        vec![("expire_old", "later"), ("grace_days", "7\0")],
        vec![("expire_old", "now"), ("grace_days", "abc")],
        vec![("expire_old", "now"), ("grace_days", "\0")],
    ] {
        let reply = act(&app, &id, "/rotate", &fields).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply
                .body
                .contains("id=\"grace_days-error\">Choose how to rotate"),
            "{fields:?}: the error is not beside the grace period: {}",
            excerpt(&reply.body)
        );
    }
    assert_eq!(app.count("access_tokens"), 1);
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_lifetime_of_never_may_be_posted_by_name_or_left_empty() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for (name, lifetime) in [("Named", "never"), ("Empty", "")] {
        let (_, token) = create_with_token(&app, name, SCOPES, lifetime).await;
        let info = token_info(&app, &token).await;
        assert!(info.get("expiresAt").is_none(), "{lifetime:?}: {info}");
    }
    let (_, dated) = create_with_token(&app, "Dated", SCOPES, "30").await;
    assert_expires_in(&token_info(&app, &dated).await, 30.0);
}

/// The detail page's Cancel rotation names the rotation it cancels: sent
/// twice (a double click, a retry), it cancels that one and is then
/// refused, and the rotation before it stands.
#[actix_web::test]
async fn cancel_rotation_sent_twice_cancels_one_rotation_only() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, first) = create_with_token(&app, "Twice", SCOPES, "").await;
    let second = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;
    let third = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;

    let page = app.get(&integration_path(&id, "")).await.body;
    let form = page
        .split(&format!(
            "action=\"{}\"",
            integration_path(&id, "/cancel-rotation")
        ))
        .nth(1)
        .unwrap_or_else(|| panic!("no Cancel rotation form: {}", excerpt(&page)));
    let named = form
        .split("name=\"token_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form names the newest token")
        .to_string();
    let csrf = app.csrf_token(&integration_path(&id, "")).await;
    let fields = [("csrf_token", csrf.as_str()), ("token_id", named.as_str())];
    let path = integration_path(&id, "/cancel-rotation");
    app.post_form(&path, &fields)
        .await
        .assert_redirect_to(&integration_path(&id, ""));
    let again = app.post_form(&path, &fields).await;
    again.assert_status(StatusCode::CONFLICT);
    assert!(
        again.body.contains("already cancelled"),
        "{}",
        excerpt(&again.body)
    );

    assert_eq!(api_status(&app, &third).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &second).await, StatusCode::OK);
    assert_eq!(
        api_status(&app, &first).await,
        StatusCode::OK,
        "still in its grace period"
    );
    let items = token_items(&app.get(&integration_path(&id, "")).await.body);
    assert!(item_for(&items, &second).current);
}
