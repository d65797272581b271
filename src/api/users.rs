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
use crate::models::user::{Role, UserSearch, UserSort};
use uuid::Uuid;

/// The users routes and the scope they need (see [`super::routes`]).
pub const ROUTES: &[ApiRoute] = &[
    api_route!(GET "/users" => list_users, Scope::UsersReadonly),
    api_route!(GET "/users/search" => search_users, Scope::UsersReadonly),
    api_route!(GET "/users/{userId}" => get_user, Scope::UsersReadonly),
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
    /// The account's id.
    #[param(required)]
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
    /// The account's id; required, as in HighLevel's document.
    #[param(required)]
    company_id: Option<String>,
    location_id: Option<String>,
    /// Matches the email address.
    query: Option<String>,
    /// Users to skip, default 0.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 2147483647)]
    skip: Option<String>,
    /// 1 to 100, default 25.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Comma-separated user ids: only these users.
    ids: Option<String>,
    /// `admin` (owners and admins) or `user` (viewers).
    #[param(pattern = "^(admin|user)$")]
    role: Option<String>,
    /// `account` (every user here) or `agency` (none: there are no agency users).
    #[serde(rename = "type")]
    #[param(rename = "type", pattern = "^(account|agency)$")]
    kind: Option<String>,
    /// `dateAdded` (default) or `email`.
    #[param(pattern = "^(dateAdded|email)$")]
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[param(pattern = "^(asc|desc)$")]
    sort_direction: Option<String>,
    /// No user here syncs calendars two ways, so `true` matches nobody.
    #[serde(rename = "enabled2waySync")]
    #[param(rename = "enabled2waySync", value_type = Option<bool>)]
    enabled_2way_sync: Option<String>,
}

/// Admins in HighLevel's terms are our owners and admins; users are viewers.
const ADMIN_ROLES: &[Role] = &[Role::Owner, Role::Admin];
const USER_ROLES: &[Role] = &[Role::Viewer];

/// `value` as one of `allowed` exactly, or a 422 naming the parameter (an
/// empty value too: the document lists the words, not "").
fn one_of<'a>(
    name: &str,
    value: Option<&'a str>,
    allowed: &[&'a str],
) -> Result<Option<&'a str>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .map(|a| Some(*a))
            .ok_or_else(|| {
                ApiError::unprocessable(format!("{name} must be one of: {}", allowed.join(", ")))
            }),
    }
}

/// Search the account's users.
#[utoipa::path(get, path = "/v2/users/search", tag = "Users", params(SearchUsersQuery),
    responses((status = 200, body = UserSearchResult), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
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
        ("ids", q.ids.as_deref()),
        ("role", q.role.as_deref()),
        ("type", q.kind.as_deref()),
        ("sort", q.sort.as_deref()),
        ("sortDirection", q.sort_direction.as_deref()),
        ("enabled2waySync", q.enabled_2way_sync.as_deref()),
    ]))?;
    // Another account named anywhere is a 403 first; then `companyId` must
    // be there, as HighLevel's document (and so ours) requires.
    auth.check_location(&ids, LocationId::Optional)?;
    auth.check_location(&ids[..1], LocationId::Required)?;
    let skip = query_number("skip", q.skip.as_deref(), 0, 0, i64::from(i32::MAX))?;
    let limit = query_number("limit", q.limit.as_deref(), 25, 1, 100)?;
    let roles = match one_of("role", q.role.as_deref(), &["admin", "user"])? {
        Some("admin") => Some(ADMIN_ROLES),
        Some(_) => Some(USER_ROLES),
        None => None,
    };
    let agency = one_of("type", q.kind.as_deref(), &["account", "agency"])? == Some("agency");
    let sort = match one_of("sort", q.sort.as_deref(), &["dateAdded", "email"])? {
        Some("email") => UserSort::Email,
        _ => UserSort::DateAdded,
    };
    let descending = one_of(
        "sortDirection",
        q.sort_direction.as_deref(),
        &["asc", "desc"],
    )? == Some("desc");
    let two_way = one_of(
        "enabled2waySync",
        q.enabled_2way_sync.as_deref(),
        &["true", "false"],
    )? == Some("true");
    if q.ids.as_deref().is_some_and(|v| v.len() > 10_000) {
        return Err(ApiError::unprocessable(
            "ids must be at most 10000 characters",
        ));
    }
    // HighLevel's ids are not UUIDs; one that is not ours matches nobody.
    let wanted = q.ids.as_deref().map(|list| {
        list.split(',')
            .filter_map(|id| Uuid::parse_str(id.trim()).ok())
            .collect::<Vec<_>>()
    });
    let text = q
        .query
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    if agency || two_way {
        return Ok(HttpResponse::Ok().json(UserSearchResult {
            users: Vec::new(),
            count: 0,
        }));
    }
    let account_id = auth.account.id;
    let (found, count) = db::query(&auth.pool, move |conn| {
        let search = UserSearch {
            text: text.as_deref(),
            ids: wanted,
            roles,
            sort,
            descending,
            skip,
            limit,
        };
        User::search_in_account(conn, account_id, &search)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserSearchResult {
        users: found.iter().map(UserOut::from_user).collect(),
        count,
    }))
}

/// Get one of the account's users.
#[utoipa::path(get, path = "/v2/users/{userId}", tag = "Users",
    params(("userId" = String, Path, description = "User id")),
    responses((status = 200, body = UserOut), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_user(auth: ApiAuth, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("User not found".into());
    let id = Uuid::parse_str(path.trim()).map_err(|_| not_found())?;
    let account_id = auth.account.id;
    let user = db::query(&auth.pool, move |conn| {
        User::find_in_account(conn, account_id, id)
    })
    .await
    .map_err(|e| {
        if e.is_not_found() {
            not_found()
        } else {
            e.into()
        }
    })?;
    Ok(HttpResponse::Ok().json(UserOut::from_user(&user)))
}
