//! Contact changes made through the API. Each writes its webhook event, and
//! a delivery per subscribed endpoint, in the change's own transaction (SPEC
//! §8), so every route that changes a contact goes through here. The body's
//! shape is the API's, so the caller supplies it.

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::webhook::EventType;
use crate::models::contact::{Contact, ContactChanges};
use crate::models::webhook_event;

/// Builds the webhook body for a change to a contact.
pub type WebhookBody = fn(EventType, &Contact) -> serde_json::Value;

fn announce(
    conn: &mut PgConnection,
    event: EventType,
    contact: &Contact,
    body: WebhookBody,
) -> QueryResult<()> {
    webhook_event::record(conn, contact.account_id, event, &body(event, contact)).map(drop)
}

pub fn create(
    conn: &mut PgConnection,
    account_id: Uuid,
    changes: &ContactChanges,
    body: WebhookBody,
) -> QueryResult<Contact> {
    let contact = Contact::create(conn, account_id, changes)?;
    announce(conn, EventType::ContactCreate, &contact, body)?;
    Ok(contact)
}

/// `NotFound` for another account's contact or an unknown one.
pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    changes: &ContactChanges,
    body: WebhookBody,
) -> QueryResult<Contact> {
    let contact = Contact::apply(conn, account_id, id, changes)?;
    announce(conn, EventType::ContactUpdate, &contact, body)?;
    Ok(contact)
}

/// The contact as it was; `NotFound` for another account's or an unknown one.
pub fn delete(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    body: WebhookBody,
) -> QueryResult<Contact> {
    let contact = Contact::delete_for_account(conn, account_id, id)?;
    announce(conn, EventType::ContactDelete, &contact, body)?;
    Ok(contact)
}
