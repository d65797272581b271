//! Rows of the server-side session store. The cookie value is a random key;
//! the table holds only its SHA-256.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::data_types::PgInterval;
use diesel::dsl::IntervalDsl;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use uuid::Uuid;

use crate::db::schema::{accounts, sessions, users};
use crate::models::{Account, User};

pub type State = HashMap<String, String>;

/// However active it is, a session ends this long after it began: a stolen
/// cookie kept busy must not live for ever.
pub const MAX_AGE_DAYS: i32 = 7;

/// Sessions that began before this have ended.
fn oldest_start() -> DateTime<Utc> {
    Utc::now() - Duration::days(i64::from(MAX_AGE_DAYS))
}

diesel::define_sql_function!(fn least(a: Timestamptz, b: Timestamptz) -> Timestamptz);

type Capped = least<DateTime<Utc>, diesel::dsl::Add<sessions::created_at, PgInterval>>;

/// `expires_at`, but never past the end of the session's lifetime.
fn capped(expires_at: DateTime<Utc>) -> Capped {
    least(expires_at, sessions::created_at + MAX_AGE_DAYS.days())
}

/// A live session as a signed-in page needs it: the state, the user id
/// the row was written with, and that user with their account, if they
/// still exist. One query where a page made two.
pub struct Loaded {
    pub state: serde_json::Value,
    pub user_id: Option<Uuid>,
    pub user: Option<(User, Account)>,
    /// When it ends unless extended: its expiry, or the end of its
    /// lifetime if that comes first.
    pub ends_at: DateTime<Utc>,
}

/// A row of [`load_with_user`]'s query.
type LoadedRow = (
    serde_json::Value,
    Option<Uuid>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<User>,
    Option<Account>,
);

pub fn load_with_user(conn: &mut PgConnection, id: &[u8]) -> QueryResult<Option<Loaded>> {
    sessions::table
        .left_join(users::table.inner_join(accounts::table))
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .filter(sessions::created_at.gt(oldest_start()))
        .select((
            sessions::state,
            sessions::user_id,
            sessions::expires_at,
            sessions::created_at,
            Option::<User>::as_select(),
            Option::<Account>::as_select(),
        ))
        .first(conn)
        .optional()
        .map(|row| {
            row.map(
                |(state, user_id, expires_at, created_at, user, account): LoadedRow| Loaded {
                    state,
                    user_id,
                    user: user.zip(account),
                    ends_at: expires_at.min(created_at + Duration::days(i64::from(MAX_AGE_DAYS))),
                },
            )
        })
}

/// Stores a brand-new session under a freshly generated key.
pub fn insert(
    conn: &mut PgConnection,
    id: &[u8],
    state: &serde_json::Value,
    user_id: Option<Uuid>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::state.eq(state),
            sessions::user_id.eq(user_id),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Writes a live session's new state. Never inserts: a request that was in
/// flight when its session ended (sign-out, a removed user, a changed
/// password) must not bring the session back by saving what it loaded.
pub fn update(
    conn: &mut PgConnection,
    id: &[u8],
    state: &serde_json::Value,
    user_id: Option<Uuid>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.gt(diesel::dsl::now)),
    )
    .set((
        sessions::state.eq(state),
        sessions::user_id.eq(user_id),
        sessions::expires_at.eq(capped(expires_at)),
    ))
    .execute(conn)
    .map(drop)
}

/// Pushes the expiry forward, no further than the session's lifetime, and
/// writes only when it moved by more than a minute: extending on every
/// request must not mean a write on every request.
pub fn extend(conn: &mut PgConnection, id: &[u8], expires_at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.lt(capped(expires_at - Duration::minutes(1)))),
    )
    .set(sessions::expires_at.eq(capped(expires_at)))
    .execute(conn)
    .map(drop)
}

pub fn delete(conn: &mut PgConnection, id: &[u8]) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Ends every session of a user, e.g. when they are removed or change password.
pub fn delete_for_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn delete_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(diesel::dsl::now)
                .or(sessions::created_at.le(oldest_start())),
        ),
    )
    .execute(conn)
}
