//! Reading what the usage worker wrote: recent requests, per-day counts and
//! the scopes an integration actually used.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{api_requests, usage_daily};

/// What authentication made of a request (`api_requests.outcome`). Only a
/// use moves the token's last use; a refusal is recorded and nothing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outcome {
    /// The token was live, allowed from this address and within its rate
    /// limit. A 403 for a missing scope is still a use.
    #[default]
    Used,
    /// Unknown, revoked, expired or inactive.
    InvalidToken,
    IpNotAllowed,
    RateLimited,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Used => "used",
            Outcome::InvalidToken => "invalid_token",
            Outcome::IpNotAllowed => "ip_not_allowed",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_requests, check_for_backend(diesel::pg::Pg))]
pub struct ApiRequest {
    pub method: String,
    /// The route pattern; never a query string.
    pub route: String,
    pub status: i16,
    pub duration_ms: i32,
    pub ip: String,
    pub token_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub fn recent_requests(
    conn: &mut PgConnection,
    integration_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<ApiRequest>> {
    api_requests::table
        .filter(api_requests::integration_id.eq(integration_id))
        .order((api_requests::created_at.desc(), api_requests::id.desc()))
        .limit(limit)
        .select(ApiRequest::as_select())
        .load(conn)
}

/// `(day, requests, errors)` from `from` on, oldest first; days without
/// requests are absent.
pub fn daily(
    conn: &mut PgConnection,
    integration_id: Uuid,
    from: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i64, i64)>> {
    usage_daily::table
        .filter(usage_daily::integration_id.eq(integration_id))
        .filter(usage_daily::day.ge(from))
        .order(usage_daily::day.asc())
        .select((usage_daily::day, usage_daily::requests, usage_daily::errors))
        .load(conn)
}

/// Scope names the integration's requests passed since `since` — what it
/// really needs, for trimming it to least privilege.
pub fn used_scopes(
    conn: &mut PgConnection,
    integration_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    api_requests::table
        .filter(api_requests::integration_id.eq(integration_id))
        .filter(api_requests::created_at.ge(since))
        .filter(api_requests::status.lt(400))
        .filter(api_requests::scope.is_not_null())
        .select(api_requests::scope.assume_not_null())
        .distinct()
        .load(conn)
}
