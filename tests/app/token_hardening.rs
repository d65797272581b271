//! Dead tokens stay dead (SPEC §4, §7, §9): a refusal never counts as a use
//! nor spends the integration's rate limit, inactivity is one action
//! wherever it is found, Rotate Now leaves nothing old alive, and
//! self-rotation holds under races.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::api_support::{Api, eventually, rate_headers};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::integration_support::{
    act, api_status, create_with_token, execute, integration_path, rotate, texts,
};

fn one(app: &TestApp, sql: &str) -> String {
    texts(app, sql).concat()
}

fn token_id_of(app: &TestApp, id: &str) -> String {
    one(
        app,
        &format!(
            "SELECT id::text AS s FROM access_tokens WHERE integration_id = '{id}' \
             ORDER BY created_at DESC LIMIT 1"
        ),
    )
}

fn live_tokens(app: &TestApp, id: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM access_tokens WHERE integration_id = '{id}' \
         AND revoked_at IS NULL AND (grace_ends_at IS NULL OR grace_ends_at > now()) \
         AND (expires_at IS NULL OR expires_at > now())"
    ))
}

fn inactive_events(app: &TestApp, id: &str) -> i64 {
    app.db.query_count(&format!(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'token.expired' \
         AND integration_id = '{id}' AND details->>'reason' = 'inactive'"
    ))
}

/// Makes the token look unused for `days` days.
fn age_token(app: &TestApp, token_id: &str, days: i64) {
    execute(
        app,
        &format!(
            "UPDATE access_tokens SET created_at = now() - interval '{days} days', \
             last_used_at = now() - interval '{days} days', last_used_ip = '192.0.2.1' \
             WHERE id = '{token_id}'"
        ),
    );
}

async fn wait_for_requests(app: &TestApp, id: &str, outcome: &str, n: i64) {
    let sql = format!(
        "SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}' \
         AND outcome = '{outcome}'"
    );
    assert!(
        eventually(10, || app.db.query_count(&sql) >= n).await,
        "expected {n} requests with outcome {outcome}, found {}",
        app.db.query_count(&sql)
    );
}

#[actix_web::test]
async fn an_inactive_token_stays_refused_after_the_usage_flush_and_keeps_its_last_use() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Dormant", &["contacts.readonly"], "").await;
    let token_id = token_id_of(&app, &id);
    execute(&app, "UPDATE accounts SET inactivity_expiry_days = 30");
    age_token(&app, &token_id, 31);
    let last_use = || {
        one(
            &app,
            &format!(
                "SELECT last_used_at::text || ' ' || last_used_ip AS s FROM access_tokens \
                 WHERE id = '{token_id}'"
            ),
        )
    };
    let before = last_use();

    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    wait_for_requests(&app, &id, "invalid_token", 1).await;
    // Past the writer's next flush: nothing may have revived the token.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(last_use(), before, "a refusal is no use");
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    wait_for_requests(&app, &id, "invalid_token", 2).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(last_use(), before);

    let reason = one(
        &app,
        &format!("SELECT revoked_reason AS s FROM access_tokens WHERE id = '{token_id}'"),
    );
    assert_eq!(reason, "inactive");
    assert_eq!(
        inactive_events(&app, &id),
        1,
        "audited once, however often seen"
    );

    // Switching the rule off later does not bring it back.
    execute(&app, "UPDATE accounts SET inactivity_expiry_days = NULL");
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn refusals_by_the_allowlist_do_not_move_the_last_use_and_are_logged_with_their_outcome() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Fenced", &["contacts.readonly"], "").await;
    execute(
        &app,
        &format!("UPDATE integrations SET ip_allowlist = '{{203.0.113.0/24}}' WHERE id = '{id}'"),
    );
    let api = Api::new(&app, &token);
    let from = |ip: &'static str| {
        api.client
            .client
            .get(api.client.url("/v2/token"))
            .bearer_auth(&token)
            .header("X-Forwarded-For", ip)
    };
    assert_eq!(
        api.client.send(from("203.0.113.7")).await.status,
        StatusCode::OK
    );
    wait_for_requests(&app, &id, "used", 1).await;
    let token_id = token_id_of(&app, &id);
    let used_from = || {
        one(
            &app,
            &format!("SELECT last_used_ip AS s FROM access_tokens WHERE id = '{token_id}'"),
        )
    };
    assert!(
        eventually(10, || used_from() == "203.0.113.7").await,
        "the use is recorded: {}",
        used_from()
    );
    // The first minute's write is done; let the next one be due at once.
    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET last_used_at = now() - interval '1 hour' \
             WHERE id = '{token_id}'"
        ),
    );
    for _ in 0..3 {
        let reply = api.client.send(from("198.51.100.9")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }
    wait_for_requests(&app, &id, "ip_not_allowed", 3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        used_from(),
        "203.0.113.7",
        "a refused caller is not the last user"
    );
}

