//! The webhook outbox (SPEC §8): every contact change made through the API
//! writes its event, and a due delivery for each subscribed endpoint, in the
//! change's own transaction — nothing for a change that failed, nothing for
//! an endpoint that is disabled, not subscribed, or whose integration lacks
//! `contacts.readonly`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_keys_page::generate_key;
use crate::api_support::{ALL_SCOPES, Api, Auth, edit_integration, location_of, ok_json, send};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{create_with_token, execute, texts};

/// An endpoint row for `integration`, subscribed to `events`. Its sealed
/// secret is a placeholder: the outbox never reads it, and no worker can
/// reach the URL (port 9 on loopback, with private targets refused).
fn endpoint(app: &TestApp, integration: &str, events: &[&str], enabled: bool) -> String {
    let events = events
        .iter()
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(",");
    let reason = if enabled { "NULL" } else { "'user'" };
    texts(
        app,
        &format!(
            "INSERT INTO webhook_endpoints \
               (account_id, integration_id, url, events, secret_sealed, enabled, disabled_reason) \
             SELECT account_id, id, 'http://127.0.0.1:9/hook', ARRAY[{events}]::text[], \
               '\\x00'::bytea, {enabled}, {reason} \
             FROM integrations WHERE id = '{integration}' RETURNING id::text AS s"
        ),
    )
    .remove(0)
}

/// `event_type payload->>'type' payload->>'id'` of every event, oldest first.
fn events(app: &TestApp) -> Vec<String> {
    texts(
        app,
        "SELECT event_type || ' ' || (payload->>'type') || ' ' || (payload->>'id') AS s \
         FROM webhook_events ORDER BY created_at, id",
    )
}

/// `endpoint event_type state` of every delivery.
fn deliveries(app: &TestApp) -> Vec<String> {
    let mut rows = texts(
        app,
        "SELECT d.endpoint_id::text || ' ' || e.event_type || ' ' || d.state AS s \
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id",
    );
    rows.sort();
    rows
}

