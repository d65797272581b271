//! The private-integration pages, registered under one scope: the list, the
//! create and edit forms, the detail page, its token actions and the
//! one-time reveal of a new token, its request log and alert banners.

mod alerts;
mod delete;
mod form;
mod list;
mod request_query;
mod requests;
mod reveal;
mod show;
mod tokens;
mod usage_chart;
mod views;

pub use views::EndingSoon;

use actix_web::web;

use crate::web::urls::{Urls, integration_routes as route};

pub fn configure(cfg: &mut web::ServiceConfig) {
    let scope = web::scope(Urls.integrations())
        .route(route::LIST, web::get().to(list::index))
        .route(route::LIST, web::post().to(form::create))
        .route(route::NEW, web::get().to(form::new))
        .route(route::SHOW, web::get().to(show::show))
        .route(route::EDIT, web::get().to(form::edit))
        .route(route::EDIT, web::post().to(form::update))
        .route(route::DELETE, web::post().to(delete::delete))
        .route(route::TOKEN, web::get().to(reveal::reveal))
        .route(route::ROTATE, web::post().to(tokens::rotate))
        .route(route::GENERATE, web::post().to(tokens::generate))
        .route(
            route::CANCEL_ROTATION,
            web::post().to(tokens::cancel_rotation),
        )
        .route(route::EXPIRE_TOKEN, web::post().to(tokens::expire))
        .route(route::REQUESTS, web::get().to(requests::show))
        .route(route::REQUESTS_CSV, web::get().to(requests::csv))
        .route(route::DISMISS_ALERT, web::post().to(alerts::dismiss));
    cfg.service(crate::web::webhooks::routes(scope));
}
