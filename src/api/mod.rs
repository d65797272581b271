//! API v2 (JSON, bearer tokens). Every route answers with and without a
//! trailing slash, never with a redirect.

pub mod auth;
pub mod error;
pub mod token;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v2")
            .app_data(
                web::JsonConfig::default()
                    .error_handler(|err, _| error::ApiError::from_json_error(err).into()),
            )
            .configure(token::configure)
            .default_service(web::to(error::not_found)),
    );
}
