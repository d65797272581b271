//! Writes API usage in batches: `api_requests` rows, per-day counts in
//! `usage_daily`, and each token's last use — at most once a minute per
//! token, however busy it is.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::api::usage::UsageRecord;
use crate::db::schema::{access_tokens, api_requests, legacy_api_keys, usage_daily};
use crate::db::{self, DbError, DbPool};
use crate::models::usage::Outcome;

/// Records waiting beyond this are dropped (and counted in the log) rather
/// than slowing requests down.
const QUEUE: usize = 10_000;
const BATCH: usize = 500;
/// Longest a record waits before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// The sending side, kept in the application state.
#[derive(Clone)]
pub struct UsageSink(mpsc::Sender<UsageRecord>);

impl UsageSink {
    pub fn record(&self, record: UsageRecord) {
        if self.0.try_send(record).is_err() {
            tracing::warn!("usage queue full or closed; an API request went unrecorded");
        }
    }
}

/// Starts the worker on the current runtime.
pub fn start(pool: DbPool) -> UsageSink {
    let (tx, rx) = mpsc::channel(QUEUE);
    actix_web::rt::spawn(run(pool, rx));
    UsageSink(tx)
}

async fn run(pool: DbPool, mut rx: mpsc::Receiver<UsageRecord>) {
    let mut last_written: HashMap<Uuid, Instant> = HashMap::new();
    loop {
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        // Last use: the newest record per token, unless written within the minute.
        let now = Instant::now();
        let mut touches: HashMap<Uuid, (DateTime<Utc>, String)> = HashMap::new();
        let mut legacy_touches: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        let fresh = |id: &Uuid| {
            last_written
                .get(id)
                .is_some_and(|t| now.duration_since(*t) < LAST_USED_EVERY)
        };
        // A refusal is logged but is no use: it must never move the last
        // use, or an inactive token would come back to life.
        for r in batch.iter().filter(|r| r.outcome == Outcome::Used) {
            if let Some(token) = r.token_id.filter(|t| !fresh(t)) {
                touches.insert(token, (r.at, r.ip.clone()));
            }
            if let Some(key) = r.legacy_key_id.filter(|k| !fresh(k)) {
                legacy_touches.insert(key, r.at);
            }
        }
        for token in touches.keys().chain(legacy_touches.keys()) {
            last_written.insert(*token, now);
        }
        last_written.retain(|_, t| now.duration_since(*t) < LAST_USED_EVERY);

        let result = db::run(&pool, move |conn| {
            write(conn, &batch, &touches, &legacy_touches)
        })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "could not write API usage");
        }
    }
}

fn write(
    conn: &mut PgConnection,
    batch: &[UsageRecord],
    touches: &HashMap<Uuid, (DateTime<Utc>, String)>,
    legacy_touches: &HashMap<Uuid, DateTime<Utc>>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let rows: Vec<_> = batch
            .iter()
            .map(|r| {
                (
                    api_requests::account_id.eq(r.account_id),
                    api_requests::integration_id.eq(r.integration_id),
                    api_requests::token_id.eq(r.token_id),
                    api_requests::legacy_key_id.eq(r.legacy_key_id),
                    api_requests::method.eq(&r.method),
                    api_requests::route.eq(&r.route),
                    api_requests::status.eq(i16::try_from(r.status).unwrap_or(i16::MAX)),
                    api_requests::duration_ms.eq(i32::try_from(r.duration_ms).unwrap_or(i32::MAX)),
                    api_requests::ip.eq(&r.ip),
                    api_requests::scope.eq(r.scope.map(|s| s.name())),
                    api_requests::outcome.eq(r.outcome.as_str()),
                    api_requests::created_at.eq(r.at),
                )
            })
            .collect();
        diesel::insert_into(api_requests::table)
            .values(rows)
            .execute(conn)?;

        let mut daily: HashMap<(Uuid, NaiveDate), (i64, i64)> = HashMap::new();
        for r in batch {
            if let Some(integration) = r.integration_id {
                let e = daily.entry((integration, r.at.date_naive())).or_default();
                e.0 += 1;
                e.1 += i64::from(r.status >= 400);
            }
        }
        for ((integration, day), (requests, errors)) in daily {
            diesel::insert_into(usage_daily::table)
                .values((
                    usage_daily::integration_id.eq(integration),
                    usage_daily::day.eq(day),
                    usage_daily::requests.eq(requests),
                    usage_daily::errors.eq(errors),
                ))
                .on_conflict((usage_daily::integration_id, usage_daily::day))
                .do_update()
                .set((
                    usage_daily::requests
                        .eq(usage_daily::requests + excluded(usage_daily::requests)),
                    usage_daily::errors.eq(usage_daily::errors + excluded(usage_daily::errors)),
                ))
                .execute(conn)?;
        }

        for (token, (at, ip)) in touches {
            diesel::update(access_tokens::table.find(token))
                .set((
                    access_tokens::last_used_at.eq(at),
                    access_tokens::last_used_ip.eq(ip),
                ))
                .execute(conn)?;
        }
        for (key, at) in legacy_touches {
            diesel::update(legacy_api_keys::table.find(key))
                .set(legacy_api_keys::last_used_at.eq(at))
                .execute(conn)?;
        }
        Ok(())
    })
}
