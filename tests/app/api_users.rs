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
