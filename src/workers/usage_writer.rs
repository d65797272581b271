//! Writes API usage in batches: `api_requests` rows, per-day counts in
//! `usage_daily`, the scopes used per day in `usage_scopes`, each token's
//! last use — at most once a minute per token, however busy it is — and the
//! alerts the batch raises.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::actions::notices::Notices;
use crate::db::{self, DbError, DbPool};
use crate::domain::cidr::address_label;
use crate::models::AccessToken;
use crate::models::api_request::{self, Counts, NewApiRequest, Outcome};
use crate::models::legacy_api_key::LegacyApiKey;
use crate::usage::{UsageQueue, UsageRecord, UsageSink};
use crate::workers::usage_alerts;

/// Most rows written in one transaction. A busy instance fills one within
/// [`FLUSH_EVERY`]; fewer, larger writes cost the database less per row.
const BATCH: usize = 10_000;
/// Longest a record waits before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// First wait before a failed batch is tried again; it doubles up to
/// [`RETRY_AT_MOST`] while the database stays away.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_AT_MOST: Duration = Duration::from_secs(5);
/// Longest a stopping process waits for the last records to be written.
const DRAIN_WITHIN: Duration = Duration::from_secs(10);

/// The running writer, to stop once the server has answered its last request.
pub struct UsageWriter {
    stop: watch::Sender<bool>,
    done: JoinHandle<()>,
}

impl UsageWriter {
    /// Writes what is still queued, then ends; waits at most
    /// [`DRAIN_WITHIN`]. A writer still waiting for the database then is
    /// dropped with the runtime, which counts and logs what it held as lost
    /// (see [`Unwritten`]).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(DRAIN_WITHIN, self.done).await;
    }
}

/// Starts the writer on the current runtime; its sink goes into the state.
/// With `notices`, the alerts it raises are emailed too.
pub fn start(pool: DbPool, notices: Option<Notices>) -> (UsageSink, UsageWriter) {
    let (sink, queue) = UsageSink::channel();
    let (stop, stopping) = watch::channel(false);
    let done = actix_web::rt::spawn(run(pool, queue, stopping, notices.map(Arc::new)));
    (sink, UsageWriter { stop, done })
}

/// What the writer holds but has not written: when the runtime stops and
/// drops the writer mid-way, whatever is left is counted as lost (a batch
/// whose write was already under way may still reach the database).
struct Unwritten {
    queue: UsageQueue,
    in_flight: usize,
}

impl Drop for Unwritten {
    fn drop(&mut self) {
        let left = self.in_flight + self.queue.queued();
        self.queue.lose(left, "stopped before writing API usage");
    }
}

/// Rows, daily counts and last uses of one batch, shared with each attempt.
struct Batch {
    records: Vec<UsageRecord>,
    touches: BTreeMap<Uuid, (DateTime<Utc>, String)>,
    legacy_touches: BTreeMap<Uuid, DateTime<Utc>>,
    notices: Option<Arc<Notices>>,
}

