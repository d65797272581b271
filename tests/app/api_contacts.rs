//! Contacts in API v2: HighLevel's shapes for create, read, update and
//! delete, and the search filters (`email` eq, `tags` contains,
//! `dateAdded` range; anything else a 422).

use chrono::DateTime;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::{Api, assert_error, assert_names_field, ok_json, ready};
use crate::integration_support::execute;

#[track_caller]
fn assert_instant(what: &str, value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("{what}: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{what} {text}: {e}"));
}

#[actix_web::test]
async fn contacts_are_created_read_updated_and_deleted_in_highlevels_shapes() {
    let (app, api, location) = ready().await;
    let input = json!({
        "locationId": location, "firstName": "Ada", "lastName": "Lovelace",
        "email": "Ada@Example.COM", "phone": "+44 20 7946 0000",
        "companyName": "Analytical Engines", "address1": "12 St James's Square",
        "city": "London", "state": "Greater London", "postalCode": "SW1Y 4JH",
        "country": "GB", "website": "https://example.com/ada",
        "timezone": "Europe/London", "source": "api test", "tags": ["vip", "eu", "vip"],
    });

    let reply = api.post("/v2/contacts/", &input).await;
    let created = ok_json("create", &reply, StatusCode::CREATED)["contact"].clone();
    let id = created["id"].as_str().expect("an id").to_string();
    assert_eq!(created["locationId"], location.as_str());
    assert_eq!(created["name"], "Ada Lovelace", "derived name");
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["tags"], json!(["vip", "eu"]));
    for field in [
        "firstName",
        "lastName",
        "phone",
        "companyName",
        "address1",
        "city",
        "state",
        "postalCode",
        "country",
        "website",
        "timezone",
        "source",
    ] {
        assert_eq!(created[field], input[field], "{field}");
    }
    assert_instant("dateAdded", &created["dateAdded"]);
    assert_instant("dateUpdated", &created["dateUpdated"]);

    let reply = api.get(&format!("/v2/contacts/{id}")).await;
    assert_eq!(ok_json("get", &reply, StatusCode::OK)["contact"], created);

    let reply = api
        .put(
            &format!("/v2/contacts/{id}/"),
            &json!({"lastName": "Byron", "phone": ""}),
        )
        .await;
    let body = ok_json("update", &reply, StatusCode::OK);
    assert_eq!(body["succeded"], true);
    assert_eq!(body["succeeded"], true);
    let updated = &body["contact"];
    assert_eq!(updated["name"], "Ada Byron");
    assert_eq!(updated["email"], "ada@example.com", "untouched fields stay");
    assert!(
        updated.get("phone").is_none(),
        "cleared, omitted: {updated}"
    );
    let reply = api.get(&format!("/v2/contacts/{id}")).await;
    assert_eq!(
        &ok_json("get again", &reply, StatusCode::OK)["contact"],
        updated
    );

    let reply = api.delete(&format!("/v2/contacts/{id}")).await;
    let body = ok_json("delete", &reply, StatusCode::OK);
    assert_eq!(body, json!({"succeded": true, "succeeded": true}));
    for (method, what) in [(Method::GET, "get"), (Method::DELETE, "delete")] {
        let reply = api.call(method, &format!("/v2/contacts/{id}"), None).await;
        assert_error(
            &format!("{what} after delete"),
            &reply,
            StatusCode::NOT_FOUND,
        );
    }
    let reply = api
        .put(
            &format!("/v2/contacts/{id}"),
            &json!({"firstName": "Zombie"}),
        )
        .await;
    assert_error("update after delete", &reply, StatusCode::NOT_FOUND);
    assert_eq!(app.count("contacts"), 0);
}

/// Ids of the contacts a search answers, in order.
async fn search(api: &Api, body: Value) -> Vec<String> {
    let reply = api.post("/v2/contacts/search", &body).await;
    let result = ok_json(&format!("search {body}"), &reply, StatusCode::OK);
    let ids: Vec<String> = result["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(result["total"], ids.len(), "total for {body}");
    ids
}

#[actix_web::test]
async fn search_filters_by_email_tags_and_date_range_and_refuses_other_filters() {
    let (app, api, location) = ready().await;
    let mut ids = Vec::new();
    for (email, tags, day) in [
        ("ada@example.com", json!(["vip", "eu"]), "2024-01-10"),
        ("bob@example.com", json!(["vip"]), "2024-02-10"),
        ("cy@example.com", json!([]), "2024-03-10"),
    ] {
        let input = json!({"locationId": location, "email": email, "tags": tags});
        let reply = api.post("/v2/contacts/", &input).await;
        let id = ok_json("create", &reply, StatusCode::CREATED)["contact"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        execute(
            &app,
            &format!("UPDATE contacts SET date_added = '{day}T12:00:00Z' WHERE id = '{id}'"),
        );
        ids.push(id);
    }
    let (a, b, c) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let filtered = |filters: Value| json!({"locationId": location, "filters": filters});
    let filter = |field: &str, operator: &str, value: Value| {
        filtered(json!([{"field": field, "operator": operator, "value": value}]))
    };

    assert_eq!(search(&api, json!({"locationId": location})).await, ids);
    assert_eq!(
        search(&api, filter("email", "eq", json!("ADA@example.com"))).await,
        [a.as_str()]
    );
    assert_eq!(
        search(&api, filter("tags", "contains", json!("vip"))).await,
        [a.clone(), b.clone()]
    );
    assert_eq!(
        search(&api, filter("tags", "contains", json!(["vip", "eu"]))).await,
        [a.as_str()]
    );
    // Tags are kept lower-cased and trimmed, so a search is read the same way.
    assert_eq!(
        search(&api, filter("tags", "contains", json!(" VIP "))).await,
        [a.clone(), b.clone()]
    );
    let february = json!({"gte": "2024-02-01", "lte": "2024-02-28T23:59:59Z"});
    assert_eq!(
        search(&api, filter("dateAdded", "range", february)).await,
        [b.as_str()]
    );
    let march_ms = 1_709_251_200_000_i64; // 2024-03-01T00:00:00Z
    assert_eq!(
        search(&api, filter("dateAdded", "range", json!({"gte": march_ms}))).await,
        [c.as_str()]
    );
    let both = filtered(json!([
        {"field": "tags", "operator": "contains", "value": "vip"},
        {"field": "email", "operator": "eq", "value": "bob@example.com"},
    ]));
    assert_eq!(search(&api, both).await, [b.as_str()]);
    let newest_first =
        json!({"locationId": location, "sort": [{"field": "dateAdded", "direction": "desc"}]});
    assert_eq!(search(&api, newest_first).await, [c, b.clone(), a]);
    assert_eq!(
        search(&api, json!({"locationId": location, "query": "BOB@"})).await,
        [b]
    );

    for (field, operator, value) in [
        ("phone", "eq", json!("1")),
        ("email", "contains", json!("ada")),
        ("tags", "eq", json!("vip")),
        ("dateAdded", "eq", json!("2024-01-10")),
        ("dateAdded", "range", json!({"gt": "2024-01-01"})),
        ("dateAdded", "range", json!({"gte": "last tuesday"})),
        ("email", "eq", json!(7)),
    ] {
        let body = filter(field, operator, value);
        let reply = api
            .call(Method::POST, "/v2/contacts/search", Some(&body))
            .await;
        assert_names_field(&format!("search {body}"), &reply, "filters");
    }
}
