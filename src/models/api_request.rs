//! Reading what the usage worker wrote: recent requests, per-day counts and
//! the scopes an integration actually used.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

use crate::db::schema::{
    api_requests, integration_addresses, usage_daily, usage_quarter_hours, usage_scopes,
};

diesel::define_sql_function!(fn greatest(a: diesel::sql_types::Timestamptz, b: diesel::sql_types::Timestamptz) -> diesel::sql_types::Timestamptz);

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

/// Requests, and how many of them failed (status 400 and above).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub requests: i64,
    pub errors: i64,
}

impl Counts {
    pub fn add(&mut self, status: u16) {
        self.requests += 1;
        self.errors += i64::from(status >= 400);
    }
}

/// The integration's requests and errors per quarter hour from `from` on,
/// oldest first: the usage chart adds them up into the days of its
/// reader's time zone.
pub fn quarter_hours(
    conn: &mut PgConnection,
    integration_id: Uuid,
    from: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, i64, i64)>> {
    usage_quarter_hours::table
        .filter(usage_quarter_hours::integration_id.eq(integration_id))
        .filter(usage_quarter_hours::starts_at.ge(from))
        .order(usage_quarter_hours::starts_at.asc())
        .select((
            usage_quarter_hours::starts_at,
            usage_quarter_hours::requests,
            usage_quarter_hours::errors,
        ))
        .load(conn)
}

/// Scope names the integration's requests passed from `since`'s day on —
/// what it really needs, for trimming it to least privilege. Read from
/// the per-day notes the usage writer keeps ([`note_used_scopes`]), so the
/// cost does not grow with the number of requests.
pub fn used_scopes(
    conn: &mut PgConnection,
    integration_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    usage_scopes::table
        .filter(usage_scopes::integration_id.eq(integration_id))
        .filter(usage_scopes::day.ge(since.date_naive()))
        .select(usage_scopes::scope)
        .distinct()
        .load(conn)
}

