//! The usage section of an integration's detail page: requests per day as a
//! bar chart (SVG, so it needs neither script nor inline styles), the latest
//! requests, and which granted scopes were actually used.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::db::DbError;
use crate::domain::scope::{Scope, ScopeSet};
use crate::models::api_request;
use crate::web::when::Zone;

pub const CHART_DAYS: i64 = 14;
const RECENT: i64 = 20;
pub const USED_SCOPE_DAYS: i64 = 30;
/// Chart geometry, in SVG user units.
const BAR_STEP: i64 = 24;
const BAR_WIDTH: i64 = 16;
const CHART_HEIGHT: i64 = 60;

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub error_y: i64,
    pub error_height: i64,
    /// Every other day is labelled, counting back from today.
    pub label: Option<String>,
    pub title: String,
}

pub struct RequestRow {
    pub when: String,
    pub method: String,
    pub route: String,
    pub status: i16,
    pub status_class: &'static str,
    pub ms: i32,
    pub ip: String,
    pub token: String,
}

pub struct ScopeUse {
    pub human: String,
    pub name: &'static str,
    pub used: bool,
}

pub struct UsageView {
    pub bars: Vec<Bar>,
    pub width: i64,
    pub total: i64,
    pub errors: i64,
    pub recent: Vec<RequestRow>,
    pub scopes: Vec<ScopeUse>,
}

/// `token_labels` names tokens (`pit_…abcd`) in the request list.
pub fn load(
    conn: &mut PgConnection,
    integration_id: Uuid,
    granted: &ScopeSet,
    token_labels: &HashMap<Uuid, String>,
    now: DateTime<Utc>,
    zone: Zone,
) -> Result<UsageView, DbError> {
    let first_day = now.date_naive() - Duration::days(CHART_DAYS - 1);
    let daily = api_request::daily(conn, integration_id, first_day)?;
    let recent = api_request::recent_requests(conn, integration_id, RECENT)?;
    let used =
        api_request::used_scopes(conn, integration_id, now - Duration::days(USED_SCOPE_DAYS))?;

    let counts: HashMap<NaiveDate, (i64, i64)> =
        daily.into_iter().map(|(d, r, e)| (d, (r, e))).collect();
    let max = counts.values().map(|(r, _)| *r).max().unwrap_or(0).max(1);
    let scale = |n: i64| {
        if n == 0 {
            0
        } else {
            (n * CHART_HEIGHT / max).max(2)
        }
    };
    let bars = (0..CHART_DAYS)
        .map(|i| {
            let day = first_day + Duration::days(i);
            let (requests, errors) = counts.get(&day).copied().unwrap_or((0, 0));
            let height = scale(requests);
            let error_height = scale(errors).min(height);
            Bar {
                x: i * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2,
                y: CHART_HEIGHT - height,
                height,
                error_y: CHART_HEIGHT - error_height,
                error_height,
                label: ((CHART_DAYS - 1 - i) % 2 == 0).then(|| day.format("%-d %b").to_string()),
                title: format!(
                    "{}: {requests} request{}, {errors} error{}",
                    day.format("%-d %b"),
                    if requests == 1 { "" } else { "s" },
                    if errors == 1 { "" } else { "s" }
                ),
            }
        })
        .collect();

    Ok(UsageView {
        bars,
        width: CHART_DAYS * BAR_STEP,
        total: counts.values().map(|(r, _)| r).sum(),
        errors: counts.values().map(|(_, e)| e).sum(),
        recent: recent
            .into_iter()
            .map(|r| RequestRow {
                when: zone.minute(r.created_at),
                status_class: match r.status {
                    200..=399 => "badge badge-success",
                    429 => "badge badge-warning",
                    _ => "badge badge-danger",
                },
                token: r
                    .token_id
                    .and_then(|t| token_labels.get(&t).cloned())
                    .unwrap_or_else(|| "—".to_string()),
                method: r.method,
                route: r.route,
                status: r.status,
                ms: r.duration_ms,
                ip: r.ip,
            })
            .collect(),
        scopes: granted
            .iter()
            .map(|s: Scope| ScopeUse {
                human: s.human(),
                name: s.name(),
                used: used.iter().any(|u| u == s.name()),
            })
            .collect(),
    })
}
