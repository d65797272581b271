//! `GET /v2/contacts/search/duplicate`: the account's contact with the email
//! (any case), else with the phone's digits, as `{"contact"}`; `{}` when
//! none matches; never another account's contact.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{
    Api, assert_error, assert_names_field, insert_contact, ok_json, ready, second_account,
};
use crate::integration_support::texts;

async fn lookup(api: &Api, location: &str, query: &str) -> Value {
    let path = format!("/v2/contacts/search/duplicate?locationId={location}&{query}");
    ok_json(&path, &api.get(&path).await, StatusCode::OK)
}

async fn create(api: &Api, location: &str, fields: Value) -> String {
    let mut body = fields;
    body["locationId"] = json!(location);
    let reply = api.post("/v2/contacts/", &body).await;
    ok_json("create", &reply, StatusCode::CREATED)["contact"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[actix_web::test]
async fn the_duplicate_is_found_by_email_in_any_case_then_by_phone_digits() {
    let (app, api, location) = ready().await;
    assert_eq!(
        lookup(&api, &location, "email=ada@example.com").await,
        json!({})
    );
    let ada = create(
        &api,
        &location,
        json!({"email": "ada@example.com", "phone": "+1 (888) 555-0100"}),
    )
    .await;
    let bob = create(&api, &location, json!({"phone": "+44 20 7946 0000"})).await;
    // Another account's contact with the same email is never found.
    let _other = second_account(&app).await;
    let theirs = texts(
        &app,
        "SELECT account_id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);
    insert_contact(&app, &theirs, "Zed");

    for (query, expected) in [
        ("email=ADA%40Example.COM", Some(&ada)),
        ("number=%2B18885550100", Some(&ada)),
        ("number=+18885550100", Some(&ada)),
        ("number=1-888-555-0100", Some(&ada)),
        ("email=nobody%40example.com&number=442079460000", Some(&bob)),
        ("email=ada%40example.com&number=442079460000", Some(&ada)),
        ("email=nobody%40example.com", None),
        ("number=5550100", None),
        ("email=zed%40example.com", None),
    ] {
        let found = lookup(&api, &location, query).await;
        match expected {
            Some(id) => {
                assert_eq!(found["contact"]["id"], id.as_str(), "{query}: {found}");
                let reply = api.get(&format!("/v2/contacts/{id}")).await;
                let contact = &ok_json("get", &reply, StatusCode::OK)["contact"];
                assert_eq!(&found["contact"], contact, "{query}: the whole contact");
            }
            None => assert_eq!(found, json!({}), "{query}"),
        }
    }
    let path =
        format!("/v2/contacts/search/duplicate/?locationId={location}&email=ada%40example.com");
    let found = ok_json("with a slash", &api.get(&path).await, StatusCode::OK);
    assert_eq!(found["contact"]["id"], ada.as_str());
}

#[actix_web::test]
async fn a_lookup_without_a_key_finds_nothing_and_one_for_another_location_is_refused() {
    let (_app, api, location) = ready().await;
    // Both keys are optional, as in HighLevel's document: with neither (or a
    // number without digits) there is nothing to match.
    for query in [
        format!("locationId={location}"),
        format!("locationId={location}&email=&number="),
        format!("locationId={location}&number=abc"),
    ] {
        let path = format!("/v2/contacts/search/duplicate?{query}");
        let found = ok_json(&path, &api.get(&path).await, StatusCode::OK);
        assert_eq!(found, serde_json::json!({}), "{path}");
    }
    for (query, field) in [
        ("email=ada%40example.com".to_string(), "locationId"),
        (format!("locationId={location}&email=a%00b"), "email"),
    ] {
        let path = format!("/v2/contacts/search/duplicate?{query}");
        assert_names_field(&path, &api.get(&path).await, field);
    }
    let other = uuid::Uuid::new_v4();
    let path = format!("/v2/contacts/search/duplicate?locationId={other}&email=a%40b.co");
    assert_error(&path, &api.get(&path).await, StatusCode::FORBIDDEN);
}
