//! `GET /v2/openapi.json`: generated from the handlers' own annotations and
//! types, and each operation's scope from the route table, so the document
//! cannot drift from what is served.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{
    contact_search, contact_tags, contacts, custom_fields, duplicate, error, location_tags,
    locations, notes, routes, token, upsert, users,
};
use crate::domain::scope::Scope;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(document));
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pit_ + 49 base62 characters")
                    .description(Some("A private integration's access token. Each operation lists the scope it needs."))
                    .build(),
            ),
        );
    }
}

/// Each operation needs the scope its route needs; an operation no route
/// serves gets no security, which the tests below refuse.
struct ScopesFromRoutes;

impl Modify for ScopesFromRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                operation.security = routes::find(path, &method).map(|route| {
                    vec![SecurityRequirement::new(
                        "bearer",
                        route.scope.map(Scope::name),
                    )]
                });
            }
        }
    }
}

/// Every answer an API v2 operation can give besides its successes, each
/// with HighLevel's error body: the extractors, limits and fallbacks run in
/// front of every handler, so every operation can answer them.
const ERRORS: &[(&str, &str)] = &[
    ("400", "Malformed JSON or query string"),
    (
        "401",
        "No token, or a malformed, unknown, expired or revoked one",
    ),
    (
        "403",
        "The token lacks the scope, names another location, or comes from outside the allowlist",
    ),
    ("404", "Not found, or another account's"),
    ("413", "Body over 64 KiB"),
    (
        "422",
        "Missing, invalid or unknown fields; `message` lists them",
    ),
    ("429", "Rate limit reached; see Retry-After"),
    ("503", "The database is unreachable; see Retry-After"),
];

struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                let responses = &mut operation.responses.responses;
                for (status, description) in ERRORS {
                    responses
                        .entry((*status).to_string())
                        .or_insert_with(|| error_response(description));
                }
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = success_words(status).to_string();
                    }
                }
            }
        }
    }
}

/// The keyset cursor `[dateAdded in epoch milliseconds, id]`.
pub(crate) fn search_after_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::Array(
        ArrayBuilder::new()
            // Absent or null: the first page.
            .schema_type(oas::SchemaType::from_iter([Type::Array, Type::Null]))
            .items(
                OneOfBuilder::new()
                    .item(ObjectBuilder::new().schema_type(Type::Integer))
                    .item(ObjectBuilder::new().schema_type(Type::String)),
            )
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("[dateAdded in epoch milliseconds, contact id], from the last contact of the previous page"))
            .build(),
    )
}

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

fn success_words(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "409" => "Conflict with the current state",
        _ => "Error, with HighLevel's error body",
    }
}

/// The operations a path item holds, by method.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
        (Method::OPTIONS, item.options.as_mut()),
        (Method::HEAD, item.head.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::TRACE, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Private Integrations API v2", version = "2021-07-28",
        description = "Wire-compatible with HighLevel's API v2 for contacts, locations and users. Point HighLevel's SDKs at {PUBLIC_URL}/v2."),
    paths(
        token::show, token::rotate,
        contacts::get_contact, contacts::create_contact, contacts::update_contact, contacts::delete_contact,
        contact_search::list_contacts, contact_search::search_contacts,
        upsert::upsert_contact, duplicate::find_duplicate,
        contact_tags::add_tags, contact_tags::remove_tags,
        notes::list_notes, notes::create_note, notes::get_note, notes::update_note, notes::delete_note,
        locations::get_location,
        custom_fields::list_fields, custom_fields::create_field, custom_fields::get_field, custom_fields::update_field, custom_fields::delete_field,
        location_tags::list_tags, location_tags::create_tag, location_tags::get_tag, location_tags::update_tag, location_tags::delete_tag,
        users::list_users, users::search_users, users::get_user,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerScheme, &ScopesFromRoutes, &ErrorResponses),
)]
pub struct ApiDoc;

/// The document as JSON, for the panel's reference page.
pub fn document_json() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(path under /v2 without its trailing slash, method, scopes)`.
    type Entry = (String, String, Option<Vec<String>>);

    fn documented() -> BTreeSet<Entry> {
        let mut doc = ApiDoc::openapi();
        let mut out = BTreeSet::new();
        for (path, item) in doc.paths.paths.iter_mut() {
            let path = path.strip_prefix("/v2").unwrap_or(path);
            let path = path.strip_suffix('/').unwrap_or(path).to_string();
            for (method, operation) in operations(item) {
                let scopes = operation.security.as_ref().map(|requirements| {
                    let json = serde_json::to_value(requirements).unwrap_or_default();
                    json[0]["bearer"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| s.as_str().unwrap_or_default().to_string())
                        .collect()
                });
                out.insert((path.clone(), method.to_string(), scopes));
            }
        }
        out
    }

    #[test]
    fn a_custom_field_value_may_be_any_json_value() {
        let doc = document_json();
        let schemas = &doc["components"]["schemas"];
        for value in [
            &schemas["CustomFieldValue"]["properties"]["value"],
            &schemas["CustomFieldInput"]["properties"]["field_value"],
            &schemas["CustomFieldInput"]["properties"]["value"],
        ] {
            assert!(value.is_object(), "{value}");
            assert!(value.get("type").is_none(), "{value}");
        }
    }

    #[test]
    fn every_route_is_documented_with_its_scope_and_every_operation_is_routed() {
        let routed: BTreeSet<Entry> = routes::all()
            .map(|r| {
                let scopes = r.scope.map(|s| s.name().to_string()).into_iter().collect();
                (r.path.to_string(), r.method.to_string(), Some(scopes))
            })
            .collect();
        assert_eq!(documented(), routed);
    }
}
