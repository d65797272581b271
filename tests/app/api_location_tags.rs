//! The account's tag list (SPEC §7): `/locations/{locationId}/tags` in
//! HighLevel's envelopes, with scopes and tenant isolation; every tag a
//! contact is given joins the list; renaming or deleting a tag changes the
//! contacts carrying it, each a `ContactUpdate` event.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{
    ALL_SCOPES, Api, assert_error, assert_missing_scope, assert_names_field, location_of, ok_json,
    ready, second_account,
};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{create_with_token, texts};

fn tags_path(location: &str) -> String {
    format!("/v2/locations/{location}/tags")
}

/// Creates a tag; its `tag` object.
async fn create_tag(api: &Api, location: &str, name: &str) -> Value {
    let reply = api.post(&tags_path(location), &json!({"name": name})).await;
    ok_json(&format!("create {name}"), &reply, StatusCode::OK)["tag"].clone()
}

fn id(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_string()
}

/// The names of the location's tags, as listed.
async fn tag_names(api: &Api, location: &str) -> Vec<String> {
    let list = ok_json("list", &api.get(&tags_path(location)).await, StatusCode::OK);
    list["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `event_type` of every webhook event about contact `id`, oldest first.
fn events_of(app: &TestApp, contact: &str) -> Vec<String> {
    texts(
        app,
        &format!(
            "SELECT event_type AS s FROM webhook_events WHERE payload->>'id' = '{contact}' \
             ORDER BY created_at, id"
        ),
    )
}

/// Creates a contact carrying `tags`; its id.
async fn tagged_contact(api: &Api, location: &str, name: &str, tags: &[&str]) -> String {
    let body = json!({"locationId": location, "firstName": name, "tags": tags});
    let reply = api.post("/v2/contacts/", &body).await;
    id(&ok_json(name, &reply, StatusCode::CREATED)["contact"])
}

async fn tags_of(api: &Api, contact: &str) -> Value {
    let reply = api.get(&format!("/v2/contacts/{contact}")).await;
    ok_json("contact", &reply, StatusCode::OK)["contact"]["tags"].clone()
}

#[actix_web::test]
async fn location_tags_are_created_listed_read_renamed_and_deleted_in_highlevels_envelopes() {
    let (_app, api, location) = ready().await;

    let vip = create_tag(&api, &location, "  VIP ").await;
    assert_eq!(vip["name"], "vip");
    assert_eq!(vip["locationId"], location.as_str());
    let again = create_tag(&api, &location, "vip").await;
    assert_eq!(again, vip, "creating a tag twice is one tag");
    let lead = create_tag(&api, &location, "Lead").await;

    for path in [tags_path(&location), format!("{}/", tags_path(&location))] {
        let list = ok_json("list", &api.get(&path).await, StatusCode::OK);
        assert_eq!(list, json!({"tags": [lead, vip]}), "{path}");
    }
    let one = format!("{}/{}", tags_path(&location), id(&vip));
    for path in [one.clone(), format!("{one}/")] {
        let got = ok_json("get", &api.get(&path).await, StatusCode::OK);
        assert_eq!(got, json!({"tag": vip}), "{path}");
    }

    let renamed = ok_json(
        "rename",
        &api.put(&one, &json!({"name": " Gold "})).await,
        StatusCode::OK,
    );
    assert_eq!(renamed["tag"]["name"], "gold");
    assert_eq!(renamed["tag"]["id"], vip["id"]);

    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({}), "name"),
        (json!({"name": "ok", "colour": "red"}), "colour"),
    ] {
        assert_names_field(
            &body.to_string(),
            &api.post(&tags_path(&location), &body).await,
            field,
        );
    }
    let taken = assert_error(
        "rename onto another tag",
        &api.put(&one, &json!({"name": "LEAD"})).await,
        StatusCode::CONFLICT,
    );
    assert!(
        taken["message"]
            .as_str()
            .is_some_and(|m| m.contains("name")),
        "{taken}"
    );
    assert_eq!(tag_names(&api, &location).await, ["gold", "lead"]);

    let deleted = ok_json("delete", &api.delete(&one).await, StatusCode::OK);
    assert_eq!(deleted, json!({"succeded": true}));
    assert_error("gone", &api.get(&one).await, StatusCode::NOT_FOUND);
    assert_error("twice", &api.delete(&one).await, StatusCode::NOT_FOUND);
    assert_error(
        "not an id",
        &api.get(&format!("{}/vip", tags_path(&location))).await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(tag_names(&api, &location).await, ["lead"]);
}

#[actix_web::test]
async fn every_tag_a_contact_is_given_joins_the_tag_list() {
    let (app, api, location) = ready().await;
    let contact = tagged_contact(&api, &location, "Ann", &["New", " Lead "]).await;
    let path = format!("/v2/contacts/{contact}");
    ok_json(
        "update",
        &api.put(&path, &json!({"tags": ["customer"]})).await,
        StatusCode::OK,
    );
    ok_json(
        "add tags",
        &api.post(&format!("{path}/tags"), &json!({"tags": ["Priority"]}))
            .await,
        StatusCode::CREATED,
    );
    ok_json(
        "upsert",
        &api.post(
            "/v2/contacts/upsert",
            &json!({"locationId": location, "email": "bo@example.com", "tags": ["From Upsert"]}),
        )
        .await,
        StatusCode::OK,
    );
    let mut expected = ["customer", "from upsert", "lead", "new", "priority"];
    expected.sort_unstable();
    assert_eq!(tag_names(&api, &location).await, expected);
    // Removing a tag from a contact keeps it in the list.
    ok_json(
        "remove tags",
        &api.call(
            reqwest::Method::DELETE,
            &format!("{path}/tags"),
            Some(&json!({"tags": ["priority"]})),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(tag_names(&api, &location).await, expected);
    assert_eq!(app.count("location_tags"), 5);
}

#[actix_web::test]
async fn renaming_a_tag_renames_it_on_the_contacts_carrying_it_each_a_contact_update() {
    let (app, api, location) = ready().await;
    let ann = tagged_contact(&api, &location, "Ann", &["vip", "lead"]).await;
    let bob = tagged_contact(&api, &location, "Bob", &["new", "vip"]).await;
    let cy = tagged_contact(&api, &location, "Cy", &["lead"]).await;
    let list = ok_json(
        "list",
        &api.get(&tags_path(&location)).await,
        StatusCode::OK,
    );
    let vip = list["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .find(|t| t["name"] == "vip")
        .expect("vip listed")
        .clone();
    let vip_path = format!("{}/{}", tags_path(&location), id(&vip));

    ok_json(
        "rename",
        &api.put(&vip_path, &json!({"name": "Gold"})).await,
        StatusCode::OK,
    );
    assert_eq!(tags_of(&api, &ann).await, json!(["gold", "lead"]));
    assert_eq!(tags_of(&api, &bob).await, json!(["new", "gold"]));
    assert_eq!(tags_of(&api, &cy).await, json!(["lead"]));
    for contact in [&ann, &bob] {
        assert_eq!(events_of(&app, contact), ["ContactCreate", "ContactUpdate"]);
    }
    assert_eq!(events_of(&app, &cy), ["ContactCreate"]);
    let payload = texts(
        &app,
        &format!(
            "SELECT payload::text AS s FROM webhook_events \
             WHERE event_type = 'ContactUpdate' AND payload->>'id' = '{ann}'"
        ),
    )
    .remove(0);
    assert!(payload.contains("\"gold\""), "{payload}");
    assert!(!payload.contains("\"vip\""), "{payload}");
}

#[actix_web::test]
async fn deleting_a_tag_takes_it_off_every_contact_each_a_contact_update() {
    let (app, api, location) = ready().await;
    let ann = tagged_contact(&api, &location, "Ann", &["vip", "lead"]).await;
    let cy = tagged_contact(&api, &location, "Cy", &["lead"]).await;
    let list = ok_json(
        "list",
        &api.get(&tags_path(&location)).await,
        StatusCode::OK,
    );
    let lead = list["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .find(|t| t["name"] == "lead")
        .expect("lead listed")
        .clone();

    let reply = api
        .delete(&format!("{}/{}", tags_path(&location), id(&lead)))
        .await;
    ok_json("delete", &reply, StatusCode::OK);

    assert_eq!(tags_of(&api, &ann).await, json!(["vip"]));
    assert_eq!(tags_of(&api, &cy).await, json!([]));
    for contact in [&ann, &cy] {
        assert_eq!(events_of(&app, contact), ["ContactCreate", "ContactUpdate"]);
    }
    assert_eq!(tag_names(&api, &location).await, ["vip"]);
}

#[actix_web::test]
async fn the_tag_scopes_are_needed_and_another_accounts_tags_are_not_found() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Acme app", &ALL_SCOPES, "").await;
    let acme = location_of(&app, &token).await;
    let acme_api = Api::new(&app, &token);
    let theirs = create_tag(&acme_api, &acme, "secret").await;
    let theirs_path = format!("{}/{}", tags_path(&acme), id(&theirs));

    let (_, contacts_only) =
        create_with_token(&app, "Contacts only", &["contacts.readonly"], "").await;
    let (_, reader) = create_with_token(&app, "Reader", &["locations/tags.readonly"], "").await;
    assert_missing_scope(
        "list without the scope",
        &Api::new(&app, &contacts_only).get(&tags_path(&acme)).await,
        "locations/tags.readonly",
    );
    let reader = Api::new(&app, &reader);
    ok_json("read", &reader.get(&theirs_path).await, StatusCode::OK);
    for reply in [
        reader.post(&tags_path(&acme), &json!({"name": "x"})).await,
        reader.put(&theirs_path, &json!({"name": "x"})).await,
        reader.delete(&theirs_path).await,
    ] {
        assert_missing_scope("write with read only", &reply, "locations/tags.write");
    }

    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let mine = location_of(&app, &other_token).await;
    let api = Api::new(&app, &other_token);
    let foreign = format!("{}/{}", tags_path(&mine), id(&theirs));
    assert_error("get", &api.get(&foreign).await, StatusCode::NOT_FOUND);
    assert_error(
        "put",
        &api.put(&foreign, &json!({"name": "mine"})).await,
        StatusCode::NOT_FOUND,
    );
    assert_error("delete", &api.delete(&foreign).await, StatusCode::NOT_FOUND);
    assert_eq!(tag_names(&api, &mine).await, Vec::<String>::new());
    for reply in [
        api.get(&tags_path(&acme)).await,
        api.post(&tags_path(&acme), &json!({"name": "x"})).await,
        api.get(&theirs_path).await,
        api.put(&theirs_path, &json!({"name": "x"})).await,
        api.delete(&theirs_path).await,
    ] {
        assert_error("another location", &reply, StatusCode::FORBIDDEN);
    }
    assert_eq!(tag_names(&acme_api, &acme).await, ["secret"]);
}

#[actix_web::test]
async fn the_migration_fills_the_list_from_the_tags_contacts_already_carry() {
    let (app, api, location) = ready().await;
    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let theirs = location_of(&app, &other_token).await;
    crate::integration_support::execute(
        &app,
        &format!(
            "INSERT INTO contacts (account_id, tags) VALUES \
             ('{location}', ARRAY['vip', 'lead']), ('{location}', ARRAY['vip']), \
             ('{location}', ARRAY[]::text[]), ('{theirs}', ARRAY['theirs'])"
        ),
    );
    assert_eq!(
        app.count("location_tags"),
        0,
        "inserted straight, listed nowhere"
    );
    let up = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/2026-12-04-000211_location_tags/up.sql"
    ))
    .expect("the migration");
    let fill = up
        .split("-- The list starts as")
        .nth(1)
        .and_then(|rest| rest.split_once('\n'))
        .map(|(_, sql)| sql.to_string())
        .expect("the fill statement");
    crate::integration_support::execute(&app, &fill);
    crate::integration_support::execute(&app, &fill);

    assert_eq!(tag_names(&api, &location).await, ["lead", "vip"]);
    assert_eq!(
        tag_names(&Api::new(&app, &other_token), &theirs).await,
        ["theirs"]
    );
}
