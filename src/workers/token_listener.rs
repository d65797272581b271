//! Keeps this instance's caches honest: listens for changes on a
//! dedicated connection and forgets what they affect the moment one
//! arrives, and vouches for the cache only while that connection answers
//! (see `caches`). Runs on its own thread, asleep on the connection's
//! socket (`db::listen`); it ends when the application (and so the cache)
//! is gone.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::caches::{Caches, TRUST_FOR};
use crate::db::listen::{Listener, Ping};
use crate::models::token_change;

/// How often the connection proves it is alive; each proof vouches for the
/// cache for `caches::TRUST_FOR`, so a silent outage (a black hole,
/// where the proof neither comes nor fails) stops cached answers within that
/// long. A connection seen to fail stops them at once.
const HEARTBEAT: Duration = Duration::from_millis(250);
/// Longest sleep between looks at whether the application is still there.
const WAKE_AT_LEAST_EVERY: Duration = Duration::from_millis(100);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

pub fn start(database_url: String, cache: &Arc<Caches>) {
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

fn run(database_url: &str, cache: &Weak<Caches>) {
    loop {
        let Some(strong) = cache.upgrade() else {
            return;
        };
        strong.distrust();
        drop(strong);
        match Listener::connect(database_url, token_change::CHANNEL) {
            Ok(mut listener) => {
                let ended = listen(&mut listener, cache);
                if ended.is_break() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "token listener cannot reach the database");
            }
        }
        std::thread::sleep(RECONNECT_AFTER);
    }
}

/// Applies notifications as they arrive until the connection fails
/// (`Continue`: reconnect) or the application is gone (`Break`).
fn listen(listener: &mut Listener, cache: &Weak<Caches>) -> std::ops::ControlFlow<()> {
    use std::ops::ControlFlow::{Break, Continue};
    // When the last proof of life came, and since when one is awaited.
    let mut last_beat: Option<Instant> = None;
    let mut ping_sent: Option<Instant> = None;
    loop {
        let Some(cache) = cache.upgrade() else {
            return Break(());
        };
        let lost = |e: String| {
            // Not believed from this moment, not when trust runs out.
            cache.distrust();
            tracing::warn!(error = %e, "token listener lost its connection");
            Continue(())
        };
        if ping_sent.is_none() && last_beat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            if let Err(e) = listener.send_ping() {
                return lost(e);
            }
            ping_sent = Some(Instant::now());
        }
        let next_beat = last_beat.map_or(Duration::ZERO, |t| HEARTBEAT.saturating_sub(t.elapsed()));
        let sleep = if ping_sent.is_some() {
            WAKE_AT_LEAST_EVERY
        } else {
            next_beat.min(WAKE_AT_LEAST_EVERY)
        };
        if let Err(e) = listener.wait(sleep) {
            return lost(e);
        }
        if let Some(sent) = ping_sent {
            match listener.ping() {
                // Anything missed before this connection listened is
                // forgotten by the distrust in `run`; from here on
                // notifications arrive.
                Ok(Ping::Answered) => {
                    cache.vouch();
                    last_beat = Some(Instant::now());
                    ping_sent = None;
                }
                Ok(Ping::Waiting) if sent.elapsed() > 2 * TRUST_FOR => {
                    return lost("no answer to the heartbeat".into());
                }
                Ok(Ping::Waiting) => {}
                Err(e) => return lost(e),
            }
        }
        // Last, after anything that parses what the socket brought (the
        // heartbeat's answer too): a notification parsed and left queued
        // would wait for the next wake, which no new data may bring.
        for payload in listener.notifications() {
            cache.apply(&payload);
        }
    }
}
