//! API v2 (JSON, bearer tokens), wire-compatible with HighLevel's for
//! contacts, locations and users. Every route answers with and without a
//! trailing slash, never with a redirect.

pub mod auth;
pub mod caller;
pub mod contact_fields;
pub mod contact_search;
pub mod contact_tags;
pub mod contacts;
pub mod custom_field_shapes;
pub mod custom_fields;
pub mod duplicate;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod location_tags;
pub mod locations;
pub mod middleware;
pub mod notes;
pub mod openapi;
pub mod request_context;
pub mod routes;
pub mod token;
pub mod upsert;
pub mod users;
pub mod v1;

use actix_web::middleware::from_fn;
use actix_web::web;
use chrono::{DateTime, SecondsFormat, Utc};

pub fn configure(cfg: &mut web::ServiceConfig) {
    v1::configure(cfg);
    cfg.service(
        web::scope("/v2")
            .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(&e).into()))
            .app_data(fallback::payload_config())
            .wrap(from_fn(middleware::api_middleware))
            .configure(routes::configure)
            .configure(openapi::configure)
            // Last: only what no route above took.
            .configure(fallback::catch_all)
            .default_service(web::to(error::not_found)),
    );
}

/// A query string the route's parameters could not be read from: a
/// parameter given twice is an invalid value naming it (422); anything
/// else is malformed (400).
fn query_error(e: &actix_web::error::QueryPayloadError) -> error::ApiError {
    let text = e.to_string();
    match text
        .split_once("duplicate field `")
        .and_then(|(_, rest)| rest.split_once('`'))
    {
        Some((field, _)) => error::ApiError::unprocessable(format!("{field} must be given once")),
        None => error::ApiError::BadRequest("Malformed query string".into()),
    }
}

/// Times as the API writes them: ISO 8601 in UTC with milliseconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
