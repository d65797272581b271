//! What every handler shares: the pool, the settings, the cookie key, the
//! rate limiter and the usage sink. Imported by handlers, middleware and
//! extractors; imports nothing above the data layer.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::cookie::Key;

use crate::caches::Caches;
use crate::config::Settings;
use crate::db::DbPool;
use crate::outbound::Resolver;
use crate::secrets::SecretBox;
use crate::usage::UsageSink;
use crate::usage::rate_limit::RateLimiter;

/// Shared by every handler.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    /// Once a user exists it never stops existing for `/setup`'s purposes, so
    /// the check stops costing a query.
    pub setup_done: AtomicBool,
    /// Encrypts short-lived cookies such as the token reveal.
    pub cookie_key: Key,
    pub limiter: RateLimiter,
    /// Where API requests are recorded, off the request path.
    pub usage: UsageSink,
    /// Verified tokens, sessions and list pages, kept honest by
    /// `workers::token_listener`.
    pub caches: Arc<Caches>,
    /// Seals webhook signing secrets (`SECRETS_KEY`).
    pub secrets: SecretBox,
    /// Resolves and screens webhook targets.
    pub resolver: Arc<Resolver>,
}
