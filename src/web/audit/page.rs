//! The audit log page: one table row per event, newest first, 50 a page,
//! with the filter form and a link to the same rows as CSV.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use uuid::Uuid;

use super::LogQuery;
use super::words::{ACTIONS, Words, describe};
use crate::auth::CurrentUser;
use crate::db;
use crate::errors::WebError;
use crate::models::audit_event::{AuditEvent, EventRow};
use crate::models::{Integration, User};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::paging::read_status;
use crate::web::render;
use crate::web::urls::Urls;
use crate::web::when::{When, Zone};

/// Events per page.
pub const PER_PAGE: i64 = 50;

struct Row {
    action: String,
    words: Words,
    /// `None` for what the system did (the inactivity sweep, an alert).
    actor: Option<String>,
    target: Option<String>,
    /// The integration's page, while it exists.
    target_href: Option<String>,
    ip: String,
    when: When,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
struct LogPage {
    layout: Layout,
    rows: Vec<Row>,
    integrations: Vec<Choice>,
    actions: Vec<Choice>,
    actor: String,
    /// The account's users, offered for the actor filter.
    emails: Vec<String>,
    filtered: bool,
    page: i64,
    pages: i64,
    total: i64,
    prev_href: String,
    next_href: String,
    csv_href: String,
    /// The filters as read, with each field's error.
    query: LogQuery,
}

fn row((event, live_integration): EventRow, now: chrono::DateTime<Utc>, zone: Zone) -> Row {
    let target_href = live_integration.map(|id| Urls.integration(&id));
    Row {
        words: describe(&event.action, event.target_label.as_deref(), &event.details),
        action: event.action,
        actor: event.actor_email,
        target: event.target_label,
        target_href,
        ip: event.ip.unwrap_or_default(),
        when: zone.when(event.created_at, now),
    }
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let query = LogQuery::parse(req.query_string());
    let account_id = current.account.id;
    let filter = query.filter.clone();
    let asked = query.page;
    // A value no filter can take: the form again with its errors, and no
    // events the reader would take for filtered.
    let refused = !query.errors.is_empty();
    let (events, total, page, integrations, users) = db::query(&state.pool, move |conn| {
        let integrations = Integration::all_names_for_account(conn, account_id)?;
        let users = User::of_account(conn, account_id)?;
        if refused {
            return Ok((Vec::new(), 0, 1, integrations, users));
        }
        let (mut events, total) =
            AuditEvent::page_for_account(conn, account_id, &filter, asked, PER_PAGE)?;
        let page = asked.min(pages_for(total));
        if page != asked {
            events = AuditEvent::page_for_account(conn, account_id, &filter, page, PER_PAGE)?.0;
        }
        Ok((events, total, page, integrations, users))
    })
    .await?;
    let now = Utc::now();
    let zone = Zone::of(&req);
    let pages = pages_for(total);
    let href = |page: i64| {
        format!(
            "{}{}",
            Urls.audit_log(),
            query.query_string((page > 1).then_some(page))
        )
    };
    let chosen = query.filter.integration_id;
    let actions: Vec<Choice> = ACTIONS
        .iter()
        .map(|&name| Choice {
            value: name.to_string(),
            label: name.to_string(),
            selected: query.filter.action.as_deref() == Some(name),
        })
        .collect();
    let page_view = LogPage {
        layout: Layout::new(&req, "Audit log", Section::AuditLog),
        rows: events.into_iter().map(|e| row(e, now, zone)).collect(),
        integrations: integrations
            .into_iter()
            .map(|(id, name, deleted)| integration_choice(id, name, deleted, chosen))
            .collect(),
        actions,
        actor: query
            .filter
            .actor_email
            .clone()
            .unwrap_or_else(|| query.actor_input.clone()),
        emails: users.into_iter().map(|u| u.email).collect(),
        filtered: query.filter != Default::default() || refused,
        page,
        pages,
        total,
        prev_href: href(page - 1),
        next_href: href(page + 1),
        csv_href: format!("{}{}", Urls.audit_log_csv(), query.query_string(None)),
        query,
    };
    render(read_status(!refused), &page_view)
}

fn integration_choice(id: Uuid, name: String, deleted: bool, chosen: Option<Uuid>) -> Choice {
    Choice {
        value: id.to_string(),
        label: if deleted {
            format!("{name} (deleted)")
        } else {
            name
        },
        selected: chosen == Some(id),
    }
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}
