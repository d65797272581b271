//! Contacts, as HighLevel's API v2 serves them (`apps/contacts.json`): the
//! single-contact routes and their envelopes. The fields are in
//! `contact_fields.rs`; listing and search in `contact_search.rs`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ApiAuth;
use super::caller::{Caller, LocationId};
use super::contact_fields::{ContactInput, ContactOut};
use super::error::ApiError;
use super::extract::parse_json;
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::actions::contacts::ContactError;
use crate::db::{self, DbError};
use crate::domain::scope::Scope;
use crate::domain::webhook::EventType;
use crate::models::contact::Contact;

/// Creating a contact and the single-contact routes, with the scope each
/// needs (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(POST "/contacts" => create_contact, Scope::ContactsWrite),
    api_route!(GET "/contacts/{contactId}" => get_contact, Scope::ContactsReadonly),
    api_route!(PUT "/contacts/{contactId}" => update_contact, Scope::ContactsWrite),
    api_route!(DELETE "/contacts/{contactId}" => delete_contact, Scope::ContactsWrite),
];

// ---------------------------------------------------------------- shapes

#[derive(Serialize, ToSchema)]
pub struct ContactEnvelope {
    pub(super) contact: ContactOut,
}

#[derive(Serialize, ToSchema)]
pub struct UpdatedEnvelope {
    /// HighLevel's v2 spelling.
    succeded: bool,
    succeeded: bool,
    contact: ContactOut,
}

#[derive(Serialize, ToSchema)]
pub struct DeletedEnvelope {
    succeded: bool,
    succeeded: bool,
}

/// HighLevel's flat webhook body: `{"type", "locationId", "id", ...fields}`.
pub(crate) fn webhook_body(event: EventType, contact: &Contact) -> serde_json::Value {
    let mut body = serde_json::to_value(ContactOut::from(contact.clone()))
        .unwrap_or_else(|_| serde_json::json!({}));
    if let Some(fields) = body.as_object_mut() {
        fields.insert("type".into(), event.name().into());
    }
    body
}

/// A path's contact id; one that cannot be an id names no contact.
pub(super) fn contact_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| contact_not_found())
}

pub(super) fn contact_not_found() -> ApiError {
    ApiError::NotFound("Contact not found".into())
}

fn not_found(e: DbError) -> ApiError {
    if e.is_not_found() {
        contact_not_found()
    } else {
        e.into()
    }
}

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        match e {
            ContactError::NotFound => contact_not_found(),
            ContactError::Invalid(messages) => ApiError::Unprocessable(messages),
            ContactError::Db(e) => e.into(),
        }
    }
}

// ---------------------------------------------------------------- single contacts

/// Get a contact.
#[utoipa::path(get, path = "/v2/contacts/{contactId}", tag = "Contacts",
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, body = ContactEnvelope), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_contact(auth: ApiAuth, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = contact_id(&path)?;
    let account_id = auth.account.id;
    let contact = db::query(&auth.pool, move |conn| {
        Contact::find_for_account(conn, account_id, id)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(ContactEnvelope {
        contact: contact.into(),
    }))
}

/// Create a contact.
#[utoipa::path(post, path = "/v2/contacts/", tag = "Contacts", request_body = ContactInput,
    responses((status = 201, body = ContactEnvelope), (status = 413, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_contact(auth: ApiAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    create_for(&auth, &body, LocationId::Required).await
}

/// Creates a contact for `caller`; API v1 keys may leave out `locationId`.
pub(crate) async fn create_for(
    caller: &Caller,
    body: &[u8],
    location: LocationId,
) -> Result<HttpResponse, ApiError> {
    let input: ContactInput = parse_json(body)?;
    caller.check_location(&[("locationId", input.location_id.as_deref())], location)?;
    let changes = input.into_changes()?;
    let account_id = caller.account.id;
    let contact = db::run(&caller.pool, move |conn| {
        actions::contacts::create(conn, account_id, &changes, webhook_body)
    })
    .await?;
    Ok(HttpResponse::Created().json(ContactEnvelope {
        contact: contact.into(),
    }))
}

/// Update a contact: only the fields given change.
#[utoipa::path(put, path = "/v2/contacts/{contactId}", tag = "Contacts", request_body = ContactInput,
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, body = UpdatedEnvelope), (status = 404, body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody)))]
pub async fn update_contact(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = contact_id(&path)?;
    let input: ContactInput = parse_json(&body)?;
    auth.check_location(
        &[("locationId", input.location_id.as_deref())],
        LocationId::Optional,
    )?;
    let changes = input.into_changes()?;
    let account_id = auth.account.id;
    let contact = db::run(&auth.pool, move |conn| {
        actions::contacts::update(conn, account_id, id, &changes, webhook_body)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(UpdatedEnvelope {
        succeded: true,
        succeeded: true,
        contact: contact.into(),
    }))
}

/// Delete a contact.
#[utoipa::path(delete, path = "/v2/contacts/{contactId}", tag = "Contacts",
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, body = DeletedEnvelope), (status = 404, body = super::error::ErrorBody)))]
pub async fn delete_contact(
    auth: ApiAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = contact_id(&path)?;
    let account_id = auth.account.id;
    db::query(&auth.pool, move |conn| {
        actions::contacts::delete(conn, account_id, id, webhook_body)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(DeletedEnvelope {
        succeded: true,
        succeeded: true,
    }))
}
