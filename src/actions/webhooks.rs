//! What owners and admins do with an integration's webhook endpoints: add
//! one (issuing its signing secret), switch it off and on, delete it, roll
//! its secret, send it a test event, resend a failed delivery. Each locks the
//! integration, so a scope change cannot slip in between the check and the
//! change, and writes its audit event (target: the integration) in the same
//! transaction. Secrets never reach an audit event.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{ActionError, Actor, transaction};
use crate::domain::scope::Scope;
use crate::domain::webhook::{EventType, SigningSecret};
use crate::models::webhook_endpoint::{NewWebhookEndpoint, WebhookEndpoint};
use crate::models::webhook_log::{self, state};
use crate::models::{Account, Integration};
use crate::secrets::SecretBox;

/// How long the old secret keeps signing after a roll, so receivers can
/// switch over without missing a delivery.
pub const PREVIOUS_SECRET_VALID: Duration = Duration::hours(24);

/// Why an endpoint may not receive events while the integration lacks the
/// scope; also the form's message on `events`.
pub const NEEDS_CONTACTS_READONLY: &str = "Contact events need the View contacts scope (contacts.readonly). Add it to the integration first.";

/// The scope an integration needs before its endpoints may receive `event`.
fn required_scope(event: EventType) -> Scope {
    match event {
        EventType::ContactCreate | EventType::ContactUpdate | EventType::ContactDelete => {
            Scope::ContactsReadonly
        }
    }
}

/// Whether `integration` holds every scope `events` need.
pub fn may_receive(integration: &Integration, events: &[EventType]) -> bool {
    let granted = integration.scope_set();
    events.iter().all(|e| granted.contains(required_scope(*e)))
}

/// What the add form asks for, parsed.
pub struct NewEndpoint {
    /// Already parsed and screened as a target.
    pub url: String,
    /// At least one, in catalogue order, no repeats.
    pub events: Vec<EventType>,
}

fn names(events: &[EventType]) -> Vec<String> {
    events.iter().map(|e| e.name().to_string()).collect()
}

/// The audit event of a change to `endpoint`.
fn audit(
    conn: &mut PgConnection,
    actor: &Actor,
    account: &Account,
    action: &'static str,
    integration: &Integration,
    endpoint: &WebhookEndpoint,
    extra: Option<(&str, serde_json::Value)>,
) -> Result<(), ActionError> {
    let mut details = serde_json::json!({
        "endpoint_id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
    });
    if let (Some((key, value)), Some(map)) = (extra, details.as_object_mut()) {
        map.insert(key.to_string(), value);
    }
    actor
        .event(account.id, action, integration)
        .details(details)
        .insert(conn)?;
    Ok(())
}

/// Adds an endpoint with a new signing secret, sealed under the endpoint's
/// id; returns the secret for its one showing.
pub fn add_endpoint(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    secrets: &SecretBox,
    integration_id: Uuid,
    new: NewEndpoint,
) -> Result<(WebhookEndpoint, SigningSecret), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        if !may_receive(&integration, &new.events) {
            return Err(ActionError::Conflict(NEEDS_CONTACTS_READONLY));
        }
        let id = Uuid::new_v4();
        let secret = SigningSecret::generate();
        let endpoint = WebhookEndpoint::create(
            conn,
            NewWebhookEndpoint {
                id,
                account_id: account.id,
                integration_id,
                url: &new.url,
                events: names(&new.events),
                secret_sealed: secrets.seal(id, secret.expose().as_bytes()),
                created_by: actor.user_id,
            },
        )?;
        audit(
            conn,
            actor,
            account,
            "webhook.created",
            &integration,
            &endpoint,
            None,
        )?;
        Ok((endpoint, secret))
    })
}

/// Deletes the endpoint with its deliveries.
pub fn delete_endpoint(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    endpoint_id: Uuid,
) -> Result<WebhookEndpoint, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let endpoint =
            WebhookEndpoint::lock_for_integration(conn, account.id, integration_id, endpoint_id)?;
        WebhookEndpoint::delete(conn, endpoint.id)?;
        audit(
            conn,
            actor,
            account,
            "webhook.deleted",
            &integration,
            &endpoint,
            None,
        )?;
        Ok(endpoint)
    })
}

/// Switches the endpoint on or off; false (and nothing written) when it
/// already was.
pub fn set_endpoint_enabled(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    endpoint_id: Uuid,
    enabled: bool,
) -> Result<bool, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let before =
            WebhookEndpoint::lock_for_integration(conn, account.id, integration_id, endpoint_id)?;
        if before.enabled == enabled {
            return Ok(false);
        }
        let after = WebhookEndpoint::set_enabled(conn, endpoint_id, enabled)?;
        let (action, extra) = if enabled {
            (
                "webhook.enabled",
                Some((
                    "was_disabled_because",
                    serde_json::json!(before.disabled_reason),
                )),
            )
        } else {
            ("webhook.disabled", None)
        };
        audit(conn, actor, account, action, &integration, &after, extra)?;
        Ok(true)
    })
}

