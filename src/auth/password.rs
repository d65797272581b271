//! Argon2id hashing, always on the blocking pool: a hash takes tens of
//! milliseconds of CPU, which would stall every request on the same worker.

use std::sync::LazyLock;

use actix_web::web;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::password::Password;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// Verified against when the email is unknown, so that an unknown email costs
/// the same time as a wrong password and timing tells nothing.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("dummy password that matches nothing").ok());

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| HashError)
}

/// Checks `password` against `stored`, or against a dummy hash when there is
/// no user, doing the same work either way.
pub fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let Some(phc) = stored.or(DUMMY_HASH.as_deref()) else {
        return false;
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

pub async fn hash(password: Password) -> Result<String, HashError> {
    web::block(move || hash_blocking(password.expose()))
        .await
        .map_err(|_| HashError)?
}

pub async fn verify(password: Password, stored: Option<String>) -> bool {
    web::block(move || verify_blocking(password.expose(), stored.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse battery", Some(&h)));
        assert!(!verify_blocking("correct horse batterx", Some(&h)));
    }

    #[test]
    fn no_stored_hash_never_verifies() {
        assert!(!verify_blocking(
            "dummy password that matches nothing",
            None
        ));
    }
}
