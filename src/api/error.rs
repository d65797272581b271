//! API errors in HighLevel's shape, `{"statusCode", "message", "error"}`,
//! with RFC 6750 `WWW-Authenticate` headers on 401 and 403.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::domain::scope::Scope;

const REALM: &str = "Bearer realm=\"api\"";

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
    #[error("unprocessable: {0:?}")]
    Unprocessable(Vec<String>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    pub fn from_json_error(err: actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError as J;
        match err {
            J::Deserialize(e) if e.is_data() => ApiError::Unprocessable(vec![e.to_string()]),
            J::ContentType => ApiError::BadRequest("Content-Type must be application/json".into()),
            J::Overflow { .. } | J::OverflowKnownLength { .. } => {
                ApiError::BadRequest("Body too large".into())
            }
            _ => ApiError::BadRequest("Malformed JSON body".into()),
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
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
            ApiError::Forbidden(m) | ApiError::NotFound(m) | ApiError::BadRequest(m) => json!(m),
            ApiError::Unprocessable(messages) => json!(messages),
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
            _ => {}
        }
        response.json(json!({ "statusCode": status.as_u16(), "message": message, "error": reason }))
    }
}
