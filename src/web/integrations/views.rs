//! How integrations and their tokens read on the pages: scope names in
//! words, token status wording and badges, when and why a token stops
//! working, and a token's row on the detail page.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::scope::{Scope, ScopeSet};
use crate::models::AccessToken;
pub use crate::models::token_ending::EndingSoon;
use crate::models::token_ending::{days_until, expires_in};
use crate::web::when::Zone;

pub fn scopes_human(set: &ScopeSet) -> Vec<String> {
    set.iter().map(Scope::human).collect()
}

/// Status words for a live token: "Active", or "Expires in N days" when it
/// has a fixed end (a warning within a week).
pub fn live_status(t: &AccessToken, now: DateTime<Utc>) -> (String, &'static str) {
    match t.ends_at() {
        None => ("Active".to_string(), "badge badge-success"),
        Some(end) => {
            let days = days_until(end, now);
            let words = expires_in(days);
            let class = if days <= 7 {
                "badge badge-warning"
            } else {
                "badge badge-success"
            };
            (words, class)
        }
    }
}

/// How a token's end is worded wherever it is shown: its fixed end (a
/// lifetime or a grace period) if it has one, else the inactivity deadline,
/// which using the token moves. The flag says whether it is the latter, so
/// the page can link the words to the rule.
pub fn end_words(t: &AccessToken, inactivity: Option<i32>, zone: Zone) -> (String, bool) {
    match (t.ends_at(), t.inactive_at(inactivity)) {
        (Some(end), _) => (format!("Expires on {}", zone.minute(end)), false),
        (None, Some(idle)) => (format!("Expires on {}", zone.minute(idle)), true),
        (None, None) => ("Never expires".to_string(), false),
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
    /// "Expires in 3 days: lifetime ends", within a week of its end.
    pub ending_soon: Option<String>,
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
        let (expires, unless_used) = end_words(t, inactivity, zone);
        TokenView {
            id: t.id,
            display: t.masked(),
            status,
            status_class,
            created: zone.minute(t.created_at),
            expires,
            unless_used,
            ending_soon: EndingSoon::of(t, inactivity, now).map(|e| e.words()),
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

    fn token(now: DateTime<Utc>) -> AccessToken {
        AccessToken::sample(now)
    }

    #[test]
    fn a_tokens_end_is_worded_one_way() {
        let now = Utc::now();
        let mut t = token(now);
        assert_eq!(
            end_words(&t, None, Zone::UTC),
            ("Never expires".to_string(), false)
        );
        let (words, unless_used) = end_words(&t, Some(90), Zone::UTC);
        assert!(words.starts_with("Expires on ") && unless_used, "{words}");
        t.expires_at = Some(now + Duration::days(30));
        let (words, unless_used) = end_words(&t, Some(90), Zone::UTC);
        assert!(words.starts_with("Expires on ") && !unless_used, "{words}");
    }
}
