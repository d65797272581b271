//! The error policy.
//!
//! - People see a short, fixed message in the site's layout; the cause chain
//!   goes to the log, never to the page (no SQL, no secrets).
//! - A missing object, or another account's, is a plain 404: the page does not
//!   reveal that it exists.
//! - A refused CSRF check is a 403 page that changes nothing.
//! - A form we cannot read (a single-valued field repeated, a malformed body)
//!   is a 400 page, and one larger than any of our forms a 413 page: neither
//!   is guessed at, and neither changes anything.
//! - Anything unexpected is a 500 page; handlers never panic.
//!
//! API errors (JSON, RFC 6750) have their own type in the API module.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;
use crate::web::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("CSRF check failed")]
    CsrfRejected,
    #[error("malformed form: {0}")]
    BadForm(String),
    #[error("form too large")]
    FormTooLarge,
    #[error("sign-in required")]
    SignInRequired,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl WebError {
    pub fn internal(msg: &'static str) -> Self {
        WebError::Internal(anyhow::anyhow!(msg))
    }
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        if e.is_not_found() {
            WebError::NotFound
        } else {
            WebError::Internal(e.into())
        }
    }
}

impl From<diesel::result::Error> for WebError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: &'static str,
}

impl ErrorPage {
    pub fn new(status: StatusCode) -> Self {
        let (heading, message) = match status.as_u16() {
            403 => (
                "This request was refused",
                "The form was out of date or sent from another site. Go back, reload the page and try again.",
            ),
            400 => (
                "This form could not be read",
                "The form arrived with a field repeated or garbled. Go back, reload the page and try again.",
            ),
            404 => (
                "Page not found",
                "There is nothing here, or you do not have access to it.",
            ),
            413 => (
                "This form is too large",
                "The form sent more than any form here can hold. Go back and shorten what you entered.",
            ),
            _ => (
                "Something went wrong",
                "The server could not complete the request. Nothing secret was lost; please try again in a moment.",
            ),
        };
        ErrorPage {
            layout: Layout::bare(heading),
            status: status.as_u16(),
            heading,
            message,
        }
    }

    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = Layout {
            title: self.layout.title,
            ..layout
        };
        self
    }

    pub fn response(&self, status: StatusCode) -> HttpResponse {
        match self.render() {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(_) => HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(self.heading),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) | WebError::CsrfRejected => StatusCode::FORBIDDEN,
            WebError::BadForm(_) => StatusCode::BAD_REQUEST,
            WebError::FormTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::SignInRequired => StatusCode::SEE_OTHER,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::SignInRequired => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish(),
            WebError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                ErrorPage::new(StatusCode::INTERNAL_SERVER_ERROR)
                    .response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            other => {
                let status = other.status_code();
                ErrorPage::new(status).response(status)
            }
        }
    }
}

/// An action's failure under this policy. A conflict the handler did not
/// turn into a message for people is a bug, hence a 500.
impl From<crate::actions::ActionError> for WebError {
    fn from(e: crate::actions::ActionError) -> Self {
        use crate::actions::ActionError;
        match e {
            ActionError::NotFound => WebError::NotFound,
            ActionError::Conflict(msg) => {
                WebError::Internal(anyhow::anyhow!("unhandled conflict: {msg}"))
            }
            ActionError::Db(e) => e.into(),
        }
    }
}
