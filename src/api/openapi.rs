//! `GET /v2/openapi.json`: generated from the handlers' own annotations and
//! types, and each operation's scope from the route table, so the document
//! cannot drift from what is served.

use std::collections::HashMap;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
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
    // Every API path answers with and without a trailing slash (SPEC §7).
    cfg.route("/openapi.json", web::get().to(document))
        .route("/openapi.json/", web::get().to(document));
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

/// Create and upsert need `locationId`, which update does not: both read
/// the one `ContactInput`, so the document gets a copy of it with
/// `locationId` required and not null, and those two operations take it.
struct NewContactNeedsLocation;

const NEW_CONTACT: &str = "NewContactInput";
/// The upsert's own flag.
const CREATE_NEW: &str = "createNewIfDuplicateAllowed";

impl Modify for NewContactNeedsLocation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ObjectBuilder, Schema, Type};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(input))) = components.schemas.get("ContactInput") else {
            return;
        };
        let mut new_contact = input.clone();
        new_contact.required.push("locationId".to_string());
        new_contact.properties.insert(
            "locationId".to_string(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The account's id"))
                    .build(),
            )),
        );
        components.schemas.insert(
            NEW_CONTACT.to_string(),
            RefOr::T(Schema::Object(new_contact.clone())),
        );
        // The upsert body is the new contact's fields and one flag of its
        // own, in one object: an `allOf` of the two would forbid the flag,
        // since the contact's schema allows no other property.
        let flag = match components.schemas.get("UpsertInput") {
            Some(RefOr::T(Schema::AllOf(upsert))) => {
                upsert.items.iter().find_map(|item| match item {
                    RefOr::T(Schema::Object(own)) => own.properties.get(CREATE_NEW).cloned(),
                    _ => None,
                })
            }
            _ => None,
        };
        if let Some(flag) = flag {
            let mut upsert = new_contact.clone();
            upsert.properties.insert(CREATE_NEW.to_string(), flag);
            components
                .schemas
                .insert("UpsertInput".to_string(), RefOr::T(Schema::Object(upsert)));
        }
        let create = openapi
            .paths
            .paths
            .get_mut("/v2/contacts/")
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut());
        if let Some(RefOr::T(body)) = create {
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content {
                    content.schema = Some(RefOr::Ref(Ref::from_schema_name(NEW_CONTACT)));
                }
            }
        }
    }
}

/// Epoch milliseconds of 0001-01-01 and of the last instant of 9999.
const FIRST_MS: i64 = -62_135_596_800_000;
const LAST_MS: i64 = 253_402_300_799_999;

/// The keyset cursor `[dateAdded in epoch milliseconds, id]`: a tuple, so
/// each position has its own type (OpenAPI 3.1's `prefixItems`).
pub(crate) fn search_after_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Schema, Type};
    Schema::Array(
        ArrayBuilder::new()
            // Absent or null: the first page.
            .schema_type(oas::SchemaType::from_iter([Type::Array, Type::Null]))
            .prefix_items([
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(FIRST_MS))
                    .maximum(Some(LAST_MS))
                    .build(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(oas::SchemaFormat::KnownFormat(oas::KnownFormat::Uuid)))
                    .build(),
            ])
            .items(oas::ArrayItems::False)
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("[dateAdded in epoch milliseconds, contact id], from the last contact of the previous page"))
            .build(),
    )
}

fn tag_list(nullable: bool) -> utoipa::openapi::Schema {
    use crate::domain::contact::{MAX_TAG_CHARS, MAX_TAGS};
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Schema, Type};
    let types = if nullable {
        oas::SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        oas::SchemaType::new(Type::Array)
    };
    Schema::Array(
        ArrayBuilder::new()
            .schema_type(types)
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_TAG_CHARS))
                    .pattern(Some(SOME_TEXT)),
            )
            .max_items(Some(MAX_TAGS))
            .description(Some("Stored trimmed and lower-cased"))
            .build(),
    )
}

fn one_word(words: &[&str]) -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .build()
}

/// An object of exactly these properties, all required.
fn closed_object(
    properties: Vec<(&str, utoipa::openapi::Schema)>,
    required: &[&str],
) -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ObjectBuilder, Schema, Type};
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(oas::AdditionalProperties::FreeForm(false)));
    for (name, schema) in properties {
        object = object.property(name, schema);
    }
    for name in required {
        object = object.required(*name);
    }
    Schema::Object(object.build())
}

/// An instant in a date-range filter: epoch milliseconds, an RFC 3339
/// date-time or a date, in years 0001 to 9999.
fn instant_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ObjectBuilder, Schema, Type};
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(oas::SchemaFormat::KnownFormat(format)))
    };
    Schema::AnyOf(
        oas::AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(FIRST_MS))
                    .maximum(Some(LAST_MS)),
            )
            .item(string(oas::KnownFormat::DateTime))
            .item(string(oas::KnownFormat::Date))
            .build(),
    )
}

