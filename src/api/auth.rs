//! The bearer-token extractor every API v2 handler starts from.
//!
//! A token is checked in this order, each step cheaper than the next: the
//! header's shape, the token's format and checksum (no database), then one
//! lookup by SHA-256 that also loads the integration and its account. The
//! rate limit, the token's life and the integration's IP allowlist follow.
//! Whatever is learnt about the caller goes into the request's
//! [`UsageContext`], so refusals of a known token are recorded too.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Utc;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use super::rate_limit::RateKey;
use super::usage::UsageHandle;
use crate::db::schema::{accounts, integrations};
use crate::db::{self, DbError, DbPool};
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::PlainToken;
use crate::models::{AccessToken, Account, Integration};
use crate::startup::AppState;
use crate::web::client_ip;

/// Whoever is calling, however authenticated: the account whose data the
/// request may touch.
#[derive(Clone)]
pub struct Caller {
    pub account: Account,
    pub pool: DbPool,
    pub public_url: String,
}

impl Caller {
    /// `locationId` / `companyId` must name the caller's own account.
    pub fn check_location(&self, id: &str) -> Result<(), ApiError> {
        if id.trim().eq_ignore_ascii_case(&self.account.id.to_string()) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "The token does not have access to this location".into(),
            ))
        }
    }
}

/// A request authenticated by a live token.
pub struct ApiAuth {
    pub token: AccessToken,
    pub integration: Integration,
    pub scopes: ScopeSet,
    pub caller: Caller,
    usage: UsageHandle,
}

impl std::ops::Deref for ApiAuth {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl ApiAuth {
    /// Scopes are read from the integration on every request, so an edit in
    /// the panel applies to the very next call.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        self.usage.borrow_mut().scope = Some(scope);
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }
}

/// The token from `Authorization: Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::InvalidToken);
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

/// Counts a request from a caller we could not identify against its IP;
/// past the limit that is a 429 rather than the 401.
pub fn refuse_unknown(state: &AppState, usage: &UsageHandle, ip: &str, err: ApiError) -> ApiError {
    let info = state.limiter.hit(RateKey::Ip(ip.to_string()));
    usage.borrow_mut().rate = Some(info);
    if info.allowed {
        err
    } else {
        ApiError::RateLimited(info.reset)
    }
}

fn allowed_from(allowlist: &[String], ip: &str) -> bool {
    if allowlist.is_empty() {
        return true;
    }
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    allowlist
        .iter()
        .any(|entry| crate::domain::cidr::parse(entry).is_some_and(|net| net.contains(&ip)))
}

/// What every API extractor takes from the request before going async.
pub struct Presented {
    pub state: web::Data<AppState>,
    pub ip: String,
    pub usage: UsageHandle,
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
        Ok(Presented {
            token: bearer(req).and_then(|t| parse(t).map_err(|_| ApiError::InvalidToken)),
            ip: client_ip(req),
            usage: usage_handle(req),
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
        refuse_unknown(&self.state, &self.usage, &self.ip, err)
    }
}

impl FromRequest for ApiAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = Presented::from_request(req, PlainToken::parse);
        Box::pin(async move {
            let mut presented = presented?;
            let hash = presented.token()?.hash();
            let Presented {
                ref state,
                ref ip,
                ref usage,
                ..
            } = presented;
            let found = db::run(&state.pool, move |conn| {
                let Some(token) = AccessToken::find_by_hash(conn, &hash)? else {
                    return Ok(None);
                };
                let row = integrations::table
                    .inner_join(accounts::table)
                    .filter(integrations::id.eq(token.integration_id))
                    .filter(integrations::deleted_at.is_null())
                    .select((Integration::as_select(), Account::as_select()))
                    .first::<(Integration, Account)>(conn)
                    .optional()?;
                Ok::<_, DbError>(row.map(|(i, a)| (token, i, a)))
            })
            .await?;
            let Some((token, integration, account)) = found else {
                return Err(presented.refuse(ApiError::InvalidToken));
            };
            let rate = state.limiter.hit(RateKey::Integration(integration.id));
            {
                let mut ctx = usage.borrow_mut();
                ctx.account_id = Some(account.id);
                ctx.integration_id = Some(integration.id);
                ctx.token_id = Some(token.id);
                ctx.rate = Some(rate);
            }
            if !rate.allowed {
                return Err(ApiError::RateLimited(rate.reset));
            }
            if !token.is_live(Utc::now(), account.inactivity_expiry_days) {
                return Err(ApiError::InvalidToken);
            }
            if !allowed_from(&integration.ip_allowlist, ip) {
                tracing::warn!(integration = %integration.id, ip = %ip, "API request refused by the IP allowlist");
                return Err(ApiError::Forbidden(format!(
                    "Requests from {ip} are not allowed for this integration"
                )));
            }
            Ok(ApiAuth {
                scopes: integration.scope_set(),
                token,
                integration,
                caller: Caller {
                    account,
                    pool: state.pool.clone(),
                    public_url: state.settings.public_url(),
                },
                usage: usage.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_from;

    #[test]
    fn an_empty_allowlist_allows_everyone() {
        assert!(allowed_from(&[], "203.0.113.9"));
    }

    #[test]
    fn allowlists_match_ipv4_and_ipv6_blocks_and_single_addresses() {
        let list = vec![
            "203.0.113.0/24".to_string(),
            "2001:db8::/32".to_string(),
            "198.51.100.7".to_string(),
        ];
        assert!(allowed_from(&list, "203.0.113.200"));
        assert!(allowed_from(&list, "2001:db8::1"));
        assert!(allowed_from(&list, "198.51.100.7"));
        assert!(!allowed_from(&list, "198.51.100.8"));
        assert!(!allowed_from(&list, "2001:db9::1"));
        assert!(!allowed_from(&list, "not an ip"));
    }
}
