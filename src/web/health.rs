//! Probes for load balancers and orchestrators.

use actix_web::{HttpResponse, route, web};

use crate::db::{self};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

// HEAD too: many load balancers probe with it.

/// Alive: answers without touching the database.
#[route("/healthz", method = "GET", method = "HEAD")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready: the database answers.
#[route("/readyz", method = "GET", method = "HEAD")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ok = db::query(&state.pool, db::ping).await.is_ok();
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable")
    }
}
