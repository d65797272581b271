//! Verified tokens kept in memory by each instance, so an API request needs
//! no database round trip before its handler (SPEC §10).
//!
//! Revocation stays instant. Every change that affects a token or an
//! integration sends a PostgreSQL `NOTIFY` in its own transaction
//! ([`crate::models::token_change`]); each instance listens on a dedicated
//! connection (`workers::token_listener`) and forgets the affected entries,
//! and the instance that made the change forgets them itself before it
//! answers. The cache is trusted only while that listener proves its
//! connection alive: when it cannot, the cache is cleared and bypassed, so
//! during a database outage no cached answer outlives the outage's start by
//! more than a heartbeat. Entries also expire after a short safety TTL.
//!
//! A lookup that raced an invalidation never lands: inserts carry the
//! generation read before the database lookup, and any invalidation moves
//! the generation on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use uuid::Uuid;

use crate::domain::scope::ScopeSet;
use crate::domain::token::TokenHash;
use crate::models::{AccessToken, Account, Integration};

/// What a request with a token needs to know, as one database query found
/// it. Requests share it as it is (an `Arc`), copying nothing.
#[derive(Debug, Clone)]
pub struct Verified {
    pub token: AccessToken,
    pub integration: Integration,
    /// Shared with the request's [`crate::api`] caller.
    pub account: Arc<Account>,
    /// The integration's scopes, parsed once.
    pub scopes: ScopeSet,
    /// The integration's allowlist, parsed once; `None` = anywhere. An
    /// entry that does not parse admits nobody (the list stays restrictive).
    pub allowlist: Option<Vec<IpNet>>,
}

impl Verified {
    pub fn new(token: AccessToken, integration: Integration, account: Account) -> Verified {
        let allowlist = (!integration.ip_allowlist.is_empty()).then(|| {
            integration
                .ip_allowlist
                .iter()
                .filter_map(|entry| crate::domain::cidr::parse(entry))
                .collect()
        });
        Verified {
            token,
            scopes: integration.scope_set(),
            integration,
            account: Arc::new(account),
            allowlist,
        }
    }
}

struct Entry {
    verified: Arc<Verified>,
    stored: Instant,
}

pub struct TokenCache {
    entries: Mutex<HashMap<TokenHash, Entry>>,
    ttl: Duration,
    capacity: usize,
    /// Moves on with every invalidation.
    generation: AtomicU64,
    /// Milliseconds since `epoch` until which the listener vouches for the
    /// cache; 0 = not at all.
    trusted_until: AtomicU64,
    epoch: Instant,
}

/// How long one heartbeat of the listener vouches for the cache: six
/// heartbeats. Under full load a heartbeat's answer was measured coming up
/// to 250 ms late (the usage writer's batch holding the machine), and each
/// lapse of trust sends every request to the database at once; SPEC §10
/// gives a silent outage 10 s before the API must answer 503.
pub const TRUST_FOR: Duration = Duration::from_millis(1500);

impl TokenCache {
    pub fn new(ttl: Duration, capacity: usize) -> TokenCache {
        TokenCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
            generation: AtomicU64::new(0),
            trusted_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<TokenHash, Entry>> {
        // A panic while holding the lock leaves a map that is still a map;
        // at worst an entry is missing, which costs one query.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn trusted(&self) -> bool {
        self.now_ms() < self.trusted_until.load(Ordering::Acquire)
    }

    /// The cached verification of `hash`, unless the cache cannot be trusted
    /// now or the entry is older than the TTL.
    pub fn get(&self, hash: &TokenHash) -> Option<Arc<Verified>> {
        if !self.trusted() {
            return None;
        }
        let entries = self.entries();
        let entry = entries.get(hash)?;
        (entry.stored.elapsed() < self.ttl).then(|| entry.verified.clone())
    }

    /// Read before looking a token up in the database; hand it to
    /// [`Self::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a verification found by a lookup that began at `generation`,
    /// unless something was invalidated since.
    pub fn insert(&self, hash: TokenHash, verified: Arc<Verified>, generation: u64) {
        if !self.trusted() {
            return;
        }
        let mut entries = self.entries();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, e| e.stored.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            hash,
            Entry {
                verified,
                stored: Instant::now(),
            },
        );
    }

