//! `GET /v2/openapi.json`: an OpenAPI 3 document of exactly the routes
//! served, each operation naming the scope it needs — the scope the route
//! then asks of a token, on both spellings of its path.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api_support::{
    ALL_SCOPES, Auth, assert_error, assert_missing_scope, location_of, ok_json, send,
};
use crate::helpers::spawn_app;
use crate::integration_support::create_with_token;

/// `(path, method, scope)` of every route; `None` = any scope.
const ROUTES: [(&str, &str, Option<&str>); 31] = [
    ("/v2/token", "get", None),
    ("/v2/token/rotate", "post", None),
    ("/v2/contacts/", "get", Some("contacts.readonly")),
    ("/v2/contacts/", "post", Some("contacts.write")),
    ("/v2/contacts/{contactId}", "get", Some("contacts.readonly")),
    ("/v2/contacts/{contactId}", "put", Some("contacts.write")),
    ("/v2/contacts/{contactId}", "delete", Some("contacts.write")),
    ("/v2/contacts/search", "post", Some("contacts.readonly")),
    ("/v2/contacts/upsert", "post", Some("contacts.write")),
    (
        "/v2/contacts/search/duplicate",
        "get",
        Some("contacts.readonly"),
    ),
    (
        "/v2/contacts/{contactId}/tags",
        "post",
        Some("contacts.write"),
    ),
    (
        "/v2/contacts/{contactId}/tags",
        "delete",
        Some("contacts.write"),
    ),
    (
        "/v2/contacts/{contactId}/notes",
        "get",
        Some("contacts.readonly"),
    ),
    (
        "/v2/contacts/{contactId}/notes",
        "post",
        Some("contacts.write"),
    ),
    (
        "/v2/contacts/{contactId}/notes/{id}",
        "get",
        Some("contacts.readonly"),
    ),
    (
        "/v2/contacts/{contactId}/notes/{id}",
        "put",
        Some("contacts.write"),
    ),
    (
        "/v2/contacts/{contactId}/notes/{id}",
        "delete",
        Some("contacts.write"),
    ),
    (
        "/v2/locations/{locationId}",
        "get",
        Some("locations.readonly"),
    ),
    (
        "/v2/locations/{locationId}/customFields",
        "get",
        Some("locations/customFields.readonly"),
    ),
    (
        "/v2/locations/{locationId}/customFields",
        "post",
        Some("locations/customFields.write"),
    ),
    (
        "/v2/locations/{locationId}/customFields/{id}",
        "get",
        Some("locations/customFields.readonly"),
    ),
    (
        "/v2/locations/{locationId}/customFields/{id}",
        "put",
        Some("locations/customFields.write"),
    ),
    (
        "/v2/locations/{locationId}/customFields/{id}",
        "delete",
        Some("locations/customFields.write"),
    ),
    (
        "/v2/locations/{locationId}/tags",
        "get",
        Some("locations/tags.readonly"),
    ),
    (
        "/v2/locations/{locationId}/tags",
        "post",
        Some("locations/tags.write"),
    ),
    (
        "/v2/locations/{locationId}/tags/{tagId}",
        "get",
        Some("locations/tags.readonly"),
    ),
    (
        "/v2/locations/{locationId}/tags/{tagId}",
        "put",
        Some("locations/tags.write"),
    ),
    (
        "/v2/locations/{locationId}/tags/{tagId}",
        "delete",
        Some("locations/tags.write"),
    ),
    ("/v2/users/", "get", Some("users.readonly")),
    ("/v2/users/search", "get", Some("users.readonly")),
    ("/v2/users/{userId}", "get", Some("users.readonly")),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

#[actix_web::test]
async fn the_openapi_document_parses_and_lists_every_route_with_its_scope() {
    let app = spawn_app().await;

    let client = app.new_client();
    let reply = client.get("/v2/openapi.json").await;
    let doc = ok_json("openapi.json", &reply, StatusCode::OK);
    let slashed = client.get("/v2/openapi.json/").await;
    assert_eq!(
        ok_json("openapi.json/", &slashed, StatusCode::OK),
        doc,
        "the same document with a trailing slash"
    );
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        reply.header("content-type")
    );
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with('3'), "openapi: {version:?}");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert_eq!(
        bearer["scheme"].as_str().map(str::to_lowercase).as_deref(),
        Some("bearer"),
        "{bearer}"
    );

    let paths = doc["paths"].as_object().expect("paths");
    let listed: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (path.clone(), m.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(p, m, _)| (p.to_string(), m.to_string()))
        .collect();
    assert_eq!(listed, expected, "operations in the document");

    for (path, method, scope) in ROUTES {
        let operation = &paths[path][method];
        let security = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no security: {operation}"));
        let scopes: Vec<&Value> = security
            .iter()
            .filter_map(|requirement| requirement.get("bearer"))
            .collect();
        assert_eq!(scopes.len(), 1, "{method} {path}: {security:?}");
        let expected = scope.map_or_else(Vec::new, |s| vec![Value::from(s)]);
        assert_eq!(
            scopes[0].as_array(),
            Some(&expected),
            "{method} {path} security"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
    }
}

