//! Request parsing for the API: JSON bodies whose errors name the field,
//! validation messages in HighLevel's 422 shape (a list of strings), and the
//! checks every text, number and date from a request passes before it goes
//! near the database (no NUL, no offset past any sane range, years 0001–9999).

use chrono::{DateTime, Datelike, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::{Validate, ValidationErrors};

use super::error::ApiError;

/// Largest body the API reads, v1 and v2 alike; contacts are small.
pub const MAX_BODY: usize = 64 * 1024;

/// Parses a JSON body. Too large is a 413; broken JSON is a 400; a NUL
/// character in any string, or JSON of the wrong shape (unknown field, wrong
/// type, missing field), is a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("A JSON body is required".into()));
    }
    // Syntax first: broken JSON is a 400 whatever its start looks like.
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::BadRequest("Malformed JSON body".into()))?;
    // serde would also read a struct from an array, by position; every body
    // this API takes is an object.
    if !value.is_object() {
        return Err(ApiError::unprocessable("The body must be a JSON object"));
    }
    let mut nul = Vec::new();
    find_nul(&value, "", &mut nul);
    if !nul.is_empty() {
        nul.sort();
        return Err(ApiError::Unprocessable(nul));
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        ApiError::Unprocessable(vec![if path == "." {
            msg
        } else if msg.starts_with('[') {
            // An item of a list read by `domain::json::objects`.
            format!("{path}{msg}")
        } else {
            format!("{path}: {msg}")
        }])
    })
}

/// PostgreSQL cannot store U+0000 in text, so it never gets that far: one
/// message per string (or field name) holding it, named by its path as
/// `serde_path_to_error` names fields (`tags[2]`, `filters[0].value.gte`).
fn find_nul(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains('\0') => found.push(nul_message(path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul(item, &format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key_path = if path.is_empty() {
                    key.replace('\0', "\\u0000")
                } else {
                    format!("{path}.{}", key.replace('\0', "\\u0000"))
                };
                if key.contains('\0') {
                    found.push(format!(
                        "{key_path}: a field name must not contain a NUL character"
                    ));
                } else {
                    find_nul(item, &key_path, found);
                }
            }
        }
        _ => {}
    }
}

fn nul_message(field: &str) -> String {
    let field = if field.is_empty() { "The body" } else { field };
    format!("{field} must not contain a NUL character (U+0000)")
}

/// Query parameters are text too: a NUL in one is a 422 naming it. Called
/// in handlers once the caller is authenticated, so a 401 or 403 still wins.
pub fn reject_nul<'a>(
    params: impl IntoIterator<Item = &'a (&'a str, Option<&'a str>)>,
) -> Result<(), ApiError> {
    let found: Vec<String> = params
        .into_iter()
        .filter(|(_, value)| value.is_some_and(|v| v.contains('\0')))
        .map(|(name, _)| nul_message(name))
        .collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(found))
    }
}

/// Dates the API accepts: years 0001 to 9999, as ISO 8601 can write them
/// and PostgreSQL can store them.
pub fn in_supported_years(t: DateTime<Utc>) -> bool {
    (1..=9999).contains(&t.year())
}

/// Runs `validator` and turns its messages into a 422.
pub fn validate(value: &impl Validate) -> Result<(), ApiError> {
    value
        .validate()
        .map_err(|e| ApiError::Unprocessable(messages(&e)))
}

pub fn messages(errors: &ValidationErrors) -> Vec<String> {
    let mut out: Vec<String> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errs)| {
            errs.iter().map(move |e| {
                e.message
                    .as_ref()
                    .map_or_else(|| format!("{field} is invalid"), ToString::to_string)
            })
        })
        .collect();
    out.sort();
    out
}

/// A whole number in a JSON body, also when written with a zero fraction
/// (`2.0`, as Python's `json` writes floats): JSON Schema's `integer` allows
/// it, so clients generated from the OpenAPI document may send it.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: Option<serde_json::Number> = serde::Deserialize::deserialize(d)?;
    v.map(|n| {
        n.as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| {
                serde::de::Error::custom(format!("invalid type: {n}, expected a whole number"))
            })
    })
    .transpose()
}

/// A query parameter's value, trimmed; given empty, it counts as absent, as
/// SDKs send parameters they have no value for.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A whole number from a query string, within bounds. Only a parameter
/// left out takes the default: an empty or padded one is refused, as the
/// document's `integer` says.
pub fn query_number(
    name: &str,
    raw: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    let Some(s) = raw else { return Ok(default) };
    let digits = s.strip_prefix('-').unwrap_or(s);
    match s.parse::<i64>() {
        Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) && (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::unprocessable(format!(
            "{name} must be a whole number from {min} to {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Paged {
        #[serde(default, deserialize_with = "whole_number")]
        page: Option<i64>,
    }

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction() {
        let page = |json: &str| serde_json::from_str::<Paged>(json).map(|p| p.page);
        assert_eq!(page(r#"{"page": 3}"#).unwrap(), Some(3));
        assert_eq!(page(r#"{"page": 3.0}"#).unwrap(), Some(3));
        assert_eq!(page(r#"{"page": null}"#).unwrap(), None);
        assert_eq!(page("{}").unwrap(), None);
        assert!(page(r#"{"page": 3.5}"#).is_err());
        assert!(page(r#"{"page": "3"}"#).is_err());
        assert!(page(r#"{"page": 1e300}"#).is_err());
    }
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        first_name: Option<String>,
    }

    fn messages_of(r: Result<Body, ApiError>) -> Vec<String> {
        match r {
            Err(ApiError::Unprocessable(m)) => m,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn wrong_types_and_unknown_fields_name_the_field() {
        let m = messages_of(parse_json::<Body>(br#"{"firstName": 5}"#));
        assert!(m[0].starts_with("firstName: invalid type"), "{m:?}");
        let m = messages_of(parse_json::<Body>(br#"{"nickname": "x"}"#));
        assert!(m[0].contains("nickname"), "{m:?}");
    }

    #[test]
    fn a_nul_anywhere_is_a_422_naming_its_path() {
        let m = messages_of(parse_json::<Body>(br#"{"firstName": "a\u0000b"}"#));
        assert_eq!(m, ["firstName must not contain a NUL character (U+0000)"]);
        let m = messages_of(parse_json::<Body>(
            br#"{"tags": ["ok", "\u0000"], "f": [{"value": {"gte": "\u0000"}}]}"#,
        ));
        assert_eq!(
            m,
            [
                "f[0].value.gte must not contain a NUL character (U+0000)",
                "tags[1] must not contain a NUL character (U+0000)",
            ]
        );
        let m = messages_of(parse_json::<Body>(br#"{"a\u0000": 1}"#));
        assert!(m[0].contains("field name"), "{m:?}");
        assert!(!m[0].contains('\0'), "{m:?}");
    }

    #[test]
    fn a_body_over_the_limit_is_too_large() {
        let body = format!(r#"{{"firstName": "{}"}}"#, "x".repeat(MAX_BODY));
        assert!(matches!(
            parse_json::<Body>(body.as_bytes()),
            Err(ApiError::PayloadTooLarge)
        ));
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        for body in [
            &b"{"[..],
            b"{\"firstName\": }",
            b"",
            b"{} trailing",
            b"[1, 2",
            b"{\"nickname\": \"x\"",
        ] {
            assert!(matches!(
                parse_json::<Body>(body),
                Err(ApiError::BadRequest(_))
            ));
        }
    }
}
