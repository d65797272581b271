//! The Users page (SPEC §6): the owner adds admins and viewers, changes
//! roles and removes people, whose sessions end at once; the last owner
//! stays; admins and viewers only read the list.

use futures_util::future::join;
use reqwest::StatusCode;

use crate::audit_log::{actions, log_page};
use crate::helpers::{Browser, OWNER_EMAIL, TestApp, excerpt, spawn_app};
use crate::integration_support::{execute, texts};

const USERS: &str = "/settings/users";
const PASSWORD: &str = "a long enough password";

/// Adds a user through the owner's form.
async fn post_add(
    browser: &Browser,
    email: &str,
    role: &str,
    password: &str,
) -> crate::helpers::Reply {
    browser
        .submit(
            USERS,
            USERS,
            &[("email", email), ("role", role), ("password", password)],
        )
        .await
}

/// Adds a user and signs them in in a browser of their own.
async fn added_and_signed_in(app: &TestApp, email: &str, role: &str) -> Browser {
    post_add(app, email, role, PASSWORD)
        .await
        .assert_redirect_to(USERS);
    let browser = app.new_client();
    browser
        .login(email, PASSWORD)
        .await
        .assert_redirect_to("/settings");
    browser
}

fn user_id(app: &TestApp, email: &str) -> String {
    texts(
        app,
        &format!("SELECT id::text AS s FROM users WHERE email = '{email}'"),
    )
    .pop()
    .unwrap_or_else(|| panic!("no user {email}"))
}

fn role_of(app: &TestApp, email: &str) -> Option<String> {
    texts(
        app,
        &format!("SELECT role AS s FROM users WHERE email = '{email}'"),
    )
    .pop()
}

fn owners(app: &TestApp) -> i64 {
    app.db
        .query_count("SELECT count(*) AS n FROM users WHERE role = 'owner'")
}

async fn post_role(browser: &Browser, id: &str, role: &str) -> crate::helpers::Reply {
    browser
        .submit(USERS, &format!("{USERS}/{id}/role"), &[("role", role)])
        .await
}

async fn post_remove(browser: &Browser, id: &str) -> crate::helpers::Reply {
    browser
        .submit(USERS, &format!("{USERS}/{id}/remove"), &[])
        .await
}

/// The `<tr class="user-row">` of `email` on a Users page.
fn row_of<'a>(body: &'a str, email: &str) -> &'a str {
    body.split("<tr class=\"user-row\"")
        .skip(1)
        .map(|chunk| chunk.split("</tr>").next().unwrap_or(chunk))
        .find(|row| row.contains(email))
        .unwrap_or_else(|| panic!("no row for {email}: {}", excerpt(body)))
}

#[actix_web::test]
async fn the_owner_adds_an_admin_and_a_viewer_who_can_sign_in() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let admin = added_and_signed_in(&app, "Ada@Acme.test", "admin").await;
    let viewer = added_and_signed_in(&app, "vic@acme.test", "viewer").await;

    let page = app.get(USERS).await;
    page.assert_status(StatusCode::OK);
    assert!(row_of(&page.body, "ada@acme.test").contains(">admin<"));
    assert!(row_of(&page.body, "vic@acme.test").contains(">viewer<"));
    assert!(row_of(&page.body, OWNER_EMAIL).contains(">owner<"));
    assert_eq!(role_of(&app, "ada@acme.test").as_deref(), Some("admin"));

    // The roles hold: the admin may create, the viewer may not.
    assert_eq!(
        admin.get("/settings/private-integrations/new").await.status,
        StatusCode::OK
    );
    assert_eq!(
        viewer
            .get("/settings/private-integrations/new")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let added = log_page(&app, "?action=user.added").await;
    assert_eq!(actions(&added).len(), 2);
    assert!(
        added.contains("added <em>ada@acme.test</em> as admin"),
        "{}",
        excerpt(&added)
    );
}

