//! Webhook deliveries (SPEC §8) to a real receiver on loopback: signed
//! Standard Webhooks requests, retries with the same `webhook-id`, timeouts,
//! redirects not followed, the private-target screen at delivery, leases,
//! secret rolls, endpoint health and retention.

use std::time::Duration;

use crate::api_support::edit_integration;
use crate::integration_support::{execute, texts};
use crate::webhook_delivery_support::{DELIVERED_WITHIN, hooks_app, insert_previous_secret};
use crate::webhook_receiver::{Answer, Receiver, answer_body, assert_signed_by, signatures};
use private_integrations::models::webhook_delivery;
use private_integrations::workers::maintenance;

#[actix_web::test]
async fn a_contact_created_through_the_api_is_delivered_signed_with_the_endpoints_secret() {
    // A name pinned to loopback: the client resolves through the app's resolver.
    let hooks = hooks_app(|s| {
        s.webhook_resolve = vec![(
            "receiver.test".to_string(),
            vec!["127.0.0.1".parse().unwrap()],
        )];
    })
    .await;
    let receiver = Receiver::start().await;
    let url = format!("http://receiver.test:{}/hooks/crm", receiver.port);
    let (endpoint, secret) = hooks.endpoint(&url);

    let contact = hooks.create_contact("Ada").await;

    let received = receiver.wait_for(1, DELIVERED_WITHIN).await;
    let request = &received[0];
    assert_eq!(request.path, "/hooks/crm");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let delivery = hooks.text(&format!(
        "SELECT id::text AS s FROM webhook_deliveries WHERE endpoint_id = '{endpoint}'"
    ));
    assert_eq!(request.required("webhook-id"), delivery);
    assert_signed_by(request, &[&secret]);
    let body = request.json();
    assert_eq!(body["type"], "ContactCreate", "{body}");
    assert_eq!(body["locationId"], hooks.location.as_str(), "{body}");
    assert_eq!(body["id"], contact.as_str(), "{body}");
    assert_eq!(body["firstName"], "Ada", "{body}");

    hooks.until_delivery_is(endpoint, "succeeded").await;
    assert_eq!(
        hooks.attempts(endpoint),
        vec![format!("1|200|-|{}", answer_body(200))]
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered once");
}

#[actix_web::test]
async fn a_receiver_that_answers_500_first_gets_a_retry_with_the_same_webhook_id() {
    let hooks = hooks_app(|_| {}).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[Answer::Status(500)]);
    let (endpoint, secret) = hooks.endpoint(&receiver.url("/hook"));

    hooks.create_contact("Grace").await;

    let received = receiver.wait_for(2, DELIVERED_WITHIN).await;
    assert_eq!(
        received[0].required("webhook-id"),
        received[1].required("webhook-id")
    );
    assert_eq!(received[0].body, received[1].body);
    for request in &received {
        assert_signed_by(request, &[&secret]);
    }
    let waited = received[1].at - received[0].at;
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}, not after the schedule's second"
    );
    hooks.until_delivery_is(endpoint, "succeeded").await;
    assert_eq!(
        hooks.attempts(endpoint),
        vec![
            format!("1|500|-|{}", answer_body(500)),
            format!("2|200|-|{}", answer_body(200)),
        ]
    );
}

#[actix_web::test]
async fn an_answer_holding_nul_or_bad_utf8_is_recorded_and_delivered_once() {
    let hooks = hooks_app(|_| {}).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[Answer::Body(500, b"no\0\xff".to_vec())]);
    receiver.answer_always(Answer::Body(200, b"ok\0".to_vec()));
    let (endpoint, _) = hooks.endpoint(&receiver.url("/hook"));

    hooks.create_contact("Nul").await;

    hooks.until_delivery_is(endpoint, "succeeded").await;
    assert_eq!(
        hooks.attempts(endpoint),
        vec![
            "1|500|-|no\u{FFFD}\u{FFFD}".to_string(),
            "2|200|-|ok\u{FFFD}".to_string(),
        ]
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 2, "the success was sent once");
}