#[actix_web::test]
async fn refused_calls_leave_the_live_tokens_quota_untouched() {
    let app = spawn_app_with(|s| {
        s.api_rate_limit_burst = 10;
        s.api_rate_limit_window_seconds = 60;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Quota", &["contacts.readonly"], "").await;
    let live = rotate(&app, &id, &[("expire_old", "now"), ("grace_days", "7")]).await;
    execute(
        &app,
        &format!("UPDATE integrations SET ip_allowlist = '{{203.0.113.0/24}}' WHERE id = '{id}'"),
    );
    let client = app.new_client();
    let call = |token: &str, ip: &str| {
        client
            .client
            .get(client.url("/v2/token"))
            .bearer_auth(token)
            .header("X-Forwarded-For", ip)
    };

    // 25 calls with the revoked token and 25 from outside the allowlist,
    // from one address: they spend that address's limit (then 429), never
    // the integration's.
    for i in 0..25 {
        let reply = client.send(call(&old, "198.51.100.9")).await;
        let expected = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(reply.status, expected, "revoked call {i}");
        // The address's limit, not the integration's: the message says
        // neither.
        assert!(!reply.body.contains("integration's"), "{}", reply.body);
    }
    for i in 0..25 {
        let status = client.send(call(&live, "198.51.100.10")).await.status;
        let expected = if i < 10 {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "refused call {i}");
    }

    let reply = client.send(call(&live, "203.0.113.5")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (limit, remaining, _) = rate_headers("live call", &reply);
    assert_eq!(
        (limit, remaining),
        (10, 9),
        "the integration's full quota is left"
    );
}

#[actix_web::test]
async fn rotate_now_after_two_rotate_laters_leaves_exactly_one_live_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, first) = create_with_token(&app, "Leaky", &["contacts.readonly"], "").await;
    let later = [("expire_old", "later"), ("grace_days", "7")];
    let second = rotate(&app, &id, &later).await;
    let third = rotate(&app, &id, &later).await;
    for token in [&first, &second, &third] {
        assert_eq!(api_status(&app, token).await, StatusCode::OK, "before");
    }

    let fresh = rotate(&app, &id, &[("expire_old", "now"), ("grace_days", "7")]).await;
    for token in [&first, &second, &third] {
        assert_eq!(
            api_status(&app, token).await,
            StatusCode::UNAUTHORIZED,
            "after"
        );
    }
    assert_eq!(api_status(&app, &fresh).await, StatusCode::OK);
    assert_eq!(live_tokens(&app, &id), 1);
    let page = app.get(&integration_path(&id, "")).await;
    assert!(
        page.body.contains("every token still working"),
        "the page says Rotate Now ends every old token"
    );
}

/// Ten self-rotations with one token, released together.
async fn race_self_rotations(
    app: &TestApp,
    token: &str,
    seconds: i64,
) -> Vec<(StatusCode, String)> {
    let apis: Vec<Api> = (0..10).map(|_| Api::new(app, token)).collect();
    let body = json!({"expireOldInSeconds": seconds});
    let calls = apis.iter().map(|api| api.post("/v2/token/rotate", &body));
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| (r.status, r.body))
        .collect()
}

