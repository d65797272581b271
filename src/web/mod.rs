//! The admin panel: server-rendered pages, one file per area.

pub mod api_keys;
pub mod editor;
pub mod error_page;
pub mod forms;
pub mod health;
pub mod integration_detail;
pub mod integrations;
pub mod layout;
pub mod login;
pub mod reveal;
pub mod settings;
pub mod setup;
pub mod tokens;
pub mod usage;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use chrono::{DateTime, Utc};

use crate::auth::TypedSession;
use crate::errors::WebError;
use error_page::ErrorPage;
use layout::{Layout, Section};

/// The panel's pages; the probes (`health`) are routed apart, outside the
/// session middleware.
pub fn configure(cfg: &mut web::ServiceConfig) {
    setup::configure(cfg);
    login::configure(cfg);
    settings::configure(cfg);
    integrations::configure(cfg);
    api_keys::configure(cfg);
}

/// Renders a page with the given status (422 for a form with errors, ...).
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// The 303 that ends every successful POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub use crate::auth::client::client_ip;

/// Unknown pages, inside the layout when someone is signed in.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let page = ErrorPage::new(StatusCode::NOT_FOUND).with_layout(Layout::new(
        &req,
        "Page not found",
        Section::None,
    ));
    page.response(StatusCode::NOT_FOUND)
}

/// How long ahead, in whole days, rounded up: "Expires in N days".
pub fn days_until(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (end - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

/// Times as the panel shows them: "28 Nov 2026, 14:05 UTC".
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A message for the next page this browser shows.
pub trait TypedSessionExt {
    fn flash(&self, message: &str);
}

impl TypedSessionExt for HttpRequest {
    fn flash(&self, message: &str) {
        TypedSession::of(self).set_flash(message);
    }
}
