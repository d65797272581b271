//! The request log of one integration: its `api_requests` rows of the last
//! 30 days, narrowed by status, method, token and date, in a stable order
//! (newest first, ties broken by id) for paging and for keyset exports.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::api_requests;

/// What the status filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly 401: refused tokens.
    Unauthorized,
    /// Any client error, 400–499.
    ClientError,
}

/// The log's filters; `None` keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    pub status: Option<StatusFilter>,
    /// Upper-case, as recorded.
    pub method: Option<String>,
    pub token_id: Option<Uuid>,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub until: Option<DateTime<Utc>>,
}

/// One logged request.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_requests, check_for_backend(diesel::pg::Pg))]
pub struct LoggedRequest {
    pub id: i64,
    pub method: String,
    /// The route pattern; never a query string.
    pub route: String,
    pub status: i16,
    pub duration_ms: i32,
    pub ip: String,
    pub token_id: Option<Uuid>,
    /// `used`, `invalid_token`, `ip_not_allowed` or `rate_limited`.
    pub outcome: String,
    pub created_at: DateTime<Utc>,
}

/// Where an export chunk ends; the next one starts after it.
#[derive(Debug, Clone, Copy)]
pub struct RequestCursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

impl LoggedRequest {
    pub fn cursor(&self) -> RequestCursor {
        RequestCursor {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

type Filtered<'a> = api_requests::BoxedQuery<'a, Pg>;

/// The integration's requests since `since` narrowed by `filter`. The
/// account is in the query too, so a stray integration id reads nothing.
fn filtered<'a>(
    account_id: Uuid,
    integration_id: Uuid,
    since: DateTime<Utc>,
    filter: &RequestFilter,
) -> Filtered<'a> {
    let mut query = api_requests::table
        .filter(api_requests::account_id.eq(account_id))
        .filter(api_requests::integration_id.eq(integration_id))
        .filter(api_requests::created_at.ge(since))
        .into_boxed();
    match filter.status {
        Some(StatusFilter::Unauthorized) => query = query.filter(api_requests::status.eq(401)),
        Some(StatusFilter::ClientError) => {
            query = query.filter(api_requests::status.between(400, 499));
        }
        None => {}
    }
    if let Some(method) = &filter.method {
        query = query.filter(api_requests::method.eq(method.clone()));
    }
    if let Some(token) = filter.token_id {
        query = query.filter(api_requests::token_id.eq(token));
    }
    if let Some(from) = filter.from {
        query = query.filter(api_requests::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(api_requests::created_at.lt(until));
    }
    query
}

/// Page `page` (1-based) of `per_page` rows, newest first, and how many
/// rows match in all.
pub fn page(
    conn: &mut PgConnection,
    account_id: Uuid,
    integration_id: Uuid,
    since: DateTime<Utc>,
    filter: &RequestFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<LoggedRequest>, i64)> {
    let total = filtered(account_id, integration_id, since, filter)
        .count()
        .get_result(conn)?;
    let rows = filtered(account_id, integration_id, since, filter)
        .order((api_requests::created_at.desc(), api_requests::id.desc()))
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .select(LoggedRequest::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Up to `limit` rows after `after` in the log's order (from the newest
/// when `None`).
pub fn chunk(
    conn: &mut PgConnection,
    account_id: Uuid,
    integration_id: Uuid,
    since: DateTime<Utc>,
    filter: &RequestFilter,
    after: Option<RequestCursor>,
    limit: i64,
) -> QueryResult<Vec<LoggedRequest>> {
    let mut query = filtered(account_id, integration_id, since, filter);
    if let Some(c) = after {
        query = query.filter(
            api_requests::created_at
                .lt(c.created_at)
                .or(api_requests::created_at
                    .eq(c.created_at)
                    .and(api_requests::id.lt(c.id))),
        );
    }
    query
        .order((api_requests::created_at.desc(), api_requests::id.desc()))
        .limit(limit)
        .select(LoggedRequest::as_select())
        .load(conn)
}
