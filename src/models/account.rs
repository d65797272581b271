//! Accounts (`accounts`): the tenant every user, integration and contact
//! belongs to, and HighLevel's "location" on the API.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::accounts;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = accounts, check_for_backend(diesel::pg::Pg))]
pub struct Account {
    /// Also the `locationId` / `companyId` of API v2.
    pub id: Uuid,
    pub name: String,
    /// Days of disuse after which a token stops working; `None` = never.
    pub inactivity_expiry_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub name: &'a str,
}

impl Account {
    pub fn create(conn: &mut PgConnection, name: &str) -> QueryResult<Account> {
        diesel::insert_into(accounts::table)
            .values(NewAccount { name })
            .returning(Account::as_returning())
            .get_result(conn)
    }

    /// Names are not unique; `create-admin` joins the oldest account of that name.
    pub fn find_by_name(conn: &mut PgConnection, name: &str) -> QueryResult<Option<Account>> {
        accounts::table
            .filter(accounts::name.eq(name))
            .order(accounts::created_at.asc())
            .select(Account::as_select())
            .first(conn)
            .optional()
    }

    /// Holds the account row until the transaction ends, so changes of its
    /// settings never interleave.
    pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Account> {
        accounts::table
            .find(id)
            .select(Account::as_select())
            .for_update()
            .first(conn)
    }

    /// Accounts whose tokens expire after disuse: what the sweep visits.
    pub fn with_inactivity_expiry(conn: &mut PgConnection) -> QueryResult<Vec<Account>> {
        accounts::table
            .filter(accounts::inactivity_expiry_days.is_not_null())
            .select(Account::as_select())
            .load(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: Uuid, name: &str) -> QueryResult<Account> {
        diesel::update(accounts::table.find(id))
            .set(accounts::name.eq(name))
            .returning(Account::as_returning())
            .get_result(conn)
    }

    pub fn set_inactivity_expiry(
        conn: &mut PgConnection,
        id: Uuid,
        days: Option<i32>,
    ) -> QueryResult<Account> {
        diesel::update(accounts::table.find(id))
            .set(accounts::inactivity_expiry_days.eq(days))
            .returning(Account::as_returning())
            .get_result(conn)
    }
}
