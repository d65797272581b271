//! Legacy API v1: `GET/POST /v1/contacts/` with the account's API key
//! (`pik_…`). Full access, no scopes, no webhooks; every response carries a
//! `Deprecation` header pointing apps to private integrations and API v2.

use actix_web::dev::Payload;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;

use super::auth::Presented;
use super::caller::{Caller, LocationId};
use super::contact_search::{self, ListQuery};
use super::contacts;
use super::error::ApiError;
use super::routes::{ApiRoute, api_route, register};
use crate::db;
use crate::domain::token::PlainToken;
use crate::models::legacy_api_key::LegacyApiKey;
use crate::usage::rate_limit::RateKey;

/// RFC 9745: deprecated since 2026-11-28T00:00:00Z.
const DEPRECATED_SINCE: &str = "@1795824000";

/// An API v1 key has no scopes: it may do everything v1 serves.
const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/contacts" => list, no_scope),
    api_route!(POST "/contacts" => create, no_scope),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .app_data(super::fallback::payload_config())
            .wrap(from_fn(super::middleware::api_middleware))
            .wrap(
                DefaultHeaders::new()
                    .add(("Deprecation", DEPRECATED_SINCE))
                    .add((
                        "Link",
                        "</settings/private-integrations>; rel=\"deprecation\"",
                    )),
            )
            .configure(|cfg| register(cfg, "/v1", ROUTES.iter()))
            .configure(super::fallback::catch_all)
            .default_service(web::to(super::error::not_found)),
    );
}

/// A request authenticated by the account's live API v1 key.
pub struct LegacyAuth(Caller);

impl FromRequest for LegacyAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = Presented::from_request(req, PlainToken::parse_legacy);
        Box::pin(async move {
            let mut presented = presented?;
            let hash = presented.token()?.hash();
            let state = &presented.state;
            let found = db::query(&state.pool, move |conn| {
                LegacyApiKey::authenticate(conn, &hash)
            })
            .await?;
            let Some((key, account)) = found else {
                return Err(presented.refuse(ApiError::InvalidToken));
            };
            let rate = state.limiter.hit(RateKey::Account(account.id));
            {
                let mut ctx = presented.usage.borrow_mut();
                ctx.account_id = Some(account.id);
                ctx.legacy_key_id = Some(key.id);
                ctx.rate = Some(rate);
                if !rate.allowed {
                    ctx.outcome = crate::models::api_request::Outcome::RateLimited;
                }
            }
            if !rate.allowed {
                return Err(ApiError::RateLimited(rate.reset));
            }
            Ok(LegacyAuth(Caller {
                account: std::sync::Arc::new(account),
                pool: state.pool.clone(),
                settings: state.settings.clone(),
            }))
        })
    }
}

async fn list(auth: LegacyAuth, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    contact_search::list_for(&auth.0, query.into_inner(), "/v1", LocationId::Optional).await
}

async fn create(auth: LegacyAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    contacts::create_for(&auth.0, &body, LocationId::Optional).await
}
