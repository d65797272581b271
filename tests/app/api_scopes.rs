//! Every API v2 route against every scope: a granted scope answers 2xx, a
//! missing one 403 naming it; scope edits in the panel apply at once; and
//! malformed tokens of every shape get 401 on every route, never a 500.

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{
    ALL_SCOPES, Api, Auth, assert_error, assert_missing_scope, edit_integration, insert_contact,
    location_of, ok_json, send,
};
use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};
use crate::integration_support::{api_status, create_with_token, json as json_of};

/// One route of the table: what to send and what success looks like.
struct Route {
    method: Method,
    path: String,
    /// `None`: any token may call it.
    scope: Option<&'static str>,
    body: Option<Value>,
    success: StatusCode,
}

fn route(method: Method, path: String, scope: Option<&'static str>, body: Option<Value>) -> Route {
    // HighLevel answers a new location tag with 200.
    let creates = path == "/v2/contacts/"
        || (path.starts_with("/v2/contacts/") && path.ends_with("/tags"))
        || path.ends_with("/notes")
        || path.ends_with("/customFields");
    let success = if method == Method::POST && creates {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Route {
        method,
        path,
        scope,
        body,
        success,
    }
}

/// The id of the account's first user.
fn owner_id(app: &crate::helpers::TestApp) -> String {
    crate::integration_support::texts(app, "SELECT id::text AS s FROM users LIMIT 1").remove(0)
}

/// A note on `contact`, inserted directly; its id.
fn insert_note(app: &TestApp, location: &str, contact: &str) -> String {
    crate::integration_support::texts(
        app,
        &format!(
            "INSERT INTO contact_notes (account_id, contact_id, body) \
             VALUES ('{location}', '{contact}', 'Scoped') RETURNING id::text AS s"
        ),
    )
    .remove(0)
}

/// A row of the account's custom fields or tags, inserted directly; its id.
fn insert_listed(app: &TestApp, location: &str, table: &str, name: &str) -> String {
    let (columns, values) = if table == "custom_fields" {
        (
            "account_id, name, field_key, data_type",
            format!("'{location}', '{name}', 'contact.{name}', 'TEXT'"),
        )
    } else {
        ("account_id, name", format!("'{location}', '{name}'"))
    };
    crate::integration_support::texts(
        app,
        &format!("INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id::text AS s"),
    )
    .remove(0)
}

/// The account's custom field and tag kept for every route, and one of
/// each the DELETEs may remove.
struct Listed {
    field: String,
    doomed_field: String,
    tag: String,
    doomed_tag: String,
}

/// Every route but self-rotation (which changes the token; tested apart).
/// `doomed` is a contact the DELETE may remove, `note` a note on `contact`
/// its DELETE may remove.
fn routes(
    location: &str,
    contact: &str,
    doomed: &str,
    user: &str,
    note: &str,
    listed: &Listed,
) -> Vec<Route> {
    let read = Some("contacts.readonly");
    let write = Some("contacts.write");
    let fields_read = Some("locations/customFields.readonly");
    let fields_write = Some("locations/customFields.write");
    let tags_read = Some("locations/tags.readonly");
    let tags_write = Some("locations/tags.write");
    let Listed {
        field,
        doomed_field,
        tag,
        doomed_tag,
    } = listed;
    let fields = format!("/v2/locations/{location}/customFields");
    let tags = format!("/v2/locations/{location}/tags");
    vec![
        route(Method::GET, fields.clone(), fields_read, None),
        route(
            Method::POST,
            fields.clone(),
            fields_write,
            Some(json!({"name": "Scoped field", "dataType": "TEXT", "model": "contact"})),
        ),
        route(Method::GET, format!("{fields}/{field}"), fields_read, None),
        route(
            Method::PUT,
            format!("{fields}/{field}"),
            fields_write,
            Some(json!({"name": "Renamed field"})),
        ),
        route(
            Method::DELETE,
            format!("{fields}/{doomed_field}"),
            fields_write,
            None,
        ),
        route(Method::GET, tags.clone(), tags_read, None),
        route(
            Method::POST,
            tags.clone(),
            tags_write,
            Some(json!({"name": "Scoped tag"})),
        ),
        route(Method::GET, format!("{tags}/{tag}"), tags_read, None),
        route(
            Method::PUT,
            format!("{tags}/{tag}"),
            tags_write,
            Some(json!({"name": "kept tag"})),
        ),
        route(
            Method::DELETE,
            format!("{tags}/{doomed_tag}"),
            tags_write,
            None,
        ),
        route(Method::GET, "/v2/token".into(), None, None),
        route(Method::GET, format!("/v2/contacts/{contact}"), read, None),
        route(
            Method::GET,
            format!("/v2/contacts/?locationId={location}&limit=5"),
            read,
            None,
        ),
        route(
            Method::POST,
            "/v2/contacts/search".into(),
            read,
            Some(json!({"locationId": location, "pageLimit": 5})),
        ),
        route(
            Method::POST,
            "/v2/contacts/".into(),
            write,
            Some(json!({"locationId": location, "firstName": "Table"})),
        ),
        route(
            Method::PUT,
            format!("/v2/contacts/{contact}"),
            write,
            Some(json!({"lastName": "Edited"})),
        ),
        route(
            Method::POST,
            format!("/v2/contacts/{contact}/tags"),
            write,
            Some(json!({"tags": ["Scoped"]})),
        ),
        route(
            Method::DELETE,
            format!("/v2/contacts/{contact}/tags"),
            write,
            Some(json!({"tags": ["scoped"]})),
        ),
        route(
            Method::GET,
            format!("/v2/contacts/{contact}/notes"),
            read,
            None,
        ),
        route(
            Method::POST,
            format!("/v2/contacts/{contact}/notes"),
            write,
            Some(json!({"body": "Scoped"})),
        ),
        route(
            Method::GET,
            format!("/v2/contacts/{contact}/notes/{note}"),
            read,
            None,
        ),
        route(
            Method::PUT,
            format!("/v2/contacts/{contact}/notes/{note}"),
            write,
            Some(json!({"pinned": true})),
        ),
        route(
            Method::DELETE,
            format!("/v2/contacts/{contact}/notes/{note}"),
            write,
            None,
        ),
        route(
            Method::GET,
            format!("/v2/contacts/search/duplicate?locationId={location}&email=kept%40example.com"),
            read,
            None,
        ),
        route(
            Method::POST,
            "/v2/contacts/upsert".into(),
            write,
            Some(json!({"locationId": location, "email": "upserted@example.com"})),
        ),
        route(
            Method::DELETE,
            format!("/v2/contacts/{doomed}"),
            write,
            None,
        ),
        route(
            Method::GET,
            format!("/v2/locations/{location}"),
            Some("locations.readonly"),
            None,
        ),
        route(
            Method::GET,
            format!("/v2/users/?locationId={location}"),
            Some("users.readonly"),
            None,
        ),
        route(
            Method::GET,
            format!("/v2/users/search?companyId={location}&limit=10"),
            Some("users.readonly"),
            None,
        ),
        route(
            Method::GET,
            format!("/v2/users/{user}"),
            Some("users.readonly"),
            None,
        ),
    ]
}

/// `path` with its trailing slash (before any query) added or removed.
fn toggle_slash(path: &str) -> String {
    let (base, query) = path
        .split_once('?')
        .map_or((path, None), |(b, q)| (b, Some(q)));
    let base = match base.strip_suffix('/') {
        Some(trimmed) => trimmed.to_string(),
        None => format!("{base}/"),
    };
    query.map_or(base.clone(), |q| format!("{base}?{q}"))
}

/// Sends `route` (in the slash variant asked for); bodiless requests in the
/// toggled variant also carry `Content-Type: application/json`.
async fn call(api: &Api, auth: Auth<'_>, route: &Route, toggled: bool) -> Reply {
    let path = if toggled {
        toggle_slash(&route.path)
    } else {
        route.path.clone()
    };
    let body = match (&route.body, toggled) {
        (Some(body), _) => Some(body.to_string()),
        (None, true) => Some(String::new()),
        (None, false) => None,
    };
    send(
        &api.client,
        auth,
        route.method.clone(),
        &path,
        body.as_deref(),
    )
    .await
}

#[actix_web::test]
async fn every_route_answers_2xx_with_its_scope_and_403_naming_the_scope_without_it() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let mut tokens = Vec::new();
    for scope in ALL_SCOPES {
        let (_, token) = create_with_token(&app, &format!("Only {scope}"), &[scope], "").await;
        tokens.push((scope, token));
    }
    let location = location_of(&app, &tokens[0].1).await;
    let contact = insert_contact(&app, &location, "Kept");
    let field = insert_listed(&app, &location, "custom_fields", "kept");
    let tag = insert_listed(&app, &location, "location_tags", "kept tag");

    for (n, (granted, token)) in tokens.iter().enumerate() {
        let api = Api::new(&app, token);
        for toggled in [false, true] {
            let doomed = insert_contact(&app, &location, "Doomed");
            let note = insert_note(&app, &location, &contact);
            let listed = Listed {
                field: field.clone(),
                doomed_field: insert_listed(
                    &app,
                    &location,
                    "custom_fields",
                    &format!("doomed{n}{toggled}"),
                ),
                tag: tag.clone(),
                doomed_tag: insert_listed(
                    &app,
                    &location,
                    "location_tags",
                    &format!("doomed {n} {toggled}"),
                ),
            };
            for route in routes(
                &location,
                &contact,
                &doomed,
                &owner_id(&app),
                &note,
                &listed,
            ) {
                let what = format!(
                    "{} {} (slash toggled: {toggled}) with only {granted}",
                    route.method, route.path
                );
                let reply = call(&api, Auth::Bearer(token), &route, toggled).await;
                assert!(
                    !reply.status.is_redirection() && !reply.status.is_server_error(),
                    "{what}: {}",
                    reply.status
                );
                match route.scope {
                    Some(needed) if needed != *granted => {
                        assert_missing_scope(&what, &reply, needed);
                    }
                    _ => {
                        ok_json(&what, &reply, route.success);
                    }
                }
            }
        }
    }
}

