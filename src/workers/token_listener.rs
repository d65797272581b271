//! Keeps this instance's token cache honest: listens for token changes on a
//! dedicated connection and forgets what they affect, and vouches for the
//! cache only while that connection answers (see `token_cache`). Runs on
//! its own thread, since libpq's notifications are read by polling a
//! blocking connection; it ends when the application (and so the cache)
//! is gone.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};

use crate::db;
use crate::models::token_change;
use crate::token_cache::TokenCache;

/// How often pending notifications are read: the bound on how late another
/// instance's revocation, or a change made by hand in the database, reaches
/// this one. libpq's notifications are read by polling; a read that finds
/// none costs a few microseconds, so 500 a second cost next to nothing.
const POLL: Duration = Duration::from_millis(2);
/// How often the connection proves it is alive; each proof vouches for the
/// cache for `token_cache::TRUST_FOR`, so a silent outage (a black hole,
/// where the proof neither comes nor fails) stops cached answers within that
/// long. A connection seen to fail stops them at once.
const HEARTBEAT: Duration = Duration::from_millis(250);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

pub fn start(database_url: String, cache: &Arc<TokenCache>) {
    let cache = Arc::downgrade(cache);
    let spawned = std::thread::Builder::new()
        .name("token-listener".into())
        .spawn(move || run(&database_url, &cache));
    if let Err(e) = spawned {
        // Without a listener the cache is never trusted: every request goes
        // to the database, which is slower but right.
        tracing::error!(error = %e, "could not start the token listener");
    }
}

fn run(database_url: &str, cache: &Weak<TokenCache>) {
    loop {
        let Some(strong) = cache.upgrade() else {
            return;
        };
        strong.distrust();
        drop(strong);
        match PgConnection::establish(database_url) {
            Ok(mut conn) => {
                if let Err(e) = token_change::listen(&mut conn) {
                    tracing::warn!(error = %db::one_line(&e), "token listener could not LISTEN");
                } else if listen(&mut conn, cache).is_break() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %db::one_line(&e), "token listener cannot reach the database");
            }
        }
        std::thread::sleep(RECONNECT_AFTER);
    }
}

/// Reads notifications until the connection fails (`Continue`: reconnect)
/// or the application is gone (`Break`).
fn listen(conn: &mut PgConnection, cache: &Weak<TokenCache>) -> std::ops::ControlFlow<()> {
    use std::ops::ControlFlow::{Break, Continue};
    let mut last_beat: Option<Instant> = None;
    loop {
        let Some(cache) = cache.upgrade() else {
            return Break(());
        };
        if last_beat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            if let Err(e) = db::ping(conn) {
                // Not believed from this moment, not when trust runs out.
                cache.distrust();
                tracing::warn!(error = %db::one_line(&e), "token listener lost its connection");
                return Continue(());
            }
            // Anything missed before this connection listened is forgotten
            // by the clear in `run`; from here on notifications arrive.
            cache.vouch();
            last_beat = Some(Instant::now());
        }
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) => cache.apply(&n.payload),
                Err(e) => {
                    cache.distrust();
                    tracing::warn!(error = %db::one_line(&e), "token listener lost its connection");
                    return Continue(());
                }
            }
        }
        drop(cache);
        std::thread::sleep(POLL);
    }
}
