//! Issuing, rotating and ending an integration's tokens, from the panel
//! and, for self-rotation, from the API.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{ActionError, Actor, transaction};
use crate::db::DbError;
use crate::domain::token::PlainToken;
use crate::models::access_token::reason;
use crate::models::{AccessToken, Account, Integration};

/// A token just issued: its row and its plaintext, to be shown once.
pub struct Issued {
    pub token: AccessToken,
    pub plain: PlainToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateMode {
    /// The old token is revoked in the same transaction.
    Now,
    /// The old token keeps working for this long.
    Later(Duration),
}

/// The newest live token outside a grace period: the one clients should use.
pub fn current_token<'a>(
    tokens: impl IntoIterator<Item = &'a AccessToken>,
) -> Option<&'a AccessToken> {
    tokens.into_iter().find(|t| !t.in_grace())
}

pub(crate) fn issue(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration: &Integration,
    rotated_from: Option<Uuid>,
    how: &'static str,
) -> Result<Issued, ActionError> {
    let expires_at = integration.new_token_expiry(Utc::now());
    let (token, plain) = AccessToken::issue(
        conn,
        integration.id,
        actor.user_id,
        expires_at,
        rotated_from,
    )?;
    if rotated_from.is_none() {
        actor
            .event(account.id, "token.generated", integration)
            .details(serde_json::json!({ "token": token.masked(), "via": how }))
            .insert(conn)?;
    }
    Ok(Issued { token, plain })
}

/// A new token for an integration that has none in use.
pub fn generate(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
) -> Result<Issued, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, id)?;
        let live = AccessToken::live_for_integration(conn, id, account.inactivity_expiry_days)?;
        // A token still in its grace period is active too (its successor
        // was expired): that one is rotated, not joined by another.
        if !live.is_empty() {
            return Err(ActionError::Conflict(
                "This integration already has an active token. Rotate it to get a new one.",
            ));
        }
        issue(conn, account, actor, &integration, None, "generate")
    })
}

pub fn rotate(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
    mode: RotateMode,
) -> Result<Issued, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, id)?;
        let live = AccessToken::live_for_integration(conn, id, account.inactivity_expiry_days)?;
        // With no current token, the newest one left in a grace period.
        let Some(old) = current_token(&live).or(live.first()) else {
            return Err(ActionError::Conflict(
                "There is no active token to rotate. Generate a new one instead.",
            ));
        };
        let old_ends = match mode {
            // For a leaked token: whatever is still in a grace period may
            // have leaked with it, so nothing old survives.
            RotateMode::Now => {
                for token in &live {
                    AccessToken::revoke(conn, token.id, reason::ROTATED)?;
                }
                Utc::now()
            }
            RotateMode::Later(grace) => {
                // A token already in a grace period never gains time.
                let until = old
                    .grace_ends_at
                    .map_or(Utc::now() + grace, |ends| ends.min(Utc::now() + grace));
                AccessToken::set_grace(conn, old.id, Some(until))?;
                old.expires_at.map_or(until, |e| e.min(until))
            }
        };
        let issued = issue(conn, account, actor, &integration, Some(old.id), "rotate")?;
        actor
            .event(account.id, "token.rotated", &integration)
            .details(serde_json::json!({
                "mode": match mode { RotateMode::Now => "now", RotateMode::Later(_) => "later" },
                "grace_seconds": match mode { RotateMode::Now => 0, RotateMode::Later(g) => g.num_seconds() },
                "old_token": old.masked(),
                "old_token_ends_at": old_ends,
                "also_revoked": match mode {
                    RotateMode::Now => live
                        .iter()
                        .filter(|t| t.id != old.id)
                        .map(|t| t.masked())
                        .collect::<Vec<_>>(),
                    RotateMode::Later(_) => Vec::new(),
                },
                "new_token": issued.token.masked(),
            }))
            .insert(conn)?;
        Ok(issued)
    })
}

/// Why a token could not rotate itself.
#[derive(Debug, thiserror::Error)]
pub enum SelfRotateError {
    /// The calling token stopped working since it was checked (another
    /// rotation won): the caller holds no credential any more.
    #[error("the token is no longer valid")]
    Gone,
    /// The calling token works but is not the current one (it is in a
    /// rotation grace period): only the current token may rotate.
    #[error("{0}")]
    NotCurrent(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ActionError> for SelfRotateError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => SelfRotateError::Gone,
            ActionError::Conflict(msg) => SelfRotateError::NotCurrent(msg),
            ActionError::Db(e) => SelfRotateError::Db(e),
        }
    }
}

