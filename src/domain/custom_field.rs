//! Contact custom fields as HighLevel defines them: the data types we take,
//! the field key made from a name, and what a contact's value must be for
//! each type, so every route stores a value in one shape per type.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::contact::parse_birth_date;

/// Longest field name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Most options an option type holds.
pub const MAX_OPTIONS: usize = 100;
/// Longest option, in characters.
pub const MAX_OPTION_CHARS: usize = 255;

/// A custom field's data type, by HighLevel's names (`MONETORY` is its
/// spelling). File uploads, signatures and the like are not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DataType {
    Text,
    LargeText,
    Numerical,
    Phone,
    Monetory,
    Checkbox,
    SingleOptions,
    MultipleOptions,
    Radio,
    Date,
}

impl DataType {
    pub const ALL: [DataType; 10] = [
        DataType::Text,
        DataType::LargeText,
        DataType::Numerical,
        DataType::Phone,
        DataType::Monetory,
        DataType::Checkbox,
        DataType::SingleOptions,
        DataType::MultipleOptions,
        DataType::Radio,
        DataType::Date,
    ];

    /// The wire and storage name.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Text => "TEXT",
            DataType::LargeText => "LARGE_TEXT",
            DataType::Numerical => "NUMERICAL",
            DataType::Phone => "PHONE",
            DataType::Monetory => "MONETORY",
            DataType::Checkbox => "CHECKBOX",
            DataType::SingleOptions => "SINGLE_OPTIONS",
            DataType::MultipleOptions => "MULTIPLE_OPTIONS",
            DataType::Radio => "RADIO",
            DataType::Date => "DATE",
        }
    }

    /// Exactly one of the names above; `None` for anything else.
    pub fn parse(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether values are chosen from the field's options.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            DataType::Checkbox
                | DataType::SingleOptions
                | DataType::MultipleOptions
                | DataType::Radio
        )
    }

    /// Whether a value is a list of options rather than one.
    fn many(self) -> bool {
        matches!(self, DataType::Checkbox | DataType::MultipleOptions)
    }

    /// Longest text value, in characters.
    fn max_chars(self) -> usize {
        match self {
            DataType::LargeText => 10_000,
            DataType::Phone => 32,
            _ => 2_000,
        }
    }
}

/// HighLevel's field key for a new field named `name`: `contact.` and the
/// name's letters and digits lower-cased, runs of anything else as one `_`.
/// A name with neither gives `contact.field`.
pub fn field_key(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        "contact.field".into()
    } else {
        format!("contact.{slug}")
    }
}

/// Which field a contact's value is for: HighLevel's SDKs send an `id`, or
/// a `key` (`contact.pincode`, or `pincode` alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    Id(String),
    Key(String),
}

/// One `customFields` item of a contact write, not yet checked against the
/// account's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomValueInput {
    pub field: FieldRef,
    /// `null`, `""` or `[]` clears the value.
    pub value: Value,
}

/// `value` as stored for a field of `data_type` with `options`: `Ok(None)`
/// clears it; `Err` says what the value must be, after the field's name.
pub fn typed_value(
    data_type: DataType,
    options: &[String],
    value: &Value,
) -> Result<Option<Value>, String> {
    let empty = match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    if empty {
        return Ok(None);
    }
    match data_type {
        DataType::Text | DataType::LargeText | DataType::Phone => {
            let text = match value {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => return Err("must be text".into()),
            };
            let max = data_type.max_chars();
            if text.chars().count() > max || text.contains('\0') {
                return Err(format!("must be text of at most {max} characters"));
            }
            Ok(Some(Value::String(text)))
        }
        DataType::Numerical | DataType::Monetory => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            number
                .filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(|n| {
                    // Whole numbers stay whole on the wire (42, not 42.0).
                    let whole = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15);
                    Some(match whole {
                        Some(f) => Value::from(f as i64),
                        None => Value::Number(n),
                    })
                })
                .ok_or_else(|| "must be a number".into())
        }
        DataType::Date => match value {
            Value::String(s) => parse_birth_date(s)
                .map(|d| Some(Value::String(d.format("%Y-%m-%d").to_string())))
                .ok_or_else(|| "must be a date as YYYY-MM-DD, in years 0001 to 9999".into()),
            _ => Err("must be a date as YYYY-MM-DD, in years 0001 to 9999".into()),
        },
        _ if data_type.many() => {
            let given: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            let mut chosen: Vec<Value> = Vec::new();
            for item in given {
                let option = one_option(options, item)?;
                if !chosen.contains(&option) {
                    chosen.push(option);
                }
            }
            Ok(Some(Value::Array(chosen)))
        }
        _ => one_option(options, value).map(Some),
    }
}

