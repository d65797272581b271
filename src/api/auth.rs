//! The bearer-token extractor every API v2 handler starts from.
//!
//! A token is checked in this order, each step cheaper than the next: the
//! header's shape, the token's format and checksum (no database), then one
//! lookup by SHA-256 that also loads the integration and its account. The
//! token's life and the integration's IP allowlist follow, then the
//! integration's rate limit, and last the scope the route needs (from the
//! route table): a request that cannot be tied to a live token from an
//! allowed address spends the client IP's limit, never the integration's,
//! so nobody can starve a working token with a dead one.
//! Whatever is learnt about the caller goes into the request's usage
//! context, with the outcome, so refusals of a known token are recorded
//! too (and never count as a use).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, Utc};
use futures_util::future::{Either, LocalBoxFuture};
use ipnet::IpNet;
use std::future::{Ready, ready};
use std::sync::Arc;

use super::caller::Caller;
use super::error::ApiError;
use super::request_context::UsageHandle;
use super::routes;
use crate::actions;
use crate::auth::ClientAddr;
use crate::caches::Verified;
use crate::db::{self, DbError, DbPool};
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::{PlainToken, TokenHash};
use crate::models::api_request::Outcome;
use crate::models::{AccessToken, Account, Integration};
use crate::state::AppState;
use crate::usage::rate_limit::RateKey;

/// A request authenticated by a live token that holds the scope its route
/// needs. It shares the token cache's entry rather than copying it; an edit
/// in the panel drops that entry, so it applies to the very next call.
pub struct ApiAuth {
    verified: Arc<Verified>,
    pub caller: Caller,
}

impl ApiAuth {
    pub fn token(&self) -> &AccessToken {
        &self.verified.token
    }

    pub fn integration(&self) -> &Integration {
        &self.verified.integration
    }

    pub fn scopes(&self) -> &ScopeSet {
        &self.verified.scopes
    }
}

impl std::ops::Deref for ApiAuth {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// The token from `Authorization: Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(ApiError::MissingToken);
    };
    // Two credentials are no credential: whichever came first must not win.
    if values.next().is_some() {
        return Err(ApiError::InvalidToken);
    }
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?.trim();
    // No credential, or one of another scheme (Basic, ...), is no bearer
    // token at all: the bare challenge, without an error code (RFC 6750
    // §3.1).
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    Ok(token.trim())
}

/// The request's usage context, created by the API middleware.
pub fn usage_handle(req: &HttpRequest) -> UsageHandle {
    req.extensions()
        .get::<UsageHandle>()
        .cloned()
        .unwrap_or_default()
}

/// Counts a request from a caller we could not tie to a live credential
/// against the client's address; past that limit the answer is a 429
/// rather than the refusal.
pub fn refuse_unknown(
    state: &AppState,
    usage: &UsageHandle,
    client: &ClientAddr,
    err: ApiError,
) -> ApiError {
    let info = state.limiter.hit(RateKey::Ip(client.rate_key()));
    let mut ctx = usage.borrow_mut();
    ctx.rate = Some(info);
    if info.allowed {
        err
    } else {
        ctx.outcome = Outcome::RateLimited;
        ApiError::RateLimited(info.reset)
    }
}

/// An empty allowlist admits everyone; a client whose address is unknown
/// is admitted by no other.
fn allowed_from(allowlist: Option<&[IpNet]>, ip: Option<std::net::IpAddr>) -> bool {
    let Some(allowlist) = allowlist else {
        return true;
    };
    let Some(ip) = ip else {
        return false;
    };
    allowlist.iter().any(|net| net.contains(&ip))
}

/// What every API extractor takes from the request before going async.
pub struct Presented {
    pub state: web::Data<AppState>,
    pub client: ClientAddr,
    pub usage: UsageHandle,
    /// When the request came in.
    pub at: DateTime<Utc>,
    token: Result<PlainToken, ApiError>,
}

