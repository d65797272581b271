//! The admin panel: server-rendered pages, one file per area.

pub mod forms;
pub mod health;
pub mod layout;
pub mod login;
pub mod settings;
pub mod setup;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::errors::{ErrorPage, WebError};
use layout::{Layout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    setup::configure(cfg);
    login::configure(cfg);
    settings::configure(cfg);
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

/// The client's address as the socket reports it.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Unknown pages, inside the layout when someone is signed in.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let page = ErrorPage::new(StatusCode::NOT_FOUND)
        .with_layout(Layout::new(&req, "Page not found", Section::None));
    page.response(StatusCode::NOT_FOUND)
}
