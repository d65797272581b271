//! An account's tag list (`location_tags`): HighLevel's location tags, which
//! every tag a contact carries joins.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::location_tags;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = location_tags, check_for_backend(Pg))]
pub struct LocationTag {
    pub id: Uuid,
    pub account_id: Uuid,
    /// Trimmed and lower-cased, unique in the account.
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl LocationTag {
    /// The account's tags by name.
    pub fn of_account(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<Vec<LocationTag>> {
        location_tags::table
            .filter(location_tags::account_id.eq(account_id))
            .order((location_tags::name.asc(), location_tags::id.asc()))
            .select(LocationTag::as_select())
            .load(conn)
    }

    /// `NotFound` for another account's tag.
    pub fn find_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<LocationTag> {
        location_tags::table
            .filter(location_tags::id.eq(id))
            .filter(location_tags::account_id.eq(account_id))
            .select(LocationTag::as_select())
            .first(conn)
    }

    /// As [`LocationTag::find_for_account`], the row locked until the
    /// transaction ends, so a rename and a delete of one tag take turns.
    pub fn find_for_update(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<LocationTag> {
        location_tags::table
            .filter(location_tags::id.eq(id))
            .filter(location_tags::account_id.eq(account_id))
            .select(LocationTag::as_select())
            .for_update()
            .first(conn)
    }

    /// Adds the names (normalised already) the account's list lacks.
    pub fn ensure(conn: &mut PgConnection, account_id: Uuid, names: &[String]) -> QueryResult<()> {
        if names.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = names
            .iter()
            .map(|name| {
                (
                    location_tags::account_id.eq(account_id),
                    location_tags::name.eq(name),
                )
            })
            .collect();
        diesel::insert_into(location_tags::table)
            .values(rows)
            .on_conflict((location_tags::account_id, location_tags::name))
            .do_nothing()
            .execute(conn)
            .map(drop)
    }

    /// The account's tag named `name`, created if it has none.
    pub fn find_or_create(
        conn: &mut PgConnection,
        account_id: Uuid,
        name: &str,
    ) -> QueryResult<LocationTag> {
        Self::ensure(conn, account_id, &[name.to_string()])?;
        location_tags::table
            .filter(location_tags::account_id.eq(account_id))
            .filter(location_tags::name.eq(name))
            .select(LocationTag::as_select())
            .first(conn)
    }

    /// Whether the account has another tag of this name.
    pub fn name_taken(
        conn: &mut PgConnection,
        account_id: Uuid,
        name: &str,
        except: Uuid,
    ) -> QueryResult<bool> {
        location_tags::table
            .filter(location_tags::account_id.eq(account_id))
            .filter(location_tags::name.eq(name))
            .filter(location_tags::id.ne(except))
            .select(location_tags::id)
            .first::<Uuid>(conn)
            .optional()
            .map(|found| found.is_some())
    }

    pub fn rename(conn: &mut PgConnection, id: Uuid, name: &str) -> QueryResult<LocationTag> {
        diesel::update(location_tags::table.find(id))
            .set(location_tags::name.eq(name))
            .returning(LocationTag::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::delete(location_tags::table.find(id))
            .execute(conn)
            .map(drop)
    }
}
