//! What an integration may be called: names are unique per account (ignoring
//! case, among integrations not deleted), even when two people save at the
//! same moment; names hold no control, invisible or text-direction
//! characters; and no text field's NUL character ever reaches the database.
//! Each refusal is the form again (422) with the error by its field.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use private_integrations::db::MIGRATIONS;
use reqwest::StatusCode;

use crate::api_support::edit_integration;
use crate::helpers::{Reply, TestApp, TestDb, excerpt, spawn_app};
use crate::integration_support::{
    BASE, act, create_with_token, id_from_reveal_location, integration_path, post_create, texts,
};

/// The message shown by `field` on a re-rendered form, if any.
fn field_error(body: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"{field}-error\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("</p>")?;
    Some(body[start..start + end].to_string())
}

/// Asserts the form came back (422) with an error by `field` containing
/// `words`, and that the form still shows `kept` (the value entered).
#[track_caller]
fn assert_refused_by(what: &str, reply: &Reply, field: &str, words: &str, kept: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        excerpt(&reply.body)
    );
    let error = field_error(&reply.body, field)
        .unwrap_or_else(|| panic!("{what}: no error by {field}: {}", excerpt(&reply.body)));
    assert!(error.contains(words), "{what}: error by {field}: {error:?}");
    assert!(
        reply.body.contains(kept),
        "{what}: the entered value {kept:?} is not kept: {}",
        excerpt(&reply.body)
    );
}

/// Names of the account's integrations not deleted, sorted.
fn live_names(app: &TestApp) -> Vec<String> {
    texts(
        app,
        "SELECT name AS s FROM integrations WHERE deleted_at IS NULL ORDER BY name",
    )
}

async fn owner_with(names: &[&str]) -> (TestApp, Vec<String>) {
    let app = spawn_app().await;
    app.setup_owner().await;
    let mut ids = Vec::new();
    for name in names {
        let (id, _) = create_with_token(&app, name, &["contacts.readonly"], "").await;
        ids.push(id);
    }
    (app, ids)
}

#[actix_web::test]
async fn two_creates_of_one_name_at_once_give_one_integration_and_one_422() {
    let (app, _) = owner_with(&[]).await;
    let token = app.csrf_token(&format!("{BASE}/new")).await;
    for round in 0..4 {
        let name = format!("Zapier {round}");
        let fields = [
            ("name", name.as_str()),
            ("description", ""),
            ("lifetime_days", ""),
            ("scopes", "contacts.readonly"),
            ("csrf_token", token.as_str()),
        ];
        let (a, b) = tokio::join!(app.post_form(BASE, &fields), app.post_form(BASE, &fields));
        let mut statuses = vec![a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
            "round {round}: {} / {}",
            excerpt(&a.body),
            excerpt(&b.body)
        );
        let refused = if a.status == StatusCode::SEE_OTHER {
            &b
        } else {
            &a
        };
        assert_refused_by("the second create", refused, "name", "already named", &name);
        let rows = app.db.query_count(&format!(
            "SELECT count(*) AS n FROM integrations WHERE name = '{name}'"
        ));
        assert_eq!(rows, 1, "round {round}");
    }
    assert_eq!(app.count("access_tokens"), 4, "one token per integration");
}

#[actix_web::test]
async fn a_name_differing_only_in_case_is_taken() {
    let (app, _) = owner_with(&["Zapier"]).await;
    for name in ["zapier", "ZAPIER", "  ZaPiEr  "] {
        let reply = post_create(&app, name, "", &["contacts.readonly"], "").await;
        assert_refused_by(name, &reply, "name", "already named", name.trim());
    }
    assert_eq!(live_names(&app), ["Zapier"]);
    assert_eq!(app.count("access_tokens"), 1);
}

#[actix_web::test]
async fn renaming_to_another_integrations_name_is_refused_and_changes_nothing() {
    let (app, ids) = owner_with(&["Alpha", "Beta"]).await;
    let beta = &ids[1];
    let reply = edit_integration(&app, beta, "ALPHA", &["users.readonly"], "").await;
    assert_refused_by("rename to ALPHA", &reply, "name", "already named", "ALPHA");
    assert_eq!(live_names(&app), ["Alpha", "Beta"]);
    let scopes = texts(
        &app,
        &format!("SELECT array_to_string(scopes, ',') AS s FROM integrations WHERE id = '{beta}'"),
    );
    assert_eq!(
        scopes,
        ["contacts.readonly"],
        "the refused edit changed nothing"
    );

    // Its own name, in other letters' case, is no clash.
    let reply = edit_integration(&app, beta, "BETA", &["contacts.readonly"], "").await;
    reply.assert_redirect_to(&integration_path(beta, ""));
    assert_eq!(live_names(&app), ["Alpha", "BETA"]);
}

#[actix_web::test]
async fn a_deleted_integrations_name_may_be_used_again() {
    let (app, ids) = owner_with(&["Legacy sync"]).await;
    act(&app, &ids[0], "/delete", &[])
        .await
        .assert_redirect_to(BASE);
    let reply = post_create(&app, "legacy SYNC", "", &["contacts.readonly"], "").await;
    id_from_reveal_location(&reply);
    assert_eq!(live_names(&app), ["legacy SYNC"]);
    assert_eq!(app.count("integrations"), 2);
}

