//! Notes on a contact (`contact_notes`). Every query names the account and
//! the contact, so a note is only ever found through its own contact.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{contact_notes, contacts};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = contact_notes, check_for_backend(Pg))]
pub struct ContactNote {
    pub id: Uuid,
    pub account_id: Uuid,
    pub contact_id: Uuid,
    /// The user the note is by: a user of the same account.
    pub user_id: Option<Uuid>,
    pub body: String,
    pub title: Option<String>,
    pub color: Option<String>,
    pub pinned: bool,
    pub date_added: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

/// A note's fields to write. As for contacts, the outer `Option` is "given
/// or not" and `Some(None)` clears a field.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = contact_notes)]
pub struct NoteChanges {
    pub user_id: Option<Option<Uuid>>,
    pub body: Option<String>,
    pub title: Option<Option<String>>,
    pub color: Option<Option<String>>,
    pub pinned: Option<bool>,
}

impl ContactNote {
    /// Whether the account has this contact. With `hold`, the contact is
    /// kept from being deleted until the transaction ends (`FOR KEY SHARE`),
    /// so a note is never written for a contact that is going away.
    pub fn contact_exists(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
        hold: bool,
    ) -> QueryResult<bool> {
        let query = contacts::table
            .filter(contacts::id.eq(contact_id))
            .filter(contacts::account_id.eq(account_id))
            .select(contacts::id);
        let found = if hold {
            query.for_key_share().first::<Uuid>(conn).optional()?
        } else {
            query.first::<Uuid>(conn).optional()?
        };
        Ok(found.is_some())
    }

    /// The contact's notes, newest first.
    pub fn of_contact(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
    ) -> QueryResult<Vec<ContactNote>> {
        contact_notes::table
            .filter(contact_notes::account_id.eq(account_id))
            .filter(contact_notes::contact_id.eq(contact_id))
            .order((contact_notes::date_added.desc(), contact_notes::id.desc()))
            .select(ContactNote::as_select())
            .load(conn)
    }

    /// `NotFound` unless the note is the account's and on this contact.
    pub fn find(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
        id: Uuid,
    ) -> QueryResult<ContactNote> {
        contact_notes::table
            .filter(contact_notes::id.eq(id))
            .filter(contact_notes::account_id.eq(account_id))
            .filter(contact_notes::contact_id.eq(contact_id))
            .select(ContactNote::as_select())
            .first(conn)
    }

    /// Writes a new note with `body` and the other fields of `changes`.
    pub fn create(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
        body: &str,
        changes: &NoteChanges,
    ) -> QueryResult<ContactNote> {
        conn.transaction(|conn| {
            let id: Uuid = diesel::insert_into(contact_notes::table)
                .values((
                    contact_notes::account_id.eq(account_id),
                    contact_notes::contact_id.eq(contact_id),
                    contact_notes::body.eq(body),
                ))
                .returning(contact_notes::id)
                .get_result(conn)?;
            Self::update(conn, account_id, contact_id, id, changes)
        })
    }

    /// `NotFound` unless the note is the account's and on this contact.
    pub fn update(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
        id: Uuid,
        changes: &NoteChanges,
    ) -> QueryResult<ContactNote> {
        diesel::update(
            contact_notes::table
                .filter(contact_notes::id.eq(id))
                .filter(contact_notes::account_id.eq(account_id))
                .filter(contact_notes::contact_id.eq(contact_id)),
        )
        .set((
            changes.clone(),
            contact_notes::date_updated.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                "date_trunc('milliseconds', now())",
            )),
        ))
        .returning(ContactNote::as_returning())
        .get_result(conn)
    }

    /// `NotFound` unless the note is the account's and on this contact.
    pub fn delete(
        conn: &mut PgConnection,
        account_id: Uuid,
        contact_id: Uuid,
        id: Uuid,
    ) -> QueryResult<ContactNote> {
        diesel::delete(
            contact_notes::table
                .filter(contact_notes::id.eq(id))
                .filter(contact_notes::account_id.eq(account_id))
                .filter(contact_notes::contact_id.eq(contact_id)),
        )
        .returning(ContactNote::as_returning())
        .get_result(conn)
    }
}
