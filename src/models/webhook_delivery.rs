//! The delivery worker's side of `webhook_deliveries` and `webhook_attempts`:
//! claiming due deliveries under a lease, recording each attempt and what
//! follows from it, keeping each endpoint's health, and the retention purge.
//! The panel's views of the same rows live elsewhere.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Bytea, Double, Int4, Int8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::db::schema::{webhook_attempts, webhook_deliveries};
use crate::domain::scope::Scope;
use crate::models::NewAuditEvent;
use crate::models::webhook_event::DUE_CHANNEL;

/// A delivery a worker has just claimed, with what its attempt needs.
#[derive(QueryableByName)]
pub struct ClaimedDelivery {
    /// The `webhook-id` header.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    /// The number of this attempt: the claim counted it.
    #[diesel(sql_type = Int4)]
    pub attempt: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Bytea)]
    pub secret_sealed: Vec<u8>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub previous_secret_sealed: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The body, as the outbox stored it.
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
}

/// Claims up to `limit` due deliveries of enabled endpoints and holds each
/// for `lease_seconds`, counting the attempt in the same statement. Rows
/// another worker holds are skipped, never waited for, so instances share
/// the work without delivering one row twice. The lease moves the next
/// attempt to its end as well: a worker that dies mid-attempt leaves the row
/// due again once the lease runs out, and no separate sweep is needed.
///
/// Contact events wait while their integration is deleted or lacks
/// `contacts.readonly`, as they would not be created then (SPEC §8).
///
/// Each endpoint's oldest due deliveries are taken, no more than
/// [`PER_ENDPOINT_IN_FLIGHT`] under way per endpoint, so a receiver that
/// answers slowly or never delays only its own deliveries.
pub fn claim(
    conn: &mut PgConnection,
    limit: i64,
    lease_seconds: f64,
) -> QueryResult<Vec<ClaimedDelivery>> {
    diesel::sql_query(
        "WITH busy AS ( \
             SELECT endpoint_id, count(*) AS n FROM webhook_deliveries \
             WHERE state = 'pending' AND lease_until > now() \
             GROUP BY endpoint_id), \
         fair AS ( \
             SELECT x.id FROM webhook_endpoints e \
             JOIN integrations i ON i.id = e.integration_id \
             LEFT JOIN busy b ON b.endpoint_id = e.id \
             CROSS JOIN LATERAL ( \
                 SELECT d.id FROM webhook_deliveries d \
                 WHERE d.endpoint_id = e.id AND d.state = 'pending' \
                   AND d.next_attempt_at <= now() \
                   AND (d.is_test OR $3 = ANY (i.scopes)) \
                 ORDER BY d.next_attempt_at \
                 LIMIT greatest($5 - coalesce(b.n, 0), 0)) x \
             WHERE e.enabled AND i.deleted_at IS NULL), \
         due AS ( \
             SELECT d.id, d.attempts, d.lease_until FROM webhook_deliveries d \
             WHERE d.id IN (SELECT id FROM fair) \
               AND d.state = 'pending' AND d.next_attempt_at <= now() \
             ORDER BY d.next_attempt_at \
             LIMIT $1 \
             FOR UPDATE OF d SKIP LOCKED), \
         lost AS ( \
             INSERT INTO webhook_attempts \
                 (delivery_id, attempt, started_at, duration_ms, error, response_excerpt) \
             SELECT due.id, due.attempts, due.lease_until - make_interval(secs => $2), 0, $4, '' \
             FROM due \
             WHERE due.lease_until IS NOT NULL AND due.attempts > 0 \
               AND NOT EXISTS (SELECT 1 FROM webhook_attempts a \
                               WHERE a.delivery_id = due.id AND a.attempt = due.attempts)) \
         UPDATE webhook_deliveries d \
         SET attempts = d.attempts + 1, \
             lease_until = now() + make_interval(secs => $2), \
             next_attempt_at = now() + make_interval(secs => $2) \
         FROM due, webhook_endpoints e, webhook_events ev \
         WHERE d.id = due.id AND e.id = d.endpoint_id AND ev.id = d.event_id \
         RETURNING d.id, d.endpoint_id, d.attempts AS attempt, e.url, e.secret_sealed, \
                   e.previous_secret_sealed, e.previous_secret_until, ev.payload",
    )
    .bind::<Int8, _>(limit)
    .bind::<Double, _>(lease_seconds)
    .bind::<Text, _>(Scope::ContactsReadonly.name())
    .bind::<Text, _>(INTERRUPTED)
    .bind::<Int8, _>(PER_ENDPOINT_IN_FLIGHT)
    .load(conn)
}

