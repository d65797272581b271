//! The one gate for the admin panel: first run goes to `/setup`, anonymous
//! visitors go to `/login`, and signed-in requests carry a [`CurrentUser`].

use std::future::{Ready, ready};
use std::sync::atomic::Ordering;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::session::TypedSession;
use super::visitor_notice::{self, Notice};
use super::{csrf, next, session_store};
use crate::db::{self, DbError};
use crate::errors::WebError;
use crate::models::{Account, User};
use crate::state::AppState;

/// The signed-in user and their account, loaded once per request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub account: Account,
}

impl FromRequest for CurrentUser {
    type Error = WebError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Only reachable for a route the gate let through anonymously, which
        // is a routing mistake: answer as for any anonymous visitor.
        ready(
            req.extensions()
                .get::<CurrentUser>()
                .cloned()
                .ok_or(WebError::SignInRequired),
        )
    }
}

/// Panel paths that answer without a signed-in user. (Static files and the
/// API are outside the panel's middleware altogether.)
fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/readyz"
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub async fn require_user(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let path = req.path().to_string();
    if is_public(&path) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(WebError::internal("application state missing").into());
    };

    if !state.setup_done.load(Ordering::Relaxed) {
        let exists = db::query(&state.pool, User::any_exists)
            .await
            .map_err(WebError::from)?;
        if exists {
            state.setup_done.store(true, Ordering::Relaxed);
        } else if path == "/setup" {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body);
        } else {
            return Ok(req.into_response(see_other("/setup")).map_into_right_body());
        }
    }
    if path == "/login" || path == "/setup" {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }

    let session = TypedSession::of(req.request());
    let Some(user_id) = session.user_id() else {
        let response = sign_in_again(&req, &state)?;
        return Ok(req.into_response(response).map_into_right_body());
    };
    match load_user(&state, user_id).await? {
        Some(current) => {
            let account_id = current.account.id;
            let changes = req.method() != Method::GET && req.method() != Method::HEAD;
            req.extensions_mut().insert(current);
            let mut res = next.call(req).await?;
            // Whatever a form changed, this instance forgets what it kept of
            // the account (its sessions, list pages and tokens) before it
            // answers: the page the answer leads to must show the change.
            // Other instances hear it from the database.
            if changes {
                state.caches.forget_account(account_id);
            }
            // Account data must not outlive the session in a browser cache
            // (Back after signing out would show it again).
            let headers = res.headers_mut();
            if !headers.contains_key(header::CACHE_CONTROL) {
                headers.insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
            }
            Ok(res.map_into_left_body())
        }
        None => {
            // The user was removed since signing in.
            session.log_out();
            let response = sign_in_again(&req, &state)?;
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// The sign-in page, with where to return afterwards. The request itself
/// is not served: a form posted after its session ended changes nothing,
/// and the sign-in page says so.
fn sign_in_again(req: &ServiceRequest, state: &AppState) -> Result<HttpResponse, WebError> {
    let next = next::for_anonymous(req, |url| csrf::is_own_origin(req, url));
    let mut response = see_other(&next::sign_in_url(Some(&next)));
    if req.method() != Method::GET && req.method() != Method::HEAD {
        visitor_notice::set(&mut response, state, Notice::NotSaved)?;
    }
    Ok(response)
}

/// The user joined with their account: as the session store loaded them
/// with the session, else in a query of its own.
async fn load_user(state: &AppState, user_id: Uuid) -> Result<Option<CurrentUser>, WebError> {
    if let Some(loaded) = session_store::signed_in_user(user_id) {
        return Ok(loaded.map(|(user, account)| CurrentUser { user, account }));
    }
    db::run(&state.pool, move |conn| {
        Ok(User::find_with_account(conn, user_id)?
            .map(|(user, account)| CurrentUser { user, account }))
    })
    .await
    .map_err(|e: DbError| WebError::from(e))
}
