//! Contact custom fields (SPEC §7): `/locations/{locationId}/customFields` in
//! HighLevel's envelopes and names, its validation, scopes and tenant
//! isolation. A contact's values for them: `api_custom_values.rs`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{
    ALL_SCOPES, Api, assert_error, assert_missing_scope, assert_names_field, location_of, ok_json,
    ready, second_account,
};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{create_with_token, texts};

pub(crate) fn fields_path(location: &str) -> String {
    format!("/v2/locations/{location}/customFields")
}

/// Creates a field; its `customField` object.
pub(crate) async fn create_field(api: &Api, location: &str, body: Value) -> Value {
    let reply = api.post(&fields_path(location), &body).await;
    ok_json(&format!("create {body}"), &reply, StatusCode::CREATED)["customField"].clone()
}

pub(crate) fn id(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_string()
}

/// `event_type` of every webhook event about contact `id`, oldest first.
pub(crate) fn events_of(app: &TestApp, contact: &str) -> Vec<String> {
    texts(
        app,
        &format!(
            "SELECT event_type AS s FROM webhook_events WHERE payload->>'id' = '{contact}' \
             ORDER BY created_at, id"
        ),
    )
}

/// The `customFields` of a contact as `{field id: value}`.
pub(crate) fn values(contact: &Value) -> serde_json::Map<String, Value> {
    contact["customFields"]
        .as_array()
        .expect("customFields")
        .iter()
        .map(|v| (id(v), v["value"].clone()))
        .collect()
}