#[actix_web::test]
async fn a_receiver_that_never_answers_times_out_and_is_retried() {
    let hooks = hooks_app(|s| s.webhook_timeout = Duration::from_secs(1)).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[Answer::Hang]);
    let (endpoint, _) = hooks.endpoint(&receiver.url("/hook"));

    hooks.create_contact("Linus").await;

    let received = receiver.wait_for(2, DELIVERED_WITHIN).await;
    assert_eq!(
        received[0].required("webhook-id"),
        received[1].required("webhook-id")
    );
    hooks.until_delivery_is(endpoint, "succeeded").await;
    let attempts = hooks.attempts(endpoint);
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(
        attempts[0].starts_with("1|-|timed out after 1 s|"),
        "{attempts:?}"
    );
    assert!(attempts[1].starts_with("2|200|"), "{attempts:?}");
    let took = hooks.app.db.query_count(&format!(
        "SELECT min(a.duration_ms)::bigint AS n FROM webhook_attempts a \
         JOIN webhook_deliveries d ON d.id = a.delivery_id \
         WHERE d.endpoint_id = '{endpoint}' AND a.attempt = 1"
    ));
    assert!(
        (900..5000).contains(&took),
        "the timed-out attempt took {took} ms"
    );
}

#[actix_web::test]
async fn a_redirect_is_not_followed_and_the_last_failure_marks_the_delivery_failed() {
    let hooks = hooks_app(|s| s.webhook_retry_schedule = vec![1]).await;
    let receiver = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    receiver.answer_always(Answer::Redirect(elsewhere.url("/stolen")));
    let (endpoint, _) = hooks.endpoint(&receiver.url("/hook"));

    hooks.create_contact("Barbara").await;

    hooks.until_delivery_is(endpoint, "failed").await;
    assert_eq!(
        hooks.attempts(endpoint),
        vec![
            "1|302|redirects are not followed|".to_string(),
            "2|302|redirects are not followed|".to_string(),
        ],
        "two attempts in all: the first and one retry"
    );
    assert_eq!(
        hooks.app.db.query_count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = '{endpoint}' \
             AND finished_at IS NOT NULL AND next_attempt_at IS NULL AND lease_until IS NULL"
        )),
        1
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 2, "no attempt after the last");
    assert!(
        elsewhere.received().is_empty(),
        "the redirect target got a request"
    );
}

#[actix_web::test]
async fn a_name_or_address_of_loopback_is_refused_at_delivery_unless_private_targets_are_allowed() {
    let hooks = hooks_app(|s| {
        s.webhook_allow_private_targets = false;
        s.webhook_resolve = vec![("hooks.test".to_string(), vec!["127.0.0.1".parse().unwrap()])];
        s.webhook_retry_schedule = vec![];
    })
    .await;
    let receiver = Receiver::start().await;
    let (named, _) = hooks.endpoint(&format!("http://hooks.test:{}/named", receiver.port));
    let (literal, _) = hooks.endpoint(&receiver.url("/literal"));

    hooks.create_contact("Edsger").await;

    hooks.until_delivery_is(named, "failed").await;
    hooks.until_delivery_is(literal, "failed").await;
    assert_eq!(
        hooks.attempts(named),
        vec!["1|-|could not connect: refused: hooks.test (127.0.0.1) is not a public address|"]
    );
    assert_eq!(
        hooks.attempts(literal),
        vec!["1|-|refused: 127.0.0.1 is not a public address|"]
    );
    assert!(receiver.received().is_empty(), "the receiver got a request");
}

#[actix_web::test]
async fn removing_contacts_readonly_stops_deliveries() {
    // Room to edit the integration before the retry is due.
    let hooks = hooks_app(|s| s.webhook_retry_schedule = vec![3]).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[Answer::Status(500)]);
    let (endpoint, _) = hooks.endpoint(&receiver.url("/hook"));
    hooks.create_contact("Before").await;
    receiver.wait_for(1, DELIVERED_WITHIN).await;

    edit_integration(
        &hooks.app,
        &hooks.integration,
        "CRM sync",
        &["contacts.write"],
        "",
    )
    .await
    .assert_redirect_to(&format!(
        "/settings/private-integrations/{}",
        hooks.integration
    ));
    hooks.create_contact("After").await;

    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "neither the retry nor the new contact was sent"
    );
    assert_eq!(
        hooks.app.db.query_count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = '{endpoint}'"
        )),
        1,
        "no delivery for the contact created without the scope"
    );
}

