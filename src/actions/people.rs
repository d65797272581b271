//! What people do to get in and out, and how they come to exist: first-run
//! setup, signing in and out, and `create-admin`. Each writes its audit event
//! in the same transaction as its change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::domain::email::Email;
use crate::models::login_attempt::{self, Admission};
use crate::models::user::NewUser;
use crate::models::{Account, NewAuditEvent, Role, User};

/// A sign-in the throttle let through: its in-flight attempt, to be settled
/// by [`finish_sign_in`], and the user with their hash if the email is known.
pub struct SignInAttempt {
    pub attempt: i64,
    pub user: Option<(User, String)>,
}

/// Counts the attempt before the password is checked, so concurrent
/// attempts cannot outrun the limit; `Err` says until when sign-in is closed
/// for this email or address.
pub fn begin_sign_in(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
) -> Result<Result<SignInAttempt, DateTime<Utc>>, DbError> {
    match login_attempt::admit(conn, email, ip)? {
        Admission::Refused(until) => Ok(Err(until)),
        Admission::Admitted(attempt) => Ok(Ok(SignInAttempt {
            attempt,
            user: User::find_for_sign_in(conn, email)?,
        })),
    }
}

/// Settles the attempt and, for a known email, writes `user.login` or
/// `user.login_failed`.
pub fn finish_sign_in(
    conn: &mut PgConnection,
    attempt: i64,
    user: Option<&User>,
    succeeded: bool,
    ip: &str,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        login_attempt::settle(conn, attempt, succeeded)?;
        if let Some(user) = user {
            let action = if succeeded {
                "user.login"
            } else {
                "user.login_failed"
            };
            audit_self(user, action, ip).insert(conn)?;
            if succeeded {
                User::touch_last_login(conn, user.id)?;
            }
        }
        Ok(())
    })
}

pub fn sign_out(conn: &mut PgConnection, user: &User, ip: &str) -> Result<(), DbError> {
    Ok(audit_self(user, "user.logout", ip).insert(conn)?)
}

/// An event the user did to themself.
fn audit_self(user: &User, action: &'static str, ip: &str) -> NewAuditEvent {
    NewAuditEvent::new(user.account_id, action)
        .actor(user.id, &user.email)
        .target("user", user.id, &user.email)
        .ip(ip)
}

/// First run: the account and its owner. `None` when a user exists already
/// (another first-run form won the race).
pub fn set_up(
    conn: &mut PgConnection,
    account_name: &str,
    email: &Email,
    password_hash: &str,
    ip: &str,
) -> Result<Option<User>, DbError> {
    conn.transaction(|conn| {
        // Two first-run forms submitted at once must not make two owners.
        User::lock_for_first_run(conn)?;
        if User::any_exists(conn)? {
            return Ok(None);
        }
        let account = Account::create(conn, account_name)?;
        let user = add_member(conn, &account, email, password_hash, Role::Owner)?;
        User::touch_last_login(conn, user.id)?;
        NewAuditEvent::new(account.id, "account.created")
            .actor(user.id, &user.email)
            .target("account", account.id, &account.name)
            .ip(ip)
            .insert(conn)?;
        Ok(Some(user))
    })
}

/// `create-admin`: the owner of a new account of that name, or an admin of
/// the existing one. `None` when the email is taken.
pub fn add_from_command_line(
    conn: &mut PgConnection,
    account_name: &str,
    email: &Email,
    password_hash: &str,
) -> Result<Option<(Account, Role)>, DbError> {
    conn.transaction(|conn| {
        if User::find_by_email(conn, email.as_str())?.is_some() {
            return Ok(None);
        }
        let (account, role) = match Account::find_by_name(conn, account_name)? {
            Some(a) => (a, Role::Admin),
            None => (Account::create(conn, account_name)?, Role::Owner),
        };
        let user = add_member(conn, &account, email, password_hash, role)?;
        NewAuditEvent::new(account.id, "user.added")
            .target("user", user.id, &user.email)
            .details(serde_json::json!({ "role": role.as_str(), "via": "command line" }))
            .insert(conn)?;
        Ok(Some((account, role)))
    })
}

fn add_member(
    conn: &mut PgConnection,
    account: &Account,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> QueryResult<User> {
    User::create(
        conn,
        NewUser {
            account_id: account.id,
            email: email.as_str(),
            password_hash,
            role: role.as_str(),
        },
    )
}
