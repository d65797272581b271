//! What people (and, for self-rotation, tokens) do: each action is one
//! transaction that makes the change and writes its audit event, so no change
//! goes unrecorded. Actions on an integration lock its row first, so
//! concurrent actions never interleave. The panel (`web`) and the API (`api`)
//! both call these and never each other; the policy for showing an
//! [`ActionError`] lives with each of them (`From` impls in `errors.rs` and
//! `api/error.rs`).

pub mod account;
pub mod alerts;
pub mod api_keys;
pub mod contacts;
pub mod custom_fields;
pub mod inactivity;
pub mod integrations;
pub mod location_tags;
pub mod notes;
pub mod notices;
pub mod people;
pub mod profile;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use inactivity::{expire_inactive, set_inactivity_window};
pub use integrations::{NewIntegrationFields, create, delete, update};
pub use tokens::{
    Issued, RotateMode, SelfRotateError, cancel_rotation, current_token, expire, generate, rotate,
    self_rotate,
};

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbError;
use crate::models::{Integration, NewAuditEvent};

/// Who acts, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub ip: String,
}

impl Actor {
    /// An audit event of the account done by this actor.
    pub fn audit(&self, account_id: Uuid, action: &'static str) -> NewAuditEvent {
        let mut e = NewAuditEvent::new(account_id, action).ip(&self.ip);
        e.actor_user_id = self.user_id;
        e.actor_email = self.email.clone();
        e
    }

    pub(crate) fn event(
        &self,
        account_id: Uuid,
        action: &'static str,
        integration: &Integration,
    ) -> NewAuditEvent {
        self.audit(account_id, action)
            .integration(integration.id, &integration.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The integration or token is not the account's, or is gone.
    #[error("not found")]
    NotFound,
    /// The action does not apply in the current state; the message is for people.
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ActionError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ActionError::NotFound,
            other => ActionError::Db(DbError::Query(other)),
        }
    }
}

pub(crate) fn transaction<T>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> Result<T, ActionError>,
) -> Result<T, ActionError> {
    conn.transaction(f)
}
