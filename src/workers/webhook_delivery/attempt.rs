//! One attempt at one delivery: sign the stored body with the endpoint's
//! secret (and, for a day after a roll, its previous one), send it, and
//! record the attempt with what follows from it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use uuid::Uuid;

use super::client::{Answer, DeliveryClient, SignedRequest};
use crate::config::Settings;
use crate::db::{self, DbError, DbPool};
use crate::domain::webhook::{SigningSecret, signature_header};
use crate::models::webhook_delivery::{self, ClaimedDelivery, NewWebhookAttempt, Verdict};
use crate::secrets::SecretBox;

/// An endpoint that has failed every attempt for this long is disabled.
const DISABLE_AFTER_DAYS: i32 = 5;
/// How long a finished attempt keeps trying to be recorded while the
/// database is away; after that the lease runs out and the delivery is
/// attempted again, so it is sent at least once.
pub(super) const RECORD_FOR: Duration = Duration::from_secs(30);
const RECORD_RETRY_EVERY: Duration = Duration::from_secs(1);

/// What every attempt of one worker shares.
pub struct Shared {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub secrets: SecretBox,
    pub client: DeliveryClient,
}

/// Makes the attempt `delivery` was claimed for and records it.
pub async fn run(shared: Arc<Shared>, delivery: ClaimedDelivery) {
    let started_at = Utc::now();
    let clock = Instant::now();
    let outcome = match sign(&shared, &delivery) {
        Ok(request) => shared.client.send(request).await,
        Err(e) => Err(e),
    };
    let duration_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
    let succeeded = matches!(&outcome, Ok(answer) if (200..300).contains(&answer.status));
    let (status_code, error, response_excerpt) = match outcome {
        Ok(Answer { status, excerpt }) => {
            // Following a redirect would send the signed body somewhere the
            // account never chose.
            let error = (300..400)
                .contains(&status)
                .then(|| "redirects are not followed".to_string());
            (i16::try_from(status).ok(), error, excerpt)
        }
        Err(error) => (None, Some(error), String::new()),
    };
    tracing::info!(
        delivery = %delivery.id,
        endpoint = %delivery.endpoint_id,
        attempt = delivery.attempt,
        status = status_code,
        error = error.as_deref(),
        duration_ms,
        "webhook attempt"
    );
    let verdict = if succeeded {
        Verdict::Succeeded
    } else {
        Verdict::Failed {
            wait_seconds: retry_wait(&shared.settings.webhook_retry_schedule, delivery.attempt),
            default_max: shared.settings.webhook_max_attempts(),
        }
    };
    let attempt = NewWebhookAttempt {
        delivery_id: delivery.id,
        attempt: delivery.attempt,
        started_at,
        duration_ms,
        status_code,
        error: error.map(|e| storable(&e)),
        response_excerpt: storable(&response_excerpt),
    };
    record(&shared.pool, delivery.endpoint_id, attempt, verdict).await;
}

/// `text` as PostgreSQL can store it: a receiver's answer may hold NUL
/// characters, which a text column refuses, and an attempt that cannot be
/// recorded would be sent again and again.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// The wait after failed attempt number `attempt` (1-based): the schedule's
/// entry for it, its last entry for a resend beyond it.
fn retry_wait(schedule: &[u64], attempt: i32) -> f64 {
    let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(0);
    schedule
        .get(index)
        .or(schedule.last())
        .copied()
        .unwrap_or(0) as f64
}

/// The request for this attempt: body serialised once and signed as sent.
fn sign<'a>(shared: &Shared, delivery: &'a ClaimedDelivery) -> Result<SignedRequest<'a>, String> {
    let secrets = secrets_of(&shared.secrets, delivery)?;
    let body = serde_json::to_vec(&delivery.payload)
        .map_err(|_| "the event could not be serialised".to_string())?;
    let id = delivery.id.to_string();
    let timestamp = Utc::now().timestamp();
    let signature = signature_header(&secrets.iter().collect::<Vec<_>>(), &id, timestamp, &body);
    Ok(SignedRequest {
        url: &delivery.url,
        id,
        timestamp,
        signature,
        body,
    })
}

/// The endpoint's current secret, then its previous one while that still
/// signs. Nothing is sent without the current one.
fn secrets_of(
    secret_box: &SecretBox,
    delivery: &ClaimedDelivery,
) -> Result<Vec<SigningSecret>, String> {
    let open = |sealed: &[u8]| {
        secret_box
            .open(delivery.endpoint_id, sealed)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| SigningSecret::parse(&text))
    };
    let current = open(&delivery.secret_sealed).ok_or_else(|| {
        "the signing secret could not be opened (was SECRETS_KEY changed?)".to_string()
    })?;
    let mut secrets = vec![current];
    if let (Some(sealed), Some(until)) = (
        &delivery.previous_secret_sealed,
        delivery.previous_secret_until,
    ) && until > Utc::now()
    {
        match open(sealed) {
            Some(previous) => secrets.push(previous),
            None => tracing::warn!(
                endpoint = %delivery.endpoint_id,
                "the previous signing secret could not be opened; signing with the current one only"
            ),
        }
    }
    Ok(secrets)
}

/// Records the attempt, waiting out a short database outage.
async fn record(pool: &DbPool, endpoint_id: Uuid, attempt: NewWebhookAttempt, verdict: Verdict) {
    let delivery = attempt.delivery_id;
    let attempt = Arc::new(attempt);
    let deadline = Instant::now() + RECORD_FOR;
    loop {
        let this = attempt.clone();
        let result = db::run(pool, move |conn| {
            webhook_delivery::finish(conn, endpoint_id, &this, verdict, DISABLE_AFTER_DAYS)
                .map_err(DbError::from)
        })
        .await;
        match result {
            Ok(finished) => {
                if finished.gone {
                    tracing::info!(
                        %delivery,
                        "webhook delivery removed while attempted (its endpoint or integration was deleted)"
                    );
                }
                if finished.endpoint_disabled {
                    tracing::warn!(
                        endpoint = %endpoint_id,
                        days = DISABLE_AFTER_DAYS,
                        "webhook endpoint disabled after failing every delivery"
                    );
                }
                if finished.lease_lost {
                    tracing::warn!(
                        %delivery,
                        "webhook attempt outlived its lease; another attempt took over"
                    );
                }
                return;
            }
            Err(e) if e.is_unavailable() && Instant::now() < deadline => {
                tracing::warn!(error = %e, %delivery, "could not record a webhook attempt yet; retrying");
                tokio::time::sleep(RECORD_RETRY_EVERY).await;
            }
            Err(e) => {
                // The lease runs out and the delivery is attempted again.
                tracing::error!(error = %e, %delivery, "could not record a webhook attempt");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_wait;

    #[test]
    fn each_failure_waits_its_turn_in_the_schedule() {
        let schedule = [5, 300, 1800];
        assert_eq!(retry_wait(&schedule, 1), 5.0);
        assert_eq!(retry_wait(&schedule, 3), 1800.0);
        // A resend after the schedule ran out.
        assert_eq!(retry_wait(&schedule, 9), 1800.0);
        assert_eq!(retry_wait(&[], 1), 0.0);
    }
}
