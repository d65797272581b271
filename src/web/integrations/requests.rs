//! An integration's request log: its API requests of the last 30 days,
//! newest first, 50 a page, filtered by status, method, token and date, and
//! the same rows as a streamed CSV.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::request_query::{LOG_DAYS, RequestQuery, since, status_value};
use crate::auth::CurrentUser;
use crate::db::{self, DbError, DbPool};
use crate::errors::WebError;
use crate::models::request_log::{self, LoggedRequest, RequestCursor, RequestFilter, StatusFilter};
use crate::models::{AccessToken, Integration};
use crate::state::AppState;
use crate::web::csv::{self, CHUNK};
use crate::web::layout::{Layout, Section};
use crate::web::paging::read_status;
use crate::web::render;
use crate::web::urls::Urls;
use crate::web::when::{self, When, Zone};

/// Requests per page.
pub const PER_PAGE: i64 = 50;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Row {
    when: When,
    method: String,
    route: String,
    status: i16,
    status_class: &'static str,
    token: String,
    ip: String,
    ms: i32,
    outcome: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "integrations/requests.html")]
struct RequestsPage {
    layout: Layout,
    id: Uuid,
    name: String,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    methods: Vec<Choice>,
    tokens: Vec<Choice>,
    /// The filters as read, with the dates as typed and each field's error.
    query: RequestQuery,
    filtered: bool,
    log_days: u64,
    page: i64,
    pages: i64,
    total: i64,
    prev_href: String,
    next_href: String,
    csv_href: String,
}

/// `pit_…abcd` for each of the integration's tokens, live or not.
fn labels(tokens: &[AccessToken]) -> HashMap<Uuid, String> {
    tokens.iter().map(|t| (t.id, t.masked())).collect()
}

fn token_label(labels: &HashMap<Uuid, String>, id: Option<Uuid>) -> String {
    id.and_then(|t| labels.get(&t).cloned()).unwrap_or_default()
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let query = RequestQuery::parse(req.query_string());
    log_page(&req, &state, &current, path.into_inner(), query).await
}

/// The log's page for `query`; with a value that cannot be a filter, the
/// form again with its errors (422) and no rows rather than rows the reader
/// would take for filtered.
async fn log_page(
    req: &HttpRequest,
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    query: RequestQuery,
) -> Result<HttpResponse, WebError> {
    let account_id = current.account.id;
    let filter = query.filter(Zone::of(req));
    let asked = query.page;
    let refused = !query.errors.is_empty();
    let now = Utc::now();
    let zone = Zone::of(req);
    let (integration, tokens, rows, total, page) = db::query(&state.pool, move |conn| {
        let integration = Integration::find_for_account(conn, account_id, id)?;
        let tokens = AccessToken::all_for_integrations(conn, &[id])?;
        if refused {
            return Ok((integration, tokens, Vec::new(), 0, 1));
        }
        let from = since(now);
        let (mut rows, total) =
            request_log::page(conn, account_id, id, from, &filter, asked, PER_PAGE)?;
        let page = asked.min(pages_for(total));
        if page != asked {
            rows = request_log::page(conn, account_id, id, from, &filter, page, PER_PAGE)?.0;
        }
        Ok((integration, tokens, rows, total, page))
    })
    .await?;
    let names = labels(&tokens);
    let pages = pages_for(total);
    let href = |page: i64| {
        format!(
            "{}{}",
            Urls.requests(&id),
            query.query_string((page > 1).then_some(page))
        )
    };
    let view = RequestsPage {
        layout: Layout::new(
            req,
            format!("Requests — {}", integration.name),
            Section::Integrations,
        ),
        id,
        name: integration.name,
        rows: rows
            .into_iter()
            .map(|r| Row {
                when: zone.when(r.created_at, now),
                status_class: match r.status {
                    200..=399 => "badge badge-success",
                    429 => "badge badge-warning",
                    _ => "badge badge-danger",
                },
                token: token_label(&names, r.token_id),
                method: r.method,
                route: r.route,
                status: r.status,
                ip: r.ip,
                ms: r.duration_ms,
                outcome: r.outcome,
            })
            .collect(),
        statuses: [StatusFilter::Unauthorized, StatusFilter::ClientError]
            .into_iter()
            .map(|s| Choice {
                value: status_value(s).to_string(),
                label: match s {
                    StatusFilter::Unauthorized => "401 (refused token)".to_string(),
                    StatusFilter::ClientError => "Any 4xx".to_string(),
                },
                selected: query.status == Some(s),
            })
            .collect(),
        methods: METHODS
            .iter()
            .map(|m| Choice {
                value: (*m).to_string(),
                label: (*m).to_string(),
                selected: query.method.as_deref() == Some(*m),
            })
            .collect(),
        tokens: tokens
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.masked(),
                selected: query.token_id == Some(t.id),
            })
            .collect(),
        filtered: query.is_filtered() || refused,
        log_days: LOG_DAYS,
        page,
        pages,
        total,
        prev_href: href(page - 1),
        next_href: href(page + 1),
        csv_href: format!("{}{}", Urls.requests_csv(&id), query.query_string(None)),
        query,
    };
    render(read_status(!refused), &view)
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}

pub(super) async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let query = RequestQuery::parse(req.query_string());
    if !query.errors.is_empty() {
        return log_page(&req, &state, &current, id, query).await;
    }
    let account_id = current.account.id;
    let now = Utc::now();
    let tokens = db::query(&state.pool, move |conn| {
        Integration::find_for_account(conn, account_id, id)?;
        AccessToken::all_for_integrations(conn, &[id])
    })
    .await?;
    let requests = Requests {
        pool: state.pool.clone(),
        account_id,
        integration_id: id,
        since: since(now),
        filter: query.filter(Zone::of(&req)),
        labels: labels(&tokens),
    };
    csv::download(requests, "requests.csv").await
}

struct Requests {
    pool: DbPool,
    account_id: Uuid,
    integration_id: Uuid,
    /// Fixed when the export starts, so every chunk reads the same window.
    since: DateTime<Utc>,
    filter: RequestFilter,
    labels: HashMap<Uuid, String>,
}

impl csv::Source for Requests {
    type Row = LoggedRequest;
    type Cursor = RequestCursor;
    const HEADER: &'static [&'static str] = &[
        "time",
        "method",
        "route",
        "status",
        "token",
        "ip",
        "duration_ms",
        "outcome",
    ];
    const WHAT: &'static str = "request log";

    async fn fetch(&self, after: Option<RequestCursor>) -> Result<Vec<LoggedRequest>, DbError> {
        let (account_id, integration_id, since) =
            (self.account_id, self.integration_id, self.since);
        let filter = self.filter.clone();
        db::query(&self.pool, move |conn| {
            request_log::chunk(
                conn,
                account_id,
                integration_id,
                since,
                &filter,
                after,
                CHUNK,
            )
        })
        .await
    }

    fn cursor(row: &LoggedRequest) -> RequestCursor {
        row.cursor()
    }

    fn line(&self, row: &LoggedRequest) -> String {
        line(row, &self.labels)
    }
}

fn line(r: &LoggedRequest, labels: &HashMap<Uuid, String>) -> String {
    let (time, status, ms) = (
        when::iso(r.created_at),
        r.status.to_string(),
        r.duration_ms.to_string(),
    );
    let token = token_label(labels, r.token_id);
    csv::record([
        time.as_str(),
        r.method.as_str(),
        r.route.as_str(),
        status.as_str(),
        token.as_str(),
        r.ip.as_str(),
        ms.as_str(),
        r.outcome.as_str(),
    ])
}
