//! What people (and, for self-rotation, tokens) do to integrations: each
//! action is one transaction that locks the integration row, makes the
//! change and writes its audit event, so concurrent actions never interleave
//! and no change goes unrecorded.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbError;
use crate::domain::scope::ScopeSet;
use crate::domain::token::PlainToken;
use crate::models::access_token::reason;
use crate::models::integration::NewIntegration;
use crate::models::{AccessToken, Account, Integration, NewAuditEvent};

/// Who acts, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub ip: String,
}

impl Actor {
    /// An audit event of the account done by this actor.
    pub fn audit(&self, account_id: Uuid, action: &'static str) -> NewAuditEvent {
        let mut e = NewAuditEvent::new(account_id, action).ip(&self.ip);
        e.actor_user_id = self.user_id;
        e.actor_email = self.email.clone();
        e
    }

    fn event(
        &self,
        account_id: Uuid,
        action: &'static str,
        integration: &Integration,
    ) -> NewAuditEvent {
        self.audit(account_id, action)
            .integration(integration.id, &integration.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The integration or token is not the account's, or is gone.
    #[error("not found")]
    NotFound,
    /// The action does not apply in the current state; the message is for people.
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ActionError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ActionError::NotFound,
            other => ActionError::Db(DbError::Query(other)),
        }
    }
}

/// A token just issued: its row and its plaintext, to be shown once.
pub struct Issued {
    pub token: AccessToken,
    pub plain: PlainToken,
}

pub struct NewIntegrationFields {
    pub name: String,
    pub description: String,
    pub scopes: ScopeSet,
    pub lifetime_days: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateMode {
    /// The old token is revoked in the same transaction.
    Now,
    /// The old token keeps working for this long.
    Later(Duration),
}

/// The newest live token outside a grace period: the one clients should use.
pub fn current_token(tokens: &[AccessToken]) -> Option<&AccessToken> {
    tokens.iter().find(|t| !t.in_grace())
}

fn transaction<T>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> Result<T, ActionError>,
) -> Result<T, ActionError> {
    conn.transaction(f)
}

pub fn create(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    fields: NewIntegrationFields,
) -> Result<(Integration, Issued), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::create(
            conn,
            NewIntegration {
                account_id: account.id,
                name: &fields.name,
                description: &fields.description,
                scopes: fields.scopes.names(),
                token_lifetime_days: fields.lifetime_days,
                created_by: actor.user_id,
            },
        )?;
        actor
            .event(account.id, "integration.created", &integration)
            .details(serde_json::json!({
                "scopes": fields.scopes.names(),
                "lifetime_days": fields.lifetime_days,
            }))
            .insert(conn)?;
        let issued = issue(conn, account, actor, &integration, None, "created")?;
        Ok((integration, issued))
    })
}

fn issue(
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

/// What the edit form changes.
pub struct IntegrationEdit {
    pub name: String,
    pub description: String,
    pub scopes: ScopeSet,
    /// Normalised CIDR blocks; empty = anywhere.
    pub ip_allowlist: Vec<String>,
}

pub fn update(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
    edit: &IntegrationEdit,
) -> Result<Integration, ActionError> {
    transaction(conn, |conn| {
        let before = Integration::lock_for_account(conn, account.id, id)?;
        let (added, removed) = before.scope_set().added_and_removed(&edit.scopes);
        let after = Integration::update_details(conn, id, edit)?;
        let names = |v: Vec<crate::domain::scope::Scope>| {
            v.into_iter().map(|s| s.name()).collect::<Vec<_>>()
        };
        actor
            .event(account.id, "integration.updated", &after)
            .details(serde_json::json!({
                "name": { "from": before.name, "to": after.name },
                "scopes_added": names(added),
                "scopes_removed": names(removed),
                "ip_allowlist": { "from": before.ip_allowlist, "to": after.ip_allowlist },
            }))
            .insert(conn)?;
        Ok(after)
    })
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
        if current_token(&live).is_some() {
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
        let Some(old) = current_token(&live) else {
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
                let until = Utc::now() + grace;
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
pub fn cancel_rotation(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
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

/// Revokes every token and removes the integration from lists.
pub fn delete(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    id: Uuid,
) -> Result<Integration, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, id)?;
        let revoked = AccessToken::revoke_all(conn, id, reason::DELETED)?;
        Integration::soft_delete(conn, id)?;
        actor
            .event(account.id, "integration.deleted", &integration)
            .details(serde_json::json!({ "tokens_revoked": revoked }))
            .insert(conn)?;
        Ok(integration)
    })
}

/// Inactivity expiry, one action wherever disuse is found: on a request,
/// by the periodic sweep, or when the account's window changes. Each token
/// it ends gets one `token.expired` event, and only the call that actually
/// changed the row writes it. Returns how many tokens it ended.
pub fn expire_inactive(
    conn: &mut PgConnection,
    account_id: Uuid,
    days: i32,
    only: Option<Uuid>,
) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let ended = AccessToken::mark_inactive(conn, account_id, days, only)?;
        if ended.is_empty() {
            return Ok(0);
        }
        let ids: Vec<Uuid> = ended.iter().map(|t| t.integration_id).collect();
        let names: std::collections::HashMap<Uuid, String> =
            Integration::names(conn, &ids)?.into_iter().collect();
        for token in &ended {
            let name = names.get(&token.integration_id).map_or("", String::as_str);
            NewAuditEvent::new(account_id, "token.expired")
                .integration(token.integration_id, name)
                .details(serde_json::json!({
                    "token": token.masked(),
                    "reason": reason::INACTIVE,
                    "inactivity_days": days,
                    "last_used_at": token.last_used_at,
                }))
                .insert(conn)?;
        }
        Ok(ended.len())
    })
}

/// Changes the account's inactivity window (`None` = off). Tokens past the
/// old window are marked first, then those past the new one, in the same
/// transaction: a token once expired stays expired even if the window
/// grows or is switched off.
pub fn set_inactivity_window(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    days: Option<i32>,
) -> Result<Account, ActionError> {
    transaction(conn, |conn| {
        let before = Account::lock(conn, account_id)?;
        if let Some(old) = before.inactivity_expiry_days {
            expire_inactive(conn, account_id, old, None)?;
        }
        let after = Account::set_inactivity_expiry(conn, account_id, days)?;
        if let Some(new) = days {
            expire_inactive(conn, account_id, new, None)?;
        }
        actor
            .audit(account_id, "account.updated")
            .target("account", account_id, &after.name)
            .details(serde_json::json!({
                "inactivity_expiry_days": {
                    "from": before.inactivity_expiry_days,
                    "to": after.inactivity_expiry_days,
                },
            }))
            .insert(conn)?;
        Ok(after)
    })
}

/// How long ago or ahead, in whole days, rounded up: "Expires in N days".
pub fn days_until(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (end - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}
