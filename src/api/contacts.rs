//! Contacts, as HighLevel's API v2 serves them (`apps/contacts.json`).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::auth::{ApiAuth, Caller};
use super::error::ApiError;
use super::extract::{parse_json, query_number, validate};
use super::rfc3339;
use crate::db::{self, DbError};
use crate::domain::scope::Scope;
use crate::models::contact::{Contact, ContactChanges, ContactFilter, Cursor};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for base in ["/contacts", "/contacts/"] {
        cfg.route(base, web::get().to(list_contacts))
            .route(base, web::post().to(create_contact));
    }
    for path in ["/contacts/search", "/contacts/search/"] {
        cfg.route(path, web::post().to(search_contacts));
    }
    for path in ["/contacts/{contactId}", "/contacts/{contactId}/"] {
        cfg.route(path, web::get().to(get_contact))
            .route(path, web::put().to(update_contact))
            .route(path, web::delete().to(delete_contact));
    }
}

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
    #[schema(value_type = Option<Vec<Object>>)]
    search_after: Option<(i64, String)>,
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
    responses((status = 200, body = ContactEnvelope), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.readonly"])))]
pub async fn get_contact(auth: ApiAuth, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsReadonly)?;
    let id = contact_id(&path)?;
    let account_id = auth.account.id;
    let contact = db::run(&auth.pool, move |conn| {
        Contact::find_for_account(conn, account_id, id).map_err(DbError::from)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(ContactEnvelope {
        contact: contact.into(),
    }))
}

/// Create a contact.
#[utoipa::path(post, path = "/v2/contacts/", tag = "Contacts", request_body = ContactInput,
    responses((status = 201, body = ContactEnvelope), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.write"])))]
pub async fn create_contact(auth: ApiAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsWrite)?;
    create_for(&auth, &body, true).await
}

/// Creates a contact for `caller`; API v1 keys may leave out `locationId`.
pub(crate) async fn create_for(
    caller: &Caller,
    body: &[u8],
    location_required: bool,
) -> Result<HttpResponse, ApiError> {
    let input: ContactInput = parse_json(body)?;
    match input.location_id.as_deref() {
        Some(location) => caller.check_location(location)?,
        None if location_required => {
            return Err(ApiError::Unprocessable(vec![
                "locationId is required".into(),
            ]));
        }
        None => {}
    }
    validate(&input)?;
    let changes = input.into_changes();
    let account_id = caller.account.id;
    let contact = db::run(&caller.pool, move |conn| {
        Contact::create(conn, account_id, &changes).map_err(DbError::from)
    })
    .await?;
    Ok(HttpResponse::Created().json(ContactEnvelope {
        contact: contact.into(),
    }))
}

/// Update a contact: only the fields given change.
#[utoipa::path(put, path = "/v2/contacts/{contactId}", tag = "Contacts", request_body = ContactInput,
    params(("contactId" = String, Path, description = "Contact id")),
    responses((status = 200, body = UpdatedEnvelope), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.write"])))]
pub async fn update_contact(
    auth: ApiAuth,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsWrite)?;
    let id = contact_id(&path)?;
    let input: ContactInput = parse_json(&body)?;
    if let Some(location) = input.location_id.as_deref() {
        auth.check_location(location)?;
    }
    validate(&input)?;
    let changes = input.into_changes();
    let account_id = auth.account.id;
    let contact = db::run(&auth.pool, move |conn| {
        Contact::apply(conn, account_id, id, &changes).map_err(DbError::from)
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
    responses((status = 200, body = DeletedEnvelope), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.write"])))]
pub async fn delete_contact(
    auth: ApiAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsWrite)?;
    let id = contact_id(&path)?;
    let account_id = auth.account.id;
    db::run(&auth.pool, move |conn| {
        Contact::delete_for_account(conn, account_id, id).map_err(DbError::from)
    })
    .await
    .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(DeletedEnvelope {
        succeded: true,
        succeeded: true,
    }))
}

// ---------------------------------------------------------------- listing

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The account's id.
    location_id: Option<String>,
    /// Matches name, email, phone or company.
    query: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<String>,
    /// Id of the last contact of the previous page.
    start_after_id: Option<String>,
    /// `dateAdded` (epoch milliseconds) of the last contact of the previous page.
    start_after: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_after_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_after: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    contacts: Vec<ContactOut>,
    /// Contacts matching the query, on every page.
    count: i64,
    meta: ListMeta,
}

/// List contacts, oldest first, a page at a time.
#[utoipa::path(get, path = "/v2/contacts/", tag = "Contacts", params(ListQuery),
    responses((status = 200, body = ContactList), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.readonly"])))]
pub async fn list_contacts(
    auth: ApiAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsReadonly)?;
    list_for(&auth, query.into_inner(), "/v2", true).await
}

/// Lists `caller`'s contacts; API v1 keys may leave out `locationId`.
pub(crate) async fn list_for(
    caller: &Caller,
    q: ListQuery,
    base: &str,
    location_required: bool,
) -> Result<HttpResponse, ApiError> {
    match q.location_id.as_deref() {
        Some(location) => caller.check_location(location)?,
        None if location_required => {
            return Err(ApiError::Unprocessable(vec![
                "locationId is required".into(),
            ]));
        }
        None => {}
    }
    let limit = query_number("limit", q.limit.as_deref(), 20, 1, 100)?;
    let start_after = match q
        .start_after
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                .ok_or_else(|| {
                    ApiError::Unprocessable(vec!["startAfter must be epoch milliseconds".into()])
                })?,
        ),
    };
    let start_after_id = match q
        .start_after_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(Uuid::parse_str(s).map_err(|_| {
            ApiError::Unprocessable(vec!["startAfterId is not a contact id".into()])
        })?),
    };
    let filter = ContactFilter {
        query: q.query.clone(),
        ..ContactFilter::default()
    };
    let account_id = caller.account.id;
    let (contacts, total) = db::run(&caller.pool, move |conn| {
        let cursor = match (start_after_id, start_after) {
            // The id alone is enough: its own dateAdded places it exactly.
            (Some(id), _) => match Contact::find_for_account(conn, account_id, id) {
                Ok(c) => Some(Cursor {
                    date_added: c.date_added,
                    id,
                }),
                Err(diesel::result::Error::NotFound) => {
                    start_after.map(|t| Cursor { date_added: t, id })
                }
                Err(e) => return Err(e.into()),
            },
            (None, Some(t)) => Some(Cursor {
                date_added: t,
                id: Uuid::max(),
            }),
            (None, None) => None,
        };
        let contacts = Contact::page(conn, account_id, &filter, false, cursor, 0, limit + 1)?;
        let total = Contact::count(conn, account_id, &filter)?;
        Ok::<_, DbError>((contacts, total))
    })
    .await?;
    let more = contacts.len() as i64 > limit;
    let page: Vec<Contact> = contacts.into_iter().take(limit as usize).collect();
    let last = page
        .last()
        .map(|c| (c.id.to_string(), c.date_added.timestamp_millis()));
    let next_page_url = match (&last, more) {
        (Some((id, ms)), true) => Some(format!(
            "{}{base}/contacts/?locationId={}&limit={limit}&startAfterId={id}&startAfter={ms}",
            caller.public_url, caller.account.id
        )),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(ContactList {
        count: total,
        meta: ListMeta {
            total,
            start_after_id: last.as_ref().map(|(id, _)| id.clone()),
            start_after: last.as_ref().map(|(_, ms)| *ms),
            next_page_url,
        },
        contacts: page.into_iter().map(ContactOut::from).collect(),
    }))
}

