//! How integrations and their tokens read on the pages: scope names in
//! words, token status wording and badges, and a token's row on the detail
//! page.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::scope::{Scope, ScopeSet};
use crate::models::AccessToken;
use crate::web::when::Zone;

pub fn scopes_human(set: &ScopeSet) -> Vec<String> {
    set.iter().map(Scope::human).collect()
}

/// How long ahead, in whole days, rounded up: "Expires in N days".
pub fn days_until(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (end - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

/// Status words for a live token: "Active", or "Expires in N days" when it
/// has a fixed end (a warning within a week).
pub fn live_status(t: &AccessToken, now: DateTime<Utc>) -> (String, &'static str) {
    match t.ends_at() {
        None => ("Active".to_string(), "badge badge-success"),
        Some(end) => {
            let days = days_until(end, now);
            let words = if days == 1 {
                "Expires in 1 day".to_string()
            } else {
                format!("Expires in {days} days")
            };
            let class = if days <= 7 {
                "badge badge-warning"
            } else {
                "badge badge-success"
            };
            (words, class)
        }
    }
}

/// An integration's status in the list: that of the live token shown, else
/// "No token" when it never had one, else "Expired".
pub fn integration_status(
    shown: Option<&AccessToken>,
    had_tokens: bool,
    now: DateTime<Utc>,
) -> (String, &'static str) {
    match shown {
        Some(t) => live_status(t, now),
        None if !had_tokens => ("No token".to_string(), "badge"),
        None => ("Expired".to_string(), "badge badge-danger"),
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
    /// The end in `expires` is the account's inactivity deadline: the page
    /// adds "unless used", linked to the rule's setting.
    pub unless_used: bool,
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
        zone: Zone,
    ) -> Self {
        let (status, status_class) = live_status(t, now);
        let idle = t.inactive_at(inactivity);
        let expires = match (t.ends_at(), idle) {
            (Some(end), _) => zone.minute(end),
            (None, Some(idle)) => format!("Expires on {}", zone.minute(idle)),
            (None, None) => "Never".to_string(),
        };
        TokenView {
            id: t.id,
            display: t.masked(),
            status,
            status_class,
            created: zone.minute(t.created_at),
            expires,
            unless_used: t.ends_at().is_none() && idle.is_some(),
            last_used: zone.minute_or_never(t.last_used_at),
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
