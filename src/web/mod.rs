//! The admin panel: server-rendered pages, one module per area (a folder
//! where an area has several pages); every path they link to comes from
//! `urls`.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod csv;
pub mod docs;
pub mod editor;
pub mod error_page;
pub mod forms;
pub mod health;
pub mod integrations;
pub mod layout;
pub mod login;
pub mod metrics;
pub mod paging;
pub mod profile;
pub mod reveal_cookie;
pub mod settings;
pub mod setup;
pub mod urls;
pub mod users;
pub mod webhooks;
pub mod when;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::TypedSession;
use crate::errors::WebError;
use error_page::ErrorPage;
use layout::{Layout, Section};

/// The panel's pages; the probes (`health`) and `metrics` are routed apart,
/// outside the session middleware.
pub fn configure(cfg: &mut web::ServiceConfig) {
    setup::configure(cfg);
    login::configure(cfg);
    settings::configure(cfg);
    integrations::configure(cfg);
    api_keys::configure(cfg);
    audit::configure(cfg);
    users::configure(cfg);
    account::configure(cfg);
    profile::configure(cfg);
}

/// SPEC §6's headers, on every response. Scripts and styles come only from
/// our own `/static`, which is what lets the CSP forbid everything inline.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
];

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

/// Unknown pages, inside the layout when someone is signed in.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let page = ErrorPage::new(StatusCode::NOT_FOUND).with_layout(Layout::new(
        &req,
        "Page not found",
        Section::None,
    ));
    page.response(StatusCode::NOT_FOUND)
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
