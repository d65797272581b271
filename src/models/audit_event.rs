//! The audit log (`audit_events`): one row per change, written in the
//! change's own transaction.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::audit_events;

/// One line of the audit log, written in the same transaction as the change
/// it records.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub account_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub actor_email: Option<String>,
    /// Dotted name such as `user.login` or `token.rotated`.
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<Uuid>,
    pub target_label: Option<String>,
    /// Action-specific facts (e.g. the rotation mode); never a secret.
    pub details: serde_json::Value,
    pub ip: Option<String>,
    /// Lets the audit log be filtered by integration, token events included.
    pub integration_id: Option<Uuid>,
}

impl NewAuditEvent {
    pub fn new(account_id: Uuid, action: &'static str) -> Self {
        Self {
            account_id,
            actor_user_id: None,
            actor_email: None,
            action,
            target_type: None,
            target_id: None,
            target_label: None,
            details: serde_json::Value::Object(Default::default()),
            ip: None,
            integration_id: None,
        }
    }

    pub fn actor(mut self, user_id: Uuid, email: &str) -> Self {
        self.actor_user_id = Some(user_id);
        self.actor_email = Some(email.to_string());
        self
    }

    pub fn target(mut self, kind: &'static str, id: Uuid, label: &str) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id);
        self.target_label = Some(label.to_string());
        self
    }

    /// Names the integration as the event's target and indexes it by it.
    pub fn integration(mut self, id: Uuid, name: &str) -> Self {
        self.integration_id = Some(id);
        self.target("integration", id, name)
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.to_string());
        self
    }

    pub fn insert(self, conn: &mut PgConnection) -> QueryResult<()> {
        diesel::insert_into(audit_events::table)
            .values(self)
            .execute(conn)
            .map(drop)
    }
}
