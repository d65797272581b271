//! The webhook delivery worker (SPEC §8). Every instance runs one: it claims
//! due deliveries in small batches under a lease (see
//! `models::webhook_delivery::claim`), so instances share the work without
//! sending one delivery twice, and a delivery whose worker died is taken up
//! again when its lease runs out. It wakes on `NOTIFY pi_webhook_due` and
//! polls every second in case a notification was missed, keeps a bounded
//! number of requests in flight, and on shutdown stops claiming and gives
//! the requests under way a bounded time to finish.

mod attempt;
mod client;
mod listener;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::{JoinError, JoinSet};

use crate::db::{self, DbError};
use crate::models::webhook_delivery;
use crate::state::AppState;
use attempt::Shared;
use client::DeliveryClient;

/// Requests in flight per instance.
const MAX_IN_FLIGHT: usize = 16;
/// Deliveries claimed at once: small, so one instance does not hoard what
/// another could send now.
const BATCH: usize = 8;
/// How often the worker looks for due deliveries without being woken.
const POLL: Duration = Duration::from_secs(1);
/// How long a claimed delivery stays with its worker. It must outlast an
/// attempt (the request's timeout plus recording it), or a slow attempt
/// would be sent twice.
const LEASE: Duration = Duration::from_secs(60);
/// How long, at shutdown, requests under way get to finish. What is still
/// unfinished then keeps its lease and is attempted again after it.
const DRAIN_WITHIN: Duration = Duration::from_secs(15);

/// The running worker; stopping it lets the attempts under way finish.
/// Dropped without [`DeliveryWorker::stop`], the worker stops as well, but
/// nobody waits for it.
pub struct DeliveryWorker {
    stop: watch::Sender<bool>,
    done: Option<actix_web::rt::task::JoinHandle<()>>,
}

/// Starts the worker on the current runtime, with its listener on
/// `database_url`.
pub fn start(state: &AppState, database_url: String) -> DeliveryWorker {
    let (stop, stopped) = watch::channel(false);
    let settings = state.settings.clone();
    let client = match DeliveryClient::new(state.resolver.clone(), settings.webhook_timeout) {
        Ok(client) => client,
        Err(e) => {
            // Deliveries wait in the outbox until a restart that can send them.
            tracing::error!(error = %e, "webhook deliveries are off: the HTTP client could not start");
            return DeliveryWorker { stop, done: None };
        }
    };
    let lease = LEASE.max(settings.webhook_timeout + attempt::RECORD_FOR + POLL);
    let shared = Arc::new(Shared {
        pool: state.pool.clone(),
        settings,
        secrets: state.secrets.clone(),
        client,
    });
    let wake = Arc::new(Notify::new());
    listener::start(database_url, &wake);
    let done = actix_web::rt::spawn(run(shared, wake, stopped, lease));
    DeliveryWorker {
        stop,
        done: Some(done),
    }
}

impl DeliveryWorker {
    /// Stops claiming and waits (boundedly) for the attempts under way.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            // The worker bounds its own wait; this bound only guards it.
            let _ = tokio::time::timeout(DRAIN_WITHIN + POLL, done).await;
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
    lease: Duration,
) {
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut outage = false;
    while !*stopped.borrow() {
        while let Some(done) = in_flight.try_join_next() {
            report(done);
        }
        let room = MAX_IN_FLIGHT.saturating_sub(in_flight.len()).min(BATCH);
        let mut more_due = false;
        if room > 0 {
            let limit = i64::try_from(room).unwrap_or(1);
            let lease_seconds = lease.as_secs_f64();
            let claimed = db::run(&shared.pool, move |conn| {
                webhook_delivery::claim(conn, limit, lease_seconds).map_err(DbError::from)
            })
            .await;
            match claimed {
                Ok(batch) => {
                    if outage {
                        tracing::info!("webhook deliveries resumed");
                        outage = false;
                    }
                    more_due = batch.len() == room;
                    for delivery in batch {
                        in_flight.spawn(attempt::run(shared.clone(), delivery));
                    }
                }
                Err(e) if e.is_unavailable() => {
                    // Once per outage, not once a second.
                    if !outage {
                        tracing::warn!(error = %e, "cannot claim webhook deliveries; retrying");
                    }
                    outage = true;
                }
                Err(e) => tracing::error!(error = %e, "claiming webhook deliveries failed"),
            }
        }
        if more_due && in_flight.len() < MAX_IN_FLIGHT {
            continue;
        }
        tokio::select! {
            biased;
            changed = stopped.changed() => {
                if changed.is_err() {
                    // The handle is gone: nobody can stop us later.
                    break;
                }
            }
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => report(done),
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    if in_flight.is_empty() {
        return;
    }
    tracing::info!(
        in_flight = in_flight.len(),
        "waiting for webhook attempts under way"
    );
    let drained = tokio::time::timeout(DRAIN_WITHIN, async {
        while let Some(done) = in_flight.join_next().await {
            report(done);
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            unfinished = in_flight.len(),
            "stopped with webhook attempts unfinished; they are attempted again when their lease runs out"
        );
    }
}

fn report(done: Result<(), JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        tracing::error!(error = %e, "a webhook attempt panicked; it is attempted again when its lease runs out");
    }
}