#[actix_web::test]
async fn self_rotation_answers_for_a_token_of_any_scope_with_and_without_a_slash() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for scope in ALL_SCOPES {
        let (_, first) = create_with_token(&app, &format!("Rotating {scope}"), &[scope], "").await;
        let mut token = first.clone();
        for path in ["/v2/token/rotate", "/v2/token/rotate/"] {
            let reply = Api::new(&app, &token)
                .post(path, &json!({"expireOldInSeconds": 0}))
                .await;
            let body = ok_json(&format!("POST {path} with {scope}"), &reply, StatusCode::OK);
            let new = body["token"].as_str().expect("a new token").to_string();
            assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
            assert_eq!(api_status(&app, &new).await, StatusCode::OK);
            token = new;
        }
    }
}

#[actix_web::test]
async fn scope_edits_in_the_panel_apply_to_the_live_token_at_once() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let both = ["contacts.readonly", "contacts.write"];
    let (id, token) = create_with_token(&app, "Editable", &both, "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    let create = json!({"locationId": location, "firstName": "Grace"});

    let reply = api.post("/v2/contacts/", &create).await;
    ok_json("with contacts.write", &reply, StatusCode::CREATED);

    edit_integration(&app, &id, "Editable", &["contacts.readonly"], "")
        .await
        .assert_redirect_to(&format!("/settings/private-integrations/{id}"));
    let reply = api.post("/v2/contacts/", &create).await;
    assert_missing_scope("after removing contacts.write", &reply, "contacts.write");
    let listed = api
        .get(&format!("/v2/contacts/?locationId={location}"))
        .await;
    ok_json("contacts.readonly kept", &listed, StatusCode::OK);
    assert_eq!(app.count("contacts"), 1, "the refused create wrote nothing");

    edit_integration(&app, &id, "Editable", &both, "")
        .await
        .assert_redirect_to(&format!("/settings/private-integrations/{id}"));
    let reply = api.post("/v2/contacts/", &create).await;
    ok_json("contacts.write given back", &reply, StatusCode::CREATED);
    assert_eq!(app.count("contacts"), 2);
}

