//! Time zones as people read times: the IANA zone a user chose in their
//! profile, and moments written in it. The panel's pages and the email
//! notices both go through here, so no time slips out in UTC by accident.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone a person reads times in: their profile's, UTC for visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// An IANA name known to the tz database ("Europe/Paris"), exactly as
    /// the database spells it.
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    /// A user's stored zone. A name the tz database no longer knows falls
    /// back to UTC rather than failing the page or the notice.
    pub fn of_user(name: &str) -> Zone {
        Zone::parse(name).unwrap_or(Zone::UTC)
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

    /// The date it was in this zone at `t`.
    pub fn day_of(self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.0).date_naive()
    }

    /// "28 Nov 2026", the day it was where the viewer is.
    pub fn date(self, t: DateTime<Utc>) -> String {
        self.day_of(t).format("%-d %b %Y").to_string()
    }
}