#[actix_web::test]
async fn control_invisible_and_direction_characters_are_refused_in_names() {
    let (app, ids) = owner_with(&["Payroll"]).await;
    let id = &ids[0];
    for name in [
        "Pay\u{0}roll 2",
        "Pay\troll 2",
        "Pay\u{1B}[31mroll",
        "Pay\u{85}roll 2",
        "Pay\u{200B}roll",
        "Pay\u{200F}roll",
        "lloryaP\u{202E}",
        "Pay\u{2066}roll\u{2069}",
        "\u{FEFF}Payroll",
        "Pay\u{AD}roll",
    ] {
        let what = format!("{name:?}");
        let reply = post_create(&app, name, "", &["contacts.readonly"], "").await;
        assert_refused_by(&format!("create {what}"), &reply, "name", "U+", name);
        let reply = edit_integration(&app, id, name, &["contacts.readonly"], "").await;
        assert_refused_by(&format!("edit {what}"), &reply, "name", "U+", name);
    }
    assert_eq!(live_names(&app), ["Payroll"]);
    assert_eq!(app.count("integrations"), 1);
}

#[actix_web::test]
async fn a_nul_in_any_field_of_the_integration_forms_is_a_422_by_that_field() {
    let (app, ids) = owner_with(&["Payroll"]).await;
    let id = &ids[0];
    let events = app.count("audit_events");

    let reply = post_create(&app, "Leads", "from\u{0}the web", &["users.readonly"], "").await;
    assert_refused_by(
        "create, description",
        &reply,
        "description",
        "NUL",
        "from\u{0}the web",
    );

    let edit = integration_path(id, "/edit");
    let cases = [
        ("name", "Pay\u{0}roll", "a description", "203.0.113.0/24"),
        ("description", "Payroll", "one\u{0}two", "203.0.113.0/24"),
        (
            "ip_allowlist",
            "Payroll",
            "a description",
            "203.0.113.0/24\n\u{0}",
        ),
    ];
    for (field, name, description, allowlist) in cases {
        let reply = app
            .submit(
                &edit,
                &edit,
                &[
                    ("name", name),
                    ("description", description),
                    ("ip_allowlist", allowlist),
                    ("scopes", "users.readonly"),
                ],
            )
            .await;
        let kept = match field {
            "name" => name,
            "description" => description,
            _ => allowlist,
        };
        let words = if field == "name" { "U+0000" } else { "NUL" };
        assert_refused_by(&format!("edit, {field}"), &reply, field, words, kept);
    }
    assert_eq!(live_names(&app), ["Payroll"]);
    assert_eq!(
        texts(&app, "SELECT description AS s FROM integrations"),
        [""]
    );
    assert_eq!(app.count("audit_events"), events, "nothing was recorded");
}

#[actix_web::test]
async fn the_migration_renames_names_already_duplicated_before_it_applies() {
    let db = TestDb::empty();
    let mut conn = db.connection();
    // Apply every migration before the one that adds the unique index.
    loop {
        let pending = conn
            .pending_migrations(MIGRATIONS)
            .expect("pending migrations");
        let next = pending.first().expect("the unique-names migration exists");
        if next.name().to_string().contains("unique_integration_names") {
            break;
        }
        conn.run_migration(next.as_ref())
            .expect("an earlier migration");
    }
    conn.batch_execute(
        "INSERT INTO accounts (id, name) VALUES \
         ('00000000-0000-0000-0000-00000000000a', 'A'), ('00000000-0000-0000-0000-00000000000b', 'B'); \
         INSERT INTO integrations (account_id, name, scopes, created_at, deleted_at) VALUES \
         ('00000000-0000-0000-0000-00000000000a', 'Sync', '{}', now() - interval '3 days', NULL), \
         ('00000000-0000-0000-0000-00000000000a', 'SYNC', '{}', now() - interval '2 days', NULL), \
         ('00000000-0000-0000-0000-00000000000a', 'sync', '{}', now() - interval '1 day', NULL), \
         ('00000000-0000-0000-0000-00000000000a', 'Sync (2)', '{}', now(), NULL), \
         ('00000000-0000-0000-0000-00000000000a', 'Sync', '{}', now() - interval '1 hour', now()), \
         ('00000000-0000-0000-0000-00000000000b', 'Sync', '{}', now(), NULL)",
    )
    .expect("seed duplicates");
    conn.run_pending_migrations(MIGRATIONS)
        .expect("the migration applies over duplicates");

    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let names: Vec<String> = diesel::sql_query(
        "SELECT a.name || ' ' || i.name || (CASE WHEN i.deleted_at IS NULL THEN '' ELSE ' deleted' END) AS s \
         FROM integrations i JOIN accounts a ON a.id = i.account_id ORDER BY a.name, i.created_at",
    )
    .load::<Named>(&mut conn)
    .expect("names")
    .into_iter()
    .map(|n| n.s)
    .collect();
    assert_eq!(
        names,
        [
            "A Sync",
            "A SYNC (3)",
            "A sync (4)",
            "A Sync deleted",
            "A Sync (2)",
            "B Sync",
        ]
    );
}
