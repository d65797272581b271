//! Per-integration rate limit, counted by each instance (SPEC §7): a fixed
//! window of `API_RATE_LIMIT_WINDOW_SECONDS` allowing `API_RATE_LIMIT_BURST`
//! requests. Refused requests (no live token, the allowlist, or past the
//! integration's limit) count against the client IP's own window, so
//! guessing tokens is limited too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    Integration(Uuid),
    Account(Uuid),
    Ip(String),
}

/// What the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
    pub allowed: bool,
}

pub struct RateLimiter {
    burst: u32,
    window: Duration,
    windows: Mutex<HashMap<RateKey, (Instant, u32)>>,
}

/// Past this many keys, finished windows are dropped on the next hit.
const PRUNE_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(burst: u32, window_seconds: u64) -> Self {
        Self {
            burst,
            window: Duration::from_secs(window_seconds.max(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request against `key`.
    pub fn hit(&self, key: RateKey) -> RateInfo {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            // A panic elsewhere while holding the lock leaves counts that are
            // still good enough for a rate limit.
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > PRUNE_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.burst;
        if allowed {
            entry.1 += 1;
        }
        let elapsed = now.duration_since(entry.0);
        let reset = self.window.saturating_sub(elapsed).as_secs_f64().ceil() as u64;
        RateInfo {
            limit: self.burst,
            remaining: self.burst - entry.1,
            reset: reset.max(1),
            allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_the_window_ends() {
        let limiter = RateLimiter::new(3, 10);
        let key = || RateKey::Ip("1.2.3.4".into());
        let infos: Vec<RateInfo> = (0..4).map(|_| limiter.hit(key())).collect();
        assert_eq!(
            infos.iter().map(|i| i.remaining).collect::<Vec<_>>(),
            vec![2, 1, 0, 0]
        );
        assert!(infos[..3].iter().all(|i| i.allowed));
        assert!(!infos[3].allowed);
        assert!((1..=10).contains(&infos[3].reset));
        assert!(
            limiter.hit(RateKey::Ip("5.6.7.8".into())).allowed,
            "keys are independent"
        );
    }
}
