//! The request log's query string: filters `status` (`401` or `4xx`),
//! `method`, `token`, `from` and `to` (dates, inclusive), and `page`. A value
//! that cannot be a filter is ignored rather than refused: the log is only
//! read through it.

use chrono::{DateTime, Days, NaiveDate, Utc};
use uuid::Uuid;

use crate::models::request_log::{RequestFilter, StatusFilter};
use crate::web::when::Zone;

/// How far back the log reaches: the usage log keeps 30 days.
pub const LOG_DAYS: u64 = 30;

/// Pages beyond this are not a number anyone pages to.
const MAX_PAGE: i64 = 1_000_000;

#[derive(Debug, Default)]
pub struct RequestQuery {
    pub status: Option<StatusFilter>,
    pub method: Option<String>,
    pub token_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 1-based; a page past the end shows the last one.
    pub page: i64,
}

impl RequestQuery {
    pub fn parse(query: &str) -> Self {
        let mut parsed = RequestQuery {
            page: 1,
            ..RequestQuery::default()
        };
        // A repeated field: the last one wins, as for a form's own fields.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "status" => parsed.status = status(value),
                "method" => parsed.method = method(value),
                "token" => parsed.token_id = Uuid::parse_str(value).ok(),
                "from" => parsed.from = date(value),
                "to" => parsed.to = date(value),
                "page" => parsed.page = value.parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE),
                _ => {}
            }
        }
        parsed
    }

    /// The filters as the query runs them: whole days in the viewer's time
    /// zone, `to` included.
    pub fn filter(&self, zone: Zone) -> RequestFilter {
        let start = |d: NaiveDate| zone.start_of(d);
        RequestFilter {
            status: self.status,
            method: self.method.clone(),
            token_id: self.token_id,
            from: self.from.and_then(start),
            until: self
                .to
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .and_then(start),
        }
    }

    pub fn is_filtered(&self) -> bool {
        self.filter(Zone::UTC) != RequestFilter::default()
    }

    /// A query string for these filters (and `page` when given), starting
    /// with `?`, or empty when there is nothing to say.
    pub fn query_string(&self, page: Option<i64>) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = self.status {
            out.append_pair("status", status_value(s));
        }
        if let Some(m) = &self.method {
            out.append_pair("method", m);
        }
        if let Some(t) = self.token_id {
            out.append_pair("token", &t.to_string());
        }
        if let Some(d) = self.from {
            out.append_pair("from", &d.to_string());
        }
        if let Some(d) = self.to {
            out.append_pair("to", &d.to_string());
        }
        if let Some(page) = page {
            out.append_pair("page", &page.to_string());
        }
        let query = out.finish();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }
}

/// The oldest moment the log shows.
pub fn since(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_sub_days(Days::new(LOG_DAYS)).unwrap_or(now)
}

pub fn status_value(s: StatusFilter) -> &'static str {
    match s {
        StatusFilter::Unauthorized => "401",
        StatusFilter::ClientError => "4xx",
    }
}

fn status(raw: &str) -> Option<StatusFilter> {
    match raw.to_ascii_lowercase().as_str() {
        "401" => Some(StatusFilter::Unauthorized),
        "4xx" => Some(StatusFilter::ClientError),
        _ => None,
    }
}

/// An HTTP method name, as the log records it (upper case).
fn method(raw: &str) -> Option<String> {
    (!raw.is_empty() && raw.len() <= 16 && raw.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| raw.to_ascii_uppercase())
}

/// `YYYY-MM-DD`, in the years a log can hold.
fn date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| (1970..=9999).contains(&chrono::Datelike::year(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_values_ignored() {
        let id = Uuid::new_v4();
        let q = RequestQuery::parse(&format!(
            "status=4XX&method=post&token={id}&from=2026-11-01&to=2026-11-30&page=2"
        ));
        assert_eq!(q.status, Some(StatusFilter::ClientError));
        assert_eq!(q.method.as_deref(), Some("POST"));
        assert_eq!(q.token_id, Some(id));
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(q.page, 2);
        let f = q.filter(Zone::UTC);
        assert_eq!(
            f.until.map(|t| t.to_rfc3339()),
            Some("2026-12-01T00:00:00+00:00".to_string()),
            "the last day is included"
        );

        let bad = RequestQuery::parse(
            "status=500&method=GE%20T&token=nope&from=2026-13-01&to=yesterday&page=-1",
        );
        assert_eq!(bad.filter(Zone::UTC), RequestFilter::default());
        assert_eq!(bad.page, 1);
        assert!(!bad.is_filtered());
        assert_eq!(RequestQuery::parse("from=+262143-01-01").from, None);
    }

    #[test]
    fn links_keep_the_filters() {
        let q = RequestQuery::parse("status=401&method=GET&from=2026-11-02");
        assert_eq!(
            q.query_string(Some(3)),
            "?status=401&method=GET&from=2026-11-02&page=3"
        );
        assert_eq!(RequestQuery::parse("").query_string(None), "");
    }
}
