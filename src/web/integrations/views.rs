//! How integrations and their tokens read on the pages: scope names in
//! words, token status wording and badges, and a token's row on the detail
//! page.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::scope::{Scope, ScopeSet};
use crate::models::AccessToken;
use crate::web::{fmt_time, fmt_time_or_never};

pub fn scopes_human(set: &ScopeSet) -> Vec<String> {
    set.iter().map(Scope::human).collect()
}

/// How long ahead, in whole days, rounded up: "Expires in N days".
pub fn days_until(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (end - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

/// A token's status as a page shows it: words and a badge. Written out
/// by the template, so a list of them allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// A fixed end this many whole days ahead (rounded up).
    ExpiresIn(i64),
    /// The integration never had a token.
    NoToken,
    Expired,
}

impl Status {
    /// The badge's classes: a warning within a week of a fixed end.
    pub fn class(self) -> &'static str {
        match self {
            Status::Active => "badge badge-success",
            Status::ExpiresIn(days) if days <= 7 => "badge badge-warning",
            Status::ExpiresIn(_) => "badge badge-success",
            Status::NoToken => "badge",
            Status::Expired => "badge badge-danger",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Active => f.write_str("Active"),
            Status::ExpiresIn(1) => f.write_str("Expires in 1 day"),
            Status::ExpiresIn(days) => write!(f, "Expires in {days} days"),
            Status::NoToken => f.write_str("No token"),
            Status::Expired => f.write_str("Expired"),
        }
    }
}

/// Status of a live token: "Active", or "Expires in N days" when it has a
/// fixed end.
pub fn live_status(t: &AccessToken, now: DateTime<Utc>) -> Status {
    match t.ends_at() {
        None => Status::Active,
        Some(end) => Status::ExpiresIn(days_until(end, now)),
    }
}

/// An integration's status in the list: that of the live token shown, else
/// "No token" when it never had one, else "Expired".
pub fn integration_status(
    shown: Option<&AccessToken>,
    had_tokens: bool,
    now: DateTime<Utc>,
) -> Status {
    match shown {
        Some(t) => live_status(t, now),
        None if !had_tokens => Status::NoToken,
        None => Status::Expired,
    }
}

/// One live token on the detail page.
pub struct TokenView {
    pub id: Uuid,
    pub display: String,
    pub status: String,
    pub status_class: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub last_used_ip: String,
    pub is_current: bool,
    pub in_grace: bool,
}

impl TokenView {
    pub fn new(
        t: &AccessToken,
        is_current: bool,
        inactivity: Option<i32>,
        now: DateTime<Utc>,
    ) -> Self {
        let status = live_status(t, now);
        let expires = match (t.ends_at(), t.inactive_at(inactivity)) {
            (Some(end), _) => fmt_time(end),
            (None, Some(idle)) => format!("If unused until {}", fmt_time(idle)),
            (None, None) => "Never".to_string(),
        };
        TokenView {
            id: t.id,
            display: t.masked(),
            status: status.to_string(),
            status_class: status.class(),
            created: fmt_time(t.created_at),
            expires,
            last_used: fmt_time_or_never(t.last_used_at),
            last_used_ip: t.last_used_ip.clone().unwrap_or_default(),
            is_current,
            in_grace: t.in_grace(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn days_until_rounds_up_and_never_goes_negative() {
        let now = Utc::now();
        assert_eq!(days_until(now + Duration::hours(1), now), 1);
        assert_eq!(days_until(now + Duration::days(7), now), 7);
        assert_eq!(
            days_until(now + Duration::days(7) + Duration::seconds(1), now),
            8
        );
        assert_eq!(days_until(now - Duration::days(2), now), 0);
    }
}