/// Most attempts one endpoint has under way at once (instances claiming
/// at the same moment may each go up to it): a slow or hanging receiver
/// holds that many of a worker's slots at most, and every other endpoint's
/// deliveries still go out.
pub const PER_ENDPOINT_IN_FLIGHT: i64 = 4;

/// The delivery log's entry for an attempt whose result never came back
/// (its sender stopped, or lost the database, before recording it); made
/// when the delivery is claimed again after its lease ran out, so the log
/// shows every attempt. A result that does come back late replaces it.
pub const INTERRUPTED: &str =
    "interrupted: no result was recorded (the sender stopped or lost the database)";

/// Starts listening for [`DUE_CHANNEL`] on a dedicated connection.
pub fn listen(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("LISTEN {DUE_CHANNEL}"))
        .execute(conn)
        .map(drop)
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct NewWebhookAttempt {
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    /// The receiver's status, when it answered.
    pub status_code: Option<i16>,
    /// Why there is no status (or why the status is not success), in a few words.
    pub error: Option<String>,
    /// The first kilobyte of the answer, lossy UTF-8.
    pub response_excerpt: String,
}

/// What an attempt means for its delivery.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Succeeded,
    /// Failed: due again after `wait_seconds`, unless the delivery has had
    /// `max_attempts` attempts (or, where it names none, `default_max`).
    Failed {
        wait_seconds: f64,
        default_max: i32,
    },
}

/// Where a finished attempt left things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The delivery is now failed for good.
    pub gave_up: bool,
    /// The endpoint was disabled for failing by this attempt.
    pub endpoint_disabled: bool,
    /// The lease had been lost (another worker claimed the delivery again),
    /// so the delivery's state was left to that worker.
    pub lease_lost: bool,
    /// The delivery is gone (its endpoint or integration was deleted while
    /// the attempt was under way): there is nothing to record it against.
    pub gone: bool,
}

#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    state: String,
}

#[derive(QueryableByName)]
struct DisabledEndpoint {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    integration_id: Uuid,
    #[diesel(sql_type = Text)]
    url: String,
}

