//! Sign-in attempts, which feed the throttle on failed sign-ins.
//!
//! An attempt is admitted (checked against the limits and recorded as in
//! flight) before its password is verified, and settled afterwards: attempts
//! sent in parallel see each other, so no burst gets more password checks
//! than the limit allows.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

use crate::db::schema::login_attempts;

/// Failed sign-ins allowed per email within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failed sign-ins allowed per client IP (for many emails) within the window.
pub const MAX_FAILURES_PER_IP: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// First keys of the two-part advisory locks, so that an email and an IP
/// with the same text never share a lock.
const EMAIL_LOCK: i32 = 0x7369_6e65;
const IP_LOCK: i32 = 0x7369_6e69;

/// What the throttle decided about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within the limits: recorded as in flight under this id, to be settled.
    Admitted(i64),
    /// Over a limit until this moment; nothing was recorded.
    Refused(DateTime<Utc>),
}

/// Checks the limits and, within them, records the attempt as in flight.
///
/// One short transaction under advisory locks on the email, then the IP
/// (always in that order, so two attempts never wait on each other in a
/// circle): concurrent attempts for one email pass here one at a time, and
/// each counts the ones admitted before it, settled or not.
pub fn admit(conn: &mut PgConnection, email: &str, ip: &str) -> QueryResult<Admission> {
    conn.transaction(|conn| {
        lock(conn, EMAIL_LOCK, email)?;
        lock(conn, IP_LOCK, ip)?;
        if let Some(until) = blocked_until(conn, email, ip)? {
            return Ok(Admission::Refused(until));
        }
        // The clock at insert, not at transaction start: the time must follow
        // the order in which attempts got the lock, for a success to reset
        // exactly the attempts before it.
        diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::email.eq(email),
                login_attempts::ip.eq(ip),
                login_attempts::attempted_at
                    .eq(diesel::dsl::sql::<Timestamptz>("clock_timestamp()")),
            ))
            .returning(login_attempts::id)
            .get_result(conn)
            .map(Admission::Admitted)
    })
}

/// Records how an admitted attempt ended.
pub fn settle(conn: &mut PgConnection, id: i64, succeeded: bool) -> QueryResult<()> {
    diesel::update(login_attempts::table.find(id))
        .set(login_attempts::succeeded.eq(succeeded))
        .execute(conn)
        .map(drop)
}

fn lock(conn: &mut PgConnection, namespace: i32, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind::<Integer, _>(namespace)
        .bind::<Text, _>(key)
        .execute(conn)
        .map(drop)
}

/// When sign-in for this email or IP opens again, if it is closed now.
///
/// Failures and attempts still in flight count. A success resets the email's
/// count, so the real user is never held back by failures from before they
/// signed in; everything else simply ages out of the window, so nobody is
/// locked out for longer than [`WINDOW_MINUTES`]. Refused attempts are not
/// recorded, so each list stays within its limit.
fn blocked_until(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    let window_start = Utc::now() - Duration::minutes(WINDOW_MINUTES);
    let last_success: Option<DateTime<Utc>> = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.gt(window_start))
        .select(diesel::dsl::max(login_attempts::attempted_at))
        .first(conn)?;
    let since = last_success.map_or(window_start, |t| t.max(window_start));

    let by_email: Vec<DateTime<Utc>> = not_succeeded()
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::attempted_at.gt(since))
        .load(conn)?;
    let by_ip: Vec<DateTime<Utc>> = not_succeeded()
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(window_start))
        .load(conn)?;
    Ok(reopens_at(&by_email, MAX_FAILURES_PER_EMAIL).max(reopens_at(&by_ip, MAX_FAILURES_PER_IP)))
}

/// Failures and attempts in flight, oldest first.
fn not_succeeded()
-> login_attempts::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Timestamptz> {
    login_attempts::table
        .filter(login_attempts::succeeded.is_distinct_from(true))
        .order(login_attempts::attempted_at.asc())
        .select(login_attempts::attempted_at)
        .into_boxed()
}

/// With `limit` or more failures (oldest first), the one whose ageing-out
/// brings the count back under the limit decides.
fn reopens_at(failures: &[DateTime<Utc>], limit: i64) -> Option<DateTime<Utc>> {
    let over = i64::try_from(failures.len()).unwrap_or(i64::MAX) - limit;
    if over < 0 {
        return None;
    }
    let idx = usize::try_from(over).ok()?;
    failures
        .get(idx)
        .map(|t| *t + Duration::minutes(WINDOW_MINUTES))
}

/// Old attempts matter to nobody; swept by the maintenance task.
pub fn delete_older_than_a_day(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(
        login_attempts::table
            .filter(login_attempts::attempted_at.lt(Utc::now() - Duration::days(1))),
    )
    .execute(conn)
}
