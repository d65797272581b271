//! Every field of HighLevel's `CreateContactDto` / `UpdateContactDto`:
//! accepted, validated, stored, and returned as its `GetContectByIdSchema`
//! shapes it, the same through create, update, get, list and search.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{Api, assert_names_field, kept_contact, ok_json, ready, second_account};
use crate::integration_support::{execute, texts};

/// The id of the account's owner (the user `ready` signed up).
fn owner_id(app: &crate::helpers::TestApp) -> String {
    texts(
        app,
        "SELECT id::text AS s FROM users ORDER BY created_at LIMIT 1",
    )
    .remove(0)
}

/// The contact `id` as the list and the search answer it.
async fn listed_and_searched(api: &Api, location: &str, id: &str) -> (Value, Value) {
    let reply = api
        .get(&format!("/v2/contacts/?locationId={location}&limit=100"))
        .await;
    let list = ok_json("list", &reply, StatusCode::OK);
    let pick = |contacts: &Value| {
        contacts
            .as_array()
            .expect("contacts")
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {contacts}"))
    };
    let listed = pick(&list["contacts"]);
    let reply = api
        .post(
            "/v2/contacts/search",
            &json!({"locationId": location, "pageLimit": 100}),
        )
        .await;
    let mut searched = pick(&ok_json("search", &reply, StatusCode::OK)["contacts"]);
    assert!(searched["searchAfter"].is_array(), "{searched}");
    searched
        .as_object_mut()
        .expect("a contact")
        .remove("searchAfter");
    (listed, searched)
}

/// The same contact from get, list and search.
async fn assert_read_everywhere(api: &Api, location: &str, expected: &Value) {
    let id = expected["id"].as_str().expect("id");
    let reply = api.get(&format!("/v2/contacts/{id}")).await;
    assert_eq!(
        &ok_json("get", &reply, StatusCode::OK)["contact"],
        expected,
        "get"
    );
    let (listed, searched) = listed_and_searched(api, location, id).await;
    assert_eq!(&listed, expected, "list");
    assert_eq!(&searched, expected, "search");
}

#[actix_web::test]
async fn every_contact_field_round_trips_through_create_update_get_list_and_search() {
    let (app, api, location) = ready().await;
    let owner = owner_id(&app);
    let dnd_settings = json!({
        "SMS": {"status": "active", "message": "Asked to stop", "code": "103"},
        "Email": {"status": "permanent"},
        "Call": {"status": "inactive"},
        "WhatsApp": {"status": "inactive"},
        "GMB": {"status": "active"},
        "FB": {"status": "inactive", "message": "ok"},
    });
    let inbound = json!({"all": {"status": "active", "message": "On hold"}});
    let input = json!({
        "locationId": location, "firstName": "Ada", "lastName": "Lovelace",
        "email": "ada@example.com", "phone": "+44 20 7946 0000",
        "companyName": "Analytical Engines", "address1": "12 St James's Square",
        "city": "London", "state": "Greater London", "postalCode": "SW1Y 4JH",
        "country": "GB", "website": "https://example.com/ada",
        "timezone": "Europe/London", "source": "api test",
        "tags": [" VIP ", "vip", "Eu"], "gender": "female",
        "dateOfBirth": "12/10/1815", "dnd": true, "dndSettings": dnd_settings,
        "inboundDndSettings": inbound, "assignedTo": owner, "customFields": [],
    });

    let reply = api.post("/v2/contacts/", &input).await;
    let created = ok_json("create", &reply, StatusCode::CREATED)["contact"].clone();
    assert_eq!(
        created["tags"],
        json!(["vip", "eu"]),
        "trimmed, lower-cased"
    );
    assert_eq!(created["dateOfBirth"], "1815-12-10");
    assert_eq!(created["gender"], "female");
    assert_eq!(created["dnd"], true);
    assert_eq!(created["dndSettings"], dnd_settings);
    assert_eq!(created["inboundDndSettings"], inbound);
    assert_eq!(created["assignedTo"], owner.as_str());
    assert_eq!(created["customFields"], json!([]));
    assert_read_everywhere(&api, &location, &created).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        texts(
            &app,
            "SELECT (payload->>'dateOfBirth') || ' ' || (payload->>'assignedTo') AS s \
             FROM webhook_events WHERE event_type = 'ContactCreate'"
        ),
        [format!("1815-12-10 {owner}")],
        "the webhook body carries the new fields"
    );

    // Given values replace, empty ones clear, absent ones stay.
    let change = json!({
        "gender": "", "dateOfBirth": "1815_12_11", "dnd": false,
        "dndSettings": {"SMS": {"status": "inactive"}}, "inboundDndSettings": {},
        "assignedTo": "", "tags": ["New"],
    });
    let reply = api.put(&format!("/v2/contacts/{id}"), &change).await;
    let updated = ok_json("update", &reply, StatusCode::OK)["contact"].clone();
    for gone in ["gender", "inboundDndSettings", "assignedTo"] {
        assert!(updated.get(gone).is_none(), "{gone} cleared: {updated}");
    }
    assert_eq!(updated["dateOfBirth"], "1815-12-11");
    assert_eq!(updated["dnd"], false);
    assert_eq!(
        updated["dndSettings"],
        json!({"SMS": {"status": "inactive"}})
    );
    assert_eq!(updated["tags"], json!(["new"]));
    assert_eq!(updated["email"], "ada@example.com", "untouched fields stay");
    assert_read_everywhere(&api, &location, &updated).await;

    let reply = api
        .put(
            &format!("/v2/contacts/{id}"),
            &json!({"dateOfBirth": "", "dndSettings": {}}),
        )
        .await;
    let cleared = ok_json("clear", &reply, StatusCode::OK)["contact"].clone();
    for gone in ["dateOfBirth", "dndSettings"] {
        assert!(cleared.get(gone).is_none(), "{gone} cleared: {cleared}");
    }
}