/// Notes the scopes each integration's requests passed, per day. One
/// statement, in key order, like every write of the usage writer: two
/// instances writing at once take the rows' locks in the same order.
pub fn note_used_scopes(
    conn: &mut PgConnection,
    used: &BTreeSet<(Uuid, NaiveDate, &str)>,
) -> QueryResult<()> {
    if used.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = used
        .iter()
        .map(|(integration, day, scope)| {
            (
                usage_scopes::integration_id.eq(*integration),
                usage_scopes::day.eq(*day),
                usage_scopes::scope.eq(*scope),
            )
        })
        .collect();
    diesel::insert_into(usage_scopes::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

/// The used-scope notes keep 30 days too; the maintenance sweep calls this.
pub fn delete_used_scopes_before(conn: &mut PgConnection, cutoff: NaiveDate) -> QueryResult<usize> {
    diesel::delete(usage_scopes::table.filter(usage_scopes::day.lt(cutoff))).execute(conn)
}

/// A request as the usage writer stores it. Every column is written as
/// given (`None` is NULL).
pub struct NewApiRequest<'a> {
    pub account_id: Uuid,
    pub integration_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
    pub legacy_key_id: Option<Uuid>,
    pub method: &'a str,
    pub route: &'a str,
    pub status: i16,
    pub duration_ms: i32,
    pub ip: &'a str,
    pub scope: Option<&'static str>,
    pub outcome: &'static str,
    pub created_at: DateTime<Utc>,
}

/// Writes `rows` with one binary `COPY`: the log takes a row per API call,
/// and an `INSERT` of a few hundred rows spent about a fifth of the
/// database's time parsing and planning its thousands of parameters.
///
/// The rows are encoded here and handed over in one piece. Diesel's own
/// `from_insertable` hands libpq one message per row, which then goes out
/// in 8 KiB writes, each waking the database to read it: measured, the
/// database spent half its time per row in those reads.
pub fn insert_requests(conn: &mut PgConnection, rows: &[NewApiRequest<'_>]) -> QueryResult<usize> {
    use api_requests as r;
    let data = copy_binary(rows);
    diesel::copy_from(r::table)
        .from_raw_data(
            (
                r::account_id,
                r::integration_id,
                r::token_id,
                r::legacy_key_id,
                r::method,
                r::route,
                r::status,
                r::duration_ms,
                r::ip,
                r::scope,
                r::outcome,
                r::created_at,
            ),
            |copy| {
                copy.write_all(&data)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            },
        )
        .with_format(diesel::pg::CopyFormat::Binary)
        .execute(conn)
}

/// `rows` in PostgreSQL's binary `COPY` format, columns in the order
/// [`insert_requests`] names them.
fn copy_binary(rows: &[NewApiRequest<'_>]) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            Some(bytes) => {
                // A field is at most a route or an address long; a length
                // past i32 cannot occur, and would be refused by the server.
                let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(bytes);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    // Microseconds since 2000-01-01 UTC, PostgreSQL's epoch.
    const PG_EPOCH_FROM_UNIX_MICROS: i64 = 946_684_800_000_000;
    const COLUMNS: i16 = 12;
    let mut out = Vec::with_capacity(19 + rows.len() * 160 + 2);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension
    for row in rows {
        out.extend_from_slice(&COLUMNS.to_be_bytes());
        field(&mut out, Some(row.account_id.as_bytes()));
        field(
            &mut out,
            row.integration_id.as_ref().map(|id| &id.as_bytes()[..]),
        );
        field(&mut out, row.token_id.as_ref().map(|id| &id.as_bytes()[..]));
        field(
            &mut out,
            row.legacy_key_id.as_ref().map(|id| &id.as_bytes()[..]),
        );
        field(&mut out, Some(row.method.as_bytes()));
        field(&mut out, Some(row.route.as_bytes()));
        field(&mut out, Some(&row.status.to_be_bytes()));
        field(&mut out, Some(&row.duration_ms.to_be_bytes()));
        field(&mut out, Some(row.ip.as_bytes()));
        field(&mut out, row.scope.map(str::as_bytes));
        field(&mut out, Some(row.outcome.as_bytes()));
        let micros = row.created_at.timestamp_micros() - PG_EPOCH_FROM_UNIX_MICROS;
        field(&mut out, Some(&micros.to_be_bytes()));
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

/// Adds to each integration's count for each day, creating rows as need
/// be; one statement, in key order (see [`note_used_scopes`]).
pub fn add_daily(
    conn: &mut PgConnection,
    counts: &BTreeMap<(Uuid, NaiveDate), Counts>,
) -> QueryResult<()> {
    use usage_daily as d;
    if counts.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = counts
        .iter()
        .map(|((integration, day), c)| {
            (
                d::integration_id.eq(*integration),
                d::day.eq(*day),
                d::requests.eq(c.requests),
                d::errors.eq(c.errors),
            )
        })
        .collect();
    diesel::insert_into(d::table)
        .values(rows)
        .on_conflict((d::integration_id, d::day))
        .do_update()
        .set((
            d::requests.eq(d::requests + excluded(d::requests)),
            d::errors.eq(d::errors + excluded(d::errors)),
        ))
        .execute(conn)
        .map(drop)
}

/// Adds to each integration's count for each quarter hour (keyed by its
/// start), creating rows as need be; one statement, in key order.
pub fn add_quarter_hours(
    conn: &mut PgConnection,
    counts: &BTreeMap<(Uuid, DateTime<Utc>), Counts>,
) -> QueryResult<()> {
    use usage_quarter_hours as q;
    if counts.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = counts
        .iter()
        .map(|((integration, starts_at), c)| {
            (
                q::integration_id.eq(*integration),
                q::starts_at.eq(*starts_at),
                q::requests.eq(c.requests),
                q::errors.eq(c.errors),
            )
        })
        .collect();
    diesel::insert_into(q::table)
        .values(rows)
        .on_conflict((q::integration_id, q::starts_at))
        .do_update()
        .set((
            q::requests.eq(q::requests + excluded(q::requests)),
            q::errors.eq(q::errors + excluded(q::errors)),
        ))
        .execute(conn)
        .map(drop)
}

/// The quarter-hour counts keep 30 days, as the request log does; the
/// maintenance sweep calls this.
pub fn delete_quarter_hours_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(usage_quarter_hours::table.filter(usage_quarter_hours::starts_at.lt(cutoff)))
        .execute(conn)
}

/// The request log keeps 30 days; the maintenance sweep calls this.
pub fn delete_requests_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(api_requests::table.filter(api_requests::created_at.lt(cutoff))).execute(conn)
}

/// Name of the partition holding `day`'s requests.
fn partition_name(day: NaiveDate) -> String {
    format!("api_requests_p{}", day.format("%Y%m%d"))
}

/// Key of the advisory lock under which a day partition is made.
const PARTITION_LOCK: i64 = 0x7069_7061_7274_0001;

/// Makes sure `days` day partitions exist from `from` on. Rows the DEFAULT
/// partition already holds for such a day (a database older than its
/// partitions, e.g. a copy of a template) move into it, in the same
/// transaction. Instances starting together take turns, so the second
/// finds the day made rather than failing to make it again. Returns how
/// many partitions were made.
pub fn ensure_partitions(
    conn: &mut PgConnection,
    from: NaiveDate,
    days: u32,
) -> QueryResult<usize> {
    let mut made = 0;
    for day in from.iter_days().take(days as usize) {
        let name = partition_name(day);
        let (start, end) = (day, day + chrono::Days::new(1));
        let range =
            format!("created_at >= '{start} 00:00:00+00' AND created_at < '{end} 00:00:00+00'");
        let new = conn.transaction(|conn| {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(PARTITION_LOCK)
                .execute(conn)?;
            let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("to_regclass('{name}') IS NOT NULL"),
            ))
            .get_result(conn)?;
            if exists {
                return Ok(false);
            }
            conn.batch_execute(&format!(
                "CREATE TEMP TABLE moving ON COMMIT DROP AS \
                 WITH m AS (DELETE FROM api_requests_default WHERE {range} RETURNING *) \
                 SELECT * FROM m; \
                 CREATE TABLE {name} PARTITION OF api_requests \
                 FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00'); \
                 INSERT INTO api_requests SELECT * FROM moving;"
            ))?;
            QueryResult::Ok(true)
        })?;
        made += usize::from(new);
    }
    Ok(made)
}

/// Drops the day partitions wholly before `cutoff`: retention without
/// deleting row by row. Returns how many were dropped.
pub fn drop_partitions_before(conn: &mut PgConnection, cutoff: NaiveDate) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Partition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let partitions: Vec<Partition> = diesel::sql_query(
        "SELECT c.relname AS name FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'api_requests'::regclass AND c.relname LIKE 'api\\_requests\\_p%'",
    )
    .load(conn)?;
    let mut dropped = 0;
    for Partition { name } in partitions {
        let day = name
            .strip_prefix("api_requests_p")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
        // The partition holds `day`; it is wholly past once the next day is.
        if day.is_some_and(|d| d + chrono::Days::new(1) <= cutoff) {
            diesel::sql_query(format!("DROP TABLE IF EXISTS {name}")).execute(conn)?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// Whether the integration had a request that counted as a use since
/// `since`, from `ip` when given: the new-address alert asks both.
pub fn used_since(
    conn: &mut PgConnection,
    integration_id: Uuid,
    ip: Option<&str>,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    let mut query = integration_addresses::table
        .filter(integration_addresses::integration_id.eq(integration_id))
        .filter(integration_addresses::last_used_at.ge(since))
        .into_boxed();
    if let Some(ip) = ip {
        query = query.filter(integration_addresses::ip.eq(ip));
    }
    diesel::select(diesel::dsl::exists(
        query.select(integration_addresses::integration_id),
    ))
    .get_result(conn)
}

/// Notes when each integration was last used from each address. Rows are
/// written in one order, so two instances writing at once never deadlock.
pub fn note_addresses(
    conn: &mut PgConnection,
    uses: &BTreeMap<(Uuid, &str), DateTime<Utc>>,
) -> QueryResult<()> {
    if uses.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = uses
        .iter()
        .map(|((integration, ip), at)| {
            (
                integration_addresses::integration_id.eq(*integration),
                integration_addresses::ip.eq(*ip),
                integration_addresses::last_used_at.eq(*at),
            )
        })
        .collect();
    diesel::insert_into(integration_addresses::table)
        .values(rows)
        .on_conflict((
            integration_addresses::integration_id,
            integration_addresses::ip,
        ))
        .do_update()
        .set(integration_addresses::last_used_at.eq(greatest(
            integration_addresses::last_used_at,
            excluded(integration_addresses::last_used_at),
        )))
        .execute(conn)
        .map(drop)
}

/// Addresses unused for 30 days are forgotten with their requests.
pub fn delete_addresses_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        integration_addresses::table.filter(integration_addresses::last_used_at.lt(cutoff)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_written_in_postgresqls_binary_copy_format() {
        let id = Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        let at = DateTime::parse_from_rfc3339("2000-01-01T00:00:01.000002Z")
            .unwrap()
            .with_timezone(&Utc);
        let row = NewApiRequest {
            account_id: id,
            integration_id: None,
            token_id: None,
            legacy_key_id: None,
            method: "GET",
            route: "/v2/token",
            status: 200,
            duration_ms: 7,
            ip: "::1",
            scope: None,
            outcome: "used",
            created_at: at,
        };
        let data = copy_binary(std::slice::from_ref(&row));

        let mut expected: Vec<u8> = b"PGCOPY\n\xff\r\n\0".to_vec();
        expected.extend_from_slice(&[0; 8]);
        expected.extend_from_slice(&12i16.to_be_bytes());
        let mut field = |bytes: Option<&[u8]>| match bytes {
            Some(b) => {
                expected.extend_from_slice(&(b.len() as i32).to_be_bytes());
                expected.extend_from_slice(b);
            }
            None => expected.extend_from_slice(&(-1i32).to_be_bytes()),
        };
        field(Some(id.as_bytes()));
        field(None);
        field(None);
        field(None);
        field(Some(b"GET"));
        field(Some(b"/v2/token"));
        field(Some(&200i16.to_be_bytes()));
        field(Some(&7i32.to_be_bytes()));
        field(Some(b"::1"));
        field(None);
        field(Some(b"used"));
        // One second and two microseconds past PostgreSQL's epoch.
        field(Some(&1_000_002i64.to_be_bytes()));
        expected.extend_from_slice(&(-1i16).to_be_bytes());
        assert_eq!(data, expected);
    }
}
