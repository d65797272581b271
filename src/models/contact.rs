//! Contacts (`contacts`): the API's records, with the filters and keyset
//! pages its list and search read them by.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use super::escape_like;
use crate::db::schema::{contacts, users};
use crate::domain::custom_field::CustomValueInput;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

/// `date_updated`'s new value: milliseconds, like the list cursor.
pub(super) fn now_ms() -> diesel::expression::SqlLiteral<diesel::sql_types::Timestamptz> {
    diesel::dsl::sql::<diesel::sql_types::Timestamptz>("date_trunc('milliseconds', now())")
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = contacts, check_for_backend(Pg))]
pub struct Contact {
    pub id: Uuid,
    /// The account is HighLevel's "location".
    pub account_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub name: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub address1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub timezone: Option<String>,
    pub source: Option<String>,
    /// Trimmed and lower-cased, without duplicates.
    pub tags: Vec<String>,
    /// Millisecond precision: the list cursor is exact.
    pub date_added: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub gender: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Do not disturb on every channel.
    pub dnd: bool,
    /// HighLevel's `dndSettings` object, as [`crate::domain::contact::DndSettings`] writes it.
    pub dnd_settings: Option<serde_json::Value>,
    /// HighLevel's `inboundDndSettings` object, as
    /// [`crate::domain::contact::InboundDndSettings`] writes it.
    pub inbound_dnd_settings: Option<serde_json::Value>,
    /// A user of the same account (the database holds it to that).
    pub assigned_to: Option<Uuid>,
    /// Custom field values keyed by field id, each as
    /// [`crate::domain::custom_field::typed_value`] makes it.
    pub custom_values: serde_json::Value,
}

/// Fields to write. The outer `Option` is "given or not"; on update an
/// absent field is left alone, and `Some(None)` clears it.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = contacts)]
pub struct ContactChanges {
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub company_name: Option<Option<String>>,
    pub address1: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub state: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub source: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub gender: Option<Option<String>>,
    pub date_of_birth: Option<Option<NaiveDate>>,
    pub dnd: Option<bool>,
    pub dnd_settings: Option<Option<serde_json::Value>>,
    pub inbound_dnd_settings: Option<Option<serde_json::Value>>,
    /// Checked with [`Contact::assignable`] first: a user of another account
    /// is refused by the database.
    pub assigned_to: Option<Option<Uuid>>,
    /// Custom field values as given, by field id or key; the contact
    /// actions check them against the account's fields and fill in
    /// `custom_values`.
    #[diesel(skip_update)]
    pub custom_fields: Option<Vec<CustomValueInput>>,
    /// Custom field values to write, by field id.
    #[diesel(skip_update)]
    pub custom_values: CustomValuesPatch,
}

/// Changes to a contact's custom field values: the values given are set
/// and the others of the contact kept, then the ids in `clear` removed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CustomValuesPatch {
    pub set: serde_json::Map<String, serde_json::Value>,
    pub clear: Vec<String>,
}

impl CustomValuesPatch {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.clear.is_empty()
    }
}

/// Filters shared by the list and search endpoints.
#[derive(Debug, Default, Clone)]
pub struct ContactFilter {
    /// Substring of name, email, phone or company, case-insensitive.
    pub query: Option<String>,
    pub email: Option<String>,
    /// Contacts carrying every one of these tags.
    pub tags: Option<Vec<String>>,
    pub added_from: Option<DateTime<Utc>>,
    pub added_to: Option<DateTime<Utc>>,
}

/// Keyset position: strictly after this (dateAdded, id) in the sort order.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub date_added: DateTime<Utc>,
    pub id: Uuid,
}

type Boxed<'a> = contacts::BoxedQuery<'a, Pg>;

