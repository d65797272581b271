//! The account's tag list (`/locations/{locationId}/tags`) in HighLevel's
//! envelopes. Tags are trimmed and lower-cased as contacts carry them;
//! renaming or deleting one changes every contact carrying it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::contacts::webhook_body;
use super::error::ApiError;
use super::extract::parse_json;
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::actions::location_tags::TagError;
use crate::db::{self, DbError};
use crate::domain::contact::{MAX_TAG_CHARS, normalize_tag};
use crate::domain::scope::Scope;
use crate::models::location_tag::LocationTag;

pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/locations/{locationId}/tags" => list_tags, Scope::TagsReadonly),
    api_route!(POST "/locations/{locationId}/tags" => create_tag, Scope::TagsWrite),
    api_route!(GET "/locations/{locationId}/tags/{tagId}" => get_tag, Scope::TagsReadonly),
    api_route!(PUT "/locations/{locationId}/tags/{tagId}" => update_tag, Scope::TagsWrite),
    api_route!(DELETE "/locations/{locationId}/tags/{tagId}" => delete_tag, Scope::TagsWrite),
];

// ---------------------------------------------------------------- shapes

/// HighLevel's `LocationTagsSchema`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagOut {
    id: String,
    /// Trimmed and lower-cased.
    name: String,
    location_id: String,
}

impl From<LocationTag> for TagOut {
    fn from(t: LocationTag) -> Self {
        TagOut {
            id: t.id.to_string(),
            name: t.name,
            location_id: t.account_id.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    /// By name.
    tags: Vec<TagOut>,
}

#[derive(Serialize, ToSchema)]
pub struct TagEnvelope {
    tag: TagOut,
}

/// HighLevel's spelling, as it declares it.
#[derive(Serialize, ToSchema)]
pub struct TagDeleted {
    succeded: bool,
}

/// HighLevel's `tagBody`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// Stored trimmed and lower-cased.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    name: String,
}

impl TagInput {
    fn into_name(self) -> Result<String, ApiError> {
        // Counted as given: lower case may take more characters.
        let given = self.name.trim();
        if given.is_empty() || given.chars().count() > MAX_TAG_CHARS {
            return Err(ApiError::unprocessable(format!(
                "name must be 1 to {MAX_TAG_CHARS} characters, not counting spaces around it"
            )));
        }
        Ok(normalize_tag(given))
    }
}

// ---------------------------------------------------------------- errors

fn tag_not_found() -> ApiError {
    ApiError::NotFound("Tag not found".into())
}

fn not_found(e: DbError) -> ApiError {
    if e.is_not_found() {
        tag_not_found()
    } else {
        e.into()
    }
}

impl From<TagError> for ApiError {
    fn from(e: TagError) -> Self {
        match e {
            TagError::NotFound => tag_not_found(),
            TagError::NameTaken => {
                ApiError::Conflict("name: the location has another tag of this name".into())
            }
            TagError::Db(e) => e.into(),
        }
    }
}

fn tag_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| tag_not_found())
}

fn check_location(auth: &ApiAuth, location: &str) -> Result<(), ApiError> {
    auth.check_location(&[("locationId", Some(location))], LocationId::Required)
}

// ---------------------------------------------------------------- handlers

/// List the location's tags.
#[utoipa::path(get, path = "/v2/locations/{locationId}/tags", tag = "Tags",
    params(("locationId" = String, Path, description = "The account's id")),
    responses((status = 200, description = "The tags, by name", body = TagList), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody)))]
pub async fn list_tags(auth: ApiAuth, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path)?;
    let account_id = auth.account.id;
    let tags = db::query(&auth.pool, move |conn| {
        LocationTag::of_account(conn, account_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TagList {
        tags: tags.into_iter().map(TagOut::from).collect(),
    }))
}

/// Create a tag; creating one the location has already answers with it.
#[utoipa::path(post, path = "/v2/locations/{locationId}/tags", tag = "Tags", request_body = TagInput,
    params(("locationId" = String, Path, description = "The account's id")),
    responses((status = 200, description = "The tag", body = TagEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 422, description = "The name is missing or invalid", body = super::error::ErrorBody)))]
pub async fn create_tag(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path)?;
    let name = parse_json::<TagInput>(&body)?.into_name()?;
    let account_id = auth.account.id;
    let tag = db::query(&auth.pool, move |conn| {
        actions::location_tags::create(conn, account_id, &name)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TagEnvelope { tag: tag.into() }))
}

/// Get a tag.
#[utoipa::path(get, path = "/v2/locations/{locationId}/tags/{tagId}", tag = "Tags",
    params(("locationId" = String, Path, description = "The account's id"), ("tagId" = String, Path, description = "Tag id")),
    responses((status = 200, description = "The tag", body = TagEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such tag in this account", body = super::error::ErrorBody)))]
pub async fn get_tag(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let id = tag_id(&path.1)?;
    let account_id = auth.account.id;
    let tag = db::query(&auth.pool, move |conn| {
        LocationTag::find_for_account(conn, account_id, id)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(TagEnvelope { tag: tag.into() }))
}

/// Rename a tag, on every contact carrying it too (each a `ContactUpdate`
/// webhook event).
#[utoipa::path(put, path = "/v2/locations/{locationId}/tags/{tagId}", tag = "Tags", request_body = TagInput,
    params(("locationId" = String, Path, description = "The account's id"), ("tagId" = String, Path, description = "Tag id")),
    responses((status = 200, description = "The tag renamed", body = TagEnvelope), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such tag in this account", body = super::error::ErrorBody), (status = 409, description = "The location has another tag of this name", body = super::error::ErrorBody), (status = 422, description = "The name is missing or invalid", body = super::error::ErrorBody)))]
pub async fn update_tag(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let id = tag_id(&path.1)?;
    let name = parse_json::<TagInput>(&body)?.into_name()?;
    let account_id = auth.account.id;
    let tag = db::run(&auth.pool, move |conn| {
        actions::location_tags::rename(conn, account_id, id, &name, webhook_body)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(TagEnvelope { tag: tag.into() }))
}

/// Delete a tag, taking it off every contact carrying it (each a
/// `ContactUpdate` webhook event).
#[utoipa::path(delete, path = "/v2/locations/{locationId}/tags/{tagId}", tag = "Tags",
    params(("locationId" = String, Path, description = "The account's id"), ("tagId" = String, Path, description = "Tag id")),
    responses((status = 200, description = "The tag was deleted", body = TagDeleted), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 404, description = "No such tag in this account", body = super::error::ErrorBody)))]
pub async fn delete_tag(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    check_location(&auth, &path.0)?;
    let id = tag_id(&path.1)?;
    let account_id = auth.account.id;
    db::run(&auth.pool, move |conn| {
        actions::location_tags::delete(conn, account_id, id, webhook_body)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(TagDeleted { succeded: true }))
}
