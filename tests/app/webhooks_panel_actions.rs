//! What owners and admins do with one webhook endpoint (SPEC §6, §8):
//! disable and enable it, delete it, send it a test event, read its delivery
//! log and resend a failed delivery; each writes its audit event.

use reqwest::StatusCode;

use crate::helpers::{TestApp, excerpt};
use crate::integration_support::{create_with_token, execute, texts};
use crate::webhook_support::{
    ALL_EVENTS, DueListener, NOWHERE_URL, add_endpoint, audit_count, audit_details,
    endpoint_action, endpoint_path, endpoint_with_failed_delivery, resend, spawn_webhook_app,
    webhooks_path,
};

/// A signed-in owner with an integration holding `contacts.readonly`: its id.
async fn owner_with_integration(app: &TestApp) -> String {
    app.setup_owner().await;
    create_with_token(app, "Hooks", &["contacts.readonly"], "")
        .await
        .0
}

/// `enabled disabled_reason failing_since-is-set` of the endpoint.
fn endpoint_state(app: &TestApp, endpoint: &str) -> String {
    texts(
        app,
        &format!(
            "SELECT enabled::text || ' ' || coalesce(disabled_reason, '-') || ' ' || \
             (failing_since IS NOT NULL)::text AS s FROM webhook_endpoints WHERE id = '{endpoint}'"
        ),
    )
    .remove(0)
}

/// The `<li>` of the endpoint on the webhooks page.
async fn endpoint_item(app: &TestApp, id: &str, endpoint: &str) -> String {
    let page = app.get(&webhooks_path(id)).await;
    page.assert_status(StatusCode::OK);
    page.body
        .split(&format!(r#"data-endpoint-id="{endpoint}">"#))
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_else(|| panic!("no item for {endpoint}: {}", excerpt(&page.body)))
        .to_string()
}

#[actix_web::test]
async fn disabling_and_enabling_an_endpoint_are_audited() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    assert!(
        endpoint_item(&app, &id, &endpoint)
            .await
            .contains("Enabled")
    );

    endpoint_action(&app, &id, &endpoint, "/disable")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(endpoint_state(&app, &endpoint), "false user false");
    let item = endpoint_item(&app, &id, &endpoint).await;
    assert!(item.contains(">Disabled<"), "{item}");
    assert!(item.contains(&endpoint_path(&id, &endpoint, "/enable")));
    assert_eq!(audit_count(&app, "webhook.disabled", &id), 1);

    endpoint_action(&app, &id, &endpoint, "/enable")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(endpoint_state(&app, &endpoint), "true - false");
    assert_eq!(audit_count(&app, "webhook.enabled", &id), 1);
    // Enabling what is enabled changes nothing and records nothing.
    endpoint_action(&app, &id, &endpoint, "/enable")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(audit_count(&app, "webhook.enabled", &id), 1);
    assert_eq!(
        audit_details(&app, "webhook.enabled")[0]["url"],
        NOWHERE_URL
    );
}

#[actix_web::test]
async fn an_endpoint_disabled_for_failing_says_so_until_enabled() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    execute(
        &app,
        "UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing', \
         failing_since = now() - interval '6 days'",
    );
    let item = endpoint_item(&app, &id, &endpoint).await;
    assert!(
        item.contains("Disabled: every delivery failed for 5 days"),
        "{item}"
    );

    endpoint_action(&app, &id, &endpoint, "/enable")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(endpoint_state(&app, &endpoint), "true - false");
    assert_eq!(
        audit_details(&app, "webhook.enabled")[0]["was_disabled_because"],
        "failing"
    );
    assert!(
        !endpoint_item(&app, &id, &endpoint)
            .await
            .contains("failed for 5 days")
    );
}

