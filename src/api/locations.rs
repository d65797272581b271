//! `GET /locations/{locationId}`: the account, as HighLevel's "location".

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::error::ApiError;
use super::rfc3339;
use super::routes::{ApiRoute, api_route};
use crate::domain::scope::Scope;

/// The location route and the scope it needs (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[api_route!(
    GET "/locations/{locationId}" => get_location, Scope::LocationsReadonly
)];

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationOut {
    id: String,
    /// Our account is both the location and its company.
    company_id: String,
    name: String,
    date_added: String,
}

#[derive(Serialize, ToSchema)]
pub struct LocationEnvelope {
    location: LocationOut,
}

/// Get the location (the token's account).
#[utoipa::path(get, path = "/v2/locations/{locationId}", tag = "Locations",
    params(("locationId" = String, Path, description = "The account's id")),
    responses((status = 200, body = LocationEnvelope), (status = 403, body = super::error::ErrorBody)))]
pub async fn get_location(
    auth: ApiAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.check_location(&[("locationId", Some(&path))], LocationId::Required)?;
    let id = auth.account.id.to_string();
    Ok(HttpResponse::Ok().json(LocationEnvelope {
        location: LocationOut {
            company_id: id.clone(),
            id,
            name: auth.account.name.clone(),
            date_added: rfc3339(auth.account.created_at),
        },
    }))
}
