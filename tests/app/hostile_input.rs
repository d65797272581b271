//! Input an attacker or a fuzzer sends to the API: a request that fails —
//! however late — changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_keys_page::generate_key;
use crate::api_support::{Api, assert_error, ok_json, ready};
use crate::helpers::TestApp;
use crate::integration_support::{execute, texts};

/// Creates a contact with `firstName` "Kept"; its path.
async fn kept_contact(api: &Api, location: &str) -> String {
    let body = json!({"locationId": location, "firstName": "Kept"});
    let reply = api.post("/v2/contacts/", &body).await;
    let id = ok_json("create", &reply, StatusCode::CREATED)["contact"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    format!("/v2/contacts/{id}")
}

/// Every column of every contact, as text: a fingerprint of the table.
fn contacts_snapshot(app: &TestApp) -> Vec<String> {
    texts(app, "SELECT c::text AS s FROM contacts c ORDER BY id")
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
