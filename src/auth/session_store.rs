//! actix-session's `SessionStore` over the `sessions` table, so that logout and
//! expiry end a session on the server and every instance sees the same ones.
//!
//! actix-session answers any failure of its store with a bare 500. So that a
//! database outage still gets its 503 page (SPEC §10), the store notes an
//! unreachable database for the request it serves, read by whoever runs the
//! request inside [`watching_outages`]. The same note carries the signed-in
//! user, loaded with the session in one query, to the sign-in gate
//! ([`signed_in_user`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::caches::{CachedSession, Caches};
use crate::db::{self, DbError, DbPool};
use crate::models::session::{self, State};
use crate::models::{Account, User};

/// The session key under which the signed-in user's id is kept.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone)]
pub struct PgSessionStore {
    pool: DbPool,
    /// Live sessions with their users, so a page needs no round trip for
    /// them; kept honest by the change listener (see `caches`).
    caches: Arc<Caches>,
    /// When this instance last pushed each session's expiry forward. The
    /// database moves an expiry at most once a minute anyway, so asking it
    /// more often is a round trip per page for nothing.
    extended: Arc<Mutex<HashMap<Vec<u8>, Instant>>>,
}

/// How often one session's expiry is pushed forward, per instance.
const EXTEND_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// Past this many sessions remembered, the memory starts again empty.
const REMEMBERED: usize = 100_000;

impl PgSessionStore {
    pub fn new(pool: DbPool, caches: Arc<Caches>) -> Self {
        Self {
            pool,
            caches,
            extended: Arc::default(),
        }
    }

    /// Whether this session's expiry is due to be pushed forward; notes it
    /// as pushed when it is.
    fn extension_due(&self, id: &[u8]) -> bool {
        let now = Instant::now();
        let mut extended = self.extended();
        if extended
            .get(id)
            .is_some_and(|at| now.duration_since(*at) < EXTEND_EVERY)
        {
            return false;
        }
        remember(&mut extended, id, now);
        true
    }

    /// Notes that a write of the session's state just pushed its expiry
    /// forward too.
    fn extended_now(&self, id: &[u8]) {
        remember(&mut self.extended(), id, Instant::now());
    }

