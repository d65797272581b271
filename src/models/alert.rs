//! Alerts (`alerts`): a dead token tried or a new client address, found by
//! the usage writer, at most one per token, address and day, shown as a
//! banner on the integration until an editor dismisses it.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{alerts, integrations};

/// What an alert is about (`alerts.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// A revoked, rotated-out or expired token was presented.
    RevokedTokenUsed,
    /// A live token was used from an address not seen for 30 days.
    NewIp,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::RevokedTokenUsed => "revoked_token_used",
            AlertKind::NewIp => "new_ip",
        }
    }

    /// Its audit action.
    pub fn action(self) -> &'static str {
        match self {
            AlertKind::RevokedTokenUsed => "alert.revoked_token_used",
            AlertKind::NewIp => "alert.new_ip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "revoked_token_used" => Some(AlertKind::RevokedTokenUsed),
            "new_ip" => Some(AlertKind::NewIp),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = alerts, check_for_backend(diesel::pg::Pg))]
pub struct Alert {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub kind: String,
    pub token_id: Uuid,
    /// The client address of the request that raised it.
    pub ip: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = alerts)]
pub struct NewAlert<'a> {
    pub account_id: Uuid,
    pub integration_id: Uuid,
    pub kind: &'static str,
    pub token_id: Uuid,
    pub ip: &'a str,
    pub day: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl NewAlert<'_> {
    /// Inserts the alert unless the same one was raised that day (by this
    /// or another instance): the new alert's id, or `None`.
    pub fn insert(&self, conn: &mut PgConnection) -> QueryResult<Option<Uuid>> {
        diesel::insert_into(alerts::table)
            .values(self)
            .on_conflict_do_nothing()
            .returning(alerts::id)
            .get_result(conn)
            .optional()
    }
}

/// Banners shown at most on a page.
const OPEN_SHOWN: i64 = 10;

impl Alert {
    /// The integration's alerts nobody dismissed, newest first.
    pub fn open_for_integration(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
    ) -> QueryResult<Vec<Alert>> {
        alerts::table
            .filter(alerts::account_id.eq(account_id))
            .filter(alerts::integration_id.eq(integration_id))
            .filter(alerts::dismissed_at.is_null())
            .order((alerts::created_at.desc(), alerts::id.desc()))
            .limit(OPEN_SHOWN)
            .select(Alert::as_select())
            .load(conn)
    }

    /// Open alerts per integration of the account (deleted ones left out):
    /// `(integration id, name, count)`, by name.
    pub fn open_counts(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Vec<(Uuid, String, i64)>> {
        alerts::table
            .inner_join(integrations::table)
            .filter(alerts::account_id.eq(account_id))
            .filter(alerts::dismissed_at.is_null())
            .filter(integrations::deleted_at.is_null())
            .group_by((integrations::id, integrations::name))
            .order(integrations::name.asc())
            .select((
                integrations::id,
                integrations::name,
                diesel::dsl::count_star(),
            ))
            .load(conn)
    }

    /// Marks the alert dismissed and returns it; `None` when it is not the
    /// integration's or was dismissed already.
    pub fn dismiss(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
        id: Uuid,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> QueryResult<Option<Alert>> {
        diesel::update(
            alerts::table
                .filter(alerts::id.eq(id))
                .filter(alerts::account_id.eq(account_id))
                .filter(alerts::integration_id.eq(integration_id))
                .filter(alerts::dismissed_at.is_null()),
        )
        .set((alerts::dismissed_at.eq(at), alerts::dismissed_by.eq(by)))
        .returning(Alert::as_returning())
        .get_result(conn)
        .optional()
    }

    /// Whether the alert is the integration's at all (dismissed or not).
    pub fn exists(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
        id: Uuid,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            alerts::table
                .filter(alerts::id.eq(id))
                .filter(alerts::account_id.eq(account_id))
                .filter(alerts::integration_id.eq(integration_id)),
        ))
        .get_result(conn)
    }

    /// Alerts raised before `cutoff`: the requests behind them have left the
    /// log by then, and the audit log keeps each alert's line.
    pub fn purge_before(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
        diesel::delete(alerts::table.filter(alerts::created_at.lt(cutoff))).execute(conn)
    }
}
