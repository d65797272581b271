//! The API's route tables: each route states its path, method, handler and
//! the scope a token needs once, beside its handler and OpenAPI entry. From
//! them the paths are registered (with and without a trailing slash), the
//! token extractor learns which scope to check, and the OpenAPI document
//! which scope each operation needs.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, Route, web};

use super::caller::{self, LocationId};
use super::error::ApiError;
use super::{
    contact_search, contact_tags, contacts, custom_fields, duplicate, location_tags, locations,
    notes, openapi, token, upsert, users,
};
use crate::domain::scope::Scope;

/// One route of the API.
pub struct ApiRoute {
    pub method: Method,
    /// Under `/v2` (or `/v1`), without the trailing slash; served with and
    /// without it.
    pub path: &'static str,
    /// The scope a token needs; `None`: any live token (or API v1 key).
    pub scope: Option<Scope>,
    /// The handler, as a route without its method guard.
    handler: fn() -> Route,
}

impl ApiRoute {
    pub const fn new(
        method: Method,
        path: &'static str,
        scope: Option<Scope>,
        handler: fn() -> Route,
    ) -> ApiRoute {
        ApiRoute {
            method,
            path,
            scope,
            handler,
        }
    }
}

/// An [`ApiRoute`]: `api_route!(GET "/contacts/{contactId}" => get_contact,
/// Scope::ContactsReadonly)`, or `no_scope` in place of the scope.
macro_rules! api_route {
    ($method:ident $path:literal => $handler:path, no_scope) => {
        $crate::api::routes::ApiRoute::new(::actix_web::http::Method::$method, $path, None, || {
            ::actix_web::web::route().to($handler)
        })
    };
    ($method:ident $path:literal => $handler:path, $scope:expr) => {
        $crate::api::routes::ApiRoute::new(
            ::actix_web::http::Method::$method,
            $path,
            Some($scope),
            || ::actix_web::web::route().to($handler),
        )
    };
}
pub(crate) use api_route;

/// Every API v2 route, resource by resource.
pub fn all() -> impl Iterator<Item = &'static ApiRoute> + Clone {
    [
        token::ROUTES,
        contacts::ROUTES,
        contact_search::ROUTES,
        upsert::ROUTES,
        duplicate::ROUTES,
        contact_tags::ROUTES,
        notes::ROUTES,
        locations::ROUTES,
        custom_fields::ROUTES,
        location_tags::ROUTES,
        users::ROUTES,
    ]
    .into_iter()
    .flatten()
}

