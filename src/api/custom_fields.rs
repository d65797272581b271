//! The account's contact custom fields (`/locations/{locationId}/customFields`)
//! in HighLevel's envelopes. Only the `contact` model is served; a contact's
//! `customFields` name these fields by id or key.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::contacts::webhook_body;
use super::custom_field_shapes::{
    CustomFieldDeleted, CustomFieldEnvelope, CustomFieldList, CustomFieldOut, FieldInput,
    NewFieldInput,
};
use super::error::ApiError;
use super::extract::{given, parse_json, reject_nul};
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::db::{self, DbError};
use crate::domain::custom_field::DataType;
use crate::domain::scope::Scope;
use crate::models::custom_field::{CustomField, NewCustomField};

pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/locations/{locationId}/customFields" => list_fields, Scope::CustomFieldsReadonly),
    api_route!(POST "/locations/{locationId}/customFields" => create_field, Scope::CustomFieldsWrite),
    api_route!(GET "/locations/{locationId}/customFields/{id}" => get_field, Scope::CustomFieldsReadonly),
    api_route!(PUT "/locations/{locationId}/customFields/{id}" => update_field, Scope::CustomFieldsWrite),
    api_route!(DELETE "/locations/{locationId}/customFields/{id}" => delete_field, Scope::CustomFieldsWrite),
];

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
#[utoipa::path(post, path = "/v2/locations/{locationId}/customFields", tag = "Custom Fields", request_body = super::custom_field_shapes::NewFieldShape,
    params(("locationId" = String, Path, description = "The account's id")),
    responses((status = 201, description = "The field created", body = CustomFieldEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid (a model other than contact, a data type we do not take, bad options); message lists each", body = super::error::ErrorBody)))]
pub async fn create_field(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path)?;
    let new = parse_json::<NewFieldInput>(&body)?.into_new_field()?;
    let account_id = auth.account.id;
    let field = db::query(&auth.pool, move |conn| {
        actions::custom_fields::create(
            conn,
            account_id,
            &NewCustomField {
                name: &new.name,
                data_type: new.data_type.name(),
                placeholder: new.placeholder.as_deref(),
                options: &new.options,
                position: new.position,
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
    input.check()?;
    let account_id = auth.account.id;
    let current = db::query(&auth.pool, move |conn| {
        CustomField::find_for_account(conn, account_id, id)
    })
    .await
    .map_err(not_found)?;
    let changes =
        input.into_changes(DataType::parse(&current.data_type).unwrap_or(DataType::Text))?;
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