/// Records `attempt` and its verdict, releases the lease and updates the
/// endpoint's health, in one transaction. The delivery changes only while
/// it still carries this attempt's count (the lease is still ours); the
/// attempt itself is recorded either way, since it happened.
///
/// An endpoint whose failures began more than `disable_after_days` ago, with
/// no success since (a success clears `failing_since`), is disabled with the
/// reason `failing` and an audit event.
pub fn finish(
    conn: &mut PgConnection,
    endpoint_id: Uuid,
    attempt: &NewWebhookAttempt,
    verdict: Verdict,
    disable_after_days: i32,
) -> QueryResult<Finished> {
    conn.transaction(|conn| {
        // Held until the attempt is written, so the delivery cannot be
        // removed in between.
        let present = webhook_deliveries::table
            .find(attempt.delivery_id)
            .select(webhook_deliveries::id)
            .for_key_share()
            .first::<Uuid>(conn)
            .optional()?;
        if present.is_none() {
            return Ok(Finished {
                gave_up: false,
                endpoint_disabled: false,
                lease_lost: false,
                gone: true,
            });
        }
        diesel::delete(
            webhook_attempts::table
                .filter(webhook_attempts::delivery_id.eq(attempt.delivery_id))
                .filter(webhook_attempts::attempt.eq(attempt.attempt))
                .filter(webhook_attempts::status_code.is_null())
                .filter(webhook_attempts::error.eq(INTERRUPTED)),
        )
        .execute(conn)?;
        diesel::insert_into(webhook_attempts::table)
            .values(attempt)
            .execute(conn)?;
        let states: Vec<StateRow> = match verdict {
            Verdict::Succeeded => diesel::sql_query(
                "UPDATE webhook_deliveries \
                 SET state = 'succeeded', finished_at = now(), next_attempt_at = NULL, \
                     lease_until = NULL \
                 WHERE id = $1 AND state = 'pending' AND attempts = $2 \
                 RETURNING state",
            )
            .bind::<SqlUuid, _>(attempt.delivery_id)
            .bind::<Int4, _>(attempt.attempt)
            .load(conn)?,
            Verdict::Failed {
                wait_seconds,
                default_max,
            } => diesel::sql_query(
                "UPDATE webhook_deliveries \
                 SET state = CASE WHEN attempts >= coalesce(max_attempts, $3) \
                                  THEN 'failed' ELSE 'pending' END, \
                     finished_at = CASE WHEN attempts >= coalesce(max_attempts, $3) \
                                        THEN now() END, \
                     next_attempt_at = CASE WHEN attempts >= coalesce(max_attempts, $3) \
                                            THEN NULL \
                                            ELSE now() + make_interval(secs => $4) END, \
                     lease_until = NULL \
                 WHERE id = $1 AND state = 'pending' AND attempts = $2 \
                 RETURNING state",
            )
            .bind::<SqlUuid, _>(attempt.delivery_id)
            .bind::<Int4, _>(attempt.attempt)
            .bind::<Int4, _>(default_max)
            .bind::<Double, _>(wait_seconds)
            .load(conn)?,
        };
        let lease_lost = states.is_empty();
        let gave_up = states.iter().any(|s| s.state == "failed");

        let endpoint_disabled = match verdict {
            Verdict::Succeeded => {
                diesel::sql_query(
                    "UPDATE webhook_endpoints SET failing_since = NULL \
                     WHERE id = $1 AND failing_since IS NOT NULL",
                )
                .bind::<SqlUuid, _>(endpoint_id)
                .execute(conn)?;
                false
            }
            Verdict::Failed { .. } => mark_failing(conn, endpoint_id, disable_after_days)?,
        };
        Ok(Finished {
            gave_up,
            endpoint_disabled,
            lease_lost,
            gone: false,
        })
    })
}

/// Notes a failure against the endpoint; disables it when its failures have
/// lasted too long. Whether it was disabled now.
fn mark_failing(
    conn: &mut PgConnection,
    endpoint_id: Uuid,
    disable_after_days: i32,
) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE webhook_endpoints SET failing_since = now() \
         WHERE id = $1 AND failing_since IS NULL",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .execute(conn)?;
    let disabled: Vec<DisabledEndpoint> = diesel::sql_query(
        "UPDATE webhook_endpoints \
         SET enabled = false, disabled_reason = 'failing', updated_at = now() \
         WHERE id = $1 AND enabled \
           AND failing_since <= now() - make_interval(days => $2) \
         RETURNING account_id, integration_id, url",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<Int4, _>(disable_after_days)
    .load(conn)?;
    for endpoint in &disabled {
        let mut event = NewAuditEvent::new(endpoint.account_id, "webhook.disabled")
            .target("webhook_endpoint", endpoint_id, &endpoint.url)
            .details(serde_json::json!({
                "reason": "failing",
                "failing_for_days": disable_after_days,
            }));
        event.integration_id = Some(endpoint.integration_id);
        event.insert(conn)?;
    }
    Ok(!disabled.is_empty())
}

/// Deletes deliveries finished before `cutoff` (their attempts go with
/// them), then events older than `cutoff` that no delivery still needs.
/// How many deliveries and events went.
pub fn purge_finished_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<(usize, usize)> {
    let deliveries = diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < $1",
    )
    .bind::<Timestamptz, _>(cutoff)
    .execute(conn)?;
    let events = diesel::sql_query(
        "DELETE FROM webhook_events ev WHERE ev.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id)",
    )
    .bind::<Timestamptz, _>(cutoff)
    .execute(conn)?;
    Ok((deliveries, events))
}
