//! `GET /contacts/search/duplicate`: the contact an upsert with this email
//! or phone would update, so an app can ask before it writes.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::contact_fields::ContactOut;
use super::error::ApiError;
use super::extract::{given, reject_nul};
use super::routes::{ApiRoute, api_route};
use crate::db;
use crate::domain::contact::phone_digits;
use crate::domain::scope::Scope;
use crate::models::contact::Contact;

pub const ROUTES: &[ApiRoute] = &[api_route!(
    GET "/contacts/search/duplicate" => find_duplicate,
    Scope::ContactsReadonly
)];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DuplicateQuery {
    /// The account's id.
    #[param(required)]
    location_id: Option<String>,
    /// Matched in any case; looked for first.
    email: Option<String>,
    /// Matched by its digits (URL-encode a leading `+` as `%2B`, or leave it out).
    number: Option<String>,
}

/// The matching contact, or an empty object when none matches.
#[derive(Serialize, ToSchema)]
pub struct DuplicateResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<ContactOut>,
}

/// Find the contact with this email (any case), else this phone number.
#[utoipa::path(get, path = "/v2/contacts/search/duplicate", tag = "Contacts", params(DuplicateQuery),
    responses((status = 200, description = "The matching contact, or {} when none matches", body = DuplicateResult), (status = 403, description = "locationId is not the token's account", body = super::error::ErrorBody), (status = 422, description = "A field is missing or invalid; message lists each", body = super::error::ErrorBody)))]
pub async fn find_duplicate(
    auth: ApiAuth,
    query: web::Query<DuplicateQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids = [("locationId", query.location_id.as_deref())];
    reject_nul(ids.iter().chain(&[
        ("email", query.email.as_deref()),
        ("number", query.number.as_deref()),
    ]))?;
    auth.check_location(&ids, LocationId::Required)?;
    let email = given(query.email.as_deref()).map(str::to_lowercase);
    let digits = given(query.number.as_deref())
        .map(phone_digits)
        .filter(|d| !d.is_empty());
    // Nothing to match by matches nothing, as an upsert without either
    // would create a contact.
    if email.is_none() && digits.is_none() {
        return Ok(HttpResponse::Ok().json(DuplicateResult { contact: None }));
    }
    let account_id = auth.account.id;
    let found = db::query(&auth.pool, move |conn| {
        Contact::find_match(conn, account_id, email.as_deref(), digits.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(DuplicateResult {
        contact: found.map(ContactOut::from),
    }))
}