#[actix_web::test]
async fn every_operation_in_the_document_is_served() {
    let app = spawn_app().await;
    let client = app.new_client();
    let id = uuid::Uuid::new_v4().to_string();

    for (path, method, _) in ROUTES {
        let concrete = path
            .replace("{contactId}", &id)
            .replace("{locationId}", &id)
            .replace("{userId}", &id)
            .replace("{id}", &id);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let body = (method == Method::POST || method == Method::PUT).then_some("{}");
        let reply = send(&client, Auth::None, method.clone(), &concrete, body).await;
        // Served routes ask for a token; an unknown route would be a 404.
        assert_error(
            &format!("{method} {concrete}"),
            &reply,
            StatusCode::UNAUTHORIZED,
        );
    }
    let reply = client.get("/v2/not-in-the-document").await;
    assert_error("unknown route", &reply, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn each_operation_asks_a_token_for_the_scope_the_document_names_with_and_without_a_slash() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = app.new_client();
    let doc = ok_json(
        "openapi.json",
        &client.get("/v2/openapi.json").await,
        StatusCode::OK,
    );
    // For each scope, a token holding every other one.
    let mut lacking = Vec::new();
    for scope in ALL_SCOPES {
        let others: Vec<&str> = ALL_SCOPES.into_iter().filter(|s| *s != scope).collect();
        let (_, token) = create_with_token(&app, &format!("All but {scope}"), &others, "").await;
        lacking.push((scope, token));
    }
    let location = location_of(&app, &lacking[0].1).await;
    let contact = uuid::Uuid::new_v4().to_string();

    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let needed = item[*method]["security"][0]["bearer"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}: no bearer security"))
                .first()
                .map(|s| s.as_str().expect("a scope name").to_string());
            let concrete = path
                .replace("{contactId}", &contact)
                .replace("{locationId}", &location)
                .replace("{userId}", &contact)
                .replace("{tagId}", &contact)
                .replace("{id}", &contact);
            let trimmed = concrete.trim_end_matches('/').to_string();
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            // An empty body: nothing is created, changed or rotated.
            let body = (method == Method::POST || method == Method::PUT).then_some("{}");
            for spelling in [trimmed.clone(), format!("{trimmed}/")] {
                let what = format!("{method} {spelling}");
                for (missing, token) in &lacking {
                    let reply = send(
                        &client,
                        Auth::Bearer(token),
                        method.clone(),
                        &spelling,
                        body,
                    )
                    .await;
                    match &needed {
                        Some(scope) if scope == missing => {
                            assert_missing_scope(&what, &reply, scope);
                        }
                        // Served and let through; the empty body or the
                        // unknown contact may still be refused.
                        _ => assert!(
                            ![
                                StatusCode::UNAUTHORIZED,
                                StatusCode::FORBIDDEN,
                                StatusCode::METHOD_NOT_ALLOWED,
                            ]
                            .contains(&reply.status)
                                && !reply.body.contains("Route not found"),
                            "{what} without {missing}: {} {}",
                            reply.status,
                            reply.body
                        ),
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        ROUTES.len() * 2,
        "operations checked, both spellings"
    );
}

/// A query parameter the server cannot do without is `required` in the
/// document, and the server needs no other: a schema-driven client that
/// sends exactly the required ones is answered, one that leaves one out is
/// refused with a 422 naming it.
#[actix_web::test]
async fn the_required_query_parameters_are_those_the_server_requires() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Reader", &ALL_SCOPES, "").await;
    let location = location_of(&app, &token).await;
    let client = app.new_client();
    let doc = ok_json(
        "openapi.json",
        &client.get("/v2/openapi.json").await,
        StatusCode::OK,
    );
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(operation) = item.get("get") else {
            continue;
        };
        if path.contains('{') {
            continue;
        }
        let required: Vec<&str> = operation["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str())
            .collect();
        let query = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("{n}={location}"))
                .collect::<Vec<_>>()
                .join("&")
        };
        let url = format!("{path}?{}", query(&required));
        let reply = send(&app, Auth::Bearer(&token), Method::GET, &url, None).await;
        assert!(
            reply.status.is_success(),
            "{url}: {} {}",
            reply.status,
            reply.body
        );
        for left_out in &required {
            let rest: Vec<&str> = required.iter().copied().filter(|n| n != left_out).collect();
            let url = format!("{path}?{}", query(&rest));
            let reply = send(&app, Auth::Bearer(&token), Method::GET, &url, None).await;
            assert_error(&url, &reply, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(reply.body.contains(left_out), "{url}: {}", reply.body);
        }
        checked.push((path.clone(), required.join(",")));
    }
    for (path, name) in [
        ("/v2/contacts/", "locationId"),
        ("/v2/contacts/search/duplicate", "locationId"),
        ("/v2/users/", "locationId"),
        ("/v2/users/search", "companyId"),
    ] {
        assert!(
            checked
                .iter()
                .any(|(p, r)| p == path && r.split(',').any(|n| n == name)),
            "{path} requires {name}: {checked:?}"
        );
    }
}

/// The upsert body is a new contact's fields plus its own flag, in one
/// object that allows nothing else.
#[actix_web::test]
async fn the_upsert_body_allows_its_flag_beside_the_contacts_fields() {
    let app = spawn_app().await;
    let doc = ok_json(
        "openapi.json",
        &app.new_client().get("/v2/openapi.json").await,
        StatusCode::OK,
    );
    let schemas = &doc["components"]["schemas"];
    let upsert = &schemas["UpsertInput"];
    assert_eq!(upsert["additionalProperties"], false, "{upsert}");
    // `null` is taken as `false`, as the server reads it.
    assert_eq!(
        upsert["properties"]["createNewIfDuplicateAllowed"]["type"],
        serde_json::json!(["boolean", "null"]),
        "{upsert}"
    );
    let contact = schemas["NewContactInput"]["properties"]
        .as_object()
        .expect("contact fields");
    for field in contact.keys() {
        assert!(
            upsert["properties"].get(field).is_some(),
            "{field}: {upsert}"
        );
    }
    assert!(
        upsert["required"]
            .as_array()
            .is_some_and(|r| r.contains(&Value::from("locationId"))),
        "{upsert}"
    );
}
