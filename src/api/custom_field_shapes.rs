//! A custom field on the wire: what `POST` and `PUT
//! /locations/{locationId}/customFields` take, how the document describes
//! it (an option type with its options, or another type without), and how
//! a field is returned (HighLevel's `CustomFieldSchema`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::ApiError;
use super::extract::{validate, whole_number};
use crate::domain::custom_field::{DataType, MAX_NAME_CHARS, MAX_OPTION_CHARS, MAX_OPTIONS};
use crate::models::custom_field::{CustomField, CustomFieldChanges};

/// The model a field belongs to; we serve contacts' only.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Contact,
}

/// HighLevel's `CustomFieldSchema`; absent fields are omitted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldOut {
    id: String,
    name: String,
    /// `contact.<slug>`; a contact's `customFields` may name the field by it.
    field_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    data_type: DataType,
    position: i32,
    /// The allowed values, for option types only.
    #[serde(skip_serializing_if = "Option::is_none")]
    picklist_options: Option<Vec<String>>,
    location_id: String,
    /// Always `contact`.
    model: String,
}

impl From<CustomField> for CustomFieldOut {
    fn from(f: CustomField) -> Self {
        let data_type = DataType::parse(&f.data_type).unwrap_or(DataType::Text);
        CustomFieldOut {
            id: f.id.to_string(),
            name: f.name,
            field_key: f.field_key,
            placeholder: f.placeholder,
            data_type,
            position: f.position,
            picklist_options: data_type.has_options().then_some(f.options),
            location_id: f.account_id.to_string(),
            model: f.model,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldList {
    /// By position, then oldest first.
    pub(super) custom_fields: Vec<CustomFieldOut>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldEnvelope {
    pub(super) custom_field: CustomFieldOut,
}

/// HighLevel's spelling, as it declares it.
#[derive(Serialize, ToSchema)]
pub struct CustomFieldDeleted {
    pub(super) succeded: bool,
}

/// HighLevel's `CreateCustomFieldsDTO`, for the data types we take; the
/// document shows it as [`NewFieldShape`].
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFieldInput {
    #[validate(length(min = 1, max = 100, message = "name must be 1 to 100 characters"))]
    name: String,
    data_type: DataType,
    #[validate(length(max = 255, message = "placeholder must be at most 255 characters"))]
    placeholder: Option<String>,
    /// Required for option types, refused for the others.
    options: Option<Vec<String>>,
    #[serde(default, deserialize_with = "whole_number")]
    #[validate(range(
        min = 0,
        max = 1_000_000,
        message = "position must be a whole number from 0 to 1000000"
    ))]
    position: Option<i64>,
    #[allow(dead_code, reason = "read only to refuse other models")]
    model: Option<Model>,
}

/// A new field: an option type with its options, or another type without.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "the document's shape of NewFieldInput")]
pub enum NewFieldShape {
    Options(NewOptionsField),
    Plain(NewPlainField),
}

/// The data types whose values are chosen from options.
#[derive(ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code, reason = "the document's shape of NewFieldInput")]
pub enum OptionsDataType {
    Checkbox,
    SingleOptions,
    MultipleOptions,
    Radio,
}

/// The other data types.
#[derive(ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code, reason = "the document's shape of NewFieldInput")]
pub enum PlainDataType {
    Text,
    LargeText,
    Numerical,
    Phone,
    Monetory,
    Date,
}

/// A new field of an option type.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code, reason = "the document's shape of NewFieldInput")]
pub struct NewOptionsField {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    data_type: OptionsDataType,
    /// The allowed values, trimmed; repeats count once.
    #[schema(schema_with = options_schema)]
    options: Vec<String>,
    #[schema(max_length = 255)]
    placeholder: Option<String>,
    /// Where the field is listed, smallest first; default 0.
    #[schema(minimum = 0, maximum = 1_000_000)]
    position: Option<i64>,
    /// Only `contact`; the default.
    model: Option<Model>,
}

/// A new field of another type.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code, reason = "the document's shape of NewFieldInput")]
pub struct NewPlainField {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    data_type: PlainDataType,
    #[schema(max_length = 255)]
    placeholder: Option<String>,
    /// Where the field is listed, smallest first; default 0.
    #[schema(minimum = 0, maximum = 1_000_000)]
    position: Option<i64>,
    /// Only `contact`; the default.
    model: Option<Model>,
}

/// HighLevel's `UpdateCustomFieldsDTO`: the name is required, the other
/// fields change when given (`""` clears the placeholder). The data type
/// stays.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldInput {
    #[validate(length(min = 1, max = 100, message = "name must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    #[validate(length(max = 255, message = "placeholder must be at most 255 characters"))]
    #[schema(max_length = 255)]
    placeholder: Option<String>,
    /// Replaces an option type's allowed values (trimmed; repeats count
    /// once); a field of another type has none to replace (409).
    #[schema(schema_with = optional_options_schema)]
    options: Option<Vec<String>>,
    #[serde(default, deserialize_with = "whole_number")]
    #[validate(range(
        min = 0,
        max = 1_000_000,
        message = "position must be a whole number from 0 to 1000000"
    ))]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    position: Option<i64>,
    /// Only `contact`.
    #[allow(dead_code, reason = "read only to refuse other models")]
    model: Option<Model>,
}

