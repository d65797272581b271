//! Alerts found in a batch of API usage, by the usage writer and so off the
//! request path: a dead token of an integration presented again, and the
//! first use from an address the integration has not used for 30 days
//! (never for an integration with no use at all in that time: its first
//! address is not "new").

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::actions::alerts::{self, Sighting};
use crate::actions::notices::Notices;
use crate::models::alert::AlertKind;
use crate::models::api_request::{self, Outcome};
use crate::usage::UsageRecord;

/// How far back an address counts as known.
const KNOWN_FOR_DAYS: i64 = 30;

/// Past this many addresses remembered, the memory starts again empty.
const REMEMBERED: usize = 100_000;

/// The latest use this instance wrote per integration and per address, so
/// that a busy integration's addresses are not looked up in the request
/// log again for every batch (a lookup reads the log's index for the whole
/// 30 days). What is not remembered is looked up.
/// An integration's latest use, and each address's latest use.
type IntegrationUses = (DateTime<Utc>, HashMap<String, DateTime<Utc>>);

#[derive(Default)]
pub struct KnownUses {
    integrations: HashMap<Uuid, IntegrationUses>,
    addresses: usize,
}

impl KnownUses {
    /// Notes the uses of a batch once it is written (a batch rolled back
    /// proves nothing).
    pub fn note(&mut self, batch: &[UsageRecord]) {
        if self.addresses >= REMEMBERED {
            *self = KnownUses::default();
        }
        for r in batch.iter().filter(|r| r.outcome == Outcome::Used) {
            let Some(integration) = r.integration_id else {
                continue;
            };
            let (latest, addresses) = self
                .integrations
                .entry(integration)
                .or_insert_with(|| (r.at, HashMap::new()));
            *latest = (*latest).max(r.at);
            match addresses.get_mut(r.ip.as_str()) {
                Some(at) => *at = (*at).max(r.at),
                None => {
                    addresses.insert(r.ip.clone(), r.at);
                    self.addresses += 1;
                }
            }
        }
    }

    fn integration_used_since(&self, integration: Uuid, since: DateTime<Utc>) -> bool {
        self.integrations
            .get(&integration)
            .is_some_and(|(at, _)| *at >= since)
    }

    fn address_used_since(&self, integration: Uuid, ip: &str, since: DateTime<Utc>) -> bool {
        self.integrations
            .get(&integration)
            .and_then(|(_, addresses)| addresses.get(ip))
            .is_some_and(|at| *at >= since)
    }
}

/// Raises the batch's alerts (emailed when `notices` are on). Runs before the batch's rows are written, so
/// "seen before" means in earlier batches or earlier in this one.
pub fn find(
    conn: &mut PgConnection,
    batch: &[UsageRecord],
    known: &KnownUses,
    notices: Option<&Notices>,
) -> diesel::QueryResult<()> {
    let mut raised: HashSet<(AlertKind, Uuid, Uuid, &str)> = HashSet::new();
    // Per integration: whether it had any use before, and the addresses
    // already looked at in this batch.
    let mut history: HashMap<Uuid, bool> = HashMap::new();
    let mut looked_at: HashSet<(Uuid, &str)> = HashSet::new();
    for r in batch {
        let (Some(integration), Some(token)) = (r.integration_id, r.token_id) else {
            continue;
        };
        let kind = match r.outcome {
            Outcome::InvalidToken => AlertKind::RevokedTokenUsed,
            Outcome::Used => {
                if !looked_at.insert((integration, r.ip.as_str())) {
                    continue;
                }
                let since = r.at - Duration::days(KNOWN_FOR_DAYS);
                let had_use = match history.get(&integration) {
                    Some(h) => *h,
                    None => {
                        known.integration_used_since(integration, since)
                            || api_request::used_since(conn, integration, None, since)?
                    }
                };
                history.insert(integration, true);
                if !had_use
                    || known.address_used_since(integration, &r.ip, since)
                    || api_request::used_since(conn, integration, Some(&r.ip), since)?
                {
                    continue;
                }
                AlertKind::NewIp
            }
            Outcome::IpNotAllowed | Outcome::RateLimited => continue,
        };
        if raised.insert((kind, integration, token, r.ip.as_str())) {
            let seen = Sighting {
                account_id: r.account_id,
                integration_id: integration,
                kind,
                token_id: token,
                ip: &r.ip,
                at: r.at,
            };
            alerts::raise(conn, &seen, notices)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;

    use super::*;

    fn record(integration: Uuid, ip: &str, at: DateTime<Utc>, outcome: Outcome) -> UsageRecord {
        UsageRecord {
            account_id: Uuid::nil(),
            integration_id: Some(integration),
            token_id: Some(Uuid::nil()),
            legacy_key_id: None,
            method: Method::GET,
            route: std::sync::Arc::from("/v2/token"),
            status: 200,
            duration_ms: 1,
            ip: ip.to_string(),
            scope: None,
            outcome,
            at,
        }
    }

    #[test]
    fn known_uses_remember_the_latest_use_and_only_uses() {
        let (one, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let now = Utc::now();
        let mut known = KnownUses::default();
        known.note(&[
            record(one, "192.0.2.1", now - Duration::days(3), Outcome::Used),
            record(one, "192.0.2.1", now - Duration::days(1), Outcome::Used),
            record(one, "192.0.2.2", now, Outcome::InvalidToken),
            record(other, "192.0.2.3", now, Outcome::RateLimited),
        ]);
        let since = now - Duration::days(2);
        assert!(known.integration_used_since(one, since));
        assert!(known.address_used_since(one, "192.0.2.1", since));
        assert!(!known.address_used_since(one, "192.0.2.1", now));
        assert!(
            !known.address_used_since(one, "192.0.2.2", since),
            "a refusal is no use"
        );
        assert!(!known.integration_used_since(other, since));
    }
}
