//! What each API request learns about its caller while it is handled: the
//! context the extractors fill in and the middleware turns into a
//! [`crate::usage::UsageRecord`] after the response.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::ClientAddr;
use crate::domain::scope::Scope;
use crate::models::api_request::Outcome;
use crate::usage::rate_limit::RateInfo;

/// Filled in while the request is handled; read by the middleware after.
#[derive(Debug, Clone, Default)]
pub struct UsageContext {
    pub account_id: Option<Uuid>,
    pub integration_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
    /// Set for API v1 requests made with the account key.
    pub legacy_key_id: Option<Uuid>,
    /// The scope the route required, once checked.
    pub scope: Option<Scope>,
    pub rate: Option<RateInfo>,
    /// Whether the request counted as a use of its token.
    pub outcome: Outcome,
    /// The client, as the middleware worked it out (with `at`, once per
    /// request rather than once per step that needs it).
    pub client: Option<ClientAddr>,
    /// When the request came in: its usage row's time, and the instant
    /// its token's life is judged at.
    pub at: Option<DateTime<Utc>>,
}

/// Shared between the request's extensions and its extractors.
pub type UsageHandle = Rc<RefCell<UsageContext>>;
