//! Tokens that went unused: ended by one action wherever disuse is found.

use diesel::prelude::*;
use uuid::Uuid;

use super::{ActionError, Actor};
use crate::models::access_token::reason;
use crate::models::{AccessToken, Account, Integration, NewAuditEvent};

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

/// Changes the account's inactivity window (`None` = off) and records it as
/// `account.updated`: the account's settings form with only the window
/// changed (see [`super::account::update`]).
pub fn set_inactivity_window(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    days: Option<i32>,
) -> Result<Account, ActionError> {
    super::account::update(conn, account_id, actor, None, days)
}

/// Moves the locked account `before` to the window `days`. Tokens past the
/// old window are marked first, then those past the new one, in the
/// caller's transaction: a token once expired stays expired even if the
/// window grows or is switched off.
pub(crate) fn move_window(
    conn: &mut PgConnection,
    before: &Account,
    days: Option<i32>,
) -> QueryResult<Account> {
    if let Some(old) = before.inactivity_expiry_days {
        expire_inactive(conn, before.id, old, None)?;
    }
    let after = Account::set_inactivity_expiry(conn, before.id, days)?;
    if let Some(new) = days {
        expire_inactive(conn, before.id, new, None)?;
    }
    Ok(after)
}