/// Waits until `stopping` turns true (or its sender is gone).
async fn stop_asked(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

async fn run(
    pool: DbPool,
    queue: UsageQueue,
    mut stopping: watch::Receiver<bool>,
    notices: Option<Arc<Notices>>,
) {
    let mut held = Unwritten {
        queue,
        in_flight: 0,
    };
    let mut last_written: HashMap<Uuid, Instant> = HashMap::new();
    loop {
        let mut records = Vec::new();
        if !*stopping.borrow() {
            tokio::select! {
                first = held.queue.recv() => match first {
                    Some(record) => records.push(record),
                    None => return,
                },
                () = stop_asked(&mut stopping) => {}
            }
            // The batch gathers while the writer sleeps: a record sent
            // meanwhile wakes nobody, which on a busy instance would be a
            // thread switch per request.
            if !*stopping.borrow() && held.queue.queued() < BATCH {
                tokio::select! {
                    () = tokio::time::sleep(FLUSH_EVERY) => {}
                    () = stop_asked(&mut stopping) => {}
                }
            }
        }
        held.queue.take_waiting(&mut records, BATCH);
        if records.is_empty() {
            // Stopping, and everything is written.
            return;
        }
        held.in_flight = records.len();
        // Last use: the newest record per token, unless written within the minute.
        let now = Instant::now();
        let mut touches: BTreeMap<Uuid, (DateTime<Utc>, String)> = BTreeMap::new();
        let mut legacy_touches: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
        let fresh = |id: &Uuid| {
            last_written
                .get(id)
                .is_some_and(|t| now.duration_since(*t) < LAST_USED_EVERY)
        };
        // A refusal is logged but is no use: it must never move the last
        // use, or an inactive token would come back to life. Records are
        // queued as requests end and carry the time each came in, so the
        // latest is looked for: a slow request can end after a quicker one.
        for r in records.iter().filter(|r| r.outcome == Outcome::Used) {
            if let Some(token) = r.token_id.filter(|t| !fresh(t))
                && touches.get(&token).is_none_or(|(at, _)| *at < r.at)
            {
                touches.insert(token, (r.at, address_label(r.ip)));
            }
            if let Some(key) = r.legacy_key_id.filter(|k| !fresh(k)) {
                let at = legacy_touches.entry(key).or_insert(r.at);
                *at = (*at).max(r.at);
            }
        }
        for token in touches.keys().chain(legacy_touches.keys()) {
            last_written.insert(*token, now);
        }
        last_written.retain(|_, t| now.duration_since(*t) < LAST_USED_EVERY);

        let batch = Arc::new(Batch {
            records,
            touches,
            legacy_touches,
            notices: notices.clone(),
        });
        write_until_done(&pool, &batch, &held.queue).await;
        held.in_flight = 0;
    }
}

/// Writes `batch`, retrying while the database is unavailable; newer
/// records wait in the queue meanwhile, so memory, not data, pays for an
/// outage. A batch the database refuses (say, a row of an integration
/// deleted since) is written row by row so only the refused rows are lost.
async fn write_until_done(pool: &DbPool, batch: &Arc<Batch>, queue: &UsageQueue) {
    let mut delay = RETRY_FIRST;
    let mut row_by_row = false;
    loop {
        let attempt = batch.clone();
        let result = if row_by_row {
            db::run(pool, move |conn| write_each(conn, &attempt)).await
        } else {
            db::run(pool, move |conn| {
                write(
                    conn,
                    &attempt.records,
                    &attempt.touches,
                    &attempt.legacy_touches,
                    attempt.notices.as_deref(),
                )
                .map(|()| 0)
            })
            .await
        };
        match result {
            Ok(refused) => {
                queue.lose(refused, "the database refused usage rows");
                return;
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(
                    error = %e,
                    rows = batch.records.len(),
                    queued = queue.queued(),
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "could not write API usage yet; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(RETRY_AT_MOST);
            }
            Err(e) if !row_by_row => {
                tracing::error!(error = %e, "could not write a usage batch; writing it row by row");
                row_by_row = true;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not write API usage");
                queue.lose(batch.records.len(), "the database refused usage rows");
                return;
            }
        }
    }
}

/// The batch one row at a time, each behind a savepoint, in one
/// transaction: a row the database refuses is skipped and counted, and an
/// outage half-way rolls everything back so the retry writes no duplicate.
fn write_each(conn: &mut PgConnection, batch: &Batch) -> Result<usize, DbError> {
    let nobody = BTreeMap::new();
    let no_key = BTreeMap::new();
    conn.transaction(|conn| {
        let mut refused = 0;
        for record in &batch.records {
            let one = std::slice::from_ref(record);
            match write(conn, one, &nobody, &no_key, batch.notices.as_deref()) {
                Ok(()) => {}
                Err(e) if e.is_unavailable() => return Err(e),
                Err(e) => {
                    tracing::error!(error = %e, route = %record.route, "usage row refused");
                    refused += 1;
                }
            }
        }
        write(conn, &[], &batch.touches, &batch.legacy_touches, None)?;
        Ok(refused)
    })
}

fn write(
    conn: &mut PgConnection,
    batch: &[UsageRecord],
    touches: &BTreeMap<Uuid, (DateTime<Utc>, String)>,
    legacy_touches: &BTreeMap<Uuid, DateTime<Utc>>,
    notices: Option<&Notices>,
) -> Result<(), DbError> {
    let ips = ip_labels(batch);
    conn.transaction(|conn| {
        // Behind a savepoint: an alert that cannot be raised (its token
        // deleted meanwhile) must not cost the batch its usage rows.
        let found: Result<(), DbError> = conn.transaction(|conn| {
            usage_alerts::find(conn, batch, &ips, notices).map_err(DbError::from)
        });
        match found {
            Err(e) if e.is_unavailable() => return Err(e),
            Err(e) => tracing::error!(error = %e, "could not raise the alerts of a usage batch"),
            Ok(()) => {}
        }
        let rows: Vec<NewApiRequest<'_>> = batch
            .iter()
            .zip(&ips)
            .map(|(r, ip)| NewApiRequest {
                account_id: r.account_id,
                integration_id: r.integration_id,
                token_id: r.token_id,
                legacy_key_id: r.legacy_key_id,
                method: r.method.as_str(),
                route: &r.route,
                status: i16::try_from(r.status).unwrap_or(i16::MAX),
                duration_ms: i32::try_from(r.duration_ms).unwrap_or(i32::MAX),
                ip,
                scope: r.scope.map(|s| s.name()),
                outcome: r.outcome.as_str(),
                created_at: r.at,
            })
            .collect();
        if !rows.is_empty() {
            api_request::insert_requests(conn, &rows)?;
        }

        // Counts per UTC day, and per quarter hour for the chart that counts
        // days in its reader's time zone. Every write below is one statement
        // over its keys in order, so two instances never lock rows in
        // opposite orders.
        let mut daily: BTreeMap<(Uuid, NaiveDate), Counts> = BTreeMap::new();
        let mut quarters: BTreeMap<(Uuid, DateTime<Utc>), Counts> = BTreeMap::new();
        for r in batch {
            if let Some(integration) = r.integration_id {
                daily
                    .entry((integration, r.at.date_naive()))
                    .or_default()
                    .add(r.status);
                quarters
                    .entry((integration, quarter_hour_of(r.at)))
                    .or_default()
                    .add(r.status);
            }
        }
        api_request::add_daily(conn, &daily)?;
        api_request::add_quarter_hours(conn, &quarters)?;
        // The used-scopes report counts every request its scope let
        // through, whatever the answer (a lookup that finds nothing still
        // needs the scope): not a refused token, nor a 403 (the scope
        // missing, or another account named).
        let used: BTreeSet<(Uuid, NaiveDate, &str)> = batch
            .iter()
            .filter(|r| r.outcome == Outcome::Used && r.status != 403)
            .filter_map(|r| Some((r.integration_id?, r.at.date_naive(), r.scope?.name())))
            .collect();
        api_request::note_used_scopes(conn, &used)?;
        // Where each integration was used from, for the new-address alert
        // of later batches.
        let mut addresses: BTreeMap<(Uuid, &str), DateTime<Utc>> = BTreeMap::new();
        for (r, ip) in batch.iter().zip(&ips) {
            if r.outcome != Outcome::Used {
                continue;
            }
            if let Some(integration) = r.integration_id {
                let at = addresses.entry((integration, &**ip)).or_insert(r.at);
                *at = (*at).max(r.at);
            }
        }
        api_request::note_addresses(conn, &addresses)?;
        // Tokens and keys in id order, for the same reason.
        for (token, (at, ip)) in touches {
            AccessToken::record_use(conn, *token, *at, ip)?;
        }
        for (key, at) in legacy_touches {
            LegacyApiKey::record_use(conn, *key, *at)?;
        }
        Ok(())
    })
}

/// Each record's address as the log spells it. A busy client sends runs of
/// records, so each run shares one string.
fn ip_labels(batch: &[UsageRecord]) -> Vec<Rc<str>> {
    let mut labels: Vec<Rc<str>> = Vec::with_capacity(batch.len());
    let mut previous: Option<(Option<IpAddr>, Rc<str>)> = None;
    for r in batch {
        let label = match previous {
            Some((ip, label)) if ip == r.ip => label,
            _ => Rc::from(address_label(r.ip)),
        };
        labels.push(label.clone());
        previous = Some((r.ip, label));
    }
    labels
}

/// The start of the quarter hour (UTC-aligned) that holds `at`.
fn quarter_hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(15 * 60), 0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_moment_counts_in_the_quarter_hour_that_holds_it() {
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 12, 4, h, m, s).unwrap();
        assert_eq!(quarter_hour_of(at(10, 0, 0)), at(10, 0, 0));
        assert_eq!(quarter_hour_of(at(10, 14, 59)), at(10, 0, 0));
        assert_eq!(quarter_hour_of(at(10, 15, 0)), at(10, 15, 0));
        assert_eq!(quarter_hour_of(at(23, 59, 59)), at(23, 45, 0));
    }
}
