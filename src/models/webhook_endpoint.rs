//! Webhook endpoints (`webhook_endpoints`): where an integration's events go.
//! The signing secret is kept sealed (see `crate::secrets`); these queries
//! never see it in plaintext.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::webhook_endpoints;

/// Values of `disabled_reason`.
pub mod disabled_reason {
    /// Someone pressed Disable.
    pub const USER: &str = "user";
    /// Every delivery failed for five days, so the worker disabled it.
    pub const FAILING: &str = "failing";
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = webhook_endpoints, check_for_backend(diesel::pg::Pg))]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub account_id: Uuid,
    pub integration_id: Uuid,
    pub url: String,
    /// Event names (`ContactCreate` …), in catalogue order.
    pub events: Vec<String>,
    pub secret_sealed: Vec<u8>,
    /// After a roll, the old secret signs too until `previous_secret_until`.
    pub previous_secret_sealed: Option<Vec<u8>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub secret_shown_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    /// `user` or `failing` while disabled.
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewWebhookEndpoint<'a> {
    /// Chosen by the caller: the sealed secret is bound to it.
    pub id: Uuid,
    pub account_id: Uuid,
    pub integration_id: Uuid,
    pub url: &'a str,
    pub events: Vec<String>,
    pub secret_sealed: Vec<u8>,
    pub created_by: Option<Uuid>,
}

impl WebhookEndpoint {
    pub fn create(conn: &mut PgConnection, new: NewWebhookEndpoint<'_>) -> QueryResult<Self> {
        diesel::insert_into(webhook_endpoints::table)
            .values(new)
            .returning(WebhookEndpoint::as_returning())
            .get_result(conn)
    }

    /// The integration's endpoints, oldest first.
    pub fn list_for_integration(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
    ) -> QueryResult<Vec<Self>> {
        webhook_endpoints::table
            .filter(webhook_endpoints::account_id.eq(account_id))
            .filter(webhook_endpoints::integration_id.eq(integration_id))
            .order((webhook_endpoints::created_at, webhook_endpoints::id))
            .select(WebhookEndpoint::as_select())
            .load(conn)
    }

    /// One endpoint of the account's integration; `NotFound` for anyone else's.
    pub fn find_for_integration(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Self> {
        webhook_endpoints::table
            .filter(webhook_endpoints::account_id.eq(account_id))
            .filter(webhook_endpoints::integration_id.eq(integration_id))
            .filter(webhook_endpoints::id.eq(id))
            .select(WebhookEndpoint::as_select())
            .first(conn)
    }

    /// As [`Self::find_for_integration`], holding the row lock until the
    /// transaction ends.
    pub fn lock_for_integration(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Self> {
        webhook_endpoints::table
            .filter(webhook_endpoints::account_id.eq(account_id))
            .filter(webhook_endpoints::integration_id.eq(integration_id))
            .filter(webhook_endpoints::id.eq(id))
            .select(WebhookEndpoint::as_select())
            .for_update()
            .first(conn)
    }

    /// How many endpoints the account's integration has.
    pub fn count_for_integration(
        conn: &mut PgConnection,
        account_id: Uuid,
        integration_id: Uuid,
    ) -> QueryResult<i64> {
        webhook_endpoints::table
            .filter(webhook_endpoints::account_id.eq(account_id))
            .filter(webhook_endpoints::integration_id.eq(integration_id))
            .count()
            .get_result(conn)
    }

    /// Removes the endpoint; its deliveries and their attempts go with it
    /// (`on delete cascade`).
    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::delete(webhook_endpoints::table.find(id))
            .execute(conn)
            .map(drop)
    }

    /// Enabling forgets why it was disabled and any run of failures, so an
    /// endpoint switched back on gets five fresh days before it is disabled
    /// again; disabling records that a person did it.
    pub fn set_enabled(conn: &mut PgConnection, id: Uuid, enabled: bool) -> QueryResult<Self> {
        let reason = (!enabled).then_some(disabled_reason::USER);
        diesel::update(webhook_endpoints::table.find(id))
            .set((
                webhook_endpoints::enabled.eq(enabled),
                webhook_endpoints::disabled_reason.eq(reason),
                webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>),
                webhook_endpoints::updated_at.eq(diesel::dsl::now),
            ))
            .returning(WebhookEndpoint::as_returning())
            .get_result(conn)
    }

    /// Replaces the secret with `sealed`, keeping `previous` (the current
    /// one, sealed) valid until `previous_until`; the new secret is yet to
    /// be shown.
    pub fn roll_secret(
        conn: &mut PgConnection,
        id: Uuid,
        sealed: Vec<u8>,
        previous: Vec<u8>,
        previous_until: DateTime<Utc>,
    ) -> QueryResult<Self> {
        diesel::update(webhook_endpoints::table.find(id))
            .set((
                webhook_endpoints::secret_sealed.eq(sealed),
                webhook_endpoints::previous_secret_sealed.eq(Some(previous)),
                webhook_endpoints::previous_secret_until.eq(Some(previous_until)),
                webhook_endpoints::secret_shown_at.eq(None::<DateTime<Utc>>),
                webhook_endpoints::updated_at.eq(diesel::dsl::now),
            ))
            .returning(WebhookEndpoint::as_returning())
            .get_result(conn)
    }

    /// Claims the one showing of the secret sealed as `sealed`: true for the
    /// first caller only, and never once the secret has been rolled past it.
    pub fn claim_secret_shown(
        conn: &mut PgConnection,
        id: Uuid,
        sealed: &[u8],
    ) -> QueryResult<bool> {
        diesel::update(
            webhook_endpoints::table
                .find(id)
                .filter(webhook_endpoints::secret_sealed.eq(sealed))
                .filter(webhook_endpoints::secret_shown_at.is_null()),
        )
        .set(webhook_endpoints::secret_shown_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|n| n == 1)
    }
}
