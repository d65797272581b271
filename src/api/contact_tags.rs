//! `POST` and `DELETE /contacts/{contactId}/tags`: add tags to a contact or
//! take them off, without sending (and racing on) the whole list.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::ApiAuth;
use super::contact_fields::valid_tags;
use super::contacts::{contact_id, webhook_body};
use super::error::ApiError;
use super::extract::{parse_json, validate};
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::db;
use crate::domain::contact::normalize_tags;
use crate::domain::scope::Scope;

pub const ROUTES: &[ApiRoute] = &[
    api_route!(POST "/contacts/{contactId}/tags" => add_tags, Scope::ContactsWrite),
    api_route!(DELETE "/contacts/{contactId}/tags" => remove_tags, Scope::ContactsWrite),
];

/// HighLevel's `TagsDTO`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsInput {
    /// Compared trimmed and lower-cased.
    #[validate(custom(
        function = "valid_tags",
        message = "tags must be at most 100 non-empty strings of up to 64 characters"
    ))]
    #[schema(schema_with = super::openapi::tags_schema)]
    tags: Vec<String>,
}

/// The contact's tags after the change.
#[derive(Serialize, ToSchema)]
pub struct TagsResult {
    tags: Vec<String>,
}

enum Change {
    Add,
    Remove,
}

async fn change_tags(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
    change: Change,
) -> Result<Vec<String>, ApiError> {
    let id = contact_id(&path)?;
    let input: TagsInput = parse_json(&body)?;
    validate(&input)?;
    let tags = normalize_tags(input.tags.iter().map(String::as_str));
    let account_id = auth.account.id;
    db::run(&auth.pool, move |conn| match change {
        Change::Add => actions::contacts::add_tags(conn, account_id, id, &tags, webhook_body),
        Change::Remove => actions::contacts::remove_tags(conn, account_id, id, &tags, webhook_body),
    })
    .await
    .map_err(ApiError::from)
}

/// Add tags to a contact.
#[utoipa::path(post, path = "/v2/contacts/{contactId}/tags", tag = "Tags", request_body = TagsInput,
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 201, description = "The contact's tags after adding", body = TagsResult), (status = 404, description = "No such contact in this account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn add_tags(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tags = change_tags(auth, path, body, Change::Add).await?;
    Ok(HttpResponse::Created().json(TagsResult { tags }))
}

/// Remove tags from a contact.
#[utoipa::path(delete, path = "/v2/contacts/{contactId}/tags", tag = "Tags", request_body = TagsInput,
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, description = "The contact's tags after removing", body = TagsResult), (status = 404, description = "No such contact in this account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn remove_tags(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tags = change_tags(auth, path, body, Change::Remove).await?;
    Ok(HttpResponse::Ok().json(TagsResult { tags }))
}
