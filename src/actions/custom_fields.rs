//! Changes to an account's contact custom fields through the API. Deleting
//! a field takes its value off every contact holding one, and dropping an
//! option takes it off the contacts that chose it: each contact changed is
//! a `ContactUpdate` event, in the same transaction.

use diesel::prelude::*;
use uuid::Uuid;

use super::contacts::{WebhookBody, announce_updates};
use crate::domain::custom_field::{field_key, retain_options};
use crate::models::contact::{Contact, ContactChanges, CustomValuesPatch};
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

/// `NotFound` for another account's field or an unknown one. New options
/// take the ones dropped off the contacts holding them, each contact
/// changed a `ContactUpdate` event.
pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    changes: &CustomFieldChanges,
    body: WebhookBody,
) -> QueryResult<CustomField> {
    conn.transaction(|conn| {
        let field = CustomField::update(conn, account_id, id, changes)?;
        if changes.options.is_some() {
            let key = field.id.to_string();
            for contact in Contact::holding_custom_value(conn, account_id, field.id)? {
                let Some(current) = contact.custom_values.get(&key) else {
                    continue;
                };
                let kept = retain_options(current, &field.options);
                if kept.as_ref() == Some(current) {
                    continue;
                }
                let mut patch = CustomValuesPatch::default();
                match kept {
                    Some(value) => {
                        patch.set.insert(key.clone(), value);
                    }
                    None => patch.clear.push(key.clone()),
                }
                let changes = ContactChanges {
                    custom_values: patch,
                    ..ContactChanges::default()
                };
                let changed = Contact::apply(conn, account_id, contact.id, &changes)?;
                announce_updates(conn, &[changed], body)?;
            }
        }
        Ok(field)
    })
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