#[actix_web::test]
async fn each_documented_date_of_birth_format_is_read_and_returned_as_yyyy_mm_dd() {
    let (_app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    for given in [
        "1990/09/25",
        "09/25/1990",
        "1990-09-25",
        "09-25-1990",
        "1990.09.25",
        "09.25.1990",
        "1990_09_25",
        "09_25_1990",
        "1990-09-25T00:00:00.000Z",
    ] {
        let reply = api
            .put(&contact, &json!({"dateOfBirth": "2000-01-01"}))
            .await;
        ok_json("reset", &reply, StatusCode::OK);
        let reply = api.put(&contact, &json!({"dateOfBirth": given})).await;
        let body = ok_json(given, &reply, StatusCode::OK);
        assert_eq!(body["contact"]["dateOfBirth"], "1990-09-25", "{given}");
        let reply = api.get(&contact).await;
        let body = ok_json(given, &reply, StatusCode::OK);
        assert_eq!(body["contact"]["dateOfBirth"], "1990-09-25", "{given}");
    }
    let reply = api
        .post(
            "/v2/contacts/",
            &json!({"locationId": location, "dateOfBirth": "1990.09.25"}),
        )
        .await;
    let body = ok_json("create", &reply, StatusCode::CREATED);
    assert_eq!(body["contact"]["dateOfBirth"], "1990-09-25");
}

#[actix_web::test]
async fn invalid_values_of_the_new_fields_are_a_422_naming_the_field_and_change_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let _other = second_account(&app).await;
    let stranger = texts(
        &app,
        "SELECT id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);
    let unknown = uuid::Uuid::new_v4().to_string();
    let cases = [
        (json!({"dateOfBirth": "1990-02-30"}), "dateOfBirth"),
        (json!({"dateOfBirth": "25/09/1990"}), "dateOfBirth"),
        (json!({"dateOfBirth": "0000-01-01"}), "dateOfBirth"),
        (json!({"dateOfBirth": 19_900_925}), "dateOfBirth"),
        (json!({"dnd": "yes"}), "dnd"),
        (
            json!({"dndSettings": {"Fax": {"status": "active"}}}),
            "dndSettings",
        ),
        (
            json!({"dndSettings": {"SMS": {"status": "maybe"}}}),
            "dndSettings",
        ),
        (json!({"dndSettings": {"SMS": {}}}), "dndSettings"),
        (
            json!({"dndSettings": {"SMS": {"status": "active", "message": "x".repeat(501)}}}),
            "dndSettings.SMS.message",
        ),
        (
            json!({"inboundDndSettings": {"all": {"status": "permanent"}}}),
            "inboundDndSettings",
        ),
        (json!({"assignedTo": "not-a-user"}), "assignedTo"),
        (json!({"assignedTo": unknown}), "assignedTo"),
        (json!({"assignedTo": stranger}), "assignedTo"),
        (json!({"gender": "x".repeat(33)}), "gender"),
        (
            json!({"customFields": [{"id": "abc", "field_value": "x"}]}),
            "customFields[0].id",
        ),
        (
            json!({"customFields": [{"key": "favourite", "value": "x"}]}),
            "customFields[0].key",
        ),
        (
            json!({"customFields": [{"field_value": "x"}]}),
            "customFields[0]",
        ),
        (
            json!({"customFields": [{"id": "abc", "colour": "x"}]}),
            "customFields[0]",
        ),
    ];
    for (body, field) in &cases {
        let reply = api.put(&contact, body).await;
        assert_names_field(&format!("update {body}"), &reply, field);
        let mut create = body.clone();
        create["locationId"] = json!(location);
        let reply = api.call(Method::POST, "/v2/contacts/", Some(&create)).await;
        assert_names_field(&format!("create {create}"), &reply, field);
    }
    assert_eq!(app.count("contacts"), 1);
    let body = ok_json("unchanged", &api.get(&contact).await, StatusCode::OK);
    let kept = &body["contact"];
    for field in [
        "dateOfBirth",
        "dndSettings",
        "inboundDndSettings",
        "assignedTo",
        "gender",
    ] {
        assert!(kept.get(field).is_none(), "{field}: {kept}");
    }
    assert_eq!(kept["dnd"], false);
}

#[actix_web::test]
async fn a_contact_is_unassigned_when_its_user_is_removed() {
    let (app, api, location) = ready().await;
    let colleague = texts(
        &app,
        "INSERT INTO users (account_id, email, password_hash, role) \
         SELECT account_id, 'colleague@example.com', 'x', 'viewer' FROM users LIMIT 1 \
         RETURNING id::text AS s",
    )
    .remove(0);
    let contact = kept_contact(&api, &location).await;
    let reply = api.put(&contact, &json!({"assignedTo": colleague})).await;
    let body = ok_json("assign", &reply, StatusCode::OK);
    assert_eq!(body["contact"]["assignedTo"], colleague.as_str());

    execute(&app, &format!("DELETE FROM users WHERE id = '{colleague}'"));
    let body = ok_json("after removal", &api.get(&contact).await, StatusCode::OK);
    assert!(body["contact"].get("assignedTo").is_none(), "{body}");
}

/// HighLevel's `apps/contacts.json` (copied under `tests/reference/`).
pub fn highlevel_contacts() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/highlevel/apps/contacts.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The property names of `schema` in `components.schemas` of `doc`.
pub fn properties(doc: &Value, schema: &str) -> std::collections::BTreeSet<String> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {schema}"))
        .keys()
        .cloned()
        .collect()
}