/// `filters` of a contact search: each supported field with its one
/// operator and the value that operator takes.
pub(crate) fn search_filters_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    let text = || Schema::Object(ObjectBuilder::new().schema_type(Type::String).build());
    let email = closed_object(
        vec![
            ("field", Schema::Object(one_word(&["email"]))),
            ("operator", Schema::Object(one_word(&["eq"]))),
            ("value", text()),
        ],
        &["field", "operator", "value"],
    );
    let tags = closed_object(
        vec![
            ("field", Schema::Object(one_word(&["tags"]))),
            ("operator", Schema::Object(one_word(&["contains"]))),
            (
                "value",
                Schema::OneOf(
                    OneOfBuilder::new()
                        .item(text())
                        .item(ArrayBuilder::new().items(RefOr::T(text())))
                        .build(),
                ),
            ),
        ],
        &["field", "operator", "value"],
    );
    let date_added = closed_object(
        vec![
            ("field", Schema::Object(one_word(&["dateAdded"]))),
            ("operator", Schema::Object(one_word(&["range"]))),
            (
                "value",
                closed_object(
                    vec![("gte", instant_schema()), ("lte", instant_schema())],
                    &[],
                ),
            ),
        ],
        &["field", "operator", "value"],
    );
    Schema::Array(
        ArrayBuilder::new()
            .schema_type(oas::SchemaType::from_iter([Type::Array, Type::Null]))
            .items(OneOfBuilder::new().item(email).item(tags).item(date_added))
            .description(Some("Supported: email eq, tags contains, dateAdded range"))
            .build(),
    )
}

/// `sort` of a contact search: by `dateAdded`, one way.
pub(crate) fn search_sort_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, Schema, Type};
    Schema::Array(
        ArrayBuilder::new()
            .schema_type(oas::SchemaType::from_iter([Type::Array, Type::Null]))
            .items(RefOr::T(closed_object(
                vec![
                    ("field", Schema::Object(one_word(&["dateAdded"]))),
                    ("direction", Schema::Object(one_word(&["asc", "desc"]))),
                ],
                &["field", "direction"],
            )))
            .max_items(Some(1))
            .build(),
    )
}

/// A contact's date of birth: one of HighLevel's date forms, or an RFC 3339
/// date-time whose date is taken as written.
pub(crate) fn birth_date_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ObjectBuilder, Schema, Type};
    Schema::AnyOf(
        oas::AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::domain::contact::birth_date_pattern())),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(oas::SchemaFormat::KnownFormat(oas::KnownFormat::DateTime))),
            )
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some(
                "YYYY-MM-DD or MM-DD-YYYY with -, /, . or _ between the parts, or an RFC 3339 date-time; returned as YYYY-MM-DD",
            ))
            .examples(["1990-09-25"])
            .build(),
    )
}

/// A contact's email; `""` clears it, null leaves it.
pub(crate) fn contact_email_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ObjectBuilder, Schema, Type};
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(oas::SchemaType::from_iter([Type::String, Type::Null]))
            .max_length(Some(254))
            .pattern(Some(crate::domain::email::CONTACT_EMAIL_PATTERN))
            .build(),
    )
}

/// Tags as `POST`/`DELETE /contacts/{id}/tags` take them.
pub(crate) fn tags_schema() -> utoipa::openapi::Schema {
    tag_list(false)
}

/// A contact's tags on create and update; null leaves them as they are.
pub(crate) fn optional_tags_schema() -> utoipa::openapi::Schema {
    tag_list(true)
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
    modifiers(&BearerScheme, &ScopesFromRoutes, &ErrorResponses, &NewContactNeedsLocation),
)]
pub struct ApiDoc;

/// The document as JSON, as served and as the panel's reference page
/// reads it.
pub fn document_json() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    no_nul_in_text(&mut doc);
    doc
}

/// Free text: anything but NUL.
const ANY_TEXT: &str = r"^[^\u0000]*$";
/// Text with something besides white space (Unicode's White_Space, which
/// Rust's `trim` removes), and no NUL; spelt out so every regex engine reads
/// it alike. Schema attributes, which take only a literal, say `\S` for it.
const SOME_TEXT: &str = concat!(
    r"^[^\u0000]*",
    r"[^\u0000\t\n\x0B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
    r"[^\u0000]*$",
);

