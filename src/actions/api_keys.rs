//! The legacy API v1 key: generated (replacing any live one) and disabled,
//! each with its audit event.

use diesel::prelude::*;
use uuid::Uuid;

use super::Actor;
use crate::db::DbError;
use crate::domain::token::PlainToken;
use crate::models::NewAuditEvent;
use crate::models::legacy_api_key::LegacyApiKey;

/// A new key for the account, revoking the live one; its plaintext is for
/// the reveal page only.
pub fn generate_key(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
) -> Result<(LegacyApiKey, PlainToken), DbError> {
    conn.transaction(|conn| {
        let (key, plain, replaced) = LegacyApiKey::issue(conn, account_id, actor.user_id)?;
        let action = if replaced {
            "api_key.regenerated"
        } else {
            "api_key.generated"
        };
        audit(actor, account_id, action, &key).insert(conn)?;
        Ok((key, plain))
    })
}

/// Revokes the live key; false when there was none.
pub fn disable_key(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let Some(key) = LegacyApiKey::live_for_account(conn, account_id)? else {
            return Ok(false);
        };
        LegacyApiKey::revoke_live(conn, account_id)?;
        audit(actor, account_id, "api_key.disabled", &key).insert(conn)?;
        Ok(true)
    })
}

fn audit(
    actor: &Actor,
    account_id: Uuid,
    action: &'static str,
    key: &LegacyApiKey,
) -> NewAuditEvent {
    actor
        .audit(account_id, action)
        .target("api_key", key.id, &key.masked())
}
