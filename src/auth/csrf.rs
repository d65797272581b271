//! CSRF protection for every state-changing panel request, enforced in one
//! middleware so no handler can forget it.
//!
//! A signed-in session holds a synchronizer token, sent back in the form
//! field `csrf_token`. Visitors who are not signed in have no session (they
//! must not be able to grow the sessions table), so the sign-in and setup
//! forms use a double-submit cookie instead: the same token in the field and
//! in an encrypted cookie that only this server can have made. An `Origin`
//! header, when a browser sends one, must name this site as well.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::StreamExt as _;
use subtle::ConstantTimeEq;

use super::session::{TypedSession, new_csrf_token};
use crate::errors::WebError;
use crate::state::AppState;

pub const FIELD: &str = "csrf_token";
/// The double-submit cookie of the forms used before signing in.
pub const COOKIE: &str = "pi_csrf";

/// The token for the forms of a page shown to a visitor who is not signed
/// in, put in the request by the middleware on the sign-in and setup forms.
#[derive(Debug, Clone)]
pub struct FormToken(pub String);

/// Forms posted before signing in, which take the double-submit cookie.
fn takes_form_cookie(path: &str) -> bool {
    path == "/login" || path == "/setup"
}
/// Panel forms are small; anything larger is not a form of ours (413), at
/// the API's limit (SPEC §7: a body over 64 KiB is 413, panel forms too).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

pub async fn verify_csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(WebError::internal("application state missing").into());
    };
    let form_cookie = takes_form_cookie(req.path());
    let cookie_token = if form_cookie {
        read_cookie(&req, &state.cookie_key)
    } else {
        None
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        if !form_cookie {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body);
        }
        // A valid cookie is kept, so that two sign-in tabs both work.
        let (token, fresh) = match cookie_token {
            Some(token) => (token, false),
            None => (new_csrf_token(), true),
        };
        req.extensions_mut().insert(FormToken(token.clone()));
        let mut res = next.call(req).await?;
        if fresh {
            let cookie = form_cookie_of(&state, token);
            res.response_mut().add_cookie(&cookie)?;
        }
        return Ok(res.map_into_left_body());
    }

    if !origin_allowed(&req) {
        tracing::warn!(path = %req.path(), "refused a form posted from another origin");
        return Ok(refuse(req));
    }

    let Some(body) = read_body(&mut req).await? else {
        return Ok(answer(req, WebError::FormTooLarge));
    };
    let mut sent_tokens = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    let sent = sent_tokens.next();
    if sent_tokens.next().is_some() {
        // Which of two tokens would be the one meant? Neither is guessed at.
        return Ok(answer(req, WebError::BadForm("csrf_token repeated".into())));
    }
    let session_token = TypedSession::of(req.request()).existing_csrf_token();
    let valid = sent.as_deref().is_some_and(|sent| {
        matches(sent, session_token.as_deref()) || matches(sent, cookie_token.as_deref())
    });
    if !valid {
        tracing::warn!(path = %req.path(), "refused a form with a missing or wrong CSRF token");
        return Ok(refuse(req));
    }
    if let Some(token) = cookie_token {
        // A form shown again (wrong password, ...) keeps working.
        req.extensions_mut().insert(FormToken(token));
    }
    req.set_payload(Payload::from(body));
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn matches(sent: &str, expected: Option<&str>) -> bool {
    expected.is_some_and(|expected| bool::from(sent.as_bytes().ct_eq(expected.as_bytes())))
}

/// The token in the double-submit cookie, if this server made the cookie.
fn read_cookie(req: &ServiceRequest, key: &Key) -> Option<String> {
    let cookie = req.cookie(COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie.into_owned());
    let opened = jar.private(key).get(COOKIE)?;
    Some(opened.value().to_string()).filter(|t| !t.is_empty())
}

/// The encrypted cookie carrying `token`; it lasts as long as the browser
/// session, like the form it protects.
fn form_cookie_of(state: &AppState, token: String) -> Cookie<'static> {
    let cookie = Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .finish();
    let mut jar = CookieJar::new();
    jar.private_mut(&state.cookie_key).add(cookie);
    jar.delta()
        .next()
        .cloned()
        .unwrap_or_else(|| Cookie::new(COOKIE, ""))
}

fn refuse<B>(req: ServiceRequest) -> ServiceResponse<EitherBody<B>> {
    answer(req, WebError::CsrfRejected)
}

fn answer<B>(req: ServiceRequest, error: WebError) -> ServiceResponse<EitherBody<B>> {
    let response = error.error_response();
    req.into_response(response).map_into_right_body()
}

/// The whole body, or `None` once it is larger than any panel form.
async fn read_body(req: &mut ServiceRequest) -> Result<Option<web::Bytes>, Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES) {
        return Ok(None);
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
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
    is_own_origin(req, &origin_url)
}

/// Whether `url` is on this site: our public URL's origin, or the `Host` the
/// request came to.
pub fn is_own_origin(req: &ServiceRequest, origin_url: &url::Url) -> bool {
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
