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
//! - A database that cannot be reached (no connection in time, a connection
//!   lost, a statement past its timeout) is an outage, not a bug: a 503 page
//!   with `Retry-After`, within the pool's timeouts (SPEC §10).
//! - Anything unexpected is a 500 page; handlers never panic.
//!
//! API errors (JSON, RFC 6750) have their own type in the API module. The
//! pages themselves are drawn by `web::error_page`, so that this policy,
//! shared by every layer, depends on none of the panel's templates.

use crate::db::DbError;

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
    /// The database cannot be reached; the cause is for the log.
    #[error("database unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What an outage's 503 tells clients to wait before trying again: about
/// what the pool takes to notice the database is back.
pub const RETRY_AFTER_SECONDS: u64 = 5;

impl WebError {
    pub fn internal(msg: &'static str) -> Self {
        WebError::Internal(anyhow::anyhow!(msg))
    }
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        if e.is_not_found() {
            WebError::NotFound
        } else if e.is_unavailable() {
            WebError::Unavailable(e.into())
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
