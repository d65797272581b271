//! The webhooks page of an integration (SPEC §6, §8): adding an endpoint,
//! the signing secret shown once and never stored or logged in plaintext,
//! the refusals of private targets and of events the integration may not
//! receive, and who may see and change what.

use base64::Engine as _;
use reqwest::StatusCode;

use crate::helpers::{Browser, LoggedServer, TestApp, TestDb, excerpt, setup_owner_in};
use crate::integration_support::{
    act, create_with_token, follow_reveal, integration_path, post_create, texts,
};
use crate::secrets::pg_dump;
use crate::webhook_support::{
    ALL_EVENTS, INSIDE_HOST, NOWHERE_HOST, NOWHERE_URL, add_endpoint, audit_count, audit_details,
    endpoint_action, endpoint_path, post_endpoint, read_secret, revealed_endpoint, revealed_secret,
    spawn_webhook_app, webhooks_path,
};

/// The `pi_reveal=…` pair a response sets, for replaying it.
fn reveal_cookie_of(reply: &crate::helpers::Reply) -> String {
    reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with("pi_reveal="))
        .and_then(|c| c.split(';').next())
        .expect("a reveal cookie")
        .to_string()
}

/// GETs `path` sending exactly the browser's session cookie and `extra`.
async fn get_with_cookie(app: &TestApp, path: &str, extra: &str) -> crate::helpers::Reply {
    let session = app.current_session_cookie().expect("signed in");
    app.send(
        app.client
            .get(app.url(path))
            .header("Cookie", format!("pi_session={session}; {extra}")),
    )
    .await
}

/// The secret's random part: what must never appear anywhere.
fn key_part(secret: &str) -> &str {
    secret.strip_prefix("whsec_").expect("a whsec_ secret")
}

#[actix_web::test]
async fn adding_an_endpoint_shows_its_signing_secret_once() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Hooked", &["contacts.readonly"], "").await;

    let form = app.get(&webhooks_path(&id)).await;
    form.assert_status(StatusCode::OK);
    for (name, label) in [
        ("ContactCreate", "Contact created"),
        ("ContactUpdate", "Contact updated"),
        ("ContactDelete", "Contact deleted"),
    ] {
        assert!(
            form.body
                .contains(&format!(r#"name="events" value="{name}""#))
                && form.body.contains(label),
            "checkbox {name}: {}",
            excerpt(&form.body)
        );
    }
    assert!(form.body.contains(r#"name="url""#));

    let added = post_endpoint(&app, &id, NOWHERE_URL, &["ContactDelete", "ContactCreate"]).await;
    added.assert_redirect_to(&webhooks_path(&id));
    let cookie = reveal_cookie_of(&added);

    let page = app.get(&webhooks_path(&id)).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let secret = revealed_secret(&page.body).expect("the secret is shown");
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_part(&secret))
        .expect("base64 after whsec_");
    assert!(key.len() >= 24, "{} random bytes", key.len());
    assert!(page.body.contains(NOWHERE_URL), "the endpoint is listed");
    assert!(page.body.contains("Enabled"));

    let rows = texts(
        &app,
        "SELECT url || ' ' || array_to_string(events, ',') || ' ' || \
         (secret_shown_at IS NOT NULL)::text AS s FROM webhook_endpoints",
    );
    assert_eq!(
        rows,
        [format!("{NOWHERE_URL} ContactCreate,ContactDelete true")]
    );
    assert_eq!(audit_count(&app, "webhook.created", &id), 1);
    let details = &audit_details(&app, "webhook.created")[0];
    assert_eq!(details["url"], NOWHERE_URL);
    assert_eq!(
        details["events"],
        serde_json::json!(["ContactCreate", "ContactDelete"])
    );

    let again = app.get(&webhooks_path(&id)).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(revealed_secret(&again.body), None, "shown twice");
    assert!(!again.body.contains(key_part(&secret)));
    let replay = get_with_cookie(&app, &webhooks_path(&id), &cookie).await;
    replay.assert_status(StatusCode::OK);
    assert!(
        !replay.body.contains(key_part(&secret)),
        "a replayed reveal cookie showed the secret again"
    );
}

#[actix_web::test]
async fn a_rolled_secret_is_shown_once_and_an_older_cookie_shows_nothing() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Rolled", &["contacts.readonly"], "").await;
    let added = post_endpoint(&app, &id, NOWHERE_URL, &["ContactCreate"]).await;
    let first_cookie = reveal_cookie_of(&added);
    // Not visited before the roll: the first secret is never shown.
    let endpoint = texts(&app, "SELECT id::text AS s FROM webhook_endpoints").remove(0);

    let page = app.get(&webhooks_path(&id)).await;
    assert!(
        page.body.contains(&format!(
            r#"action="{}""#,
            endpoint_path(&id, &endpoint, "/roll-secret")
        )) && page.body.contains(r#"<details class="confirm""#),
        "roll secret asks first: {}",
        excerpt(&page.body)
    );
    let rolled = endpoint_action(&app, &id, &endpoint, "/roll-secret").await;
    rolled.assert_redirect_to(&webhooks_path(&id));
    let second_cookie = reveal_cookie_of(&rolled);

    // The first cookie still carries the first secret, which is no longer
    // current: it shows nothing, and does not use up the new secret's showing.
    let replay = get_with_cookie(&app, &webhooks_path(&id), &first_cookie).await;
    replay.assert_status(StatusCode::OK);
    assert_eq!(
        revealed_secret(&replay.body),
        None,
        "a secret overtaken by a roll was shown"
    );
    let page = get_with_cookie(&app, &webhooks_path(&id), &second_cookie).await;
    let second = revealed_secret(&page.body).expect("the new secret is shown");
    assert_eq!(
        revealed_endpoint(&page.body).as_deref(),
        Some(endpoint.as_str())
    );
    let again = get_with_cookie(&app, &webhooks_path(&id), &second_cookie).await;
    assert_eq!(revealed_secret(&again.body), None, "shown twice");
    assert!(second.starts_with("whsec_"));
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM webhook_endpoints WHERE previous_secret_sealed IS NOT NULL \
             AND previous_secret_until BETWEEN now() + interval '23 hours 55 minutes' \
             AND now() + interval '24 hours 5 minutes' AND secret_sealed <> previous_secret_sealed"
        ),
        1,
        "the old secret signs for 24 more hours"
    );
    assert_eq!(audit_count(&app, "webhook.secret_rolled", &id), 1);
}

