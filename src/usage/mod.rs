//! API usage as the request path hands it on: one record per request, sent
//! down a queue to the usage writer (src/workers/usage_writer.rs), and the
//! per-instance rate limiter. Shared by the API and the workers, so it
//! imports neither.

pub mod rate_limit;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use actix_web::http::Method;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::domain::scope::Scope;
use crate::models::api_request::Outcome;

/// One row of `api_requests`, sent to the usage writer.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    pub account_id: Uuid,
    pub integration_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
    pub legacy_key_id: Option<Uuid>,
    pub method: Method,
    /// The route pattern, never the query string.
    pub route: Arc<str>,
    pub status: u16,
    pub duration_ms: u32,
    /// The client's address; `None` when it could not be told. Spelt out
    /// by the writer, once per run of records from one address, rather
    /// than on the request path.
    pub ip: Option<IpAddr>,
    pub scope: Option<Scope>,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
}

/// Records queued beyond this are counted as lost rather than held: about
/// 250 MB, a few minutes of a busy instance's traffic while the database is
/// away. Below it nothing is ever dropped.
const QUEUE_CEILING: usize = 1_000_000;

/// What the sink and its writer share: how many records wait in the queue,
/// and how many could never be written.
#[derive(Default)]
struct Counters {
    queued: AtomicUsize,
    lost: AtomicU64,
}

impl Counters {
    fn lose(&self, n: u64, why: &str) {
        if n == 0 {
            return;
        }
        let total = self.lost.fetch_add(n, Ordering::Relaxed) + n;
        tracing::error!(
            lost = n,
            lost_total = total,
            "{why}; API requests went unrecorded"
        );
    }
}

/// The sending side, kept in the application state.
///
/// The queue is unbounded up to [`QUEUE_CEILING`]: the request path must
/// never wait on the database, and `record` runs inside the response path
/// where a bounded wait would still make every request as slow as the
/// database during an outage. The writer keeps retrying a batch that fails
/// while newer records wait here, so an outage costs memory, counted in
/// [`UsageSink::queued`], instead of records.
#[derive(Clone)]
pub struct UsageSink {
    tx: mpsc::UnboundedSender<UsageRecord>,
    counters: Arc<Counters>,
}

/// The receiving side, drained by the usage writer.
pub struct UsageQueue {
    rx: mpsc::UnboundedReceiver<UsageRecord>,
    counters: Arc<Counters>,
}

impl UsageSink {
    /// A sink and the queue its writer drains.
    pub fn channel() -> (UsageSink, UsageQueue) {
        let (tx, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        (
            UsageSink {
                tx,
                counters: counters.clone(),
            },
            UsageQueue { rx, counters },
        )
    }

    /// Never waits: the record joins the queue however slow the database is.
    pub fn record(&self, record: UsageRecord) {
        let queued = self.counters.queued.fetch_add(1, Ordering::Relaxed);
        if queued >= QUEUE_CEILING {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            self.counters.lose(1, "usage queue at its ceiling");
        } else if self.tx.send(record).is_err() {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            self.counters.lose(1, "usage writer stopped");
        }
    }

    /// Records waiting to be written.
    pub fn queued(&self) -> usize {
        self.counters.queued.load(Ordering::Relaxed)
    }

    /// Records that could never be written since start-up (queue ceiling
    /// reached, a row the database refuses, or the process stopping).
    pub fn lost(&self) -> u64 {
        self.counters.lost.load(Ordering::Relaxed)
    }
}

impl UsageQueue {
    /// The next record, or `None` once every sink is gone.
    pub async fn recv(&mut self) -> Option<UsageRecord> {
        let record = self.rx.recv().await;
        if record.is_some() {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
        }
        record
    }

    /// Moves the records already waiting into `into`, until it holds `max`;
    /// never waits for more.
    pub fn take_waiting(&mut self, into: &mut Vec<UsageRecord>, max: usize) {
        while into.len() < max {
            let Ok(record) = self.rx.try_recv() else {
                return;
            };
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            into.push(record);
        }
    }

    /// Counts `n` records that will never be written, with the reason in the log.
    pub fn lose(&self, n: usize, why: &str) {
        self.counters
            .lose(u64::try_from(n).unwrap_or(u64::MAX), why);
    }

    /// Records still waiting in the queue.
    pub fn queued(&self) -> usize {
        self.counters.queued.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> UsageRecord {
        UsageRecord {
            account_id: Uuid::nil(),
            integration_id: None,
            token_id: None,
            legacy_key_id: None,
            method: Method::GET,
            route: Arc::from("/v2/token"),
            status: 200,
            duration_ms: 1,
            ip: Some(IpAddr::from([127, 0, 0, 1])),
            scope: None,
            outcome: Outcome::Used,
            at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_burst_far_larger_than_one_batch_waits_in_the_queue_without_a_loss() {
        let (sink, mut queue) = UsageSink::channel();
        let burst = 25_000;
        for _ in 0..burst {
            sink.record(record());
        }
        assert_eq!(sink.queued(), burst);
        let mut received = 0;
        while received < burst && queue.recv().await.is_some() {
            received += 1;
        }
        assert_eq!(received, burst);
        assert_eq!((sink.queued(), sink.lost()), (0, 0));
    }

    #[tokio::test]
    async fn a_record_for_a_stopped_writer_is_counted_as_lost() {
        let (sink, queue) = UsageSink::channel();
        drop(queue);
        sink.record(record());
        assert_eq!((sink.queued(), sink.lost()), (0, 1));
    }
}