#[actix_web::test]
async fn the_documented_contact_input_holds_every_field_of_highlevels_create_update_and_upsert_and_every_ref_resolves()
 {
    let app = crate::helpers::spawn_app().await;
    let reply = app.new_client().get("/v2/openapi.json").await;
    let ours = ok_json("openapi.json", &reply, StatusCode::OK);
    let mut refs = Vec::new();
    collect_refs(&ours, &mut refs);
    for target in refs {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {target}"));
        assert!(
            ours["components"]["schemas"].get(name).is_some(),
            "$ref {target} names no schema"
        );
    }
    let accepted = properties(&ours, "ContactInput");
    let theirs = highlevel_contacts();
    // Upsert takes a contact's fields and one more.
    let upserted = properties(&ours, "UpsertInput");
    assert!(
        accepted.iter().all(|field| upserted.contains(field)),
        "upsert takes every field of a contact"
    );
    for (dto, ours) in [
        ("CreateContactDto", &accepted),
        ("UpdateContactDto", &accepted),
        ("UpsertContactDto", &upserted),
    ] {
        let missing: Vec<String> = properties(&theirs, dto).difference(ours).cloned().collect();
        assert!(
            missing.is_empty(),
            "{dto} fields we do not take: {missing:?}"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => collect_refs(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}
