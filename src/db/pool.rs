//! The connection pool, with the timeouts that let a request give up on a
//! database it cannot reach (SPEC §10) instead of waiting for it: how long
//! to wait for a connection, how long a statement may run, and TCP settings
//! that notice a peer gone silent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool};
use tokio::sync::Semaphore;

use super::DbError;

type Connections = Pool<Manager>;

/// A pooled connection, and when it last went back to the pool.
pub struct Conn {
    pub(super) pg: PgConnection,
    returned: Instant,
}

/// A connection back from work this recently is handed out unchecked.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// diesel's manager, but a connection is checked (`SELECT 1`) before it is
/// handed out only when it rested long enough for the database or the
/// network to have dropped it; r2d2 would check at every checkout, a round
/// trip more for every request. One that failed at work is not handed out
/// again at all: libpq then reports its state unknown, which diesel takes
/// for broken.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        Ok(Conn {
            pg: self.0.connect()?,
            returned: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        if conn.returned.elapsed() >= TRUSTED_FOR {
            self.0.is_valid(&mut conn.pg)?;
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.returned = Instant::now();
        self.0.has_broken(&mut conn.pg)
    }
}

/// libpq refuses a `connect_timeout` under two seconds (it reads 1 as 2).
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// TCP keepalives for idle connections across a network that drops them
/// silently: probe after 10 s of quiet, every 5 s, give up after 3 misses.
const KEEPALIVES: [(&str, &str); 4] = [
    ("keepalives", "1"),
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("keepalives_count", "3"),
];

/// How the pool reaches the database and how long it waits for it.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// Longest wait for a connection: from the pool, and for libpq to open one.
    pub connect_timeout: Duration,
    /// Longest a statement may run on the server; a request waits this long
    /// for an answer once it holds a connection.
    pub statement_timeout: Duration,
}

/// The pool every request and background task draws from.
#[derive(Clone)]
pub struct DbPool {
    connections: Connections,
    /// One per connection: a task waits here, in turn, before it takes a
    /// blocking thread. Waiting inside the pool instead parks a thread per
    /// request on one condition variable, wakes them in no order (a few
    /// requests waited seconds under load) and costs a thread switch more.
    turns: Arc<Semaphore>,
    connect_timeout: Duration,
    answer_within: Duration,
}

impl DbPool {
    pub(super) fn connections(&self) -> &Connections {
        &self.connections
    }

    pub(super) fn turns(&self) -> &Arc<Semaphore> {
        &self.turns
    }

    /// Longest wait for a turn at a connection.
    pub(super) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Longest [`super::run`] waits for a connection and its answer together.
    pub fn answer_within(&self) -> Duration {
        self.answer_within
    }
}

/// Builds the pool; connections are opened lazily except for one that proves
/// the server answers. The timeouts go into the connection URL unless it sets
/// them itself.
pub fn build_pool(database_url: &str, options: &PoolOptions) -> Result<DbPool, DbError> {
    let manager = Manager(ConnectionManager::new(with_timeouts(database_url, options)));
    let connections = Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(1))
        .connection_timeout(options.connect_timeout)
        .build(manager)?;
    Ok(DbPool {
        connections,
        turns: Arc::new(Semaphore::new(options.max_size as usize)),
        connect_timeout: options.connect_timeout,
        answer_within: options.connect_timeout + options.statement_timeout,
    })
}

/// `database_url` with libpq's `connect_timeout`, keepalives,
/// `tcp_user_timeout` (unacknowledged data fails the connection in the time
/// a request waits) and the server's `statement_timeout`, each unless the
/// URL already says otherwise.
pub fn with_timeouts(database_url: &str, options: &PoolOptions) -> String {
    tuned(database_url, options, true)
}

/// `database_url` with libpq's `connect_timeout` and keepalives only, for
/// start-up's own connection: a server that accepts the connection but
/// never answers ends start-up with an error, while a long migration is
/// not cut short by a request's timeouts.
pub fn with_connect_timeout(database_url: &str, options: &PoolOptions) -> String {
    tuned(database_url, options, false)
}

fn tuned(database_url: &str, options: &PoolOptions, for_requests: bool) -> String {
    let Ok(mut url) = url::Url::parse(database_url) else {
        return database_url.to_string();
    };
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let mut add = |name: &str, value: String| {
        if !pairs.iter().any(|(n, _)| n == name) {
            pairs.push((name.to_string(), value));
        }
    };
    let connect = options.connect_timeout.max(MIN_CONNECT_TIMEOUT);
    add("connect_timeout", connect.as_secs().to_string());
    for (name, value) in KEEPALIVES {
        add(name, value.to_string());
    }
    if for_requests {
        request_timeouts(&mut pairs, options);
    }
    let query = pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(Some(&query));
    url.to_string()
}

/// `tcp_user_timeout` and the server's `statement_timeout`, unless given.
fn request_timeouts(pairs: &mut Vec<(String, String)>, options: &PoolOptions) {
    let waits = (options.connect_timeout + options.statement_timeout).as_millis();
    if !pairs.iter().any(|(n, _)| n == "tcp_user_timeout") {
        pairs.push(("tcp_user_timeout".to_string(), waits.to_string()));
    }
    let statement = format!(
        "-c statement_timeout={}",
        options.statement_timeout.as_millis()
    );
    match pairs.iter_mut().find(|(n, _)| n == "options") {
        Some((_, value)) if !value.contains("statement_timeout") => {
            value.push(' ');
            value.push_str(&statement);
        }
        Some(_) => {}
        None => pairs.push(("options".to_string(), statement)),
    }
}

/// Percent-encodes all but unreserved characters: libpq decodes `%XX` in a
/// URL's parameters but reads `+` as itself, not as a space.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> PoolOptions {
        PoolOptions {
            max_size: 4,
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_timeouts_are_added_to_a_plain_url() {
        let url = with_timeouts("postgres://app:p%40ss@db.example:5433/pi", &options());
        assert_eq!(
            url,
            "postgres://app:p%40ss@db.example:5433/pi?connect_timeout=3&keepalives=1\
             &keepalives_idle=10&keepalives_interval=5&keepalives_count=3\
             &tcp_user_timeout=8000&options=-c%20statement_timeout%3D5000"
        );
    }

    #[test]
    fn settings_already_in_the_url_are_kept() {
        let url = with_timeouts(
            "postgres://localhost/pi?sslmode=require&connect_timeout=20&options=-c%20search_path%3Dapp",
            &options(),
        );
        assert!(url.contains("sslmode=require&connect_timeout=20&"), "{url}");
        assert!(!url.contains("connect_timeout=3"), "{url}");
        assert!(
            url.contains("&options=-c%20search_path%3Dapp%20-c%20statement_timeout%3D5000&"),
            "{url}"
        );
        let own = "postgres://localhost/pi?options=-c%20statement_timeout%3D0";
        let url = with_timeouts(own, &options());
        assert!(
            url.contains("?options=-c%20statement_timeout%3D0&"),
            "{url}"
        );
    }

    #[test]
    fn libpq_never_gets_a_connect_timeout_it_would_round_up() {
        let quick = PoolOptions {
            connect_timeout: Duration::from_secs(1),
            ..options()
        };
        assert!(with_timeouts("postgres://localhost/pi", &quick).contains("connect_timeout=2&"));
    }
}
