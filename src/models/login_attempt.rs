use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::login_attempts;

/// Failed sign-ins allowed per email within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failed sign-ins allowed per client IP (for many emails) within the window.
pub const MAX_FAILURES_PER_IP: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

pub fn record(conn: &mut PgConnection, email: &str, ip: &str, succeeded: bool) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::email.eq(email),
            login_attempts::ip.eq(ip),
            login_attempts::succeeded.eq(succeeded),
        ))
        .execute(conn)
        .map(drop)
}

/// When sign-in for this email or IP opens again, if it is closed now.
///
/// A success resets the email's count, so the real user is never held back by
/// failures from before they signed in; everything else simply ages out of the
/// window, so nobody is locked out for longer than [`WINDOW_MINUTES`]. Refused
/// attempts are not recorded, so each list stays within its limit.
pub fn blocked_until(
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

    let by_email: Vec<DateTime<Utc>> = failures()
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::attempted_at.gt(since))
        .load(conn)?;
    let by_ip: Vec<DateTime<Utc>> = failures()
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::attempted_at.gt(window_start))
        .load(conn)?;
    Ok(reopens_at(&by_email, MAX_FAILURES_PER_EMAIL).max(reopens_at(&by_ip, MAX_FAILURES_PER_IP)))
}

fn failures() -> login_attempts::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Timestamptz>
{
    login_attempts::table
        .filter(login_attempts::succeeded.eq(false))
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