#[actix_web::test]
async fn deleting_an_endpoint_removes_it_with_its_deliveries() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = endpoint_with_failed_delivery(&app, &id).await;
    let (kept, _) = add_endpoint(&app, &id, "https://hooks.nowhere.test/kept", &ALL_EVENTS).await;
    let item = endpoint_item(&app, &id, &endpoint).await;
    assert!(
        item.contains(r#"<details class="confirm""#)
            && item.contains(&format!(
                r#"action="{}""#,
                endpoint_path(&id, &endpoint, "/delete")
            )),
        "delete asks first: {item}"
    );

    endpoint_action(&app, &id, &endpoint, "/delete")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(
        texts(&app, "SELECT id::text AS s FROM webhook_endpoints"),
        [kept]
    );
    assert_eq!(app.count("webhook_deliveries"), 0);
    assert_eq!(audit_count(&app, "webhook.deleted", &id), 1);
    assert_eq!(
        audit_details(&app, "webhook.deleted")[0]["endpoint_id"],
        endpoint
    );
    endpoint_action(&app, &id, &endpoint, "/delete")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_test_event_is_a_new_delivery_of_a_sample_contact_to_that_endpoint_only() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) =
        add_endpoint(&app, &id, NOWHERE_URL, &["ContactUpdate", "ContactDelete"]).await;
    add_endpoint(&app, &id, "https://hooks.nowhere.test/other", &ALL_EVENTS).await;
    let mut due = DueListener::start(&app);

    for _ in 0..2 {
        endpoint_action(&app, &id, &endpoint, "/test")
            .await
            .assert_redirect_to(&webhooks_path(&id));
        assert!(due.heard().await, "the workers were not woken");
    }
    let page = app.get(&webhooks_path(&id)).await;
    assert!(page.body.contains("test event"), "{}", excerpt(&page.body));

    let location = texts(&app, "SELECT id::text AS s FROM accounts").remove(0);
    let deliveries = texts(
        &app,
        "SELECT d.id::text || ' ' || d.endpoint_id::text || ' ' || d.is_test::text || ' ' || \
         e.event_type || ' ' || (e.payload ->> 'type') || ' ' || (e.payload ->> 'locationId') || ' ' || \
         (e.payload ? 'id')::text AS s \
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id ORDER BY d.created_at",
    );
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    let ids: Vec<&str> = deliveries
        .iter()
        .map(|d| d.split(' ').next().unwrap())
        .collect();
    assert_ne!(ids[0], ids[1], "each test is a new delivery");
    for d in &deliveries {
        assert!(
            d.ends_with(&format!(
                "{endpoint} true ContactUpdate ContactUpdate {location} true"
            )),
            "{d}"
        );
    }
    assert_eq!(app.count("webhook_events"), 2, "one event per test");
    assert_eq!(audit_count(&app, "webhook.test_sent", &id), 2);
}

#[actix_web::test]
async fn a_disabled_endpoint_gets_no_test_event() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    endpoint_action(&app, &id, &endpoint, "/disable")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert!(
        !endpoint_item(&app, &id, &endpoint)
            .await
            .contains(&endpoint_path(&id, &endpoint, "/test")),
        "a disabled endpoint offers no test"
    );

    endpoint_action(&app, &id, &endpoint, "/test")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    let page = app.get(&webhooks_path(&id)).await;
    assert!(page.body.contains("disabled"), "{}", excerpt(&page.body));
    assert_eq!(app.count("webhook_deliveries"), 0);
    assert_eq!(app.count("webhook_events"), 0);
    assert_eq!(audit_count(&app, "webhook.test_sent", &id), 0);
}

/// Adds `n` failed deliveries of one `ContactCreate` event to the endpoint,
/// the i-th made i minutes ago; their ids, newest first.
fn failed_deliveries(app: &TestApp, endpoint: &str, n: usize) -> Vec<String> {
    execute(
        app,
        &format!(
            "WITH e AS (INSERT INTO webhook_events (account_id, event_type, payload) \
             SELECT id, 'ContactCreate', '{{}}'::jsonb FROM accounts RETURNING id) \
             INSERT INTO webhook_deliveries (endpoint_id, event_id, state, attempts, created_at, finished_at) \
             SELECT '{endpoint}', e.id, 'failed', 1, now() - make_interval(mins => i), now() \
             FROM e, generate_series(1, {n}) AS i"
        ),
    );
    texts(
        app,
        &format!(
            "SELECT id::text AS s FROM webhook_deliveries WHERE endpoint_id = '{endpoint}' \
             ORDER BY created_at DESC"
        ),
    )
}

