//! When and why a live token stops working within the week: the one place
//! a token's ends — lifetime, rotation grace period, inactivity — are
//! weighed, so the pages that flag it and the email that warns of it agree.

use chrono::{DateTime, Duration, Utc};

use crate::models::AccessToken;

/// How far ahead a token's end is flagged on the pages and announced by
/// email.
pub const ENDING_SOON_DAYS: i64 = 7;

/// How long ahead, in whole days, rounded up: "Expires in N days".
pub fn days_until(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (end - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

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

impl EndReason {
    /// A stable name, for keys that must not change with the wording.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Lifetime => "lifetime",
            EndReason::Rotation => "rotation",
            EndReason::Inactivity(_) => "inactivity",
        }
    }

    /// "lifetime ends", "replaced by a rotation", "unused for 90 days".
    pub fn words(self) -> String {
        match self {
            EndReason::Lifetime => "lifetime ends".to_string(),
            EndReason::Rotation => "replaced by a rotation".to_string(),
            EndReason::Inactivity(days) => format!("unused for {days} days"),
        }
    }
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
    /// when it is at most a week away.
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
        format!("{}: {}", expires_in(self.days), self.reason.words())
    }
}

/// "Expires in 1 day", "Expires in 3 days".
pub fn expires_in(days: i64) -> String {
    if days == 1 {
        "Expires in 1 day".to_string()
    } else {
        format!("Expires in {days} days")
    }
}

#[cfg(test)]
mod tests {

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
        AccessToken::sample(now)
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
}