#[actix_web::test]
async fn the_delivery_after_a_roll_carries_a_signature_for_each_secret_until_the_old_one_expires() {
    let hooks = hooks_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (rolled, current) = hooks.endpoint(&receiver.url("/rolled"));
    let previous = insert_previous_secret(
        &hooks.app.db,
        &hooks.key,
        rolled,
        "now() + interval '24 hours'",
    );
    let (expired, expired_current) = hooks.endpoint(&receiver.url("/expired"));
    insert_previous_secret(
        &hooks.app.db,
        &hooks.key,
        expired,
        "now() - interval '1 minute'",
    );

    hooks.create_contact("Roll").await;

    let received = receiver.wait_for(2, DELIVERED_WITHIN).await;
    let to = |path: &str| {
        received
            .iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("nothing delivered to {path}"))
    };
    assert_eq!(signatures(to("/rolled")).len(), 2);
    assert_signed_by(to("/rolled"), &[&current, &previous]);
    assert_signed_by(to("/expired"), &[&expired_current]);
}

#[actix_web::test]
async fn a_delivery_whose_lease_expired_is_attempted_again() {
    let hooks = hooks_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) = hooks.endpoint(&receiver.url("/hook"));
    // What a worker that died mid-attempt leaves: one attempt counted, the
    // delivery leased to it for two more seconds.
    let delivery = hooks.text(&format!(
        "WITH ev AS (INSERT INTO webhook_events (account_id, event_type, payload) \
             VALUES ('{location}', 'ContactCreate', \
                     '{{\"type\":\"ContactCreate\",\"locationId\":\"{location}\",\"id\":\"c1\"}}') \
             RETURNING id) \
         INSERT INTO webhook_deliveries (endpoint_id, event_id, attempts, next_attempt_at, lease_until) \
         SELECT '{endpoint}', id, 1, now() + interval '2 seconds', now() + interval '2 seconds' \
         FROM ev RETURNING id::text AS s",
        location = hooks.location
    ));

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        receiver.received().is_empty(),
        "a leased delivery was taken from its worker"
    );
    let received = receiver.wait_for(1, DELIVERED_WITHIN).await;
    assert_eq!(received[0].required("webhook-id"), delivery);
    assert_signed_by(&received[0], &[&secret]);
    assert_eq!(received[0].json()["id"], "c1");
    hooks.until_delivery_is(endpoint, "succeeded").await;
    // The log shows the attempt that never came back, then this one.
    assert_eq!(
        hooks.attempts(endpoint),
        vec![
            format!("1|-|{}|", webhook_delivery::INTERRUPTED),
            format!("2|200|-|{}", answer_body(200)),
        ]
    );
}

#[actix_web::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_a_success_clears_its_failures() {
    let hooks = hooks_app(|_| {}).await;
    let (down, recovered, new) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    down.answer_always(Answer::Status(503));
    new.answer_always(Answer::Status(500));
    let (long_failing, _) = hooks.endpoint(&down.url("/down"));
    let (was_failing, _) = hooks.endpoint(&recovered.url("/recovered"));
    let (first_failure, _) = hooks.endpoint(&new.url("/new"));
    for (endpoint, days) in [(long_failing, 6), (was_failing, 1)] {
        execute(
            &hooks.app,
            &format!(
                "UPDATE webhook_endpoints SET failing_since = now() - interval '{days} days' \
                 WHERE id = '{endpoint}'"
            ),
        );
    }

    hooks.create_contact("Health").await;

    let disabled = format!(
        "SELECT count(*) AS n FROM webhook_endpoints WHERE id = '{long_failing}' \
         AND NOT enabled AND disabled_reason = 'failing'"
    );
    hooks.until_count(&disabled, 1).await;
    hooks
        .until_count(
            &format!(
                "SELECT count(*) AS n FROM webhook_endpoints \
                 WHERE id = '{was_failing}' AND failing_since IS NULL"
            ),
            1,
        )
        .await;
    hooks
        .until_count(
            &format!(
                "SELECT count(*) AS n FROM webhook_endpoints WHERE id = '{first_failure}' \
                 AND enabled AND failing_since > now() - interval '1 minute'"
            ),
            1,
        )
        .await;
    assert_eq!(
        hooks.app.db.query_count(&format!(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'webhook.disabled' \
             AND target_id = '{long_failing}' AND integration_id = '{}' \
             AND details->>'reason' = 'failing'",
            hooks.integration
        )),
        1
    );
    // The retry due a second later is not sent to a disabled endpoint.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(down.received().len(), 1);
    assert!(new.received().len() >= 2, "the enabled endpoint is retried");
}