/// A NUL in any text is refused (SPEC §7), so the document says so of every
/// string it does not already pin down (a format, a list of words, an
/// anchored pattern): a schema-driven client that sends what the document
/// allows is never refused for it. An attribute's `\S` becomes
/// [`SOME_TEXT`]: engines disagree on which characters `\S` leaves out.
fn no_nul_in_text(node: &mut serde_json::Value) {
    use serde_json::Value;
    match node {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
                _ => false,
            };
            let pinned = ["enum", "const", "format"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && !pinned {
                let pattern = match map.get("pattern").and_then(Value::as_str) {
                    None => Some(ANY_TEXT),
                    Some(r"\S") => Some(SOME_TEXT),
                    Some(_) => None,
                };
                if let Some(pattern) = pattern {
                    map.insert("pattern".into(), Value::from(pattern));
                }
            }
            for (key, value) in map.iter_mut() {
                // Examples are values, not schemas.
                if key != "example" && key != "examples" {
                    no_nul_in_text(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(no_nul_in_text),
        _ => {}
    }
}

/// The query parameters each operation declares, by method and by path as
/// the route table spells it (under `/v2`, no trailing slash): the API
/// refuses any other (422), so what the document says is what the server
/// takes.
pub fn query_parameters() -> &'static HashMap<(Method, String), Vec<String>> {
    static DECLARED: std::sync::LazyLock<HashMap<(Method, String), Vec<String>>> =
        std::sync::LazyLock::new(|| {
            let mut doc = ApiDoc::openapi();
            let mut declared = HashMap::new();
            for (path, item) in doc.paths.paths.iter_mut() {
                let path = path.strip_prefix("/v2").unwrap_or(path);
                let path = path.strip_suffix('/').unwrap_or(path).to_string();
                for (method, operation) in operations(item) {
                    let names = operation
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|p| match p {
                            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => {
                                Some(p.name.clone())
                            }
                            _ => None,
                        })
                        .collect();
                    declared.insert((method, path.clone()), names);
                }
            }
            declared
        });
    &DECLARED
}

/// The document never changes while the process runs: built once, on the
/// first request for it.
static DOCUMENT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| serde_json::to_string(&document_json()).unwrap_or_default());

async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
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
    fn every_name_that_must_hold_more_than_white_space_says_so_alike() {
        let doc = document_json();
        let schemas = &doc["components"]["schemas"];
        for pattern in [
            &schemas["TagInput"]["properties"]["name"]["pattern"],
            &schemas["NewNoteInput"]["properties"]["body"]["pattern"],
            &schemas["FieldInput"]["properties"]["name"]["pattern"],
            &schemas["TagsInput"]["properties"]["tags"]["items"]["pattern"],
        ] {
            assert_eq!(pattern.as_str(), Some(SOME_TEXT), "{schemas}");
        }
    }

    #[test]
    fn every_free_text_in_the_document_leaves_nul_out() {
        let doc = document_json();
        let schemas = &doc["components"]["schemas"];
        for pattern in [
            &schemas["NewContactInput"]["properties"]["companyName"]["pattern"],
            &schemas["NewContactInput"]["properties"]["firstName"]["pattern"],
        ] {
            assert_eq!(pattern.as_str(), Some(ANY_TEXT), "{schemas}");
        }
        let re = |p: &str| regex::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        for (text, any, some) in [
            ("plain", true, true),
            ("", true, false),
            (" \u{85}\u{3000}", true, false),
            ("a\0b", false, false),
            ("\0", false, false),
        ] {
            assert_eq!(re(ANY_TEXT).is_match(text), any, "{text:?}");
            assert_eq!(re(SOME_TEXT).is_match(text), some, "{text:?}");
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

    /// The API refuses query parameters its document does not declare, so
    /// the document must declare every one HighLevel's does for a route we
    /// serve: an SDK sends those.
    #[test]
    fn every_query_parameter_highlevel_declares_for_a_served_route_is_taken() {
        let declared = query_parameters();
        for app in ["contacts", "locations", "users"] {
            let path = format!(
                "{}/tests/reference/highlevel/apps/{app}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let doc: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            for (route, item) in doc["paths"].as_object().into_iter().flatten() {
                let route = route.strip_suffix('/').unwrap_or(route).to_string();
                for (method, operation) in item.as_object().into_iter().flatten() {
                    let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                        continue;
                    };
                    let Some(ours) = declared.get(&(method.clone(), route.clone())) else {
                        continue;
                    };
                    for parameter in operation["parameters"].as_array().into_iter().flatten() {
                        if parameter["in"] == "query" {
                            let name = parameter["name"].as_str().unwrap_or_default();
                            assert!(
                                ours.iter().any(|n| n == name),
                                "{method} {route}: HighLevel's {name} is not declared"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            declared
                .get(&(Method::GET, "/contacts".to_string()))
                .is_some_and(|names| names.iter().any(|n| n == "startAfterId")),
            "the list's parameters are read: {declared:?}"
        );
    }
}
