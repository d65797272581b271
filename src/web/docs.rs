//! `GET /docs/api`: the API reference as a plain page, readable without
//! signing in (it holds no account data). It is drawn from the same OpenAPI
//! document `/v2/openapi.json` serves and from the scope catalogue, so it
//! cannot drift from what the server does. The document is handed over by
//! `startup` as JSON (the panel does not import the API).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value};

use crate::domain::scope::Scope;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::layout::Layout;

pub const PATH: &str = "/docs/api";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(show));
}

/// The reference, worked out once at start-up.
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub groups: Vec<OperationGroup>,
}

pub struct OperationGroup {
    pub name: String,
    pub anchor: String,
    pub operations: Vec<Operation>,
}

pub struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    /// `None`: any valid token.
    pub scope: Option<String>,
    pub parameters: Vec<Parameter>,
    /// An example body, pretty-printed.
    pub request_example: Option<String>,
    /// The query string of the example request: every required query
    /// parameter, and the location wherever it is taken, with an example
    /// value; or empty.
    pub example_query: String,
    pub responses: Vec<Response>,
}

pub struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

pub struct Response {
    pub status: String,
    pub description: String,
    pub example: Option<String>,
}

impl Reference {
    /// From the OpenAPI document (as JSON).
    pub fn from_openapi(doc: &Value) -> Self {
        let info = &doc["info"];
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut groups: Vec<OperationGroup> = Vec::new();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in &paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else {
                    continue;
                };
                let tag = op["tags"][0].as_str().unwrap_or("Other").to_string();
                let operation = operation(path, method, op, &schemas);
                match groups.iter_mut().find(|g| g.name == tag) {
                    Some(g) => g.operations.push(operation),
                    None => groups.push(OperationGroup {
                        anchor: anchor(&tag),
                        name: tag,
                        operations: vec![operation],
                    }),
                }
            }
        }
        Reference {
            title: text(&info["title"]),
            version: text(&info["version"]),
            description: text(&info["description"]),
            groups,
        }
    }
}

impl Operation {
    /// The path under the base URL (which ends in `/v2`).
    pub fn route(&self) -> &str {
        self.path.strip_prefix("/v2").unwrap_or(&self.path)
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn operation(path: &str, method: &str, op: &Value, schemas: &Map<String, Value>) -> Operation {
    let scope = op["security"][0]["bearer"][0].as_str().map(str::to_string);
    let parameters = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| Parameter {
                    name: text(&p["name"]),
                    location: text(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    kind: kind(&p["schema"], schemas),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut example_query = url::form_urlencoded::Serializer::new(String::new());
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = text(&p["name"]);
        // The location is named wherever a route takes it: most require it.
        let account = matches!(name.as_str(), "locationId" | "companyId");
        if p["in"] == "query" && (account || p["required"].as_bool().unwrap_or(false)) {
            let value = if matches!(name.as_str(), "locationId" | "companyId") {
                Some(Value::from(ID_EXAMPLE))
            } else {
                example(&p["schema"], schemas, 0, Side::Request)
            };
            let value = match value {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            example_query.append_pair(&name, &value);
        }
    }
    let example_query = match example_query.finish() {
        q if q.is_empty() => q,
        q => format!("?{q}"),
    };
    let request_example = op["requestBody"]["content"]["application/json"]["schema"]
        .as_object()
        .and_then(|s| example(&Value::Object(s.clone()), schemas, 0, Side::Request))
        .map(|e| pretty(&e));
    let mut responses: Vec<Response> = op["responses"]
        .as_object()
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| Response {
                    status: status.clone(),
                    description: r["description"]
                        .as_str()
                        .filter(|d| !d.is_empty())
                        .map_or_else(|| reason(status).to_string(), str::to_string),
                    example: r["content"]["application/json"]["schema"]
                        .as_object()
                        .filter(|_| status.starts_with('2'))
                        .and_then(|s| {
                            example(&Value::Object(s.clone()), schemas, 0, Side::Response)
                        })
                        .map(|e| pretty(&e)),
                })
                .collect()
        })
        .unwrap_or_default();
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    Operation {
        anchor: anchor(&format!("{method} {path}")),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: text(&op["summary"]),
        scope,
        parameters,
        request_example,
        example_query,
        responses,
    }
}

fn reason(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "400" => "Malformed JSON",
        "401" => "Missing, unknown, expired or revoked token",
        "403" => "The token lacks the scope, or names another location",
        "404" => "Not found",
        "405" => "Method not allowed",
        "409" => "Conflict",
        "413" => "Body over 64 KiB",
        "422" => "Invalid or unknown fields",
        "429" => "Rate limit reached",
        _ => "",
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn resolve<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| schemas.get(name))
        .unwrap_or(schema)
}

