//! The request log's query string: filters `status` (`401` or `4xx`),
//! `method`, `token`, `from` and `to` (dates, inclusive), and `page`. An
//! empty field is no filter; a value that cannot be one (a NUL, a date that
//! is not `YYYY-MM-DD` in years 0001–9999, a page past any sane range) is an
//! error on its field (SPEC §7: 422, in forms too), never silently dropped,
//! so nobody reads an unfiltered log believing it filtered.

use chrono::{DateTime, Days, NaiveDate, Utc};
use uuid::Uuid;

use crate::models::request_log::{RequestFilter, StatusFilter};
use crate::web::forms::shown_again;
use crate::web::paging::{PAGE_ERROR, page_number};
use crate::web::when::Zone;

/// How far back the log reaches: the usage log keeps 30 days.
pub const LOG_DAYS: u64 = 30;

#[derive(Debug, Default)]
pub struct RequestQuery {
    pub status: Option<StatusFilter>,
    pub method: Option<String>,
    pub token_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 1-based; a page past the end shows the last one.
    pub page: i64,
    /// The dates as typed, shown again beside their errors.
    pub from_input: String,
    pub to_input: String,
    /// Each field's error, in the order found.
    pub errors: Vec<(&'static str, &'static str)>,
}

const DATE_ERROR: &str = "Enter a date as YYYY-MM-DD, in years 0001 to 9999.";

impl RequestQuery {
    pub fn parse(query: &str) -> Self {
        let mut parsed = RequestQuery {
            page: 1,
            ..RequestQuery::default()
        };
        // A repeated field: the last one wins, as for a form's own fields.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            let Some(field) = ["status", "method", "token", "from", "to", "page"]
                .into_iter()
                .find(|f| *f == key)
            else {
                continue;
            };
            parsed.errors.retain(|(f, _)| *f != field);
            match field {
                "from" => parsed.from_input = shown_again(value),
                "to" => parsed.to_input = shown_again(value),
                _ => {}
            }
            if value.is_empty() {
                continue;
            }
            if value.contains('\0') {
                parsed
                    .errors
                    .push((field, "This field cannot hold a NUL character."));
                continue;
            }
            let refused = match field {
                "status" => status(value)
                    .map(|v| parsed.status = Some(v))
                    .map_err(|()| "Choose 401 or 4xx."),
                "method" => method(value)
                    .map(|v| parsed.method = Some(v))
                    .map_err(|()| "Choose a method."),
                "token" => Uuid::parse_str(value)
                    .map(|id| parsed.token_id = Some(id))
                    .map_err(|_| "Choose one of this integration's tokens."),
                "from" => date(value)
                    .map(|d| parsed.from = Some(d))
                    .map_err(|()| DATE_ERROR),
                "to" => date(value)
                    .map(|d| parsed.to = Some(d))
                    .map_err(|()| DATE_ERROR),
                _ => page_number(value)
                    .map(|p| parsed.page = p)
                    .ok_or(PAGE_ERROR),
            };
            if let Err(message) = refused {
                parsed.errors.push((field, message));
            }
        }
        parsed
    }

    /// The error of `field`, if its value could not be read.
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
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

fn status(raw: &str) -> Result<StatusFilter, ()> {
    match raw.to_ascii_lowercase().as_str() {
        "401" => Ok(StatusFilter::Unauthorized),
        "4xx" => Ok(StatusFilter::ClientError),
        _ => Err(()),
    }
}

/// HTTP's methods: what the log can hold (a method a path does not serve
/// is recorded too, with its 405).
const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// An HTTP method name, as the log records it (upper case).
fn method(raw: &str) -> Result<String, ()> {
    let upper = raw.to_ascii_uppercase();
    HTTP_METHODS
        .contains(&upper.as_str())
        .then_some(upper)
        .ok_or(())
}

/// `YYYY-MM-DD`, years 0001 to 9999.
fn date(raw: &str) -> Result<NaiveDate, ()> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && (1..=9999).contains(&chrono::Datelike::year(d)))
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_values_refused() {
        let id = Uuid::new_v4();
        let q = RequestQuery::parse(&format!(
            "status=4XX&method=post&token={id}&from=2026-11-01&to=2026-11-30&page=2"
        ));
        assert!(q.errors.is_empty(), "{:?}", q.errors);
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
            "status=500&method=GE%20T&token=nope&from=2026-13-01&to=yesterday&page=99999999999999999999",
        );
        let fields: Vec<&str> = bad.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["status", "method", "token", "from", "to", "page"]);
        assert_eq!(bad.from_input, "2026-13-01", "kept as typed");
        for query in [
            "from=0000-01-01",
            "to=10000-01-01",
            "from=%2B262143-01-01",
            "status=%00",
            "page=1000001",
        ] {
            assert_eq!(RequestQuery::parse(query).errors.len(), 1, "{query}");
        }
        let early = RequestQuery::parse("from=0001-01-01&page=&status=");
        assert!(early.errors.is_empty(), "{:?}", early.errors);
        assert_eq!(early.page, 1);
        assert!(early.status.is_none());
        assert_eq!(RequestQuery::parse("page=-1").errors.len(), 1);
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
