//! The API's answers to requests no handler takes, in HighLevel's JSON error
//! body like every other error: a body over 64 KiB is a 413, and a method a
//! path does not serve is a 405 with `Allow` — a literal path such as
//! `/contacts/search` is never taken for a contact id.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_keys_page::generate_key;
use crate::api_support::{Api, assert_error, assert_names_field, kept_contact, ok_json, ready};

/// 64 KiB: the largest body the API reads.
const LIMIT: usize = 64 * 1024;

/// A JSON body of exactly `len` bytes: `{"firstName":"xxx…"}`.
fn body_of(len: usize) -> String {
    let frame = r#"{"firstName":""}"#.len();
    format!(r#"{{"firstName":"{}"}}"#, "x".repeat(len - frame))
}

/// The methods of an `Allow` header, upper-case.
fn allowed(reply: &crate::helpers::Reply) -> BTreeSet<String> {
    reply
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {:?}", reply.headers))
        .split(',')
        .map(|m| m.trim().to_uppercase())
        .filter(|m| !m.is_empty())
        .collect()
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413_with_the_json_error_body_on_v1_and_v2() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    let tokens = app.count("access_tokens");

    let targets = [
        (&api, Method::POST, "/v2/contacts/"),
        (&api, Method::PUT, contact.as_str()),
        (&api, Method::POST, "/v2/contacts/search"),
        (&api, Method::POST, "/v2/token/rotate"),
        (&v1, Method::POST, "/v1/contacts/"),
    ];
    for (client, method, path) in &targets {
        for len in [LIMIT + 1, 256 * 1024, 256 * 1024 + 1, 1024 * 1024] {
            let what = format!("{method} {path} with {len} bytes");
            let reply = client.raw(method.clone(), path, &body_of(len)).await;
            let body = assert_error(&what, &reply, StatusCode::PAYLOAD_TOO_LARGE);
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("65536")),
                "{what}: {body}"
            );
        }
        // Exactly the limit is read, and judged on its content.
        let what = format!("{method} {path} with {LIMIT} bytes");
        let reply = client.raw(method.clone(), path, &body_of(LIMIT)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            reply.body
        );
    }
    assert_names_field(
        "the limit, on update",
        &api.raw(Method::PUT, &contact, &body_of(LIMIT)).await,
        "firstName",
    );

    assert_eq!(app.count("contacts"), 1);
    assert_eq!(app.count("access_tokens"), tokens, "no rotation happened");
}

#[actix_web::test]
async fn a_method_a_path_does_not_serve_is_a_405_with_allow_and_the_json_body() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    let body = json!({"firstName": "Changed"});

    let tags = format!("{contact}/tags");
    let notes = format!("{contact}/notes");
    let note = format!("{contact}/notes/{}", uuid::Uuid::new_v4());
    let cases: [(&Api, Method, &str, &[&str]); 17] = [
        (&api, Method::PATCH, &contact, &["GET", "PUT", "DELETE"]),
        (&api, Method::POST, &contact, &["GET", "PUT", "DELETE"]),
        (&api, Method::GET, "/v2/contacts/search", &["POST"]),
        (&api, Method::DELETE, "/v2/contacts/search/", &["POST"]),
        (&api, Method::GET, "/v2/contacts/upsert", &["POST"]),
        (&api, Method::PUT, "/v2/contacts/upsert/", &["POST"]),
        (&api, Method::PUT, &tags, &["POST", "DELETE"]),
        (
            &api,
            Method::POST,
            "/v2/contacts/search/duplicate",
            &["GET"],
        ),
        (&api, Method::DELETE, &notes, &["GET", "POST"]),
        (&api, Method::POST, &note, &["GET", "PUT", "DELETE"]),
        (&api, Method::PUT, "/v2/contacts/", &["GET", "POST"]),
        (&api, Method::DELETE, "/v2/contacts", &["GET", "POST"]),
        (&api, Method::DELETE, "/v2/token", &["GET"]),
        (&api, Method::GET, "/v2/token/rotate", &["POST"]),
        (&api, Method::POST, "/v2/users/search", &["GET"]),
        (&v1, Method::DELETE, "/v1/contacts/", &["GET", "POST"]),
        (&v1, Method::PUT, "/v1/contacts", &["GET", "POST"]),
    ];
    for (client, method, path, allow) in cases {
        let what = format!("{method} {path}");
        let reply = client.call(method.clone(), path, Some(&body)).await;
        assert_error(&what, &reply, StatusCode::METHOD_NOT_ALLOWED);
        let expected: BTreeSet<String> = allow.iter().map(|m| m.to_string()).collect();
        assert_eq!(allowed(&reply), expected, "{what}");
    }

    // Paths no route knows are still a 404 in the same body.
    for path in ["/v2/nothing", "/v2/contacts/x/y", "/v1/nothing"] {
        let client = if path.starts_with("/v1") { &v1 } else { &api };
        assert_error(path, &client.get(path).await, StatusCode::NOT_FOUND);
    }
    let after = ok_json("unchanged", &api.get(&contact).await, StatusCode::OK);
    assert_eq!(after["contact"]["firstName"], "Kept", "{after}");
    assert_eq!(app.count("contacts"), 1);
}
