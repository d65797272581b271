//! Moments as the panel shows them, in the viewer's time zone: how long ago
//! in words, with the exact time beside it for a `<time datetime=…>`
//! element. Every time a page shows goes through here, so none slips out in
//! UTC by accident.

use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::auth::CurrentUser;

pub use crate::domain::zone::Zone;

/// How the panel finds and writes a viewer's zone.
impl Zone {
    /// The signed-in user's zone (see [`Zone::of_user`]), UTC for visitors.
    pub fn of(req: &HttpRequest) -> Zone {
        req.extensions()
            .get::<CurrentUser>()
            .map_or(Zone::UTC, |c| Zone::of_user(&c.user.time_zone))
    }

    pub fn when(self, t: DateTime<Utc>, now: DateTime<Utc>) -> When {
        When {
            relative: relative(t, now),
            exact: self.second(t),
            iso: iso(t),
        }
    }
}

/// One moment, three ways.
pub struct When {
    /// "3 minutes ago".
    pub relative: String,
    /// "3 Dec 2026, 14:05:12 UTC", in the viewer's zone.
    pub exact: String,
    /// RFC 3339 in UTC, for `datetime` attributes and exports.
    pub iso: String,
}

/// RFC 3339 in UTC, to the second.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ago(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// How long before `now` `t` was, in the largest unit that fits. A moment
/// ahead of `now` (another instance's clock) counts as "just now".
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 60 => "just now".to_string(),
        s if s < 3_600 => ago(s / 60, "minute"),
        s if s < 86_400 => ago(s / 3_600, "hour"),
        s if s < 30 * 86_400 => ago(s / 86_400, "day"),
        s if s < 365 * 86_400 => ago(s / (30 * 86_400), "month"),
        s => ago(s / (365 * 86_400), "year"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn relative_times_use_the_largest_unit() {
        let now = Utc::now();
        assert_eq!(relative(now - Duration::seconds(5), now), "just now");
        assert_eq!(relative(now + Duration::seconds(5), now), "just now");
        assert_eq!(relative(now - Duration::seconds(61), now), "1 minute ago");
        assert_eq!(relative(now - Duration::minutes(3), now), "3 minutes ago");
        assert_eq!(relative(now - Duration::hours(5), now), "5 hours ago");
        assert_eq!(relative(now - Duration::days(40), now), "1 month ago");
        assert_eq!(relative(now - Duration::days(800), now), "2 years ago");
    }

    #[test]
    fn the_exact_time_is_to_the_second() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 14, 5, 12).unwrap();
        let when = Zone::UTC.when(t, t);
        assert_eq!(when.exact, "3 Dec 2026, 14:05:12 UTC");
        assert_eq!(when.iso, "2026-12-03T14:05:12Z");
    }

    #[test]
    fn times_are_shown_in_the_viewers_zone_and_kept_in_utc_for_machines() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 20, 5, 12).unwrap();
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        assert_eq!(tokyo.minute(t), "4 Dec 2026, 05:05 JST");
        assert_eq!(tokyo.date(t), "4 Dec 2026");
        assert_eq!(tokyo.when(t, t).iso, "2026-12-03T20:05:12Z");
        assert_eq!(Zone::UTC.minute(t), "3 Dec 2026, 20:05 UTC");
    }

    #[test]
    fn only_names_in_the_tz_database_are_zones() {
        assert_eq!(
            Zone::parse("Europe/Paris").map(Zone::name),
            Some("Europe/Paris")
        );
        assert!(Zone::parse("Mars/Olympus_Mons").is_none());
        assert!(Zone::parse("").is_none());
    }
}
