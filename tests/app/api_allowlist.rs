//! The per-integration IP allowlist (SPEC §9): set on the create or edit
//! page, it refuses API requests from elsewhere with a 403 that is logged,
//! over IPv4 and IPv6; an invalid entry is a 422 on the form.

use reqwest::StatusCode;

use crate::api_support::{Api, assert_error, edit_integration, eventually, ok_json};
use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};
use crate::integration_support::{
    BASE, create_with_token, follow_reveal, id_from_reveal_location, integration_path, texts,
};

/// Saves `allowlist` on the edit page (303 back to the detail page).
async fn set_allowlist(app: &TestApp, id: &str, allowlist: &str) {
    edit_integration(app, id, "Fenced", &["contacts.readonly"], allowlist)
        .await
        .assert_redirect_to(&integration_path(id, ""));
}

/// Posts the create form with `allowlist` in its IP allowlist field.
async fn post_create_with_allowlist(app: &TestApp, name: &str, allowlist: &str) -> Reply {
    let fields = [
        ("name", name),
        ("description", ""),
        ("scopes", "contacts.readonly"),
        ("lifetime_days", ""),
        ("ip_allowlist", allowlist),
    ];
    app.submit(&format!("{BASE}/new"), BASE, &fields).await
}

/// Asserts the token is allowed (200) or refused (403) by the allowlist.
async fn assert_allowed(api: &Api, allowlist: &str, allowed: bool) {
    let reply = api.get("/v2/token").await;
    if allowed {
        ok_json(&format!("allowlist {allowlist:?}"), &reply, StatusCode::OK);
    } else {
        assert_error(
            &format!("allowlist {allowlist:?}"),
            &reply,
            StatusCode::FORBIDDEN,
        );
    }
}

/// The saved allowlist, entries joined by commas.
fn stored_allowlist(app: &TestApp, id: &str) -> String {
    texts(
        app,
        &format!(
            "SELECT array_to_string(ip_allowlist, ',') AS s FROM integrations WHERE id = '{id}'"
        ),
    )
    .concat()
}

/// Waits until the integration has `n` logged requests with `status` from `ip`.
async fn assert_logged(app: &TestApp, id: &str, status: u16, ip: &str, n: i64) {
    let sql = format!(
        "SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}' \
         AND status = {status} AND ip = '{ip}' AND route = '/v2/token'"
    );
    let logged = eventually(10, || app.db.query_count(&sql) == n).await;
    assert!(
        logged,
        "expected {n} logged {status}s from {ip}, found {}",
        app.db.query_count(&sql)
    );
}

#[actix_web::test]
async fn an_ipv4_allowlist_refuses_other_addresses_and_allows_its_own() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Fenced", &["contacts.readonly"], "").await;
    let api = Api::new(&app, &token);
    assert_allowed(&api, "", true).await;

    for (allowlist, allowed) in [
        ("10.9.8.0/24", false),
        ("127.0.0.2/32", false),
        ("::1/128", false),
        ("10.9.8.0/24\n127.0.0.0/8", true),
        ("127.0.0.1", true),
        ("192.0.2.1, 127.0.0.1/32", true),
        ("", true),
    ] {
        set_allowlist(&app, &id, allowlist).await;
        assert_allowed(&api, allowlist, allowed).await;
    }
    // The three refusals were logged as 403s of this integration.
    assert_logged(&app, &id, 403, "127.0.0.1", 3).await;

    set_allowlist(&app, &id, "10.9.8.7/24").await;
    assert_eq!(stored_allowlist(&app, &id), "10.9.8.0/24");
    let form = app.get(&integration_path(&id, "/edit")).await;
    assert!(form.body.contains("10.9.8.0/24"), "the edit page shows it");
    let refused = api.get("/v2/contacts/?locationId=x").await;
    assert_error("refused on every route", &refused, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn an_invalid_allowlist_entry_is_a_422_on_the_edit_form_and_changes_nothing() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Fenced", &["contacts.readonly"], "").await;
    set_allowlist(&app, &id, "127.0.0.0/8").await;

    for (entered, bad) in [
        ("not-an-ip", "not-an-ip"),
        ("300.1.2.3", "300.1.2.3"),
        ("127.0.0.0/8\nsomewhere.example", "somewhere.example"),
        ("10.0.0.0/33", "10.0.0.0"),
        ("2001:db8::/129", "2001:db8::"),
    ] {
        let reply = edit_integration(&app, &id, "Fenced", &["contacts.readonly"], entered).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("id=\"ip_allowlist-error\"") && reply.body.contains(bad),
            "{entered:?}: the error names the entry: {}",
            reply.body
        );
        assert_eq!(stored_allowlist(&app, &id), "127.0.0.0/8", "{entered:?}");
    }
    assert_allowed(&Api::new(&app, &token), "127.0.0.0/8", true).await;
}

