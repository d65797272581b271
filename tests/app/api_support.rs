//! Shared steps for the API v2 tests: calling a route with a token,
//! checking HighLevel's error shape, the `RateLimit-*` headers and that no
//! body holds a `null`, editing an integration, and seeding contacts
//! straight into the database.

use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Browser, Reply, TestApp, assert_succeeded, excerpt, spawn_app};
use crate::integration_support::{create_with_token, integration_path, json, texts, token_info};

/// Every scope of the catalogue (SPEC §5).
pub const ALL_SCOPES: [&str; 8] = [
    "contacts.readonly",
    "contacts.write",
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "locations/tags.readonly",
    "locations/tags.write",
    "users.readonly",
];

/// What an API call sends in `Authorization`.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Raw(&'a HeaderValue),
}

/// One API request: `body` is sent as given with `Content-Type:
/// application/json` (also when it is empty, as some SDKs do on GET).
pub async fn send(
    client: &Browser,
    auth: Auth<'_>,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> Reply {
    let mut request = client.client.request(method, client.url(path));
    request = match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Raw(value) => request.header("Authorization", value.clone()),
    };
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    client.send(request).await
}

/// A token and a cookie-less client to call the API with it.
pub struct Api {
    pub client: Browser,
    pub token: String,
}

impl Api {
    pub fn new(app: &TestApp, token: &str) -> Api {
        Api {
            client: app.new_client(),
            token: token.to_string(),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string);
        send(
            &self.client,
            Auth::Bearer(&self.token),
            method,
            path,
            body.as_deref(),
        )
        .await
    }

    pub async fn raw(&self, method: Method, path: &str, body: &str) -> Reply {
        send(
            &self.client,
            Auth::Bearer(&self.token),
            method,
            path,
            Some(body),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }
}

/// Fails at the first `null` anywhere in `value`, naming its path.
#[track_caller]
pub fn assert_no_nulls(what: &str, value: &Value) {
    fn walk(value: &Value, path: &str, found: &mut Vec<String>) {
        match value {
            Value::Null => found.push(path.to_string()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), found);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, &format!("{path}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, "$", &mut found);
    assert!(found.is_empty(), "{what}: null at {found:?} in {value}");
}

/// `RateLimit-Limit`, `-Remaining` and `-Reset`, as numbers.
#[track_caller]
pub fn rate_headers(what: &str, reply: &Reply) -> (u64, u64, u64) {
    let number = |name: &str| {
        reply
            .header(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{what}: header {name} missing or not a number ({}): {:?}",
                    reply.status, reply.headers
                )
            })
    };
    (
        number("ratelimit-limit"),
        number("ratelimit-remaining"),
        number("ratelimit-reset"),
    )
}

/// Asserts `status`, a JSON body without `null`, and the rate-limit
/// headers; returns the body.
#[track_caller]
pub fn ok_json(what: &str, reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{what}: {}", excerpt(&reply.body));
    let body = json(reply);
    assert!(
        body.is_object(),
        "{what}: the body is not an object: {body}"
    );
    assert_no_nulls(what, &body);
    rate_headers(what, reply);
    body
}

/// Asserts HighLevel's error body `{"statusCode","message","error"}` with
/// `status` (and the rate-limit headers); returns the body.
#[track_caller]
pub fn assert_error(what: &str, reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{what}: {}", excerpt(&reply.body));
    let body = json(reply);
    assert_eq!(body["statusCode"], status.as_u16(), "{what}: {body}");
    assert_eq!(
        body["error"].as_str(),
        status.canonical_reason(),
        "{what}: {body}"
    );
    let message_ok = match &body["message"] {
        Value::String(m) => !m.is_empty(),
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
        _ => false,
    };
    assert!(message_ok, "{what}: message {body}");
    assert_no_nulls(what, &body);
    rate_headers(what, reply);
    body
}

/// Asserts the 403 for a token lacking `scope`: RFC 6750 header and the
/// scope named in `message`.
#[track_caller]
pub fn assert_missing_scope(what: &str, reply: &Reply, scope: &str) {
    let body = assert_error(what, reply, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            format!(r#"Bearer realm="api", error="insufficient_scope", scope="{scope}""#).as_str()
        ),
        "{what}"
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(scope), "{what}: message {message:?}");
}

/// Asserts a 422 whose `message` is a list of strings, one naming `field`.
#[track_caller]
pub fn assert_names_field(what: &str, reply: &Reply, field: &str) {
    let body = assert_error(what, reply, StatusCode::UNPROCESSABLE_ENTITY);
    let messages = body["message"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: 422 message is not a list: {body}"));
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.contains(field))),
        "{what}: no message names {field}: {body}"
    );
}

/// The account id (`locationId`) a token belongs to.
pub async fn location_of(app: &TestApp, token: &str) -> String {
    let info = token_info(app, token).await;
    info["locationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no locationId: {info}"))
        .to_string()
}

/// Inserts a contact for `account` directly; its id.
pub fn insert_contact(app: &TestApp, account: &str, first_name: &str) -> String {
    let ids = texts(
        app,
        &format!(
            "INSERT INTO contacts (account_id, first_name, name, email) \
             VALUES ('{account}', '{first_name}', '{first_name}', \
             lower('{first_name}') || '@example.com') RETURNING id::text AS s"
        ),
    );
    ids.into_iter().next().expect("an inserted id")
}

/// A second account with its own admin, signed in in a browser of its own.
pub async fn second_account(app: &TestApp) -> Browser {
    let (email, password) = ("other@example.com", "a long password 123");
    assert_succeeded(
        "create-admin",
        &app.create_admin("Other Co", email, password).await,
    );
    let other = app.new_client();
    other
        .login(email, password)
        .await
        .assert_redirect_to("/settings");
    other
}

/// Submits the edit form of integration `id`.
pub async fn edit_integration(
    browser: &Browser,
    id: &str,
    name: &str,
    scopes: &[&str],
    ip_allowlist: &str,
) -> Reply {
    let mut fields = vec![
        ("name", name),
        ("description", ""),
        ("ip_allowlist", ip_allowlist),
    ];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    let page = integration_path(id, "/edit");
    browser.submit(&page, &page, &fields).await
}

/// Polls `check` every 50 ms for up to `seconds`; whether it came true.
pub async fn eventually(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if check() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh app with an owner and a token holding every scope:
/// `(app, api, location)`.
pub async fn ready() -> (TestApp, Api, String) {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "CRM sync", &ALL_SCOPES, "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    (app, api, location)
}

/// Creates a contact with `firstName` "Kept"; its path.
pub async fn kept_contact(api: &Api, location: &str) -> String {
    let body = serde_json::json!({"locationId": location, "firstName": "Kept"});
    let reply = api.post("/v2/contacts/", &body).await;
    let id = ok_json("create", &reply, StatusCode::CREATED)["contact"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    format!("/v2/contacts/{id}")
}
