//! Contact changes made through the API. Each is one transaction (a
//! savepoint inside a caller's) that writes its webhook event, and a delivery
//! per subscribed endpoint, with the change (SPEC §8), so every route that
//! changes a contact goes through here. The body's
//! shape is the API's, so the caller supplies it.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbError;
use crate::domain::contact::{MAX_TAGS, phone_digits};
use crate::domain::custom_field::{CustomValueInput, DataType, FieldRef, typed_value};
use crate::domain::webhook::EventType;
use crate::models::contact::{Contact, ContactChanges, CustomValuesPatch};
use crate::models::custom_field::CustomField;
use crate::models::location_tag::LocationTag;
use crate::models::webhook_event;

/// Builds the webhook body for a change to a contact.
pub type WebhookBody = fn(EventType, &Contact) -> serde_json::Value;

/// The API's [`WebhookBody`], handed to the panel at start-up: removing a
/// user there changes contacts, whose events have the API's shape.
#[derive(Clone, Copy)]
pub struct ContactEvents(pub WebhookBody);

/// Why a contact change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    /// Another account's contact, or an unknown one.
    #[error("contact not found")]
    NotFound,
    /// Values the account cannot take (a user it does not have, too many
    /// tags); each message names its field.
    #[error("invalid: {0:?}")]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ContactError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ContactError::NotFound,
            other => ContactError::Db(DbError::Query(other)),
        }
    }
}

fn announce(
    conn: &mut PgConnection,
    event: EventType,
    contact: &Contact,
    body: WebhookBody,
) -> QueryResult<()> {
    webhook_event::record(conn, contact.account_id, event, &body(event, contact)).map(drop)
}

/// A `ContactUpdate` for each contact a change to the account's lists
/// (a custom field, a tag, a user) touched.
pub(crate) fn announce_updates(
    conn: &mut PgConnection,
    contacts: &[Contact],
    body: WebhookBody,
) -> QueryResult<()> {
    for contact in contacts {
        announce(conn, EventType::ContactUpdate, contact, body)?;
    }
    Ok(())
}

/// `changes` once checked against what the account holds: the user it
/// assigns to, and the custom fields its values are for, which fill in
/// `custom_values`.
fn check_references(
    conn: &mut PgConnection,
    account_id: Uuid,
    changes: &ContactChanges,
) -> Result<ContactChanges, ContactError> {
    if let Some(Some(user_id)) = changes.assigned_to
        && !Contact::assignable(conn, account_id, user_id)?
    {
        return Err(ContactError::Invalid(vec![
            "assignedTo must be the id of a user of this account".into(),
        ]));
    }
    let mut checked = changes.clone();
    if let Some(items) = changes.custom_fields.as_deref() {
        checked.custom_values = custom_values(conn, account_id, items)?;
    }
    Ok(checked)
}

/// The values given, typed by their fields. The fields are held (`FOR
/// SHARE`) until the transaction ends, so none is deleted or given other
/// options before the contact holding its value is written.
fn custom_values(
    conn: &mut PgConnection,
    account_id: Uuid,
    items: &[CustomValueInput],
) -> Result<CustomValuesPatch, ContactError> {
    let mut patch = CustomValuesPatch::default();
    if items.is_empty() {
        return Ok(patch);
    }
    let fields = CustomField::held_of_account(conn, account_id)?;
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let found = match &item.field {
            FieldRef::Id(id) => fields
                .iter()
                .find(|f| Uuid::parse_str(id).is_ok_and(|id| id == f.id)),
            FieldRef::Key(key) => fields.iter().find(|f| {
                f.field_key == *key || f.field_key.strip_prefix("contact.") == Some(key.as_str())
            }),
        };
        let Some(field) = found else {
            problems.push(match &item.field {
                FieldRef::Id(id) => {
                    format!("customFields[{i}].id: no custom field {id:?} in this account")
                }
                FieldRef::Key(key) => {
                    format!("customFields[{i}].key: no custom field {key:?} in this account")
                }
            });
            continue;
        };
        let id = field.id.to_string();
        // The table's check holds data_type to these names.
        let data_type = DataType::parse(&field.data_type).unwrap_or(DataType::Text);
        match typed_value(data_type, &field.options, &item.value) {
            Ok(Some(value)) => {
                patch.clear.retain(|c| *c != id);
                patch.set.insert(id, value);
            }
            Ok(None) => {
                patch.set.remove(&id);
                patch.clear.push(id);
            }
            Err(must) => problems.push(format!(
                "customFields[{i}].field_value for {} ({}) {must}",
                field.field_key, field.data_type
            )),
        }
    }
    if problems.is_empty() {
        Ok(patch)
    } else {
        Err(ContactError::Invalid(problems))
    }
}

/// Adds the contact's tags to the account's list when `changes` set them.
fn list_tags(
    conn: &mut PgConnection,
    changes: &ContactChanges,
    contact: &Contact,
) -> QueryResult<()> {
    if changes.tags.is_some() {
        LocationTag::ensure(conn, contact.account_id, &contact.tags)?;
    }
    Ok(())
}

