//! `POST /v2/contacts/upsert`: the contact with the email (any case), else
//! the phone (by its digits), is updated, else one is created; concurrent
//! upserts of one new contact create it once; `createNewIfDuplicateAllowed`
//! creates without looking. Each writes its webhook event.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{Api, assert_names_field, insert_contact, ok_json, ready, second_account};
use crate::integration_support::{execute, texts};

const UPSERT: &str = "/v2/contacts/upsert";

/// Upserts `fields` for `location`: `(new, contact)`.
async fn upsert(api: &Api, location: &str, fields: Value) -> (bool, Value) {
    let mut body = fields;
    body["locationId"] = json!(location);
    let reply = api.post(UPSERT, &body).await;
    let result = ok_json(&format!("upsert {body}"), &reply, StatusCode::OK);
    assert!(
        result["traceId"].as_str().is_some_and(|t| !t.is_empty()),
        "{result}"
    );
    let new = result["new"]
        .as_bool()
        .unwrap_or_else(|| panic!("new: {result}"));
    (new, result["contact"].clone())
}

/// The event types written, oldest first.
fn event_types(app: &crate::helpers::TestApp) -> Vec<String> {
    texts(
        app,
        "SELECT event_type AS s FROM webhook_events ORDER BY created_at, id",
    )
}

#[actix_web::test]
async fn upsert_creates_then_updates_the_contact_with_the_same_email_in_any_case() {
    let (app, api, location) = ready().await;
    let (new, created) = upsert(
        &api,
        &location,
        json!({"email": "Ada@Example.com", "firstName": "Ada", "tags": ["VIP"]}),
    )
    .await;
    assert!(new);
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["tags"], json!(["vip"]));

    let (new, updated) = upsert(
        &api,
        &location,
        json!({"email": "ADA@EXAMPLE.COM", "lastName": "Lovelace"}),
    )
    .await;
    assert!(!new);
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["name"], "Ada Lovelace");
    assert_eq!(updated["tags"], json!(["vip"]), "absent fields stay");
    assert_eq!(app.count("contacts"), 1);
    assert_eq!(event_types(&app), ["ContactCreate", "ContactUpdate"]);
}

#[actix_web::test]
async fn upsert_finds_a_contact_by_the_digits_of_its_phone_whatever_their_formatting() {
    let (app, api, location) = ready().await;
    let (_, created) = upsert(
        &api,
        &location,
        json!({"phone": "+1 (888) 555-0100", "firstName": "Grace"}),
    )
    .await;
    for (phone, city) in [
        ("18885550100", "Arlington"),
        ("1.888.555.0100", "Washington"),
    ] {
        let (new, updated) = upsert(&api, &location, json!({"phone": phone, "city": city})).await;
        assert!(!new, "{phone}");
        assert_eq!(updated["id"], created["id"], "{phone}");
        assert_eq!(updated["city"], city);
        assert_eq!(updated["phone"], phone, "the phone given is kept");
    }
    let (new, _) = upsert(&api, &location, json!({"phone": "888-555-0100"})).await;
    assert!(new, "other digits (no country code) are another number");
    assert_eq!(app.count("contacts"), 2);
}

#[actix_web::test]
async fn the_email_wins_over_the_phone_when_they_name_different_contacts() {
    let (app, api, location) = ready().await;
    let (_, by_email) = upsert(&api, &location, json!({"email": "ada@example.com"})).await;
    let (_, by_phone) = upsert(&api, &location, json!({"phone": "+44 20 7946 0000"})).await;
    let (_, other_phone) = upsert(&api, &location, json!({"phone": "+1 202 555 0199"})).await;
    let (new, updated) = upsert(
        &api,
        &location,
        json!({"email": "ada@example.com", "phone": "442079460000", "firstName": "Ada"}),
    )
    .await;
    assert!(!new);
    assert_eq!(updated["id"], by_email["id"]);
    let (new, updated) = upsert(
        &api,
        &location,
        json!({"email": "someone@example.com", "phone": "12025550199"}),
    )
    .await;
    assert!(!new, "no contact has the email: the phone matches");
    assert_eq!(updated["id"], other_phone["id"]);
    assert_eq!(updated["email"], "someone@example.com");
    assert_ne!(by_phone["id"], by_email["id"]);
    assert_eq!(app.count("contacts"), 3);
}

