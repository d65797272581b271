//! The account's contact custom fields (`/locations/{locationId}/customFields`)
//! in HighLevel's envelopes. Only the `contact` model is served; a contact's
//! `customFields` name these fields by id or key.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::contacts::webhook_body;
use super::error::ApiError;
use super::extract::{given, parse_json, reject_nul, validate, whole_number};
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::db::{self, DbError};
use crate::domain::custom_field::{DataType, MAX_NAME_CHARS, MAX_OPTION_CHARS, MAX_OPTIONS};
use crate::domain::scope::Scope;
use crate::models::custom_field::{CustomField, CustomFieldChanges, NewCustomField};

pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/locations/{locationId}/customFields" => list_fields, Scope::CustomFieldsReadonly),
    api_route!(POST "/locations/{locationId}/customFields" => create_field, Scope::CustomFieldsWrite),
    api_route!(GET "/locations/{locationId}/customFields/{id}" => get_field, Scope::CustomFieldsReadonly),
    api_route!(PUT "/locations/{locationId}/customFields/{id}" => update_field, Scope::CustomFieldsWrite),
    api_route!(DELETE "/locations/{locationId}/customFields/{id}" => delete_field, Scope::CustomFieldsWrite),
];

// ---------------------------------------------------------------- shapes

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
    custom_fields: Vec<CustomFieldOut>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldEnvelope {
    custom_field: CustomFieldOut,
}

/// HighLevel's spelling, as it declares it.
#[derive(Serialize, ToSchema)]
pub struct CustomFieldDeleted {
    succeded: bool,
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

// ---------------------------------------------------------------- errors

fn field_not_found() -> ApiError {
    ApiError::NotFound("Custom field not found".into())
}

fn not_found(e: DbError) -> ApiError {
    if e.is_not_found() {
        field_not_found()
    } else {
        e.into()
    }
}

fn field_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| field_not_found())
}

fn check_location(auth: &ApiAuth, location: &str) -> Result<(), ApiError> {
    auth.check_location(&[("locationId", Some(location))], LocationId::Required)
}

// ---------------------------------------------------------------- handlers

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFieldsQuery {
    /// `contact` or `all` list the contact fields; `opportunity` lists
    /// none, as we keep no opportunities.
    #[param(value_type = Option<String>, pattern = "^(contact|opportunity|all)?$")]
    model: Option<String>,
}

/// List the location's custom fields.
#[utoipa::path(get, path = "/v2/locations/{locationId}/customFields", tag = "Custom Fields",
    params(("locationId" = String, Path, description = "The account's id"), ListFieldsQuery),
    responses((status = 200, description = "The fields, by position", body = CustomFieldList), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 422, description = "model is not contact, opportunity or all", body = super::error::ErrorBody)))]
pub async fn list_fields(
    auth: ApiAuth,
    path: web::Path<String>,
    query: web::Query<ListFieldsQuery>,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path)?;
    reject_nul(&[("model", query.model.as_deref())])?;
    let wanted = match given(query.model.as_deref()) {
        None | Some("contact" | "all") => true,
        Some("opportunity") => false,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "model must be contact, opportunity or all",
            ));
        }
    };
    let account_id = auth.account.id;
    let fields = if wanted {
        db::query(&auth.pool, move |conn| {
            CustomField::of_account(conn, account_id)
        })
        .await?
    } else {
        Vec::new()
    };
    Ok(HttpResponse::Ok().json(CustomFieldList {
        custom_fields: fields.into_iter().map(CustomFieldOut::from).collect(),
    }))
}

