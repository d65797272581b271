//! Input an attacker or a fuzzer sends to the API: a NUL character in any
//! text, a page far past any sane range, dates outside years 0001–9999. Each
//! is a 422 naming the field (never a 500), authentication errors still come
//! first, and a request that fails — however late — changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_keys_page::generate_key;
use crate::api_support::{Api, assert_error, assert_names_field, kept_contact, ok_json, ready};
use crate::helpers::TestApp;
use crate::integration_support::{create_with_token, execute, texts};

/// Every column of every contact, as text: a fingerprint of the table.
fn contacts_snapshot(app: &TestApp) -> Vec<String> {
    texts(app, "SELECT c::text AS s FROM contacts c ORDER BY id")
}

#[actix_web::test]
async fn a_nul_in_any_api_text_is_a_422_naming_the_field_and_changes_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    let before = contacts_snapshot(&app);
    let with = |field: &str, value: Value| {
        let mut body = json!({"locationId": location});
        body[field] = value;
        body
    };
    let nul = "Ada\u{0}Lovelace";

    let bodies: Vec<(&Api, Method, &str, Value, &str)> = vec![
        (
            &api,
            Method::POST,
            "/v2/contacts/",
            with("firstName", json!(nul)),
            "firstName",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/",
            with("email", json!("a\u{0}@example.com")),
            "email",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/",
            with("tags", json!(["ok", nul])),
            "tags[1]",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/",
            json!({"locationId": format!("{location}\u{0}")}),
            "locationId",
        ),
        (
            &api,
            Method::PUT,
            contact.as_str(),
            json!({"companyName": nul}),
            "companyName",
        ),
        (
            &api,
            Method::PUT,
            contact.as_str(),
            json!({"firstName": "\u{0}"}),
            "firstName",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/search",
            with("query", json!(nul)),
            "query",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/search",
            with(
                "filters",
                json!([{"field": "email", "operator": "eq", "value": nul}]),
            ),
            "filters[0].value",
        ),
        (
            &api,
            Method::POST,
            "/v2/contacts/search",
            with(
                "filters",
                json!([{"field": "dateAdded", "operator": "range", "value": {"gte": "2026\u{0}"}}]),
            ),
            "filters[0].value.gte",
        ),
        (
            &v1,
            Method::POST,
            "/v1/contacts/",
            json!({"firstName": nul}),
            "firstName",
        ),
        (
            &v1,
            Method::POST,
            "/v1/contacts/",
            json!({"address1": nul, "city": "Leeds"}),
            "address1",
        ),
    ];
    for (client, method, path, body, field) in &bodies {
        let what = format!("{method} {path} {body}");
        let reply = client.call(method.clone(), path, Some(body)).await;
        assert_names_field(&what, &reply, field);
        assert!(
            !reply.body.contains('\0'),
            "{what}: echoes the NUL: {}",
            reply.body
        );
    }

    let queries: [(&Api, String, &str); 9] = [
        (
            &api,
            format!("/v2/contacts/?locationId={location}&query=Ada%00"),
            "query",
        ),
        (
            &api,
            format!("/v2/contacts/?locationId={location}%00"),
            "locationId",
        ),
        (
            &api,
            format!("/v2/contacts/?locationId={location}&startAfterId=%00"),
            "startAfterId",
        ),
        (
            &api,
            format!("/v2/contacts/?locationId={location}&limit=5%00"),
            "limit",
        ),
        (
            &api,
            format!("/v2/users/search?companyId={location}&query=%00"),
            "query",
        ),
        (
            &api,
            format!("/v2/users/search?companyId={location}%00"),
            "companyId",
        ),
        (
            &api,
            format!("/v2/users/?locationId={location}%00"),
            "locationId",
        ),
        (&v1, "/v1/contacts/?query=%00".to_string(), "query"),
        (
            &v1,
            "/v1/contacts/?startAfter=1%00".to_string(),
            "startAfter",
        ),
    ];
    for (client, path, field) in &queries {
        let reply = client.get(path).await;
        assert_names_field(path, &reply, field);
    }

    assert_eq!(
        contacts_snapshot(&app),
        before,
        "a refused request changed contacts"
    );
}

