//! Notes on a contact (`/v2/contacts/{contactId}/notes`): created, listed,
//! read, updated and deleted in HighLevel's envelopes; found only through
//! their own contact of the token's own account (404 otherwise); gone with
//! their contact.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{
    assert_error, assert_names_field, insert_contact, kept_contact, ok_json, ready, second_account,
};
use crate::integration_support::texts;

fn owner_id(app: &crate::helpers::TestApp) -> String {
    texts(
        app,
        "SELECT id::text AS s FROM users ORDER BY created_at LIMIT 1",
    )
    .remove(0)
}

#[actix_web::test]
async fn notes_are_created_listed_read_updated_and_deleted_in_highlevels_envelopes() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let contact_id = contact.trim_start_matches("/v2/contacts/").to_string();
    let owner = owner_id(&app);
    let notes = format!("{contact}/notes");
    let events = app.count("webhook_events");

    let input = json!({
        "body": "Called about the renewal.", "title": "Follow-up",
        "color": "#FFAA00", "pinned": true, "userId": owner,
    });
    let reply = api.post(&notes, &input).await;
    let first = ok_json("create", &reply, StatusCode::CREATED)["note"].clone();
    for field in ["body", "title", "color", "pinned", "userId"] {
        assert_eq!(first[field], input[field], "{field}");
    }
    assert_eq!(first["contactId"], contact_id.as_str());
    assert!(
        first["dateAdded"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
    let first_id = first["id"].as_str().expect("id").to_string();

    let reply = api
        .post(&format!("{notes}/"), &json!({"body": "Second"}))
        .await;
    let second = ok_json("create bare", &reply, StatusCode::CREATED)["note"].clone();
    assert_eq!(second["pinned"], false);
    for absent in ["title", "color", "userId"] {
        assert!(second.get(absent).is_none(), "{absent}: {second}");
    }

    let reply = api.get(&notes).await;
    let list = ok_json("list", &reply, StatusCode::OK);
    assert_eq!(list, json!({"notes": [second, first]}), "newest first");

    let one = format!("{notes}/{first_id}");
    let reply = api.get(&one).await;
    assert_eq!(
        ok_json("get", &reply, StatusCode::OK),
        json!({"note": first})
    );

    let reply = api
        .put(
            &one,
            &json!({"body": "Renewed.", "title": "", "pinned": false}),
        )
        .await;
    let updated = ok_json("update", &reply, StatusCode::OK)["note"].clone();
    assert_eq!(updated["body"], "Renewed.");
    assert!(updated.get("title").is_none(), "cleared: {updated}");
    assert_eq!(updated["color"], "#FFAA00", "untouched fields stay");
    assert_eq!(updated["pinned"], false);
    assert_eq!(updated["id"], first["id"]);
    let reply = api.get(&format!("{one}/")).await;
    assert_eq!(
        ok_json("get again", &reply, StatusCode::OK)["note"],
        updated
    );

    let reply = api.delete(&one).await;
    assert_eq!(
        ok_json("delete", &reply, StatusCode::OK),
        json!({"succeded": true})
    );
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let body = (method == Method::PUT).then(|| json!({"body": "again"}));
        let reply = api.call(method.clone(), &one, body.as_ref()).await;
        assert_error(&format!("{method} deleted"), &reply, StatusCode::NOT_FOUND);
    }
    let list = ok_json("list after", &api.get(&notes).await, StatusCode::OK);
    assert_eq!(list["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.count("webhook_events"),
        events,
        "notes change no contact"
    );

    // A contact's notes go with it.
    ok_json(
        "delete contact",
        &api.delete(&contact).await,
        StatusCode::OK,
    );
    assert_eq!(app.count("contact_notes"), 0);
    assert_error(
        "notes of a deleted contact",
        &api.get(&notes).await,
        StatusCode::NOT_FOUND,
    );
}

#[actix_web::test]
async fn a_note_is_found_only_through_its_own_contact_of_the_tokens_account() {
    let (app, api, location) = ready().await;
    let ours = kept_contact(&api, &location).await;
    let also_ours = kept_contact(&api, &location).await;
    let reply = api
        .post(&format!("{ours}/notes"), &json!({"body": "Ours"}))
        .await;
    let our_note = ok_json("ours", &reply, StatusCode::CREATED)["note"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let _other = second_account(&app).await;
    let their_account = texts(
        &app,
        "SELECT account_id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);
    let theirs = insert_contact(&app, &their_account, "Theirs");
    let their_note = texts(
        &app,
        &format!(
            "INSERT INTO contact_notes (account_id, contact_id, body) \
             VALUES ('{their_account}', '{theirs}', 'Theirs') RETURNING id::text AS s"
        ),
    )
    .remove(0);
    let unknown = uuid::Uuid::new_v4().to_string();

    let paths = [
        format!("/v2/contacts/{theirs}/notes"),
        format!("/v2/contacts/{unknown}/notes"),
        "/v2/contacts/not-an-id/notes".to_string(),
    ];
    let single = [
        format!("/v2/contacts/{theirs}/notes/{their_note}"),
        format!("{ours}/notes/{their_note}"),
        format!("{also_ours}/notes/{our_note}"),
        format!("/v2/contacts/{theirs}/notes/{our_note}"),
        format!("{ours}/notes/{unknown}"),
        format!("{ours}/notes/not-an-id"),
    ];
    for path in &paths {
        for (method, body) in [
            (Method::GET, None),
            (Method::POST, Some(json!({"body": "Sneaky"}))),
        ] {
            let reply = api.call(method.clone(), path, body.as_ref()).await;
            assert_error(&format!("{method} {path}"), &reply, StatusCode::NOT_FOUND);
        }
    }
    for path in &single {
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(json!({"body": "Sneaky"}))),
            (Method::DELETE, None),
        ] {
            let reply = api.call(method.clone(), path, body.as_ref()).await;
            assert_error(&format!("{method} {path}"), &reply, StatusCode::NOT_FOUND);
        }
    }
    assert_eq!(
        texts(&app, "SELECT body AS s FROM contact_notes ORDER BY body"),
        ["Ours", "Theirs"],
        "nothing was written, changed or deleted"
    );
}

#[actix_web::test]
async fn invalid_notes_are_a_422_naming_the_field_and_change_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let notes = format!("{contact}/notes");
    let reply = api.post(&notes, &json!({"body": "Kept"})).await;
    let kept = ok_json("kept", &reply, StatusCode::CREATED)["note"].clone();
    let one = format!("{notes}/{}", kept["id"].as_str().expect("id"));
    let _other = second_account(&app).await;
    let stranger = texts(
        &app,
        "SELECT id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);

    let create: [(Value, &str); 8] = [
        (json!({}), "body"),
        (json!({"title": "No body"}), "body"),
        (json!({"body": "  "}), "body"),
        (json!({"body": "x".repeat(10_001)}), "body"),
        (json!({"body": "x", "userId": "nobody"}), "userId"),
        (json!({"body": "x", "userId": stranger}), "userId"),
        (json!({"body": "x", "title": "t".repeat(201)}), "title"),
        (json!({"body": "x", "mood": "glad"}), "mood"),
    ];
    for (body, field) in &create {
        let reply = api.post(&notes, body).await;
        assert_names_field(&format!("create {body}"), &reply, field);
    }
    let update: [(Value, &str); 5] = [
        (json!({"body": ""}), "body"),
        (
            json!({"userId": uuid::Uuid::new_v4().to_string()}),
            "userId",
        ),
        (json!({"color": "c".repeat(33)}), "color"),
        (json!({"pinned": "yes"}), "pinned"),
        (json!({"mood": "glad"}), "mood"),
    ];
    for (body, field) in &update {
        let reply = api.put(&one, body).await;
        assert_names_field(&format!("update {body}"), &reply, field);
    }
    for (method, path) in [(Method::POST, &notes), (Method::PUT, &one)] {
        let reply = api.raw(method.clone(), path, r#"{"body": "#).await;
        assert_error(
            &format!("{method} broken JSON"),
            &reply,
            StatusCode::BAD_REQUEST,
        );
    }
    assert_eq!(app.count("contact_notes"), 1);
    let reply = api.get(&one).await;
    assert_eq!(ok_json("unchanged", &reply, StatusCode::OK)["note"], kept);
}
