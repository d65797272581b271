//! Listing (`GET /contacts/`, keyset pages by `startAfterId`) and search
//! (`POST /contacts/search`, filters, sort, `searchAfter` or page numbers).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::ApiAuth;
use super::caller::{Caller, LocationId};
use super::contact_fields::ContactOut;
use super::error::ApiError;
use super::extract::{in_supported_years, parse_json, query_number, reject_nul, whole_number};
use super::routes::{ApiRoute, api_route};
use crate::db;
use crate::domain::contact::normalize_tag;
use crate::domain::scope::Scope;
use crate::models::contact::{Contact, ContactFilter, Cursor};

/// Listing and search, with the scope each needs (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/contacts" => list_contacts, Scope::ContactsReadonly),
    api_route!(POST "/contacts/search" => search_contacts, Scope::ContactsReadonly),
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The account's id.
    #[param(required)]
    location_id: Option<String>,
    /// Matches name, email, phone or company.
    query: Option<String>,
    /// 1 to 100, default 20.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Id of the last contact of the previous page.
    #[param(value_type = Option<String>, format = Uuid)]
    start_after_id: Option<String>,
    /// `dateAdded` (epoch milliseconds) of the last contact of the previous page.
    #[param(value_type = Option<i64>, minimum = -62135596800000i64, maximum = 253402300799999i64)]
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
    responses((status = 200, body = ContactList), (status = 422, body = super::error::ErrorBody)))]
pub async fn list_contacts(
    auth: ApiAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    list_for(&auth, query.into_inner(), "/v2", LocationId::Required).await
}

/// Epoch milliseconds as a time the database can compare with, if the
/// time falls in years 0001 to 9999.
fn epoch_millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .filter(|t| in_supported_years(*t))
}

/// Lists `caller`'s contacts; API v1 keys may leave out `locationId`.
pub(crate) async fn list_for(
    caller: &Caller,
    q: ListQuery,
    base: &str,
    location: LocationId,
) -> Result<HttpResponse, ApiError> {
    let ids = [("locationId", q.location_id.as_deref())];
    reject_nul(ids.iter().chain(&[
        ("query", q.query.as_deref()),
        ("limit", q.limit.as_deref()),
        ("startAfterId", q.start_after_id.as_deref()),
        ("startAfter", q.start_after.as_deref()),
    ]))?;
    caller.check_location(&ids, location)?;
    let limit = query_number("limit", q.limit.as_deref(), 20, 1, 100)?;
    // Taken only as written: an empty or padded cursor is not one.
    let start_after = q
        .start_after
        .as_deref()
        .map(|s| {
            s.parse::<i64>().ok().and_then(epoch_millis).ok_or_else(|| {
                ApiError::unprocessable(
                    "startAfter must be epoch milliseconds of a time in years 0001 to 9999",
                )
            })
        })
        .transpose()?;
    let start_after_id = q
        .start_after_id
        .as_deref()
        .map(|s| {
            Uuid::parse_str(s)
                .map_err(|_| ApiError::unprocessable("startAfterId is not a contact id"))
        })
        .transpose()?;
    let filter = ContactFilter {
        query: q.query.clone(),
        ..ContactFilter::default()
    };
    let account_id = caller.account.id;
    let (contacts, total) = db::query(&caller.pool, move |conn| {
        let cursor = match (start_after_id, start_after) {
            // The id alone is enough: its own dateAdded places it exactly.
            (Some(id), _) => Contact::cursor_of(conn, account_id, id)?
                .or_else(|| start_after.map(|t| Cursor { date_added: t, id })),
            (None, Some(t)) => Some(Cursor {
                date_added: t,
                id: Uuid::max(),
            }),
            (None, None) => None,
        };
        let contacts = Contact::page(conn, account_id, &filter, false, cursor, 0, limit + 1)?;
        let total = Contact::count(conn, account_id, &filter)?;
        Ok((contacts, total))
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
            caller.public_url(),
            caller.account.id
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
    #[schema(required = true, nullable = false)]
    location_id: Option<String>,
    query: Option<String>,
    /// 1 to 500, default 20.
    #[schema(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "whole_number")]
    page_limit: Option<i64>,
    /// 1-based page number, when `searchAfter` is not given.
    #[schema(minimum = 1, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "whole_number")]
    page: Option<i64>,
    /// The `searchAfter` of the last contact of the previous page.
    #[schema(schema_with = super::openapi::search_after_schema)]
    search_after: Option<Vec<serde_json::Value>>,
    #[serde(default, deserialize_with = "crate::domain::json::objects")]
    #[schema(schema_with = super::openapi::search_filters_schema)]
    filters: Option<Vec<SearchFilter>>,
    #[serde(default, deserialize_with = "crate::domain::json::objects")]
    #[schema(schema_with = super::openapi::search_sort_schema)]
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

/// Deep offsets are slow and never needed: `searchAfter` goes further. With
/// at most 500 a page, the offset stays far inside the range of an `i64`.
const MAX_PAGE: i64 = 1_000_000;

/// An ISO 8601 date or date-time, or epoch milliseconds.
fn parse_instant(v: &serde_json::Value, what: &str) -> Result<DateTime<Utc>, ApiError> {
    let bad = || {
        ApiError::unprocessable(format!(
            "{what} must be an ISO 8601 date or epoch milliseconds, in years 0001 to 9999"
        ))
    };
    match v {
        serde_json::Value::Number(_) => whole(v).and_then(epoch_millis).ok_or_else(bad),
        serde_json::Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            })
            .ok()
            .filter(|t| in_supported_years(*t))
            .ok_or_else(bad),
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
                let email = f.value.as_str().ok_or_else(|| {
                    ApiError::unprocessable(format!("filters[{i}].value must be a string"))
                })?;
                filter.email = Some(email.trim().to_lowercase());
            }
            ("tags", "contains") => {
                let tags: Vec<String> = match &f.value {
                    // Tags are stored as `normalize_tag` makes them, so
                    // `VIP` finds a contact tagged "vip".
                    serde_json::Value::String(s) => vec![normalize_tag(s)],
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|t| t.as_str().map(normalize_tag))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            ApiError::unprocessable(format!(
                                "filters[{i}].value must be a string or strings"
                            ))
                        })?,
                    _ => {
                        return Err(ApiError::unprocessable(format!(
                            "filters[{i}].value must be a string or strings"
                        )));
                    }
                };
                filter.tags.get_or_insert_with(Vec::new).extend(tags);
            }
            ("dateAdded", "range") => {
                let obj = f.value.as_object().ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "filters[{i}].value must be {{\"gte\", \"lte\"}}"
                    ))
                })?;
                if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "gte" | "lte")) {
                    return Err(ApiError::unprocessable(format!(
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
                return Err(ApiError::unprocessable(format!(
                    "filters[{i}]: field {field:?} with operator {op:?} is not supported (email eq, tags contains, dateAdded range)"
                )));
            }
        }
    }
    Ok(filter)
}

