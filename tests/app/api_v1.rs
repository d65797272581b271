//! Legacy API v1: `GET/POST /v1/contacts/` with the account's `pik_` key —
//! full access, no scopes, the same usage recording as API v2, and a
//! `Deprecation` header on every answer. Regenerating or disabling the key
//! on `/settings/api-keys` refuses the old one at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_keys_page::{PAGE, account_id, disable_key, generate_key, key_audit};
use crate::api_support::{
    Api, Auth, assert_error, eventually, insert_contact, ok_json, rate_headers, ready,
    second_account, send,
};
use crate::helpers::{OWNER_EMAIL, Reply, excerpt, spawn_app_with};
use crate::integration_support::texts;

/// `Deprecation: @<epoch seconds>` (RFC 9745) and a `Link` with
/// `rel="deprecation"`.
#[track_caller]
pub fn assert_deprecated(what: &str, reply: &Reply) {
    let deprecation = reply
        .header("deprecation")
        .unwrap_or_else(|| panic!("{what} ({}): no Deprecation header", reply.status));
    let seconds = deprecation
        .strip_prefix('@')
        .unwrap_or_else(|| panic!("{what}: Deprecation {deprecation:?} does not start with @"));
    assert!(
        !seconds.is_empty() && seconds.bytes().all(|b| b.is_ascii_digit()),
        "{what}: Deprecation {deprecation:?} is not @<seconds>"
    );
    let link = reply
        .header("link")
        .unwrap_or_else(|| panic!("{what} ({}): no Link header", reply.status));
    assert!(
        link.contains(r#"rel="deprecation""#),
        "{what}: Link {link:?}"
    );
}

/// The `firstName`s of a contact list answer, sorted.
fn first_names(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["contacts"]
        .as_array()
        .unwrap_or_else(|| panic!("no contacts array: {body}"))
        .iter()
        .map(|c| c["firstName"].as_str().unwrap_or("-").to_string())
        .collect();
    names.sort();
    names
}

#[actix_web::test]
async fn a_v1_key_lists_and_creates_contacts_with_full_access() {
    let (app, v2, location) = ready().await;
    let made = v2
        .post(
            "/v2/contacts/",
            &json!({"locationId": location, "firstName": "Viaduct", "email": "viaduct@example.com"}),
        )
        .await;
    ok_json("v2 create", &made, StatusCode::CREATED);
    let v1 = Api::new(&app, &generate_key(&app).await);

    for path in ["/v1/contacts/", "/v1/contacts"] {
        let reply = v1.get(path).await;
        assert_deprecated(path, &reply);
        let body = ok_json(path, &reply, StatusCode::OK);
        assert_eq!(first_names(&body), ["Viaduct"], "{path}: {body}");
        assert_eq!(body["count"], 1, "{path}: {body}");
    }

    // No locationId needed; the caller's own one is accepted.
    let plain = v1
        .post(
            "/v1/contacts/",
            &json!({"firstName": "Legacy", "email": "Legacy@Example.com"}),
        )
        .await;
    assert_deprecated("v1 create", &plain);
    let created = ok_json("v1 create", &plain, StatusCode::CREATED);
    assert_eq!(created["contact"]["locationId"], location.as_str());
    assert_eq!(created["contact"]["email"], "legacy@example.com");
    let own = v1
        .post(
            "/v1/contacts",
            &json!({"locationId": location, "firstName": "Located"}),
        )
        .await;
    assert_deprecated("v1 create with locationId", &own);
    ok_json("v1 create with locationId", &own, StatusCode::CREATED);

    let listed = ok_json("v1 list", &v1.get("/v1/contacts/").await, StatusCode::OK);
    assert_eq!(first_names(&listed), ["Legacy", "Located", "Viaduct"]);
    // What API v1 wrote, API v2 reads.
    let through_v2 = v2
        .get(&format!("/v2/contacts/?locationId={location}"))
        .await;
    assert!(
        through_v2.header("deprecation").is_none(),
        "API v2 is not deprecated"
    );
    let through_v2 = ok_json("v2 list", &through_v2, StatusCode::OK);
    assert_eq!(first_names(&through_v2), ["Legacy", "Located", "Viaduct"]);
}

#[actix_web::test]
async fn every_v1_answer_carries_deprecation_and_link_headers() {
    let (app, _, _) = ready().await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    let client = app.new_client();

    let ok = v1.get("/v1/contacts/").await;
    ok_json("200", &ok, StatusCode::OK);
    assert_deprecated("200", &ok);

    let created = v1.post("/v1/contacts/", &json!({"firstName": "Dep"})).await;
    ok_json("201", &created, StatusCode::CREATED);
    assert_deprecated("201", &created);

    let anonymous = send(&client, Auth::None, Method::GET, "/v1/contacts/", None).await;
    assert_error("no token", &anonymous, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    assert_deprecated("401 without a key", &anonymous);

    let unknown_key = format!("pik_{}", "A".repeat(49));
    let unknown = Api::new(&app, &unknown_key).get("/v1/contacts").await;
    assert_error("unknown key", &unknown, StatusCode::UNAUTHORIZED);
    assert_deprecated("401 for an unknown key", &unknown);

    for path in ["/v1/nothing-here", "/v1/contacts/some-id", "/v1/"] {
        let missing = v1.get(path).await;
        assert_error(path, &missing, StatusCode::NOT_FOUND);
        assert_deprecated(path, &missing);
    }

    let invalid = v1
        .post(
            "/v1/contacts/",
            &json!({"firstName": "X", "email": "not an email"}),
        )
        .await;
    assert_error("invalid email", &invalid, StatusCode::UNPROCESSABLE_ENTITY);
    assert_deprecated("422 invalid email", &invalid);
    let unknown_field = v1
        .post("/v1/contacts/", &json!({"favouriteColour": "red"}))
        .await;
    assert_error(
        "unknown field",
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_deprecated("422 unknown field", &unknown_field);

    let malformed = v1.raw(Method::POST, "/v1/contacts/", "{not json").await;
    assert_error("malformed", &malformed, StatusCode::BAD_REQUEST);
    assert_deprecated("400 malformed", &malformed);
}

#[actix_web::test]
async fn integration_tokens_and_v1_keys_are_not_interchangeable() {
    let (app, v2, _) = ready().await;
    let key = generate_key(&app).await;

    let token_on_v1 = send(
        &v2.client,
        Auth::Bearer(&v2.token),
        Method::GET,
        "/v1/contacts/",
        None,
    )
    .await;
    assert_error("pit_ on v1", &token_on_v1, StatusCode::UNAUTHORIZED);
    assert_deprecated("pit_ on v1", &token_on_v1);

    let key_api = Api::new(&app, &key);
    for path in ["/v2/contacts/", "/v2/token"] {
        let reply = key_api.get(path).await;
        assert_error(path, &reply, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api", error="invalid_token""#),
            "{path}"
        );
    }
    // Both still work where they belong.
    ok_json(
        "key on v1",
        &key_api.get("/v1/contacts/").await,
        StatusCode::OK,
    );
    ok_json("token on v2", &v2.get("/v2/token").await, StatusCode::OK);
}

#[actix_web::test]
async fn a_regenerated_key_refuses_the_old_one_at_once() {
    let (app, _, _) = ready().await;
    let first = generate_key(&app).await;
    ok_json(
        "first key",
        &Api::new(&app, &first).get("/v1/contacts/").await,
        StatusCode::OK,
    );

    let second = generate_key(&app).await;
    assert_ne!(first, second, "regenerating gives a new key");
    let old = Api::new(&app, &first).get("/v1/contacts/").await;
    assert_error("old key", &old, StatusCode::UNAUTHORIZED);
    assert_deprecated("old key", &old);
    ok_json(
        "new key",
        &Api::new(&app, &second).get("/v1/contacts/").await,
        StatusCode::OK,
    );

    let account = account_id(&app, crate::helpers::OWNER_ACCOUNT);
    assert_eq!(
        key_audit(&app, &account),
        [
            format!("api_key.generated {OWNER_EMAIL} pik_…{}", &first[49..]),
            format!("api_key.regenerated {OWNER_EMAIL} pik_…{}", &second[49..]),
        ]
    );
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM legacy_api_keys WHERE revoked_at IS NULL"),
        1,
        "one live key"
    );
}

#[actix_web::test]
async fn a_disabled_key_is_refused_and_the_page_shows_no_key() {
    let (app, _, _) = ready().await;
    let key = generate_key(&app).await;
    let v1 = Api::new(&app, &key);
    ok_json("before", &v1.get("/v1/contacts/").await, StatusCode::OK);

    disable_key(&app).await.assert_redirect_to(PAGE);
    let refused = v1.get("/v1/contacts/").await;
    assert_error("disabled key", &refused, StatusCode::UNAUTHORIZED);
    assert_deprecated("disabled key", &refused);
    let refused = v1
        .post("/v1/contacts/", &json!({"firstName": "Nope"}))
        .await;
    assert_error("disabled key create", &refused, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("contacts"), 0, "nothing was created");

    let page = app.get(PAGE).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("was disabled"),
        "flash: {}",
        excerpt(&page.body)
    );
    assert!(!page.body.contains(&key[49..]) && !page.body.contains("Active"));
    assert!(
        page.body.contains("no API v1 key"),
        "{}",
        excerpt(&page.body)
    );

    let account = account_id(&app, crate::helpers::OWNER_ACCOUNT);
    let audit = key_audit(&app, &account);
    assert_eq!(
        audit.last().map(String::as_str),
        Some(format!("api_key.disabled {OWNER_EMAIL} pik_…{}", &key[49..]).as_str()),
        "{audit:?}"
    );
}

#[actix_web::test]
async fn v1_requests_are_recorded_as_usage_of_the_key() {
    let (app, _, location) = ready().await;
    let key = generate_key(&app).await;
    let key_id = texts(&app, "SELECT id::text AS s FROM legacy_api_keys")[0].clone();
    let page = app.get(PAGE).await;
    assert!(
        page.body.contains("<dt>Last used</dt><dd>Never</dd>"),
        "{}",
        excerpt(&page.body)
    );

    let v1 = Api::new(&app, &key);
    ok_json(
        "list",
        &v1.get("/v1/contacts/?limit=5").await,
        StatusCode::OK,
    );
    ok_json(
        "create",
        &v1.post("/v1/contacts", &json!({"firstName": "Used"})).await,
        StatusCode::CREATED,
    );
    let bad = v1.post("/v1/contacts/", &json!({"email": "bad"})).await;
    assert_error("422", &bad, StatusCode::UNPROCESSABLE_ENTITY);

    let rows = format!("SELECT count(*) AS n FROM api_requests WHERE legacy_key_id = '{key_id}'");
    assert!(
        eventually(10, || app.db.query_count(&rows) >= 3).await,
        "only {} of 3 requests recorded",
        app.db.query_count(&rows)
    );
    let recorded = texts(
        &app,
        &format!(
            "SELECT method || ' ' || route || ' ' || status || ' ' || \
             (integration_id IS NULL) || ' ' || (token_id IS NULL) || ' ' || \
             (account_id::text = '{location}') AS s \
             FROM api_requests WHERE legacy_key_id = '{key_id}' ORDER BY created_at, id"
        ),
    );
    assert_eq!(
        recorded,
        [
            "GET /v1/contacts 200 true true true",
            "POST /v1/contacts 201 true true true",
            "POST /v1/contacts 422 true true true",
        ]
    );
    assert!(
        texts(&app, "SELECT route AS s FROM api_requests")
            .iter()
            .all(|r| !r.contains('?')),
        "no query strings"
    );

    let used = format!(
        "SELECT count(*) AS n FROM legacy_api_keys WHERE id = '{key_id}' AND last_used_at IS NOT NULL"
    );
    assert!(
        eventually(10, || app.db.query_count(&used) == 1).await,
        "last_used_at never set"
    );
    let page = app.get(PAGE).await;
    assert!(
        page.body.contains("<dt>Last used</dt><dd>") && !page.body.contains("<dd>Never</dd>"),
        "the page still says Never: {}",
        excerpt(&page.body)
    );
}

#[actix_web::test]
async fn a_v1_key_never_reaches_another_accounts_contacts() {
    let (app, v2, location_a) = ready().await;
    let other = second_account(&app).await;
    let location_b = account_id(&app, "Other Co");
    insert_contact(&app, &location_a, "Alice");
    insert_contact(&app, &location_b, "Bob");
    let key_a = Api::new(&app, &generate_key(&app).await);
    let key_b = Api::new(&app, &generate_key(&other).await);

    for (who, api, mine) in [("A", &key_a, "Alice"), ("B", &key_b, "Bob")] {
        let body = ok_json(who, &api.get("/v1/contacts/").await, StatusCode::OK);
        assert_eq!(first_names(&body), [mine], "{who}: {body}");
    }

    let foreign = key_b
        .post(
            "/v1/contacts/",
            &json!({"locationId": location_a, "firstName": "Intruder"}),
        )
        .await;
    assert_error(
        "other account's locationId",
        &foreign,
        StatusCode::FORBIDDEN,
    );
    assert_deprecated("403", &foreign);
    let foreign_list = key_b
        .get(&format!("/v1/contacts/?locationId={location_a}"))
        .await;
    assert_error("other account's list", &foreign_list, StatusCode::FORBIDDEN);
    let own = key_b
        .post(
            "/v1/contacts/",
            &json!({"locationId": location_b, "firstName": "Bea"}),
        )
        .await;
    let own = ok_json("own locationId", &own, StatusCode::CREATED);
    assert_eq!(own["contact"]["locationId"], location_b.as_str());

    let a_sees = ok_json("A after", &key_a.get("/v1/contacts/").await, StatusCode::OK);
    assert_eq!(first_names(&a_sees), ["Alice"]);
    assert_eq!(
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM contacts WHERE account_id = '{location_b}'"
        )),
        2
    );
    // A's v2 token does not see B's v1 contact either.
    let through_v2 = v2
        .get(&format!("/v2/contacts/?locationId={location_a}"))
        .await;
    let through_v2 = ok_json("A's v2 list", &through_v2, StatusCode::OK);
    assert_eq!(first_names(&through_v2), ["Alice"]);
}

#[actix_web::test]
async fn the_v1_rate_limit_answers_429_still_marked_deprecated() {
    let app = spawn_app_with(|s| s.api_rate_limit_burst = 2).await;
    app.setup_owner().await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    for n in 0..2 {
        let reply = v1.get("/v1/contacts/").await;
        ok_json(&format!("request {n}"), &reply, StatusCode::OK);
        assert_eq!(rate_headers("v1", &reply).0, 2);
    }
    let limited = v1.get("/v1/contacts/").await;
    assert_error("past the burst", &limited, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.header("retry-after").is_some(),
        "{:?}",
        limited.headers
    );
    assert_deprecated("429", &limited);
}