/// The methods of one path with the scope each needs and the query
/// parameters each takes, kept with the path's resource for the token
/// extractor; and the path as the usage log names it, made once rather
/// than for every request.
struct PathScopes(Vec<(Method, Option<Scope>, &'static [String])>, Arc<str>);

/// Registers API v2's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    register(cfg, "/v2", all());
}

/// One resource per path and spelling, its methods as routes: a path takes
/// the request whatever the method, so a method it does not serve is a 405
/// with `Allow`, and `/contacts/search` is never looked up as a contact id.
/// (One resource with both spellings would be matched by a set of regular
/// expressions on every request, even for a path without a parameter.)
/// `scope` is the path of the scope they are registered in, for the usage
/// log's names of the routes.
pub fn register<T>(cfg: &mut web::ServiceConfig, scope: &str, table: T)
where
    T: Iterator<Item = &'static ApiRoute> + Clone,
{
    let mut paths: Vec<&'static str> = Vec::new();
    for route in table.clone() {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    // The first resource whose pattern matches takes the request, so a
    // literal segment must come before a parameter that would match it.
    paths.sort_by_key(|path| path.contains('{'));
    for path in paths {
        let routes: Vec<&ApiRoute> = table.clone().filter(|r| r.path == path).collect();
        let logged: Arc<str> = Arc::from(format!("{scope}{path}"));
        for spelling in [path.to_string(), format!("{path}/")] {
            let scopes = routes
                .iter()
                .map(|r| (r.method.clone(), r.scope, query_names(r)))
                .collect();
            let mut resource = web::resource(spelling).app_data(PathScopes(scopes, logged.clone()));
            for route in &routes {
                resource = resource.route((route.handler)().method(route.method.clone()));
            }
            cfg.service(resource);
        }
    }
}

/// The query parameters the OpenAPI document declares for `route`.
fn query_names(route: &ApiRoute) -> &'static [String] {
    openapi::query_parameters()
        .get(&(route.method.clone(), route.path.to_string()))
        .map_or(&[], Vec::as_slice)
}

/// What a request's query string says that the token extractor weighs
/// once it knows the caller: the first parameter its route does not take,
/// and every account id it names.
#[derive(Debug, Default)]
pub struct QueryFacts {
    pub unknown: Option<String>,
    /// `(parameter, value)` of each `locationId` or `companyId`.
    pub accounts: Vec<(&'static str, String)>,
}

impl QueryFacts {
    /// The refusal the facts call for once the caller's account is known:
    /// another account named (403), then a parameter the route does not
    /// take (422).
    pub fn check(&self, account: uuid::Uuid) -> Result<(), ApiError> {
        // A NUL is an invalid value wherever it is (422), not another account.
        if let Some((field, _)) = self.accounts.iter().find(|(_, id)| id.contains('\0')) {
            return Err(ApiError::unprocessable(format!(
                "{field} must not contain a NUL character"
            )));
        }
        let given: Vec<(&str, Option<&str>)> = self
            .accounts
            .iter()
            .map(|(field, id)| (*field, Some(id.as_str())))
            .collect();
        caller::check(account, &given, LocationId::Optional)?;
        match &self.unknown {
            Some(name) => Err(ApiError::unprocessable(format!(
                "property {name} should not exist"
            ))),
            None => Ok(()),
        }
    }
}

/// Reads the request's query string against its route's parameters.
pub fn query_facts(req: &HttpRequest) -> QueryFacts {
    let query = req.query_string();
    let mut facts = QueryFacts::default();
    if query.is_empty() {
        return facts;
    }
    let declared = req
        .app_data::<PathScopes>()
        .and_then(|PathScopes(methods, _)| methods.iter().find(|(m, _, _)| m == req.method()))
        .map(|(_, _, names)| *names);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        // An account id may be named on any route (SDKs add it freely); it
        // must name the caller's account.
        if let Some(field) = ["locationId", "companyId"].into_iter().find(|f| *f == name) {
            facts.accounts.push((field, value.into_owned()));
            continue;
        }
        let taken = declared.is_some_and(|names| names.iter().any(|n| *n == name));
        if !taken && facts.unknown.is_none() {
            facts.unknown = Some(name.into_owned());
        }
    }
    facts
}

/// The scope the request's route needs (`None`: any live token). A
/// handler the table does not list is refused rather than left unchecked.
pub fn required_scope(req: &HttpRequest) -> Result<Option<Scope>, ApiError> {
    req.app_data::<PathScopes>()
        .and_then(|PathScopes(methods, _)| methods.iter().find(|(m, _, _)| m == req.method()))
        .map(|(_, scope, _)| *scope)
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "{} {} is not in the API route table",
                req.method(),
                req.path()
            ))
        })
}

/// The route pattern of the request, as the usage log names it, when the
/// request reached one of the table's routes.
pub fn logged_route(req: &HttpRequest) -> Option<Arc<str>> {
    req.app_data::<PathScopes>().map(|scopes| scopes.1.clone())
}

/// The route serving `method` on `path` as the OpenAPI document spells it
/// (`/v2/contacts/`).
pub fn find(path: &str, method: &Method) -> Option<&'static ApiRoute> {
    let path = path.strip_prefix("/v2").unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    all().find(|r| r.path == path && r.method == *method)
}
