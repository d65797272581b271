//! API errors in HighLevel's shape, `{"statusCode", "message", "error"}`,
//! with RFC 6750 `WWW-Authenticate` headers on 401 and 403.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::domain::scope::Scope;
use crate::errors::RETRY_AFTER_SECONDS;

const REALM: &str = "Bearer realm=\"api\"";

/// HighLevel's error body. `message` is a string, or for 422 a list of
/// strings naming the fields.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    status_code: u16,
    #[schema(schema_with = message_schema)]
    message: serde_json::Value,
    error: String,
}

/// A string, or (422) a list of strings.
fn message_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)))
            .build(),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization` header at all (RFC 6750 §3.1: no error code).
    #[error("missing token")]
    MissingToken,
    /// Malformed, unknown, expired or revoked: one answer for all, so the
    /// response tells an attacker nothing about which.
    #[error("invalid token")]
    InvalidToken,
    #[error("missing scope {0:?}")]
    InsufficientScope(Scope),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request does not apply in the current state (409).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unprocessable: {0:?}")]
    Unprocessable(Vec<String>),
    /// A body over [`super::extract::MAX_BODY`].
    #[error("request body too large")]
    PayloadTooLarge,
    /// Past the integration's (or the client address's) rate limit; retry
    /// after this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    /// The database cannot be reached (SPEC §10): a 503 with `Retry-After`,
    /// never a 401 for a token that could not be looked up.
    #[error("database unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 with one message, naming the field it is about.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable(vec![message.into()])
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e.into())
        } else {
            ApiError::Internal(e.into())
        }
    }
}

pub async fn not_found() -> HttpResponse {
    ApiError::NotFound("Route not found".into()).error_response()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MissingToken | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope(_) | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let reason = status.canonical_reason().unwrap_or("Error");
        let message = match self {
            ApiError::MissingToken => json!("Authorization header with a Bearer token is required"),
            ApiError::InvalidToken => json!("Invalid, expired or revoked access token"),
            ApiError::InsufficientScope(scope) => {
                json!(format!(
                    "The token is not authorized for this scope: {}",
                    scope.name()
                ))
            }
            ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::BadRequest(m)
            | ApiError::Conflict(m) => json!(m),
            ApiError::Unprocessable(messages) => json!(messages),
            ApiError::PayloadTooLarge => json!(format!(
                "The request body is larger than {} bytes",
                super::extract::MAX_BODY
            )),
            // The integration's limit or, for a request tied to no live
            // token, the client address's own: the message names neither.
            ApiError::RateLimited(secs) => {
                json!(format!(
                    "Too many requests: the rate limit was reached; retry in {secs} seconds"
                ))
            }
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                json!("The service is temporarily unavailable; retry later")
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "API request failed");
                json!("Internal server error")
            }
        };
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::MissingToken => {
                response.insert_header((header::WWW_AUTHENTICATE, REALM.to_string()));
            }
            ApiError::InvalidToken => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("{REALM}, error=\"invalid_token\""),
                ));
            }
            ApiError::InsufficientScope(scope) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "{REALM}, error=\"insufficient_scope\", scope=\"{}\"",
                        scope.name()
                    ),
                ));
            }
            ApiError::RateLimited(secs) => {
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
            }
            _ => {}
        }
        response.json(ErrorBody {
            status_code: status.as_u16(),
            message,
            error: reason.to_string(),
        })
    }
}

/// An action's failure as the API answers it: gone is 404, a state that
/// does not allow the action is 409.
impl From<crate::actions::ActionError> for ApiError {
    fn from(e: crate::actions::ActionError) -> Self {
        use crate::actions::ActionError;
        match e {
            ActionError::NotFound => ApiError::NotFound("Not found".into()),
            ActionError::Conflict(msg) => ApiError::Conflict(msg.to_string()),
            ActionError::Db(e) => e.into(),
        }
    }
}

/// HighLevel's error body for a status the API's own errors do not cover
/// (e.g. 405), with `message` for people.
pub fn status_response(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        status_code: status.as_u16(),
        message: json!(message),
        error: status.canonical_reason().unwrap_or("Error").to_string(),
    })
}
