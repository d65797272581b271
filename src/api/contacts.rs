//! Contacts, as HighLevel's API v2 serves them (`apps/contacts.json`): the
//! shapes and the single-contact routes. Listing and search are in
//! `contact_search.rs`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::auth::ApiAuth;
use super::caller::{Caller, LocationId};
use super::error::ApiError;
use super::extract::{parse_json, validate};
use super::rfc3339;
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::db::{self, DbError};
use crate::domain::scope::Scope;
use crate::domain::webhook::EventType;
use crate::models::contact::{Contact, ContactChanges};

/// Creating a contact and the single-contact routes, with the scope each
/// needs (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(POST "/contacts" => create_contact, Scope::ContactsWrite),
    api_route!(GET "/contacts/{contactId}" => get_contact, Scope::ContactsReadonly),
    api_route!(PUT "/contacts/{contactId}" => update_contact, Scope::ContactsWrite),
    api_route!(DELETE "/contacts/{contactId}" => delete_contact, Scope::ContactsWrite),
];

// ---------------------------------------------------------------- shapes

/// A contact as the API returns it; absent fields are omitted, never null.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactOut {
    id: String,
    location_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    tags: Vec<String>,
    /// ISO 8601.
    date_added: String,
    date_updated: String,
    /// Pass back as `searchAfter` to get the next page of a search.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = super::openapi::search_after_schema)]
    pub(super) search_after: Option<(i64, String)>,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id.to_string(),
            location_id: c.account_id.to_string(),
            first_name: c.first_name,
            last_name: c.last_name,
            name: c.name,
            email: c.email,
            phone: c.phone,
            company_name: c.company_name,
            address1: c.address1,
            city: c.city,
            state: c.state,
            postal_code: c.postal_code,
            country: c.country,
            website: c.website,
            timezone: c.timezone,
            source: c.source,
            tags: c.tags,
            date_added: rfc3339(c.date_added),
            date_updated: rfc3339(c.date_updated),
            search_after: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactEnvelope {
    contact: ContactOut,
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

/// Fields a contact is created or updated with. Unknown fields are refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactInput {
    /// Required on create: the account's id.
    location_id: Option<String>,
    #[validate(length(max = 100, message = "firstName must be at most 100 characters"))]
    first_name: Option<String>,
    #[validate(length(max = 100, message = "lastName must be at most 100 characters"))]
    last_name: Option<String>,
    #[validate(length(max = 200, message = "name must be at most 200 characters"))]
    name: Option<String>,
    #[validate(custom(
        function = "valid_email",
        message = "email must be a valid email address"
    ))]
    email: Option<String>,
    #[validate(length(max = 32, message = "phone must be at most 32 characters"))]
    phone: Option<String>,
    #[validate(length(max = 200, message = "companyName must be at most 200 characters"))]
    company_name: Option<String>,
    #[validate(length(max = 255, message = "address1 must be at most 255 characters"))]
    address1: Option<String>,
    #[validate(length(max = 100, message = "city must be at most 100 characters"))]
    city: Option<String>,
    #[validate(length(max = 100, message = "state must be at most 100 characters"))]
    state: Option<String>,
    #[validate(length(max = 32, message = "postalCode must be at most 32 characters"))]
    postal_code: Option<String>,
    #[validate(length(max = 64, message = "country must be at most 64 characters"))]
    country: Option<String>,
    #[validate(length(max = 2048, message = "website must be at most 2048 characters"))]
    website: Option<String>,
    #[validate(length(max = 64, message = "timezone must be at most 64 characters"))]
    timezone: Option<String>,
    #[validate(length(max = 255, message = "source must be at most 255 characters"))]
    source: Option<String>,
    #[validate(custom(
        function = "valid_tags",
        message = "tags must be at most 100 non-empty strings of up to 64 characters"
    ))]
    tags: Option<Vec<String>>,
}

fn valid_email(email: &str) -> Result<(), validator::ValidationError> {
    let trimmed = email.trim();
    if trimmed.is_empty() || crate::domain::email::Email::parse(trimmed).is_some() {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email"))
    }
}

fn valid_tags(tags: &[String]) -> Result<(), validator::ValidationError> {
    let ok = tags.len() <= 100
        && tags
            .iter()
            .all(|t| !t.trim().is_empty() && t.trim().chars().count() <= 64);
    if ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("tags"))
    }
}

/// Given text becomes a value; an empty string clears the field.
fn field(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

impl ContactInput {
    fn into_changes(self) -> ContactChanges {
        ContactChanges {
            first_name: field(self.first_name),
            last_name: field(self.last_name),
            name: field(self.name),
            email: field(self.email).map(|e| e.map(|e| e.to_lowercase())),
            phone: field(self.phone),
            company_name: field(self.company_name),
            address1: field(self.address1),
            city: field(self.city),
            state: field(self.state),
            postal_code: field(self.postal_code),
            country: field(self.country),
            website: field(self.website),
            timezone: field(self.timezone),
            source: field(self.source),
            tags: self.tags.map(|tags| {
                let mut out: Vec<String> = Vec::new();
                for t in tags {
                    let t = t.trim().to_string();
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
                out
            }),
        }
    }
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

fn contact_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("Contact not found".into()))
}

fn not_found(e: DbError) -> ApiError {
    if e.is_not_found() {
        ApiError::NotFound("Contact not found".into())
    } else {
        e.into()
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
    validate(&input)?;
    let changes = input.into_changes();
    let account_id = caller.account.id;
    let contact = db::query_in_transaction(&caller.pool, move |conn| {
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
    validate(&input)?;
    let changes = input.into_changes();
    let account_id = auth.account.id;
    let contact = db::query_in_transaction(&auth.pool, move |conn| {
        actions::contacts::update(conn, account_id, id, &changes, webhook_body)
    })
    .await
    .map_err(not_found)?;
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
    db::query_in_transaction(&auth.pool, move |conn| {
        actions::contacts::delete(conn, account_id, id, webhook_body)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(DeletedEnvelope {
        succeded: true,
        succeeded: true,
    }))
}
