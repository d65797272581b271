//! The used-scopes report turns into an action (SPEC §9): "Remove unused
//! scopes" opens the normal edit form with only the scopes worth keeping
//! ticked; a scope granted less than 30 days ago is "new", not "unused".

use reqwest::StatusCode;

use crate::api_support::{Api, edit_integration, eventually, location_of};
use crate::helpers::spawn_app;
use crate::integration_support::{create_with_token, execute, integration_path};

/// The `<li>` of scope `name` in the report.
fn scope_item(body: &str, name: &str) -> String {
    let start = body
        .find(&format!("data-scope=\"{name}\""))
        .unwrap_or_else(|| panic!("{name} listed"));
    let end = body[start..].find("</li>").unwrap_or(0);
    body[start..start + end].to_string()
}

/// The `href` of the "Remove unused scopes" link, if the page has one.
fn remove_link(body: &str) -> Option<String> {
    let at = body.find("id=\"remove-unused-scopes\" href=\"")?;
    let rest = &body[at + "id=\"remove-unused-scopes\" href=\"".len()..];
    Some(
        rest[..rest.find('"')?]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

fn ticked(form: &str) -> Vec<String> {
    form.split("<input type=\"checkbox\" name=\"scopes\" value=\"")
        .skip(1)
        .filter_map(|s| {
            let (value, rest) = s.split_once('"')?;
            rest.starts_with(" checked").then(|| value.to_string())
        })
        .collect()
}

#[actix_web::test]
async fn remove_unused_scopes_prefills_the_edit_form_and_spares_new_scopes() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(
        &app,
        "Trimmed",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let page = integration_path(&id, "");
    let location = location_of(&app, &token).await;
    let listed = Api::new(&app, &token)
        .get(&format!("/v2/contacts/?locationId={location}"))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(eventually(10, || app.count("api_requests") == 2).await);

    let fresh = app.get(&page).await.body;
    assert!(
        scope_item(&fresh, "users.readonly").contains(">New<"),
        "granted today"
    );
    assert!(remove_link(&fresh).is_none(), "nothing is unused yet");

    // A month later: users.readonly was never used.
    execute(
        &app,
        "UPDATE audit_events SET created_at = created_at - interval '40 days'",
    );
    execute(
        &app,
        "UPDATE integrations SET created_at = created_at - interval '40 days'",
    );
    let later = app.get(&page).await.body;
    assert!(scope_item(&later, "users.readonly").contains("Not used"));
    assert!(scope_item(&later, "contacts.readonly").contains(">Used<"));
    let href = remove_link(&later).expect("a Remove unused scopes link");
    assert_eq!(
        href,
        integration_path(&id, "/edit?scopes=contacts.readonly")
    );
    let form = app.get(&href).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(ticked(&form.body), ["contacts.readonly"]);
    let plain = app.get(&integration_path(&id, "/edit")).await.body;
    assert_eq!(
        ticked(&plain),
        ["contacts.readonly", "users.readonly"],
        "without the query the form shows what is granted"
    );

    // A scope added now is new, so the link keeps it.
    edit_integration(
        &app,
        &id,
        "Trimmed",
        &["contacts.readonly", "users.readonly", "contacts.write"],
        "",
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let after = app.get(&page).await.body;
    assert!(scope_item(&after, "contacts.write").contains(">New<"));
    assert!(scope_item(&after, "users.readonly").contains("Not used"));
    let href = remove_link(&after).expect("still a link");
    let form = app.get(&href).await.body;
    let mut kept = ticked(&form);
    kept.sort();
    assert_eq!(kept, ["contacts.readonly", "contacts.write"]);
}

#[actix_web::test]
async fn a_scope_counts_as_used_whatever_the_answer_but_not_when_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(
        &app,
        "Looked up",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let api = Api::new(&app, &token);
    let location = location_of(&app, &token).await;
    // A lookup that finds nothing still needed contacts.readonly.
    let missing = api
        .get(&format!("/v2/contacts/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // A scope the integration lacks, and another account named: refused.
    let lacking = api.get(&format!("/v2/locations/{location}/tags")).await;
    assert_eq!(lacking.status, StatusCode::FORBIDDEN);
    let elsewhere = api
        .get(&format!("/v2/users/?locationId={}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert!(eventually(10, || app.count("api_requests") == 4).await);

    let used = crate::integration_support::texts(
        &app,
        &format!("SELECT scope AS s FROM usage_scopes WHERE integration_id = '{id}' ORDER BY 1"),
    );
    assert_eq!(used, ["contacts.readonly"]);
}