/// What is left of a stored option value once the field's options are
/// `options`: the options still allowed; `None` when none is.
pub fn retain_options(value: &Value, options: &[String]) -> Option<Value> {
    let allowed = |v: &Value| v.as_str().is_some_and(|s| options.iter().any(|o| o == s));
    match value {
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter(|v| allowed(v)).cloned().collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        single => allowed(single).then(|| single.clone()),
    }
}

/// The option `value` names, as the field spells it.
fn one_option(options: &[String], value: &Value) -> Result<Value, String> {
    value
        .as_str()
        .map(str::trim)
        .and_then(|given| options.iter().find(|o| o.as_str() == given))
        .map(|o| Value::String(o.clone()))
        .ok_or_else(|| format!("must be one of the field's options: {}", options.join(", ")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn options() -> Vec<String> {
        vec!["Red".into(), "Green".into()]
    }

    #[test]
    fn every_data_type_name_round_trips_and_others_are_refused() {
        for t in DataType::ALL {
            assert_eq!(DataType::parse(t.name()), Some(t));
        }
        for bad in ["text", "FILE_UPLOAD", "MONETARY", ""] {
            assert_eq!(DataType::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn field_keys_are_made_from_the_name() {
        assert_eq!(field_key("Pin code"), "contact.pin_code");
        assert_eq!(
            field_key("  Favourite -- Colour! "),
            "contact.favourite_colour"
        );
        assert_eq!(field_key("Größe"), "contact.größe");
        assert_eq!(field_key("!!!"), "contact.field");
    }

    #[test]
    fn values_are_typed_by_the_data_type() {
        let none: &[String] = &[];
        assert_eq!(
            typed_value(DataType::Text, none, &json!(" hi ")),
            Ok(Some(json!("hi")))
        );
        assert!(typed_value(DataType::Text, none, &json!({"a": 1})).is_err());
        assert!(typed_value(DataType::Phone, none, &json!("1".repeat(33))).is_err());
        assert_eq!(
            typed_value(DataType::Numerical, none, &json!("42")),
            Ok(Some(json!(42)))
        );
        assert_eq!(
            typed_value(DataType::Monetory, none, &json!(9.5)),
            Ok(Some(json!(9.5)))
        );
        assert!(typed_value(DataType::Numerical, none, &json!("many")).is_err());
        assert_eq!(
            typed_value(DataType::Date, none, &json!("09/25/1990")),
            Ok(Some(json!("1990-09-25")))
        );
        assert!(typed_value(DataType::Date, none, &json!("soon")).is_err());
        assert_eq!(typed_value(DataType::Text, none, &json!("")), Ok(None));
        assert_eq!(typed_value(DataType::Checkbox, none, &json!([])), Ok(None));
    }

    #[test]
    fn stored_options_keep_only_what_is_still_allowed() {
        let opts = vec!["Red".to_string()];
        assert_eq!(retain_options(&json!("Red"), &opts), Some(json!("Red")));
        assert_eq!(retain_options(&json!("Green"), &opts), None);
        assert_eq!(
            retain_options(&json!(["Green", "Red"]), &opts),
            Some(json!(["Red"]))
        );
        assert_eq!(retain_options(&json!(["Green"]), &opts), None);
    }

    #[test]
    fn option_values_must_be_the_fields_options() {
        let opts = options();
        assert_eq!(
            typed_value(DataType::SingleOptions, &opts, &json!("Red")),
            Ok(Some(json!("Red")))
        );
        assert!(typed_value(DataType::Radio, &opts, &json!("Blue")).is_err());
        assert!(typed_value(DataType::Radio, &opts, &json!(["Red"])).is_err());
        assert_eq!(
            typed_value(
                DataType::MultipleOptions,
                &opts,
                &json!(["Green", "Red", "Green"])
            ),
            Ok(Some(json!(["Green", "Red"])))
        );
        assert_eq!(
            typed_value(DataType::Checkbox, &opts, &json!("Red")),
            Ok(Some(json!(["Red"])))
        );
        assert!(typed_value(DataType::Checkbox, &opts, &json!(["Red", "Blue"])).is_err());
    }
}
