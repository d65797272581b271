//! What each API request leaves behind: the request context the extractor
//! fills in, and the record handed to the usage worker after the response.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rate_limit::RateInfo;
use crate::domain::scope::Scope;
use crate::models::usage::Outcome;

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
}

/// Shared between the request's extensions and its extractors.
pub type UsageHandle = Rc<RefCell<UsageContext>>;

/// One row of `api_requests`, sent to the usage worker.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    pub account_id: Uuid,
    pub integration_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
    pub legacy_key_id: Option<Uuid>,
    pub method: String,
    /// The route pattern, never the query string.
    pub route: String,
    pub status: u16,
    pub duration_ms: u32,
    pub ip: String,
    pub scope: Option<Scope>,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
}