#[actix_web::test]
async fn the_delivery_log_shows_every_attempt_with_the_response_escaped() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    let delivery = failed_deliveries(&app, &endpoint, 1).remove(0);
    let long_tail = "x".repeat(1500);
    execute(
        &app,
        &format!(
            "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt) VALUES \
             ('{delivery}', 1, now() - interval '1 minute', 321, 500, NULL, '<script>alert(1)</script>{long_tail}'), \
             ('{delivery}', 2, now(), 10000, NULL, 'timed out after 10 s', '')"
        ),
    );

    let log = app.get(&endpoint_path(&id, &endpoint, "/deliveries")).await;
    log.assert_status(StatusCode::OK);
    let body = &log.body;
    for expected in [
        "ContactCreate",
        delivery.as_str(),
        "Failed",
        "500",
        "321 ms",
        "timed out after 10 s",
        "10000 ms",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
    ] {
        assert!(body.contains(expected), "{expected}: {}", excerpt(body));
    }
    assert!(
        !body.contains("<script>alert"),
        "the response is not escaped"
    );
    assert!(
        !body.contains(&"x".repeat(1025 - "<script>alert(1)</script>".len())),
        "more than the first 1 KB is shown"
    );
    assert_eq!(body.matches(r#"class="attempt-row""#).count(), 2);
    assert!(body.contains(&format!(
        r#"action="{}/{delivery}/resend""#,
        endpoint_path(&id, &endpoint, "/deliveries")
    )));
}

#[actix_web::test]
async fn the_delivery_log_is_paginated_newest_first() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    let ids = failed_deliveries(&app, &endpoint, 53);
    let log = endpoint_path(&id, &endpoint, "/deliveries");

    let shown = |body: &str| -> Vec<String> {
        body.split(r#"data-delivery-id=""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect()
    };
    let first = app.get(&log).await;
    assert_eq!(shown(&first.body), ids[..50]);
    assert!(first.body.contains(&format!(r#"href="{log}?page=2""#)));
    let second = app.get(&format!("{log}?page=2")).await;
    assert_eq!(shown(&second.body), ids[50..]);
    let past_the_end = app.get(&format!("{log}?page=9")).await;
    assert_eq!(shown(&past_the_end.body), ids[50..]);
    for junk in ["abc", "0", "99999999999999999999"] {
        let refused = app.get(&format!("{log}?page={junk}")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{junk}");
        assert!(refused.body.contains("id=\"page-error\""), "{junk}");
        assert_eq!(shown(&refused.body), ids[..50], "{junk}: the first page");
    }
}

#[actix_web::test]
async fn resend_sends_a_failed_delivery_again_under_its_id() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    execute(
        &app,
        "UPDATE webhook_deliveries SET attempts = 7, max_attempts = NULL",
    );
    let mut due = DueListener::start(&app);

    resend(&app, &id, &endpoint, &delivery)
        .await
        .assert_redirect_to(&endpoint_path(&id, &endpoint, "/deliveries"));
    assert!(due.heard().await, "the workers were not woken");
    // A worker may already have made the one more attempt.
    assert_eq!(
        texts(
            &app,
            "SELECT id::text || ' ' || max_attempts::text || ' ' || \
             ((state = 'pending' AND finished_at IS NULL AND next_attempt_at <= now()) \
              OR attempts = 8)::text AS s FROM webhook_deliveries"
        ),
        [format!("{delivery} 8 true")]
    );
    assert_eq!(audit_count(&app, "webhook.resent", &id), 1);
    assert_eq!(
        audit_details(&app, "webhook.resent")[0]["delivery_id"],
        delivery.as_str()
    );
}

#[actix_web::test]
async fn a_pending_or_succeeded_delivery_is_not_resent() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (endpoint, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    let log = endpoint_path(&id, &endpoint, "/deliveries");
    for (state, words) in [
        (
            "state = 'pending', next_attempt_at = now() + interval '1 hour', finished_at = NULL",
            "still pending",
        ),
        (
            "state = 'succeeded', next_attempt_at = NULL",
            "only a failed delivery can be resent",
        ),
    ] {
        execute(
            &app,
            &format!("UPDATE webhook_deliveries SET {state}, max_attempts = NULL"),
        );
        resend(&app, &id, &endpoint, &delivery)
            .await
            .assert_redirect_to(&log);
        let page = app.get(&log).await;
        assert!(page.body.contains(words), "{}", excerpt(&page.body));
        assert!(!page.body.contains(r#"/resend""#), "no Resend offered");
        assert_eq!(
            app.db.query_count(
                "SELECT count(*) AS n FROM webhook_deliveries WHERE max_attempts IS NULL"
            ),
            1,
            "unchanged"
        );
    }
    assert_eq!(audit_count(&app, "webhook.resent", &id), 0);
}

#[actix_web::test]
async fn a_delivery_of_another_endpoint_is_not_found() {
    let app = spawn_webhook_app().await;
    let id = owner_with_integration(&app).await;
    let (_, delivery) = endpoint_with_failed_delivery(&app, &id).await;
    let (other, _) = add_endpoint(&app, &id, "https://hooks.nowhere.test/b", &ALL_EVENTS).await;
    resend(&app, &id, &other, &delivery)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'failed'"),
        1
    );
}
