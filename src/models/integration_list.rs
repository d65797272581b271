//! A page of the integrations list in one query: each integration with its
//! unrevoked tokens and its token history, however many it has, so the
//! page costs one round trip whatever it shows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz};
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
    /// them against the account's rules).
    pub unrevoked: Vec<AccessToken>,
}

/// A row of the query: the integration, repeated for each of its unrevoked
/// tokens, or once with no token.
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    tokens_ever: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_used: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    t_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Bytea>)]
    t_token_hash: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    t_last_four: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    t_created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    t_created_by: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    t_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    t_grace_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    t_last_used_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    t_last_used_ip: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    t_rotated_from: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    t_revealed_at: Option<DateTime<Utc>>,
}

impl Row {
    fn token(&mut self) -> Option<AccessToken> {
        Some(AccessToken {
            id: self.t_id?,
            integration_id: self.id,
            token_hash: self.t_token_hash.take()?,
            last_four: self.t_last_four.take()?,
            created_at: self.t_created_at?,
            created_by: self.t_created_by,
            expires_at: self.t_expires_at,
            grace_ends_at: self.t_grace_ends_at,
            revoked_at: None,
            revoked_reason: None,
            last_used_at: self.t_last_used_at,
            last_used_ip: self.t_last_used_ip.take(),
            rotated_from: self.t_rotated_from,
            revealed_at: self.t_revealed_at,
        })
    }
}

/// The total rides on every row of the page; the history is aggregated per
/// integration by its index; unrevoked tokens join as rows of their own.
const PAGE: &str = "
WITH page AS (
    SELECT id, name, description, scopes, created_at, count(*) OVER () AS total
    FROM integrations
    WHERE account_id = $1 AND deleted_at IS NULL
    ORDER BY created_at DESC, id DESC
    LIMIT $2 OFFSET $3
)
SELECT page.id, page.name, page.description, page.scopes, page.total,
       h.tokens_ever, h.last_used,
       t.id AS t_id, t.token_hash AS t_token_hash, t.last_four AS t_last_four,
       t.created_at AS t_created_at, t.created_by AS t_created_by,
       t.expires_at AS t_expires_at, t.grace_ends_at AS t_grace_ends_at,
       t.last_used_at AS t_last_used_at, t.last_used_ip AS t_last_used_ip,
       t.rotated_from AS t_rotated_from, t.revealed_at AS t_revealed_at
FROM page
CROSS JOIN LATERAL (
    SELECT count(*) AS tokens_ever, max(last_used_at) AS last_used
    FROM access_tokens WHERE integration_id = page.id
) h
LEFT JOIN access_tokens t ON t.integration_id = page.id AND t.revoked_at IS NULL
ORDER BY page.created_at DESC, page.id DESC, t.created_at DESC, t.id DESC";

/// Page `page` (1-based) of `per_page` of the account's integrations not
/// deleted, newest first, and how many there are in all.
pub fn page(
    conn: &mut PgConnection,
    account_id: Uuid,
    per_page: i64,
    page: i64,
) -> QueryResult<(Vec<ListedIntegration>, i64)> {
    let rows: Vec<Row> = diesel::sql_query(PAGE)
        .bind::<diesel::sql_types::Uuid, _>(account_id)
        .bind::<BigInt, _>(per_page)
        .bind::<BigInt, _>(per_page.saturating_mul(page.saturating_sub(1)))
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
                had_tokens: row.tokens_ever > 0,
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
