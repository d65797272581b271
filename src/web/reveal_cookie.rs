//! Carrying a just-issued secret to the page that shows it once.
//!
//! The plaintext never touches the database: it travels in an encrypted,
//! HttpOnly, SameSite=Lax cookie (as every cookie of SPEC §6) scoped to the reveal page's path and
//! bound to the user who issued it. The page clears the cookie as it shows
//! the secret, and the caller claims the one showing in the database, so a
//! replayed cookie shows nothing.

use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::WebError;
use crate::state::AppState;
use crate::web::see_other;

const COOKIE: &str = "pi_reveal";
/// How long a secret waits for its reveal page.
const MINUTES: i64 = 10;

/// What the cookie carries.
#[derive(Serialize, Deserialize)]
pub struct Sealed {
    /// The user who issued it; nobody else's session can open it.
    pub user: Uuid,
    /// The token or key row whose showing is claimed.
    pub id: Uuid,
    pub plain: String,
}

/// 303 to `page`, with `sealed` in the cookie scoped to that page.
pub fn redirect(state: &AppState, page: &str, sealed: &Sealed) -> Result<HttpResponse, WebError> {
    let payload = serde_json::to_string(sealed).map_err(|e| WebError::Internal(e.into()))?;
    let cookie = Cookie::build(COOKIE, payload)
        .path(page.to_string())
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(MINUTES))
        .finish();
    let mut jar = CookieJar::new();
    jar.private_mut(&state.cookie_key).add(cookie);
    let mut response = see_other(page);
    for c in jar.delta() {
        response
            .add_cookie(c)
            .map_err(|e| WebError::Internal(e.into()))?;
    }
    Ok(response)
}

/// The sealed secret this request carries for `user`, if any.
pub fn open(req: &HttpRequest, state: &AppState, user: Uuid) -> Option<Sealed> {
    let cookie = req.cookie(COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie.into_owned());
    let opened = jar.private(&state.cookie_key).get(COOKIE)?;
    serde_json::from_str::<Sealed>(opened.value())
        .ok()
        .filter(|s| s.user == user)
}

/// Marks the reveal page's response: never cached, and the cookie cleared.
pub fn finish(response: &mut HttpResponse, state: &AppState, page: &str) -> Result<(), WebError> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    let mut removal = Cookie::build(COOKIE, "")
        .path(page.to_string())
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .finish();
    removal.make_removal();
    response
        .add_cookie(&removal)
        .map_err(|e| WebError::Internal(e.into()))
}
