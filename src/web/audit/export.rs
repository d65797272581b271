//! The audit log as CSV, with the page's filters. It is streamed: rows are
//! read in keyset chunks and sent as they are read, so an account with a
//! hundred thousand events costs one chunk of memory, not one huge string.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::LogQuery;
use super::words::describe;
use crate::auth::CurrentUser;
use crate::db::{self, DbError, DbPool};
use crate::errors::WebError;
use crate::models::audit_event::{AuditEvent, AuditFilter, Cursor, EventRow};
use crate::state::AppState;
use crate::web::csv;
use crate::web::when;

/// Rows read per query, and so per chunk sent.
const CHUNK: i64 = 500;

const HEADER: [&str; 6] = ["time", "action", "description", "actor", "target", "ip"];

pub(super) async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let mut export = Export {
        pool: state.pool.clone(),
        account_id: current.account.id,
        filter: LogQuery::parse(req.query_string()).filter,
        after: None,
        header: true,
        done: false,
        pending: None,
    };
    // The first chunk is read before answering, so that a database that
    // cannot be reached still gets its 503 page rather than a cut-off file.
    export.pending = Some(export.fetch().await?);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename("audit-log.csv".into())],
            },
        ))
        .streaming(futures_util::stream::unfold(export, Export::next_chunk)))
}

struct Export {
    pool: DbPool,
    account_id: Uuid,
    filter: AuditFilter,
    /// The last row sent; the next chunk starts after it.
    after: Option<Cursor>,
    header: bool,
    done: bool,
    /// Rows read but not yet sent.
    pending: Option<Vec<EventRow>>,
}

impl Export {
    async fn fetch(&self) -> Result<Vec<EventRow>, DbError> {
        let (account_id, filter, after) = (self.account_id, self.filter.clone(), self.after);
        db::query(&self.pool, move |conn| {
            AuditEvent::chunk_for_account(conn, account_id, &filter, after, CHUNK)
        })
        .await
    }

    async fn next_chunk(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        if self.done {
            return None;
        }
        let rows = match self.pending.take() {
            Some(rows) => rows,
            None => match self.fetch().await {
                Ok(rows) => rows,
                Err(e) => {
                    // The status line is long gone: all that is left is to
                    // cut the file short, which the client sees as an error.
                    tracing::error!(error = %e, "audit log export stopped");
                    self.done = true;
                    return Some((Err(actix_web::error::ErrorServiceUnavailable(e)), self));
                }
            },
        };
        if rows.len() < usize::try_from(CHUNK).unwrap_or(usize::MAX) {
            self.done = true;
        }
        if rows.is_empty() && !self.header {
            return None;
        }
        let mut text = String::new();
        if self.header {
            text.push_str(&csv::record(HEADER));
            self.header = false;
        }
        for (event, _) in &rows {
            text.push_str(&line(event));
        }
        self.after = rows.last().map(|(event, _)| event.cursor());
        Some((Ok(Bytes::from(text)), self))
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
