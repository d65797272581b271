//! Argon2id hashing, always on the blocking pool: a hash takes tens of
//! milliseconds of CPU, which would stall every request on the same worker.

use std::sync::{Arc, LazyLock, Mutex, mpsc};

use actix_web::web;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::oneshot;

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
    on_hashing_threads(move || hash_blocking(password.expose()))
        .await
        .ok_or(HashError)?
}

pub async fn verify(password: Password, stored: Option<String>) -> bool {
    on_hashing_threads(move || verify_blocking(password.expose(), stored.as_deref()))
        .await
        .unwrap_or(false)
}

type Job = Box<dyn FnOnce() + Send>;

/// Password work runs on a few threads of its own, one per core, rather
/// than on the blocking pool: each hash takes Argon2's 19 MiB, which the
/// allocator keeps for the thread that used it, so sign-ins spread over
/// the pool's many threads would each leave that much behind (memory grew
/// by half under a burst of sign-ins); and a core hashes one at a time
/// anyway. Jobs wait their turn in order.
static HASHING: LazyLock<Option<Mutex<mpsc::Sender<Job>>>> = LazyLock::new(|| {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let mut started = 0;
    for n in 0..threads {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("password-{n}"))
            .spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if spawned.is_ok() {
            started += 1;
        }
    }
    (started > 0).then(|| Mutex::new(jobs))
});

/// Runs `work` on the password threads (on the blocking pool if none could
/// be started); `None` if it could not run.
async fn on_hashing_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (done, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    // The lock is let go before waiting: a queued job comes back only when
    // no thread could take it.
    let unsent = match HASHING.as_ref().and_then(|jobs| jobs.lock().ok()) {
        Some(jobs) => jobs.send(job).err().map(|mpsc::SendError(job)| job),
        None => Some(job),
    };
    if let Some(job) = unsent {
        web::block(job).await.ok()?;
    }
    answer.await.ok()
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
