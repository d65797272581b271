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
    let request_example = op["requestBody"]["content"]["application/json"]["schema"]
        .as_object()
        .map(|s| pretty(&example(&Value::Object(s.clone()), schemas, 0)));
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
                        .map(|s| pretty(&example(&Value::Object(s.clone()), schemas, 0))),
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

/// An example value of `schema`: its own example where it has one, else a
/// placeholder of its type.
fn example(schema: &Value, schemas: &Map<String, Value>, depth: usize) -> Value {
    let schema = resolve(schema, schemas);
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if depth > 6 {
        return Value::Null;
    }
    if let Some(first) = schema["oneOf"]
        .as_array()
        .or_else(|| schema["anyOf"].as_array())
        .or_else(|| schema["allOf"].as_array())
        .and_then(|v| v.first())
    {
        return example(first, schemas, depth + 1);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|v| v.first()) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    out.insert(name.clone(), example(prop, schemas, depth + 1));
                }
            }
            Value::Object(out)
        }
        Some("array") => Value::Array(vec![example(&schema["items"], schemas, depth + 1)]),
        Some("integer") | Some("number") => Value::from(0),
        Some("boolean") => Value::Bool(true),
        Some("string") => Value::String(match schema["format"].as_str() {
            Some("date-time") => "2026-01-31T12:00:00.000Z".into(),
            Some("date") => "2026-01-31".into(),
            Some("uuid") => "3f1c2a9e-5b7d-4c21-9a0e-8d6f4b2c1e07".into(),
            Some("email") => "ada@example.com".into(),
            _ => "string".into(),
        }),
        _ => Value::Object(Map::new()),
    }
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
            "components": {"schemas": {"In": {"type": "object", "properties": {
                "n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
                "when": {"type": "string", "format": "date-time"}
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
        assert_eq!(op.responses[0].description, "OK");
        assert_eq!(op.responses[1].description, "Gone");
        assert_eq!(op.anchor, "put-v2-x-id");
    }
}
