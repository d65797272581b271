//! The bearer-token extractor every API v2 handler starts from.
//!
//! A token is checked in this order, each step cheaper than the next: the
//! header's shape, the token's format and checksum (no database), then one
//! lookup by SHA-256 that also loads the integration and its account.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use crate::db::schema::{accounts, integrations};
use crate::db::{self, DbError};
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::PlainToken;
use crate::models::{AccessToken, Account, Integration};
use crate::startup::AppState;
use crate::web::client_ip;

/// A request authenticated by a live token.
pub struct ApiAuth {
    pub token: AccessToken,
    pub integration: Integration,
    pub account: Account,
    pub scopes: ScopeSet,
}

impl ApiAuth {
    /// Scopes are read from the integration on every request, so an edit in
    /// the panel applies to the very next call.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }
}

/// The token from `Authorization: Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<PlainToken, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::InvalidToken);
    }
    PlainToken::parse(token.trim()).map_err(|_| ApiError::InvalidToken)
}

impl FromRequest for ApiAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ip = client_ip(req);
        Box::pin(async move {
            let plain = parsed?;
            let state = state
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            let hash = plain.hash();
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
                return Err(ApiError::InvalidToken);
            };
            if !token.is_live(Utc::now(), account.inactivity_expiry_days) {
                return Err(ApiError::InvalidToken);
            }
            record_use(&state, token.id, ip);
            Ok(ApiAuth {
                scopes: integration.scope_set(),
                token,
                integration,
                account,
            })
        })
    }
}

/// Last use is bookkeeping: written after the fact, at most once a minute
/// per token, never holding up the request.
fn record_use(state: &web::Data<AppState>, token_id: uuid::Uuid, ip: String) {
    let pool = state.pool.clone();
    actix_web::rt::spawn(async move {
        let result = db::run(&pool, move |conn| {
            AccessToken::touch(conn, token_id, &ip).map_err(DbError::from)
        })
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a token's last use");
        }
    });
}