/// One to 100 options, each with something besides spaces.
fn options_schema() -> utoipa::openapi::Schema {
    options_list(false)
}

/// As [`options_schema`], or `null` for none.
fn optional_options_schema() -> utoipa::openapi::Schema {
    options_list(true)
}

fn options_list(nullable: bool) -> utoipa::openapi::Schema {
    use utoipa::openapi::schema as oas;
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Schema, Type};
    let types = if nullable {
        oas::SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        oas::SchemaType::new(Type::Array)
    };
    Schema::Array(
        ArrayBuilder::new()
            .schema_type(types)
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_OPTION_CHARS))
                    .pattern(Some(r"\S")),
            )
            .min_items(Some(1))
            .max_items(Some(MAX_OPTIONS))
            .build(),
    )
}

/// `name` trimmed, or why it cannot be one.
fn field_name(raw: &str, problems: &mut Vec<String>) -> String {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        problems.push("name must be 1 to 100 characters".into());
    }
    name
}

/// The options given, trimmed, for a field of `data_type`.
fn field_options(
    data_type: DataType,
    given: Option<Vec<String>>,
    required: bool,
    problems: &mut Vec<String>,
) -> Option<Vec<String>> {
    if !data_type.has_options() {
        if given.is_some() {
            problems.push(format!(
                "options: a {} field takes no options",
                data_type.name()
            ));
        }
        return None;
    }
    let Some(raw) = given else {
        if required {
            problems.push(format!(
                "options: a {} field needs at least one option",
                data_type.name()
            ));
        }
        return None;
    };
    let mut options: Vec<String> = Vec::new();
    for option in raw {
        let option = option.trim().to_string();
        if option.is_empty() || option.chars().count() > MAX_OPTION_CHARS {
            problems.push(format!(
                "options must be non-empty strings of up to {MAX_OPTION_CHARS} characters"
            ));
        } else if !options.contains(&option) {
            options.push(option);
        }
    }
    if options.is_empty() {
        problems.push(format!(
            "options: a {} field needs at least one option",
            data_type.name()
        ));
    }
    if options.len() > MAX_OPTIONS {
        problems.push(format!("options: at most {MAX_OPTIONS} options"));
    }
    Some(options)
}

fn done(problems: Vec<String>) -> Result<(), ApiError> {
    if problems.is_empty() {
        Ok(())
    } else {
        let mut problems = problems;
        problems.sort();
        problems.dedup();
        Err(ApiError::Unprocessable(problems))
    }
}

/// A new field's values, once valid.
pub(super) struct NewField {
    pub name: String,
    pub data_type: DataType,
    pub placeholder: Option<String>,
    pub options: Vec<String>,
    pub position: i32,
}

/// Collects every problem of `input` that `validator` finds.
fn problems_of(input: &impl Validate) -> Result<Vec<String>, ApiError> {
    match validate(input) {
        Ok(()) => Ok(Vec::new()),
        Err(ApiError::Unprocessable(messages)) => Ok(messages),
        Err(other) => Err(other),
    }
}

impl NewFieldInput {
    /// The field to create, or a 422 listing every problem.
    pub(super) fn into_new_field(self) -> Result<NewField, ApiError> {
        let mut problems = problems_of(&self)?;
        let name = field_name(&self.name, &mut problems);
        let options = field_options(self.data_type, self.options, true, &mut problems);
        done(problems)?;
        Ok(NewField {
            name,
            data_type: self.data_type,
            placeholder: self
                .placeholder
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
            options: options.unwrap_or_default(),
            // Validated to 0..=1_000_000 above.
            position: i32::try_from(self.position.unwrap_or(0)).unwrap_or(0),
        })
    }
}

impl FieldInput {
    /// A 422 listing what is wrong whatever the field.
    pub(super) fn check(&self) -> Result<(), ApiError> {
        let mut problems = problems_of(self)?;
        field_name(&self.name, &mut problems);
        done(problems)
    }

    /// The changes to a field of `data_type`: options for a type that has
    /// none are well-formed but not for this field (409).
    pub(super) fn into_changes(self, data_type: DataType) -> Result<CustomFieldChanges, ApiError> {
        self.check()?;
        if self.options.is_some() && !data_type.has_options() {
            return Err(ApiError::Conflict(format!(
                "options: a {} field takes no options",
                data_type.name()
            )));
        }
        let mut problems = Vec::new();
        let options = field_options(data_type, self.options, false, &mut problems);
        done(problems)?;
        Ok(CustomFieldChanges {
            name: Some(self.name.trim().to_string()),
            placeholder: self.placeholder.map(|p| {
                let p = p.trim();
                (!p.is_empty()).then(|| p.to_string())
            }),
            options,
            // Validated to 0..=1_000_000 above.
            position: self.position.and_then(|p| i32::try_from(p).ok()),
        })
    }
}
