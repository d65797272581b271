//! What each instance keeps in memory so the busiest requests need no
//! database round trip (SPEC §10): verified tokens for the API, and for the
//! panel the signed-in sessions and the pages of the integrations list.
//!
//! Nothing kept outlives a change. The database announces every change to
//! a row a cached value copies, from triggers, as the change commits (see
//! [`crate::models::token_change`]); each instance listens on a dedicated
//! connection (`workers::token_listener`) and forgets the affected entries
//! the moment a notification arrives, and the instance that made a change
//! forgets them itself before it answers. Everything kept is believed only
//! while that listener proves its connection alive: when it cannot, the
//! caches are cleared and bypassed, so during a database outage no cached
//! answer outlives the outage's start by more than [`TRUST_FOR`]. Entries
//! also expire after a short safety TTL.

mod keyed;
mod tokens;

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use keyed::Keyed;
pub use tokens::{TokenCache, Verified};

use crate::models::integration_list::ListedIntegration;
use crate::models::session::State;
use crate::models::{Account, User};

/// How long one heartbeat of the listener vouches for the caches: six
/// heartbeats. Under full load a heartbeat's answer was measured coming up
/// to 250 ms late (the usage writer's batch holding the machine), and each
/// lapse of trust sends every request to the database at once; SPEC §10
/// gives a silent outage 10 s before the API must answer 503.
pub const TRUST_FOR: Duration = Duration::from_millis(1500);

/// Entries live this long at most even if a notification were lost.
const SAFETY_TTL: Duration = Duration::from_secs(30);

/// A live session as its row and its user's rows were read.
pub struct CachedSession {
    pub state: State,
    /// The user id the row was written with.
    pub user_id: Option<Uuid>,
    /// That user with their account, if they still exist.
    pub user: Option<(User, Account)>,
    /// When the session ends if nothing extends it.
    pub ends_at: DateTime<Utc>,
}

/// A page of the integrations list as its query found it.
pub struct ListPage {
    pub integrations: Vec<ListedIntegration>,
    /// Integrations not deleted, on every page.
    pub total: i64,
    /// The page shown: the last one when the one asked for is past the end.
    pub page: i64,
}

pub struct Caches {
    pub tokens: TokenCache,
    /// By the SHA-256 of the session key, as the `sessions` table has it.
    pub sessions: Keyed<Vec<u8>, CachedSession>,
    /// By account and page.
    pub lists: Keyed<(Uuid, i64), ListPage>,
}

impl Default for Caches {
    fn default() -> Self {
        Self::new()
    }
}

impl Caches {
    pub fn new() -> Caches {
        // 100k tokens or sessions are a few tens of megabytes. A list page
        // holds up to 50 integrations with their tokens: a thousand pages
        // stay under about 40 MB however an account pages through them.
        Caches {
            tokens: Keyed::new(SAFETY_TTL, 100_000),
            sessions: Keyed::new(SAFETY_TTL, 100_000),
            lists: Keyed::new(SAFETY_TTL, 1_000),
        }
    }

    /// The listener's heartbeat: its connection answered just now.
    pub fn vouch(&self) {
        self.tokens.vouch();
        self.sessions.vouch();
        self.lists.vouch();
    }

    /// The listener lost its connection: nothing kept is believed until it
    /// is back.
    pub fn distrust(&self) {
        self.tokens.distrust();
        self.sessions.distrust();
        self.lists.distrust();
    }

    pub fn clear(&self) {
        self.tokens.clear();
        self.sessions.clear();
        self.lists.clear();
    }

    /// An integration's tokens or settings changed.
    pub fn forget_integration(&self, id: Uuid) {
        self.tokens.forget_where(|_, v| v.integration.id == id);
    }

    /// Anything of the account may have changed: its settings, its
    /// integrations and tokens, its users and their sessions.
    pub fn forget_account(&self, id: Uuid) {
        self.tokens.forget_where(|_, v| v.account.id == id);
        self.sessions
            .forget_where(|_, s| s.user.as_ref().is_some_and(|(_, a)| a.id == id));
        self.forget_list(id);
    }

    /// The account's integrations list changed.
    pub fn forget_list(&self, account: Uuid) {
        self.lists.forget_where(|(a, _), _| *a == account);
    }

    /// A user changed or was removed: their sessions are read again.
    pub fn forget_user(&self, id: Uuid) {
        self.sessions.forget_where(|_, s| s.user_id == Some(id));
    }

    /// Applies one notification's payload (see
    /// [`crate::models::token_change`]); one it cannot read forgets
    /// everything.
    pub fn apply(&self, payload: &str) {
        let Some((kind, id)) = payload.split_once(':') else {
            return self.clear();
        };
        if kind == "truncated" {
            return self.clear();
        }
        if kind == "session" {
            return match hex_decode(id) {
                Some(id) => self.sessions.forget(&id),
                None => self.clear(),
            };
        }
        let Ok(id) = id.parse::<Uuid>() else {
            return self.clear();
        };
        match kind {
            "integration" => self.forget_integration(id),
            "account" => self.forget_account(id),
            "user" => self.forget_user(id),
            "list" => self.forget_list(id),
            _ => self.clear(),
        }
    }
}

fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