#[actix_web::test]
async fn of_concurrent_self_rotations_with_one_token_exactly_one_wins() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, mut token) = create_with_token(&app, "Vault", &["contacts.readonly"], "").await;
    for (round, seconds) in [0, 3600, 0, 60].into_iter().enumerate() {
        let replies = race_self_rotations(&app, &token, seconds).await;
        let winners: Vec<&String> = replies
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {replies:?}");
        for (status, body) in &replies {
            assert!(
                [
                    StatusCode::OK,
                    StatusCode::UNAUTHORIZED,
                    StatusCode::CONFLICT
                ]
                .contains(status),
                "round {round}: {status} {body}"
            );
        }
        let body: serde_json::Value = serde_json::from_str(winners[0]).unwrap();
        let new = body["token"].as_str().unwrap().to_string();
        assert_eq!(api_status(&app, &new).await, StatusCode::OK);
        let old_status = api_status(&app, &token).await;
        let expected = if seconds == 0 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(old_status, expected, "round {round}: the old token");
        let current = app.db.query_count(&format!(
            "SELECT count(*) AS n FROM access_tokens WHERE integration_id = '{id}' \
             AND revoked_at IS NULL AND grace_ends_at IS NULL"
        ));
        assert_eq!(current, 1, "round {round}: one current token");
        token = new;
    }
}

#[actix_web::test]
async fn a_grace_period_token_cannot_rotate_itself_and_the_current_one_keeps_working() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, old) = create_with_token(&app, "Vault", &["contacts.readonly"], "").await;
    let current = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;

    for seconds in [0, 3600] {
        let reply = Api::new(&app, &old)
            .post("/v2/token/rotate", &json!({"expireOldInSeconds": seconds}))
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    }
    assert_eq!(api_status(&app, &current).await, StatusCode::OK);
    assert_eq!(
        api_status(&app, &old).await,
        StatusCode::OK,
        "still in its grace"
    );
    assert_eq!(app.count("access_tokens"), 2, "nothing issued");
}

#[actix_web::test]
async fn self_rotation_with_no_grace_ends_only_the_calling_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, oldest) = create_with_token(&app, "Vault", &["contacts.readonly"], "").await;
    let current = rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;

    let reply = Api::new(&app, &current)
        .post("/v2/token/rotate", &json!({"expireOldInSeconds": 0}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let newest = body["token"].as_str().unwrap();

    assert_eq!(api_status(&app, &current).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, newest).await, StatusCode::OK);
    assert_eq!(
        api_status(&app, &oldest).await,
        StatusCode::OK,
        "an earlier rotation's grace period is not the caller's to end"
    );
}