/// A short type name for a parameter's schema.
fn kind(schema: &Value, schemas: &Map<String, Value>) -> String {
    let schema = resolve(schema, schemas);
    match schema["type"].as_str() {
        Some("array") => format!("array of {}", kind(&schema["items"], schemas)),
        Some(t) => match schema["format"].as_str() {
            Some(f) => format!("{t} ({f})"),
            None => t.to_string(),
        },
        None => "string".to_string(),
    }
}

/// Which side of a call an example shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A body to send: what is required, plus optional fields whose example
    /// is sure to be accepted (the schema's own, or a plain value), so the
    /// example works as shown.
    Request,
    /// A body received: every field that has a value (none is ever `null`).
    Response,
}

/// The non-null alternative of a nullable schema (`type: [t, "null"]`, or a
/// `oneOf`/`anyOf` with a `null` branch), or the schema itself.
fn non_null<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    let schema = resolve(schema, schemas);
    schema["oneOf"]
        .as_array()
        .or_else(|| schema["anyOf"].as_array())
        .or_else(|| schema["allOf"].as_array())
        .and_then(|branches| {
            branches
                .iter()
                .find(|b| resolve(b, schemas)["type"] != "null")
        })
        .map_or(schema, |branch| non_null(branch, schemas))
}

/// The schema's type, the first that is not `null` of a list.
fn type_of(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// An example value of `schema`: its own example where it has one, else a
/// placeholder of its type; `None` where no value can be shown (only
/// `null`, or too deep).
fn example(
    schema: &Value,
    schemas: &Map<String, Value>,
    depth: usize,
    side: Side,
) -> Option<Value> {
    let schema = non_null(schema, schemas);
    if let Some(e) = schema.get("example").filter(|e| !e.is_null()) {
        return Some(e.clone());
    }
    if depth > 6 {
        return None;
    }
    if let Some(first) = schema["enum"]
        .as_array()
        .and_then(|v| v.iter().find(|e| !e.is_null()))
    {
        return Some(first.clone());
    }
    let kind = type_of(schema);
    Some(match kind {
        Some("object") | None if schema.get("properties").is_some() => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                // The account's id: the same placeholder wherever it is named.
                if matches!(name.as_str(), "locationId" | "companyId") {
                    out.insert(name.clone(), Value::from(ID_EXAMPLE));
                    continue;
                }
                let shown = side == Side::Response
                    || required.contains(&name.as_str())
                    || (surely_accepted(prop, schemas) && !names_an_object(name));
                if let Some(value) = shown
                    .then(|| example(prop, schemas, depth + 1, side))
                    .flatten()
                {
                    out.insert(name.clone(), value);
                }
            }
            Value::Object(out)
        }
        Some("array") => Value::Array(
            example(&schema["items"], schemas, depth + 1, side)
                .into_iter()
                .collect(),
        ),
        Some("integer") | Some("number") => {
            Value::from(schema["minimum"].as_i64().unwrap_or(0).max(0))
        }
        Some("boolean") => Value::Bool(true),
        Some("string") => Value::String(match schema["format"].as_str() {
            Some("date-time") => "2026-01-31T12:00:00.000Z".into(),
            Some("date") => "2026-01-31".into(),
            Some("uuid") => ID_EXAMPLE.into(),
            Some("email") => "ada@example.com".into(),
            _ => STRING_EXAMPLE.into(),
        }),
        Some("null") => return None,
        _ => Value::Object(Map::new()),
    })
}

/// The id examples show.
const ID_EXAMPLE: &str = "3f1c2a9e-5b7d-4c21-9a0e-8d6f4b2c1e07";

