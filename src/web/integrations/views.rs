//! How integrations and their tokens read on the pages: scope names in
//! words, token status wording and badges, when and why a token stops
//! working, and a token's row on the detail page.

use chrono::{DateTime, Duration, Utc};
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

/// How far ahead a token's end is flagged on the list, detail and Settings
/// pages.
pub const ENDING_SOON_DAYS: i64 = 7;

/// Why a live token is about to stop working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The lifetime the integration gives its tokens runs out.
    Lifetime,
    /// A rotation replaced it and its grace period runs out.
    Rotation,
    /// The account's inactivity window (in days) runs out unless it is used.
    Inactivity(i32),
}

/// A live token's first end, when it falls within [`ENDING_SOON_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndingSoon {
    pub at: DateTime<Utc>,
    pub reason: EndReason,
    pub days: i64,
}

impl EndingSoon {
    /// The first of the token's ends — lifetime, grace period, inactivity —
    /// when it is at most a week away. The one place these are weighed, so
    /// the list, the detail page and the Settings home agree.
    pub fn of(t: &AccessToken, inactivity: Option<i32>, now: DateTime<Utc>) -> Option<Self> {
        if !t.is_live(now, inactivity) {
            return None;
        }
        let ends = [
            t.expires_at.map(|at| (at, EndReason::Lifetime)),
            t.grace_ends_at.map(|at| (at, EndReason::Rotation)),
            inactivity.and_then(|days| {
                t.inactive_at(Some(days))
                    .map(|at| (at, EndReason::Inactivity(days)))
            }),
        ];
        let (at, reason) = ends.into_iter().flatten().min_by_key(|(at, _)| *at)?;
        (at <= now + Duration::days(ENDING_SOON_DAYS)).then(|| EndingSoon {
            at,
            reason,
            days: days_until(at, now),
        })
    }

    /// "Expires in 3 days: lifetime ends".
    pub fn words(&self) -> String {
        let why = match self.reason {
            EndReason::Lifetime => "lifetime ends".to_string(),
            EndReason::Rotation => "replaced by a rotation".to_string(),
            EndReason::Inactivity(days) => format!("unused for {days} days"),
        };
        format!("{}: {why}", expires_in(self.days))
    }
}

fn expires_in(days: i64) -> String {
    if days == 1 {
        "Expires in 1 day".to_string()
    } else {
        format!("Expires in {days} days")
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

    fn token(now: DateTime<Utc>) -> AccessToken {
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

    #[test]
    fn the_first_end_within_a_week_is_flagged_with_its_reason() {
        let now = Utc::now();
        let mut t = token(now);
        t.expires_at = Some(now + Duration::days(5));
        t.grace_ends_at = Some(now + Duration::days(2));
        let soon = EndingSoon::of(&t, Some(90), now).unwrap();
        assert_eq!(soon.reason, EndReason::Rotation);
        assert_eq!(soon.words(), "Expires in 2 days: replaced by a rotation");

        let mut idle = token(now - Duration::days(30));
        idle.last_used_at = Some(now - Duration::days(29));
        let soon = EndingSoon::of(&idle, Some(30), now).unwrap();
        assert_eq!(soon.words(), "Expires in 1 day: unused for 30 days");
        assert_eq!(EndingSoon::of(&idle, None, now), None, "no window, no end");
    }

    #[test]
    fn a_week_away_is_flagged_and_a_second_more_is_not() {
        let now = Utc::now();
        let mut t = token(now);
        t.expires_at = Some(now + Duration::days(7));
        assert_eq!(
            EndingSoon::of(&t, None, now).map(|e| e.words()).as_deref(),
            Some("Expires in 7 days: lifetime ends")
        );
        t.expires_at = Some(now + Duration::days(7) + Duration::seconds(1));
        assert_eq!(EndingSoon::of(&t, None, now), None);
        t.expires_at = Some(now - Duration::seconds(1));
        assert_eq!(EndingSoon::of(&t, None, now), None, "already over");
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