/// `token` with the character at `at` replaced by another alphanumeric.
fn flip(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// `Authorization` values that carry no bearer token at all: another
/// scheme, no scheme, nothing.
fn not_bearer_shapes(token: &str) -> Vec<(&'static str, HeaderValue)> {
    let value = |s: String| HeaderValue::from_str(&s).expect("header value");
    vec![
        ("Basic scheme", value(format!("Basic {token}"))),
        ("Token scheme", value(format!("Token {token}"))),
        ("no scheme", value(token.to_string())),
        ("empty", HeaderValue::from_static("")),
    ]
}

fn malformed_shapes(token: &str) -> Vec<(&'static str, HeaderValue)> {
    let value = |s: String| HeaderValue::from_str(&s).expect("header value");
    let mut shapes = vec![
        ("empty bearer", HeaderValue::from_static("Bearer ")),
        ("scheme only", HeaderValue::from_static("Bearer")),
        ("prefix only", HeaderValue::from_static("Bearer pit_")),
        ("bad checksum", value(format!("Bearer {}", flip(token, 50)))),
        ("bad body", value(format!("Bearer {}", flip(token, 4)))),
        (
            "lower-cased",
            value(format!("Bearer {}", token.to_lowercase())),
        ),
        (
            "one character short",
            value(format!("Bearer {}", &token[..52])),
        ),
        ("one character long", value(format!("Bearer {token}A"))),
        (
            "10 KB",
            value(format!("Bearer pit_{}", "A".repeat(10 * 1024))),
        ),
        (
            "non-ASCII",
            HeaderValue::from_bytes(format!("Bearer {}é", &token[..51]).as_bytes())
                .expect("obs-text header value"),
        ),
        ("two tokens", value(format!("Bearer {token} {token}"))),
        ("other prefix", value(format!("Bearer sk_{}", &token[4..]))),
    ];
    if token.to_lowercase() == token {
        shapes.retain(|(what, _)| *what != "lower-cased");
    }
    shapes
}

#[actix_web::test]
async fn malformed_tokens_of_every_shape_get_401_on_every_route_never_a_500() {
    // Unknown callers are rate limited per IP; this test makes many calls.
    let app: TestApp = spawn_app_with(|s| s.api_rate_limit_burst = 100_000).await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Real", &ALL_SCOPES, "").await;
    let location = location_of(&app, &token).await;
    let contact = insert_contact(&app, &location, "Safe");
    let api = Api::new(&app, &token);
    let note = insert_note(&app, &location, &contact);
    let field = insert_listed(&app, &location, "custom_fields", "safe");
    let tag = insert_listed(&app, &location, "location_tags", "safe");
    let listed = Listed {
        field: field.clone(),
        doomed_field: field,
        tag: tag.clone(),
        doomed_tag: tag,
    };
    let mut table = routes(
        &location,
        &contact,
        &contact,
        &owner_id(&app),
        &note,
        &listed,
    );
    table.push(route(
        Method::POST,
        "/v2/token/rotate".into(),
        None,
        Some(json!({"expireOldInSeconds": 0})),
    ));

    for route in &table {
        let reply = call(&api, Auth::None, route, false).await;
        let what = format!("{} {} without a token", route.method, route.path);
        assert_error(&what, &reply, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#),
            "{what}"
        );
        for (shape, value) in malformed_shapes(&token) {
            let what = format!("{} {} with {shape}", route.method, route.path);
            let reply = call(&api, Auth::Raw(&value), route, false).await;
            assert_error(&what, &reply, StatusCode::UNAUTHORIZED);
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(
                challenge.starts_with(r#"Bearer realm="api""#)
                    && challenge.contains(r#"error="invalid_token""#),
                "{what}: WWW-Authenticate {challenge:?}"
            );
        }
        // No bearer token at all: the bare challenge (RFC 6750 §3.1).
        for (shape, value) in not_bearer_shapes(&token) {
            let what = format!("{} {} with {shape}", route.method, route.path);
            let reply = call(&api, Auth::Raw(&value), route, false).await;
            assert_error(&what, &reply, StatusCode::UNAUTHORIZED);
            assert_eq!(
                reply.header("www-authenticate"),
                Some(r#"Bearer realm="api""#),
                "{what}"
            );
        }
    }
    // Nothing was changed or rotated by all that, and the real token works.
    assert_eq!(app.count("contacts"), 1);
    assert_eq!(app.count("access_tokens"), 1);
    let reply = api.get(&format!("/v2/contacts/{contact}")).await;
    let body = json_of(&reply);
    assert_eq!(body["contact"]["id"], contact.as_str(), "{body}");
}