#[actix_web::test]
async fn raced_against_the_panels_rotate_now_the_panel_wins_and_one_token_is_live() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, mut token) = create_with_token(&app, "Vault", &["contacts.readonly"], "").await;
    for (round, seconds) in [0, 3600, 0, 3600, 0].into_iter().enumerate() {
        let api = Api::new(&app, &token);
        let body = json!({"expireOldInSeconds": seconds});
        let (attacker, panel) = tokio::join!(
            api.post("/v2/token/rotate", &body),
            act(
                &app,
                &id,
                "/rotate",
                &[("expire_old", "now"), ("grace_days", "7")]
            ),
        );
        assert!(
            [
                StatusCode::OK,
                StatusCode::UNAUTHORIZED,
                StatusCode::CONFLICT
            ]
            .contains(&attacker.status),
            "round {round}: {} {}",
            attacker.status,
            attacker.body
        );
        panel.assert_redirect_to(&integration_path(&id, "/token"));
        let owners = crate::integration_support::follow_reveal(&app, &panel).await;
        assert_eq!(live_tokens(&app, &id), 1, "round {round}");
        assert_eq!(
            api_status(&app, &owners).await,
            StatusCode::OK,
            "round {round}"
        );
        if attacker.status == StatusCode::OK {
            let body: serde_json::Value = serde_json::from_str(&attacker.body).unwrap();
            let stolen = body["token"].as_str().unwrap();
            assert_eq!(api_status(&app, stolen).await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
        token = owners;
    }
}

#[actix_web::test]
async fn a_forged_forwarded_for_behind_a_trusted_proxy_does_not_pass_an_allowlist() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Fenced", &["contacts.readonly"], "").await;
    execute(
        &app,
        &format!(
            "UPDATE integrations SET ip_allowlist = '{{203.0.113.0/24,2001:db8::/32}}' \
             WHERE id = '{id}'"
        ),
    );
    let client = app.new_client();
    for (forwarded, expected) in [
        ("203.0.113.5", StatusCode::OK),
        ("203.0.113.5:5678", StatusCode::OK),
        ("[2001:db8::1]:443", StatusCode::OK),
        ("198.51.100.1, 203.0.113.5:80", StatusCode::OK),
        // The client wrote everything left of our proxy's entry.
        ("203.0.113.5, 198.51.100.1", StatusCode::FORBIDDEN),
        ("203.0.113.5, not-an-address", StatusCode::FORBIDDEN),
        ("203.0.113.5, 1.2.3.4:port", StatusCode::FORBIDDEN),
        ("203.0.113.5, unknown", StatusCode::FORBIDDEN),
    ] {
        let reply = client
            .send(
                client
                    .client
                    .get(client.url("/v2/token"))
                    .bearer_auth(&token)
                    .header("X-Forwarded-For", forwarded),
            )
            .await;
        assert_eq!(
            reply.status, expected,
            "X-Forwarded-For: {forwarded}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn the_sweep_and_a_window_change_expire_inactive_tokens_once_and_for_good() {
    use private_integrations::actions::{self, Actor};
    use private_integrations::workers::maintenance;

    let app = spawn_app().await;
    app.setup_owner().await;
    let (a, old_a) = create_with_token(&app, "Old A", &["contacts.readonly"], "").await;
    let (b, old_b) = create_with_token(&app, "Old B", &["contacts.readonly"], "").await;
    let (c, fresh) = create_with_token(&app, "Fresh", &["contacts.readonly"], "").await;
    age_token(&app, &token_id_of(&app, &a), 100);
    age_token(&app, &token_id_of(&app, &b), 45);
    age_token(&app, &token_id_of(&app, &c), 10);

    // The default window of 90 days: the sweep ends A only, once.
    maintenance::sweep(&mut app.db.connection()).expect("sweep");
    maintenance::sweep(&mut app.db.connection()).expect("sweep again");
    assert_eq!(inactive_events(&app, &a), 1);
    assert_eq!(inactive_events(&app, &b), 0);
    assert_eq!(api_status(&app, &old_a).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &old_b).await, StatusCode::OK);

    // A 30-day window ends B; switching the rule off afterwards revives nobody.
    let account: uuid::Uuid = one(&app, "SELECT id::text AS s FROM accounts")
        .parse()
        .unwrap();
    let actor = Actor {
        user_id: None,
        email: Some("owner@example.com".into()),
        ip: "127.0.0.1".into(),
    };
    let mut conn = app.db.connection();
    actions::set_inactivity_window(&mut conn, account, &actor, Some(30)).expect("30 days");
    actions::set_inactivity_window(&mut conn, account, &actor, None).expect("off");
    // Changed outside the server, as another instance would: the server
    // hears of it through the NOTIFY the action sent.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(inactive_events(&app, &b), 1);
    assert_eq!(inactive_events(&app, &a), 1, "not audited twice");
    assert_eq!(api_status(&app, &old_b).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &old_a).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &fresh).await, StatusCode::OK);
    let updates = app
        .db
        .query_count("SELECT count(*) AS n FROM audit_events WHERE action = 'account.updated'");
    assert_eq!(updates, 2);
}

