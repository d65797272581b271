//! Messages to a visitor who is not signed in ("You have signed out", "your
//! change was not made"), carried to the sign-in page in a signed cookie:
//! the visitor has no session, and a server-side row per visitor would let
//! anyone grow the sessions table.

use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse};

use crate::errors::WebError;
use crate::state::AppState;

const COOKIE: &str = "pi_signed_out";
const PATH: &str = "/login";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// After `POST /logout`.
    SignedOut,
    /// A form was posted after its session had ended: nothing changed.
    NotSaved,
}

impl Notice {
    fn value(self) -> &'static str {
        match self {
            Notice::SignedOut => "signed_out",
            Notice::NotSaved => "not_saved",
        }
    }

    /// What the sign-in page says.
    pub fn words(self) -> &'static str {
        match self {
            Notice::SignedOut => "You have signed out.",
            Notice::NotSaved => {
                "Your session had ended, so your last change was not made. Sign in to make it again."
            }
        }
    }
}

fn cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, value.to_string())
        .path(PATH)
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .max_age(Duration::minutes(5))
        .finish()
}

pub fn set(response: &mut HttpResponse, state: &AppState, notice: Notice) -> Result<(), WebError> {
    let mut jar = CookieJar::new();
    jar.signed_mut(&state.cookie_key)
        .add(cookie(state, notice.value()));
    for c in jar.delta() {
        response
            .add_cookie(c)
            .map_err(|e| WebError::Internal(e.into()))?;
    }
    Ok(())
}

/// The notice this request carries, signed by this server.
pub fn take(req: &HttpRequest, state: &AppState) -> Option<Notice> {
    let found = req.cookie(COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(found.into_owned());
    let verified = jar.signed(&state.cookie_key).get(COOKIE)?;
    [Notice::SignedOut, Notice::NotSaved]
        .into_iter()
        .find(|n| n.value() == verified.value())
}

/// Shown once: the next visit to the sign-in page is a plain one.
pub fn clear(response: &mut HttpResponse, state: &AppState) -> Result<(), WebError> {
    let mut removal = cookie(state, "");
    removal.make_removal();
    response
        .add_cookie(&removal)
        .map_err(|e| WebError::Internal(e.into()))
}
