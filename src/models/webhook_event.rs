//! The webhook outbox (`webhook_events`, and a `webhook_deliveries` row per
//! subscribed endpoint), written in the transaction of the change that causes
//! the event, so an event is never lost and never sent for a change that
//! rolled back.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::{integrations, webhook_deliveries, webhook_endpoints, webhook_events};
use crate::domain::scope::Scope;
use crate::domain::webhook::EventType;

/// Channel the delivery workers listen on: deliveries are due now.
pub const DUE_CHANNEL: &str = "pi_webhook_due";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = webhook_events, check_for_backend(diesel::pg::Pg))]
pub struct WebhookEvent {
    pub id: Uuid,
    pub account_id: Uuid,
    pub event_type: String,
    /// The body to deliver.
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Records `event` for the account with `payload` as its body, and one
/// delivery, due at once, for each enabled endpoint that subscribes to it and
/// whose integration is live and holds `contacts.readonly` (SPEC §8: while the
/// scope is missing, no deliveries are created). Returns how many deliveries.
pub fn record(
    conn: &mut PgConnection,
    account_id: Uuid,
    event: EventType,
    payload: &serde_json::Value,
) -> QueryResult<usize> {
    let event_id: Uuid = diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::account_id.eq(account_id),
            webhook_events::event_type.eq(event.name()),
            webhook_events::payload.eq(payload),
        ))
        .returning(webhook_events::id)
        .get_result(conn)?;
    let now = Utc::now();
    let subscribed = webhook_endpoints::table
        .inner_join(integrations::table)
        .filter(webhook_endpoints::account_id.eq(account_id))
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(webhook_endpoints::events.contains(vec![event.name()]))
        .filter(integrations::deleted_at.is_null())
        .filter(integrations::scopes.contains(vec![Scope::ContactsReadonly.name()]))
        .select((
            webhook_endpoints::id,
            event_id.into_sql::<SqlUuid>(),
            Some(now).into_sql::<Nullable<Timestamptz>>(),
            false.into_sql::<Bool>(),
        ));
    let created = diesel::insert_into(webhook_deliveries::table)
        .values(subscribed)
        .into_columns((
            webhook_deliveries::endpoint_id,
            webhook_deliveries::event_id,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::is_test,
        ))
        .execute(conn)?;
    if created > 0 {
        notify_due(conn)?;
    }
    Ok(created)
}

/// Wakes the delivery workers of every instance once the transaction commits.
pub fn notify_due(conn: &mut PgConnection) -> QueryResult<()> {
    sql::<Bool>(&format!(
        "select pg_notify('{DUE_CHANNEL}', '') is not null"
    ))
    .get_result::<bool>(conn)
    .map(drop)
}