/// Issues a new secret; the current one keeps signing for
/// [`PREVIOUS_SECRET_VALID`]. Returns the new secret for its one showing.
pub fn roll_secret(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    secrets: &SecretBox,
    integration_id: Uuid,
    endpoint_id: Uuid,
) -> Result<(WebhookEndpoint, SigningSecret), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let before =
            WebhookEndpoint::lock_for_integration(conn, account.id, integration_id, endpoint_id)?;
        let secret = SigningSecret::generate();
        let until = Utc::now() + PREVIOUS_SECRET_VALID;
        let after = WebhookEndpoint::roll_secret(
            conn,
            endpoint_id,
            secrets.seal(endpoint_id, secret.expose().as_bytes()),
            before.secret_sealed,
            until,
        )?;
        audit(
            conn,
            actor,
            account,
            "webhook.secret_rolled",
            &integration,
            &after,
            Some(("previous_secret_until", serde_json::json!(until))),
        )?;
        Ok((after, secret))
    })
}

/// Why the endpoint cannot be sent anything now, in words for people.
fn refusal(integration: &Integration, endpoint: &WebhookEndpoint) -> Option<&'static str> {
    let events: Vec<EventType> = endpoint
        .events
        .iter()
        .filter_map(|n| EventType::parse(n))
        .collect();
    if !endpoint.enabled {
        Some("This endpoint is disabled. Enable it first.")
    } else if !may_receive(integration, &events) {
        Some(NEEDS_CONTACTS_READONLY)
    } else {
        None
    }
}

/// A contact body in HighLevel's flat shape, as a real event of type `event`
/// would carry it, about a contact that does not exist.
fn sample_body(event: EventType, location_id: Uuid, now: DateTime<Utc>) -> serde_json::Value {
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    serde_json::json!({
        "type": event.name(),
        "locationId": location_id.to_string(),
        "id": Uuid::new_v4().to_string(),
        "firstName": "Test",
        "lastName": "Contact",
        "name": "Test Contact",
        "email": "test.contact@example.com",
        "tags": ["test"],
        "dateAdded": at,
        "dateUpdated": at,
    })
}

/// Sends the endpoint a test event (its first event type, a sample contact)
/// as a new delivery with its own id; refused while the endpoint is disabled
/// or the integration lacks the scope. Returns the delivery's id.
pub fn send_test(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    endpoint_id: Uuid,
) -> Result<Uuid, ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let endpoint =
            WebhookEndpoint::lock_for_integration(conn, account.id, integration_id, endpoint_id)?;
        if let Some(why) = refusal(&integration, &endpoint) {
            return Err(ActionError::Conflict(why));
        }
        let event = endpoint
            .events
            .iter()
            .find_map(|n| EventType::parse(n))
            .unwrap_or(EventType::ContactCreate);
        let body = sample_body(event, account.id, Utc::now());
        let delivery_id =
            webhook_log::create_test_delivery(conn, account.id, endpoint.id, event, &body)?;
        audit(
            conn,
            actor,
            account,
            "webhook.test_sent",
            &integration,
            &endpoint,
            Some(("delivery_id", serde_json::json!(delivery_id))),
        )?;
        Ok(delivery_id)
    })
}

/// Sends a failed delivery again under the same id: one more attempt, due
/// now. A delivery still pending (or that succeeded) is left alone.
pub fn resend(
    conn: &mut PgConnection,
    account: &Account,
    actor: &Actor,
    integration_id: Uuid,
    endpoint_id: Uuid,
    delivery_id: Uuid,
) -> Result<(), ActionError> {
    transaction(conn, |conn| {
        let integration = Integration::lock_for_account(conn, account.id, integration_id)?;
        let endpoint =
            WebhookEndpoint::lock_for_integration(conn, account.id, integration_id, endpoint_id)?;
        match webhook_log::lock_state(conn, endpoint.id, delivery_id)?.as_str() {
            state::FAILED => {}
            state::PENDING => {
                return Err(ActionError::Conflict(
                    "This delivery is still pending: it will be attempted again on schedule.",
                ));
            }
            _ => {
                return Err(ActionError::Conflict(
                    "This delivery succeeded; only a failed delivery can be resent.",
                ));
            }
        }
        if let Some(why) = refusal(&integration, &endpoint) {
            return Err(ActionError::Conflict(why));
        }
        webhook_log::resend(conn, delivery_id)?;
        audit(
            conn,
            actor,
            account,
            "webhook.resent",
            &integration,
            &endpoint,
            Some(("delivery_id", serde_json::json!(delivery_id))),
        )?;
        Ok(())
    })
}
