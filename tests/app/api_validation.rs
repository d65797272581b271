//! Bad input to API v2: broken JSON is a 400 on every route taking a body;
//! unknown fields, wrong types, invalid values and over-long strings are a
//! 422 whose `message` lists strings naming the field; nothing changes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{assert_error, assert_names_field, kept_contact, ok_json, ready};

/// Bodies to send and the field each one's 422 must name.
type Cases<'a> = &'a [(Value, &'a str)];

#[actix_web::test]
async fn malformed_json_is_a_400_on_every_route_that_takes_a_body() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let targets = [
        (Method::POST, "/v2/contacts/"),
        (Method::PUT, contact.as_str()),
        (Method::POST, "/v2/contacts/search"),
        (Method::POST, "/v2/token/rotate"),
    ];
    let bodies = [
        "{",
        r#"{"firstName": }"#,
        r#"{"firstName": "Ada",}"#,
        r#"{"firstName": "Ada""#,
        "{} trailing",
        "not json",
        "",
        // Broken JSON whose start is also of the wrong shape: still a 400.
        "[1, 2",
        r#"{"nickname": "Ace""#,
        r#"{"expireOldInSeconds": "soon""#,
    ];
    let mut wrong = Vec::new();
    for (method, path) in targets {
        for body in bodies {
            let reply = api.raw(method.clone(), path, body).await;
            let what = format!("{method} {path} {body:?}");
            if reply.status == StatusCode::BAD_REQUEST {
                assert_error(&what, &reply, StatusCode::BAD_REQUEST);
            } else {
                wrong.push(format!("{what} -> {} {}", reply.status, reply.body));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "malformed JSON must be a 400:\n{}",
        wrong.join("\n")
    );
    assert_eq!(app.count("contacts"), 1);
    assert_eq!(app.count("access_tokens"), 1, "no rotation happened");
}

#[actix_web::test]
async fn invalid_fields_are_a_422_naming_each_field_and_change_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let with = |field: &str, value: Value| {
        let mut body = json!({"locationId": location});
        body[field] = value;
        body
    };
    let long = |n: usize| Value::String("x".repeat(n));
    let create = [
        (json!({"firstName": "No location"}), "locationId"),
        (json!({"locationId": 42}), "locationId"),
        (with("nickname", json!("Ace")), "nickname"),
        (with("firstName", json!(5)), "firstName"),
        (with("tags", json!("vip")), "tags"),
        (with("email", json!("not-an-email")), "email"),
        (with("email", json!("a@b@c")), "email"),
        (with("firstName", long(101)), "firstName"),
        (with("phone", long(33)), "phone"),
        (with("website", long(2049)), "website"),
        (with("tags", json!(["x".repeat(65)])), "tags"),
    ];
    let update = [
        (json!({"email": "nope"}), "email"),
        (json!({"lastName": long(101)}), "lastName"),
        (json!({"favouriteColour": "red"}), "favouriteColour"),
        (json!({"tags": [1, 2]}), "tags"),
    ];
    let search = [
        (json!({"query": "x"}), "locationId"),
        (with("pageLimit", json!("ten")), "pageLimit"),
        (with("pageLimit", json!(0)), "pageLimit"),
        (with("page", json!(0)), "page"),
        (with("bogus", json!(1)), "bogus"),
        (with("searchAfter", json!(["x"])), "searchAfter"),
        (
            with("sort", json!([{"field": "name", "direction": "asc"}])),
            "sort",
        ),
    ];
    let rotate = [
        (json!({}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": -1}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": 604_801}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": "soon"}), "expireOldInSeconds"),
        (json!({"expireOldInSeconds": 5, "why": "x"}), "why"),
    ];
    let groups: [(Method, &str, Cases); 4] = [
        (Method::POST, "/v2/contacts/", &create),
        (Method::PUT, &contact, &update),
        (Method::POST, "/v2/contacts/search", &search),
        (Method::POST, "/v2/token/rotate", &rotate),
    ];
    for (method, path, cases) in groups {
        for (body, field) in cases {
            let what = format!("{method} {path} {body}");
            let reply = api.call(method.clone(), path, Some(body)).await;
            assert_names_field(&what, &reply, field);
        }
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("startAfterId=nope", "startAfterId"),
        ("startAfter=yesterday", "startAfter"),
    ] {
        let path = format!("/v2/contacts/?locationId={location}&{query}");
        assert_names_field(&path, &api.get(&path).await, field);
    }
    let path = "/v2/contacts/?limit=5";
    assert_names_field(path, &api.get(path).await, "locationId");
    let path = "/v2/users/search?limit=5";
    assert_names_field(path, &api.get(path).await, "companyId");

    assert_eq!(app.count("contacts"), 1);
    assert_eq!(app.count("access_tokens"), 1, "no rotation happened");
    let body = ok_json("unchanged", &api.get(&contact).await, StatusCode::OK);
    assert_eq!(body["contact"]["firstName"], "Kept");
    assert!(body["contact"].get("email").is_none(), "{body}");
}

#[actix_web::test]
async fn a_query_parameter_the_document_does_not_declare_is_a_422_naming_it() {
    let (_app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    for (path, name) in [
        ("/v2/token?verbose=1".to_string(), "verbose"),
        (
            format!("/v2/contacts/?locationId={location}&=false"),
            "property  should",
        ),
        (
            format!("/v2/contacts/?locationId={location}&limt=5"),
            "limt",
        ),
        (format!("{contact}?fields=all"), "fields"),
        (
            format!("/v2/users/search?companyId={location}&foo=1"),
            "foo",
        ),
    ] {
        assert_names_field(&path, &api.get(&path).await, name);
    }
    // A declared parameter given twice names itself too.
    let twice = format!("/v2/contacts/?locationId={location}&limit=2&limit=2");
    assert_names_field(&twice, &api.get(&twice).await, "limit must be given once");
    let deleted = format!("{contact}?hard=true");
    assert_names_field(&deleted, &api.delete(&deleted).await, "hard");
    ok_json(
        "nothing was deleted",
        &api.get(&contact).await,
        StatusCode::OK,
    );
    // Every parameter a route declares is taken.
    let listed = api
        .get(&format!(
            "/v2/contacts/?locationId={location}&query=Kept&limit=5"
        ))
        .await;
    ok_json("declared parameters", &listed, StatusCode::OK);
}
