//! A contact's values in the forms HighLevel gives them: tags compared by
//! their trimmed lower case, phone numbers matched by their digits, birth
//! dates in any of HighLevel's documented input formats, and the shapes of
//! its do-not-disturb settings.

use chrono::{DateTime, Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most tags one contact carries.
pub const MAX_TAGS: usize = 100;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;

/// A tag as stored and compared: HighLevel lower-cases and trims them, so
/// "VIP " and "vip" are one tag.
pub fn normalize_tag(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// `tags` normalised, without duplicates, in the order first given.
pub fn normalize_tags<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let tag = normalize_tag(tag);
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// The digits of a phone number: what two numbers are compared by, so
/// "+1 (888) 555-0100" and "18885550100" are one number.
pub fn phone_digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

/// A date of birth in one of the formats HighLevel documents for
/// `dateOfBirth` (`YYYY/MM/DD`, `MM/DD/YYYY`, with `/`, `-`, `.` or `_`
/// between the parts), or an ISO 8601 date-time, whose date is taken as
/// written: SDKs serialise JavaScript dates that way. Years 0001 to 9999.
pub fn parse_birth_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let date = parse_parts(raw).or_else(|| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| t.date_naive())
    })?;
    (1..=9999).contains(&date.year()).then_some(date)
}

/// [`parse_birth_date`]'s forms other than a date-time, or nothing, as a JSON Schema
/// `pattern`: real calendar dates only (leap days in leap years), one
/// separator throughout, white space around allowed, so the API's document
/// and the server agree on every string.
pub fn birth_date_pattern() -> String {
    const SPACE: &str =
        r"[\t\n\x0B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*";
    const YEAR: &str = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])";
    const LEAP_YEAR: &str =
        "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)";
    let mut forms = Vec::new();
    for sep in ["/", "-", r"\.", "_"] {
        let month_day = format!(
            "(?:(?:0?[1-9]|1[0-2]){sep}(?:0?[1-9]|1[0-9]|2[0-8])\
             |(?:0?[13-9]|1[0-2]){sep}(?:29|30)\
             |(?:0?[13578]|1[02]){sep}31)"
        );
        let leap_day = format!("0?2{sep}29");
        forms.push(format!("{YEAR}{sep}{month_day}"));
        forms.push(format!("{LEAP_YEAR}{sep}{leap_day}"));
        forms.push(format!("{month_day}{sep}{YEAR}"));
        forms.push(format!("{leap_day}{sep}{LEAP_YEAR}"));
    }
    // Nothing but white space clears the date.
    format!("^{SPACE}(?:{})?{SPACE}$", forms.join("|"))
}

fn parse_parts(raw: &str) -> Option<NaiveDate> {
    let separator = raw.chars().find(|c| matches!(c, '/' | '-' | '.' | '_'))?;
    let parts: Vec<&str> = raw.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a, 4..=4)?, number(b, 1..=2)?, number(c, 1..=2)?)
    } else {
        (number(c, 4..=4)?, number(a, 1..=2)?, number(b, 1..=2)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Whether a do-not-disturb setting is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DndStatus {
    Active,
    Inactive,
    Permanent,
}

/// Do not disturb on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DndSetting {
    pub status: DndStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub code: Option<String>,
}

/// Do not disturb per outbound channel, by HighLevel's channel names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DndSettings {
    #[serde(
        rename = "Call",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub call: Option<DndSetting>,
    #[serde(
        rename = "Email",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<DndSetting>,
    #[serde(
        rename = "SMS",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub sms: Option<DndSetting>,
    #[serde(
        rename = "WhatsApp",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub whatsapp: Option<DndSetting>,
    #[serde(
        rename = "GMB",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub gmb: Option<DndSetting>,
    #[serde(
        rename = "FB",
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub fb: Option<DndSetting>,
}

impl DndSettings {
    fn settings(&self) -> impl Iterator<Item = (&'static str, &DndSetting)> {
        [
            ("Call", &self.call),
            ("Email", &self.email),
            ("SMS", &self.sms),
            ("WhatsApp", &self.whatsapp),
            ("GMB", &self.gmb),
            ("FB", &self.fb),
        ]
        .into_iter()
        .filter_map(|(name, s)| Some((name, s.as_ref()?)))
    }

    pub fn is_empty(&self) -> bool {
        self.settings().next().is_none()
    }

    /// Messages naming each text that is too long (`dndSettings.SMS.message`).
    pub fn problems(&self) -> Vec<String> {
        self.settings()
            .flat_map(|(name, s)| s.problems(&format!("dndSettings.{name}")))
            .collect()
    }
}

impl DndSetting {
    fn problems(&self, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.chars().count() > 500)
        {
            out.push(format!("{path}.message must be at most 500 characters"));
        }
        if self.code.as_ref().is_some_and(|c| c.chars().count() > 100) {
            out.push(format!("{path}.code must be at most 100 characters"));
        }
        out
    }
}

/// Whether inbound messages are on hold (`active`) or let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InboundDndStatus {
    Active,
    Inactive,
}

