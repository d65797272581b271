//! Private integrations (`integrations`): an account's named apps with the
//! scopes, IP allowlist and token lifetime their tokens share.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::integrations;
use crate::domain::scope::ScopeSet;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = integrations, check_for_backend(diesel::pg::Pg))]
pub struct Integration {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub description: String,
    /// Catalogue names; read through [`Integration::scope_set`].
    pub scopes: Vec<String>,
    /// Lifetime of every token issued for it; `None` = no end.
    pub token_lifetime_days: Option<i32>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when deleted; such rows are invisible to every query here.
    pub deleted_at: Option<DateTime<Utc>>,
    /// CIDR blocks API requests must come from; empty = anywhere.
    pub ip_allowlist: Vec<String>,
}

/// The unique index on `(account_id, lower(name))` among integrations not
/// deleted: two people saving one name at once cannot both succeed.
pub const UNIQUE_NAME_INDEX: &str = "integrations_account_name_key";

/// Whether `e` is the account already having a live integration of that name
/// (ignoring case), refused by [`UNIQUE_NAME_INDEX`].
pub fn is_duplicate_name(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(UNIQUE_NAME_INDEX)
    )
}

#[derive(Insertable)]
#[diesel(table_name = integrations)]
pub struct NewIntegration<'a> {
    pub account_id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub scopes: Vec<String>,
    pub token_lifetime_days: Option<i32>,
    pub created_by: Option<Uuid>,
    /// Normalised CIDR blocks; empty = anywhere.
    pub ip_allowlist: &'a [String],
}

/// What the edit form changes.
#[derive(Debug)]
pub struct IntegrationEdit {
    pub name: String,
    pub description: String,
    pub scopes: ScopeSet,
    /// Normalised CIDR blocks; empty = anywhere.
    pub ip_allowlist: Vec<String>,
}

impl Integration {
    pub fn scope_set(&self) -> ScopeSet {
        ScopeSet::from_stored(&self.scopes)
    }

    pub fn create(conn: &mut PgConnection, new: NewIntegration<'_>) -> QueryResult<Integration> {
        diesel::insert_into(integrations::table)
            .values(new)
            .returning(Integration::as_returning())
            .get_result(conn)
    }

    /// Another account's integration, or a deleted one, is `NotFound`.
    pub fn find_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Integration> {
        of_account(account_id, id)
            .select(Integration::as_select())
            .first(conn)
    }

    /// As [`Self::find_for_account`], holding the row lock until the
    /// transaction ends, so token changes of one integration never interleave.
    pub fn lock_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Integration> {
        of_account(account_id, id)
            .select(Integration::as_select())
            .for_update()
            .first(conn)
    }

    pub fn update_details(
        conn: &mut PgConnection,
        id: Uuid,
        edit: &IntegrationEdit,
    ) -> QueryResult<Integration> {
        diesel::update(integrations::table.find(id))
            .set((
                integrations::name.eq(&edit.name),
                integrations::description.eq(&edit.description),
                integrations::scopes.eq(edit.scopes.names()),
                integrations::ip_allowlist.eq(&edit.ip_allowlist),
                integrations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Integration::as_returning())
            .get_result(conn)
    }

    pub fn soft_delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::update(integrations::table.find(id))
            .set(integrations::deleted_at.eq(diesel::dsl::now))
            .execute(conn)
            .map(drop)
    }

    /// Names by id, deleted integrations included: for audit events about
    /// tokens found by id alone.
    pub fn names(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
        integrations::table
            .filter(integrations::id.eq_any(ids))
            .select((integrations::id, integrations::name))
            .load(conn)
    }

    /// Every integration the account ever had, deleted ones included (their
    /// events stay in the audit log), by name: `(id, name, deleted)`.
    pub fn all_names_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Vec<(Uuid, String, bool)>> {
        integrations::table
            .filter(integrations::account_id.eq(account_id))
            .order((integrations::name.asc(), integrations::created_at.asc()))
            .select((
                integrations::id,
                integrations::name,
                integrations::deleted_at.is_not_null(),
            ))
            .load(conn)
    }

    /// When a token issued now for this integration ends.
    pub fn new_token_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.token_lifetime_days
            .map(|days| now + chrono::Duration::days(i64::from(days)))
    }
}

/// The account's live integration `id`: tenant isolation is in the query.
#[diesel::dsl::auto_type]
fn of_account(account_id: Uuid, id: Uuid) -> _ {
    integrations::table
        .filter(integrations::id.eq(id))
        .filter(integrations::account_id.eq(account_id))
        .filter(integrations::deleted_at.is_null())
}