#[actix_web::test]
async fn an_ipv6_allowlist_allows_and_refuses_requests_from_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED: IPv6 loopback [::1] is not available on this machine");
        return;
    }
    let app = spawn_app_with(|s| s.listen_addr = "[::1]:0".to_string()).await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Fenced", &["contacts.readonly"], "").await;
    let api = Api::new(&app, &token);
    assert_allowed(&api, "", true).await;

    for (allowlist, allowed) in [
        ("2001:db8::/32", false),
        ("127.0.0.0/8", false),
        ("::1/128", true),
        ("2001:db8::/32\n::1", true),
        ("::/0", true),
    ] {
        set_allowlist(&app, &id, allowlist).await;
        assert_allowed(&api, allowlist, allowed).await;
    }
    assert_logged(&app, &id, 403, "::1", 2).await;
    assert_eq!(stored_allowlist(&app, &id), "::/0");
}

#[actix_web::test]
async fn an_allowlist_entered_on_the_create_form_fences_the_first_token_at_once() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let form = app.get(&format!("{BASE}/new")).await;
    assert!(
        form.body.contains("name=\"ip_allowlist\""),
        "the create form has the field"
    );

    for (name, allowlist, allowed, stored) in [
        ("Elsewhere", "10.9.8.7/24", false, "10.9.8.0/24"),
        (
            "Loopback",
            "10.9.8.0/24\n127.0.0.1/32",
            true,
            "10.9.8.0/24,127.0.0.1/32",
        ),
        ("Anywhere", "", true, ""),
    ] {
        let reply = post_create_with_allowlist(&app, name, allowlist).await;
        let id = id_from_reveal_location(&reply);
        let token = follow_reveal(&app, &reply).await;
        assert_eq!(stored_allowlist(&app, &id), stored, "{name}");
        assert_allowed(&Api::new(&app, &token), allowlist, allowed).await;

        let audited = texts(
            &app,
            &format!(
                "SELECT coalesce(string_agg(e, ','), '') AS s FROM audit_events, \
                 jsonb_array_elements_text(details->'ip_allowlist') AS e \
                 WHERE action = 'integration.created' AND target_id = '{id}'"
            ),
        );
        assert_eq!(audited, [stored], "{name}: the creation's audit event");
    }
}

#[actix_web::test]
async fn an_invalid_allowlist_entry_on_the_create_form_is_a_422_that_keeps_the_input() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for (entered, named) in [
        ("not-an-ip", "“not-an-ip” is not an IP address"),
        (
            "127.0.0.0/8\nsomewhere.example",
            "“somewhere.example” is not",
        ),
        ("10.0.0.0/33", "“10.0.0.0/33” is not"),
        ("127.0.0.1\0", "cannot contain a NUL character"),
    ] {
        let reply = post_create_with_allowlist(&app, "Fenced", entered).await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let error = reply
            .body
            .split("id=\"ip_allowlist-error\">")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_else(|| panic!("{entered:?}: no error by the field: {}", reply.body));
        assert!(error.contains(named), "{entered:?}: {error}");
        assert!(
            reply.body.contains(&format!(">{entered}</textarea>")),
            "{entered:?}: the input is kept"
        );
        assert!(reply.body.contains("value=\"Fenced\""), "the name is kept");
        assert_eq!(app.count("integrations"), 0, "{entered:?}: nothing created");
    }
}

#[actix_web::test]
async fn every_bad_line_of_an_allowlist_is_reported_with_its_line_number() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let entered = "127.0.0.0/8\nsomewhere.example\n\n::1\n300.1.2.3\n2001:db8::/129";

    let reply = post_create_with_allowlist(&app, "Fenced", entered).await;
    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Vec<&str> = reply
        .body
        .split("id=\"ip_allowlist-error\">")
        .skip(1)
        .collect();
    assert_eq!(errors.len(), 1, "one error for the field: {}", reply.body);
    let error = errors[0].split("</p>").next().unwrap_or_default();
    let mut last = 0;
    for named in [
        "Line 2: “somewhere.example” is not",
        "Line 5: “300.1.2.3” is not",
        "Line 6: “2001:db8::/129” is not",
    ] {
        let at = error
            .find(named)
            .unwrap_or_else(|| panic!("{named:?} missing from {error}"));
        assert!(at >= last, "lines out of order: {error}");
        last = at;
    }
    assert!(
        !error.contains("Line 1") && !error.contains("Line 4"),
        "good lines named: {error}"
    );
    assert_eq!(app.count("integrations"), 0);
}
