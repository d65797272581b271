//! `GET /v2/token` and `POST /v2/token/rotate`: ours, not HighLevel's. An
//! app checks its token without side effects, and a secrets manager rotates
//! it without a person.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ApiAuth;
use super::error::ApiError;
use super::extract::parse_json;
use super::rfc3339;
use super::routes::{ApiRoute, api_route};
use crate::actions::{self, Actor, RotateMode, SelfRotateError};
use crate::db;
use crate::domain::scope::Scope;
use crate::state::AppState;

/// The token's own routes, open to a token of any scope (see
/// [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/token" => show, no_scope),
    api_route!(POST "/token/rotate" => rotate, no_scope),
];

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo<'a> {
    integration: IntegrationRef<'a>,
    scopes: Vec<&'static str>,
    // Ids are written straight into the body, not made into strings first.
    #[schema(value_type = String)]
    location_id: Uuid,
    /// The token's fixed end (lifetime or rotation grace); omitted when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationRef<'a> {
    #[schema(value_type = String)]
    id: Uuid,
    name: &'a str,
}

/// What the presented token is and may do.
#[utoipa::path(get, path = "/v2/token", tag = "Token",
    responses((status = 200, body = TokenInfo), (status = 401, body = super::error::ErrorBody)))]
pub async fn show(auth: ApiAuth) -> HttpResponse {
    HttpResponse::Ok().json(TokenInfo {
        integration: IntegrationRef {
            id: auth.integration().id,
            name: &auth.integration().name,
        },
        scopes: auth.scopes().iter().map(Scope::name).collect(),
        location_id: auth.account.id,
        expires_at: auth.token().ends_at().map(rfc3339),
    })
}

/// The longest grace a self-rotation may give the old token: 7 days.
const MAX_GRACE_SECONDS: i64 = 604_800;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateBody {
    /// 0 to 604800; 0 revokes the presented token at once.
    expire_old_in_seconds: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    /// The new token. Shown in this response only.
    token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// Rotate the presented token: a new one is issued and the old one expires
/// after `expireOldInSeconds`.
#[utoipa::path(post, path = "/v2/token/rotate", tag = "Token", request_body = RotateBody,
    responses((status = 200, body = Rotated), (status = 401, body = super::error::ErrorBody),
        (status = 409, description = "The token is in a rotation grace period; only the current token can rotate", body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub async fn rotate(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    auth: ApiAuth,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RotateBody = parse_json(&body)?;
    if !(0..=MAX_GRACE_SECONDS).contains(&body.expire_old_in_seconds) {
        return Err(ApiError::unprocessable(format!(
            "expireOldInSeconds must be from 0 to {MAX_GRACE_SECONDS}"
        )));
    }
    let mode = match body.expire_old_in_seconds {
        0 => RotateMode::Now,
        n => RotateMode::Later(chrono::Duration::seconds(n)),
    };
    let actor = Actor {
        user_id: None,
        email: None,
        ip: crate::auth::client_ip(&req),
    };
    let account = auth.account.clone();
    let (integration_id, token_id) = (auth.integration().id, auth.token().id);
    let issued = db::run(&auth.pool, move |conn| {
        actions::self_rotate(conn, &account, &actor, integration_id, token_id, mode)
    })
    .await
    .map_err(|e| match e {
        SelfRotateError::Gone => ApiError::InvalidToken,
        SelfRotateError::NotCurrent(msg) => ApiError::Conflict(msg.to_string()),
        SelfRotateError::Db(e) => e.into(),
    })?;
    // The old token's cached entry must not outlive this answer here.
    state.caches.forget_integration(integration_id);
    state.caches.forget_list(auth.account.id);
    let mut response = HttpResponse::Ok();
    response.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    Ok(response.json(Rotated {
        token: issued.plain.expose().to_string(),
        expires_at: issued.token.ends_at().map(rfc3339),
    }))
}
