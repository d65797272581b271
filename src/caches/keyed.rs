//! One bounded map of the instance's memory, believed only while the change
//! listener vouches for it (see [`super`]).
//!
//! A lookup that raced an invalidation never lands: inserts carry the
//! generation read before the database lookup, and any invalidation moves
//! the generation on.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::TRUST_FOR;

struct Entry<V> {
    value: Arc<V>,
    stored: Instant,
}

pub struct Keyed<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    ttl: Duration,
    capacity: usize,
    /// Moves on with every invalidation.
    generation: AtomicU64,
    /// Milliseconds since `epoch` until which the listener vouches for the
    /// map; 0 = not at all.
    trusted_until: AtomicU64,
    epoch: Instant,
}

impl<K: Hash + Eq, V> Keyed<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Keyed<K, V> {
        Keyed {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
            generation: AtomicU64::new(0),
            trusted_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        // A panic while holding the lock leaves a map that is still a map;
        // at worst an entry is missing, which costs one query.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ms_at(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn trusted_at(&self, now: Instant) -> bool {
        self.ms_at(now) < self.trusted_until.load(Ordering::Acquire)
    }

    fn trusted(&self) -> bool {
        self.trusted_at(Instant::now())
    }

    /// The value kept for `key`, unless the map cannot be trusted now or
    /// the entry is older than the TTL.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        // One reading of the clock serves both checks: this is every API
        // request's path.
        let now = Instant::now();
        if !self.trusted_at(now) {
            return None;
        }
        let entries = self.entries();
        let entry = entries.get(key)?;
        (now.saturating_duration_since(entry.stored) < self.ttl).then(|| entry.value.clone())
    }

    /// Read before looking a value up in the database; hand it to
    /// [`Self::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a value found by a lookup that began at `generation`, unless
    /// something was invalidated since.
    pub fn insert(&self, key: K, value: Arc<V>, generation: u64) {
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
            key,
            Entry {
                value,
                stored: Instant::now(),
            },
        );
    }

    pub fn forget(&self, key: &K) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    pub fn forget_where(&self, doomed: impl Fn(&K, &V) -> bool) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|k, e| !doomed(k, &e.value));
    }

    pub fn clear(&self) {
        self.forget_where(|_, _| true);
    }

    /// The listener's heartbeat: its connection answered just now.
    pub fn vouch(&self) {
        let until = self
            .ms_at(Instant::now())
            .saturating_add(u64::try_from(TRUST_FOR.as_millis()).unwrap_or(u64::MAX));
        self.trusted_until.store(until, Ordering::Release);
    }

    /// The listener lost its connection: notifications may be missed, so
    /// nothing kept is believed until it is back.
    pub fn distrust(&self) {
        self.trusted_until.store(0, Ordering::Release);
        self.clear();
    }

    #[cfg(test)]
    pub fn entry_count(&self) -> usize {
        self.entries().len()
    }
}
