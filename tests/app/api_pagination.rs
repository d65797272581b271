//! Walking 250 contacts a page at a time: the list's `startAfterId` /
//! `startAfter` cursor (and its `nextPageUrl`), the search's `searchAfter`,
//! and page numbers each yield every contact exactly once, also where many
//! contacts share one `dateAdded`.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{Api, location_of, ok_json};
use crate::helpers::{TestApp, spawn_app};
use crate::integration_support::{create_with_token, execute, texts};

const TOTAL: usize = 250;

/// An app whose account holds 250 contacts: 1–80 a second apart, 81–130
/// all at one instant (straddling the first page boundary), the rest in
/// pairs sharing an instant. Returns the app, an API client and the
/// location.
async fn with_250_contacts() -> (TestApp, Api, String) {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "Walker", &["contacts.readonly"], "").await;
    let location = location_of(&app, &token).await;
    execute(
        &app,
        &format!(
            "INSERT INTO contacts (account_id, first_name, name, email, date_added) \
             SELECT '{location}', 'Walker ' || g, 'Walker ' || g, 'walker' || g || '@example.com', \
             timestamptz '2024-01-01T00:00:00.123Z' + interval '1 second' * \
             (CASE WHEN g <= 80 THEN g WHEN g <= 130 THEN 81 ELSE 81 + (g - 129) / 2 END) \
             FROM generate_series(1, {TOTAL}) AS g"
        ),
    );
    let api = Api::new(&app, &token);
    (app, api, location)
}

/// The contacts of a list or search answer.
fn contacts(body: &Value) -> &Vec<Value> {
    body["contacts"]
        .as_array()
        .unwrap_or_else(|| panic!("no contacts array: {body}"))
}

/// Asserts `seen` holds every contact of the account exactly once.
#[track_caller]
fn assert_each_once(app: &TestApp, what: &str, seen: &[String]) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{what}: repeats");
    let all: HashSet<String> = texts(app, "SELECT id::text AS s FROM contacts")
        .into_iter()
        .collect();
    assert_eq!(all.len(), TOTAL);
    let seen: HashSet<String> = seen.iter().cloned().collect();
    let missing: Vec<&String> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "{what}: gaps, missing {missing:?}");
    assert_eq!(seen, all, "{what}");
}

/// Appends a page's ids to `seen`, checking `dateAdded` never goes the
/// wrong way; returns the page's size.
fn take_page(what: &str, body: &Value, seen: &mut Vec<String>, descending: bool) -> usize {
    let page = contacts(body);
    let mut previous: Option<String> = None;
    for contact in page {
        let added = contact["dateAdded"]
            .as_str()
            .expect("dateAdded")
            .to_string();
        if let Some(p) = &previous {
            let in_order = if descending { &added <= p } else { &added >= p };
            assert!(in_order, "{what}: {added} after {p}");
        }
        previous = Some(added);
        seen.push(contact["id"].as_str().expect("id").to_string());
    }
    page.len()
}

#[actix_web::test]
async fn listing_walks_250_contacts_by_cursor_without_gaps_or_repeats() {
    let (app, api, location) = with_250_contacts().await;
    let first = format!("/v2/contacts/?locationId={location}&limit=100");

    let mut seen = Vec::new();
    let mut path = first.clone();
    for round in 0.. {
        assert!(round < 10, "the walk does not end");
        let body = ok_json(&path, &api.get(&path).await, StatusCode::OK);
        assert_eq!(body["count"], TOTAL, "{path}");
        let taken = take_page(&path, &body, &mut seen, false);
        if taken < 100 {
            break;
        }
        let meta = &body["meta"];
        let after_id = meta["startAfterId"].as_str().expect("meta.startAfterId");
        let after = meta["startAfter"].as_i64().expect("meta.startAfter");
        path = format!("{first}&startAfterId={after_id}&startAfter={after}");
    }
    assert_each_once(&app, "startAfterId/startAfter walk", &seen);

    // The same walk following meta.nextPageUrl.
    let mut seen = Vec::new();
    let mut url = api.client.url(&first);
    for round in 0.. {
        assert!(round < 10, "the nextPageUrl walk does not end");
        let request = api.client.client.get(&url).bearer_auth(&api.token);
        let body = ok_json(&url, &api.client.send(request).await, StatusCode::OK);
        take_page(&url, &body, &mut seen, false);
        match body["meta"]["nextPageUrl"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_each_once(&app, "nextPageUrl walk", &seen);
}

#[actix_web::test]
async fn search_walks_250_contacts_by_search_after_both_ways_without_gaps_or_repeats() {
    let (app, api, location) = with_250_contacts().await;

    for direction in ["asc", "desc"] {
        let what = format!("searchAfter walk, {direction}");
        let mut seen = Vec::new();
        let mut after: Option<Value> = None;
        for round in 0.. {
            assert!(round < 10, "{what} does not end");
            let mut body = json!({
                "locationId": location,
                "pageLimit": 100,
                "sort": [{"field": "dateAdded", "direction": direction}],
            });
            if let Some(after) = &after {
                body["searchAfter"] = after.clone();
            }
            let reply = api.post("/v2/contacts/search", &body).await;
            let result = ok_json(&what, &reply, StatusCode::OK);
            assert_eq!(result["total"], TOTAL, "{what}");
            let taken = take_page(&what, &result, &mut seen, direction == "desc");
            if taken < 100 {
                break;
            }
            let last = contacts(&result).last().expect("a last contact");
            after = Some(last["searchAfter"].clone());
            assert!(after.as_ref().is_some_and(Value::is_array), "{last}");
        }
        assert_each_once(&app, &what, &seen);
    }
}

#[actix_web::test]
async fn search_pages_by_number_cover_250_contacts_exactly_once() {
    let (app, api, location) = with_250_contacts().await;

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for page in 1..=4 {
        let body = json!({"locationId": location, "pageLimit": 100, "page": page});
        let reply = api.post("/v2/contacts/search", &body).await;
        let result = ok_json(&format!("page {page}"), &reply, StatusCode::OK);
        assert_eq!(result["total"], TOTAL);
        sizes.push(take_page(
            &format!("page {page}"),
            &result,
            &mut seen,
            false,
        ));
    }
    assert_eq!(sizes, vec![100, 100, 50, 0]);
    assert_each_once(&app, "page numbers", &seen);
}