// ---------------------------------------------------------------- search

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchBody {
    location_id: Option<String>,
    query: Option<String>,
    /// 1 to 500, default 20.
    page_limit: Option<i64>,
    /// 1-based page number, when `searchAfter` is not given.
    page: Option<i64>,
    /// The `searchAfter` of the last contact of the previous page.
    #[schema(value_type = Option<Vec<Object>>)]
    search_after: Option<Vec<serde_json::Value>>,
    filters: Option<Vec<SearchFilter>>,
    sort: Option<Vec<SearchSort>>,
}

/// Supported: `email` `eq`, `tags` `contains`, `dateAdded` `range`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchFilter {
    field: String,
    operator: String,
    #[schema(value_type = Object)]
    value: serde_json::Value,
}

/// Supported: `dateAdded`, `asc` or `desc`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSort {
    field: String,
    direction: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    contacts: Vec<ContactOut>,
    total: i64,
}

fn unprocessable(msg: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![msg.into()])
}

/// An ISO 8601 date or date-time, or epoch milliseconds.
fn parse_instant(v: &serde_json::Value, what: &str) -> Result<DateTime<Utc>, ApiError> {
    let bad = || {
        unprocessable(format!(
            "{what} must be an ISO 8601 date or epoch milliseconds"
        ))
    };
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(bad),
        serde_json::Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            })
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn build_filter(body: &SearchBody) -> Result<ContactFilter, ApiError> {
    let mut filter = ContactFilter {
        query: body.query.clone(),
        ..ContactFilter::default()
    };
    for (i, f) in body.filters.iter().flatten().enumerate() {
        match (f.field.as_str(), f.operator.as_str()) {
            ("email", "eq") => {
                let email = f
                    .value
                    .as_str()
                    .ok_or_else(|| unprocessable(format!("filters[{i}].value must be a string")))?;
                filter.email = Some(email.trim().to_lowercase());
            }
            ("tags", "contains") => {
                let tags: Vec<String> = match &f.value {
                    serde_json::Value::String(s) => vec![s.trim().to_string()],
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|t| t.as_str().map(|t| t.trim().to_string()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            unprocessable(format!("filters[{i}].value must be a string or strings"))
                        })?,
                    _ => {
                        return Err(unprocessable(format!(
                            "filters[{i}].value must be a string or strings"
                        )));
                    }
                };
                filter.tags.get_or_insert_with(Vec::new).extend(tags);
            }
            ("dateAdded", "range") => {
                let obj = f.value.as_object().ok_or_else(|| {
                    unprocessable(format!("filters[{i}].value must be {{\"gte\", \"lte\"}}"))
                })?;
                if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "gte" | "lte")) {
                    return Err(unprocessable(format!(
                        "filters[{i}].value.{k} is not supported (use gte, lte)"
                    )));
                }
                if let Some(v) = obj.get("gte") {
                    filter.added_from = Some(parse_instant(v, &format!("filters[{i}].value.gte"))?);
                }
                if let Some(v) = obj.get("lte") {
                    filter.added_to = Some(parse_instant(v, &format!("filters[{i}].value.lte"))?);
                }
            }
            (field, op) => {
                return Err(unprocessable(format!(
                    "filters[{i}]: field {field:?} with operator {op:?} is not supported (email eq, tags contains, dateAdded range)"
                )));
            }
        }
    }
    Ok(filter)
}