#[actix_web::test]
async fn authentication_and_scope_errors_still_come_before_a_nul() {
    let (app, api, location) = ready().await;
    let (_, reader) = create_with_token(&app, "Reader", &["locations.readonly"], "").await;
    let reader = Api::new(&app, &reader);
    let nobody = Api::new(&app, "pit_not-a-token");
    let list = format!("/v2/contacts/?locationId={location}&query=%00");
    let users = format!("/v2/users/search?companyId={location}&query=%00");
    let body = json!({"locationId": location, "firstName": "\u{0}"});

    for (what, reply) in [
        ("no token, list", nobody.get(&list).await),
        ("no token, users", nobody.get(&users).await),
        (
            "no token, create",
            nobody.post("/v2/contacts/", &body).await,
        ),
    ] {
        assert_error(what, &reply, StatusCode::UNAUTHORIZED);
    }
    for (what, reply) in [
        ("no scope, list", reader.get(&list).await),
        ("no scope, users", reader.get(&users).await),
        (
            "no scope, create",
            reader.post("/v2/contacts/", &body).await,
        ),
    ] {
        assert_error(what, &reply, StatusCode::FORBIDDEN);
    }
    assert_names_field("with the scope", &api.get(&list).await, "query");
    assert_eq!(app.count("contacts"), 0);
}

#[actix_web::test]
async fn a_page_or_offset_past_any_sane_range_is_a_422_naming_it() {
    let (app, api, location) = ready().await;
    kept_contact(&api, &location).await;
    let search = |extra: Value| {
        let mut body = json!({"locationId": location, "pageLimit": 500});
        for (k, v) in extra.as_object().expect("an object") {
            body[k] = v.clone();
        }
        body
    };
    for (body, field) in [
        (search(json!({"page": i64::MAX})), "page"),
        (search(json!({"page": i64::MAX / 500 + 2})), "page"),
        (search(json!({"page": 1_000_001})), "page"),
        (search(json!({"page": u64::MAX})), "page"),
        (search(json!({"page": 1e300})), "page"),
        (search(json!({"page": -5})), "page"),
        (search(json!({"pageLimit": i64::MAX})), "pageLimit"),
    ] {
        let reply = api.post("/v2/contacts/search", &body).await;
        assert_names_field(&body.to_string(), &reply, field);
    }
    // The last sane page answers, empty.
    let reply = api
        .post("/v2/contacts/search", &search(json!({"page": 1_000_000})))
        .await;
    let body = ok_json("page 1000000", &reply, StatusCode::OK);
    assert_eq!(body["contacts"], json!([]), "{body}");
    assert_eq!(body["total"], 1, "{body}");

    for (query, field) in [
        ("skip=9223372036854775807", "skip"),
        ("skip=99999999999999999999", "skip"),
        ("skip=-1", "skip"),
        ("limit=9223372036854775807", "limit"),
        ("limit=-9223372036854775808", "limit"),
    ] {
        let path = format!("/v2/users/search?companyId={location}&{query}");
        assert_names_field(&path, &api.get(&path).await, field);
    }
    for query in ["limit=9223372036854775807", "limit=99999999999999999999"] {
        let path = format!("/v2/contacts/?locationId={location}&{query}");
        assert_names_field(&path, &api.get(&path).await, "limit");
    }
    assert_eq!(app.count("contacts"), 1);
}

