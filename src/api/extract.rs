//! Request parsing for API v2: JSON bodies whose errors name the field, and
//! validation messages in HighLevel's 422 shape (a list of strings).

use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors};

use super::error::ApiError;

/// Largest JSON body we read; contacts are small.
pub const MAX_BODY: usize = 64 * 1024;

/// Parses a JSON body. Broken JSON is a 400; JSON of the wrong shape
/// (unknown field, wrong type, missing field) is a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::BadRequest("Request body too large".into()));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("A JSON body is required".into()));
    }
    // Syntax first: broken JSON is a 400 whatever its start looks like.
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::BadRequest("Malformed JSON body".into()))?;
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        ApiError::Unprocessable(vec![if path == "." {
            msg
        } else {
            format!("{path}: {msg}")
        }])
    })
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

/// A whole number from a query string, within bounds.
pub fn query_number(
    name: &str,
    raw: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::Unprocessable(vec![format!(
                "{name} must be a whole number from {min} to {max}"
            )])),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