    fn extended(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Instant>> {
        self.extended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn remember(extended: &mut HashMap<Vec<u8>, Instant>, id: &[u8], at: Instant) {
    if extended.len() >= REMEMBERED {
        extended.clear();
    }
    extended.insert(id.to_vec(), at);
}

fn storage_id(key: &SessionKey) -> Vec<u8> {
    Sha256::digest(key.as_ref().as_bytes()).to_vec()
}

fn expiry(ttl: &Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

/// Who a loaded session's row says is signed in: the user id it was
/// written with, and that user and their account if they still exist.
type SignedIn = (Uuid, Option<(User, Account)>);

/// What the store learns while serving one request.
#[derive(Default)]
struct Notes {
    /// The request may change something: its session is read from the
    /// database, not from memory.
    fresh: bool,
    unreachable: Cell<bool>,
    signed_in: RefCell<Option<SignedIn>>,
}

tokio::task_local! {
    static NOTES: Notes;
}

/// Runs `request` (the session middleware and what it wraps); also says
/// whether the store found the database unreachable meanwhile. With
/// `fresh`, the request's session is read from the database.
pub async fn watching_outages<F: Future>(fresh: bool, request: F) -> (F::Output, bool) {
    let notes = Notes {
        fresh,
        ..Notes::default()
    };
    NOTES
        .scope(notes, async move {
            let output = request.await;
            (output, NOTES.with(|notes| notes.unreachable.get()))
        })
        .await
}

/// The user the session loaded for this request was written for, when it
/// is `user_id`: `Some(None)` when that user no longer exists, `None` when
/// the store did not load them (the caller asks the database itself).
pub fn signed_in_user(user_id: Uuid) -> Option<Option<(User, Account)>> {
    NOTES
        .try_with(|notes| notes.signed_in.borrow_mut().take())
        .ok()
        .flatten()
        .filter(|(id, _)| *id == user_id)
        .map(|(_, user)| user)
}

/// Passes `e` on, noting an outage for [`watching_outages`].
fn noted(e: DbError) -> anyhow::Error {
    if e.is_unavailable() {
        // Outside `watching_outages` there is no one to tell.
        let _ = NOTES.try_with(|notes| notes.unreachable.set(true));
    }
    e.into()
}

/// Tells the sign-in gate who the session is for, so it need not ask the
/// database. Outside `watching_outages` the gate loads the user itself.
fn note_signed_in(session: &CachedSession) {
    if let Some(user_id) = session.user_id {
        let _ = NOTES.try_with(|notes| {
            *notes.signed_in.borrow_mut() = Some((user_id, session.user.clone()));
        });
    }
}

/// The user id is stored in its own column so sessions can be ended per user.
fn user_id(state: &State) -> Option<Uuid> {
    state
        .get(USER_ID_KEY)
        .and_then(|v| serde_json::from_str::<Uuid>(v).ok())
}

/// How a state is written: a new key is inserted, a known one only updated.
#[derive(Clone, Copy)]
enum Write {
    New,
    Existing,
}

async fn write(
    pool: &DbPool,
    key: &SessionKey,
    state: State,
    ttl: &Duration,
    how: Write,
) -> Result<(), DbError> {
    let id = storage_id(key);
    let user = user_id(&state);
    let value = serde_json::to_value(state).map_err(|_| DbError::Blocking)?;
    let expires_at = expiry(ttl);
    db::query(pool, move |conn| match how {
        Write::New => session::insert(conn, &id, &value, user, expires_at),
        Write::Existing => session::update(conn, &id, &value, user, expires_at),
    })
    .await
}

impl SessionStore for PgSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = storage_id(key);
        let sessions = &self.caches.sessions;
        let fresh = NOTES.try_with(|notes| notes.fresh).unwrap_or(true);
        if let Some(kept) = sessions
            .get(&id)
            .filter(|s| !fresh && s.ends_at > Utc::now())
        {
            note_signed_in(&kept);
            return Ok(Some(kept.state.clone()));
        }
        let generation = sessions.generation();
        let looked_up = id.clone();
        let loaded = db::query(&self.pool, move |conn| {
            session::load_with_user(conn, &looked_up)
        })
        .await
        .map_err(|e| LoadError::Other(noted(e)))?;
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        let state = serde_json::from_value::<State>(loaded.state)
            .map_err(|e| LoadError::Deserialization(e.into()))?;
        let found = Arc::new(CachedSession {
            state,
            user_id: loaded.user_id,
            user: loaded.user,
            ends_at: loaded.ends_at,
        });
        note_signed_in(&found);
        sessions.insert(id, found.clone(), generation);
        Ok(Some(found.state.clone()))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        write(&self.pool, &key, state, ttl, Write::New)
            .await
            .map_err(|e| SaveError::Other(noted(e)))?;
        self.extended_now(&storage_id(&key));
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        // A session ended meanwhile stays ended: the update finds no row,
        // and the cookie it answers with leads nowhere.
        let written = write(&self.pool, &key, state, ttl, Write::Existing).await;
        // Written or not, what this instance kept is no longer the row.
        self.caches.sessions.forget(&storage_id(&key));
        written.map_err(|e| UpdateError::Other(noted(e)))?;
        self.extended_now(&storage_id(&key));
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let id = storage_id(key);
        if !self.extension_due(&id) {
            return Ok(());
        }
        let expires_at = expiry(ttl);
        db::query(&self.pool, move |conn| {
            session::extend(conn, &id, expires_at)
        })
        .await
        .map_err(noted)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = storage_id(key);
        let deleted = id.clone();
        let done = db::query(&self.pool, move |conn| session::delete(conn, &deleted)).await;
        self.caches.sessions.forget(&id);
        done.map_err(noted)
    }
}