#[actix_web::test]
async fn the_add_form_answers_bad_input_with_422_keeping_it() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let users_before = app.count("users");

    let short = post_add(&app, "new@acme.test", "viewer", "too short").await;
    short.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("id=\"password-error\""),
        "{}",
        excerpt(&short.body)
    );
    assert!(short.body.contains("value=\"new@acme.test\""), "email kept");
    assert!(
        short.body.contains("<option value=\"viewer\" selected>"),
        "role kept"
    );
    assert!(
        !short.body.contains("too short"),
        "a password is never shown again"
    );

    let bad = post_add(&app, "not an email", "owner", PASSWORD).await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"email-error\""));
    assert!(
        bad.body.contains("id=\"role-error\""),
        "owners are made by promotion"
    );
    assert!(bad.body.contains("value=\"not an email\""));

    for role in ["superuser", ""] {
        let reply = post_add(&app, "new@acme.test", role, PASSWORD).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("id=\"role-error\""), "{role}");
    }

    let taken = post_add(&app, "OWNER@acme.test", "admin", PASSWORD).await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .body
            .contains("Someone already signs in with this email.")
    );

    let nul = post_add(&app, "a\0b@acme.test", "admin", PASSWORD).await;
    nul.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(app.count("users"), users_before, "nothing was added");
    assert!(actions(&log_page(&app, "?action=user.added").await).is_empty());
}

#[actix_web::test]
async fn the_owner_changes_roles_and_an_unknown_role_is_422() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let ada = added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let id = user_id(&app, "ada@acme.test");

    post_role(&app, &id, "viewer")
        .await
        .assert_redirect_to(USERS);
    assert_eq!(role_of(&app, "ada@acme.test").as_deref(), Some("viewer"));
    assert_eq!(
        ada.get("/settings/private-integrations/new").await.status,
        StatusCode::FORBIDDEN,
        "the new role applies to the session she has"
    );

    for role in ["superuser", "owner ", " admin", "Owner", "owner\0"] {
        let refused = post_role(&app, &id, role).await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("Choose owner, admin or viewer."),
            "{role:?}"
        );
    }
    assert_eq!(role_of(&app, "ada@acme.test").as_deref(), Some("viewer"));

    post_role(&app, &id, "owner")
        .await
        .assert_redirect_to(USERS);
    assert_eq!(owners(&app), 2);
    let changes = log_page(&app, "?action=user.role_changed").await;
    assert_eq!(actions(&changes).len(), 2);
    assert!(changes.contains("changed the role of <em>ada@acme.test</em> from admin to viewer"));
    assert!(changes.contains("from viewer to owner"));

    // The owner's row offers demotions and removal behind a confirmation.
    let page = app.get(USERS).await.body;
    let row = row_of(&page, "ada@acme.test");
    assert!(row.contains("<details class=\"confirm\""), "{row}");
    assert!(
        row.contains(&format!("action=\"{USERS}/{id}/remove\"")),
        "{row}"
    );
    assert!(row.contains("name=\"role\" value=\"viewer\""), "{row}");
}

#[actix_web::test]
async fn the_last_owner_can_be_neither_removed_nor_demoted() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let me = user_id(&app, OWNER_EMAIL);

    for reply in [
        post_role(&app, &me, "admin").await,
        post_role(&app, &me, "viewer").await,
        post_remove(&app, &me).await,
    ] {
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("An account needs an owner"),
            "{}",
            excerpt(&reply.body)
        );
    }
    assert_eq!(owners(&app), 1);
    assert!(app.is_signed_in().await);

    // With a second owner, one of them may step down.
    added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let ada = user_id(&app, "ada@acme.test");
    post_role(&app, &ada, "owner")
        .await
        .assert_redirect_to(USERS);
    post_role(&app, &me, "admin")
        .await
        .assert_redirect_to(USERS);
    assert_eq!(role_of(&app, OWNER_EMAIL).as_deref(), Some("admin"));
    assert_eq!(owners(&app), 1);
}

