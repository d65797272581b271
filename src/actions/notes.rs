//! Notes on a contact, read and written through their contact only: each
//! call first finds the account's contact (and, to write, keeps it from
//! being deleted until the transaction ends), so a note of another account
//! or another contact is never reached. Notes do not change their contact,
//! so they send no contact webhook.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbError;
use crate::models::contact::Contact;
use crate::models::contact_note::{ContactNote, NoteChanges};

/// Why a note was not read or written.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("contact not found")]
    ContactNotFound,
    #[error("note not found")]
    NoteNotFound,
    /// `userId` names no user of the account.
    #[error("unknown user")]
    UnknownUser,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Past the contact check, "not found" is the note's.
impl From<diesel::result::Error> for NoteError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => NoteError::NoteNotFound,
            other => NoteError::Db(DbError::Query(other)),
        }
    }
}

/// Runs `f` in one transaction once the account's contact is found (and,
/// to write, held) and the user `changes` name is one of the account's.
fn on_contact<T>(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
    write: Option<&NoteChanges>,
    f: impl FnOnce(&mut PgConnection) -> QueryResult<T>,
) -> Result<T, NoteError> {
    conn.transaction(|conn| {
        if !ContactNote::contact_exists(conn, account_id, contact_id, write.is_some())? {
            return Err(NoteError::ContactNotFound);
        }
        if let Some(user) = write.and_then(|c| c.user_id.flatten())
            && !Contact::assignable(conn, account_id, user)?
        {
            return Err(NoteError::UnknownUser);
        }
        Ok(f(conn)?)
    })
}

/// The contact's notes, newest first.
pub fn list(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
) -> Result<Vec<ContactNote>, NoteError> {
    on_contact(conn, account_id, contact_id, None, |conn| {
        ContactNote::of_contact(conn, account_id, contact_id)
    })
}

pub fn get(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
    id: Uuid,
) -> Result<ContactNote, NoteError> {
    on_contact(conn, account_id, contact_id, None, |conn| {
        ContactNote::find(conn, account_id, contact_id, id)
    })
}

/// A new note with `body` and the other fields of `changes`.
pub fn create(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
    body: &str,
    changes: &NoteChanges,
) -> Result<ContactNote, NoteError> {
    on_contact(conn, account_id, contact_id, Some(changes), |conn| {
        ContactNote::create(conn, account_id, contact_id, body, changes)
    })
}

pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
    id: Uuid,
    changes: &NoteChanges,
) -> Result<ContactNote, NoteError> {
    on_contact(conn, account_id, contact_id, Some(changes), |conn| {
        ContactNote::update(conn, account_id, contact_id, id, changes)
    })
}

pub fn delete(
    conn: &mut PgConnection,
    account_id: Uuid,
    contact_id: Uuid,
    id: Uuid,
) -> Result<ContactNote, NoteError> {
    on_contact(
        conn,
        account_id,
        contact_id,
        Some(&NoteChanges::default()),
        |conn| ContactNote::delete(conn, account_id, contact_id, id),
    )
}
