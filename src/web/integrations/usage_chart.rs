//! The usage section of an integration's detail page: requests per day as a
//! bar chart (SVG, so it needs neither script nor inline styles), the latest
//! requests, and which granted scopes were actually used (or are too new
//! to tell).

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
    /// For the chart's text twin, which screen readers read instead.
    pub day: String,
    pub requests: i64,
    pub errors: i64,
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
    /// Granted less than [`USED_SCOPE_DAYS`] ago and not used yet: too soon
    /// to call it unused.
    pub new: bool,
    /// "12 Nov", when `new`.
    pub granted: String,
}

impl ScopeUse {
    pub fn unused(&self) -> bool {
        !self.used && !self.new
    }
}

/// When each scope still granted was last granted, from the integration's
/// `integration.created` and `integration.updated` events (oldest first).
/// A scope no event names counts as granted at `created_at`.
pub fn grant_times(
    events: &[(String, serde_json::Value, DateTime<Utc>)],
) -> HashMap<String, DateTime<Utc>> {
    let names = |v: &serde_json::Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut granted = HashMap::new();
    for (action, details, at) in events {
        let added = if action == "integration.created" {
            names(details, "scopes")
        } else {
            for gone in names(details, "scopes_removed") {
                granted.remove(&gone);
            }
            names(details, "scopes_added")
        };
        for name in added {
            granted.insert(name, *at);
        }
    }
    granted
}

pub struct UsageView {
    pub bars: Vec<Bar>,
    /// The zone whose days the bars count, for the chart's axis.
    pub zone: &'static str,
    pub width: i64,
    /// The most requests on one day: the top of the chart's scale.
    pub peak: i64,
    pub total: i64,
    pub errors: i64,
    pub recent: Vec<RequestRow>,
    pub scopes: Vec<ScopeUse>,
}

/// `token_labels` names tokens (`pit_…abcd`) in the request list.
// Each argument is a distinct fact the page already holds; a struct to carry
// them for this one call would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn load(
    conn: &mut PgConnection,
    integration_id: Uuid,
    granted: &ScopeSet,
    token_labels: &HashMap<Uuid, String>,
    granted_at: &HashMap<String, DateTime<Utc>>,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: Zone,
) -> Result<UsageView, DbError> {
    // Days as the reader counts them: from midnight in their zone.
    let first_day = zone.day_of(now) - Duration::days(CHART_DAYS - 1);
    let from = zone
        .start_of(first_day)
        .unwrap_or(now - Duration::days(CHART_DAYS));
    let quarters = api_request::quarter_hours(conn, integration_id, from)?;
    let recent = api_request::recent_requests(conn, integration_id, RECENT)?;
    let used =
        api_request::used_scopes(conn, integration_id, now - Duration::days(USED_SCOPE_DAYS))?;

    let mut counts: HashMap<NaiveDate, (i64, i64)> = HashMap::new();
    for (starts_at, requests, errors) in quarters {
        let day = counts.entry(zone.day_of(starts_at)).or_default();
        day.0 += requests;
        day.1 += errors;
    }
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
                day: day.format("%a %-d %b").to_string(),
                requests,
                errors,
            }
        })
        .collect();

    Ok(UsageView {
        bars,
        zone: zone.name(),
        width: CHART_DAYS * BAR_STEP,
        peak: counts.values().map(|(r, _)| *r).max().unwrap_or(0),
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
            .map(|s: Scope| {
                let used = used.iter().any(|u| u == s.name());
                let at = granted_at.get(s.name()).copied().unwrap_or(created_at);
                let new = !used && at > now - Duration::days(USED_SCOPE_DAYS);
                ScopeUse {
                    human: s.human(),
                    name: s.name(),
                    used,
                    new,
                    granted: zone.day_of(at).format("%-d %b").to_string(),
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_scope_is_granted_when_last_added_and_forgotten_when_removed() {
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap();
        let events = vec![
            (
                "integration.created".to_string(),
                json!({ "scopes": ["contacts.readonly", "users.readonly"] }),
                day(1),
            ),
            (
                "integration.updated".to_string(),
                json!({ "scopes_added": ["contacts.write"], "scopes_removed": ["users.readonly"] }),
                day(10),
            ),
            (
                "integration.updated".to_string(),
                json!({ "scopes_added": ["users.readonly"], "scopes_removed": [] }),
                day(20),
            ),
        ];
        let granted = grant_times(&events);
        assert_eq!(granted.get("contacts.readonly"), Some(&day(1)));
        assert_eq!(granted.get("contacts.write"), Some(&day(10)));
        assert_eq!(granted.get("users.readonly"), Some(&day(20)));
        assert_eq!(granted.len(), 3);
    }
}
