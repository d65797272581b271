//! What an owner does to the account's users: adding one, changing a role,
//! removing one. Each is one transaction with its audit event; the two that
//! can take an owner away lock the account's owners first, so the account
//! always keeps at least one.

use diesel::prelude::*;
use uuid::Uuid;

use super::contacts::{ContactEvents, announce_updates};
use super::{ActionError, Actor, transaction};
use crate::domain::email::Email;
use crate::models::contact::Contact;
use crate::models::user::NewUser;
use crate::models::{Role, User, session};

/// Why a change that would leave the account without an owner is refused.
pub const LAST_OWNER: &str = "An account needs an owner: make someone else an owner first.";

/// Adds a user to the account. An email already in use (in any account)
/// fails on the unique index: see `models::user::is_duplicate_email`.
pub fn add(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<User, ActionError> {
    transaction(conn, |conn| {
        let user = User::create(
            conn,
            NewUser {
                account_id,
                email: email.as_str(),
                password_hash,
                role: role.as_str(),
            },
        )?;
        actor
            .audit(account_id, "user.added")
            .target("user", user.id, &user.email)
            .details(serde_json::json!({ "role": role.as_str() }))
            .insert(conn)?;
        Ok(user)
    })
}

/// Gives the account's user `id` another role; giving the role they have
/// changes nothing and records nothing.
pub fn change_role(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    id: Uuid,
    role: Role,
) -> Result<User, ActionError> {
    transaction(conn, |conn| {
        let owners = User::lock_owners(conn, account_id)?;
        let user = User::find_in_account(conn, account_id, id)?;
        let from = user.role();
        if from == role {
            return Ok(user);
        }
        if from == Role::Owner && owners.len() <= 1 {
            return Err(ActionError::Conflict(LAST_OWNER));
        }
        let changed = User::set_role(conn, id, role)?;
        actor
            .audit(account_id, "user.role_changed")
            .target("user", changed.id, &changed.email)
            .details(serde_json::json!({ "from": from.as_str(), "to": role.as_str() }))
            .insert(conn)?;
        Ok(changed)
    })
}

/// Removes the account's user `id` and ends every session they have, in
/// the same transaction: their next request finds no session. Contacts
/// assigned to them are unassigned, each a `ContactUpdate` event.
pub fn remove(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    id: Uuid,
    events: ContactEvents,
) -> Result<User, ActionError> {
    transaction(conn, |conn| {
        let owners = User::lock_owners(conn, account_id)?;
        let user = User::find_in_account_for_update(conn, account_id, id)?;
        if user.role() == Role::Owner && owners.len() <= 1 {
            return Err(ActionError::Conflict(LAST_OWNER));
        }
        let unassigned = Contact::unassign_user(conn, account_id, id)?;
        announce_updates(conn, &unassigned, events.0)?;
        let sessions = session::delete_for_user(conn, id)?;
        // Written before the user goes: an owner may remove themselves, and
        // the event's actor must exist when it is written (removing the user
        // then clears the reference; the event keeps the email).
        actor
            .audit(account_id, "user.removed")
            .target("user", user.id, &user.email)
            .details(serde_json::json!({
                "role": user.role().as_str(),
                "sessions_ended": sessions,
                "contacts_unassigned": unassigned.len(),
            }))
            .insert(conn)?;
        User::delete(conn, id)?;
        Ok(user)
    })
}
