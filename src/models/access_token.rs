//! Access tokens (`access_tokens`): an integration's bearer tokens, stored
//! as SHA-256 hashes, with their life (expiry, grace, revocation, last use).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{access_tokens, accounts, integrations};
use crate::domain::token::{PlainToken, TokenHash};
use crate::models::{Account, Integration};

// PostgreSQL's `greatest` skips NULL: the later of a last use and a use.
diesel::define_sql_function!(
    #[sql_name = "greatest"]
    fn latest(
        a: diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        b: diesel::sql_types::Timestamptz,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>
);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = access_tokens, check_for_backend(diesel::pg::Pg))]
pub struct AccessToken {
    pub id: Uuid,
    pub integration_id: Uuid,
    /// SHA-256 of the plaintext, which is never stored.
    pub token_hash: Vec<u8>,
    /// Shown as `pit_…` + these four.
    pub last_four: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// End of the integration's token lifetime; `None` = no end.
    pub expires_at: Option<DateTime<Utc>>,
    /// End of a rotation grace period; cleared by cancel rotation.
    pub grace_ends_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    /// The token this one replaced.
    pub rotated_from: Option<Uuid>,
    /// When its plaintext was shown; never shown twice.
    pub revealed_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = access_tokens)]
struct NewAccessToken<'a> {
    integration_id: Uuid,
    token_hash: &'a [u8],
    last_four: &'a str,
    created_by: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
    rotated_from: Option<Uuid>,
}

/// Why a token stopped working (`revoked_reason`).
pub mod reason {
    pub const ROTATED: &str = "rotated";
    pub const EXPIRED_BY_USER: &str = "expired_by_user";
    pub const ROTATION_CANCELLED: &str = "rotation_cancelled";
    pub const DELETED: &str = "deleted";
    pub const INACTIVE: &str = "inactive";
}

/// `(token, integration name, account, the account's inactivity window)`.
pub type TokenEndingCandidate = (AccessToken, String, Uuid, Option<i32>);

/// A token as people see it; see [`AccessToken::mask`].
pub struct Mask<'a>(&'a str);

impl std::fmt::Display for Mask<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pit_…{}", self.0)
    }
}

#[cfg(test)]
impl AccessToken {
    /// A live token created at `now`, for unit tests of what is derived
    /// from a token's times.
    pub fn sample(now: DateTime<Utc>) -> AccessToken {
        AccessToken {
            id: Uuid::nil(),
            integration_id: Uuid::nil(),
            token_hash: Vec::new(),
            last_four: "abcd".to_string(),
            created_at: now,
            created_by: None,
            expires_at: None,
            grace_ends_at: None,
            revoked_at: None,
            revoked_reason: None,
            last_used_at: None,
            last_used_ip: None,
            rotated_from: None,
            revealed_at: None,
        }
    }
}

impl AccessToken {
    /// How people see the token: `pit_…` and its last four characters.
    pub fn masked(&self) -> String {
        self.mask().to_string()
    }

