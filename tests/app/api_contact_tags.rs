//! `POST` / `DELETE /v2/contacts/{contactId}/tags`: tags added or removed
//! whatever their case and spacing, duplicates once, the contact's tags
//! after the change in the answer, a `ContactUpdate` event for each change,
//! and another account's contact a 404.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{
    Api, assert_error, assert_names_field, insert_contact, kept_contact, ok_json, ready,
    second_account,
};
use crate::helpers::Reply;
use crate::integration_support::texts;

fn update_events(app: &crate::helpers::TestApp) -> Vec<String> {
    texts(
        app,
        "SELECT payload->>'tags' AS s FROM webhook_events \
         WHERE event_type = 'ContactUpdate' ORDER BY created_at, id",
    )
}

async fn change(api: &Api, method: Method, contact: &str, tags: Value) -> Reply {
    api.call(
        method,
        &format!("{contact}/tags"),
        Some(&json!({"tags": tags})),
    )
    .await
}

#[actix_web::test]
async fn tags_are_added_and_removed_whatever_their_case_each_change_an_update_event() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let reply = api.put(&contact, &json!({"tags": ["VIP"]})).await;
    ok_json("tag", &reply, StatusCode::OK);
    let before = update_events(&app).len();

    let reply = change(
        &api,
        Method::POST,
        &contact,
        json!(["vip", " New ", "NEW", "eu"]),
    )
    .await;
    let body = ok_json("add", &reply, StatusCode::CREATED);
    assert_eq!(body, json!({"tags": ["vip", "new", "eu"]}));
    let got = ok_json("get", &api.get(&contact).await, StatusCode::OK);
    assert_eq!(got["contact"]["tags"], body["tags"]);
    assert_eq!(update_events(&app).len(), before + 1);
    assert_eq!(
        update_events(&app).last().map(String::as_str),
        Some(r#"["vip", "new", "eu"]"#)
    );

    let reply = change(&api, Method::POST, &contact, json!(["EU", "vip"])).await;
    let body = ok_json("add again", &reply, StatusCode::CREATED);
    assert_eq!(body, json!({"tags": ["vip", "new", "eu"]}));
    assert_eq!(update_events(&app).len(), before + 1, "nothing changed");

    let slash = format!("{contact}/tags/");
    let reply = api
        .call(
            Method::DELETE,
            &slash,
            Some(&json!({"tags": ["NEW", "missing"]})),
        )
        .await;
    let body = ok_json("remove", &reply, StatusCode::OK);
    assert_eq!(body, json!({"tags": ["vip", "eu"]}));
    let got = ok_json("get", &api.get(&contact).await, StatusCode::OK);
    assert_eq!(got["contact"]["tags"], body["tags"]);
    assert_eq!(update_events(&app).len(), before + 2);

    let reply = change(&api, Method::DELETE, &contact, json!(["vip", "eu"])).await;
    assert_eq!(
        ok_json("remove all", &reply, StatusCode::OK),
        json!({"tags": []})
    );
}

#[actix_web::test]
async fn another_accounts_contact_or_an_unknown_one_is_a_404_and_keeps_its_tags() {
    let (app, api, _location) = ready().await;
    let _other = second_account(&app).await;
    let theirs_account = texts(
        &app,
        "SELECT account_id::text AS s FROM users WHERE email = 'other@example.com'",
    )
    .remove(0);
    let theirs = insert_contact(&app, &theirs_account, "Theirs");
    let unknown = uuid::Uuid::new_v4();
    for contact in [
        format!("/v2/contacts/{theirs}"),
        format!("/v2/contacts/{unknown}"),
        "/v2/contacts/not-an-id".to_string(),
    ] {
        for method in [Method::POST, Method::DELETE] {
            let reply = change(&api, method.clone(), &contact, json!(["x"])).await;
            assert_error(
                &format!("{method} {contact}/tags"),
                &reply,
                StatusCode::NOT_FOUND,
            );
        }
    }
    assert_eq!(
        texts(
            &app,
            &format!("SELECT array_to_string(tags, ',') AS s FROM contacts WHERE id = '{theirs}'")
        ),
        [""]
    );
    assert_eq!(app.count("webhook_events"), 0);
}

#[actix_web::test]
async fn invalid_tag_bodies_are_a_422_naming_tags_and_change_nothing() {
    let (app, api, location) = ready().await;
    let contact = kept_contact(&api, &location).await;
    let path = format!("{contact}/tags");
    for method in [Method::POST, Method::DELETE] {
        for body in [
            json!({}),
            json!({"tags": "vip"}),
            json!({"tags": [""]}),
            json!({"tags": ["  "]}),
            json!({"tags": ["x".repeat(65)]}),
            json!({"tags": [1]}),
        ] {
            let reply = api.call(method.clone(), &path, Some(&body)).await;
            assert_names_field(&format!("{method} {body}"), &reply, "tags");
        }
        let reply = api
            .call(
                method.clone(),
                &path,
                Some(&json!({"tags": ["a"], "colour": "red"})),
            )
            .await;
        assert_names_field(&format!("{method} unknown field"), &reply, "colour");
        let reply = api.raw(method.clone(), &path, r#"{"tags": ["#).await;
        assert_error(
            &format!("{method} broken JSON"),
            &reply,
            StatusCode::BAD_REQUEST,
        );
    }
    // A contact carries at most 100 tags.
    let first: Vec<String> = (0..60).map(|i| format!("a{i}")).collect();
    let second: Vec<String> = (0..60).map(|i| format!("b{i}")).collect();
    let reply = change(&api, Method::POST, &contact, json!(first)).await;
    ok_json("60 tags", &reply, StatusCode::CREATED);
    let reply = change(&api, Method::POST, &contact, json!(second)).await;
    assert_names_field("120 tags", &reply, "tags");
    let got = ok_json("get", &api.get(&contact).await, StatusCode::OK);
    assert_eq!(got["contact"]["tags"], json!(first));
    assert_eq!(app.count("webhook_events"), 2, "the create and the 60 tags");
}
