//! The answers the framework gives by itself — a body over the size limit, a
//! method a path does not serve, a path no route knows — in HighLevel's JSON
//! error body, like every other API error, so clients and SDKs can read them.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::error::{ApiError, status_response};
use super::extract::MAX_BODY;

/// The body limit of the API's scopes: the framework refuses a larger body
/// (413) before the handler reads it.
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(MAX_BODY)
}

/// Gives an error response the framework built in plain text (or with no
/// body) HighLevel's JSON body, keeping its status and `Allow` header.
pub fn json_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res.map_into_boxed_body();
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut replaced = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge.error_response(),
        StatusCode::METHOD_NOT_ALLOWED => {
            status_response(status, "This path does not serve this method; see Allow")
        }
        _ => status_response(status, status.canonical_reason().unwrap_or("Error")),
    };
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, replaced)
}

/// The last resource of a scope, matching every path: a path some route
/// serves with other methods has been answered by the framework with 405 and
/// `Allow` (the methods of the routes whose path matched); otherwise no
/// route knows the path, which is a 404.
pub fn catch_all(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{tail:.*}").wrap(actix_web::middleware::from_fn(unknown_path)));
}

async fn unknown_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED && !res.headers().contains_key(header::ALLOW)
    {
        let (req, _) = res.into_parts();
        let not_found = ApiError::NotFound("Route not found".into()).error_response();
        return Ok(ServiceResponse::new(req, not_found));
    }
    Ok(res.map_into_boxed_body())
}