#[actix_web::test]
async fn custom_fields_are_created_listed_read_updated_and_deleted_in_highlevels_envelopes() {
    let (_app, api, location) = ready().await;

    let pin = create_field(
        &api,
        &location,
        json!({"name": "Pin code", "dataType": "TEXT", "placeholder": "Pin", "position": 2, "model": "contact"}),
    )
    .await;
    assert_eq!(pin["name"], "Pin code");
    assert_eq!(pin["fieldKey"], "contact.pin_code");
    assert_eq!(pin["dataType"], "TEXT");
    assert_eq!(pin["placeholder"], "Pin");
    assert_eq!(pin["position"], 2);
    assert_eq!(pin["locationId"], location.as_str());
    assert_eq!(pin["model"], "contact");
    assert!(pin.get("picklistOptions").is_none(), "{pin}");

    let colour = create_field(
        &api,
        &location,
        json!({"name": "Colour", "dataType": "SINGLE_OPTIONS", "options": [" Red ", "Green"]}),
    )
    .await;
    assert_eq!(colour["picklistOptions"], json!(["Red", "Green"]));
    assert_eq!(colour["position"], 0);
    // A second field of one name gets a key of its own.
    let again = create_field(
        &api,
        &location,
        json!({"name": "Pin code", "dataType": "NUMERICAL"}),
    )
    .await;
    assert_eq!(again["fieldKey"], "contact.pin_code_2");

    for path in [
        fields_path(&location),
        format!("{}/", fields_path(&location)),
    ] {
        let list = ok_json("list", &api.get(&path).await, StatusCode::OK);
        let keys: Vec<&str> = list["customFields"]
            .as_array()
            .expect("customFields")
            .iter()
            .map(|f| f["fieldKey"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            ["contact.colour", "contact.pin_code_2", "contact.pin_code"],
            "{path}"
        );
    }
    let listed = ok_json(
        "contact model",
        &api.get(&format!("{}?model=contact", fields_path(&location)))
            .await,
        StatusCode::OK,
    );
    assert_eq!(listed["customFields"].as_array().map(Vec::len), Some(3));
    let none = ok_json(
        "opportunity model",
        &api.get(&format!("{}?model=opportunity", fields_path(&location)))
            .await,
        StatusCode::OK,
    );
    assert_eq!(none, json!({"customFields": []}));

    let one = format!("{}/{}", fields_path(&location), id(&pin));
    for path in [
        one.clone(),
        format!("{one}/"),
        format!("{}/contact.pin_code", fields_path(&location)),
    ] {
        let got = ok_json("get", &api.get(&path).await, StatusCode::OK);
        assert_eq!(got["customField"], pin, "{path}");
    }

    let updated = ok_json(
        "update",
        &api.put(
            &one,
            &json!({"name": "Postal code", "placeholder": "", "position": 5}),
        )
        .await,
        StatusCode::OK,
    )["customField"]
        .clone();
    assert_eq!(updated["name"], "Postal code");
    assert_eq!(updated["fieldKey"], "contact.pin_code", "the key stays");
    assert!(updated.get("placeholder").is_none(), "{updated}");
    assert_eq!(updated["position"], 5);
    let colour_path = format!("{}/{}", fields_path(&location), id(&colour));
    let recoloured = ok_json(
        "new options",
        &api.put(
            &colour_path,
            &json!({"name": "Colour", "options": ["Blue"]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        recoloured["customField"]["picklistOptions"],
        json!(["Blue"])
    );

    let deleted = ok_json("delete", &api.delete(&one).await, StatusCode::OK);
    assert_eq!(deleted, json!({"succeded": true}));
    assert_error("gone", &api.get(&one).await, StatusCode::NOT_FOUND);
    assert_error("twice", &api.delete(&one).await, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn bad_models_data_types_and_options_are_422_and_write_nothing() {
    let (app, api, location) = ready().await;
    let path = fields_path(&location);
    for (body, field) in [
        (
            json!({"name": "Deal", "dataType": "TEXT", "model": "opportunity"}),
            "model",
        ),
        (
            json!({"name": "Upload", "dataType": "FILE_UPLOAD"}),
            "dataType",
        ),
        (json!({"name": "Lower", "dataType": "text"}), "dataType"),
        (json!({"name": "Choice", "dataType": "RADIO"}), "options"),
        (
            json!({"name": "Choice", "dataType": "MULTIPLE_OPTIONS", "options": []}),
            "options",
        ),
        (
            json!({"name": "Choice", "dataType": "CHECKBOX", "options": ["a", " "]}),
            "options",
        ),
        (
            json!({"name": "Plain", "dataType": "TEXT", "options": ["a"]}),
            "options",
        ),
        (json!({"name": "  ", "dataType": "TEXT"}), "name"),
        (json!({"name": "x".repeat(101), "dataType": "TEXT"}), "name"),
        (json!({"dataType": "TEXT"}), "name"),
        (
            json!({"name": "Far", "dataType": "TEXT", "position": -1}),
            "position",
        ),
        (
            json!({"name": "Odd", "dataType": "TEXT", "colour": "red"}),
            "colour",
        ),
    ] {
        assert_names_field(&body.to_string(), &api.post(&path, &body).await, field);
    }
    assert_eq!(app.count("custom_fields"), 0);
    assert_error(
        "unknown model filter",
        &api.get(&format!("{path}?model=deal")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );

    let repeated = create_field(
        &api,
        &location,
        json!({"name": "Choice", "dataType": "CHECKBOX", "options": ["a", " a "]}),
    )
    .await;
    assert_eq!(
        repeated["picklistOptions"],
        json!(["a"]),
        "repeats count once"
    );

    let text = create_field(&api, &location, json!({"name": "Note", "dataType": "TEXT"})).await;
    let one = format!("{path}/{}", id(&text));
    let body = assert_error(
        "options for a text field",
        &api.put(&one, &json!({"name": "Note", "options": ["a"]}))
            .await,
        StatusCode::CONFLICT,
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("options")),
        "{body}"
    );
    for (body, field) in [
        (json!({"name": "Note", "model": "opportunity"}), "model"),
        (json!({"name": "Note", "dataType": "NUMERICAL"}), "dataType"),
        (json!({"placeholder": "no name"}), "name"),
    ] {
        assert_names_field(&body.to_string(), &api.put(&one, &body).await, field);
    }
    let kept = ok_json("unchanged", &api.get(&one).await, StatusCode::OK);
    assert_eq!(kept["customField"], text);
}

#[actix_web::test]
async fn the_field_scopes_are_needed_and_another_accounts_fields_are_not_found() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Acme app", &ALL_SCOPES, "").await;
    let acme = location_of(&app, &token).await;
    let acme_api = Api::new(&app, &token);
    let theirs = create_field(
        &acme_api,
        &acme,
        json!({"name": "Secret", "dataType": "TEXT"}),
    )
    .await;

    let (_, contacts_only) = create_with_token(
        &app,
        "Contacts only",
        &["contacts.readonly", "contacts.write"],
        "",
    )
    .await;
    let (_, reader) =
        create_with_token(&app, "Reader", &["locations/customFields.readonly"], "").await;
    let none = Api::new(&app, &contacts_only);
    assert_missing_scope(
        "list without the scope",
        &none.get(&fields_path(&acme)).await,
        "locations/customFields.readonly",
    );
    let reader = Api::new(&app, &reader);
    ok_json(
        "read",
        &reader.get(&fields_path(&acme)).await,
        StatusCode::OK,
    );
    assert_missing_scope(
        "create with read only",
        &reader
            .post(
                &fields_path(&acme),
                &json!({"name": "X", "dataType": "TEXT"}),
            )
            .await,
        "locations/customFields.write",
    );
    assert_missing_scope(
        "delete with read only",
        &reader
            .delete(&format!("{}/{}", fields_path(&acme), id(&theirs)))
            .await,
        "locations/customFields.write",
    );

    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let mine = location_of(&app, &other_token).await;
    let api = Api::new(&app, &other_token);
    let foreign = format!("{}/{}", fields_path(&mine), id(&theirs));
    assert_error("get", &api.get(&foreign).await, StatusCode::NOT_FOUND);
    assert_error(
        "by key",
        &api.get(&format!("{}/contact.secret", fields_path(&mine)))
            .await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        "put",
        &api.put(&foreign, &json!({"name": "Mine now"})).await,
        StatusCode::NOT_FOUND,
    );
    assert_error("delete", &api.delete(&foreign).await, StatusCode::NOT_FOUND);
    let listed = ok_json("list", &api.get(&fields_path(&mine)).await, StatusCode::OK);
    assert_eq!(listed, json!({"customFields": []}));
    for reply in [
        api.get(&fields_path(&acme)).await,
        api.post(
            &fields_path(&acme),
            &json!({"name": "X", "dataType": "TEXT"}),
        )
        .await,
        api.get(&format!("{}/{}", fields_path(&acme), id(&theirs)))
            .await,
        api.delete(&format!("{}/{}", fields_path(&acme), id(&theirs)))
            .await,
    ] {
        assert_error("another location", &reply, StatusCode::FORBIDDEN);
    }
    let reply = api
        .post(
            "/v2/contacts/",
            &json!({"locationId": mine, "firstName": "Borrower",
                    "customFields": [{"id": id(&theirs), "field_value": "x"}]}),
        )
        .await;
    assert_names_field(
        "another account's field on a contact",
        &reply,
        "customFields[0].id",
    );
    assert_eq!(app.count("contacts"), 0);
    assert_eq!(app.count("custom_fields"), 1, "nothing changed");
    let kept = ok_json(
        "still theirs",
        &acme_api
            .get(&format!("{}/{}", fields_path(&acme), id(&theirs)))
            .await,
        StatusCode::OK,
    );
    assert_eq!(kept["customField"]["name"], "Secret");
}

/// HighLevel's `apps/locations.json` (copied under `tests/reference/`).
pub fn highlevel_locations() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/highlevel/apps/locations.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[actix_web::test]
async fn fields_and_tags_are_answered_and_taken_by_the_names_highlevel_declares() {
    use crate::api_contact_fields::properties;

    let (_app, api, location) = ready().await;
    let theirs = highlevel_locations();
    let field = create_field(
        &api,
        &location,
        json!({"name": "Colour", "dataType": "RADIO", "options": ["Red"], "placeholder": "Pick"}),
    )
    .await;
    let tag = ok_json(
        "tag",
        &api.post(
            &format!("/v2/locations/{location}/tags"),
            &json!({"name": "vip"}),
        )
        .await,
        StatusCode::OK,
    )["tag"]
        .clone();
    for (schema, answered) in [("CustomFieldSchema", &field), ("LocationTagsSchema", &tag)] {
        let declared = properties(&theirs, schema);
        let extra: Vec<&String> = answered
            .as_object()
            .expect("an object")
            .keys()
            .filter(|k| !declared.contains(*k))
            .collect();
        assert!(
            extra.is_empty(),
            "{schema}: fields HighLevel does not declare: {extra:?}"
        );
    }
    for (path, envelope) in [
        ("/locations/{locationId}/customFields", "customFields"),
        ("/locations/{locationId}/tags", "tags"),
    ] {
        let schema = &theirs["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"];
        let name = schema
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .expect("a $ref");
        assert!(
            properties(&theirs, name).contains(envelope),
            "{path}: {name}"
        );
    }

    let reply = api.get("/v2/openapi.json").await;
    let ours = ok_json("openapi.json", &reply, StatusCode::OK);
    // `options` is how option types get theirs, as HighLevel's SDKs send it.
    for (mine, dto) in [
        ("NewOptionsField", "CreateCustomFieldsDTO"),
        ("NewPlainField", "CreateCustomFieldsDTO"),
        ("FieldInput", "UpdateCustomFieldsDTO"),
        ("TagInput", "tagBody"),
    ] {
        let declared = properties(&theirs, dto);
        let extra: Vec<String> = properties(&ours, mine)
            .into_iter()
            .filter(|k| !declared.contains(k) && k != "options")
            .collect();
        assert!(
            extra.is_empty(),
            "{mine}: fields {dto} does not declare: {extra:?}"
        );
    }
}
