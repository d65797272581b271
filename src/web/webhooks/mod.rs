//! An integration's webhook pages (SPEC §6, §8): the endpoints with the add
//! form and the one-time showing of a signing secret, the actions on one
//! endpoint, and its delivery log with Resend.

mod deliveries;
mod endpoints;
mod page;
mod views;

use actix_web::{HttpRequest, HttpResponse, Scope, web};

use crate::actions::ActionError;
use crate::errors::WebError;
use crate::web::urls::webhook_routes as route;
use crate::web::{TypedSessionExt, see_other};

/// The webhook pages' routes, added to the integration pages' scope (their
/// paths lie under it): registered on their own in front of it, each of
/// their patterns was tried on every page of the panel.
pub fn routes(scope: Scope) -> Scope {
    scope
        .route(route::LIST, web::get().to(page::index))
        .route(route::LIST, web::post().to(page::add))
        .route(route::DELETE, web::post().to(endpoints::delete))
        .route(route::ENABLE, web::post().to(endpoints::enable))
        .route(route::DISABLE, web::post().to(endpoints::disable))
        .route(route::ROLL_SECRET, web::post().to(endpoints::roll_secret))
        .route(route::TEST, web::post().to(endpoints::test))
        .route(route::DELIVERIES, web::get().to(deliveries::log))
        .route(route::RESEND, web::post().to(deliveries::resend))
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