/// Create a custom field for contacts.
#[utoipa::path(post, path = "/v2/locations/{locationId}/customFields", tag = "Custom Fields", request_body = NewFieldShape,
    params(("locationId" = String, Path, description = "The account's id")),
    responses((status = 201, description = "The field created", body = CustomFieldEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid (a model other than contact, a data type we do not take, bad options); message lists each", body = super::error::ErrorBody)))]
pub async fn create_field(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path)?;
    let input: NewFieldInput = parse_json(&body)?;
    let mut problems = match validate(&input) {
        Ok(()) => Vec::new(),
        Err(ApiError::Unprocessable(messages)) => messages,
        Err(other) => return Err(other),
    };
    let name = field_name(&input.name, &mut problems);
    let options = field_options(input.data_type, input.options, true, &mut problems);
    done(problems)?;
    let placeholder = input
        .placeholder
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let data_type = input.data_type;
    // Validated to 0..=1_000_000 above.
    let position = i32::try_from(input.position.unwrap_or(0)).unwrap_or(0);
    let account_id = auth.account.id;
    let field = db::query(&auth.pool, move |conn| {
        actions::custom_fields::create(
            conn,
            account_id,
            &NewCustomField {
                name: &name,
                data_type: data_type.name(),
                placeholder: placeholder.as_deref(),
                options: options.as_deref().unwrap_or_default(),
                position,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(CustomFieldEnvelope {
        custom_field: field.into(),
    }))
}

/// Get a custom field by its id or its key (`contact.pincode`).
#[utoipa::path(get, path = "/v2/locations/{locationId}/customFields/{id}", tag = "Custom Fields",
    params(("locationId" = String, Path, description = "The account's id"), ("id" = String, Path, description = "The field's id, or its key")),
    responses((status = 200, description = "The field", body = CustomFieldEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such field in this account", body = super::error::ErrorBody)))]
pub async fn get_field(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let account_id = auth.account.id;
    let raw = path.1.clone();
    if raw.contains('\0') {
        return Err(field_not_found());
    }
    let field = db::query(&auth.pool, move |conn| match Uuid::parse_str(&raw) {
        Ok(id) => CustomField::find_for_account(conn, account_id, id),
        Err(_) => CustomField::find_by_key(conn, account_id, &raw),
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(CustomFieldEnvelope {
        custom_field: field.into(),
    }))
}

/// Update a custom field: its name, and the other fields given. Options
/// dropped are taken off the contacts that chose them, each a
/// `ContactUpdate` webhook event.
#[utoipa::path(put, path = "/v2/locations/{locationId}/customFields/{id}", tag = "Custom Fields", request_body = FieldInput,
    params(("locationId" = String, Path, description = "The account's id"), ("id" = String, Path, description = "The field's id")),
    responses((status = 200, description = "The field updated", body = CustomFieldEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such field in this account", body = super::error::ErrorBody), (status = 409, description = "options given for a field whose type has none", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn update_field(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let id = field_id(&path.1)?;
    let input: FieldInput = parse_json(&body)?;
    let mut problems = match validate(&input) {
        Ok(()) => Vec::new(),
        Err(ApiError::Unprocessable(messages)) => messages,
        Err(other) => return Err(other),
    };
    let name = field_name(&input.name, &mut problems);
    done(problems)?;
    let account_id = auth.account.id;
    let current = db::query(&auth.pool, move |conn| {
        CustomField::find_for_account(conn, account_id, id)
    })
    .await
    .map_err(not_found)?;
    let data_type = DataType::parse(&current.data_type).unwrap_or(DataType::Text);
    if input.options.is_some() && !data_type.has_options() {
        // Well-formed, but not for this field.
        return Err(ApiError::Conflict(format!(
            "options: a {} field takes no options",
            data_type.name()
        )));
    }
    let mut problems = Vec::new();
    let options = field_options(data_type, input.options, false, &mut problems);
    done(problems)?;
    let changes = CustomFieldChanges {
        name: Some(name),
        placeholder: input.placeholder.map(|p| {
            let p = p.trim();
            (!p.is_empty()).then(|| p.to_string())
        }),
        options,
        // Validated to 0..=1_000_000 above.
        position: input.position.and_then(|p| i32::try_from(p).ok()),
    };
    let field = db::query(&auth.pool, move |conn| {
        actions::custom_fields::update(conn, account_id, id, &changes, webhook_body)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(CustomFieldEnvelope {
        custom_field: field.into(),
    }))
}

/// Delete a custom field; contacts holding a value for it lose it, each a
/// `ContactUpdate` webhook event.
#[utoipa::path(delete, path = "/v2/locations/{locationId}/customFields/{id}", tag = "Custom Fields",
    params(("locationId" = String, Path, description = "The account's id"), ("id" = String, Path, description = "The field's id")),
    responses((status = 200, description = "The field was deleted", body = CustomFieldDeleted), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such field in this account", body = super::error::ErrorBody)))]
pub async fn delete_field(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let id = field_id(&path.1)?;
    let account_id = auth.account.id;
    db::query(&auth.pool, move |conn| {
        actions::custom_fields::delete(conn, account_id, id, webhook_body)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(CustomFieldDeleted { succeded: true }))
}