#[actix_web::test]
async fn the_sweep_purges_deliveries_finished_more_than_30_days_ago() {
    let hooks = hooks_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = hooks.endpoint(&receiver.url("/hook"));
    // Long ago: one failed, one succeeded, one still pending (held back by
    // a lease far ahead so the worker leaves it alone).
    execute(
        &hooks.app,
        &format!(
            "WITH ev AS (INSERT INTO webhook_events (account_id, event_type, payload, created_at) \
                 SELECT '{location}', 'ContactCreate', '{{}}', now() - interval '40 days' \
                 FROM generate_series(1, 3) RETURNING id), \
             numbered AS (SELECT id, row_number() OVER () AS i FROM ev) \
             INSERT INTO webhook_deliveries (endpoint_id, event_id, state, attempts, \
                 next_attempt_at, lease_until, created_at, finished_at) \
             SELECT '{endpoint}', id, \
                 CASE i WHEN 1 THEN 'failed' WHEN 2 THEN 'succeeded' ELSE 'pending' END, 1, \
                 CASE i WHEN 3 THEN now() + interval '1 day' END, \
                 CASE i WHEN 3 THEN now() + interval '1 day' END, \
                 now() - interval '40 days', \
                 CASE i WHEN 3 THEN NULL ELSE now() - interval '31 days' END \
             FROM numbered",
            location = hooks.location
        ),
    );
    hooks.create_contact("Recent").await;
    hooks
        .until_count(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'succeeded' \
             AND finished_at > now() - interval '1 minute'",
            1,
        )
        .await;

    maintenance::sweep(&mut hooks.app.db.connection()).expect("sweep");

    assert_eq!(
        texts(
            &hooks.app,
            "SELECT state || ':' || (finished_at IS NULL)::text AS s \
             FROM webhook_deliveries ORDER BY created_at"
        ),
        vec!["pending:true", "succeeded:false"],
        "the old finished deliveries are gone; the pending one and the recent one stay"
    );
    assert_eq!(hooks.app.count("webhook_events"), 2);
    assert_eq!(hooks.app.count("webhook_attempts"), 1);
}

/// A receiver that never answers holds a few of the sender's slots, not
/// all of them: another endpoint's delivery goes out at once, not after
/// the hanging ones time out.
#[actix_web::test]
async fn a_hanging_receiver_does_not_hold_back_another_endpoints_deliveries() {
    let hooks = hooks_app(|s| s.webhook_timeout = Duration::from_secs(20)).await;
    let hanging = Receiver::start().await;
    hanging.answer_always(Answer::Hang);
    hooks.endpoint(&hanging.url("/slow"));
    for n in 0..20 {
        hooks.create_contact(&format!("Backlog {n}")).await;
    }
    let taken = hanging.wait_for(4, DELIVERED_WITHIN).await.len();

    let quick = Receiver::start().await;
    hooks.endpoint(&quick.url("/quick"));
    let started = std::time::Instant::now();
    hooks.create_contact("Ada").await;
    quick.wait_for(1, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        (taken, hanging.received().len()),
        (4, 4),
        "requests the hanging receiver holds, before and after"
    );
    assert_eq!(webhook_delivery::PER_ENDPOINT_IN_FLIGHT, 4);
}