#[actix_web::test]
async fn create_new_if_duplicate_allowed_creates_a_contact_without_looking() {
    let (app, api, location) = ready().await;
    let (_, first) = upsert(&api, &location, json!({"email": "ada@example.com"})).await;
    let (new, second) = upsert(
        &api,
        &location,
        json!({"email": "ada@example.com", "createNewIfDuplicateAllowed": true}),
    )
    .await;
    assert!(new);
    assert_ne!(second["id"], first["id"]);
    let (new, third) = upsert(
        &api,
        &location,
        json!({"email": "ada@example.com", "createNewIfDuplicateAllowed": false}),
    )
    .await;
    assert!(!new);
    assert_eq!(third["id"], first["id"], "the oldest of the duplicates");
    assert_eq!(app.count("contacts"), 2);
}

#[actix_web::test]
async fn eight_concurrent_upserts_of_one_new_email_make_one_contact() {
    let (app, api, location) = ready().await;
    for round in 0..3 {
        let email = format!("race{round}@example.com");
        let body = json!({"locationId": location, "email": email, "firstName": "Racer"});
        let replies = join_all((0..8).map(|_| api.post(UPSERT, &body))).await;
        let mut created = 0;
        let mut ids = Vec::new();
        for reply in &replies {
            let result = ok_json("concurrent upsert", reply, StatusCode::OK);
            if result["new"] == true {
                created += 1;
            }
            ids.push(result["contact"]["id"].clone());
        }
        assert_eq!(created, 1, "round {round}: exactly one created");
        ids.dedup();
        assert_eq!(ids.len(), 1, "round {round}: one contact: {ids:?}");
        let count = texts(
            &app,
            &format!("SELECT count(*)::text AS s FROM contacts WHERE email = '{email}'"),
        );
        assert_eq!(count, ["1"], "round {round}");
    }
}

#[actix_web::test]
async fn invalid_upserts_are_a_422_naming_the_field_and_change_nothing() {
    let (app, api, location) = ready().await;
    for (body, field) in [
        (json!({"email": "ada@example.com"}), "locationId"),
        (
            json!({"locationId": location, "createNewIfDuplicateAllowed": "yes"}),
            "createNewIfDuplicateAllowed",
        ),
        (
            json!({"locationId": location, "nickname": "Ace"}),
            "nickname",
        ),
        (json!({"locationId": location, "email": "nope"}), "email"),
        (
            json!({"locationId": location, "dateOfBirth": "1990-02-30"}),
            "dateOfBirth",
        ),
        (json!(["not", "an", "object"]), "object"),
    ] {
        let reply = api.post(UPSERT, &body).await;
        assert_names_field(&format!("upsert {body}"), &reply, field);
    }
    assert_eq!(app.count("contacts"), 0);
    assert_eq!(app.count("webhook_events"), 0);
}

#[actix_web::test]
async fn another_accounts_contact_with_the_same_email_or_phone_is_never_matched() {
    let (app, api, location) = ready().await;
    let _other = second_account(&app).await;
    let theirs = texts(
        &app,
        "SELECT account_id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);
    // Their contact "zed@example.com", with a phone.
    let zed = insert_contact(&app, &theirs, "Zed");
    execute(
        &app,
        &format!("UPDATE contacts SET phone = '+1 202 555 0100' WHERE id = '{zed}'"),
    );
    let before = texts(
        &app,
        &format!("SELECT c::text AS s FROM contacts c WHERE id = '{zed}'"),
    );

    let (new, ours) = upsert(&api, &location, json!({"email": "ZED@example.com"})).await;
    assert!(new, "{ours}");
    let (new, _) = upsert(&api, &location, json!({"phone": "12025550100"})).await;
    assert!(new);
    assert_ne!(ours["id"], zed.as_str());
    assert_eq!(
        texts(
            &app,
            &format!("SELECT c::text AS s FROM contacts c WHERE id = '{zed}'")
        ),
        before,
        "their contact is untouched"
    );
}
