//! A page of the integrations list in one query: each integration with its
//! unrevoked tokens and its latest use, so the page costs one round trip
//! whatever it shows, and reads no revoked token however many there are.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use uuid::Uuid;

use crate::models::AccessToken;

/// One integration of the page, with what its row shows.
pub struct ListedIntegration {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Catalogue names, as stored.
    pub scopes: Vec<String>,
    /// Whether it ever had a token, revoked ones included.
    pub had_tokens: bool,
    /// The latest use of any of its tokens.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its unrevoked tokens, newest first (live or not: the caller weighs
    /// them against the account's rules), with only the columns a list
    /// reads.
    pub unrevoked: Vec<AccessToken>,
}

/// The columns of [`PageQuery`], in order.
type RowType = (
    diesel::sql_types::Uuid,
    Text,
    Text,
    Array<Text>,
    BigInt,
    Bool,
    Nullable<Timestamptz>,
    Nullable<diesel::sql_types::Uuid>,
    Nullable<Text>,
    Nullable<Timestamptz>,
    Nullable<Timestamptz>,
    Nullable<Timestamptz>,
    Nullable<Timestamptz>,
);

/// A row of the query: the integration, repeated for each of its unrevoked
/// tokens, or once with no token. Read by position, in [`RowType`]'s order.
#[derive(Queryable)]
struct Row {
    id: Uuid,
    name: String,
    description: String,
    scopes: Vec<String>,
    total: i64,
    had_tokens: bool,
    last_used: Option<DateTime<Utc>>,
    t_id: Option<Uuid>,
    t_last_four: Option<String>,
    t_created_at: Option<DateTime<Utc>>,
    t_expires_at: Option<DateTime<Utc>>,
    t_grace_ends_at: Option<DateTime<Utc>>,
    t_last_used_at: Option<DateTime<Utc>>,
}

impl Row {
    fn token(&mut self) -> Option<AccessToken> {
        Some(AccessToken {
            id: self.t_id?,
            integration_id: self.id,
            // Only what the list shows or weighs is read: a page never needs
            // a token's hash, its creator or where it was last used from.
            token_hash: Vec::new(),
            last_four: self.t_last_four.take()?,
            created_at: self.t_created_at?,
            created_by: None,
            expires_at: self.t_expires_at,
            grace_ends_at: self.t_grace_ends_at,
            revoked_at: None,
            revoked_reason: None,
            last_used_at: self.t_last_used_at,
            last_used_ip: None,
            rotated_from: None,
            revealed_at: None,
        })
    }
}

/// The query of a page: the total rides on every row; unrevoked tokens join
/// as rows of their own; the latest use is kept on the integration. Its own
/// typed query rather than `sql_query`, so diesel prepares it once per
/// connection (a raw query is parsed and planned every time) and reads its
/// columns by position rather than looking each up by name.
#[derive(QueryId)]
struct PageQuery {
    account_id: Uuid,
    limit: i64,
    offset: i64,
}

impl QueryFragment<Pg> for PageQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH page AS (
                SELECT id, name, description, scopes, created_at, last_used_at,
                       count(*) OVER () AS total
                FROM integrations
                WHERE deleted_at IS NULL AND account_id = ",
        );
        out.push_bind_param::<diesel::sql_types::Uuid, _>(&self.account_id)?;
        out.push_sql(" ORDER BY created_at DESC, id DESC LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.limit)?;
        out.push_sql(" OFFSET ");
        out.push_bind_param::<BigInt, _>(&self.offset)?;
        out.push_sql(
            ")
            SELECT page.id, page.name, page.description, page.scopes, page.total,
                   -- An unrevoked token proves there was one; otherwise ask.
                   t.id IS NOT NULL
                       OR EXISTS (SELECT 1 FROM access_tokens h WHERE h.integration_id = page.id)
                       AS had_tokens,
                   page.last_used_at AS last_used,
                   t.id AS t_id, t.last_four AS t_last_four, t.created_at AS t_created_at,
                   t.expires_at AS t_expires_at, t.grace_ends_at AS t_grace_ends_at,
                   t.last_used_at AS t_last_used_at
            FROM page
            LEFT JOIN access_tokens t ON t.integration_id = page.id AND t.revoked_at IS NULL
            ORDER BY page.created_at DESC, page.id DESC, t.created_at DESC, t.id DESC",
        );
        Ok(())
    }
}

impl Query for PageQuery {
    type SqlType = RowType;
}

impl RunQueryDsl<PgConnection> for PageQuery {}

/// Page `page` (1-based) of `per_page` of the account's integrations not
/// deleted, newest first, and how many there are in all.
pub fn page(
    conn: &mut PgConnection,
    account_id: Uuid,
    per_page: i64,
    page: i64,
) -> QueryResult<(Vec<ListedIntegration>, i64)> {
    let rows: Vec<Row> = PageQuery {
        account_id,
        limit: per_page,
        offset: per_page.saturating_mul(page.saturating_sub(1)),
    }
    .load(conn)?;
    let Some(total) = rows.first().map(|row| row.total) else {
        // Past the end, or nothing at all: no row to carry the total.
        return Ok((Vec::new(), count(conn, account_id)?));
    };
    let mut listed: Vec<ListedIntegration> = Vec::new();
    for mut row in rows {
        let token = row.token();
        let same = listed.last().is_some_and(|last| last.id == row.id);
        if !same {
            listed.push(ListedIntegration {
                id: row.id,
                name: row.name,
                description: row.description,
                scopes: row.scopes,
                had_tokens: row.had_tokens,
                last_used_at: row.last_used,
                unrevoked: Vec::new(),
            });
        }
        if let (Some(token), Some(last)) = (token, listed.last_mut()) {
            last.unrevoked.push(token);
        }
    }
    Ok((listed, total))
}

fn count(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<i64> {
    use crate::db::schema::integrations;
    integrations::table
        .filter(integrations::account_id.eq(account_id))
        .filter(integrations::deleted_at.is_null())
        .count()
        .get_result(conn)
}