impl Presented {
    /// `parse` checks the format of the kind of credential the route takes.
    pub fn from_request(
        req: &HttpRequest,
        parse: fn(&str) -> Result<PlainToken, crate::domain::token::TokenFormatError>,
    ) -> Result<Presented, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
        let usage = usage_handle(req);
        let (client, at) = {
            let ctx = usage.borrow();
            (ctx.client, ctx.at)
        };
        Ok(Presented {
            token: bearer(req).and_then(|t| parse(t).map_err(|_| ApiError::InvalidToken)),
            client: client.unwrap_or_else(|| ClientAddr::of(req)),
            at: at.unwrap_or_else(Utc::now),
            usage,
            state,
        })
    }

    /// The well-formed credential, or the refusal (401, or 429 past the
    /// client IP's limit).
    pub fn token(&mut self) -> Result<PlainToken, ApiError> {
        std::mem::replace(&mut self.token, Err(ApiError::InvalidToken)).map_err(|e| self.refuse(e))
    }

    /// Refuses a caller that could not be identified; see [`refuse_unknown`].
    pub fn refuse(&self, err: ApiError) -> ApiError {
        refuse_unknown(&self.state, &self.usage, &self.client, err)
    }

    /// Refuses a known credential: recorded with its outcome, counted
    /// against the client's address.
    pub fn refuse_known(&self, outcome: Outcome, err: ApiError) -> ApiError {
        self.usage.borrow_mut().outcome = outcome;
        self.refuse(err)
    }
}

impl FromRequest for ApiAuth {
    type Error = ApiError;
    type Future = Either<
        Ready<Result<Self, Self::Error>>,
        LocalBoxFuture<'static, Result<Self, Self::Error>>,
    >;

    /// A token the cache holds live is checked without waiting on anything;
    /// only a miss (or a token no longer live) goes to the database.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = Presented::from_request(req, PlainToken::parse);
        let needed = routes::required_scope(req);
        let query = routes::query_facts(req);
        let (needed, mut presented) = match (needed, presented) {
            (Err(e), _) | (_, Err(e)) => return Either::Left(ready(Err(e))),
            (Ok(needed), Ok(presented)) => (needed, presented),
        };
        let hash = match presented.token() {
            Ok(token) => token.hash(),
            Err(e) => return Either::Left(ready(Err(e))),
        };
        let now = presented.at;
        // A cached entry that no longer looks live is checked again in
        // the database: its copy of the last use may be behind.
        let cached = presented
            .state
            .caches
            .tokens
            .get(&hash)
            .filter(|v| v.token.is_live(now, v.account.inactivity_expiry_days));
        if let Some(verified) = cached {
            note_caller(&presented.usage, &verified);
            return Either::Left(ready(admit(verified, &presented, needed, &query)));
        }
        Either::Right(Box::pin(async move {
            let state = presented.state.clone();
            let Some(verified) = look_up(&state, hash).await? else {
                return Err(presented.refuse(ApiError::InvalidToken));
            };
            note_caller(&presented.usage, &verified);
            let Verified {
                token,
                integration,
                account,
                ..
            } = &*verified;
            if !token.is_live(now, account.inactivity_expiry_days) {
                if expire_if_inactive(&state.pool, token, account).await {
                    state.caches.forget_integration(integration.id);
                }
                return Err(presented.refuse_known(Outcome::InvalidToken, ApiError::InvalidToken));
            }
            admit(verified, &presented, needed, &query)
        }))
    }
}

/// Whatever is learnt about the caller goes into the usage context, so a
/// refusal of a known token is recorded with it.
pub fn note_caller(usage: &UsageHandle, verified: &Verified) {
    let mut ctx = usage.borrow_mut();
    ctx.account_id = Some(verified.account.id);
    ctx.integration_id = Some(verified.integration.id);
    ctx.token_id = Some(verified.token.id);
}

/// The token with `hash` as the database has it, with its integration and
/// account, kept in the cache for the next request.
async fn look_up(state: &AppState, hash: TokenHash) -> Result<Option<Arc<Verified>>, DbError> {
    let generation = state.caches.tokens.generation();
    let key = hash.clone();
    let found = db::query(&state.pool, move |conn| {
        AccessToken::authenticate(conn, &key)
    })
    .await?;
    Ok(found.map(|(token, integration, account)| {
        let verified = Arc::new(Verified::new(token, integration, account));
        state
            .caches
            .tokens
            .insert(hash, verified.clone(), generation);
        verified
    }))
}

