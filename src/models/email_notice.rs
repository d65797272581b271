//! Email notices (`email_notices`): the outbox of emails to owners and
//! admins. Rows are written with what causes them (an alert, a token about
//! to stop working), at most once per subject and recipient however many
//! instances write them, then claimed under a lease by the notice worker
//! of any instance, sent, and retried with back-off until sent or given up.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Int4, Int8, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::email_notices;

/// What a notice is about (`email_notices.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// An alert was raised; the key is the alert's id.
    Alert,
    /// A token stops working within the week; the key names the token,
    /// the reason and the moment, so a new deadline is a new notice.
    TokenEnding,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Alert => "alert",
            NoticeKind::TokenEnding => "token_ending",
        }
    }
}

/// A notice to write: one recipient's copy.
#[derive(Debug, Insertable)]
#[diesel(table_name = email_notices)]
pub struct NewEmailNotice<'a> {
    pub account_id: Uuid,
    pub recipient: &'a str,
    pub kind: &'static str,
    pub dedup_key: &'a str,
    pub subject: &'a str,
    /// Plain text; never a token, secret or password.
    pub body: &'a str,
}

/// Writes the notices not written before (by this or another instance)
/// and says how many were new.
pub fn insert_new(conn: &mut PgConnection, notices: &[NewEmailNotice<'_>]) -> QueryResult<usize> {
    if notices.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(email_notices::table)
        .values(notices)
        .on_conflict((
            email_notices::kind,
            email_notices::dedup_key,
            email_notices::recipient,
        ))
        .do_nothing()
        .execute(conn)
}

/// A notice a worker has just claimed.
#[derive(Debug, QueryableByName)]
pub struct ClaimedNotice {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The number of this attempt: the claim counted it.
    #[diesel(sql_type = Int4)]
    pub attempt: i32,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body: String,
}

/// Claims up to `limit` due notices and holds each for `lease_seconds`,
/// counting the attempt in the same statement. Rows another worker holds
/// are skipped, never waited for, so two instances never send one notice
/// at once; a worker that dies mid-send leaves its rows due again when the
/// lease runs out.
pub fn claim(
    conn: &mut PgConnection,
    limit: i64,
    lease_seconds: f64,
) -> QueryResult<Vec<ClaimedNotice>> {
    diesel::sql_query(
        "WITH due AS ( \
             SELECT id FROM email_notices \
             WHERE next_attempt_at <= now() \
             ORDER BY next_attempt_at \
             LIMIT $1 \
             FOR UPDATE SKIP LOCKED) \
         UPDATE email_notices n \
         SET attempts = n.attempts + 1, \
             lease_until = now() + make_interval(secs => $2), \
             next_attempt_at = now() + make_interval(secs => $2) \
         FROM due WHERE n.id = due.id \
         RETURNING n.id, n.kind, n.attempts AS attempt, n.recipient, n.subject, n.body",
    )
    .bind::<Int8, _>(limit)
    .bind::<Double, _>(lease_seconds)
    .load(conn)
}

/// Marks the notice sent, if `attempt` still holds its lease; says whether
/// it did.
pub fn mark_sent(conn: &mut PgConnection, id: Uuid, attempt: i32) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE email_notices \
         SET sent_at = now(), next_attempt_at = NULL, lease_until = NULL, last_error = NULL \
         WHERE id = $1 AND attempts = $2 AND sent_at IS NULL",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Int4, _>(attempt)
    .execute(conn)
    .map(|n| n > 0)
}

/// Records a failed attempt (if `attempt` still holds the lease): due again
/// after `retry_in_seconds`, or given up when that is `None`.
pub fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    attempt: i32,
    error: &str,
    retry_in_seconds: Option<f64>,
) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE email_notices \
         SET last_error = $3, lease_until = NULL, \
             next_attempt_at = now() + make_interval(secs => $4) \
         WHERE id = $1 AND attempts = $2 AND sent_at IS NULL",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Int4, _>(attempt)
    .bind::<Text, _>(error)
    .bind::<Nullable<Double>, _>(retry_in_seconds)
    .execute(conn)
    .map(|n| n > 0)
}

/// Forgets notices sent, or given up, before `cutoff`.
pub fn purge_finished_before(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        email_notices::table
            .filter(email_notices::next_attempt_at.is_null())
            .filter(email_notices::created_at.lt(cutoff)),
    )
    .execute(conn)
}