pub fn create(
    conn: &mut PgConnection,
    account_id: Uuid,
    changes: &ContactChanges,
    body: WebhookBody,
) -> Result<Contact, ContactError> {
    conn.transaction(|conn| {
        let changes = &check_references(conn, account_id, changes)?;
        let contact = Contact::create(conn, account_id, changes)?;
        list_tags(conn, changes, &contact)?;
        announce(conn, EventType::ContactCreate, &contact, body)?;
        Ok(contact)
    })
}

/// `NotFound` for another account's contact or an unknown one.
pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    changes: &ContactChanges,
    body: WebhookBody,
) -> Result<Contact, ContactError> {
    conn.transaction(|conn| {
        let changes = &check_references(conn, account_id, changes)?;
        let contact = Contact::apply(conn, account_id, id, changes)?;
        list_tags(conn, changes, &contact)?;
        announce(conn, EventType::ContactUpdate, &contact, body)?;
        Ok(contact)
    })
}

/// The contact as it was; `NotFound` for another account's or an unknown one.
pub fn delete(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    body: WebhookBody,
) -> QueryResult<Contact> {
    conn.transaction(|conn| {
        let contact = Contact::delete_for_account(conn, account_id, id)?;
        announce(conn, EventType::ContactDelete, &contact, body)?;
        Ok(contact)
    })
}

/// What an upsert did.
pub struct Upserted {
    /// Whether the contact was created rather than found.
    pub created: bool,
    pub contact: Contact,
}

/// Updates the account's contact with the email of `changes` (any case),
/// else the one with its phone (by digits), else creates one; with
/// `always_create`, creates one without looking, as the account allows
/// duplicates. The match keys are locked first, so concurrent upserts of
/// one new contact create it once.
pub fn upsert(
    conn: &mut PgConnection,
    account_id: Uuid,
    changes: &ContactChanges,
    always_create: bool,
    body: WebhookBody,
) -> Result<Upserted, ContactError> {
    conn.transaction(|conn| upsert_now(conn, account_id, changes, always_create, body))
}

fn upsert_now(
    conn: &mut PgConnection,
    account_id: Uuid,
    changes: &ContactChanges,
    always_create: bool,
    body: WebhookBody,
) -> Result<Upserted, ContactError> {
    let changes = &check_references(conn, account_id, changes)?;
    if !always_create {
        let email = changes.email.clone().flatten();
        let digits = changes
            .phone
            .clone()
            .flatten()
            .map(|p| phone_digits(&p))
            .filter(|d| !d.is_empty());
        let keys: Vec<String> = [
            email.as_ref().map(|e| format!("email:{e}")),
            digits.as_ref().map(|d| format!("phone:{d}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !keys.is_empty() {
            Contact::lock_match_keys(conn, account_id, &keys)?;
            if let Some(found) =
                Contact::find_match(conn, account_id, email.as_deref(), digits.as_deref())?
            {
                let contact = Contact::apply(conn, account_id, found.id, changes)?;
                list_tags(conn, changes, &contact)?;
                announce(conn, EventType::ContactUpdate, &contact, body)?;
                return Ok(Upserted {
                    created: false,
                    contact,
                });
            }
        }
    }
    let contact = Contact::create(conn, account_id, changes)?;
    list_tags(conn, changes, &contact)?;
    announce(conn, EventType::ContactCreate, &contact, body)?;
    Ok(Upserted {
        created: true,
        contact,
    })
}

/// Adds `tags` (normalised) to the contact's; the contact's tags after.
/// A change is a `ContactUpdate`; adding tags it already has changes nothing.
pub fn add_tags(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    tags: &[String],
    body: WebhookBody,
) -> Result<Vec<String>, ContactError> {
    conn.transaction(|conn| {
        let contact = Contact::find_for_update(conn, account_id, id)?;
        let mut after = contact.tags.clone();
        for tag in tags {
            if !after.contains(tag) {
                after.push(tag.clone());
            }
        }
        if after.len() > MAX_TAGS {
            return Err(ContactError::Invalid(vec![format!(
                "tags: a contact carries at most {MAX_TAGS} tags"
            )]));
        }
        set_tags(conn, contact, after, body)
    })
}

/// Removes `tags` (normalised) from the contact's; the contact's tags after.
pub fn remove_tags(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    tags: &[String],
    body: WebhookBody,
) -> Result<Vec<String>, ContactError> {
    conn.transaction(|conn| {
        let contact = Contact::find_for_update(conn, account_id, id)?;
        let after: Vec<String> = contact
            .tags
            .iter()
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        set_tags(conn, contact, after, body)
    })
}

fn set_tags(
    conn: &mut PgConnection,
    contact: Contact,
    tags: Vec<String>,
    body: WebhookBody,
) -> Result<Vec<String>, ContactError> {
    if tags == contact.tags {
        return Ok(tags);
    }
    let changes = ContactChanges {
        tags: Some(tags),
        ..ContactChanges::default()
    };
    let contact = Contact::apply(conn, contact.account_id, contact.id, &changes)?;
    list_tags(conn, &changes, &contact)?;
    announce(conn, EventType::ContactUpdate, &contact, body)?;
    Ok(contact.tags)
}
