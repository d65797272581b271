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
use crate::web::forms::shown_again;
use crate::web::paging::{PAGE_ERROR, page_number};
use crate::web::urls::Urls;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(Urls.audit_log(), web::get().to(page::show))
        .route(Urls.audit_log_csv(), web::get().to(export::csv));
}

/// The log's query string: filters, and a page on the page. An empty field
/// is no filter; a value that cannot be one (not an id, not an action name,
/// a NUL, a page past any sane range) is an error on its field (SPEC §7:
/// 422, in forms too), never dropped in favour of the whole log.
#[derive(Debug, Default)]
struct LogQuery {
    filter: AuditFilter,
    /// 1-based; a page past the end shows the last one.
    page: i64,
    /// The actor as typed, shown again beside its error.
    actor_input: String,
    /// Each field's error, in the order found.
    errors: Vec<(&'static str, &'static str)>,
}

impl LogQuery {
    fn parse(query: &str) -> Self {
        let mut parsed = LogQuery {
            page: 1,
            ..LogQuery::default()
        };
        // A repeated field: the last one wins, as for a form's own fields.
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let Some(field) = ["integration", "actor", "action", "page"]
                .into_iter()
                .find(|f| *f == key)
            else {
                continue;
            };
            parsed.errors.retain(|(f, _)| *f != field);
            if field == "actor" {
                parsed.actor_input = shown_again(value.trim());
            }
            if field != "page" && value.trim().is_empty() {
                continue;
            }
            let refused = match field {
                "integration" => Uuid::parse_str(value.trim())
                    .map(|id| parsed.filter.integration_id = Some(id))
                    .map_err(|_| "Choose one of the account's integrations."),
                "actor" => actor(&value)
                    .map(|a| parsed.filter.actor_email = Some(a))
                    .ok_or(
                        "Enter an email address (at most 254 characters, no control characters).",
                    ),
                "action" => action(&value)
                    .map(|a| parsed.filter.action = Some(a))
                    .ok_or("Choose an action."),
                _ => page_number(&value)
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
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
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

/// An action filter: one of the actions the log records.
fn action(raw: &str) -> Option<String> {
    let value = raw.trim();
    words::ACTIONS.contains(&value).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_values_refused() {
        let id = Uuid::new_v4();
        let q = LogQuery::parse(&format!(
            "integration={id}&actor=+Ada%40Example.com+&action=token.rotated&page=3"
        ));
        assert!(q.errors.is_empty(), "{:?}", q.errors);
        assert_eq!(q.filter.integration_id, Some(id));
        assert_eq!(q.filter.actor_email.as_deref(), Some("ada@example.com"));
        assert_eq!(q.filter.action.as_deref(), Some("token.rotated"));
        assert_eq!(q.page, 3);

        let bad = LogQuery::parse(
            "integration=nope&actor=a%00b&action=DROP+TABLE&page=99999999999999999999",
        );
        assert_eq!(bad.filter, AuditFilter::default());
        let fields: Vec<&str> = bad.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["integration", "actor", "action", "page"]);
        assert_eq!(bad.actor_input, "a\u{FFFD}b", "kept, without the NUL");
        let empty = LogQuery::parse("page=&integration=&action=");
        assert!(empty.errors.is_empty());
        assert_eq!(empty.page, 1);
        assert_eq!(LogQuery::parse("page=-4").errors, [("page", PAGE_ERROR)]);
        assert_eq!(
            LogQuery::parse("action=token.xyz").errors.len(),
            1,
            "not an action"
        );
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
