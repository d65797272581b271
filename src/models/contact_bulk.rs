//! Changes to every contact of an account that holds something the
//! account's lists name: a custom field's value, a tag, an assigned user.
//! Each returns the contacts it changed, so the caller can announce them.

use diesel::prelude::*;
use uuid::Uuid;

use super::contact::{Contact, now_ms};
use crate::db::schema::contacts;

diesel::define_sql_function!(fn array_remove(a: diesel::sql_types::Array<diesel::sql_types::Text>, e: diesel::sql_types::Text) -> diesel::sql_types::Array<diesel::sql_types::Text>);
diesel::define_sql_function!(fn array_replace(a: diesel::sql_types::Array<diesel::sql_types::Text>, from: diesel::sql_types::Text, to: diesel::sql_types::Text) -> diesel::sql_types::Array<diesel::sql_types::Text>);

impl Contact {
    /// The account's contacts holding a value for the field, locked until
    /// the transaction ends.
    pub fn holding_custom_value(
        conn: &mut PgConnection,
        account_id: Uuid,
        field_id: Uuid,
    ) -> QueryResult<Vec<Contact>> {
        contacts::table
            .filter(contacts::account_id.eq(account_id))
            .filter(contacts::custom_values.has_key(field_id.to_string()))
            .order(contacts::id.asc())
            .select(Contact::as_select())
            .for_update()
            .load(conn)
    }

    /// Removes the field's value from every contact of the account that
    /// has one; the contacts changed.
    pub fn drop_custom_value(
        conn: &mut PgConnection,
        account_id: Uuid,
        field_id: Uuid,
    ) -> QueryResult<Vec<Contact>> {
        let key = field_id.to_string();
        diesel::update(
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .filter(contacts::custom_values.has_key(key.clone())),
        )
        .set((
            contacts::custom_values.eq(contacts::custom_values.remove(key)),
            contacts::date_updated.eq(now_ms()),
        ))
        .returning(Contact::as_returning())
        .get_results(conn)
    }

    /// Renames tag `from` to `to` on every contact of the account carrying
    /// it (once, if it carried both); the contacts changed.
    pub fn rename_tag(
        conn: &mut PgConnection,
        account_id: Uuid,
        from: &str,
        to: &str,
    ) -> QueryResult<Vec<Contact>> {
        diesel::update(
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .filter(contacts::tags.contains(vec![from.to_string()])),
        )
        .set((
            contacts::tags.eq(array_replace(
                array_remove(contacts::tags, to.to_string()),
                from.to_string(),
                to.to_string(),
            )),
            contacts::date_updated.eq(now_ms()),
        ))
        .returning(Contact::as_returning())
        .get_results(conn)
    }

    /// Takes tag `name` off every contact of the account carrying it; the
    /// contacts changed.
    pub fn drop_tag(
        conn: &mut PgConnection,
        account_id: Uuid,
        name: &str,
    ) -> QueryResult<Vec<Contact>> {
        diesel::update(
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .filter(contacts::tags.contains(vec![name.to_string()])),
        )
        .set((
            contacts::tags.eq(array_remove(contacts::tags, name.to_string())),
            contacts::date_updated.eq(now_ms()),
        ))
        .returning(Contact::as_returning())
        .get_results(conn)
    }

    /// Unassigns every contact of the account assigned to `user_id`; the
    /// contacts changed.
    pub fn unassign_user(
        conn: &mut PgConnection,
        account_id: Uuid,
        user_id: Uuid,
    ) -> QueryResult<Vec<Contact>> {
        diesel::update(
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .filter(contacts::assigned_to.eq(user_id)),
        )
        .set((
            contacts::assigned_to.eq(None::<Uuid>),
            contacts::date_updated.eq(now_ms()),
        ))
        .returning(Contact::as_returning())
        .get_results(conn)
    }
}
