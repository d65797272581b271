//! Creating, listing, editing and deleting private integrations, and the
//! one-time reveal of a new token.

use reqwest::StatusCode;

use crate::helpers::{excerpt, spawn_app};
use crate::integration_support::{
    BASE, act, api_status, create_with_token, expires_in_days, find_tokens, follow_reveal,
    id_from_reveal_location, integration_path, list_row, post_create, revealed_token, scopes_of,
    token_info,
};

const XSS: &str = "<script>alert(1)</script>";
/// The escaped forms of [`XSS`]: named or numeric character references.
const XSS_ESCAPED: [&str; 2] = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
];

#[actix_web::test]
async fn creating_an_integration_reveals_a_working_token_exactly_once() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let form = app.get(&format!("{BASE}/new")).await;
    form.assert_status(StatusCode::OK);
    for scope in crate::api_support::ALL_SCOPES {
        assert!(form.body.contains(&format!("value=\"{scope}\"")), "{scope}");
    }
    let created = post_create(
        &app,
        "Zapier sync",
        "Pushes new leads",
        &["contacts.readonly", "users.readonly"],
        "30",
    )
    .await;
    let id = id_from_reveal_location(&created);
    created.assert_redirect_to(&integration_path(&id, "/token"));
    let reveal_cookie = created
        .set_cookies
        .iter()
        .find_map(|c| c.strip_prefix("pi_reveal="))
        .and_then(|c| c.split(';').next())
        .expect("the 303 sets the pi_reveal cookie")
        .to_string();

    let page = app.get(&integration_path(&id, "/token")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let token = revealed_token(&page.body).expect("a token on the reveal page");
    assert_eq!(token.len(), 53);
    assert_eq!(find_tokens(&token), vec![token.clone()]);
    let curl = page
        .body
        .split("curl ")
        .nth(1)
        .expect("a curl example")
        .split("</code>")
        .next()
        .unwrap();
    assert!(
        curl.contains(&token) && curl.contains("/v2/token"),
        "{curl}"
    );

    let again = app.get(&integration_path(&id, "/token")).await;
    again.assert_status(StatusCode::OK);
    assert!(find_tokens(&again.body).is_empty(), "shown twice");
    assert!(
        again.body.contains("can't be shown again"),
        "{}",
        excerpt(&again.body)
    );

    let session = app.current_session_cookie().expect("signed in");
    let replay = app
        .send(
            app.client
                .get(app.url(&integration_path(&id, "/token")))
                .header(
                    "Cookie",
                    format!("pi_session={session}; pi_reveal={reveal_cookie}"),
                ),
        )
        .await;
    replay.assert_status(StatusCode::OK);
    assert!(
        find_tokens(&replay.body).is_empty() && !replay.body.contains(&token[4..]),
        "a replayed reveal cookie showed the token again"
    );

    let info = token_info(&app, &token).await;
    assert_eq!(info["integration"]["id"], id.as_str());
    assert_eq!(info["integration"]["name"], "Zapier sync");
    assert_eq!(scopes_of(&info), ["contacts.readonly", "users.readonly"]);
    let location = info["locationId"].as_str().expect("locationId");
    assert_eq!(
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE id::text = '{location}'"
        )),
        1
    );
    let ahead = expires_in_days(&info).expect("expiresAt for a 30-day lifetime");
    assert!((29.9..=30.01).contains(&ahead), "expires in {ahead} days");

    let (_, forever) = create_with_token(&app, "Forever", &["locations.readonly"], "").await;
    let info = token_info(&app, &forever).await;
    assert!(info.get("expiresAt").is_none(), "{info}");
    assert_eq!(scopes_of(&info), ["locations.readonly"]);
}

#[actix_web::test]
async fn the_list_shows_each_integration_with_its_masked_token_and_status() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let empty = app.get(BASE).await;
    empty.assert_status(StatusCode::OK);
    assert!(empty.body.contains("No private integrations yet"));

    let reply = post_create(
        &app,
        "Billing bot",
        "Reads contacts for invoices",
        &["contacts.readonly", "contacts.write"],
        "30",
    )
    .await;
    let monthly_id = id_from_reveal_location(&reply);
    let monthly = follow_reveal(&app, &reply).await;
    let (forever_id, forever) = create_with_token(&app, "Forever", &["users.readonly"], "").await;

    let list = app.get(BASE).await;
    list.assert_status(StatusCode::OK);
    assert!(!list.body.contains("No private integrations yet"));
    assert!(find_tokens(&list.body).is_empty(), "the list shows a token");
    let row = |id: &str| list_row(&list.body, id);
    let first = row(&monthly_id);
    for expected in [
        "Billing bot",
        "Reads contacts for invoices",
        "Contacts — View",
        "Contacts — Edit",
        &format!("pit_…{}", &monthly[49..]),
        "Expires in 30 days",
        "Never",
    ] {
        assert!(first.contains(expected), "{expected} missing from {first}");
    }
    let second = row(&forever_id);
    for expected in [
        "Forever",
        "Users — View",
        &format!("pit_…{}", &forever[49..]),
        "Active",
        "Never",
    ] {
        assert!(
            second.contains(expected),
            "{expected} missing from {second}"
        );
    }
}