#[actix_web::test]
async fn two_owners_demoted_at_once_leave_one_owner() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let ada_browser = added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let me = user_id(&app, OWNER_EMAIL);
    let ada = user_id(&app, "ada@acme.test");

    let (my_token, her_token) = (
        app.csrf_token(USERS).await,
        ada_browser.csrf_token(USERS).await,
    );
    for round in 0..8 {
        execute(&app, "UPDATE users SET role = 'owner'");
        // Each owner demotes the other, at the same moment.
        let (mine, hers) = join(
            app.post_form(
                &format!("{USERS}/{ada}/role"),
                &[("csrf_token", &my_token), ("role", "admin")],
            ),
            ada_browser.post_form(
                &format!("{USERS}/{me}/role"),
                &[("csrf_token", &her_token), ("role", "admin")],
            ),
        )
        .await;
        let (won, lost) = if mine.status == StatusCode::SEE_OTHER {
            (mine, hers)
        } else {
            (hers, mine)
        };
        won.assert_status(StatusCode::SEE_OTHER);
        // The loser is refused by the owner lock (422), or, when the
        // winner committed before the loser's request was even read, as no
        // longer an owner (403).
        assert!(
            [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN].contains(&lost.status),
            "round {round}: {}",
            lost.status
        );
        assert_eq!(owners(&app), 1, "round {round}");
    }
}

#[actix_web::test]
async fn a_removed_users_session_is_dead_on_their_next_request() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let ada_browser = added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let laptop = app.new_client();
    laptop
        .login("ada@acme.test", PASSWORD)
        .await
        .assert_redirect_to("/settings");
    let ada = user_id(&app, "ada@acme.test");
    let cookie = ada_browser.current_session_cookie().expect("signed in");

    post_remove(&app, &ada).await.assert_redirect_to(USERS);

    for browser in [&ada_browser, &laptop] {
        let reply = browser.get("/settings/private-integrations").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert!(
            reply.location().unwrap_or_default().starts_with("/login"),
            "{:?}",
            reply.location()
        );
    }
    assert_eq!(
        app.db.query_count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE user_id = '{ada}'"
        )),
        0
    );
    // The old cookie, replayed, finds nothing either.
    let replayed = app
        .new_client()
        .send(app.client.get(app.url("/settings")).header(
            "Cookie",
            format!("{}={cookie}", crate::helpers::SESSION_COOKIE),
        ))
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert_eq!(role_of(&app, "ada@acme.test"), None);
    ada_browser
        .login("ada@acme.test", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    let removed = log_page(&app, "?action=user.removed").await;
    assert!(
        removed.contains("removed <em>ada@acme.test</em>, admin"),
        "{}",
        excerpt(&removed)
    );
    // Her own events still name her.
    assert!(
        actions(&log_page(&app, "?actor=ada@acme.test").await).contains(&"user.login".to_string())
    );
}

