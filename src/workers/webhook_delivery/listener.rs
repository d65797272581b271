//! Wakes the delivery worker as soon as a transaction anywhere commits a due
//! delivery (`NOTIFY pi_webhook_due`), so the first attempt goes out at once
//! rather than at the next poll. Like the token listener it reads libpq's
//! notifications by polling a blocking connection on its own thread, and
//! ends when the worker it wakes is gone. A lost notification costs at most
//! the worker's poll interval.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};
use tokio::sync::Notify;

use crate::db;
use crate::models::webhook_delivery;

/// How often pending notifications are read.
const POLL: Duration = Duration::from_millis(50);
/// How often the connection proves it is alive, so a dead one is replaced.
const HEARTBEAT: Duration = Duration::from_secs(5);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

pub fn start(database_url: String, wake: &Arc<Notify>) {
    let wake = Arc::downgrade(wake);
    let spawned = std::thread::Builder::new()
        .name("webhook-listener".into())
        .spawn(move || run(&database_url, &wake));
    if let Err(e) = spawned {
        // The worker still polls; deliveries only start a little later.
        tracing::error!(error = %e, "could not start the webhook listener");
    }
}

fn run(database_url: &str, wake: &Weak<Notify>) {
    loop {
        if wake.strong_count() == 0 {
            return;
        }
        match PgConnection::establish(database_url) {
            Ok(mut conn) => match webhook_delivery::listen(&mut conn) {
                Ok(()) => {
                    // Whatever became due while nobody listened.
                    if let Some(w) = wake.upgrade() {
                        w.notify_one();
                    }
                    if listen(&mut conn, wake).is_break() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %db::one_line(&e), "webhook listener could not LISTEN");
                }
            },
            Err(e) => {
                tracing::debug!(error = %db::one_line(&e), "webhook listener cannot reach the database");
            }
        }
        std::thread::sleep(RECONNECT_AFTER);
    }
}

/// Reads notifications until the connection fails (`Continue`: reconnect)
/// or the worker is gone (`Break`).
fn listen(conn: &mut PgConnection, wake: &Weak<Notify>) -> std::ops::ControlFlow<()> {
    use std::ops::ControlFlow::{Break, Continue};
    let mut last_beat = Instant::now();
    loop {
        let Some(worker) = wake.upgrade() else {
            return Break(());
        };
        if last_beat.elapsed() >= HEARTBEAT {
            if let Err(e) = db::ping(conn) {
                tracing::warn!(error = %db::one_line(&e), "webhook listener lost its connection");
                return Continue(());
            }
            last_beat = Instant::now();
        }
        let mut heard = false;
        for notification in conn.notifications_iter() {
            match notification {
                Ok(_) => heard = true,
                Err(e) => {
                    tracing::warn!(error = %db::one_line(&e), "webhook listener lost its connection");
                    return Continue(());
                }
            }
        }
        if heard {
            worker.notify_one();
        }
        drop(worker);
        std::thread::sleep(POLL);
    }
}
