//! Synchronizer-token CSRF protection for every state-changing panel request,
//! enforced in one middleware so no handler can forget it.
//!
//! The token lives in the server-side session and travels in the form field
//! `csrf_token`. An `Origin` header, when a browser sends one, must name this
//! site as well.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use subtle::ConstantTimeEq;

use super::session::TypedSession;
use crate::errors::WebError;
use crate::state::AppState;

pub const FIELD: &str = "csrf_token";
/// Panel forms are small; anything larger is not a form of ours.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub async fn verify_csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }

    if !origin_allowed(&req) {
        tracing::warn!(path = %req.path(), "refused a form posted from another origin");
        return Ok(refuse(req));
    }

    let body = match req.extract::<web::Bytes>().await {
        Ok(b) if b.len() <= MAX_FORM_BYTES => b,
        _ => return Ok(refuse(req)),
    };
    let sent = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    let expected = TypedSession::of(req.request()).existing_csrf_token();
    let valid = match (sent, expected) {
        (Some(sent), Some(expected)) => bool::from(sent.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    };
    if !valid {
        tracing::warn!(path = %req.path(), "refused a form with a missing or wrong CSRF token");
        return Ok(refuse(req));
    }
    req.set_payload(Payload::from(body));
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn refuse<B>(req: ServiceRequest) -> ServiceResponse<EitherBody<B>> {
    let response = WebError::CsrfRejected.error_response();
    req.into_response(response).map_into_right_body()
}

/// No `Origin` (older browsers, scripts) is allowed: the token decides. When
/// present it must be our public URL's origin or the `Host` the request came to.
fn origin_allowed(req: &ServiceRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Ok(origin_url) = url::Url::parse(origin) else {
        return false;
    };
    let Some(origin_host) = origin_url.host_str() else {
        return false;
    };
    let origin_authority = match origin_url.port() {
        Some(port) => format!("{origin_host}:{port}"),
        None => origin_host.to_string(),
    };
    if let Some(state) = req.app_data::<web::Data<AppState>>()
        && let Ok(public) = url::Url::parse(&state.settings.public_url())
        && public.origin() == origin_url.origin()
    {
        return true;
    }
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(&origin_authority))
}