fn search_cursor(values: &[serde_json::Value]) -> Result<Cursor, ApiError> {
    let bad =
        || unprocessable("searchAfter must be the searchAfter of a contact from the previous page");
    match values {
        [ms, id] => Ok(Cursor {
            date_added: ms
                .as_i64()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                .ok_or_else(bad)?,
            id: id
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(bad)?,
        }),
        _ => Err(bad()),
    }
}

/// Search contacts with filters, sorting and pagination.
#[utoipa::path(post, path = "/v2/contacts/search", tag = "Contacts", request_body = SearchBody,
    responses((status = 200, body = SearchResult), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["contacts.readonly"])))]
pub async fn search_contacts(auth: ApiAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::ContactsReadonly)?;
    let body: SearchBody = parse_json(&body)?;
    let Some(location) = body.location_id.as_deref() else {
        return Err(unprocessable("locationId is required"));
    };
    auth.check_location(location)?;
    let limit = body.page_limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(unprocessable("pageLimit must be from 1 to 500"));
    }
    let page = body.page.unwrap_or(1);
    if page < 1 {
        return Err(unprocessable("page must be 1 or more"));
    }
    let descending = match body.sort.as_deref() {
        None | Some([]) => false,
        Some([s]) if s.field == "dateAdded" && s.direction == "asc" => false,
        Some([s]) if s.field == "dateAdded" && s.direction == "desc" => true,
        Some(_) => {
            return Err(unprocessable(
                "sort supports one entry: field dateAdded, direction asc or desc",
            ));
        }
    };
    let cursor = body
        .search_after
        .as_deref()
        .map(search_cursor)
        .transpose()?;
    let offset = if cursor.is_some() {
        0
    } else {
        (page - 1) * limit
    };
    let filter = build_filter(&body)?;
    let account_id = auth.account.id;
    let (contacts, total) = db::run(&auth.pool, move |conn| {
        let contacts = Contact::page(conn, account_id, &filter, descending, cursor, offset, limit)?;
        let total = Contact::count(conn, account_id, &filter)?;
        Ok::<_, DbError>((contacts, total))
    })
    .await?;
    let contacts = contacts
        .into_iter()
        .map(|c| {
            let after = (c.date_added.timestamp_millis(), c.id.to_string());
            let mut out = ContactOut::from(c);
            out.search_after = Some(after);
            out
        })
        .collect();
    Ok(HttpResponse::Ok().json(SearchResult { contacts, total }))
}
