//! Webhook deliveries across server processes of the built binary (SPEC §8,
//! §10): an event written while no server runs is delivered once one
//! starts, two servers on one database deliver each event exactly once, and
//! SIGTERM lets an attempt under way finish before the process exits.

use std::collections::BTreeSet;
use std::time::Duration;

use private_integrations::config::SecretBytes;
use private_integrations::domain::webhook::EventType;
use private_integrations::models::webhook_event;
use serde_json::json;

use crate::api_support::Api;
use crate::helpers::{
    OWNER_ACCOUNT, OWNER_EMAIL, OWNER_PASSWORD, TestDb, spawn_app_with_settings, test_settings,
};
use crate::integration_support::{create_with_token, json};
use crate::scale_out::{Instance, ONE_AT_A_TIME, session_key};
use crate::webhook_delivery_support::{
    DELIVERED_WITHIN, create_contact, insert_endpoint, secrets_key, secrets_key_env,
};
use crate::webhook_receiver::{Answer, Receiver, assert_signed_by, signatures};

/// A server process delivering to loopback with `key` as its `SECRETS_KEY`,
/// and `more` environment.
async fn server(db: &TestDb, key: &[u8; 32], more: &[(&str, &str)]) -> Instance {
    let secrets = secrets_key_env(key);
    let mut envs = vec![
        ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
        ("WEBHOOK_RETRY_SCHEDULE", "1,1"),
        ("SECRETS_KEY", secrets.as_str()),
    ];
    envs.extend_from_slice(more);
    Instance::start_with(&db.url, &session_key(), &envs).await
}

/// Sets up the owner through `instance` and an integration that reads and
/// writes contacts: `(integration id, API client on instance, location)`.
async fn integration_on(instance: &Instance) -> (String, Api, String) {
    let owner = instance.browser();
    owner
        .submit(
            "/setup",
            "/setup",
            &[
                ("account_name", OWNER_ACCOUNT),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("password_confirmation", OWNER_PASSWORD),
            ],
        )
        .await
        .assert_redirect_to("/settings");
    let (id, token) = create_with_token(
        &owner,
        "CRM sync",
        &["contacts.readonly", "contacts.write"],
        "",
    )
    .await;
    let api = Api {
        client: instance.browser(),
        token,
    };
    let info = json(&api.get("/v2/token").await);
    let location = info["locationId"].as_str().expect("locationId").to_string();
    (id, api, location)
}

#[actix_web::test]
async fn an_event_written_while_no_server_runs_is_delivered_once_the_server_starts() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::migrated();
    let key = secrets_key();
    let receiver = Receiver::start().await;
    let instance = server(&db, &key, &[]).await;
    let (integration, _, location) = integration_on(&instance).await;
    let (_, secret) = insert_endpoint(
        &db,
        &key,
        &integration,
        &receiver.url("/hook"),
        &["ContactCreate"],
    );
    // Killed outright: no server, and so no worker, runs from here on.
    drop(instance);

    // The outbox row and its delivery, as a contact change writes them.
    let body = json!({
        "type": "ContactCreate",
        "locationId": location,
        "id": "written-offline",
        "firstName": "Offline",
    });
    let account = uuid::Uuid::parse_str(&location).expect("a location id");
    let created = webhook_event::record(
        &mut db.connection(),
        account,
        EventType::ContactCreate,
        &body,
    )
    .expect("record the event");
    assert_eq!(created, 1, "one delivery for the one endpoint");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.received().is_empty());

    let mut settings = test_settings(&db.url);
    settings.secrets_key = Some(SecretBytes::new(key.to_vec()));
    settings.webhook_allow_private_targets = true;
    let _app = spawn_app_with_settings(db, settings).await;

    let received = receiver.wait_for(1, DELIVERED_WITHIN).await;
    assert_signed_by(&received[0], &[&secret]);
    assert_eq!(received[0].json(), body);
}

