//! The account's users, as HighLevel's users API lists them. Never a
//! password hash.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiAuth;
use super::caller::LocationId;
use super::error::ApiError;
use super::extract::{query_number, reject_nul};
use super::routes::{ApiRoute, api_route};
use crate::db;
use crate::domain::scope::Scope;
use crate::models::User;

/// The users routes and the scope they need (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/users" => list_users, Scope::UsersReadonly),
    api_route!(GET "/users/search" => search_users, Scope::UsersReadonly),
];

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRoles {
    /// Always `account`: users belong to one account.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `admin` for owners and admins, `user` for viewers.
    role: &'static str,
    location_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    id: String,
    name: String,
    email: String,
    roles: UserRoles,
    deleted: bool,
}

impl UserOut {
    fn from_user(u: &User) -> Self {
        let name = u.email.split('@').next().unwrap_or(&u.email).to_string();
        UserOut {
            id: u.id.to_string(),
            name,
            email: u.email.clone(),
            roles: UserRoles {
                kind: "account",
                role: if u.role().can_edit() { "admin" } else { "user" },
                location_ids: vec![u.account_id.to_string()],
            },
            deleted: false,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    users: Vec<UserOut>,
}

#[derive(Serialize, ToSchema)]
pub struct UserSearchResult {
    users: Vec<UserOut>,
    count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    location_id: Option<String>,
}

/// List the location's users.
#[utoipa::path(get, path = "/v2/users/", tag = "Users", params(ListUsersQuery),
    responses((status = 200, body = UserList), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_users(
    auth: ApiAuth,
    query: web::Query<ListUsersQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids = [("locationId", query.location_id.as_deref())];
    reject_nul(&ids)?;
    auth.check_location(&ids, LocationId::Required)?;
    let account_id = auth.account.id;
    let found = db::query(&auth.pool, move |conn| User::of_account(conn, account_id)).await?;
    Ok(HttpResponse::Ok().json(UserList {
        users: found.iter().map(UserOut::from_user).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchUsersQuery {
    /// The account's id; this or `locationId` is required.
    company_id: Option<String>,
    location_id: Option<String>,
    /// Matches the email address.
    query: Option<String>,
    /// Users to skip, default 0.
    skip: Option<String>,
    /// 1 to 100, default 25.
    limit: Option<String>,
}

/// Search the account's users.
#[utoipa::path(get, path = "/v2/users/search", tag = "Users", params(SearchUsersQuery),
    responses((status = 200, body = UserSearchResult), (status = 403, body = super::error::ErrorBody)))]
pub async fn search_users(
    auth: ApiAuth,
    query: web::Query<SearchUsersQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let ids = [
        ("companyId", q.company_id.as_deref()),
        ("locationId", q.location_id.as_deref()),
    ];
    reject_nul(ids.iter().chain(&[
        ("query", q.query.as_deref()),
        ("skip", q.skip.as_deref()),
        ("limit", q.limit.as_deref()),
    ]))?;
    auth.check_location(&ids, LocationId::Required)?;
    let skip = query_number("skip", q.skip.as_deref(), 0, 0, i64::from(i32::MAX))?;
    let limit = query_number("limit", q.limit.as_deref(), 25, 1, 100)?;
    let text = q
        .query
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    let account_id = auth.account.id;
    let (found, count) = db::query(&auth.pool, move |conn| {
        User::search_in_account(conn, account_id, text.as_deref(), skip, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserSearchResult {
        users: found.iter().map(UserOut::from_user).collect(),
        count,
    }))
}