#[actix_web::test]
async fn an_invalid_create_form_is_shown_again_with_its_input_and_creates_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let long_name = "n".repeat(101);
    let long_description = "d".repeat(501);
    let cases: Vec<(&str, &str, &str, Vec<&str>, &str)> = vec![
        (
            "empty name",
            "",
            "Some words",
            vec!["contacts.readonly"],
            "30",
        ),
        (
            "long name",
            &long_name,
            "Some words",
            vec!["users.readonly"],
            "",
        ),
        (
            "long description",
            "Fine name",
            &long_description,
            vec!["contacts.write"],
            "",
        ),
        (
            "unknown scope",
            "Fine name",
            "Some words",
            vec!["contacts.readonly", "contacts.admin"],
            "",
        ),
        ("no scope", "Fine name", "Some words", vec![], "60"),
        (
            "bad lifetime",
            "Fine name",
            "Some words",
            vec!["users.readonly"],
            "12",
        ),
    ];

    for (what, name, description, scopes, lifetime) in cases {
        let reply = post_create(&app, name, description, &scopes, lifetime).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(
            reply.body.contains(&format!("value=\"{name}\"")),
            "{what}: name not kept"
        );
        assert!(
            reply.body.contains(&format!(">{description}</textarea>")),
            "{what}: description not kept"
        );
        for scope in scopes.iter().filter(|s| **s != "contacts.admin") {
            assert!(
                reply.body.contains(&format!("value=\"{scope}\" checked")),
                "{what}: {scope} not kept ticked"
            );
        }
        if ["30", "60"].contains(&lifetime) {
            assert!(
                reply
                    .body
                    .contains(&format!("value=\"{lifetime}\" selected")),
                "{what}: lifetime not kept"
            );
        }
        assert!(
            reply.body.contains("field-error"),
            "{what}: no error message: {}",
            excerpt(&reply.body)
        );
        assert_eq!(app.count("integrations"), 0, "{what}");
        assert_eq!(app.count("access_tokens"), 0, "{what}");
    }
}

#[actix_web::test]
async fn html_in_names_and_descriptions_is_escaped_on_every_page() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let reply = post_create(&app, XSS, XSS, &["contacts.readonly"], "").await;
    let id = id_from_reveal_location(&reply);
    let reveal = app.get(&integration_path(&id, "/token")).await;
    let list = app.get(BASE).await;
    let detail = app.get(&integration_path(&id, "")).await;
    let edit = app.get(&integration_path(&id, "/edit")).await;

    for (page, reply) in [
        ("reveal", &reveal),
        ("list", &list),
        ("detail", &detail),
        ("edit", &edit),
    ] {
        reply.assert_status(StatusCode::OK);
        assert!(
            XSS_ESCAPED.iter().any(|e| reply.body.contains(e)),
            "{page}: name not shown escaped"
        );
        assert!(!reply.body.contains(XSS), "{page}: raw HTML from the name");
    }
}

#[actix_web::test]
async fn editing_changes_name_and_scopes_of_the_live_token_at_once() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Old name", &["contacts.readonly"], "").await;

    let form = app.get(&integration_path(&id, "/edit")).await;
    form.assert_status(StatusCode::OK);
    assert!(form.body.contains("value=\"Old name\""));
    assert!(form.body.contains("value=\"contacts.readonly\" checked"));
    assert!(!form.body.contains("value=\"users.readonly\" checked"));

    let saved = app
        .submit(
            &integration_path(&id, "/edit"),
            &integration_path(&id, "/edit"),
            &[
                ("name", "New name"),
                ("description", "Now with users"),
                ("scopes", "users.readonly"),
                ("scopes", "locations.readonly"),
            ],
        )
        .await;
    saved.assert_redirect_to(&integration_path(&id, ""));
    let info = token_info(&app, &token).await;
    assert_eq!(scopes_of(&info), ["locations.readonly", "users.readonly"]);
    assert_eq!(info["integration"]["name"], "New name");
    let detail = app.get(&integration_path(&id, "")).await;
    assert!(detail.body.contains("Now with users"));

    let refused = app
        .submit(
            &integration_path(&id, "/edit"),
            &integration_path(&id, "/edit"),
            &[
                ("name", ""),
                ("description", "Kept description"),
                ("scopes", "contacts.write"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(">Kept description</textarea>"));
    assert!(refused.body.contains("value=\"contacts.write\" checked"));
    assert!(refused.body.contains("field-error"));
    let info = token_info(&app, &token).await;
    assert_eq!(scopes_of(&info), ["locations.readonly", "users.readonly"]);
    assert_eq!(info["integration"]["name"], "New name");
    let detail = app.get(&integration_path(&id, "")).await;
    assert!(detail.body.contains("Now with users"));
    assert!(!detail.body.contains("Kept description"));
}

#[actix_web::test]
async fn deleting_an_integration_removes_it_and_kills_its_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Doomed app", &["contacts.readonly"], "").await;
    let (_, survivor) = create_with_token(&app, "Survivor", &["users.readonly"], "").await;
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);

    let reply = act(&app, &id, "/delete", &[]).await;
    reply.assert_redirect_to(BASE);

    let list = app.get(BASE).await;
    assert!(
        !list.body.contains(&format!("data-integration-id=\"{id}\"")),
        "{}",
        excerpt(&list.body)
    );
    assert!(list.body.contains("Survivor"));
    app.get(&integration_path(&id, ""))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &survivor).await, StatusCode::OK);
}