/// An integer, written as one or with a zero fraction (`5872.0`), as JSON
/// Schema's `integer` reads it.
fn whole(v: &serde_json::Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        let f = v.as_f64()?;
        // Within ±2^53 every whole f64 converts exactly.
        (f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0).then_some(f as i64)
    })
}

fn search_cursor(values: &[serde_json::Value]) -> Result<Cursor, ApiError> {
    let bad = || {
        ApiError::unprocessable(
            "searchAfter must be the searchAfter of a contact from the previous page",
        )
    };
    match values {
        [ms, id] => Ok(Cursor {
            date_added: whole(ms).and_then(epoch_millis).ok_or_else(bad)?,
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
    responses((status = 200, body = SearchResult), (status = 413, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn search_contacts(auth: ApiAuth, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let body: SearchBody = parse_json(&body)?;
    auth.check_location(
        &[("locationId", body.location_id.as_deref())],
        LocationId::Required,
    )?;
    let limit = body.page_limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::unprocessable("pageLimit must be from 1 to 500"));
    }
    let page = body.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::unprocessable(format!(
            "page must be from 1 to {MAX_PAGE} (use searchAfter to go further)"
        )));
    }
    let descending = match body.sort.as_deref() {
        None | Some([]) => false,
        Some([s]) if s.field == "dateAdded" && s.direction == "asc" => false,
        Some([s]) if s.field == "dateAdded" && s.direction == "desc" => true,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "sort supports one entry: field dateAdded, direction asc or desc",
            ));
        }
    };
    let cursor = body
        .search_after
        .as_deref()
        .map(search_cursor)
        .transpose()?;
    // Both factors are bounded above, so this cannot overflow.
    let offset = if cursor.is_some() {
        0
    } else {
        (page - 1) * limit
    };
    let filter = build_filter(&body)?;
    let account_id = auth.account.id;
    let (contacts, total) = db::query(&auth.pool, move |conn| {
        let contacts = Contact::page(conn, account_id, &filter, descending, cursor, offset, limit)?;
        let total = Contact::count(conn, account_id, &filter)?;
        Ok((contacts, total))
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
