//! API v1 keys (`legacy_api_keys`): an account's one live full-access key,
//! stored as a SHA-256 hash.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::Account;
use crate::db::schema::{accounts, legacy_api_keys};
use crate::domain::token::{PlainToken, TokenHash};

/// An account's API v1 key: full access, no scopes. At most one is live.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = legacy_api_keys, check_for_backend(diesel::pg::Pg))]
pub struct LegacyApiKey {
    pub id: Uuid,
    pub account_id: Uuid,
    /// SHA-256 of the key; the plaintext is never stored.
    pub key_hash: Vec<u8>,
    pub last_four: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// Set when regenerated or disabled.
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// When its plaintext was shown; never shown twice.
    pub revealed_at: Option<DateTime<Utc>>,
}

impl LegacyApiKey {
    /// How people see the key: `pik_…` and its last four characters.
    pub fn masked(&self) -> String {
        format!("pik_…{}", self.last_four)
    }

    pub fn live_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Option<LegacyApiKey>> {
        legacy_api_keys::table
            .filter(legacy_api_keys::account_id.eq(account_id))
            .filter(legacy_api_keys::revoked_at.is_null())
            .select(LegacyApiKey::as_select())
            .first(conn)
            .optional()
    }

    /// Revokes the live key, if any; true when there was one.
    pub fn revoke_live(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<bool> {
        diesel::update(
            legacy_api_keys::table
                .filter(legacy_api_keys::account_id.eq(account_id))
                .filter(legacy_api_keys::revoked_at.is_null()),
        )
        .set(legacy_api_keys::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|n| n > 0)
    }

    /// A new live key, replacing the old one in the same transaction.
    pub fn issue(
        conn: &mut PgConnection,
        account_id: Uuid,
        created_by: Option<Uuid>,
    ) -> QueryResult<(LegacyApiKey, PlainToken, bool)> {
        conn.transaction(|conn| {
            let replaced = Self::revoke_live(conn, account_id)?;
            let plain = PlainToken::generate_legacy();
            let row = diesel::insert_into(legacy_api_keys::table)
                .values((
                    legacy_api_keys::account_id.eq(account_id),
                    legacy_api_keys::key_hash.eq(plain.hash().as_bytes()),
                    legacy_api_keys::last_four.eq(plain.last_four()),
                    legacy_api_keys::created_by.eq(created_by),
                ))
                .returning(LegacyApiKey::as_returning())
                .get_result(conn)?;
            Ok((row, plain, replaced))
        })
    }

    /// The live key with this hash and its account: everything an API v1
    /// request needs, in one query.
    pub fn authenticate(
        conn: &mut PgConnection,
        hash: &TokenHash,
    ) -> QueryResult<Option<(LegacyApiKey, Account)>> {
        legacy_api_keys::table
            .inner_join(accounts::table)
            .filter(legacy_api_keys::key_hash.eq(hash.as_bytes()))
            .filter(legacy_api_keys::revoked_at.is_null())
            .select((LegacyApiKey::as_select(), Account::as_select()))
            .first(conn)
            .optional()
    }

    /// Claims the one showing of a key's plaintext: true for the first caller.
    /// Writes the key's last use (at most once a minute, by the usage writer).
    /// As [`crate::models::AccessToken::record_use`]: never moves back.
    pub fn record_use(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> QueryResult<()> {
        let newer = legacy_api_keys::last_used_at
            .is_null()
            .or(legacy_api_keys::last_used_at.lt(at));
        diesel::update(legacy_api_keys::table.find(id).filter(newer))
            .set(legacy_api_keys::last_used_at.eq(at))
            .execute(conn)
            .map(drop)
    }

    pub fn claim_reveal(conn: &mut PgConnection, account_id: Uuid, id: Uuid) -> QueryResult<bool> {
        diesel::update(
            legacy_api_keys::table
                .filter(legacy_api_keys::id.eq(id))
                .filter(legacy_api_keys::account_id.eq(account_id))
                .filter(legacy_api_keys::revoked_at.is_null())
                .filter(legacy_api_keys::revealed_at.is_null()),
        )
        .set(legacy_api_keys::revealed_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|n| n == 1)
    }
}
