//! How endpoints, deliveries and attempts read on the webhook pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::webhook::EventType;
use crate::models::webhook_endpoint::{WebhookEndpoint, disabled_reason};
use crate::models::webhook_log::{LoggedAttempt, LoggedDelivery, state};
use crate::web::when::Zone;

/// What the log shows of a response body at most (the worker stores no
/// more than this either).
const EXCERPT_BYTES: usize = 1024;

/// An event as the pages name it: HighLevel's name and words.
pub struct EventName {
    pub name: &'static str,
    pub label: &'static str,
}

impl From<EventType> for EventName {
    fn from(e: EventType) -> Self {
        EventName {
            name: e.name(),
            label: e.label(),
        }
    }
}

/// Words and badge for a delivery's state.
fn delivery_state(state: &str) -> (&'static str, &'static str) {
    match state {
        state::SUCCEEDED => ("Succeeded", "badge badge-success"),
        state::FAILED => ("Failed", "badge badge-danger"),
        _ => ("Pending", "badge badge-info"),
    }
}

/// One endpoint on the webhooks page.
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventName>,
    pub enabled: bool,
    pub status: &'static str,
    pub status_class: &'static str,
    /// The newest delivery: its state in words, badge and when it was made.
    pub last_delivery: Option<(&'static str, &'static str, String)>,
    pub created: String,
}

impl EndpointView {
    pub fn new(
        e: &WebhookEndpoint,
        latest: &HashMap<Uuid, (String, DateTime<Utc>)>,
        zone: Zone,
    ) -> EndpointView {
        let (status, status_class) = match (e.enabled, e.disabled_reason.as_deref()) {
            (true, _) => ("Enabled", "badge badge-success"),
            (false, Some(disabled_reason::FAILING)) => (
                "Disabled: every delivery failed for 5 days",
                "badge badge-danger",
            ),
            (false, _) => ("Disabled", "badge"),
        };
        EndpointView {
            id: e.id,
            url: e.url.clone(),
            events: e
                .events
                .iter()
                .filter_map(|n| EventType::parse(n))
                .map(EventName::from)
                .collect(),
            enabled: e.enabled,
            status,
            status_class,
            last_delivery: latest.get(&e.id).map(|(state, at)| {
                let (words, class) = delivery_state(state);
                (words, class, zone.minute(*at))
            }),
            created: zone.minute(e.created_at),
        }
    }
}

/// One attempt in the delivery log.
pub struct AttemptView {
    pub number: i32,
    pub when: String,
    /// The status code, or why there was none.
    pub outcome: String,
    pub outcome_class: &'static str,
    pub duration_ms: i32,
    pub excerpt: String,
}

impl AttemptView {
    fn new(a: &LoggedAttempt, zone: Zone) -> AttemptView {
        let (outcome, outcome_class) = match (a.status_code, a.error.as_deref()) {
            (Some(code @ 200..=299), _) => (code.to_string(), "badge badge-success"),
            (Some(code), _) => (code.to_string(), "badge badge-danger"),
            (None, Some(error)) => (error.to_string(), "badge badge-danger"),
            (None, None) => ("No answer".to_string(), "badge badge-danger"),
        };
        AttemptView {
            number: a.attempt,
            when: zone.minute(a.started_at),
            outcome,
            outcome_class,
            duration_ms: a.duration_ms,
            excerpt: first_bytes(&a.response_excerpt, EXCERPT_BYTES).to_string(),
        }
    }
}

/// At most `n` bytes of `text`, cut at a character boundary.
fn first_bytes(text: &str, n: usize) -> &str {
    let mut end = text.len().min(n);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One delivery in the log, with every attempt.
pub struct DeliveryView {
    pub id: Uuid,
    pub event_type: String,
    pub is_test: bool,
    pub status: &'static str,
    pub status_class: &'static str,
    pub created: String,
    /// When a pending delivery is next tried.
    pub next_attempt: Option<String>,
    pub attempts: Vec<AttemptView>,
    pub can_resend: bool,
}

impl DeliveryView {
    pub fn new(d: &LoggedDelivery, attempts: &[LoggedAttempt], zone: Zone) -> DeliveryView {
        let (status, status_class) = delivery_state(&d.state);
        DeliveryView {
            id: d.id,
            event_type: d.event_type.clone(),
            is_test: d.is_test,
            status,
            status_class,
            created: zone.minute(d.created_at),
            next_attempt: (d.state == state::PENDING)
                .then_some(d.next_attempt_at)
                .flatten()
                .map(|t| zone.minute(t)),
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| AttemptView::new(a, zone))
                .collect(),
            can_resend: d.state == state::FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::first_bytes;

    #[test]
    fn excerpts_are_cut_at_a_character_boundary() {
        assert_eq!(first_bytes("abc", 2), "ab");
        assert_eq!(first_bytes("abc", 10), "abc");
        // "é" is two bytes: cutting inside it keeps what comes before.
        assert_eq!(first_bytes("aé", 2), "a");
    }
}