impl From<diesel::result::Error> for SelfRotateError {
    fn from(e: diesel::result::Error) -> Self {
        ActionError::from(e).into()
    }
}

/// `POST /v2/token/rotate`: the calling token replaces itself. It is read
/// again under the integration's row lock, so of concurrent self-rotations
/// exactly one wins, and one raced by the panel's Rotate Now finds itself
/// revoked. `Now` ends only the calling token; tokens of earlier rotations
/// keep their grace periods.
pub fn self_rotate(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    token_id: Uuid,
    mode: RotateMode,
) -> Result<Issued, SelfRotateError> {
    conn.transaction(|conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let live = AccessToken::live_for_integration(
            conn,
            integration_id,
            account.inactivity_expiry_days,
        )?;
        let Some(caller) = live.iter().find(|t| t.id == token_id) else {
            return Err(SelfRotateError::Gone);
        };
        if current_token(&live).map(|t| t.id) != Some(caller.id) {
            return Err(SelfRotateError::NotCurrent(
                "This token is being replaced; only the current token can rotate",
            ));
        }
        let old_ends = match mode {
            RotateMode::Now => {
                AccessToken::revoke(conn, caller.id, reason::ROTATED)?;
                Utc::now()
            }
            RotateMode::Later(grace) => {
                let until = Utc::now() + grace;
                AccessToken::set_grace(conn, caller.id, Some(until))?;
                caller.expires_at.map_or(until, |e| e.min(until))
            }
        };
        let issued = issue(conn, account, actor, &integration, Some(caller.id), "api")?;
        actor
            .event(account.id, "token.rotated", &integration)
            .details(serde_json::json!({
                "via": "api",
                "mode": match mode { RotateMode::Now => "now", RotateMode::Later(_) => "later" },
                "grace_seconds": match mode { RotateMode::Now => 0, RotateMode::Later(g) => g.num_seconds() },
                "old_token": caller.masked(),
                "old_token_ends_at": old_ends,
                "new_token": issued.token.masked(),
            }))
            .insert(conn)?;
        Ok(issued)
    })
}

/// Undoes the latest "rotate and expire later" while its grace period runs:
/// the new token is revoked and the old one is current again.
///
/// With `newest`, only the rotation that issued that token is cancelled: a
/// form sent twice (a double click, a retry) must not go on to cancel the
/// rotation before it.
pub fn cancel_rotation(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
    newest: Option<Uuid>,
) -> Result<(), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, id)?;
        let live = AccessToken::live_for_integration(conn, id, account.inactivity_expiry_days)?;
        let previous = current_token(&live).and_then(|new| {
            let old = live
                .iter()
                .find(|t| Some(t.id) == new.rotated_from && t.in_grace())?;
            Some((new, old))
        });
        let Some((new, old)) = previous else {
            return Err(ActionError::Conflict("No rotation is in progress."));
        };
        if newest.is_some_and(|asked| asked != new.id) {
            return Err(ActionError::Conflict(
                "That rotation was already cancelled; the rotation in progress now is another one.",
            ));
        }
        AccessToken::revoke(conn, new.id, reason::ROTATION_CANCELLED)?;
        AccessToken::set_grace(conn, old.id, None)?;
        actor
            .event(account.id, "token.rotation_cancelled", &integration)
            .details(serde_json::json!({
                "revoked_token": new.masked(),
                "current_token": old.masked(),
            }))
            .insert(conn)?;
        Ok(())
    })
}

/// Expire Now: the token stops working at once, in or out of a grace period.
pub fn expire(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
    token_id: Uuid,
) -> Result<(), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, id)?;
        let token = AccessToken::find_for_integration(conn, id, token_id)?;
        if !token.is_live(Utc::now(), account.inactivity_expiry_days) {
            return Err(ActionError::Conflict("That token has already expired."));
        }
        AccessToken::revoke(conn, token.id, reason::EXPIRED_BY_USER)?;
        actor
            .event(account.id, "token.expired", &integration)
            .details(serde_json::json!({ "token": token.masked() }))
            .insert(conn)?;
        Ok(())
    })
}
