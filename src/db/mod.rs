//! The connection pool, embedded migrations and the one way handlers reach the
//! database: [`run`] (or [`query`] for plain diesel queries), which keeps
//! diesel's blocking calls off the async executor and bounds how long a
//! request waits for a database that does not answer.

pub mod listen;
pub mod pool;
pub mod schema;

use actix_web::web;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use pool::{DbPool, PoolOptions, build_pool};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Why a database call failed. The message is for logs, never for users.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The database took longer than the pool allows to answer: unreachable,
    /// or reachable only through a connection that no longer carries anything.
    #[error("the database did not answer in time")]
    TimedOut,
    #[error("database task was cancelled")]
    Blocking,
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }

    /// Whether the database could not be reached, as opposed to a query that
    /// went wrong: an outage is answered with "try again later" (503), a bug
    /// with a 500. Connection failures, lost connections and the statement
    /// timeout count as the former.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::TimedOut => true,
            DbError::Blocking => false,
            DbError::Query(e) => connection_lost(e),
        }
    }
}

/// The server's message for SQLSTATE 57014 from `statement_timeout`; diesel
/// does not expose the SQLSTATE of errors it has no kind for.
const STATEMENT_TIMEOUT: &str = "canceling statement due to statement timeout";

fn connection_lost(e: &QueryError) -> bool {
    match e {
        QueryError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        QueryError::DatabaseError(_, info) => info.message().starts_with(STATEMENT_TIMEOUT),
        QueryError::RollbackErrorOnCommit { commit_error, .. } => connection_lost(commit_error),
        _ => false,
    }
}

/// Runs `f` with a pooled connection on the blocking thread pool.
///
/// Waits first for a turn at a connection (first come, first served), at
/// most the pool's connection timeout, then at most the pool's
/// [`DbPool::answer_within`] in all: the checkout, and the query itself,
/// can hang on a connection whose peer vanished without closing it, where
/// neither libpq nor the server will ever give up. The blocking thread then
/// finishes on its own when the connection does, holding its turn until then.
pub async fn run<F, T, E>(pool: &DbPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let deadline = tokio::time::Instant::now() + pool.answer_within();
    let turn =
        match tokio::time::timeout(pool.connect_timeout(), pool.turns().clone().acquire_owned())
            .await
        {
            Ok(Ok(turn)) => turn,
            // The semaphore is never closed.
            Ok(Err(_)) => return Err(E::from(DbError::Blocking)),
            Err(_) => return Err(E::from(DbError::TimedOut)),
        };
    let connections = pool.connections().clone();
    let work = web::block(move || {
        let _turn = turn;
        let mut conn = connections.get().map_err(DbError::from)?;
        f(&mut conn.pg)
    });
    match tokio::time::timeout_at(deadline, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(E::from(DbError::Blocking)),
        Err(_) => Err(E::from(DbError::TimedOut)),
    }
}

/// As [`run`], for the usual case of `f` being diesel queries: their error
/// becomes a [`DbError`] here, once, rather than in every closure.
pub async fn query<F, T>(pool: &DbPool, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| f(conn).map_err(DbError::from)).await
}

/// As [`query`], inside one transaction: when `f` fails, whatever it wrote
/// is rolled back, so a request that fails changes nothing.
pub async fn query_in_transaction<F, T>(pool: &DbPool, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    query(pool, move |conn| conn.transaction(f)).await
}

/// Key of the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x7069_6d69_6772_0001;

/// Applies pending migrations. Instances started together on one database
/// take turns under a session advisory lock: the second finds nothing left
/// to do instead of failing halfway through the first one's work.
pub fn run_migrations(conn: &mut PgConnection) -> Result<usize, anyhow::Error> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(conn)
        .map_err(|e| anyhow::anyhow!("cannot lock for migrations: {}", one_line(&e)))?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|done| done.len())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    let unlocked =
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn);
    let applied = applied?;
    unlocked.map_err(|e| anyhow::anyhow!("cannot unlock after migrations: {}", one_line(&e)))?;
    Ok(applied)
}

/// Creates the database named in `database_url` when it is missing, by way of
/// the server's `postgres` maintenance database.
pub fn create_database_if_missing(database_url: &str) -> Result<(), anyhow::Error> {
    let url = url::Url::parse(database_url)
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        anyhow::bail!("DATABASE_URL must start with postgres://");
    }
    // The path is percent-encoded ("my%20db"); libpq decodes it, and so
    // must the name created here.
    let name = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| anyhow::anyhow!("DATABASE_URL names a database that is not UTF-8"))?
        .into_owned();
    if name.is_empty() {
        anyhow::bail!("DATABASE_URL names no database");
    }
    if PgConnection::establish(database_url).is_ok() {
        return Ok(());
    }
    let mut admin_url = url.clone();
    admin_url.set_path("/postgres");
    let mut conn = PgConnection::establish(admin_url.as_str())
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {}", one_line(&e)))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(format!("CREATE DATABASE {quoted}")).execute(&mut conn) {
        Ok(_) => {
            tracing::info!(database = %name, "created database");
            Ok(())
        }
        // Another instance created it first: PostgreSQL says so, or, when
        // both creations ran at once, the loser trips over the catalogue's
        // unique name index instead.
        Err(diesel::result::Error::DatabaseError(kind, info))
            if info.message().contains("already exists")
                || matches!(kind, DatabaseErrorKind::UniqueViolation) =>
        {
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot create database {name}: {}",
            one_line(&e)
        )),
    }
}

/// libpq's messages span lines; start-up errors must be one line.
pub fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cheapest query there is: the readiness probe's.
pub fn ping(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(QueryError::DatabaseError(
            kind,
            Box::new(message.to_string()),
        ))
    }

    #[test]
    fn a_lost_connection_or_a_timeout_is_an_outage() {
        assert!(DbError::TimedOut.is_unavailable());
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            assert!(database_error(kind, "server closed the connection").is_unavailable());
        }
        let cancelled = database_error(
            DatabaseErrorKind::Unknown,
            "canceling statement due to statement timeout",
        );
        assert!(cancelled.is_unavailable());
    }

    #[test]
    fn a_query_that_goes_wrong_is_not_an_outage() {
        assert!(!DbError::Query(QueryError::NotFound).is_unavailable());
        assert!(!DbError::Blocking.is_unavailable());
        assert!(!database_error(DatabaseErrorKind::UniqueViolation, "duplicate").is_unavailable());
        let missing = database_error(
            DatabaseErrorKind::Unknown,
            "relation \"integrations\" does not exist",
        );
        assert!(!missing.is_unavailable());
    }
}
