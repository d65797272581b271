//! Webhook endpoints (`webhook_endpoints`): where an integration's events go.
//! The signing secret is kept sealed (see `crate::secrets`); these queries
//! never see it in plaintext.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::webhook_endpoints;

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
}
