//! Typed access to the session: the signed-in user, the CSRF token, a flash.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use std::future::{Ready, ready};
use uuid::Uuid;

use super::session_store::USER_ID_KEY;

const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

pub struct TypedSession(Session);

impl TypedSession {
    pub fn user_id(&self) -> Option<Uuid> {
        self.0.get::<Uuid>(USER_ID_KEY).ok().flatten()
    }

    /// Starts a signed-in session under a new id (no session fixation) with a
    /// fresh CSRF token.
    pub fn log_in(&self, user_id: Uuid) -> Result<(), actix_session::SessionInsertError> {
        self.0.renew();
        self.0.insert(USER_ID_KEY, user_id)?;
        self.0.insert(CSRF_KEY, new_csrf_token())?;
        Ok(())
    }

    /// Carries this session, state and all, over to a new id: after a
    /// password change has deleted every stored session of the user, the
    /// response stores this one again and no one else's survives.
    pub fn renew(&self) {
        self.0.renew();
    }

    /// Ends this session on the server; other devices keep theirs.
    pub fn log_out(&self) {
        self.0.purge();
    }

    /// The session's synchronizer token, created on first use. It stays the
    /// same for the session so several tabs and double submits work.
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF_KEY) {
            return token;
        }
        let token = new_csrf_token();
        // A failed insert leaves no token in the session, so the form it
        // renders is refused: safe, and it cannot happen for a String.
        let _ = self.0.insert(CSRF_KEY, &token);
        token
    }

    /// The stored token, without creating one.
    pub fn existing_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_KEY).ok().flatten()
    }

    pub fn set_flash(&self, message: &str) {
        let _ = self.0.insert(FLASH_KEY, message);
    }

    /// The flash, removed as it is shown. Without one the session is left
    /// untouched: a removal marks it changed, which would cost every page a
    /// write.
    pub fn take_flash(&self) -> Option<String> {
        if !self.0.contains_key(FLASH_KEY) {
            return None;
        }
        self.0.remove_as::<String>(FLASH_KEY).and_then(Result::ok)
    }
}

/// 32 random bytes, URL-safe base64.
pub fn new_csrf_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}

impl TypedSession {
    pub fn of(req: &HttpRequest) -> Self {
        TypedSession(req.get_session())
    }
}
