//! API usage as the request path hands it on: one record per request, sent
//! down a channel to the usage writer (src/workers/usage.rs), and the
//! per-instance rate limiter. Shared by the API and the workers, so it
//! imports neither.

pub mod rate_limit;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::domain::scope::Scope;
use crate::models::api_request::Outcome;

/// One row of `api_requests`, sent to the usage writer.
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

/// Records waiting beyond this are dropped (and counted in the log) rather
/// than slowing requests down.
const QUEUE: usize = 10_000;

/// The sending side, kept in the application state.
#[derive(Clone)]
pub struct UsageSink(mpsc::Sender<UsageRecord>);

impl UsageSink {
    /// A sink and the receiving end its writer drains.
    pub fn channel() -> (UsageSink, mpsc::Receiver<UsageRecord>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (UsageSink(tx), rx)
    }

    /// Never waits: a full queue loses the record, not the request's time.
    pub fn record(&self, record: UsageRecord) {
        if self.0.try_send(record).is_err() {
            tracing::warn!("usage queue full or closed; an API request went unrecorded");
        }
    }
}
