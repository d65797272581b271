//! Notes on a contact (`/contacts/{contactId}/notes`), in HighLevel's
//! envelopes. A note is found only through its own contact, of the token's
//! own account; anything else is a 404.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::auth::ApiAuth;
use super::contacts::{contact_id, contact_not_found};
use super::error::ApiError;
use super::extract::{parse_json, validate};
use super::rfc3339;
use super::routes::{ApiRoute, api_route};
use crate::actions;
use crate::actions::notes::NoteError;
use crate::db;
use crate::domain::scope::Scope;
use crate::models::contact_note::{ContactNote, NoteChanges};

pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/contacts/{contactId}/notes" => list_notes, Scope::ContactsReadonly),
    api_route!(POST "/contacts/{contactId}/notes" => create_note, Scope::ContactsWrite),
    api_route!(GET "/contacts/{contactId}/notes/{id}" => get_note, Scope::ContactsReadonly),
    api_route!(PUT "/contacts/{contactId}/notes/{id}" => update_note, Scope::ContactsWrite),
    api_route!(DELETE "/contacts/{contactId}/notes/{id}" => delete_note, Scope::ContactsWrite),
];

// ---------------------------------------------------------------- shapes

/// HighLevel's `GetNoteSchema`; absent fields are omitted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteOut {
    id: String,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// ISO 8601.
    date_added: String,
    contact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<String>,
    pinned: bool,
}

impl From<ContactNote> for NoteOut {
    fn from(n: ContactNote) -> Self {
        NoteOut {
            id: n.id.to_string(),
            body: n.body,
            user_id: n.user_id.map(|u| u.to_string()),
            date_added: rfc3339(n.date_added),
            contact_id: n.contact_id.to_string(),
            title: n.title,
            color: n.color,
            pinned: n.pinned,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NoteList {
    /// Newest first.
    notes: Vec<NoteOut>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteEnvelope {
    note: NoteOut,
}

/// HighLevel's spelling, as it declares it.
#[derive(Serialize, ToSchema)]
pub struct NoteDeleted {
    succeded: bool,
}

/// HighLevel's `NotesDTO`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewNoteInput {
    #[validate(length(max = 10000, message = "body must be at most 10000 characters"))]
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    body: String,
    /// The id of a user of this account.
    user_id: Option<String>,
    #[validate(length(max = 200, message = "title must be at most 200 characters"))]
    #[schema(max_length = 200)]
    title: Option<String>,
    #[validate(length(max = 32, message = "color must be at most 32 characters"))]
    #[schema(max_length = 32)]
    color: Option<String>,
    pinned: Option<bool>,
}

/// HighLevel's `UpdateNoteDTO`: the fields given change; `""` clears
/// `userId`, `title` and `color`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoteInput {
    #[validate(length(max = 10000, message = "body must be at most 10000 characters"))]
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    body: Option<String>,
    user_id: Option<String>,
    #[validate(length(max = 200, message = "title must be at most 200 characters"))]
    #[schema(max_length = 200)]
    title: Option<String>,
    #[validate(length(max = 32, message = "color must be at most 32 characters"))]
    #[schema(max_length = 32)]
    color: Option<String>,
    pinned: Option<bool>,
}

impl From<NewNoteInput> for NoteInput {
    fn from(n: NewNoteInput) -> Self {
        NoteInput {
            body: Some(n.body),
            user_id: n.user_id,
            title: n.title,
            color: n.color,
            pinned: n.pinned,
        }
    }
}

/// Given text becomes a value; an empty string clears the field.
fn field(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

impl NoteInput {
    fn into_changes(self) -> Result<NoteChanges, ApiError> {
        validate(&self)?;
        let mut problems = Vec::new();
        if self.body.as_ref().is_some_and(|b| b.trim().is_empty()) {
            problems.push("body must not be empty".to_string());
        }
        let user_id = field(self.user_id).map(|given| {
            given.and_then(|raw| {
                let parsed = Uuid::parse_str(&raw).ok();
                if parsed.is_none() {
                    problems.push(UNKNOWN_USER.to_string());
                }
                parsed
            })
        });
        if !problems.is_empty() {
            return Err(ApiError::Unprocessable(problems));
        }
        Ok(NoteChanges {
            user_id,
            body: self.body,
            title: field(self.title),
            color: field(self.color),
            pinned: self.pinned,
        })
    }
}

const UNKNOWN_USER: &str = "userId must be the id of a user of this account";

// ---------------------------------------------------------------- errors

impl From<NoteError> for ApiError {
    fn from(e: NoteError) -> Self {
        match e {
            NoteError::ContactNotFound => contact_not_found(),
            NoteError::NoteNotFound => note_not_found(),
            NoteError::UnknownUser => ApiError::unprocessable(UNKNOWN_USER),
            NoteError::Db(e) => e.into(),
        }
    }
}

fn note_not_found() -> ApiError {
    ApiError::NotFound("Note not found".into())
}

fn ids(path: &(String, String)) -> Result<(Uuid, Uuid), ApiError> {
    let contact = contact_id(&path.0)?;
    let note = Uuid::parse_str(&path.1).map_err(|_| note_not_found())?;
    Ok((contact, note))
}

// ---------------------------------------------------------------- handlers

/// List a contact's notes.
#[utoipa::path(get, path = "/v2/contacts/{contactId}/notes", tag = "Notes",
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, description = "The contact's notes, newest first", body = NoteList), (status = 404, description = "No such contact (or note) in this account", body = super::error::ErrorBody)))]
pub async fn list_notes(auth: ApiAuth, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let contact = contact_id(&path)?;
    let account_id = auth.account.id;
    let notes = db::run(&auth.pool, move |conn| {
        actions::notes::list(conn, account_id, contact)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(NoteList {
        notes: notes.into_iter().map(NoteOut::from).collect(),
    }))
}

/// Add a note to a contact.
#[utoipa::path(post, path = "/v2/contacts/{contactId}/notes", tag = "Notes", request_body = NewNoteInput,
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 201, description = "The note created", body = NoteEnvelope), (status = 404, description = "No such contact (or note) in this account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn create_note(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let contact = contact_id(&path)?;
    let input: NewNoteInput = parse_json(&body)?;
    let changes = NoteInput::from(input).into_changes()?;
    let text = changes.body.clone().unwrap_or_default();
    let account_id = auth.account.id;
    let note = db::run(&auth.pool, move |conn| {
        actions::notes::create(conn, account_id, contact, &text, &changes)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(NoteEnvelope { note: note.into() }))
}

/// Get a note of a contact.
#[utoipa::path(get, path = "/v2/contacts/{contactId}/notes/{id}", tag = "Notes",
    params(("contactId" = String, Path, description = "Contact id"), ("id" = String, Path, description = "Note id")),
    responses((status = 200, description = "The note", body = NoteEnvelope), (status = 404, description = "No such contact (or note) in this account", body = super::error::ErrorBody)))]
