//! Periodic clean-up: tokens past their account's inactivity window,
//! expired sessions, old sign-in attempts; API request rows, used-scope
//! notes and alerts past their 30 days; webhook deliveries and email
//! notices finished more than 30 days ago.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;

use crate::actions;
use crate::db::{self, DbError, DbPool};
use crate::models::alert::Alert;
use crate::models::{Account, api_request, email_notice, login_attempt, session, webhook_delivery};

pub const REQUEST_LOG_DAYS: i64 = 30;
/// How long the delivery log keeps a finished delivery and its attempts.
pub const WEBHOOK_LOG_DAYS: i64 = 30;
const EVERY: Duration = Duration::from_secs(15 * 60);

pub fn start(pool: DbPool) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = db::run(&pool, sweep).await {
                tracing::warn!(error = %e, "maintenance sweep failed");
            }
        }
    });
}

/// One sweep; every instance may run it, the deletes are idempotent.
pub fn sweep(conn: &mut PgConnection) -> Result<(), DbError> {
    for account in Account::with_inactivity_expiry(conn)? {
        if let Some(days) = account.inactivity_expiry_days {
            actions::expire_inactive(conn, account.id, days, None)?;
        }
    }
    session::delete_expired(conn)?;
    login_attempt::delete_older_than_a_day(conn)?;
    let cutoff = Utc::now() - chrono::Duration::days(REQUEST_LOG_DAYS);
    // Whole days go with their partition; what the DEFAULT partition holds
    // goes row by row.
    api_request::drop_partitions_before(conn, cutoff.date_naive())?;
    api_request::delete_requests_before(conn, cutoff)?;
    api_request::delete_addresses_before(conn, cutoff)?;
    api_request::delete_used_scopes_before(conn, cutoff.date_naive())?;
    api_request::delete_quarter_hours_before(conn, cutoff)?;
    Alert::purge_before(conn, cutoff)?;
    request_log_partitions(conn);
    let webhook_cutoff = Utc::now() - chrono::Duration::days(WEBHOOK_LOG_DAYS);
    webhook_delivery::purge_finished_before(conn, webhook_cutoff)?;
    email_notice::purge_finished_before(conn, webhook_cutoff)?;
    Ok(())
}

/// Day partitions of the request log from yesterday to a week ahead, made
/// at start-up before the first insert and kept ahead by every sweep. A
/// failure is logged, not fatal: rows then land in the DEFAULT partition.
pub fn request_log_partitions(conn: &mut PgConnection) {
    let yesterday = Utc::now().date_naive() - chrono::Days::new(1);
    if let Err(e) = api_request::ensure_partitions(conn, yesterday, PARTITIONS_AHEAD) {
        tracing::warn!(error = %crate::db::one_line(&e), "could not make the request log's partitions");
    }
}

/// Yesterday, today and a week ahead.
const PARTITIONS_AHEAD: u32 = 9;