/// Do not disturb for inbound messages on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundDndSetting {
    pub status: InboundDndStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub message: Option<String>,
}

/// Do not disturb for inbound messages; HighLevel has one setting, `all`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundDndSettings {
    #[serde(
        default,
        deserialize_with = "super::json::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub all: Option<InboundDndSetting>,
}

impl InboundDndSettings {
    pub fn is_empty(&self) -> bool {
        self.all.is_none()
    }

    pub fn problems(&self) -> Vec<String> {
        match &self.all {
            Some(s) if s.message.as_ref().is_some_and(|m| m.chars().count() > 500) => {
                vec!["inboundDndSettings.all.message must be at most 500 characters".into()]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_birth_date_pattern_takes_exactly_the_dates_the_parser_takes() {
        let pattern = regex::Regex::new(&birth_date_pattern()).unwrap();
        let mut checked = 0;
        for year in [0, 1, 4, 100, 400, 1900, 1996, 2000, 2023, 2024, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    for sep in ["/", "-", ".", "_"] {
                        for text in [
                            format!("{year:04}{sep}{month:02}{sep}{day:02}"),
                            format!("{year:04}{sep}{month}{sep}{day}"),
                            format!("{month:02}{sep}{day:02}{sep}{year:04}"),
                            format!("{month}{sep}{day}{sep}{year:04}"),
                            format!(" {month:02}{sep}{day:02}{sep}{year:04}\n"),
                        ] {
                            assert_eq!(
                                pattern.is_match(&text),
                                text.trim().is_empty() || parse_birth_date(&text).is_some(),
                                "{text:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        for blank in ["", " ", "\t\n"] {
            assert!(pattern.is_match(blank), "{blank:?}");
        }
        for odd in ["2023-05/06", "2023-05-06-", "23-05-06", "2023-005-06", "x"] {
            assert!(!pattern.is_match(odd), "{odd:?}");
            assert!(parse_birth_date(odd).is_none(), "{odd:?}");
        }
        assert!(checked > 30_000);
    }
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn every_documented_birth_date_format_is_read() {
        for raw in [
            "1990/09/25",
            "09/25/1990",
            "1990-09-25",
            "09-25-1990",
            "1990.09.25",
            "09.25.1990",
            "1990_09_25",
            "09_25_1990",
            " 1990-9-25 ",
            "9/25/1990",
            "1990-09-25T00:00:00.000Z",
            "1990-09-25T23:30:00-05:00",
        ] {
            assert_eq!(parse_birth_date(raw), date(1990, 9, 25), "{raw}");
        }
    }

    #[test]
    fn impossible_or_unsupported_birth_dates_are_refused() {
        for raw in [
            "",
            "1990-02-30",
            "1990-13-01",
            "25/09/1990",
            "1990/09-25",
            "0000-01-01",
            "90-09-25",
            "1990-09-25-01",
            "19900925",
            "yesterday",
            "1990-0x-25",
            "+1990-09-25",
            "１９９０-09-25",
        ] {
            assert_eq!(parse_birth_date(raw), None, "{raw}");
        }
        assert_eq!(parse_birth_date("0001-01-01"), date(1, 1, 1));
        assert_eq!(parse_birth_date("12/31/9999"), date(9999, 12, 31));
    }

    #[test]
    fn phone_numbers_compare_by_their_digits() {
        assert_eq!(phone_digits("+1 (888) 555-0100"), "18885550100");
        assert_eq!(phone_digits("1.888.555.0100"), "18885550100");
        assert_eq!(phone_digits("no digits"), "");
    }

    #[test]
    fn tags_are_trimmed_lower_cased_and_deduplicated_in_order() {
        assert_eq!(
            normalize_tags([" VIP ", "eu", "vip", "Eu", "new"]),
            ["vip", "eu", "new"]
        );
    }

    #[test]
    fn dnd_settings_read_highlevels_shapes_and_refuse_others() {
        let s: DndSettings = serde_json::from_value(serde_json::json!({
            "SMS": {"status": "active", "message": "asked", "code": "103"},
            "Email": {"status": "permanent"}
        }))
        .unwrap();
        assert_eq!(s.sms.as_ref().unwrap().status, DndStatus::Active);
        assert!(!s.is_empty());
        assert!(s.problems().is_empty());
        for bad in [
            serde_json::json!({"Fax": {"status": "active"}}),
            serde_json::json!({"SMS": {"status": "maybe"}}),
            serde_json::json!({"SMS": {}}),
            serde_json::json!({"SMS": {"status": "active", "why": "x"}}),
        ] {
            assert!(
                serde_json::from_value::<DndSettings>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let inbound: InboundDndSettings =
            serde_json::from_value(serde_json::json!({"all": {"status": "inactive"}})).unwrap();
        assert!(!inbound.is_empty());
        assert!(
            serde_json::from_value::<InboundDndSettings>(
                serde_json::json!({"all": {"status": "permanent"}})
            )
            .is_err()
        );
    }
}
