//! Contact custom fields (`custom_fields`): each account's own, found only
//! through that account.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::custom_fields;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = custom_fields, check_for_backend(Pg))]
pub struct CustomField {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    /// `contact.<slug>`, unique in the account; kept when the field is renamed.
    pub field_key: String,
    /// A [`crate::domain::custom_field::DataType`] name.
    pub data_type: String,
    pub placeholder: Option<String>,
    /// The allowed values of an option type; empty for the others.
    pub options: Vec<String>,
    /// Where the field is listed, smallest first.
    pub position: i32,
    /// Always `contact`: the only model the API serves.
    pub model: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new field; its key is chosen by [`CustomField::create`].
pub struct NewCustomField<'a> {
    pub name: &'a str,
    pub data_type: &'a str,
    pub placeholder: Option<&'a str>,
    pub options: &'a [String],
    pub position: i32,
}

/// Fields to change; `None` leaves one as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = custom_fields)]
pub struct CustomFieldChanges {
    pub name: Option<String>,
    pub placeholder: Option<Option<String>>,
    pub options: Option<Vec<String>>,
    pub position: Option<i32>,
}

impl CustomField {
    /// The account's fields in listing order.
    pub fn of_account(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<Vec<CustomField>> {
        custom_fields::table
            .filter(custom_fields::account_id.eq(account_id))
            .order((
                custom_fields::position.asc(),
                custom_fields::created_at.asc(),
                custom_fields::id.asc(),
            ))
            .select(CustomField::as_select())
            .load(conn)
    }

    /// The account's fields, held (`FOR SHARE`) until the transaction ends:
    /// none is deleted, nor its options changed, while a contact value
    /// checked against it is written.
    pub fn held_of_account(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Vec<CustomField>> {
        custom_fields::table
            .filter(custom_fields::account_id.eq(account_id))
            .select(CustomField::as_select())
            .for_share()
            .load(conn)
    }

    /// The account's field with this id; `NotFound` for another account's.
    pub fn find_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<CustomField> {
        custom_fields::table
            .filter(custom_fields::id.eq(id))
            .filter(custom_fields::account_id.eq(account_id))
            .select(CustomField::as_select())
            .first(conn)
    }

    /// The account's field with this key; `NotFound` when it has none.
    pub fn find_by_key(
        conn: &mut PgConnection,
        account_id: Uuid,
        key: &str,
    ) -> QueryResult<CustomField> {
        custom_fields::table
            .filter(custom_fields::field_key.eq(key))
            .filter(custom_fields::account_id.eq(account_id))
            .select(CustomField::as_select())
            .first(conn)
    }

    /// Inserts the field under `key`, or `key_2`, `key_3`... when the
    /// account has that key already. The account's fields are held first
    /// (an advisory lock per account), so two creations never pick one key.
    pub fn create(
        conn: &mut PgConnection,
        account_id: Uuid,
        key: &str,
        new: &NewCustomField<'_>,
    ) -> QueryResult<CustomField> {
        diesel::sql_query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(format!("{account_id}:custom_fields"))
            .execute(conn)?;
        let taken: Vec<String> = custom_fields::table
            .filter(custom_fields::account_id.eq(account_id))
            .filter(
                custom_fields::field_key
                    .eq(key)
                    .or(custom_fields::field_key.like(format!("{}\\_%", super::escape_like(key)))),
            )
            .select(custom_fields::field_key)
            .load(conn)?;
        let mut chosen = key.to_string();
        let mut n = 2;
        while taken.contains(&chosen) {
            chosen = format!("{key}_{n}");
            n += 1;
        }
        diesel::insert_into(custom_fields::table)
            .values((
                custom_fields::account_id.eq(account_id),
                custom_fields::name.eq(new.name),
                custom_fields::field_key.eq(&chosen),
                custom_fields::data_type.eq(new.data_type),
                custom_fields::placeholder.eq(new.placeholder),
                custom_fields::options.eq(new.options),
                custom_fields::position.eq(new.position),
            ))
            .returning(CustomField::as_returning())
            .get_result(conn)
    }

    /// `NotFound` for another account's field.
    pub fn update(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
        changes: &CustomFieldChanges,
    ) -> QueryResult<CustomField> {
        diesel::update(
            custom_fields::table
                .filter(custom_fields::id.eq(id))
                .filter(custom_fields::account_id.eq(account_id)),
        )
        .set((
            changes.clone(),
            custom_fields::updated_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                "date_trunc('milliseconds', now())",
            )),
        ))
        .returning(CustomField::as_returning())
        .get_result(conn)
    }

    /// The field as it was; `NotFound` for another account's.
    pub fn delete_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<CustomField> {
        diesel::delete(
            custom_fields::table
                .filter(custom_fields::id.eq(id))
                .filter(custom_fields::account_id.eq(account_id)),
        )
        .returning(CustomField::as_returning())
        .get_result(conn)
    }
}
