//! A contact's custom field values (SPEC §7): typed by their fields, named
//! by field id or key, on every contact route; deleting a field or dropping
//! an option takes them off contacts, each a `ContactUpdate`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_custom_fields::{create_field, events_of, fields_path, id, values};
use crate::api_support::{assert_names_field, ok_json, ready};
use crate::integration_support::texts;

#[actix_web::test]
async fn a_contacts_values_are_typed_by_their_fields_on_every_contact_route() {
    let (_app, api, location) = ready().await;
    let text = create_field(
        &api,
        &location,
        json!({"name": "Nickname", "dataType": "TEXT"}),
    )
    .await;
    let number = create_field(
        &api,
        &location,
        json!({"name": "Shoe size", "dataType": "NUMERICAL"}),
    )
    .await;
    let money = create_field(
        &api,
        &location,
        json!({"name": "Budget", "dataType": "MONETORY"}),
    )
    .await;
    let date = create_field(
        &api,
        &location,
        json!({"name": "Renewal", "dataType": "DATE"}),
    )
    .await;
    let radio = create_field(
        &api,
        &location,
        json!({"name": "Size", "dataType": "RADIO", "options": ["S", "M", "L"]}),
    )
    .await;
    let boxes = create_field(
        &api,
        &location,
        json!({"name": "Interests", "dataType": "CHECKBOX", "options": ["golf", "tennis", "chess"]}),
    )
    .await;

    let created = ok_json(
        "create",
        &api.post(
            "/v2/contacts/",
            &json!({
                "locationId": location, "firstName": "Typed", "email": "typed@example.com",
                "customFields": [
                    {"id": id(&text), "field_value": " Ty "},
                    {"key": "contact.shoe_size", "field_value": "42"},
                    {"key": "budget", "value": 99.5},
                    {"id": id(&date), "value": "12/31/2026"},
                    {"id": id(&radio), "field_value": "M"},
                    {"id": id(&boxes), "field_value": ["tennis", "golf"]},
                ]
            }),
        )
        .await,
        StatusCode::CREATED,
    )["contact"]
        .clone();
    let expected: serde_json::Map<String, Value> = [
        (id(&text), json!("Ty")),
        (id(&number), json!(42)),
        (id(&money), json!(99.5)),
        (id(&date), json!("2026-12-31")),
        (id(&radio), json!("M")),
        (id(&boxes), json!(["tennis", "golf"])),
    ]
    .into_iter()
    .collect();
    assert_eq!(values(&created), expected);
    let contact = id(&created);
    let path = format!("/v2/contacts/{contact}");

    let got = ok_json("get", &api.get(&path).await, StatusCode::OK);
    assert_eq!(values(&got["contact"]), expected);
    let listed = ok_json(
        "list",
        &api.get(&format!("/v2/contacts/?locationId={location}"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(values(&listed["contacts"][0]), expected);
    let found = ok_json(
        "search",
        &api.post("/v2/contacts/search", &json!({"locationId": location}))
            .await,
        StatusCode::OK,
    );
    assert_eq!(values(&found["contacts"][0]), expected);

    // An update changes the values given and keeps the others; "" clears.
    let updated = ok_json(
        "update",
        &api.put(
            &path,
            &json!({"customFields": [
                {"id": id(&number), "field_value": 43},
                {"id": id(&text), "field_value": ""},
            ]}),
        )
        .await,
        StatusCode::OK,
    );
    let mut after = expected.clone();
    after.insert(id(&number), json!(43));
    after.remove(&id(&text));
    assert_eq!(values(&updated["contact"]), after);

    let upserted = ok_json(
        "upsert",
        &api.post(
            "/v2/contacts/upsert",
            &json!({"locationId": location, "email": "typed@example.com",
                    "customFields": [{"key": "contact.size", "field_value": "L"}]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(upserted["new"], false);
    after.insert(id(&radio), json!("L"));
    assert_eq!(values(&upserted["contact"]), after);

    for (value, field) in [
        (json!({"id": id(&number), "field_value": "many"}), &number),
        (json!({"id": id(&money), "field_value": [1]}), &money),
        (json!({"id": id(&date), "field_value": "someday"}), &date),
        (json!({"id": id(&radio), "field_value": "XL"}), &radio),
        (json!({"id": id(&radio), "field_value": ["S"]}), &radio),
        (
            json!({"id": id(&boxes), "field_value": ["golf", "polo"]}),
            &boxes,
        ),
        (
            json!({"id": id(&text), "field_value": "x".repeat(2001)}),
            &text,
        ),
    ] {
        let reply = api.put(&path, &json!({"customFields": [value]})).await;
        let key = field["fieldKey"].as_str().unwrap_or_default();
        assert_names_field(&value.to_string(), &reply, key);
    }
    for (value, field) in [
        (
            json!({"id": "no-such-field", "field_value": "x"}),
            "customFields[0].id",
        ),
        (
            json!({"key": "contact.nothing", "field_value": "x"}),
            "customFields[0].key",
        ),
    ] {
        let reply = api.put(&path, &json!({"customFields": [value]})).await;
        assert_names_field(&value.to_string(), &reply, field);
    }
    let unchanged = ok_json("unchanged", &api.get(&path).await, StatusCode::OK);
    assert_eq!(
        values(&unchanged["contact"]),
        after,
        "refused writes changed nothing"
    );
}

#[actix_web::test]
async fn deleting_a_field_takes_its_values_off_contacts_each_a_contact_update() {
    let (app, api, location) = ready().await;
    let doomed = create_field(
        &api,
        &location,
        json!({"name": "Doomed", "dataType": "TEXT"}),
    )
    .await;
    let kept = create_field(&api, &location, json!({"name": "Kept", "dataType": "TEXT"})).await;
    let mut holders = Vec::new();
    for name in ["Ann", "Bob"] {
        let body = json!({"locationId": location, "firstName": name, "customFields": [
            {"id": id(&doomed), "field_value": "gone soon"},
            {"id": id(&kept), "field_value": "stays"},
        ]});
        let reply = api.post("/v2/contacts/", &body).await;
        holders.push(id(&ok_json(name, &reply, StatusCode::CREATED)["contact"]));
    }
    let bystander = id(&ok_json(
        "bystander",
        &api.post(
            "/v2/contacts/",
            &json!({"locationId": location, "firstName": "Cy", "customFields": [
                {"id": id(&kept), "field_value": "only kept"}]}),
        )
        .await,
        StatusCode::CREATED,
    )["contact"]);

    let reply = api
        .delete(&format!("{}/{}", fields_path(&location), id(&doomed)))
        .await;
    ok_json("delete", &reply, StatusCode::OK);

    for contact in &holders {
        let got = ok_json(
            "holder",
            &api.get(&format!("/v2/contacts/{contact}")).await,
            StatusCode::OK,
        );
        let left = values(&got["contact"]);
        assert_eq!(left.len(), 1, "{got}");
        assert_eq!(left[&id(&kept)], "stays");
        assert_eq!(events_of(&app, contact), ["ContactCreate", "ContactUpdate"]);
        let payload = texts(
            &app,
            &format!(
                "SELECT payload::text AS s FROM webhook_events \
                 WHERE event_type = 'ContactUpdate' AND payload->>'id' = '{contact}'"
            ),
        )
        .remove(0);
        assert!(!payload.contains(&id(&doomed)), "{payload}");
        assert!(payload.contains("stays"), "{payload}");
    }
    assert_eq!(events_of(&app, &bystander), ["ContactCreate"]);
}

#[actix_web::test]
async fn dropping_an_option_takes_it_off_the_contacts_that_chose_it_each_a_contact_update() {
    let (app, api, location) = ready().await;
    let size = create_field(
        &api,
        &location,
        json!({"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["S", "M"]}),
    )
    .await;
    let hobbies = create_field(
        &api,
        &location,
        json!({"name": "Hobbies", "dataType": "MULTIPLE_OPTIONS", "options": ["golf", "chess"]}),
    )
    .await;
    let mut ids = Vec::new();
    for (name, chosen_size, chosen) in [
        ("Ann", "S", json!(["golf", "chess"])),
        ("Bob", "M", json!(["chess"])),
    ] {
        let body = json!({"locationId": location, "firstName": name, "customFields": [
            {"id": id(&size), "field_value": chosen_size},
            {"id": id(&hobbies), "field_value": chosen},
        ]});
        let reply = api.post("/v2/contacts/", &body).await;
        ids.push(id(&ok_json(name, &reply, StatusCode::CREATED)["contact"]));
    }

    let field_path = |f: &Value| format!("{}/{}", fields_path(&location), id(f));
    ok_json(
        "drop M",
        &api.put(
            &field_path(&size),
            &json!({"name": "Size", "options": ["S", "L"]}),
        )
        .await,
        StatusCode::OK,
    );
    ok_json(
        "drop chess",
        &api.put(
            &field_path(&hobbies),
            &json!({"name": "Hobbies", "options": ["golf"]}),
        )
        .await,
        StatusCode::OK,
    );

    let current = |contact: &str| {
        let api = &api;
        let contact = contact.to_string();
        async move {
            let got = ok_json(
                "contact",
                &api.get(&format!("/v2/contacts/{contact}")).await,
                StatusCode::OK,
            );
            values(&got["contact"])
        }
    };
    let ann = current(&ids[0]).await;
    assert_eq!(ann[&id(&size)], "S");
    assert_eq!(ann[&id(&hobbies)], json!(["golf"]));
    let bob = current(&ids[1]).await;
    assert!(bob.is_empty(), "{bob:?}");
    assert_eq!(
        events_of(&app, &ids[0]),
        ["ContactCreate", "ContactUpdate"],
        "Ann lost chess only"
    );
    assert_eq!(
        events_of(&app, &ids[1]),
        ["ContactCreate", "ContactUpdate", "ContactUpdate"],
        "Bob lost his size, then his hobby"
    );
}