    fn forget_where(&self, doomed: impl Fn(&Verified) -> bool) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, e| !doomed(&e.verified));
    }

    pub fn forget_integration(&self, id: Uuid) {
        self.forget_where(|v| v.integration.id == id);
    }

    pub fn forget_account(&self, id: Uuid) {
        self.forget_where(|v| v.account.id == id);
    }

    pub fn clear(&self) {
        self.forget_where(|_| true);
    }

    /// The listener's heartbeat: its connection answered just now.
    pub fn vouch(&self) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(TRUST_FOR.as_millis()).unwrap_or(u64::MAX));
        self.trusted_until.store(until, Ordering::Release);
    }

    /// The listener lost its connection: notifications may be missed, so
    /// nothing cached is believed until it is back.
    pub fn distrust(&self) {
        self.trusted_until.store(0, Ordering::Release);
        self.clear();
    }

    /// Applies one notification's payload (see [`crate::models::token_change`]).
    pub fn apply(&self, payload: &str) {
        match payload.split_once(':') {
            Some(("integration", id)) => match id.parse() {
                Ok(id) => self.forget_integration(id),
                Err(_) => self.clear(),
            },
            Some(("account", id)) => match id.parse() {
                Ok(id) => self.forget_account(id),
                Err(_) => self.clear(),
            },
            _ => self.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::PlainToken;
    use chrono::Utc;

    fn verified(integration: Uuid, account: Uuid) -> Arc<Verified> {
        let now = Utc::now();
        Arc::new(Verified::new(
            AccessToken {
                id: Uuid::new_v4(),
                integration_id: integration,
                token_hash: Vec::new(),
                last_four: "abcd".into(),
                created_at: now,
                created_by: None,
                expires_at: None,
                grace_ends_at: None,
                revoked_at: None,
                revoked_reason: None,
                last_used_at: None,
                last_used_ip: None,
                rotated_from: None,
                revealed_at: None,
            },
            Integration {
                id: integration,
                account_id: account,
                name: "Sync".into(),
                description: String::new(),
                scopes: vec!["contacts.readonly".into()],
                token_lifetime_days: None,
                created_by: None,
                created_at: now,
                updated_at: now,
                deleted_at: None,
                ip_allowlist: vec!["203.0.113.0/24".into(), "not a block".into()],
            },
            Account {
                id: account,
                name: "Acme".into(),
                inactivity_expiry_days: Some(90),
                created_at: now,
            },
        ))
    }

    fn trusted_cache() -> TokenCache {
        let cache = TokenCache::new(Duration::from_secs(30), 10);
        cache.vouch();
        cache
    }

    #[test]
    fn nothing_is_served_or_kept_until_the_listener_vouches() {
        let cache = TokenCache::new(Duration::from_secs(30), 10);
        let hash = PlainToken::generate().hash();
        cache.insert(
            hash.clone(),
            verified(Uuid::new_v4(), Uuid::new_v4()),
            cache.generation(),
        );
        cache.vouch();
        assert!(cache.get(&hash).is_none(), "kept while untrusted");
        cache.insert(
            hash.clone(),
            verified(Uuid::new_v4(), Uuid::new_v4()),
            cache.generation(),
        );
        assert!(cache.get(&hash).is_some());
        cache.distrust();
        assert!(cache.get(&hash).is_none(), "served while distrusted");
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_kept() {
        let cache = trusted_cache();
        let hash = PlainToken::generate().hash();
        let before = cache.generation();
        cache.forget_integration(Uuid::new_v4());
        cache.insert(
            hash.clone(),
            verified(Uuid::new_v4(), Uuid::new_v4()),
            before,
        );
        assert!(cache.get(&hash).is_none());
    }

    #[test]
    fn notifications_forget_by_integration_account_or_everything() {
        let cache = trusted_cache();
        let (i1, i2, a1, a2) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let hashes: Vec<TokenHash> = (0..3).map(|_| PlainToken::generate().hash()).collect();
        let fill = |cache: &TokenCache| {
            cache.insert(hashes[0].clone(), verified(i1, a1), cache.generation());
            cache.insert(hashes[1].clone(), verified(i2, a1), cache.generation());
            cache.insert(
                hashes[2].clone(),
                verified(Uuid::new_v4(), a2),
                cache.generation(),
            );
        };
        let kept = |cache: &TokenCache| {
            hashes
                .iter()
                .map(|h| cache.get(h).is_some())
                .collect::<Vec<_>>()
        };
        fill(&cache);
        cache.apply(&format!("integration:{i1}"));
        assert_eq!(kept(&cache), [false, true, true]);
        fill(&cache);
        cache.apply(&format!("account:{a1}"));
        assert_eq!(kept(&cache), [false, false, true]);
        fill(&cache);
        cache.apply("all");
        assert_eq!(kept(&cache), [false, false, false]);
    }

    #[test]
    fn the_allowlist_is_parsed_once_and_unparsable_entries_admit_nobody() {
        let v = verified(Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(v.allowlist.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn entries_expire_after_the_ttl_and_the_cache_stays_bounded() {
        let cache = TokenCache::new(Duration::from_millis(0), 2);
        cache.vouch();
        let hash = PlainToken::generate().hash();
        cache.insert(
            hash.clone(),
            verified(Uuid::new_v4(), Uuid::new_v4()),
            cache.generation(),
        );
        assert!(cache.get(&hash).is_none(), "past its TTL");
        let cache = trusted_cache();
        for _ in 0..25 {
            let h = PlainToken::generate().hash();
            cache.insert(
                h,
                verified(Uuid::new_v4(), Uuid::new_v4()),
                cache.generation(),
            );
        }
        assert!(cache.entries().len() <= 10);
    }
}
