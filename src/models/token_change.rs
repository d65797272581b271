//! `NOTIFY` of a change that affects tokens, sent inside the changing
//! transaction so it is delivered exactly when the change commits. Every
//! instance listens and forgets what it cached (see `token_cache`).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use uuid::Uuid;

/// The channel every instance listens on.
pub const CHANNEL: &str = "pi_token_changes";

fn notify(conn: &mut PgConnection, payload: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(payload)
        .execute(conn)
        .map(drop)
}

/// A token of this integration, or the integration itself, changed.
pub fn integration(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    notify(conn, &format!("integration:{id}"))
}

/// Something account-wide that decides tokens' life changed (the
/// inactivity window).
pub fn account(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    notify(conn, &format!("account:{id}"))
}

/// Starts listening on this (dedicated) connection.
pub fn listen(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
}
