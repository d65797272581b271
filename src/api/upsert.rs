//! `POST /contacts/upsert`, what sync tools call: update the contact with
//! this email (any case), else the one with this phone (by its digits),
//! else create it, so that calling it twice never makes two contacts.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::contact_fields::{ContactInput, ContactOut};
use super::contacts::webhook_body;
use super::error::ApiError;
use super::extract::parse_json;
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::db;
use crate::domain::scope::Scope;

pub const ROUTES: &[ApiRoute] = &[api_route!(
    POST "/contacts/upsert" => upsert_contact,
    Scope::ContactsWrite
)];

const CREATE_NEW: &str = "createNewIfDuplicateAllowed";

/// HighLevel's `UpsertContactDto`: a contact's fields, and whether to skip
/// the lookup.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpsertInput {
    #[serde(flatten)]
    contact: ContactInput,
    /// `true` creates a new contact without looking for one: accounts here
    /// allow duplicate contacts. Default `false` (`null` too).
    #[serde(default)]
    #[schema(nullable)]
    create_new_if_duplicate_allowed: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpsertResult {
    /// Whether the contact was created rather than found and updated.
    new: bool,
    contact: ContactOut,
    /// This request's id, for support.
    trace_id: String,
}

/// Create a contact, or update the one with its email, else its phone.
#[utoipa::path(post, path = "/v2/contacts/upsert", tag = "Contacts", request_body = UpsertInput,
    responses((status = 200, description = "The contact, created or updated", body = UpsertResult), (status = 413, description = "The body is over 64 KiB", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn upsert_contact(auth: ApiAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    // The flag is taken out first, so the contact's fields are read exactly
    // as create reads them (unknown fields refused).
    let mut fields: Map<String, Value> = parse_json(&body)?;
    let flag = match fields.remove(CREATE_NEW) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(given)) => given,
        Some(_) => {
            return Err(ApiError::unprocessable(format!(
                "{CREATE_NEW} must be true or false"
            )));
        }
    };
    let contact_fields = serde_json::to_vec(&fields).map_err(anyhow::Error::from)?;
    let input = UpsertInput {
        contact: parse_json(&contact_fields)?,
        create_new_if_duplicate_allowed: flag,
    };
    auth.check_location(
        &[("locationId", input.contact.location_id.as_deref())],
        LocationId::Required,
    )?;
    let changes = input.contact.into_changes()?;
    let always_create = input.create_new_if_duplicate_allowed;
    let account_id = auth.account.id;
    let upserted = db::run(&auth.pool, move |conn| {
        actions::contacts::upsert(conn, account_id, &changes, always_create, webhook_body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UpsertResult {
        new: upserted.created,
        contact: upserted.contact.into(),
        trace_id: Uuid::new_v4().to_string(),
    }))
}
