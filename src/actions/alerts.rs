//! Alerts: raised by the usage writer (a dead token tried, a new client
//! address), each with its audit line, and dismissed by editors.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{ActionError, Actor};
use crate::models::alert::{Alert, AlertKind, NewAlert};
use crate::models::{AccessToken, Account, Integration, NewAuditEvent};

/// Raises an alert for the request at `at`, with its audit event, unless
/// the same token and address already raised one that day. Returns whether
/// it did.
pub fn raise(
    conn: &mut PgConnection,
    account_id: Uuid,
    integration_id: Uuid,
    kind: AlertKind,
    token_id: Uuid,
    ip: &str,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let inserted = NewAlert {
            account_id,
            integration_id,
            kind: kind.as_str(),
            token_id,
            ip,
            day: at.date_naive(),
            created_at: at,
        }
        .insert(conn)?;
        if inserted.is_none() {
            return Ok(false);
        }
        let token = AccessToken::find_for_integration(conn, integration_id, token_id)?;
        let name = Integration::names(conn, &[integration_id])?
            .into_iter()
            .next()
            .map(|(_, name)| name)
            .unwrap_or_default();
        NewAuditEvent::new(account_id, kind.action())
            .integration(integration_id, &name)
            .details(serde_json::json!({ "token": token.masked(), "ip": ip }))
            .ip(ip)
            .insert(conn)?;
        Ok(true)
    })
}

/// Hides an alert's banner. Another account's (or integration's) alert is
/// not found; dismissing one twice changes nothing the second time.
pub fn dismiss(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    alert_id: Uuid,
) -> Result<(), ActionError> {
    super::transaction(conn, |conn| {
        let integration = Integration::find_for_account(conn, account.id, integration_id)?;
        let Some(user) = actor.user_id else {
            return Err(ActionError::NotFound);
        };
        let dismissed =
            Alert::dismiss(conn, account.id, integration_id, alert_id, user, Utc::now())?;
        let Some(alert) = dismissed else {
            return if Alert::exists(conn, account.id, integration_id, alert_id)? {
                Ok(())
            } else {
                Err(ActionError::NotFound)
            };
        };
        actor
            .event(account.id, "alert.dismissed", &integration)
            .details(serde_json::json!({ "kind": alert.kind, "ip": alert.ip }))
            .insert(conn)?;
        Ok(())
    })
}
