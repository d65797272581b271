//! An integration's webhook pages (SPEC §6, §8): the endpoints with the add
//! form and the one-time showing of a signing secret, the actions on one
//! endpoint, and its delivery log with Resend.

mod deliveries;
mod endpoints;
mod page;
mod views;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::actions::ActionError;
use crate::errors::WebError;
use crate::web::urls::{Urls, webhook_routes as route};
use crate::web::{TypedSessionExt, see_other};

/// Registered before the integration pages: their scope would otherwise
/// take these paths and answer 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let path = |pattern: &str| format!("{}{pattern}", Urls.integrations());
    cfg.route(&path(route::LIST), web::get().to(page::index))
        .route(&path(route::LIST), web::post().to(page::add))
        .route(&path(route::DELETE), web::post().to(endpoints::delete))
        .route(&path(route::ENABLE), web::post().to(endpoints::enable))
        .route(&path(route::DISABLE), web::post().to(endpoints::disable))
        .route(
            &path(route::ROLL_SECRET),
            web::post().to(endpoints::roll_secret),
        )
        .route(&path(route::TEST), web::post().to(endpoints::test))
        .route(&path(route::DELIVERIES), web::get().to(deliveries::log))
        .route(&path(route::RESEND), web::post().to(deliveries::resend));
}

/// An action's ending when it issues nothing: its message (or the reason
/// it did not apply) as a flash, and a 303 to `back`.
fn settle<T>(
    req: &HttpRequest,
    back: &str,
    result: Result<T, ActionError>,
    message: impl FnOnce(T) -> String,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(v) => req.flash(&message(v)),
        Err(ActionError::Conflict(why)) => req.flash(why),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(back))
}
