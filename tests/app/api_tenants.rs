//! Tenant isolation in API v2: a token of one account gets 403 for another
//! account's `locationId`/`companyId` on every route taking one, 404 for its
//! contacts, and never sees its records in lists.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{
    ALL_SCOPES, Api, assert_error, insert_contact, location_of, ok_json, second_account,
};
use crate::helpers::spawn_app;
use crate::integration_support::{create_with_token, json as json_of};

#[actix_web::test]
async fn another_accounts_location_is_403_and_its_contacts_404_on_every_route() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, acme_token) = create_with_token(&app, "Acme app", &ALL_SCOPES, "").await;
    let acme = location_of(&app, &acme_token).await;
    let acme_contact = insert_contact(&app, &acme, "Secret");
    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let mine = location_of(&app, &other_token).await;
    assert_ne!(acme, mine);
    let my_contact = insert_contact(&app, &mine, "Mine");
    let api = Api::new(&app, &other_token);

    let foreign_location = [
        api.get(&format!("/v2/contacts/?locationId={acme}")).await,
        api.get(&format!("/v2/contacts?locationId={}", acme.to_uppercase()))
            .await,
        api.post(
            "/v2/contacts/",
            &json!({"locationId": acme, "firstName": "Intruder"}),
        )
        .await,
        api.post("/v2/contacts/search", &json!({"locationId": acme}))
            .await,
        api.put(
            &format!("/v2/contacts/{my_contact}"),
            &json!({"locationId": acme, "firstName": "Moved"}),
        )
        .await,
        api.get(&format!("/v2/locations/{acme}")).await,
        api.get(&format!("/v2/locations/{acme}/")).await,
        api.get(&format!("/v2/users/?locationId={acme}")).await,
        api.get(&format!("/v2/users/search?companyId={acme}")).await,
        api.get(&format!("/v2/users/search?locationId={acme}"))
            .await,
        api.get(&format!(
            "/v2/users/search?companyId={mine}&locationId={acme}"
        ))
        .await,
    ];
    for (i, reply) in foreign_location.iter().enumerate() {
        let body = assert_error(
            &format!("foreign location, call {i}"),
            reply,
            StatusCode::FORBIDDEN,
        );
        // One check, one wording, wherever the id is given.
        assert_eq!(
            body["message"], "The token does not have access to this location",
            "call {i}"
        );
    }

    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [acme_contact.as_str(), unknown.as_str(), "not-a-uuid"] {
        let path = format!("/v2/contacts/{id}");
        assert_error(
            &format!("GET {id}"),
            &api.get(&path).await,
            StatusCode::NOT_FOUND,
        );
        let reply = api.put(&path, &json!({"firstName": "Hijacked"})).await;
        assert_error(&format!("PUT {id}"), &reply, StatusCode::NOT_FOUND);
        let reply = api.delete(&path).await;
        assert_error(&format!("DELETE {id}"), &reply, StatusCode::NOT_FOUND);
    }

    // Acme's contact is untouched, and nothing was created anywhere.
    let acme_api = Api::new(&app, &acme_token);
    let reply = acme_api.get(&format!("/v2/contacts/{acme_contact}")).await;
    let body = ok_json("Acme reads its contact", &reply, StatusCode::OK);
    assert_eq!(body["contact"]["firstName"], "Secret");
    assert_eq!(app.count("contacts"), 2);
    let reply = acme_api.get(&format!("/v2/contacts/{my_contact}")).await;
    assert_error("Acme reads Other's contact", &reply, StatusCode::NOT_FOUND);
}

/// The `id`s of `items` (contacts or users) in a JSON answer.
fn ids(body: &Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {body}"))
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_string())
        .collect()
}

#[actix_web::test]
async fn lists_and_searches_show_only_the_tokens_own_account() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, acme_token) = create_with_token(&app, "Acme app", &ALL_SCOPES, "").await;
    let acme = location_of(&app, &acme_token).await;
    let acme_contact = insert_contact(&app, &acme, "Shared");
    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let mine = location_of(&app, &other_token).await;
    let my_contact = insert_contact(&app, &mine, "Shared");
    let api = Api::new(&app, &other_token);

    let reply = api
        .get(&format!("/v2/contacts/?locationId={mine}&query=shared"))
        .await;
    let body = ok_json("list", &reply, StatusCode::OK);
    assert_eq!(ids(&body, "contacts"), vec![my_contact.clone()]);
    assert_eq!(body["count"], 1);

    let reply = api
        .post(
            "/v2/contacts/search",
            &json!({"locationId": mine, "query": "Shared"}),
        )
        .await;
    let body = ok_json("search", &reply, StatusCode::OK);
    assert_eq!(ids(&body, "contacts"), vec![my_contact.clone()]);
    assert_eq!(body["total"], 1);

    for path in [
        format!("/v2/users/?locationId={mine}"),
        format!("/v2/users/search?companyId={mine}"),
    ] {
        let reply = api.get(&path).await;
        let body = ok_json(&path, &reply, StatusCode::OK);
        let lower = reply.body.to_lowercase();
        assert!(
            !lower.contains("argon2") && !lower.contains("password"),
            "{path} leaks a password hash: {body}"
        );
        let emails: Vec<&str> = body["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["email"].as_str().expect("email"))
            .collect();
        assert_eq!(emails, vec!["other@example.com"], "{path}: {body}");
    }

    let reply = api.get(&format!("/v2/locations/{mine}")).await;
    let body = ok_json("own location", &reply, StatusCode::OK);
    assert_eq!(body["location"]["id"], mine.as_str());
    assert_eq!(body["location"]["name"], "Other Co");

    let body = json_of(
        &Api::new(&app, &acme_token)
            .get(&format!("/v2/contacts/?locationId={acme}"))
            .await,
    );
    assert_eq!(ids(&body, "contacts"), vec![acme_contact]);
}

#[actix_web::test]
async fn an_account_id_in_the_query_of_any_route_must_be_the_tokens_own() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, acme_token) = create_with_token(&app, "Acme app", &ALL_SCOPES, "").await;
    let acme = location_of(&app, &acme_token).await;
    let other = second_account(&app).await;
    let (_, other_token) = create_with_token(&other, "Other app", &ALL_SCOPES, "").await;
    let mine = location_of(&app, &other_token).await;
    let my_contact = insert_contact(&app, &mine, "Mine");
    let api = Api::new(&app, &other_token);

    // Routes that declare no account id still refuse another account's.
    for field in ["locationId", "companyId"] {
        for path in [
            format!("/v2/contacts/{my_contact}?{field}={acme}"),
            format!("/v2/token?{field}={acme}"),
        ] {
            assert_error(&path, &api.get(&path).await, StatusCode::FORBIDDEN);
        }
        let delete = format!("/v2/contacts/{my_contact}?{field}={acme}");
        assert_error(&delete, &api.delete(&delete).await, StatusCode::FORBIDDEN);
    }
    let kept = api.get(&format!("/v2/contacts/{my_contact}")).await;
    ok_json("the contact is still there", &kept, StatusCode::OK);
    // Its own account is fine anywhere.
    let own = api
        .get(&format!("/v2/contacts/{my_contact}?locationId={mine}"))
        .await;
    ok_json("own location", &own, StatusCode::OK);
}