#[actix_web::test]
async fn signing_secrets_are_never_stored_in_plaintext() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Sealed", &["contacts.readonly"], "").await;
    let (endpoint, first) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    endpoint_action(&app, &id, &endpoint, "/roll-secret")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    let (_, second) = read_secret(&app, &id).await;

    let dump = pg_dump(&app).await;
    assert!(
        dump.contains(NOWHERE_URL),
        "sanity: the dump holds the endpoint"
    );
    for secret in [&first, &second] {
        assert!(
            !dump.contains(key_part(secret)),
            "the database holds a signing secret in plaintext"
        );
    }
    let rows = texts(
        &app,
        "SELECT row_to_json(e)::text AS s FROM webhook_endpoints e \
         UNION ALL SELECT row_to_json(a)::text FROM audit_events a",
    );
    assert!(rows.iter().any(|r| r.contains("webhook.secret_rolled")));
    for row in &rows {
        for secret in [&first, &second] {
            assert!(!row.contains(key_part(secret)), "a row holds the secret");
        }
    }
}

#[actix_web::test]
async fn the_server_logs_no_signing_secret() {
    let db = TestDb::migrated();
    let server =
        LoggedServer::start(&db.url, &[("WEBHOOK_RESOLVE", &format!("{NOWHERE_HOST}="))]).await;
    let browser = Browser::new(&server.address);
    setup_owner_in(&browser).await;
    let created = post_create(&browser, "Logged hooks", "", &["contacts.readonly"], "").await;
    follow_reveal(&browser, &created).await;
    let id = crate::integration_support::id_from_reveal_location(&created);
    let (endpoint, first) = add_endpoint(&browser, &id, NOWHERE_URL, &ALL_EVENTS).await;
    endpoint_action(&browser, &id, &endpoint, "/roll-secret")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    let (_, second) = read_secret(&browser, &id).await;
    let logs = server.stop().await;

    assert!(
        logs.contains("/webhooks"),
        "sanity: the requests were logged: {}",
        excerpt(&logs)
    );
    assert!(!logs.contains("whsec_"), "a signing secret was logged");
    for secret in [&first, &second] {
        assert!(
            !logs.contains(key_part(secret)),
            "a signing secret was logged"
        );
    }
}

