//! Changes to an account's contact custom fields through the API. Deleting
//! a field takes its value off every contact holding one, each a
//! `ContactUpdate` event, in the same transaction.

use diesel::prelude::*;
use uuid::Uuid;

use super::contacts::{WebhookBody, announce_updates};
use crate::domain::custom_field::field_key;
use crate::models::contact::Contact;
use crate::models::custom_field::{CustomField, CustomFieldChanges, NewCustomField};

/// A new field, keyed `contact.<slug of its name>` (with a number added
/// when the account has that key already).
pub fn create(
    conn: &mut PgConnection,
    account_id: Uuid,
    new: &NewCustomField<'_>,
) -> QueryResult<CustomField> {
    conn.transaction(|conn| CustomField::create(conn, account_id, &field_key(new.name), new))
}

/// `NotFound` for another account's field or an unknown one.
pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    changes: &CustomFieldChanges,
) -> QueryResult<CustomField> {
    CustomField::update(conn, account_id, id, changes)
}

/// The field as it was; `NotFound` for another account's or an unknown one.
pub fn delete(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    body: WebhookBody,
) -> QueryResult<CustomField> {
    conn.transaction(|conn| {
        let field = CustomField::delete_for_account(conn, account_id, id)?;
        let changed = Contact::drop_custom_value(conn, account_id, field.id)?;
        announce_updates(conn, &changed, body)?;
        Ok(field)
    })
}
