//! `GET /docs/api` (SPEC §6): the API reference, readable without signing in
//! and before setup, drawn from the same OpenAPI document the API serves, so
//! every route appears with its scope, and holding no account data.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[actix_web::test]
async fn the_reference_is_public_before_and_after_setup() {
    let app = spawn_app().await;
    let before = app.new_client().get("/docs/api").await;
    before.assert_status(StatusCode::OK);
    assert!(before.body.contains("API reference"), "{}", before.body);

    let owner = app.setup_owner().await;
    let visitor = app.new_client();
    let page = visitor.get("/docs/api").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.header("content-security-policy").is_some());
    assert!(
        !page.body.contains(&owner.email) && !page.body.contains(&owner.account_name),
        "the reference shows no account data"
    );
    assert!(
        visitor.current_session_cookie().is_none(),
        "reading the reference makes no session"
    );
}

#[actix_web::test]
async fn every_route_of_the_openapi_document_appears_with_its_scope_and_an_example() {
    let app = spawn_app().await;
    let doc: Value =
        serde_json::from_str(&app.get("/v2/openapi.json").await.body).expect("openapi json");
    let page = app.get("/docs/api").await;
    page.assert_status(StatusCode::OK);
    let body = &page.body;
    let paths = doc["paths"].as_object().expect("paths");
    let mut seen = 0;
    for (path, item) in paths {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let heading = format!("{} {}", method.to_uppercase(), path);
            assert!(body.contains(&heading), "{heading} missing");
            if let Some(scope) = item[*method]["security"][0]["bearer"][0].as_str() {
                assert!(body.contains(&format!("<code>{scope}</code>")), "{scope}");
            }
            let route = path.strip_prefix("/v2").unwrap_or(path);
            assert!(
                body.contains(&format!("{}/v2{route}", app.address)),
                "curl example of {heading}"
            );
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} operations");
    for scope in crate::api_support::ALL_SCOPES {
        assert!(body.contains(scope), "{scope}");
    }
    assert!(body.contains("&quot;statusCode&quot;") || body.contains("\"statusCode\""));
    assert!(body.contains("insufficient_scope"));
}

#[actix_web::test]
async fn every_example_request_is_accepted_by_its_route() {
    let (app, api, location) = crate::api_support::ready().await;
    let contact = crate::api_support::kept_contact(&api, &location).await;
    let contact_id = contact.rsplit('/').next().expect("an id").to_string();
    let doc: Value =
        serde_json::from_str(&app.get("/v2/openapi.json").await.body).expect("openapi json");
    let reference = private_integrations::web::docs::Reference::from_openapi(&doc);
    let mut tried = 0;
    for operation in reference.groups.iter().flat_map(|g| &g.operations) {
        if operation.method == "DELETE" {
            continue;
        }
        let path = format!(
            "{}{}",
            operation.path,
            operation
                .example_query
                .replace("3f1c2a9e-5b7d-4c21-9a0e-8d6f4b2c1e07", &location)
        )
        .replace("{locationId}", &location)
        .replace("{contactId}", &contact_id);
        // Routes naming an object of their own (a note, a field, a tag) and
        // the token's own rotation are left out: the example cannot name it.
        if path.contains('{') || path.starts_with("/v2/token") {
            continue;
        }
        let body: Option<Value> = operation.request_example.as_ref().map(|example| {
            serde_json::from_str(
                &example.replace("3f1c2a9e-5b7d-4c21-9a0e-8d6f4b2c1e07", &location),
            )
            .expect("the example is JSON")
        });
        let method = reqwest::Method::from_bytes(operation.method.as_bytes()).expect("a method");
        let reply = api.call(method, &path, body.as_ref()).await;
        assert!(
            reply.status.is_success(),
            "{} {path} refused its own example {body:?}: {} {}",
            operation.method,
            reply.status,
            reply.body
        );
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} examples tried");
}
