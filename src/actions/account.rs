//! The account's own settings: its name and its tokens' inactivity window,
//! changed in one transaction with one `account.updated` event.

use diesel::prelude::*;
use uuid::Uuid;

use super::inactivity::move_window;
use super::{ActionError, Actor, transaction};
use crate::models::Account;

/// Renames the account (when `name` is given) and sets its inactivity
/// window (`None` = off), marking the tokens past the old window and then
/// those past the new one expired. A save that changes nothing records
/// nothing. Every instance forgets the account's cached tokens, which carry
/// the account as it was.
pub fn update(
    conn: &mut PgConnection,
    account_id: Uuid,
    actor: &Actor,
    name: Option<&str>,
    inactivity_expiry_days: Option<i32>,
) -> Result<Account, ActionError> {
    transaction(conn, |conn| {
        let before = Account::lock(conn, account_id)?;
        let mut after = move_window(conn, &before, inactivity_expiry_days)?;
        if let Some(name) = name.filter(|n| *n != before.name) {
            after = Account::rename(conn, account_id, name)?;
        }
        let mut changes = serde_json::Map::new();
        if before.name != after.name {
            changes.insert(
                "name".into(),
                serde_json::json!({ "from": before.name, "to": after.name }),
            );
        }
        if before.inactivity_expiry_days != after.inactivity_expiry_days {
            changes.insert(
                "inactivity_expiry_days".into(),
                serde_json::json!({
                    "from": before.inactivity_expiry_days,
                    "to": after.inactivity_expiry_days,
                }),
            );
        }
        if !changes.is_empty() {
            actor
                .audit(account_id, "account.updated")
                .target("account", account_id, &after.name)
                .details(serde_json::Value::Object(changes))
                .insert(conn)?;
        }
        Ok(after)
    })
}
