//! Alerts: raised by the usage writer (a dead token tried, a new client
//! address), each with its audit line and, when email notices are on, its
//! email, and dismissed by editors.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::notices::{AlertFacts, Notices};
use super::{ActionError, Actor};
use crate::models::alert::{Alert, AlertKind, NewAlert};
use crate::models::{AccessToken, Account, Integration, NewAuditEvent};

/// A request that raises an alert.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    pub account_id: Uuid,
    pub integration_id: Uuid,
    pub kind: AlertKind,
    pub token_id: Uuid,
    pub ip: &'a str,
    pub at: DateTime<Utc>,
}

/// Raises an alert for the request, with its audit event and, when
/// `notices` are on, its email to the account's owners and admins, unless
/// the same token and address already raised one that day. Returns whether
/// it did.
pub fn raise(
    conn: &mut PgConnection,
    seen: &Sighting<'_>,
    notices: Option<&Notices>,
) -> QueryResult<bool> {
    let Sighting {
        account_id,
        integration_id,
        kind,
        token_id,
        ip,
        at,
    } = *seen;
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
        let Some(alert_id) = inserted else {
            return Ok(false);
        };
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
        if let Some(notices) = notices {
            let facts = AlertFacts {
                alert_id,
                account_id,
                integration_id,
                integration: &name,
                kind,
                ip,
                at,
            };
            super::notices::queue_alert(conn, notices, &facts)?;
        }
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