/// The `<details class="confirm">` elements of a page, as HTML.
fn confirmations(body: &str) -> Vec<String> {
    body.split("<details class=\"confirm\"")
        .skip(1)
        .map(|chunk| {
            chunk
                .split("</details>")
                .next()
                .unwrap_or(chunk)
                .to_string()
        })
        .collect()
}

#[actix_web::test]
async fn destructive_actions_ask_first_in_a_disclosure_that_works_without_javascript() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Careful", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "1")]).await;
    let page = app.get(&integration_path(&id, "")).await;
    let found = confirmations(&page.body);
    for action in ["/delete", "/cancel-rotation", "/rotate", "/tokens/"] {
        let path = integration_path(&id, action);
        let holder = found
            .iter()
            .find(|html| html.contains(&format!("action=\"{path}")))
            .unwrap_or_else(|| panic!("no confirmation holds the form for {path}"));
        assert!(holder.contains("<summary"), "{holder}");
        assert!(holder.contains("name=\"csrf_token\""), "{holder}");
        assert!(holder.contains("method=\"post\""), "{holder}");
    }
    assert!(
        found
            .iter()
            .any(|h| h.contains("name=\"expire_old\" value=\"now\"")),
        "Rotate Now's confirming form says now"
    );
    assert_eq!(
        page.body.matches("/expire\"").count(),
        2,
        "one Expire Now per live token"
    );
    // Outside the disclosures nothing destructive can be posted in one click.
    let mut outside = page.body.clone();
    while let Some(start) = outside.find("<details class=\"confirm\"") {
        let end = outside[start..]
            .find("</details>")
            .map_or(outside.len(), |e| start + e + "</details>".len());
        outside.replace_range(start..end, "");
    }
    for action in [
        "/delete\"",
        "/cancel-rotation\"",
        "/expire\"",
        "value=\"now\"",
    ] {
        assert!(!outside.contains(action), "{action} outside a confirmation");
    }
    assert!(
        outside.contains("value=\"later\""),
        "rotate later needs no confirmation"
    );
}

#[actix_web::test]
async fn inactivity_ends_a_token_at_the_boundary_and_concurrent_sweeps_audit_it_once() {
    use private_integrations::workers::maintenance;

    let app = spawn_app().await;
    app.setup_owner().await;
    let (before, token_before) =
        create_with_token(&app, "Before", &["contacts.readonly"], "").await;
    let (after, token_after) = create_with_token(&app, "After", &["contacts.readonly"], "").await;
    // The default window is 90 days: a minute either side of it.
    for (id, age) in [
        (&before, "89 days 23 hours 59 minutes"),
        (&after, "90 days 1 minute"),
    ] {
        execute(
            &app,
            &format!(
                "UPDATE access_tokens SET created_at = now() - interval '{age}', \
                 last_used_at = now() - interval '{age}' WHERE id = '{}'",
                token_id_of(&app, id)
            ),
        );
    }
    assert_eq!(api_status(&app, &token_before).await, StatusCode::OK);
    assert_eq!(
        api_status(&app, &token_after).await,
        StatusCode::UNAUTHORIZED
    );

    // Two instances sweeping at the same moment, several times over.
    for _ in 0..4 {
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for _ in 0..2 {
                let mut conn = app.db.connection();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    maintenance::sweep(&mut conn).expect("sweep");
                });
            }
        });
    }
    assert_eq!(inactive_events(&app, &after), 1, "one audit event");
    assert_eq!(inactive_events(&app, &before), 0);
    assert_eq!(
        api_status(&app, &token_after).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api_status(&app, &token_before).await, StatusCode::OK);
}
