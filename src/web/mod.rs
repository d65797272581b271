//! The admin panel: server-rendered pages, one module per area (a folder
//! where an area has several pages); every path they link to comes from
//! `urls`.

pub mod api_keys;
pub mod editor;
pub mod error_page;
pub mod forms;
pub mod health;
pub mod integrations;
pub mod layout;
pub mod login;
pub mod metrics;
pub mod reveal_cookie;
pub mod settings;
pub mod setup;
pub mod urls;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use chrono::{DateTime, Utc};

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

/// Times as the panel shows them: "28 Nov 2026, 14:05 UTC".
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

const TIME_FORMAT: &str = "%-d %b %Y, %H:%M UTC";

/// As [`fmt_time`], or "Never" for what has not happened (a key never used,
/// a token with no end).
pub fn fmt_time_or_never(t: Option<DateTime<Utc>>) -> String {
    TimeOrNever(t).to_string()
}

/// [`fmt_time_or_never`] written straight into a page, for lists that
/// would otherwise allocate a string per row.
#[derive(Debug, Clone, Copy)]
pub struct TimeOrNever(pub Option<DateTime<Utc>>);

impl std::fmt::Display for TimeOrNever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{}", t.format(TIME_FORMAT)),
            None => f.write_str("Never"),
        }
    }
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