#[actix_web::test]
async fn dates_outside_years_0001_to_9999_are_a_422_naming_the_field() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let id = contact.rsplit('/').next().expect("an id").to_string();
    let v1 = Api::new(&app, &generate_key(&app).await);
    // Epoch milliseconds: year 10000, year 0, far past PostgreSQL's range
    // either way, and the extremes chrono accepts.
    let millis = [
        253_402_300_800_000_i64,
        -62_135_596_800_001,
        8_000_000_000_000_000,
        -8_000_000_000_000_000,
    ];
    for ms in millis {
        let path = format!("/v2/contacts/?locationId={location}&startAfter={ms}");
        assert_names_field(&path, &api.get(&path).await, "startAfter");
        let path = format!("/v1/contacts/?startAfter={ms}");
        assert_names_field(&path, &v1.get(&path).await, "startAfter");

        let body = json!({"locationId": location, "searchAfter": [ms, id]});
        let reply = api.post("/v2/contacts/search", &body).await;
        assert_names_field(&body.to_string(), &reply, "searchAfter");
    }
    let range = |value: Value| {
        json!({"locationId": location,
               "filters": [{"field": "dateAdded", "operator": "range", "value": value}]})
    };
    for (value, field) in [
        (
            json!({"gte": 253_402_300_800_000_i64}),
            "filters[0].value.gte",
        ),
        (
            json!({"lte": -8_000_000_000_000_000_i64}),
            "filters[0].value.lte",
        ),
        (
            json!({"gte": "0000-06-01T00:00:00Z"}),
            "filters[0].value.gte",
        ),
        (
            json!({"lte": "9999-12-31T23:30:00-01:00"}),
            "filters[0].value.lte",
        ),
        (json!({"gte": "0000-01-01"}), "filters[0].value.gte"),
    ] {
        let body = range(value);
        let reply = api.post("/v2/contacts/search", &body).await;
        assert_names_field(&body.to_string(), &reply, field);
    }
    // The edges of the range itself are fine.
    let body = range(json!({"gte": "0001-01-01", "lte": "9999-12-31T23:59:59Z"}));
    let reply = api.post("/v2/contacts/search", &body).await;
    assert_eq!(ok_json("edges", &reply, StatusCode::OK)["total"], 1);
    let path = format!("/v2/contacts/?locationId={location}&startAfter=-62135596800000");
    ok_json(&path, &api.get(&path).await, StatusCode::OK);
    assert_eq!(app.count("contacts"), 1);
}

/// Makes the database fail any write that gives a contact the name `name`,
/// as a disk or constraint failure would, after the request's first write.
fn fail_writes_naming(app: &TestApp, name: &str) {
    execute(
        app,
        &format!(
            "CREATE FUNCTION refuse_contact() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.name = '{name}' OR NEW.first_name = '{name}' THEN \
             RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$"
        ),
    );
    execute(
        app,
        "CREATE TRIGGER refuse_contact BEFORE UPDATE ON contacts \
         FOR EACH ROW EXECUTE FUNCTION refuse_contact()",
    );
}

#[actix_web::test]
async fn a_contact_create_that_fails_midway_leaves_no_contact_behind() {
    let (app, api, location) = ready().await;
    kept_contact(&api, &location).await;
    let v1 = Api::new(&app, &generate_key(&app).await);
    fail_writes_naming(&app, "Doomed");
    let before = contacts_snapshot(&app);

    let body = json!({"locationId": location, "firstName": "Doomed", "email": "d@example.com"});
    let reply = api.post("/v2/contacts/", &body).await;
    assert_error("v2 create", &reply, StatusCode::INTERNAL_SERVER_ERROR);
    let reply = v1
        .post("/v1/contacts/", &json!({"firstName": "Doomed"}))
        .await;
    assert_error("v1 create", &reply, StatusCode::INTERNAL_SERVER_ERROR);

    assert_eq!(
        contacts_snapshot(&app),
        before,
        "a blank contact was left behind"
    );
}

#[actix_web::test]
async fn a_contact_update_that_fails_midway_changes_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    // The first write sets lastName; only the second, which derives the
    // name from first and last, is refused.
    fail_writes_naming(&app, "Kept Doomed");
    let before = contacts_snapshot(&app);

    let reply = api
        .put(&contact, &json!({"lastName": "Doomed", "city": "Leeds"}))
        .await;
    assert_error("update", &reply, StatusCode::INTERNAL_SERVER_ERROR);

    assert_eq!(
        contacts_snapshot(&app),
        before,
        "half of the update was kept"
    );
    let body = ok_json("unchanged", &api.get(&contact).await, StatusCode::OK);
    assert!(body["contact"].get("lastName").is_none(), "{body}");
    assert!(body["contact"].get("city").is_none(), "{body}");
}