#[actix_web::test]
async fn two_server_processes_on_one_database_deliver_each_event_exactly_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::migrated();
    let key = secrets_key();
    let receiver = Receiver::start().await;
    let a = server(&db, &key, &[]).await;
    let b = server(&db, &key, &[]).await;
    let (integration, on_a, location) = integration_on(&a).await;
    let on_b = Api {
        client: b.browser(),
        token: on_a.token.clone(),
    };
    insert_endpoint(
        &db,
        &key,
        &integration,
        &receiver.url("/hook"),
        &["ContactCreate"],
    );

    // Both workers hear every notification and race for every delivery.
    let mut contacts = BTreeSet::new();
    for i in 0..20 {
        let api = if i % 2 == 0 { &on_a } else { &on_b };
        contacts.insert(create_contact(api, &location, &format!("Person {i}")).await);
    }

    receiver.wait_for(20, Duration::from_secs(30)).await;
    // Time for a duplicate, were there one, to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 20, "each event delivered once");
    let ids: BTreeSet<&str> = received.iter().map(|r| r.required("webhook-id")).collect();
    assert_eq!(ids.len(), 20, "twenty different webhook-ids");
    let delivered: BTreeSet<String> = received
        .iter()
        .map(|r| r.json()["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(delivered, contacts);
    assert_eq!(
        db.query_count(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'succeeded' AND attempts = 1"
        ),
        20
    );
    assert_eq!(db.count("webhook_attempts"), 20);
}

#[actix_web::test]
async fn sigterm_lets_an_attempt_under_way_finish_before_the_process_exits() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::migrated();
    let key = secrets_key();
    let receiver = Receiver::start().await;
    receiver.answer_always(Answer::Delay(Duration::from_secs(3)));
    let mut instance = server(&db, &key, &[("RUST_LOG", "info")]).await;
    let (integration, api, location) = integration_on(&instance).await;
    let (endpoint, secret) = insert_endpoint(
        &db,
        &key,
        &integration,
        &receiver.url("/hook"),
        &["ContactCreate"],
    );
    create_contact(&api, &location, "Patient").await;
    let received = receiver.wait_for(1, DELIVERED_WITHIN).await;

    let ended = instance.terminate(Duration::from_secs(25)).await;

    assert!(ended.success(), "ended with {ended}: {}", instance.stderr());
    assert_eq!(
        db.query_count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_attempts a \
             ON a.delivery_id = d.id WHERE d.endpoint_id = '{endpoint}' \
             AND d.state = 'succeeded' AND a.status_code = 200"
        )),
        1,
        "the attempt under way at SIGTERM was finished and recorded: {}",
        instance.stderr()
    );
    let log = instance.stderr();
    assert!(
        log.contains("webhook attempt"),
        "attempts are logged: {log}"
    );
    assert!(
        !log.contains(secret.trim_start_matches("whsec_")),
        "the secret was logged"
    );
    for signature in signatures(&received[0]) {
        let mac = signature.trim_start_matches("v1,");
        assert!(!log.contains(mac), "the signature was logged");
    }
}

/// An endpoint deleted while an attempt to it is under way leaves the
/// attempt's result nothing to be recorded against; that is no error.
#[actix_web::test]
async fn an_endpoint_deleted_during_an_attempt_is_no_error() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::migrated();
    let key = secrets_key();
    let receiver = Receiver::start().await;
    receiver.answer_always(Answer::Delay(Duration::from_secs(2)));
    let mut instance = server(&db, &key, &[("RUST_LOG", "info")]).await;
    let (integration, api, location) = integration_on(&instance).await;
    let (endpoint, _) = insert_endpoint(
        &db,
        &key,
        &integration,
        &receiver.url("/hook"),
        &["ContactCreate"],
    );
    create_contact(&api, &location, "Brief").await;
    receiver.wait_for(1, DELIVERED_WITHIN).await;
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "DELETE FROM webhook_endpoints WHERE id = '{endpoint}'"
        )),
        &mut db.connection(),
    )
    .expect("delete the endpoint");

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !instance.stderr().contains("removed while attempted") {
        assert!(
            std::time::Instant::now() < deadline,
            "the attempt's end was not logged: {}",
            instance.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    instance.terminate(Duration::from_secs(15)).await;
    let log = instance.stderr();
    assert!(!log.contains("ERROR"), "{log}");
    assert_eq!(db.count("webhook_attempts"), 0);
}
