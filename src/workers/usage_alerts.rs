//! Alerts found in a batch of API usage, by the usage writer and so off the
//! request path: a dead token of an integration presented again, and the
//! first use from an address the integration has not used for 30 days
//! (never for an integration with no use at all in that time: its first
//! address is not "new").

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chrono::Duration;
use diesel::PgConnection;
use uuid::Uuid;

use crate::actions::alerts::{self, Sighting};
use crate::actions::notices::Notices;
use crate::models::alert::AlertKind;
use crate::models::api_request::{self, Outcome};
use crate::usage::UsageRecord;

/// How far back an address counts as known.
const KNOWN_FOR_DAYS: i64 = 30;

/// Raises the batch's alerts (emailed when `notices` are on); `ips` spells each
/// record's address. Runs before the batch's rows are written, so
/// "seen before" means in earlier batches or earlier in this one.
pub fn find(
    conn: &mut PgConnection,
    batch: &[UsageRecord],
    ips: &[Rc<str>],
    notices: Option<&Notices>,
) -> diesel::QueryResult<()> {
    // At most one alert per token and address a day, whatever its kind: the
    // first found wins, here and (by the unique index) across batches.
    let mut raised: HashSet<(Uuid, &str)> = HashSet::new();
    // Per integration: whether it had any use before, and the addresses
    // already looked at in this batch.
    let mut history: HashMap<Uuid, bool> = HashMap::new();
    let mut looked_at: HashSet<(Uuid, &str)> = HashSet::new();
    for (r, ip) in batch.iter().zip(ips) {
        let ip: &str = ip;
        let (Some(integration), Some(token)) = (r.integration_id, r.token_id) else {
            continue;
        };
        let kind = match r.outcome {
            Outcome::InvalidToken => AlertKind::RevokedTokenUsed,
            Outcome::Used => {
                if !looked_at.insert((integration, ip)) {
                    continue;
                }
                let since = r.at - Duration::days(KNOWN_FOR_DAYS);
                let had_use = match history.get(&integration) {
                    Some(h) => *h,
                    None => api_request::used_since(conn, integration, None, since)?,
                };
                history.insert(integration, true);
                if !had_use || api_request::used_since(conn, integration, Some(ip), since)? {
                    continue;
                }
                AlertKind::NewIp
            }
            Outcome::IpNotAllowed | Outcome::RateLimited => continue,
        };
        if raised.insert((token, ip)) {
            let seen = Sighting {
                account_id: r.account_id,
                integration_id: integration,
                kind,
                token_id: token,
                ip,
                at: r.at,
            };
            alerts::raise(conn, &seen, notices)?;
        }
    }
    Ok(())
}
