//! What the panel reads and does with an endpoint's deliveries
//! (`webhook_deliveries`, `webhook_attempts`): the delivery log, the latest
//! outcome per endpoint, a test delivery and a resend. Claiming and finishing
//! deliveries belongs to the delivery worker's queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_events};
use crate::domain::webhook::EventType;
use crate::models::webhook_event::notify_due;

/// Values of `webhook_deliveries.state`.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
}

/// One delivery as the log shows it, with its event's type.
#[derive(Debug, Clone, Queryable)]
pub struct LoggedDelivery {
    /// Also the `webhook-id` header.
    pub id: Uuid,
    pub event_type: String,
    /// `pending`, `succeeded` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub is_test: bool,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts, check_for_backend(diesel::pg::Pg))]
pub struct LoggedAttempt {
    pub delivery_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    /// The receiver's answer; `None` when there was none (see `error`).
    pub status_code: Option<i16>,
    /// Why there was no usable answer (timeout, refused target, ...).
    pub error: Option<String>,
    /// The first 1 KB of the answer's body, as received.
    pub response_excerpt: String,
}

/// Page `page` (from 1) of the endpoint's deliveries, newest first (ties
/// broken by id, so pages never overlap), and how many there are.
pub fn page_for_endpoint(
    conn: &mut PgConnection,
    endpoint_id: Uuid,
    per_page: i64,
    page: i64,
) -> QueryResult<(Vec<LoggedDelivery>, i64)> {
    let total: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .count()
        .get_result(conn)?;
    let rows = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(per_page)
        .offset(per_page.saturating_mul(page.saturating_sub(1)))
        .select((
            webhook_deliveries::id,
            webhook_events::event_type,
            webhook_deliveries::state,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::is_test,
            webhook_deliveries::created_at,
            webhook_deliveries::finished_at,
        ))
        .load(conn)?;
    Ok((rows, total))
}

/// Every attempt of these deliveries, in attempt order.
pub fn attempts_for(
    conn: &mut PgConnection,
    delivery_ids: &[Uuid],
) -> QueryResult<Vec<LoggedAttempt>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order((webhook_attempts::delivery_id, webhook_attempts::attempt))
        .select(LoggedAttempt::as_select())
        .load(conn)
}

/// The newest delivery's state and time for each of these endpoints that
/// has one (one index lookup per endpoint).
pub fn latest_outcomes(
    conn: &mut PgConnection,
    endpoint_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String, DateTime<Utc>)>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq_any(endpoint_ids))
        .distinct_on(webhook_deliveries::endpoint_id)
        .order((
            webhook_deliveries::endpoint_id,
            webhook_deliveries::created_at.desc(),
        ))
        .select((
            webhook_deliveries::endpoint_id,
            webhook_deliveries::state,
            webhook_deliveries::created_at,
        ))
        .load(conn)
}

/// Records a test event with `payload` as its body and one delivery of it,
/// due now, to this endpoint only; wakes the workers when the transaction
/// commits. Returns the delivery's id.
pub fn create_test_delivery(
    conn: &mut PgConnection,
    account_id: Uuid,
    endpoint_id: Uuid,
    event: EventType,
    payload: &serde_json::Value,
) -> QueryResult<Uuid> {
    let event_id: Uuid = diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::account_id.eq(account_id),
            webhook_events::event_type.eq(event.name()),
            webhook_events::payload.eq(payload),
        ))
        .returning(webhook_events::id)
        .get_result(conn)?;
    let delivery_id = diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::endpoint_id.eq(endpoint_id),
            webhook_deliveries::event_id.eq(event_id),
            webhook_deliveries::next_attempt_at.eq(Some(Utc::now())),
            webhook_deliveries::is_test.eq(true),
        ))
        .returning(webhook_deliveries::id)
        .get_result(conn)?;
    notify_due(conn)?;
    Ok(delivery_id)
}

/// The state of the endpoint's delivery `id`, holding its row lock until the
/// transaction ends; `NotFound` for another endpoint's delivery.
pub fn lock_state(conn: &mut PgConnection, endpoint_id: Uuid, id: Uuid) -> QueryResult<String> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::id.eq(id))
        .select(webhook_deliveries::state)
        .for_update()
        .first(conn)
}

/// Makes a finished delivery due again, now, for exactly one more attempt
/// under the same id (so the same `webhook-id`); wakes the workers when the
/// transaction commits.
pub fn resend(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::state.eq(state::PENDING),
            webhook_deliveries::next_attempt_at.eq(Some(Utc::now())),
            webhook_deliveries::max_attempts.eq((webhook_deliveries::attempts + 1).nullable()),
            webhook_deliveries::finished_at.eq(None::<DateTime<Utc>>),
            webhook_deliveries::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
    notify_due(conn)
}
