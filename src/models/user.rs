//! Users (`users`): the people who sign in to an account's panel, with
//! their role.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::escape_like;
use crate::db::schema::users;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Owner above admin above viewer: a change to a lower rank is a
    /// demotion.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 2,
            Role::Admin => 1,
            Role::Viewer => 0,
        }
    }

    /// Owners and admins change things; viewers only read.
    pub fn can_edit(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A user as every signed-in request sees them. The password hash is not
/// part of it: it is loaded only where a password is checked
/// ([`User::find_for_sign_in`]).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub account_id: Uuid,
    /// Lower-cased at write time.
    pub email: String,
    /// `owner`, `admin` or `viewer` (see [`Role`]).
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// IANA name of the zone the panel shows this user's times in; checked
    /// against the tz database before it is stored.
    pub time_zone: String,
}

/// The unique index on `lower(email)`: an email signs in to one user only,
/// whichever account it is in.
pub const UNIQUE_EMAIL_INDEX: &str = "users_email_key";

/// Whether `e` is the email being taken already, refused by
/// [`UNIQUE_EMAIL_INDEX`].
pub fn is_duplicate_email(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(UNIQUE_EMAIL_INDEX)
    )
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub account_id: Uuid,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }

    pub fn create(conn: &mut PgConnection, new: NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Holds every insert into `users` off until the transaction ends: the
    /// first-run check and the first insert must not interleave.
    pub fn lock_for_first_run(conn: &mut PgConnection) -> QueryResult<()> {
        diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)
            .map(drop)
    }

    pub fn any_exists(conn: &mut PgConnection) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
    }

    /// `email` must already be normalised (see `domain::email`).
    pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The user with this (normalised) email and their Argon2id hash, for
    /// checking a password; nothing else needs the hash.
    pub fn find_for_sign_in(
        conn: &mut PgConnection,
        email: &str,
    ) -> QueryResult<Option<(User, String)>> {
        users::table
            .filter(users::email.eq(email))
            .select((User::as_select(), users::password_hash))
            .first(conn)
            .optional()
    }

    pub fn find_with_account(
        conn: &mut PgConnection,
        id: Uuid,
    ) -> QueryResult<Option<(User, crate::models::Account)>> {
        users::table
            .inner_join(crate::db::schema::accounts::table)
            .filter(users::id.eq(id))
            .select((User::as_select(), crate::models::Account::as_select()))
            .first(conn)
            .optional()
    }

    /// The account's users, oldest first.
    pub fn of_account(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::account_id.eq(account_id))
            .order(users::created_at.asc())
            .select(User::as_select())
            .load(conn)
    }

    /// Addresses of the account's owners and admins, each with the time
    /// zone of their profile: who is told, by email, of its alerts and of
    /// tokens about to stop working, and in which zone its times are written.
    pub fn notice_recipients(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Vec<(String, String)>> {
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::role.eq_any([Role::Owner.as_str(), Role::Admin.as_str()]))
            .order(users::email.asc())
            .select((users::email, users::time_zone))
            .load(conn)
    }

    /// One page of the account's users matching `search`, and how many
    /// match in all.
    pub fn search_in_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        search: &UserSearch<'_>,
    ) -> QueryResult<(Vec<User>, i64)> {
        let matching = || {
            let mut q = users::table
                .filter(users::account_id.eq(account_id))
                .into_boxed();
            if let Some(text) = search.text {
                q = q.filter(users::email.like(format!("%{}%", escape_like(text))));
            }
            if let Some(ids) = &search.ids {
                q = q.filter(users::id.eq_any(ids.clone()));
            }
            if let Some(roles) = search.roles {
                q = q.filter(users::role.eq_any(roles.iter().map(|r| r.as_str())));
            }
            q
        };
        let count = matching().count().get_result(conn)?;
        let mut q = matching();
        q = match (search.sort, search.descending) {
            (UserSort::DateAdded, false) => q.order((users::created_at.asc(), users::id.asc())),
            (UserSort::DateAdded, true) => q.order((users::created_at.desc(), users::id.desc())),
            (UserSort::Email, false) => q.order((users::email.asc(), users::id.asc())),
            (UserSort::Email, true) => q.order((users::email.desc(), users::id.desc())),
        };
        let page = q
            .offset(search.skip)
            .limit(search.limit)
            .select(User::as_select())
            .load(conn)?;
        Ok((page, count))
    }

    /// The account's user `id`; another account's is not found.
    pub fn find_in_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<User> {
        users::table
            .filter(users::id.eq(id))
            .filter(users::account_id.eq(account_id))
            .select(User::as_select())
            .first(conn)
    }

    /// As [`User::find_in_account`], the row locked until the transaction
    /// ends: a contact being assigned to the user (which holds it `FOR KEY
    /// SHARE`) waits, and then finds the user gone.
    pub fn find_in_account_for_update(
        conn: &mut PgConnection,
        account_id: Uuid,
        id: Uuid,
    ) -> QueryResult<User> {
        users::table
            .filter(users::id.eq(id))
            .filter(users::account_id.eq(account_id))
            .select(User::as_select())
            .for_update()
            .first(conn)
    }

    /// Locks the account's owners until the transaction ends and says who
    /// they are. Every change that could leave an account without an owner
    /// takes this first, so two of them cannot each count the other owner
    /// and both go ahead.
    pub fn lock_owners(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<Vec<Uuid>> {
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::role.eq(Role::Owner.as_str()))
            .order(users::id.asc())
            .select(users::id)
            .for_update()
            .load(conn)
    }

    pub fn set_role(conn: &mut PgConnection, id: Uuid, role: Role) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set(users::role.eq(role.as_str()))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Removes the user; their sessions go with them (`on delete cascade`),
    /// and the audit log keeps their email.
    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::delete(users::table.find(id))
            .execute(conn)
            .map(drop)
    }

    pub fn touch_last_login(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::last_login_at.eq(diesel::dsl::now))
            .execute(conn)
            .map(drop)
    }

    /// The user's Argon2id hash, locking the row so two password changes
    /// cannot both check the old password and both win.
    pub fn lock_password_hash(conn: &mut PgConnection, id: Uuid) -> QueryResult<String> {
        users::table
            .find(id)
            .select(users::password_hash)
            .for_update()
            .first(conn)
    }

    pub fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)
            .map(drop)
    }

    /// Stores the zone name as given: the caller has checked it against the
    /// tz database.
    pub fn set_time_zone(conn: &mut PgConnection, id: Uuid, zone: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::time_zone.eq(zone))
            .execute(conn)
            .map(drop)
    }
}

/// What a users search matches and how it is ordered.
#[derive(Debug, Clone)]
pub struct UserSearch<'a> {
    /// Part of the email address, lower-cased.
    pub text: Option<&'a str>,
    /// Only these users (unknown ids match nothing).
    pub ids: Option<Vec<Uuid>>,
    /// Only users with one of these roles.
    pub roles: Option<&'a [Role]>,
    pub sort: UserSort,
    pub descending: bool,
    pub skip: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    DateAdded,
    Email,
}
