//! `GET /v2/token`: what the presented token is and may do. Ours, not
//! HighLevel's: lets an app check its token without side effects.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::auth::ApiAuth;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::get().to(show))
        .route("/token/", web::get().to(show));
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenInfo {
    integration: IntegrationRef,
    scopes: Vec<String>,
    location_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct IntegrationRef {
    id: String,
    name: String,
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn show(auth: ApiAuth) -> HttpResponse {
    HttpResponse::Ok().json(TokenInfo {
        integration: IntegrationRef {
            id: auth.integration.id.to_string(),
            name: auth.integration.name.clone(),
        },
        scopes: auth.scopes.names(),
        location_id: auth.account.id.to_string(),
        expires_at: auth.token.ends_at().map(rfc3339),
    })
}