async fn contacts_app() -> (TestApp, Api, String, String) {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (integration, token) = create_with_token(&app, "CRM sync", &ALL_SCOPES, "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    (app, api, location, integration)
}

fn id_of(reply_json: &Value) -> String {
    reply_json["contact"]["id"]
        .as_str()
        .expect("contact id")
        .to_string()
}

#[actix_web::test]
async fn each_contact_change_writes_its_event_and_one_delivery_per_subscribed_endpoint() {
    let (app, api, location, integration) = contacts_app().await;
    let all = endpoint(
        &app,
        &integration,
        &["ContactCreate", "ContactUpdate", "ContactDelete"],
        true,
    );
    let deletes_only = endpoint(&app, &integration, &["ContactDelete"], true);
    let _disabled = endpoint(&app, &integration, &["ContactCreate"], false);

    let created = api
        .post(
            "/v2/contacts/",
            &json!({"locationId": location, "firstName": "Ada", "email": "Ada@Example.com"}),
        )
        .await;
    let id = id_of(&ok_json("create", &created, StatusCode::CREATED));
    let payload = texts(
        &app,
        "SELECT payload::text AS s FROM webhook_events WHERE event_type = 'ContactCreate'",
    );
    let payload: Value = serde_json::from_str(&payload[0]).expect("payload json");
    assert_eq!(payload["type"], "ContactCreate");
    assert_eq!(payload["locationId"], location.as_str());
    assert_eq!(payload["id"], id.as_str());
    assert_eq!(payload["firstName"], "Ada");
    assert_eq!(payload["email"], "ada@example.com");
    assert!(payload.get("searchAfter").is_none(), "{payload}");

    let path = format!("/v2/contacts/{id}");
    ok_json(
        "update",
        &api.put(&path, &json!({"lastName": "Lovelace"})).await,
        StatusCode::OK,
    );
    ok_json("delete", &api.delete(&path).await, StatusCode::OK);

    assert_eq!(
        events(&app),
        vec![
            format!("ContactCreate ContactCreate {id}"),
            format!("ContactUpdate ContactUpdate {id}"),
            format!("ContactDelete ContactDelete {id}"),
        ]
    );
    let mut expected = vec![
        format!("{all} ContactCreate pending"),
        format!("{all} ContactUpdate pending"),
        format!("{all} ContactDelete pending"),
        format!("{deletes_only} ContactDelete pending"),
    ];
    expected.sort();
    assert_eq!(deliveries(&app), expected);
    let last_name = texts(
        &app,
        "SELECT payload->>'lastName' AS s FROM webhook_events WHERE event_type = 'ContactDelete'",
    );
    assert_eq!(
        last_name,
        vec!["Lovelace"],
        "a deletion carries the contact as it was"
    );
}

#[actix_web::test]
async fn a_change_that_fails_writes_no_event() {
    let (app, api, location, integration) = contacts_app().await;
    endpoint(
        &app,
        &integration,
        &["ContactCreate", "ContactUpdate", "ContactDelete"],
        true,
    );
    let bad = api
        .post(
            "/v2/contacts/",
            &json!({"locationId": location, "email": "not an email"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let missing = format!("/v2/contacts/{}", uuid::Uuid::new_v4());
    assert_eq!(
        api.put(&missing, &json!({"firstName": "X"})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.delete(&missing).await.status, StatusCode::NOT_FOUND);
    assert!(events(&app).is_empty(), "{:?}", events(&app));
    assert_eq!(app.count("webhook_deliveries"), 0);
}

#[actix_web::test]
async fn without_contacts_readonly_the_event_is_kept_but_nothing_is_delivered() {
    let (app, api, location, integration) = contacts_app().await;
    let listening = endpoint(&app, &integration, &["ContactCreate"], true);
    // A second integration that can write contacts but not read them.
    let (writer, writer_token) = create_with_token(&app, "Writer", &["contacts.write"], "").await;
    endpoint(&app, &writer, &["ContactCreate"], true);

    let writer_api = Api::new(&app, &writer_token);
    ok_json(
        "create",
        &writer_api
            .post(
                "/v2/contacts/",
                &json!({"locationId": location, "firstName": "Grace"}),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        deliveries(&app),
        vec![format!("{listening} ContactCreate pending")],
        "only the endpoint whose integration holds contacts.readonly"
    );

    // Taking the scope away stops deliveries to that endpoint too.
    edit_integration(&app, &integration, "CRM sync", &["contacts.write"], "")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    execute(&app, "DELETE FROM webhook_deliveries");
    ok_json(
        "create",
        &api.post(
            "/v2/contacts/",
            &json!({"locationId": location, "firstName": "Linus"}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(events(&app).len(), 2);
    assert_eq!(app.count("webhook_deliveries"), 0);
}

#[actix_web::test]
async fn a_deleted_integrations_endpoints_get_nothing() {
    let (app, api, location, integration) = contacts_app().await;
    endpoint(&app, &integration, &["ContactCreate"], true);
    let (other, other_token) = create_with_token(&app, "Other", &ALL_SCOPES, "").await;
    let kept = endpoint(&app, &other, &["ContactCreate"], true);
    crate::integration_support::act(&app, &integration, "/delete", &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    drop(api);
    ok_json(
        "create",
        &Api::new(&app, &other_token)
            .post(
                "/v2/contacts/",
                &json!({"locationId": location, "firstName": "Kay"}),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        deliveries(&app),
        vec![format!("{kept} ContactCreate pending")]
    );
}

#[actix_web::test]
async fn a_contact_created_through_api_v1_reaches_the_integrations_endpoints() {
    let (app, _api, _location, integration) = contacts_app().await;
    let ep = endpoint(&app, &integration, &["ContactCreate"], true);
    let key = generate_key(&app).await;
    let reply = send(
        &app.new_client(),
        Auth::Bearer(&key),
        Method::POST,
        "/v1/contacts/",
        Some(r#"{"firstName": "Legacy"}"#),
    )
    .await;
    let id = id_of(&ok_json("v1 create", &reply, StatusCode::CREATED));
    assert_eq!(
        events(&app),
        vec![format!("ContactCreate ContactCreate {id}")]
    );
    assert_eq!(
        deliveries(&app),
        vec![format!("{ep} ContactCreate pending")]
    );
}
