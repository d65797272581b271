//! Steps for the webhook delivery tests: an app that delivers to loopback
//! with a `SECRETS_KEY` of its own, endpoints written straight into the
//! database with their secrets sealed as the application seals them,
//! contacts created through API v2, and what the database says happened.

use std::time::Duration;

use base64::Engine as _;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Text, Uuid as SqlUuid};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::api_support::{Api, eventually, location_of, ok_json};
use crate::helpers::{TestApp, TestDb, spawn_app_with};
use crate::integration_support::{create_with_token, texts};
use private_integrations::config::{SecretBytes, Settings};
use private_integrations::secrets::SecretBox;

/// Long enough for a delivery on a busy machine; deliveries are due at once.
pub(crate) const DELIVERED_WITHIN: Duration = Duration::from_secs(15);

/// A fresh `SECRETS_KEY`: tests generate their secrets, never commit them.
pub(crate) fn secrets_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    key
}

/// The key as `SECRETS_KEY` is written in the environment.
pub(crate) fn secrets_key_env(key: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A fresh `whsec_` signing secret.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Adds an endpoint of integration `integration` straight into the
/// database, its secret sealed with `key` and bound to the endpoint's id as
/// the application seals it; `(endpoint id, secret)`.
pub(crate) fn insert_endpoint(
    db: &TestDb,
    key: &[u8; 32],
    integration: &str,
    url: &str,
    events: &[&str],
) -> (Uuid, String) {
    let id = Uuid::new_v4();
    let secret = new_secret();
    let sealed = SecretBox::new(key).seal(id, secret.as_bytes());
    let events: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    let inserted = diesel::sql_query(
        "INSERT INTO webhook_endpoints (id, account_id, integration_id, url, events, secret_sealed) \
         SELECT $1, account_id, id, $3, $4, $5 FROM integrations WHERE id = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(Uuid::parse_str(integration).expect("an integration id"))
    .bind::<Text, _>(url)
    .bind::<Array<Text>, _>(events)
    .bind::<Bytea, _>(sealed)
    .execute(&mut db.connection())
    .expect("insert the endpoint");
    assert_eq!(inserted, 1, "integration {integration} exists");
    (id, secret)
}

/// Gives the endpoint a previous secret that signs until `until` (an SQL
/// expression), as a roll leaves it; the previous secret.
pub(crate) fn insert_previous_secret(
    db: &TestDb,
    key: &[u8; 32],
    endpoint: Uuid,
    until: &str,
) -> String {
    let secret = new_secret();
    let sealed = SecretBox::new(key).seal(endpoint, secret.as_bytes());
    diesel::sql_query(format!(
        "UPDATE webhook_endpoints SET previous_secret_sealed = $1, previous_secret_until = {until} \
         WHERE id = $2"
    ))
    .bind::<Bytea, _>(sealed)
    .bind::<SqlUuid, _>(endpoint)
    .execute(&mut db.connection())
    .expect("set the previous secret");
    secret
}

/// An app delivering to loopback (private targets allowed, retries after
/// one second each, its own `SECRETS_KEY`), with an owner and an integration
/// that may read and write contacts.
pub(crate) struct Hooks {
    pub(crate) app: TestApp,
    pub(crate) api: Api,
    pub(crate) location: String,
    pub(crate) integration: String,
    pub(crate) key: [u8; 32],
}

pub(crate) async fn hooks_app(adjust: impl FnOnce(&mut Settings)) -> Hooks {
    let key = secrets_key();
    let app = spawn_app_with(|s| {
        s.secrets_key = Some(SecretBytes::new(key.to_vec()));
        s.webhook_allow_private_targets = true;
        s.webhook_retry_schedule = vec![1, 1];
        adjust(s);
    })
    .await;
    app.setup_owner().await;
    let (integration, token) = create_with_token(
        &app,
        "CRM sync",
        &["contacts.readonly", "contacts.write"],
        "",
    )
    .await;
    let location = location_of(&app, &token).await;
    Hooks {
        api: Api::new(&app, &token),
        app,
        location,
        integration,
        key,
    }
}

impl Hooks {
    pub(crate) fn endpoint(&self, url: &str) -> (Uuid, String) {
        insert_endpoint(
            &self.app.db,
            &self.key,
            &self.integration,
            url,
            &["ContactCreate"],
        )
    }

    /// Creates a contact through API v2; its id.
    pub(crate) async fn create_contact(&self, first_name: &str) -> String {
        create_contact(&self.api, &self.location, first_name).await
    }

    /// `sql`'s single text column `s`, one row expected.
    pub(crate) fn text(&self, sql: &str) -> String {
        let rows = texts(&self.app, sql);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows.into_iter().next().unwrap_or_default()
    }

    /// The attempts of the endpoint's deliveries: `attempt|status|error|excerpt`.
    pub(crate) fn attempts(&self, endpoint: Uuid) -> Vec<String> {
        texts(
            &self.app,
            &format!(
                "SELECT concat_ws('|', a.attempt, coalesce(a.status_code::text, '-'), \
                        coalesce(a.error, '-'), a.response_excerpt) AS s \
                 FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
                 WHERE d.endpoint_id = '{endpoint}' ORDER BY a.started_at"
            ),
        )
    }

    /// Waits until `sql` (a count in column `n`) answers `n`.
    pub(crate) async fn until_count(&self, sql: &str, n: i64) {
        let reached = eventually(DELIVERED_WITHIN.as_secs(), || {
            self.app.db.query_count(sql) == n
        })
        .await;
        assert!(
            reached,
            "{sql} is {}, expected {n}",
            self.app.db.query_count(sql)
        );
    }

    pub(crate) async fn until_delivery_is(&self, endpoint: Uuid, state: &str) {
        self.until_count(
            &format!(
                "SELECT count(*) AS n FROM webhook_deliveries \
                 WHERE endpoint_id = '{endpoint}' AND state = '{state}'"
            ),
            1,
        )
        .await;
    }
}

/// Creates a contact through API v2 with `api`; its id.
pub(crate) async fn create_contact(api: &Api, location: &str, first_name: &str) -> String {
    let body = json!({"locationId": location, "firstName": first_name});
    let reply = api.post("/v2/contacts/", &body).await;
    ok_json("create a contact", &reply, StatusCode::CREATED)["contact"]["id"]
        .as_str()
        .expect("a contact id")
        .to_string()
}
