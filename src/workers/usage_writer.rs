//! Writes API usage in batches: `api_requests` rows, per-day counts in
//! `usage_daily`, and each token's last use — at most once a minute per
//! token, however busy it is.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db::{self, DbError, DbPool};
use crate::models::AccessToken;
use crate::models::api_request::{self, NewApiRequest, Outcome};
use crate::models::legacy_api_key::LegacyApiKey;
use crate::usage::{UsageRecord, UsageSink};

const BATCH: usize = 500;
/// Longest a record waits before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// Starts the writer on the current runtime; its sink goes into the state.
pub fn start(pool: DbPool) -> UsageSink {
    let (sink, rx) = UsageSink::channel();
    actix_web::rt::spawn(run(pool, rx));
    sink
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
        let rows: Vec<NewApiRequest<'_>> = batch
            .iter()
            .map(|r| NewApiRequest {
                account_id: r.account_id,
                integration_id: r.integration_id,
                token_id: r.token_id,
                legacy_key_id: r.legacy_key_id,
                method: &r.method,
                route: &r.route,
                status: i16::try_from(r.status).unwrap_or(i16::MAX),
                duration_ms: i32::try_from(r.duration_ms).unwrap_or(i32::MAX),
                ip: &r.ip,
                scope: r.scope.map(|s| s.name()),
                outcome: r.outcome.as_str(),
                created_at: r.at,
            })
            .collect();
        api_request::insert_requests(conn, &rows)?;

        let mut daily: HashMap<(Uuid, NaiveDate), (i64, i64)> = HashMap::new();
        for r in batch {
            if let Some(integration) = r.integration_id {
                let e = daily.entry((integration, r.at.date_naive())).or_default();
                e.0 += 1;
                e.1 += i64::from(r.status >= 400);
            }
        }
        for ((integration, day), (requests, errors)) in daily {
            api_request::add_daily(conn, integration, day, requests, errors)?;
        }
        for (token, (at, ip)) in touches {
            AccessToken::record_use(conn, *token, *at, ip)?;
        }
        for (key, at) in legacy_touches {
            LegacyApiKey::record_use(conn, *key, *at)?;
        }
        Ok(())
    })
}
