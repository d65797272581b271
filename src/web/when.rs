//! Moments as the panel shows them, in the viewer's time zone: how long ago
//! in words, with the exact time beside it for a `<time datetime=…>`
//! element. Every time a page shows goes through here, so none slips out in
//! UTC by accident.

use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

use crate::auth::CurrentUser;

/// The zone a viewer reads times in: their profile's, UTC for visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// An IANA name known to the tz database ("Europe/Paris"), exactly as
    /// the database spells it.
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    /// The signed-in user's zone. A stored name the tz database no longer
    /// knows falls back to UTC rather than failing the page.
    pub fn of(req: &HttpRequest) -> Zone {
        req.extensions()
            .get::<CurrentUser>()
            .and_then(|c| Zone::parse(&c.user.time_zone))
            .unwrap_or(Zone::UTC)
    }

    /// Every name the tz database knows, for the profile form's suggestions.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// "Europe/Paris", for the labels beside the times.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// "28 Nov 2026, 15:05 CET".
    pub fn minute(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string()
    }

    /// As [`Zone::minute`], or "Never" for what has not happened (a key
    /// never used, a token with no end).
    pub fn minute_or_never(self, t: Option<DateTime<Utc>>) -> String {
        t.map_or_else(|| "Never".to_string(), |t| self.minute(t))
    }

    /// "3 Dec 2026, 15:05:12 CET".
    pub fn second(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%-d %b %Y, %H:%M:%S %Z")
            .to_string()
    }

    /// The first instant of `day` in this zone: its midnight, or, where a
    /// clock change skips midnight, the first moment the day has.
    pub fn start_of(self, day: NaiveDate) -> Option<DateTime<Utc>> {
        (0..24).find_map(|hour| {
            let local = day.and_hms_opt(hour, 0, 0)?;
            self.0
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        })
    }

    /// "28 Nov 2026", the day it was where the viewer is.
    pub fn date(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0).format("%-d %b %Y").to_string()
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