/// Whose token a request that reached no handler (a path the API does not
/// have, a method its path does not serve) carries, and the outcome the
/// token would have had, so that it is recorded against the token like
/// every request with a known token (SPEC §7). Its answer stays the 404 or
/// 405, and the client's address pays its rate limit.
pub async fn identify(req: &HttpRequest) -> Option<(Arc<Verified>, Outcome)> {
    let hash = PlainToken::parse(bearer(req).ok()?).ok()?.hash();
    let state = req.app_data::<web::Data<AppState>>()?.clone();
    let client = ClientAddr::of(req);
    let now = Utc::now();
    let verified = match state.caches.tokens.get(&hash) {
        Some(verified) => verified,
        None => look_up(&state, hash).await.ok()??,
    };
    let outcome = if !verified
        .token
        .is_live(now, verified.account.inactivity_expiry_days)
    {
        Outcome::InvalidToken
    } else if !allowed_from(verified.allowlist.as_deref(), client.ip) {
        Outcome::IpNotAllowed
    } else {
        Outcome::Used
    };
    Some((verified, outcome))
}

/// The checks after the token is known to be live (and noted as the
/// caller): the allowlist, the rate limit, the scope the route needs, then
/// the query string (another account named, a parameter the route does not
/// take).
fn admit(
    verified: Arc<Verified>,
    presented: &Presented,
    needed: Option<Scope>,
    query: &routes::QueryFacts,
) -> Result<ApiAuth, ApiError> {
    let Verified {
        integration,
        account,
        scopes,
        allowlist,
        ..
    } = &*verified;
    if !allowed_from(allowlist.as_deref(), presented.client.ip) {
        let who = presented.client.label();
        tracing::warn!(integration = %integration.id, ip = %who, "API request refused by the IP allowlist");
        return Err(presented.refuse_known(
            Outcome::IpNotAllowed,
            ApiError::Forbidden(format!(
                "Requests from {who} are not allowed for this integration"
            )),
        ));
    }
    let state = &presented.state;
    let rate = state.limiter.hit(RateKey::Integration(integration.id));
    {
        let mut ctx = presented.usage.borrow_mut();
        ctx.rate = Some(rate);
        if !rate.allowed {
            ctx.outcome = Outcome::RateLimited;
        }
    }
    if !rate.allowed {
        // A refusal, so the client's address pays for it too (SPEC §4), as
        // for any refused request; the answer reports the integration's
        // limit, the one that refused it.
        state.limiter.hit(RateKey::Ip(presented.client.rate_key()));
        return Err(ApiError::RateLimited(rate.reset));
    }
    if let Some(scope) = needed {
        presented.usage.borrow_mut().scope = Some(scope);
        if !scopes.contains(scope) {
            return Err(ApiError::InsufficientScope(scope));
        }
    }
    query.check(account.id)?;
    let caller = Caller {
        account: account.clone(),
        pool: state.pool.clone(),
        settings: state.settings.clone(),
    };
    Ok(ApiAuth { verified, caller })
}

/// A token refused for disuse is marked so at once (one action with the
/// sweep's, see [`actions::expire_inactive`]), so it stays expired
/// whatever happens to the account's window later.
async fn expire_if_inactive(pool: &DbPool, token: &AccessToken, account: &Account) -> bool {
    let now = Utc::now();
    let Some(days) = account.inactivity_expiry_days else {
        return false;
    };
    let inactive = token.revoked_at.is_none()
        && token.ends_at().is_none_or(|end| end > now)
        && token.inactive_at(Some(days)).is_some_and(|at| at <= now);
    if !inactive {
        return false;
    }
    let (account_id, token_id) = (account.id, token.id);
    let result = db::query(pool, move |conn| {
        actions::expire_inactive(conn, account_id, days, Some(token_id))
    })
    .await;
    match result {
        Ok(ended) => ended > 0,
        Err(e) => {
            tracing::warn!(error = %e, "could not mark an inactive token expired");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_from;
    use ipnet::IpNet;

    #[test]
    fn an_empty_allowlist_allows_everyone() {
        assert!(allowed_from(None, Some("203.0.113.9".parse().unwrap())));
        assert!(allowed_from(None, None));
        assert!(
            !allowed_from(Some(&[]), Some("203.0.113.9".parse().unwrap())),
            "a list whose entries all failed to parse admits nobody"
        );
    }

    #[test]
    fn allowlists_match_ipv4_and_ipv6_blocks_and_single_addresses() {
        let list: Vec<IpNet> = ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]
            .iter()
            .map(|e| crate::domain::cidr::parse(e).unwrap())
            .collect();
        let from = |ip: &str| allowed_from(Some(&list), Some(ip.parse().unwrap()));
        assert!(from("203.0.113.200"));
        assert!(from("2001:db8::1"));
        assert!(from("198.51.100.7"));
        assert!(!from("198.51.100.8"));
        assert!(!from("2001:db9::1"));
        assert!(!allowed_from(Some(&list), None), "an unknown client");
    }
}