    /// [`masked`](Self::masked), for writing straight into a page.
    pub fn mask(&self) -> Mask<'_> {
        Mask(&self.last_four)
    }

    /// The fixed end reported as `expiresAt`: its lifetime or its grace
    /// period, whichever comes first.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        match (self.expires_at, self.grace_ends_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When disuse ends it under the account's inactivity rule.
    pub fn inactive_at(&self, inactivity_days: Option<i32>) -> Option<DateTime<Utc>> {
        inactivity_days.map(|days| {
            self.last_used_at.unwrap_or(self.created_at) + Duration::days(i64::from(days))
        })
    }

    pub fn is_live(&self, now: DateTime<Utc>, inactivity_days: Option<i32>) -> bool {
        self.revoked_at.is_none()
            && self.ends_at().is_none_or(|end| end > now)
            && self
                .inactive_at(inactivity_days)
                .is_none_or(|end| end > now)
    }

    pub fn in_grace(&self) -> bool {
        self.grace_ends_at.is_some()
    }

    /// Issues a new token for the integration; the plaintext is returned
    /// once, for the reveal page, and exists nowhere else.
    pub fn issue(
        conn: &mut PgConnection,
        integration_id: Uuid,
        created_by: Option<Uuid>,
        expires_at: Option<DateTime<Utc>>,
        rotated_from: Option<Uuid>,
    ) -> QueryResult<(AccessToken, PlainToken)> {
        let plain = PlainToken::generate();
        let hash = plain.hash();
        let last_four = plain.last_four();
        let row = diesel::insert_into(access_tokens::table)
            .values(NewAccessToken {
                integration_id,
                token_hash: hash.as_bytes(),
                last_four: &last_four,
                created_by,
                expires_at,
                rotated_from,
            })
            .returning(AccessToken::as_returning())
            .get_result(conn)?;
        Ok((row, plain))
    }

    /// Tokens not revoked and not past a fixed end, newest first; the caller
    /// applies the inactivity rule with [`Self::is_live`].
    pub fn unrevoked_for_integration(
        conn: &mut PgConnection,
        integration_id: Uuid,
    ) -> QueryResult<Vec<AccessToken>> {
        let now = Utc::now();
        access_tokens::table
            .filter(access_tokens::integration_id.eq(integration_id))
            .filter(unrevoked_and_unended(now))
            .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
            .select(AccessToken::as_select())
            .load(conn)
    }

    /// Every live token of the integration, newest first.
    pub fn live_for_integration(
        conn: &mut PgConnection,
        integration_id: Uuid,
        inactivity_days: Option<i32>,
    ) -> QueryResult<Vec<AccessToken>> {
        let now = Utc::now();
        Ok(Self::unrevoked_for_integration(conn, integration_id)?
            .into_iter()
            .filter(|t| t.is_live(now, inactivity_days))
            .collect())
    }

    /// The newest token of each of these integrations, live or not: the list
    /// page's status column.
    pub fn all_for_integrations(
        conn: &mut PgConnection,
        ids: &[Uuid],
    ) -> QueryResult<Vec<AccessToken>> {
        access_tokens::table
            .filter(access_tokens::integration_id.eq_any(ids))
            .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
            .select(AccessToken::as_select())
            .load(conn)
    }

    /// Every unrevoked token of the account's integrations not deleted,
    /// with its integration's name, for the Settings home's count of tokens
    /// about to stop (weighed in Rust, where every page weighs them).
    pub fn unrevoked_for_account(
        conn: &mut PgConnection,
        account_id: Uuid,
    ) -> QueryResult<Vec<(AccessToken, String)>> {
        access_tokens::table
            .inner_join(integrations::table)
            .filter(integrations::account_id.eq(account_id))
            .filter(integrations::deleted_at.is_null())
            .filter(access_tokens::revoked_at.is_null())
            .order((integrations::name.asc(), access_tokens::created_at.desc()))
            .select((AccessToken::as_select(), integrations::name))
            .load(conn)
    }

    /// Tokens of integrations not deleted, in every account, still working
    /// at `now` (as far as revocation and fixed ends tell) that may end by
    /// `horizon` (by lifetime, grace period or the account's inactivity
    /// window), with the integration's name, its account and that account's
    /// window: the candidates for the email warning a week ahead, weighed
    /// exactly by [`crate::models::token_ending`]. Tokens long past their
    /// end are left out, so the scan does not grow with them.
    pub fn may_end_by(
        conn: &mut PgConnection,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> QueryResult<Vec<TokenEndingCandidate>> {
        access_tokens::table
            .inner_join(integrations::table.inner_join(accounts::table))
            .filter(integrations::deleted_at.is_null())
            .filter(unrevoked_and_unended(now))
            .filter(
                access_tokens::expires_at
                    .le(horizon)
                    .or(access_tokens::grace_ends_at.le(horizon))
                    .or(diesel::dsl::sql::<diesel::sql_types::Bool>(
                        "coalesce(access_tokens.last_used_at, access_tokens.created_at) \
                         + make_interval(days => accounts.inactivity_expiry_days) <= ",
                    )
                    .bind::<diesel::sql_types::Timestamptz, _>(horizon)
                    .nullable()),
            )
            .select((
                AccessToken::as_select(),
                integrations::name,
                integrations::account_id,
                accounts::inactivity_expiry_days,
            ))
            .load(conn)
    }

    pub fn find_for_integration(
        conn: &mut PgConnection,
        integration_id: Uuid,
        id: Uuid,
    ) -> QueryResult<AccessToken> {
        access_tokens::table
            .filter(access_tokens::id.eq(id))
            .filter(access_tokens::integration_id.eq(integration_id))
            .select(AccessToken::as_select())
            .first(conn)
    }

    pub fn find_by_hash(
        conn: &mut PgConnection,
        hash: &TokenHash,
    ) -> QueryResult<Option<AccessToken>> {
        access_tokens::table
            .filter(access_tokens::token_hash.eq(hash.as_bytes()))
            .select(AccessToken::as_select())
            .first(conn)
            .optional()
    }

    /// The token with this hash, with its integration (not deleted) and
    /// account: everything an API request needs, in one query.
    pub fn authenticate(
        conn: &mut PgConnection,
        hash: &TokenHash,
    ) -> QueryResult<Option<(AccessToken, Integration, Account)>> {
        access_tokens::table
            .inner_join(integrations::table.inner_join(accounts::table))
            .filter(access_tokens::token_hash.eq(hash.as_bytes()))
            .filter(integrations::deleted_at.is_null())
            .select((
                AccessToken::as_select(),
                Integration::as_select(),
                Account::as_select(),
            ))
            .first(conn)
            .optional()
    }

    pub fn revoke(conn: &mut PgConnection, id: Uuid, why: &str) -> QueryResult<()> {
        diesel::update(
            access_tokens::table
                .find(id)
                .filter(access_tokens::revoked_at.is_null()),
        )
        .set((
            access_tokens::revoked_at.eq(diesel::dsl::now),
            access_tokens::revoked_reason.eq(why),
        ))
        .execute(conn)
        .map(drop)
    }

    pub fn revoke_all(
        conn: &mut PgConnection,
        integration_id: Uuid,
        why: &str,
    ) -> QueryResult<usize> {
        diesel::update(
            access_tokens::table
                .filter(access_tokens::integration_id.eq(integration_id))
                .filter(access_tokens::revoked_at.is_null()),
        )
        .set((
            access_tokens::revoked_at.eq(diesel::dsl::now),
            access_tokens::revoked_reason.eq(why),
        ))
        .execute(conn)
    }

    pub fn set_grace(
        conn: &mut PgConnection,
        id: Uuid,
        until: Option<DateTime<Utc>>,
    ) -> QueryResult<()> {
        diesel::update(access_tokens::table.find(id))
            .set(access_tokens::grace_ends_at.eq(until))
            .execute(conn)
            .map(drop)
    }

    /// Writes the token's last use; the usage writer calls it at most once
    /// a minute per token, and only for requests that were a use. A last
    /// use never moves back: another instance's batch, or a slow request
    /// that came in before a quick one, may be written after a later use.
    pub fn record_use(
        conn: &mut PgConnection,
        id: Uuid,
        at: DateTime<Utc>,
        ip: &str,
    ) -> QueryResult<()> {
        let newer = access_tokens::last_used_at
            .is_null()
            .or(access_tokens::last_used_at.lt(at));
        let integration = diesel::update(access_tokens::table.find(id).filter(newer))
            .set((
                access_tokens::last_used_at.eq(at),
                access_tokens::last_used_ip.eq(ip),
            ))
            .returning(access_tokens::integration_id)
            .get_result::<Uuid>(conn)
            .optional()?;
        // The integration's latest use is that of any of its tokens.
        if let Some(integration) = integration {
            diesel::update(integrations::table.find(integration))
                .set(integrations::last_used_at.eq(latest(integrations::last_used_at, at)))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Claims the one showing of a token's plaintext: true for the first
    /// caller only.
    pub fn claim_reveal(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
        diesel::update(
            access_tokens::table
                .find(id)
                .filter(access_tokens::revealed_at.is_null()),
        )
        .set(access_tokens::revealed_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Marks the account's tokens that went unused (or, never used,
    /// unissued) for `days` as revoked for inactivity, and returns exactly
    /// the rows this call changed, so each is audited once however many
    /// requests, sweeps and instances find it at the same time. `only`
    /// narrows it to one token. Tokens already past a fixed end are left as
    /// they are: they ended for that reason.
    pub fn mark_inactive(
        conn: &mut PgConnection,
        account_id: Uuid,
        days: i32,
        only: Option<Uuid>,
    ) -> QueryResult<Vec<AccessToken>> {
        let now = Utc::now();
        let cutoff = now - Duration::days(i64::from(days));
        let mut query = diesel::update(access_tokens::table)
            .filter(unrevoked_and_unended(now))
            .filter(
                access_tokens::integration_id.eq_any(
                    integrations::table
                        .filter(integrations::account_id.eq(account_id))
                        .select(integrations::id),
                ),
            )
            .filter(
                access_tokens::last_used_at
                    .lt(cutoff)
                    .or(access_tokens::last_used_at
                        .is_null()
                        .and(access_tokens::created_at.lt(cutoff))),
            )
            .into_boxed();
        if let Some(id) = only {
            query = query.filter(access_tokens::id.eq(id));
        }
        query
            .set((
                access_tokens::revoked_at.eq(now),
                access_tokens::revoked_reason.eq(reason::INACTIVE),
            ))
            .returning(AccessToken::as_returning())
            .get_results(conn)
    }
}

/// Not revoked and not past a fixed end (lifetime or grace period) at `now`;
/// the inactivity rule needs the account and is applied apart.
#[diesel::dsl::auto_type]
fn unrevoked_and_unended(now: DateTime<Utc>) -> _ {
    access_tokens::revoked_at
        .is_null()
        .and(
            access_tokens::expires_at
                .is_null()
                .or(access_tokens::expires_at.gt(now)),
        )
        .and(
            access_tokens::grace_ends_at
                .is_null()
                .or(access_tokens::grace_ends_at.gt(now)),
        )
}
