//! Creating, editing and deleting private integrations.

use diesel::prelude::*;
use uuid::Uuid;

use super::tokens::{Issued, issue};
use super::{ActionError, Actor, transaction};
use crate::domain::scope::ScopeSet;
use crate::models::access_token::reason;
use crate::models::integration::{IntegrationEdit, NewIntegration};
use crate::models::{AccessToken, Account, Integration};

pub struct NewIntegrationFields {
    pub name: String,
    pub description: String,
    pub scopes: ScopeSet,
    pub lifetime_days: Option<i32>,
    /// Normalised CIDR blocks; empty = anywhere.
    pub ip_allowlist: Vec<String>,
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
                ip_allowlist: &fields.ip_allowlist,
            },
        )?;
        actor
            .event(account.id, "integration.created", &integration)
            .details(serde_json::json!({
                "scopes": fields.scopes.names(),
                "lifetime_days": fields.lifetime_days,
                "ip_allowlist": fields.ip_allowlist,
            }))
            .insert(conn)?;
        let issued = issue(conn, account, actor, &integration, None, "created")?;
        Ok((integration, issued))
    })
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
