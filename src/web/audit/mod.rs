//! The audit log: every change the account saw, newest first, narrowed by
//! integration, actor or action, as a page and as a CSV export with the
//! same filters. Every signed-in role may read it; it shows only the
//! account's own events.

mod export;
mod page;
pub mod words;

use actix_web::web;
use uuid::Uuid;

use crate::domain::email;
use crate::models::audit_event::AuditFilter;
use crate::web::urls::Urls;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(Urls.audit_log(), web::get().to(page::show))
        .route(Urls.audit_log_csv(), web::get().to(export::csv));
}

/// The log's query string: filters, and a page on the page. A value that
/// cannot be a filter (not an id, not an action name, a NUL) is ignored
/// rather than refused: the log is read, never changed, through it.
#[derive(Debug, Default)]
struct LogQuery {
    filter: AuditFilter,
    /// 1-based; a page past the end shows the last one.
    page: i64,
}

/// Pages beyond this are not a number anyone pages to.
const MAX_PAGE: i64 = 1_000_000;

impl LogQuery {
    fn parse(query: &str) -> Self {
        let mut parsed = LogQuery {
            page: 1,
            ..LogQuery::default()
        };
        // A repeated field: the last one wins, as for a form's own fields.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "integration" => parsed.filter.integration_id = Uuid::parse_str(value.trim()).ok(),
                "actor" => parsed.filter.actor_email = actor(&value),
                "action" => parsed.filter.action = action(&value),
                "page" => {
                    parsed.page = value.trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
                }
                _ => {}
            }
        }
        parsed
    }

    /// A query string for these filters (and `page` when given), starting
    /// with `?`, or empty when there is nothing to say.
    fn query_string(&self, page: Option<i64>) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(id) = self.filter.integration_id {
            out.append_pair("integration", &id.to_string());
        }
        if let Some(actor) = &self.filter.actor_email {
            out.append_pair("actor", actor);
        }
        if let Some(action) = &self.filter.action {
            out.append_pair("action", action);
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

/// An actor filter: an email as stored (trimmed, lower-cased).
fn actor(raw: &str) -> Option<String> {
    let value = email::normalize(raw);
    (!value.is_empty() && value.len() <= 254 && !value.chars().any(char::is_control))
        .then_some(value)
}

/// An action filter: a dotted name such as `token.rotated`.
fn action(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
    .then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_values_ignored() {
        let id = Uuid::new_v4();
        let q = LogQuery::parse(&format!(
            "integration={id}&actor=+Ada%40Example.com+&action=token.rotated&page=3"
        ));
        assert_eq!(q.filter.integration_id, Some(id));
        assert_eq!(q.filter.actor_email.as_deref(), Some("ada@example.com"));
        assert_eq!(q.filter.action.as_deref(), Some("token.rotated"));
        assert_eq!(q.page, 3);

        let bad = LogQuery::parse("integration=nope&actor=a%00b&action=DROP+TABLE&page=-4");
        assert_eq!(bad.filter, AuditFilter::default());
        assert_eq!(bad.page, 1);
        assert_eq!(LogQuery::parse("page=99999999999999999999").page, 1);
        assert_eq!(LogQuery::parse("page=5000000").page, MAX_PAGE);
    }

    #[test]
    fn links_keep_the_filters() {
        let q = LogQuery::parse("actor=a%2Bb%40x.test&action=user.login");
        assert_eq!(
            q.query_string(Some(2)),
            "?actor=a%2Bb%40x.test&action=user.login&page=2"
        );
        assert_eq!(LogQuery::parse("").query_string(None), "");
    }
}
