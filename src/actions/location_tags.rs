//! Changes to an account's tag list through the API. Renaming a tag renames
//! it on every contact carrying it, deleting one takes it off them: each
//! contact changed is a `ContactUpdate` event, in the same transaction.

use diesel::prelude::*;
use uuid::Uuid;

use super::contacts::{WebhookBody, announce_updates};
use crate::db::DbError;
use crate::models::contact::Contact;
use crate::models::location_tag::LocationTag;

/// Why a tag change was not made.
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    /// Another account's tag, or an unknown one.
    #[error("tag not found")]
    NotFound,
    /// The account has another tag of the new name.
    #[error("name taken")]
    NameTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for TagError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => TagError::NotFound,
            other => TagError::Db(DbError::Query(other)),
        }
    }
}

/// The account's tag of this (normalised) name, created unless it exists:
/// creating a tag twice is one tag.
pub fn create(conn: &mut PgConnection, account_id: Uuid, name: &str) -> QueryResult<LocationTag> {
    conn.transaction(|conn| LocationTag::find_or_create(conn, account_id, name))
}

/// Renames the tag, and so every contact's copy of it.
pub fn rename(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    name: &str,
    body: WebhookBody,
) -> Result<LocationTag, TagError> {
    conn.transaction(|conn| {
        let tag = LocationTag::find_for_update(conn, account_id, id)?;
        if tag.name == name {
            return Ok(tag);
        }
        if LocationTag::name_taken(conn, account_id, name, id)? {
            return Err(TagError::NameTaken);
        }
        // A contact given the new name since the check above listed it.
        let renamed = LocationTag::rename(conn, id, name).map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => TagError::NameTaken,
            other => other.into(),
        })?;
        let changed = Contact::rename_tag(conn, account_id, &tag.name, name)?;
        announce_updates(conn, &changed, body)?;
        Ok(renamed)
    })
}

/// Deletes the tag and takes it off every contact; the tag as it was.
pub fn delete(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    body: WebhookBody,
) -> Result<LocationTag, TagError> {
    conn.transaction(|conn| {
        let tag = LocationTag::find_for_update(conn, account_id, id)?;
        LocationTag::delete(conn, id)?;
        let changed = Contact::drop_tag(conn, account_id, &tag.name)?;
        announce_updates(conn, &changed, body)?;
        Ok(tag)
    })
}
