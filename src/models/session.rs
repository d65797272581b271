//! Rows of the server-side session store. The cookie value is a random key;
//! the table holds only its SHA-256.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::sessions;

pub type State = HashMap<String, String>;

pub fn load(conn: &mut PgConnection, id: &[u8]) -> QueryResult<Option<serde_json::Value>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select(sessions::state)
        .first(conn)
        .optional()
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
        sessions::expires_at.eq(expires_at),
    ))
    .execute(conn)
    .map(drop)
}

/// Pushes the expiry forward, but writes only when it moved by more than a
/// minute: extending on every request must not mean a write on every request.
pub fn extend(conn: &mut PgConnection, id: &[u8], expires_at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.lt(expires_at - chrono::Duration::minutes(1))),
    )
    .set(sessions::expires_at.eq(expires_at))
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
    diesel::delete(sessions::table.filter(sessions::expires_at.le(diesel::dsl::now))).execute(conn)
}
