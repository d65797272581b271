//! The audit log as CSV, with the page's filters. It is streamed: rows are
//! read in keyset chunks and sent as they are read, so an account with a
//! hundred thousand events costs one chunk of memory, not one huge string.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::LogQuery;
use super::words::describe;
use crate::auth::CurrentUser;
use crate::db::{self, DbError, DbPool};
use crate::errors::WebError;
use crate::models::audit_event::{AuditEvent, AuditFilter, Cursor, EventRow};
use crate::state::AppState;
use crate::web::csv::{self, CHUNK};
use crate::web::when;

pub(super) async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let query = LogQuery::parse(req.query_string());
    if !query.errors.is_empty() {
        // The page says which filter could not be read (422).
        return super::page::show(req, state, current).await;
    }
    let events = Events {
        pool: state.pool.clone(),
        account_id: current.account.id,
        filter: query.filter,
    };
    csv::download(events, "audit-log.csv").await
}

struct Events {
    pool: DbPool,
    account_id: Uuid,
    filter: AuditFilter,
}

impl csv::Source for Events {
    type Row = EventRow;
    type Cursor = Cursor;
    const HEADER: &'static [&'static str] =
        &["time", "action", "description", "actor", "target", "ip"];
    const WHAT: &'static str = "audit log";

    async fn fetch(&self, after: Option<Cursor>) -> Result<Vec<EventRow>, DbError> {
        let (account_id, filter) = (self.account_id, self.filter.clone());
        db::query(&self.pool, move |conn| {
            AuditEvent::chunk_for_account(conn, account_id, &filter, after, CHUNK)
        })
        .await
    }

    fn cursor((event, _): &EventRow) -> Cursor {
        event.cursor()
    }

    fn line(&self, (event, _): &EventRow) -> String {
        line(event)
    }
}

fn line(event: &AuditEvent) -> String {
    let words = describe(&event.action, event.target_label.as_deref(), &event.details).plain();
    let time = when::iso(event.created_at);
    csv::record([
        time.as_str(),
        event.action.as_str(),
        words.as_str(),
        event.actor_email.as_deref().unwrap_or(""),
        event.target_label.as_deref().unwrap_or(""),
        event.ip.as_deref().unwrap_or(""),
    ])
}
