//! What a signed-in user changes about themself: the time zone the panel
//! shows them, and their password, which ends every session they have.
//! Guesses at the current password count against the same limits as
//! sign-in attempts, so a borrowed session cannot be used to find it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{ActionError, Actor, transaction};
use crate::auth::password;
use crate::domain::password::Password;
use crate::models::login_attempt::{self, Admission};
use crate::models::{User, session};

/// Stores the user's zone (an IANA name the caller has checked); the same
/// zone again changes nothing and records nothing.
pub fn set_time_zone(
    conn: &mut PgConnection,
    user: &User,
    actor: &Actor,
    zone: &str,
) -> Result<(), ActionError> {
    if user.time_zone == zone {
        return Ok(());
    }
    transaction(conn, |conn| {
        User::set_time_zone(conn, user.id, zone)?;
        actor
            .audit(user.account_id, "user.profile_updated")
            .target("user", user.id, &user.email)
            .details(serde_json::json!({ "time_zone": { "from": user.time_zone, "to": zone } }))
            .insert(conn)?;
        Ok(())
    })
}

/// What came of a password change.
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordChange {
    /// The new hash is stored and every session of the user is gone; the
    /// caller starts the one it answers under a new id.
    Changed,
    /// The current password given is not the user's: nothing changed.
    WrongCurrentPassword,
    /// Too many wrong passwords for this email or address lately: not
    /// checked, nothing changed, until this moment.
    Throttled(DateTime<Utc>),
}

/// Checks `current` against the stored hash under a row lock, then stores
/// `new_hash` and ends all of the user's sessions, with the audit event, in
/// one transaction. The check is a sign-in attempt of the user's email from
/// the actor's address, throttled and settled like one. Runs Argon2 on the
/// calling (blocking) thread.
pub fn change_password(
    conn: &mut PgConnection,
    user: &User,
    actor: &Actor,
    current: &Password,
    new_hash: &str,
) -> Result<PasswordChange, ActionError> {
    let attempt = match login_attempt::admit(conn, &user.email, &actor.ip)? {
        Admission::Refused(until) => return Ok(PasswordChange::Throttled(until)),
        Admission::Admitted(attempt) => attempt,
    };
    let outcome = transaction(conn, |conn| {
        let stored = User::lock_password_hash(conn, user.id)?;
        if !password::verify_blocking(current.expose(), Some(&stored)) {
            return Ok(PasswordChange::WrongCurrentPassword);
        }
        User::set_password_hash(conn, user.id, new_hash)?;
        let sessions = session::delete_for_user(conn, user.id)?;
        actor
            .audit(user.account_id, "user.password_changed")
            .target("user", user.id, &user.email)
            .details(serde_json::json!({ "sessions_ended": sessions }))
            .insert(conn)?;
        Ok(PasswordChange::Changed)
    });
    login_attempt::settle(
        conn,
        attempt,
        matches!(outcome, Ok(PasswordChange::Changed)),
    )?;
    outcome
}