fn filtered<'a>(account_id: Uuid, f: &ContactFilter) -> Boxed<'a> {
    let mut q = contacts::table
        .filter(contacts::account_id.eq(account_id))
        .into_boxed();
    if let Some(text) = f.query.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q = q.filter(
            contacts::name
                .ilike(pattern.clone())
                .or(contacts::first_name.ilike(pattern.clone()))
                .or(contacts::last_name.ilike(pattern.clone()))
                .or(contacts::email.ilike(pattern.clone()))
                .or(contacts::phone.ilike(pattern.clone()))
                .or(contacts::company_name.ilike(pattern)),
        );
    }
    if let Some(email) = &f.email {
        q = q.filter(lower(contacts::email).eq(email.to_lowercase()));
    }
    if let Some(tags) = &f.tags {
        q = q.filter(contacts::tags.contains(tags.clone()));
    }
    if let Some(from) = f.added_from {
        q = q.filter(contacts::date_added.ge(from));
    }
    if let Some(to) = f.added_to {
        q = q.filter(contacts::date_added.le(to));
    }
    q
}

/// Name as HighLevel derives it when none is given.
pub fn derived_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let joined = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

impl Contact {
    /// Inserts the row, then writes the fields as an update does: one
    /// transaction (a savepoint inside the caller's), so a failure in the
    /// second step never leaves a blank contact behind.
    pub fn create(
        conn: &mut PgConnection,
        account_id: Uuid,
        changes: &ContactChanges,
    ) -> QueryResult<Contact> {
        conn.transaction(|conn| {
            let id: Uuid = diesel::insert_into(contacts::table)
                .values(contacts::account_id.eq(account_id))
                .returning(contacts::id)
                .get_result(conn)?;
            Self::write_fields(conn, account_id, id, changes)
        })
    }

    /// Writes the given fields and refreshes the derived name, in one
    /// transaction (a savepoint inside the caller's).
    pub fn apply(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
        changes: &ContactChanges,
    ) -> QueryResult<Contact> {
        conn.transaction(|conn| Self::write_fields(conn, account_id, id, changes))
    }

    fn write_fields(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
        changes: &ContactChanges,
    ) -> QueryResult<Contact> {
        let row = diesel::update(
            contacts::table
                .filter(contacts::id.eq(id))
                .filter(contacts::account_id.eq(account_id)),
        )
        .set((changes.clone(), contacts::date_updated.eq(now_ms())))
        .returning(Contact::as_returning())
        .get_result(conn)?;
        let row = if changes.custom_values.is_empty() {
            row
        } else {
            let patch = &changes.custom_values;
            diesel::update(contacts::table.find(id))
                .set(
                    contacts::custom_values.eq(contacts::custom_values
                        .concat(serde_json::Value::Object(patch.set.clone()))
                        .remove(patch.clear.clone())),
                )
                .returning(Contact::as_returning())
                .get_result(conn)?
        };
        // A name given outright stands; otherwise it follows first and last.
        let explicit_name = matches!(changes.name, Some(Some(_)));
        let names_changed = changes.first_name.is_some() || changes.last_name.is_some();
        if !explicit_name && (row.name.is_none() || names_changed) {
            let name = derived_name(row.first_name.as_deref(), row.last_name.as_deref());
            if name != row.name {
                return diesel::update(contacts::table.find(id))
                    .set(contacts::name.eq(name))
                    .returning(Contact::as_returning())
                    .get_result(conn);
            }
        }
        Ok(row)
    }

    /// Another account's contact, or an unknown id, is `NotFound`.
    pub fn find_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Contact> {
        contacts::table
            .filter(contacts::id.eq(id))
            .filter(contacts::account_id.eq(account_id))
            .select(Contact::as_select())
            .first(conn)
    }

    /// As [`Contact::find_for_account`], with the row locked until the
    /// transaction ends, so a change computed from it (adding tags) never
    /// overwrites one made in between.
    pub fn find_for_update(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Contact> {
        contacts::table
            .filter(contacts::id.eq(id))
            .filter(contacts::account_id.eq(account_id))
            .select(Contact::as_select())
            .for_update()
            .first(conn)
    }

    /// Whether `user_id` is a user of the account. When it is, the user is
    /// held (`FOR KEY SHARE`) until the transaction ends, so it cannot be
    /// removed before the contact assigned to it is written.
    pub fn assignable(
        conn: &mut PgConnection,
        account_id: Uuid,
        user_id: Uuid,
    ) -> QueryResult<bool> {
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::account_id.eq(account_id))
            .select(users::id)
            .for_key_share()
            .first::<Uuid>(conn)
            .optional()
            .map(|found| found.is_some())
    }