#[actix_web::test]
async fn private_and_malformed_targets_are_refused_on_the_url_field() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Guarded", &["contacts.readonly"], "").await;

    let private = [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://localhost:8080/hook",
        &format!("https://{INSIDE_HOST}/hook"),
    ];
    let malformed = [
        "file:///etc/passwd",
        "not a url",
        "gopher://example.test/",
        "",
        "http://93.184.216.34:0/hook",
    ];
    for (url, words) in private
        .iter()
        .map(|u| (*u, "private address"))
        .chain(malformed.iter().map(|u| (*u, "")))
    {
        let reply = post_endpoint(&app, &id, url, &["ContactUpdate"]).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let error = reply
            .body
            .split(r#"id="url-error">"#)
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_else(|| {
                panic!("{url}: no error by the url field: {}", excerpt(&reply.body))
            });
        assert!(error.contains(words), "{url}: {error}");
        assert!(
            reply.body.contains(&format!(r#"value="{url}""#)),
            "{url}: the input is kept"
        );
        assert!(
            reply.body.contains(r#"value="ContactUpdate" checked"#),
            "{url}: the events are kept"
        );
        assert!(!reply.body.contains(r#"id="events-error""#), "{url}");
    }
    assert_eq!(app.count("webhook_endpoints"), 0);
    assert_eq!(audit_count(&app, "webhook.created", &id), 0);

    // A name that resolves nowhere now is accepted, to be checked at delivery.
    post_endpoint(&app, &id, NOWHERE_URL, &["ContactUpdate"])
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(app.count("webhook_endpoints"), 1);
}

#[actix_web::test]
async fn private_targets_are_accepted_when_allowed() {
    let app = crate::helpers::spawn_app_with(|s| s.webhook_allow_private_targets = true).await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Local", &["contacts.readonly"], "").await;
    post_endpoint(&app, &id, "http://127.0.0.1:9/hook", &["ContactCreate"])
        .await
        .assert_redirect_to(&webhooks_path(&id));
    assert_eq!(app.count("webhook_endpoints"), 1);
}

#[actix_web::test]
async fn events_need_contacts_readonly_and_must_be_known() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "No contacts", &["users.readonly"], "").await;
    let page = app.get(&webhooks_path(&id)).await;
    assert!(page.body.contains("contacts.readonly"), "the page says so");

    for (events, words) in [
        (vec!["ContactCreate"], "contacts.readonly"),
        (vec![], "at least one"),
        (vec!["ContactCreate", "OpportunityCreate"], "from the list"),
    ] {
        let reply = post_endpoint(&app, &id, NOWHERE_URL, &events).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let error = reply
            .body
            .split(r#"id="events-error">"#)
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_else(|| panic!("{events:?}: no error by events: {}", excerpt(&reply.body)));
        assert!(error.contains(words), "{events:?}: {error}");
        assert!(reply.body.contains(&format!(r#"value="{NOWHERE_URL}""#)));
    }
    assert_eq!(app.count("webhook_endpoints"), 0);
}

#[actix_web::test]
async fn the_detail_page_links_to_the_webhooks_with_their_count() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Counted", &["contacts.readonly"], "").await;
    let detail = app.get(&integration_path(&id, "")).await;
    assert!(
        detail
            .body
            .contains(&format!(r#"href="{}""#, webhooks_path(&id)))
    );
    assert!(detail.body.contains("No endpoints yet."));
    add_endpoint(&app, &id, NOWHERE_URL, &["ContactCreate"]).await;
    add_endpoint(
        &app,
        &id,
        "https://hooks.nowhere.test/other",
        &["ContactDelete"],
    )
    .await;
    let detail = app.get(&integration_path(&id, "")).await;
    assert!(
        detail.body.contains("2 endpoints."),
        "{}",
        excerpt(&detail.body)
    );
}

#[actix_web::test]
async fn endpoints_of_an_integration_that_lost_contacts_readonly_get_nothing() {
    let app = spawn_webhook_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Narrowed", &["contacts.readonly"], "").await;
    let (endpoint, _) = add_endpoint(&app, &id, NOWHERE_URL, &ALL_EVENTS).await;
    assert!(
        !app.get(&webhooks_path(&id))
            .await
            .body
            .contains("missing-scope")
    );
    act(
        &app,
        &id,
        "/edit",
        &[("name", "Narrowed"), ("scopes", "users.readonly")],
    )
    .await
    .assert_redirect_to(&integration_path(&id, ""));

    let page = app.get(&webhooks_path(&id)).await;
    assert!(
        page.body.contains(r#"id="missing-scope""#),
        "{}",
        excerpt(&page.body)
    );
    endpoint_action(&app, &id, &endpoint, "/test")
        .await
        .assert_redirect_to(&webhooks_path(&id));
    let page = app.get(&webhooks_path(&id)).await;
    assert!(
        page.body.contains("Add it to the integration first"),
        "{}",
        excerpt(&page.body)
    );
    assert_eq!(app.count("webhook_deliveries"), 0);
}
