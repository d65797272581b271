//! The audit log (`audit_events`): one row per change, written in the
//! change's own transaction, and read back newest first, by page or (for
//! exports) in keyset chunks.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{audit_events, integrations};

/// One line of the audit log as it is read back.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct AuditEvent {
    pub id: i64,
    /// As written: a removed user's events still name them.
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    /// The target's name at the time of the event.
    pub target_label: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub integration_id: Option<Uuid>,
}

/// An event with whether the integration it names still exists (so that
/// the log can link to it).
pub type EventRow = (AuditEvent, Option<Uuid>);

/// What the log is narrowed to; `None` fields do not narrow it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub integration_id: Option<Uuid>,
    /// Stored lower-cased, so compared lower-cased.
    pub actor_email: Option<String>,
    /// An exact action name such as `token.rotated`.
    pub action: Option<String>,
}

/// A place in the log's order (newest first, ties by id): exports resume
/// after it, so each chunk is an index range, not an ever-growing offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

impl AuditEvent {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id,
        }
    }

    /// One page of the account's events (1-based), newest first, and how
    /// many match in all.
    pub fn page_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        filter: &AuditFilter,
        page: i64,
        per_page: i64,
    ) -> QueryResult<(Vec<EventRow>, i64)> {
        let total = filtered(account_id, filter).count().get_result(conn)?;
        let rows = with_live_integration(filtered(account_id, filter))
            .order((audit_events::created_at.desc(), audit_events::id.desc()))
            .offset((page - 1).saturating_mul(per_page))
            .limit(per_page)
            .load(conn)?;
        Ok((rows, total))
    }

    /// Up to `limit` of the account's events that come after `after` in the
    /// log's order (from the newest when `None`).
    pub fn chunk_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
        filter: &AuditFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        let mut query = filtered(account_id, filter);
        if let Some(c) = after {
            query = query.filter(
                audit_events::created_at
                    .lt(c.created_at)
                    .or(audit_events::created_at
                        .eq(c.created_at)
                        .and(audit_events::id.lt(c.id))),
            );
        }
        with_live_integration(query)
            .order((audit_events::created_at.desc(), audit_events::id.desc()))
            .limit(limit)
            .load(conn)
    }
}

impl AuditEvent {
    /// The integration's `integration.created` and `integration.updated`
    /// events, oldest first: `(action, details, when)`. Their details say
    /// which scopes each granted, so the used-scopes report can tell a
    /// scope granted last week from one unused for a month.
    pub fn scope_grants(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
    ) -> QueryResult<Vec<(String, serde_json::Value, DateTime<Utc>)>> {
        audit_events::table
            .filter(audit_events::account_id.eq(account_id))
            .filter(audit_events::integration_id.eq(integration_id))
            .filter(audit_events::action.eq_any(["integration.created", "integration.updated"]))
            .order((audit_events::created_at.asc(), audit_events::id.asc()))
            .select((
                audit_events::action,
                audit_events::details,
                audit_events::created_at,
            ))
            .load(conn)
    }
}

type Filtered<'a> = audit_events::BoxedQuery<'a, Pg>;

/// The account's events narrowed by `filter`: tenant scoping in the query.
fn filtered<'a>(account_id: Uuid, filter: &AuditFilter) -> Filtered<'a> {
    let mut query = audit_events::table
        .filter(audit_events::account_id.eq(account_id))
        .into_boxed();
    if let Some(id) = filter.integration_id {
        query = query.filter(audit_events::integration_id.eq(id));
    }
    if let Some(email) = &filter.actor_email {
        query = query.filter(audit_events::actor_email.eq(email.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    query
}

type LiveIntegration = diesel::dsl::And<
    diesel::dsl::Eq<diesel::dsl::Nullable<integrations::id>, audit_events::integration_id>,
    diesel::dsl::IsNull<integrations::deleted_at>,
>;
type WithLiveIntegration<'a> = diesel::dsl::Select<
    diesel::dsl::LeftJoinOn<Filtered<'a>, integrations::table, LiveIntegration>,
    (
        diesel::dsl::AsSelect<AuditEvent, Pg>,
        diesel::dsl::Nullable<integrations::id>,
    ),
>;

/// `query` with the id of the event's integration when it is not deleted.
fn with_live_integration(query: Filtered<'_>) -> WithLiveIntegration<'_> {
    query
        .left_join(
            integrations::table.on(integrations::id
                .nullable()
                .eq(audit_events::integration_id)
                .and(integrations::deleted_at.is_null())),
        )
        .select((AuditEvent::as_select(), integrations::id.nullable()))
}

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