    /// Holds the account's match keys (a normalised email, a phone's
    /// digits) until the transaction ends: two upserts of one new contact
    /// take turns, and the second finds what the first created. Advisory
    /// locks rather than a unique index, because creating a contact
    /// outright may still make duplicates. Keys are taken in one order, so
    /// two requests sharing some of them cannot deadlock.
    pub fn lock_match_keys(
        conn: &mut PgConnection,
        account_id: Uuid,
        keys: &[String],
    ) -> QueryResult<()> {
        let keys: Vec<String> = keys.iter().map(|k| format!("{account_id}:{k}")).collect();
        diesel::sql_query(
            "select pg_advisory_xact_lock(h) from \
             (select distinct hashtextextended(k, 0) as h from unnest($1::text[]) as k order by h) as keys",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
        .execute(conn)
        .map(drop)
    }

    /// The account's oldest contact with this email (any case), else its
    /// oldest with a phone of these digits: how upsert and the duplicate
    /// lookup find "the" contact when duplicates exist.
    pub fn find_match(
        conn: &mut PgConnection,
        account_id: Uuid,
        email: Option<&str>,
        phone_digits: Option<&str>,
    ) -> QueryResult<Option<Contact>> {
        let oldest = || {
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .order((contacts::date_added.asc(), contacts::id.asc()))
                .select(Contact::as_select())
                .into_boxed()
        };
        if let Some(email) = email {
            let found = oldest()
                .filter(lower(contacts::email).eq(email.to_lowercase()))
                .first(conn)
                .optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
        match phone_digits.filter(|d| !d.is_empty()) {
            Some(digits) => oldest()
                .filter(contacts::phone_digits.eq(digits))
                .first(conn)
                .optional(),
            None => Ok(None),
        }
    }

    /// The keyset position of the account's contact `id`; `None` when the
    /// account has no such contact (any more).
    pub fn cursor_of(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<Cursor>> {
        contacts::table
            .filter(contacts::id.eq(id))
            .filter(contacts::account_id.eq(account_id))
            .select(contacts::date_added)
            .first(conn)
            .optional()
            .map(|found| found.map(|date_added| Cursor { date_added, id }))
    }

    pub fn delete_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Contact> {
        diesel::delete(
            contacts::table
                .filter(contacts::id.eq(id))
                .filter(contacts::account_id.eq(account_id)),
        )
        .returning(Contact::as_returning())
        .get_result(conn)
    }

    pub fn count(conn: &mut PgConnection, account_id: Uuid, f: &ContactFilter) -> QueryResult<i64> {
        filtered(account_id, f).count().get_result(conn)
    }

    /// One page in (dateAdded, id) order, ascending or descending, after the
    /// cursor or from an offset.
    pub fn page(
        conn: &mut PgConnection,
        account_id: Uuid,
        f: &ContactFilter,
        descending: bool,
        after: Option<Cursor>,
        offset: i64,
        limit: i64,
    ) -> QueryResult<Vec<Contact>> {
        let mut q = filtered(account_id, f);
        if let Some(c) = after {
            q = if descending {
                q.filter(
                    contacts::date_added
                        .lt(c.date_added)
                        .or(contacts::date_added
                            .eq(c.date_added)
                            .and(contacts::id.lt(c.id))),
                )
            } else {
                q.filter(
                    contacts::date_added
                        .gt(c.date_added)
                        .or(contacts::date_added
                            .eq(c.date_added)
                            .and(contacts::id.gt(c.id))),
                )
            };
        }
        q = if descending {
            q.order((contacts::date_added.desc(), contacts::id.desc()))
        } else {
            q.order((contacts::date_added.asc(), contacts::id.asc()))
        };
        q.offset(offset)
            .limit(limit)
            .select(Contact::as_select())
            .load(conn)
    }
}