#[actix_web::test]
async fn admins_and_viewers_see_the_list_without_buttons_and_are_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let admin = added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let viewer = added_and_signed_in(&app, "vic@acme.test", "viewer").await;
    let me = user_id(&app, OWNER_EMAIL);
    let vic = user_id(&app, "vic@acme.test");
    let users_before = app.count("users");
    let events_before = app.count("audit_events");

    for browser in [&admin, &viewer] {
        let page = browser.get(USERS).await;
        page.assert_status(StatusCode::OK);
        assert!(page.body.contains(OWNER_EMAIL), "the list is readable");
        assert!(!page.body.contains("/role\""), "no role buttons");
        assert!(!page.body.contains("/remove\""), "no remove buttons");
        assert!(!page.body.contains("id=\"add-user\""), "no add form");

        let token = browser.csrf_token(USERS).await;
        let csrf = ("csrf_token", token.as_str());
        let attempts = [
            browser
                .post_form(
                    USERS,
                    &[
                        csrf,
                        ("email", "sneaky@acme.test"),
                        ("role", "admin"),
                        ("password", PASSWORD),
                    ],
                )
                .await,
            browser
                .post_form(&format!("{USERS}/{me}/role"), &[csrf, ("role", "viewer")])
                .await,
            browser
                .post_form(&format!("{USERS}/{vic}/role"), &[csrf, ("role", "owner")])
                .await,
            browser
                .post_form(&format!("{USERS}/{me}/remove"), &[csrf])
                .await,
        ];
        for reply in attempts {
            reply.assert_status(StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(app.count("users"), users_before);
    assert_eq!(app.count("audit_events"), events_before, "nothing changed");
    assert_eq!(role_of(&app, OWNER_EMAIL).as_deref(), Some("owner"));
    assert_eq!(role_of(&app, "vic@acme.test").as_deref(), Some("viewer"));
}

#[actix_web::test]
async fn another_accounts_user_is_not_found() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let out = app
        .create_admin("Other Co", "someone@other.test", "another long password")
        .await;
    assert!(out.status.success());
    let theirs = user_id(&app, "someone@other.test");

    post_role(&app, &theirs, "viewer")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    post_remove(&app, &theirs)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    post_role(&app, "not-a-uuid", "viewer")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(
        role_of(&app, "someone@other.test").as_deref(),
        Some("owner")
    );
    assert!(!app.get(USERS).await.body.contains("someone@other.test"));
}

#[actix_web::test]
async fn removing_a_user_unassigns_their_contacts_each_a_contact_update() {
    use crate::api_support::{ALL_SCOPES, Api, location_of, ok_json};
    use crate::integration_support::create_with_token;
    use serde_json::json;

    let app = spawn_app().await;
    app.setup_owner().await;
    post_add(&app, "ada@acme.test", "admin", PASSWORD)
        .await
        .assert_redirect_to(USERS);
    let ada = user_id(&app, "ada@acme.test");
    let (_, token) = create_with_token(&app, "CRM sync", &ALL_SCOPES, "").await;
    let location = location_of(&app, &token).await;
    let api = Api::new(&app, &token);
    let mut ids = Vec::new();
    for (name, assigned) in [("Ann", true), ("Bob", true), ("Cy", false)] {
        let mut body = json!({"locationId": location, "firstName": name});
        if assigned {
            body["assignedTo"] = json!(ada);
        }
        let reply = api.post("/v2/contacts/", &body).await;
        let created = ok_json(name, &reply, StatusCode::CREATED);
        ids.push(created["contact"]["id"].as_str().expect("id").to_string());
    }

    post_remove(&app, &ada).await.assert_redirect_to(USERS);

    let events = |contact: &str| {
        texts(
            &app,
            &format!(
                "SELECT event_type || ' ' || coalesce(payload->>'assignedTo', '-') AS s \
                 FROM webhook_events WHERE payload->>'id' = '{contact}' ORDER BY created_at, id"
            ),
        )
    };
    for contact in &ids[..2] {
        let got = ok_json(
            "unassigned",
            &api.get(&format!("/v2/contacts/{contact}")).await,
            StatusCode::OK,
        );
        assert!(got["contact"].get("assignedTo").is_none(), "{got}");
        assert_eq!(
            events(contact),
            [
                format!("ContactCreate {ada}"),
                "ContactUpdate -".to_string()
            ]
        );
    }
    assert_eq!(events(&ids[2]), ["ContactCreate -"]);
    let removed = log_page(&app, "?action=user.removed").await;
    assert!(
        removed.contains("removed <em>ada@acme.test</em>, admin; 2 contacts unassigned"),
        "{}",
        excerpt(&removed)
    );
}

#[actix_web::test]
async fn an_owner_may_remove_themselves_while_another_owner_stays() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let ada_browser = added_and_signed_in(&app, "ada@acme.test", "admin").await;
    let me = user_id(&app, OWNER_EMAIL);
    let ada = user_id(&app, "ada@acme.test");
    post_role(&app, &ada, "owner")
        .await
        .assert_redirect_to(USERS);

    post_remove(&app, &me).await.assert_redirect_to("/login");
    assert_eq!(role_of(&app, OWNER_EMAIL), None, "removed");
    assert!(!app.is_signed_in().await, "their session ended");
    assert_eq!(owners(&app), 1);
    let log = log_page(&ada_browser, "").await;
    assert!(
        actions(&log).iter().any(|a| a == "user.removed"),
        "{}",
        excerpt(&log)
    );
}