pub async fn get_note(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (contact, id) = ids(&path)?;
    let account_id = auth.account.id;
    let note = db::run(&auth.pool, move |conn| {
        actions::notes::get(conn, account_id, contact, id)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(NoteEnvelope { note: note.into() }))
}

/// Update a note: only the fields given change.
#[utoipa::path(put, path = "/v2/contacts/{contactId}/notes/{id}", tag = "Notes", request_body = NoteInput,
    params(("contactId" = String, Path, description = "Contact id"), ("id" = String, Path, description = "Note id")),
    responses((status = 200, description = "The note updated", body = NoteEnvelope), (status = 404, description = "No such contact (or note) in this account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn update_note(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (contact, id) = ids(&path)?;
    let input: NoteInput = parse_json(&body)?;
    let changes = input.into_changes()?;
    let account_id = auth.account.id;
    let note = db::run(&auth.pool, move |conn| {
        actions::notes::update(conn, account_id, contact, id, &changes)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(NoteEnvelope { note: note.into() }))
}

/// Delete a note.
#[utoipa::path(delete, path = "/v2/contacts/{contactId}/notes/{id}", tag = "Notes",
    params(("contactId" = String, Path, description = "Contact id"), ("id" = String, Path, description = "Note id")),
    responses((status = 200, description = "The note was deleted", body = NoteDeleted), (status = 404, description = "No such contact (or note) in this account", body = super::error::ErrorBody)))]
pub async fn delete_note(
    auth: ApiAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (contact, id) = ids(&path)?;
    let account_id = auth.account.id;
    db::run(&auth.pool, move |conn| {
        actions::notes::delete(conn, account_id, contact, id)
    })
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(NoteDeleted { succeded: true }))
}
