//! Where the OpenAPI document and the server could read a request
//! differently, they read it alike (SPEC §7): objects are objects, numbers
//! in the query are whole numbers as written, an email or a date of birth is
//! valid exactly when the document's pattern says so, and a search cursor is
//! any `[integer, uuid]`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{Api, assert_names_field, ok_json, ready};

fn openapi_pattern(doc: &Value, schema: &str, field: &str) -> regex::Regex {
    let pattern = doc["components"]["schemas"][schema]["properties"][field]["pattern"]
        .as_str()
        .or_else(|| {
            doc["components"]["schemas"][schema]["properties"][field]["anyOf"][0]["pattern"]
                .as_str()
        })
        .unwrap_or_else(|| panic!("{schema}.{field} has a pattern"));
    regex::Regex::new(pattern).expect("the pattern compiles")
}

async fn create(api: &Api, location: &str) -> String {
    let reply = api
        .post(
            "/v2/contacts/",
            &json!({"locationId": location, "firstName": "Ada"}),
        )
        .await;
    ok_json("create", &reply, StatusCode::CREATED)["contact"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[actix_web::test]
async fn a_body_or_a_nested_object_given_as_a_list_is_refused_not_read_by_position() {
    let (_app, api, location) = ready().await;
    let id = create(&api, &location).await;
    let note_path = format!("/v2/contacts/{id}/notes");
    // Five nulls would fill every field of a note update by position.
    for (path, body) in [
        ("/v2/contacts/", json!([location, "Ada"])),
        (
            note_path.as_str(),
            json!(["A body", null, null, null, null]),
        ),
    ] {
        let reply = api.post(path, &body).await;
        assert_names_field(path, &reply, "object");
    }
    let path = format!("/v2/contacts/{id}");
    for (body, field) in [
        (json!({"dndSettings": [null, null]}), "dndSettings"),
        (json!({"dndSettings": {"SMS": ["active"]}}), "dndSettings"),
        (
            json!({"inboundDndSettings": {"all": ["active"]}}),
            "inboundDndSettings",
        ),
        (
            json!({"customFields": [["abc", null, "x", null]]}),
            "customFields[0]",
        ),
    ] {
        let reply = api.put(&path, &body).await;
        assert_names_field(&body.to_string(), &reply, field);
    }
    let search = json!({"locationId": location, "filters": [["email", "eq", "a@b.co"]]});
    let reply = api.post("/v2/contacts/search", &search).await;
    assert_names_field("filters as a list", &reply, "filters[0]");
    let got = ok_json("unchanged", &api.get(&path).await, StatusCode::OK);
    assert!(got["contact"].get("dndSettings").is_none(), "{got}");
}

#[actix_web::test]
async fn query_numbers_and_words_are_taken_only_as_written() {
    let (_app, api, location) = ready().await;
    for (query, field) in [
        ("limit=", "limit"),
        ("limit=+5", "limit"),
        ("limit=%205", "limit"),
        ("skip=", "skip"),
        ("sortDirection=", "sortDirection"),
        ("sortDirection=%20desc", "sortDirection"),
        ("role=", "role"),
    ] {
        let path = format!("/v2/users/search?companyId={location}&{query}");
        assert_names_field(&path, &api.get(&path).await, field);
    }
    for (query, field) in [
        ("limit=", "limit"),
        ("startAfter=", "startAfter"),
        ("startAfterId=", "startAfterId"),
        ("startAfter=%201", "startAfter"),
    ] {
        let path = format!("/v2/contacts/?locationId={location}&{query}");
        assert_names_field(&path, &api.get(&path).await, field);
    }
    let path = format!("/v2/users/search?companyId={location}&limit=5&skip=0&sortDirection=desc");
    ok_json(&path, &api.get(&path).await, StatusCode::OK);
}

#[actix_web::test]
async fn emails_and_dates_of_birth_are_valid_exactly_when_the_document_says_so() {
    let (_app, api, location) = ready().await;
    let doc = ok_json("doc", &api.get("/v2/openapi.json").await, StatusCode::OK);
    let email = openapi_pattern(&doc, "ContactInput", "email");
    let birth = openapi_pattern(&doc, "ContactInput", "dateOfBirth");
    let id = create(&api, &location).await;
    let path = format!("/v2/contacts/{id}");
    for (value, valid) in [
        ("ada@example.com", true),
        (" Ada.L+x@mail-1.example.com ", true),
        ("", true),
        ("0000000000", false),
        ("a@b..co", false),
        ("a@é.fr", false),
        ("\"a\"@b.co", false),
    ] {
        assert_eq!(email.is_match(value), valid, "pattern on {value:?}");
        let reply = api.put(&path, &json!({"email": value})).await;
        if valid {
            ok_json(value, &reply, StatusCode::OK);
        } else {
            assert_names_field(value, &reply, "email");
        }
    }
    for (value, valid) in [
        ("1990-09-25", true),
        ("09/25/1990", true),
        ("2024-2-29", true),
        ("", true),
        ("2023-02-29", false),
        ("1990-09/25", false),
        ("0000-01-01", false),
        ("1990-13-01", false),
    ] {
        assert_eq!(birth.is_match(value), valid, "pattern on {value:?}");
        let reply = api.put(&path, &json!({"dateOfBirth": value})).await;
        if valid {
            ok_json(value, &reply, StatusCode::OK);
        } else {
            assert_names_field(value, &reply, "dateOfBirth");
        }
    }
    let got = ok_json("cleared", &api.get(&path).await, StatusCode::OK);
    assert!(got["contact"].get("dateOfBirth").is_none(), "{got}");
}

#[actix_web::test]
async fn any_integer_and_uuid_is_a_search_cursor() {
    let (_app, api, location) = ready().await;
    create(&api, &location).await;
    for after in [
        json!([0, uuid::Uuid::new_v4().to_string()]),
        json!([5872.0, uuid::Uuid::new_v4().to_string()]),
        json!([253_402_300_799_999_i64, uuid::Uuid::nil().to_string()]),
    ] {
        let body = json!({"locationId": location, "searchAfter": after});
        let found = ok_json(
            &body.to_string(),
            &api.post("/v2/contacts/search", &body).await,
            StatusCode::OK,
        );
        assert!(found["contacts"].is_array(), "{found}");
    }
    let body = json!({"locationId": location, "searchAfter": [0, "not-a-uuid"]});
    let reply = api.post("/v2/contacts/search", &body).await;
    assert_names_field("bad cursor", &reply, "searchAfter");
}
