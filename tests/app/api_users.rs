//! The users routes: the account's users oldest first, and a search whose
//! text matches email addresses literally (`_` and `%` are no wildcards),
//! counted in full and read a page at a time.

use reqwest::StatusCode;
use serde_json::Value;

use crate::api_support::{ok_json, ready};
use crate::helpers::OWNER_EMAIL;
use crate::integration_support::execute;

/// The emails of a users answer, in order.
fn emails(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users in {body}"))
        .iter()
        .map(|u| u["email"].as_str().expect("an email").to_string())
        .collect()
}

#[actix_web::test]
async fn user_search_takes_wildcards_literally_counts_every_match_and_pages_oldest_first() {
    let (app, api, location) = ready().await;
    let added = ["ann_lee@acme.test", "annxlee@acme.test", "bob%x@acme.test"];
    for (i, email) in added.iter().enumerate() {
        execute(
            &app,
            &format!(
                "INSERT INTO users (account_id, email, password_hash, role, created_at) \
                 VALUES ('{location}', '{email}', 'not-a-hash', 'viewer', \
                 now() + interval '{} seconds')",
                i + 1
            ),
        );
    }
    let search = |query: &str| format!("/v2/users/search?companyId={location}&{query}");

    let body = ok_json(
        "ann_",
        &api.get(&search("query=ANN_")).await,
        StatusCode::OK,
    );
    assert_eq!(emails(&body), ["ann_lee@acme.test"], "{body}");
    assert_eq!(body["count"], 1);

    let body = ok_json("%", &api.get(&search("query=%25")).await, StatusCode::OK);
    assert_eq!(emails(&body), ["bob%x@acme.test"], "{body}");
    assert_eq!(body["count"], 1);

    let reply = api.get(&search("query=acme.test&skip=1&limit=2")).await;
    let body = ok_json("a page", &reply, StatusCode::OK);
    assert_eq!(emails(&body), &added[..2], "{body}");
    assert_eq!(body["count"], 4, "every match, not the page");

    let reply = api.get(&format!("/v2/users/?locationId={location}")).await;
    let body = ok_json("the list", &reply, StatusCode::OK);
    let mut all = vec![OWNER_EMAIL];
    all.extend(added);
    assert_eq!(emails(&body), all, "{body}");
    assert_eq!(body["users"][0]["roles"]["role"], "admin", "{body}");
    assert_eq!(body["users"][1]["roles"]["role"], "user", "{body}");
}

/// Adds `(email, role)` users to the account, each a second newer than the last.
fn add_users(app: &crate::helpers::TestApp, location: &str, users: &[(&str, &str)]) {
    for (i, (email, role)) in users.iter().enumerate() {
        execute(
            app,
            &format!(
                "INSERT INTO users (account_id, email, password_hash, role, created_at) \
                 VALUES ('{location}', '{email}', 'not-a-hash', '{role}', \
                 now() + interval '{} seconds')",
                i + 1
            ),
        );
    }
}

fn id_of(app: &crate::helpers::TestApp, email: &str) -> String {
    crate::integration_support::texts(
        app,
        &format!("SELECT id::text AS s FROM users WHERE email = '{email}'"),
    )
    .remove(0)
}

#[actix_web::test]
async fn every_search_parameter_highlevel_declares_filters_sorts_or_is_refused() {
    let (app, api, location) = ready().await;
    add_users(
        &app,
        &location,
        &[
            ("zed@acme.test", "admin"),
            ("amy@acme.test", "viewer"),
            ("kim@acme.test", "viewer"),
        ],
    );
    let search = |query: &str| format!("/v2/users/search?companyId={location}&{query}");
    let get = |query: &'static str| {
        let api = &api;
        let path = search(query);
        async move {
            let reply = api.get(&path).await;
            ok_json(query, &reply, StatusCode::OK)
        }
    };

    // ids: only those users; an id that is not ours matches nobody.
    let (amy, kim) = (id_of(&app, "amy@acme.test"), id_of(&app, "kim@acme.test"));
    let body = ok_json(
        "ids",
        &api.get(&search(&format!("ids={amy},{kim}"))).await,
        StatusCode::OK,
    );
    assert_eq!(emails(&body), ["amy@acme.test", "kim@acme.test"], "{body}");
    assert_eq!(body["count"], 2);
    let body = get("ids=doesnotexist").await;
    assert_eq!(emails(&body), Vec::<String>::new(), "{body}");
    assert_eq!(body["count"], 0);

    // role: admin is owners and admins, user is viewers.
    let body = get("role=admin").await;
    assert_eq!(emails(&body), [OWNER_EMAIL, "zed@acme.test"], "{body}");
    let body = get("role=user").await;
    assert_eq!(emails(&body), ["amy@acme.test", "kim@acme.test"], "{body}");

    // type: every user here is an account user.
    assert_eq!(get("type=account").await["count"], 4);
    assert_eq!(get("type=agency").await["count"], 0);

    // sort and sortDirection.
    let body = get("sort=email&sortDirection=asc").await;
    let mut sorted = vec![
        "amy@acme.test",
        "kim@acme.test",
        OWNER_EMAIL,
        "zed@acme.test",
    ];
    sorted.sort();
    assert_eq!(emails(&body), sorted, "{body}");
    let body = get("sort=dateAdded&sortDirection=desc").await;
    assert_eq!(
        emails(&body),
        [
            "kim@acme.test",
            "amy@acme.test",
            "zed@acme.test",
            OWNER_EMAIL
        ],
        "{body}"
    );

    // enabled2waySync: nobody syncs calendars two ways.
    assert_eq!(get("enabled2waySync=false").await["count"], 4);
    assert_eq!(get("enabled2waySync=true").await["count"], 0);

    for bad in [
        "role=superuser",
        "type=robot",
        "sort=shoeSize",
        "sortDirection=sideways",
        "enabled2waySync=maybe",
    ] {
        let reply = api.get(&search(bad)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.body
        );
        let field = bad.split('=').next().unwrap_or_default();
        assert!(reply.body.contains(field), "{bad}: {}", reply.body);
    }
}

#[actix_web::test]
async fn one_user_is_read_by_id_within_the_account_only() {
    let (app, api, location) = ready().await;
    add_users(&app, &location, &[("amy@acme.test", "viewer")]);
    let amy = id_of(&app, "amy@acme.test");
    let body = ok_json(
        "get",
        &api.get(&format!("/v2/users/{amy}")).await,
        StatusCode::OK,
    );
    assert_eq!(body["id"], amy.as_str());
    assert_eq!(body["email"], "amy@acme.test");
    assert_eq!(body["roles"]["role"], "user");
    assert!(!body.to_string().contains("hash"), "{body}");

    for missing in [uuid::Uuid::new_v4().to_string(), "doesnotexist".to_string()] {
        let reply = api.get(&format!("/v2/users/{missing}")).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{missing}: {}",
            reply.body
        );
    }
    // Another account's user is not found either.
    crate::api_support::second_account(&app).await;
    let other = id_of(&app, "other@example.com");
    let reply = api.get(&format!("/v2/users/{other}")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}