/// Whether a field names one of the account's objects (a user, a contact),
/// which no placeholder can: an optional one is left out of request
/// examples.
fn names_an_object(field: &str) -> bool {
    field == "assignedTo" || field == "id" || field.ends_with("Id") || field.ends_with("Ids")
}

/// Whether an optional field's example is sure to be accepted in a request:
/// its own example, or a plain string, number or boolean with no pattern,
/// format or enum to miss and nothing of the account's to name.
fn surely_accepted(schema: &Value, schemas: &Map<String, Value>) -> bool {
    let schema = non_null(schema, schemas);
    if schema.get("example").is_some_and(|e| !e.is_null()) {
        return true;
    }
    matches!(
        type_of(schema),
        Some("string" | "boolean" | "integer" | "number")
    ) && schema["pattern"].as_str().is_none_or(fits_placeholder)
        && schema.get("format").is_none()
        && schema.get("enum").is_none()
}

/// The placeholder of a plain string.
const STRING_EXAMPLE: &str = "string";

/// Whether the placeholder matches `pattern` (free text's "anything but
/// NUL" does; a phone's digits would not).
fn fits_placeholder(pattern: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|re| re.is_match(STRING_EXAMPLE))
}

pub struct ScopeRow {
    pub name: &'static str,
    pub human: String,
    pub description: &'static str,
}

#[derive(Template)]
#[template(path = "docs/api.html")]
struct ApiPage<'a> {
    layout: Layout,
    reference: &'a Reference,
    scopes: Vec<ScopeRow>,
    base_url: String,
}

async fn show(
    state: web::Data<AppState>,
    reference: web::Data<Arc<Reference>>,
) -> Result<HttpResponse, WebError> {
    let page = ApiPage {
        layout: Layout::bare("API reference"),
        reference: reference.get_ref(),
        scopes: Scope::ALL
            .into_iter()
            .map(|s| ScopeRow {
                name: s.name(),
                human: s.human(),
                description: s.description(),
            })
            .collect(),
        base_url: format!("{}/v2", state.settings.public_url()),
    };
    let body = page.render().map_err(|e| WebError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_follow_refs_and_types() {
        let doc = serde_json::json!({
            "info": {"title": "T", "version": "1"},
            "paths": {"/v2/x/{id}": {"put": {
                "tags": ["X"], "summary": "Put x",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                              "404": {"description": "Gone"}},
                "security": [{"bearer": ["x.write"]}]
            }}},
            "components": {"schemas": {"In": {"type": "object", "required": ["tags"], "properties": {
                "n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
                "when": {"type": "string", "format": "date-time"},
                "nick": {"type": ["string", "null"], "pattern": "^[^\\u0000]*$"},
                "code": {"type": "string", "pattern": "^[0-9]+$"},
                "age": {"oneOf": [{"type": "null"}, {"type": "integer", "minimum": 1}]},
                "gone": {"type": "null"},
                "extra": {"type": "object", "properties": {"a": {"type": "string"}}}
            }}}}
        });
        let r = Reference::from_openapi(&doc);
        let op = &r.groups[0].operations[0];
        assert_eq!(op.method, "PUT");
        assert_eq!(op.scope.as_deref(), Some("x.write"));
        assert_eq!(op.parameters[0].name, "id");
        let body: Value = serde_json::from_str(op.request_example.as_deref().unwrap()).unwrap();
        assert_eq!(body["n"], 0);
        assert_eq!(body["tags"][0], "string");
        assert_eq!(body["nick"], "string", "a nullable field shows its type");
        assert!(
            body.get("code").is_none(),
            "a pattern the placeholder misses"
        );
        assert_eq!(body["age"], 1, "the non-null branch, within its minimum");
        assert!(body.get("gone").is_none(), "never null: {body}");
        assert!(
            body.get("when").is_none(),
            "a formatted optional field may miss"
        );
        assert!(body.get("extra").is_none(), "an optional object may miss");
        let answer = op.responses[0].example.as_deref().unwrap();
        let answer: Value = serde_json::from_str(answer).unwrap();
        assert_eq!(answer["extra"]["a"], "string", "answers show every field");
        assert!(answer.get("gone").is_none(), "never null: {answer}");
        assert_eq!(op.responses[0].description, "OK");
        assert_eq!(op.responses[1].description, "Gone");
        assert_eq!(op.anchor, "put-v2-x-id");
    }
}
