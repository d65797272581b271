//! The audit log page and its CSV export (SPEC §6): one row per event,
//! newest first, in words, filtered by integration, actor and action, and
//! the account's own events only.

use reqwest::StatusCode;

use crate::helpers::{Browser, OWNER_ACCOUNT, OWNER_EMAIL, TestApp, excerpt, spawn_app};
use crate::integration_support::{
    act, create_with_token, execute, integration_path, post_create, rotate, texts,
};

const LOG: &str = "/settings/audit-log";
const CSV: &str = "/settings/audit-log.csv";
const ADMIN: &str = "admin@acme.test";
const ADMIN_PASSWORD: &str = "an admin's long password";

/// The `<tr class="audit-event">` rows of a log page, as HTML, in order.
pub fn event_rows(body: &str) -> Vec<String> {
    body.split("<tr class=\"audit-event\"")
        .skip(1)
        .map(|chunk| chunk.split("</tr>").next().unwrap_or(chunk).to_string())
        .collect()
}

/// The action name of each row of a log page, in order.
pub fn actions(body: &str) -> Vec<String> {
    event_rows(body)
        .iter()
        .map(|row| {
            row.split("data-action=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("row without data-action: {row}"))
                .to_string()
        })
        .collect()
}

/// The log page at `query` (e.g. `?action=user.login`), which must answer 200.
pub async fn log_page(browser: &Browser, query: &str) -> String {
    let reply = browser.get(&format!("{LOG}{query}")).await;
    reply.assert_status(StatusCode::OK);
    reply.body
}

/// Parses RFC 4180 text strictly: every record ends in CRLF, a bare line
/// feed outside quotes is an error.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "a quote inside an unquoted field");
                quoted = true;
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("a bare LF ends a record"),
            other => field.push(other),
        }
    }
    assert!(
        record.is_empty() && field.is_empty() && !quoted,
        "the last record does not end in CRLF"
    );
    records
}

/// The export at `query`: its header row and records.
async fn export(browser: &Browser, query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let reply = browser.get(&format!("{CSV}{query}")).await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = reply.header("content-disposition").unwrap_or_default();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let mut records = parse_csv(&reply.body);
    assert!(!records.is_empty(), "no header row");
    let header = records.remove(0);
    (header, records)
}

/// An admin of the owner's account, signed in in a browser of their own.
async fn signed_in_admin(app: &TestApp) -> Browser {
    let out = app.create_admin(OWNER_ACCOUNT, ADMIN, ADMIN_PASSWORD).await;
    assert!(out.status.success(), "create-admin failed");
    let admin = app.new_client();
    admin
        .login(ADMIN, ADMIN_PASSWORD)
        .await
        .assert_redirect_to("/settings");
    admin
}

/// Adds an event to the owner's account behind the application's back.
fn insert_event(app: &TestApp, action: &str, label: &str) {
    let label = label.replace('\'', "''");
    execute(
        app,
        &format!(
            "INSERT INTO audit_events (account_id, actor_email, action, target_type, target_label, ip) \
             SELECT id, '{OWNER_EMAIL}', '{action}', 'integration', '{label}', '192.0.2.9' \
             FROM accounts WHERE name = '{OWNER_ACCOUNT}'"
        ),
    );
}

#[actix_web::test]
async fn integration_and_token_actions_are_listed_newest_first_in_words() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "Zapier sync", &["contacts.readonly"], "").await;
    rotate(&app, &id, &[("expire_old", "later"), ("grace_days", "7")]).await;

    let body = log_page(&app, "").await;
    assert_eq!(
        actions(&body),
        [
            "token.rotated",
            "token.generated",
            "integration.created",
            "account.created"
        ],
        "newest first"
    );
    let rows = event_rows(&body);
    let rotated = &rows[0];
    assert!(
        rotated
            .contains("rotated the token of <em>Zapier sync</em>; the old token expires in 7 days"),
        "{rotated}"
    );
    assert!(rotated.contains(OWNER_EMAIL), "actor: {rotated}");
    assert!(
        rotated.contains(&format!("href=\"{}\"", integration_path(&id, ""))),
        "the target links to the integration: {rotated}"
    );
    assert!(rotated.contains("127.0.0.1"), "IP: {rotated}");
    assert!(rotated.contains("<time"), "{rotated}");
    assert!(rotated.contains("datetime=\""), "{rotated}");
    assert!(rotated.contains("just now"), "relative time: {rotated}");

    // Once the integration is gone its events stay, without the link.
    act(&app, &id, "/delete", &[])
        .await
        .assert_redirect_to("/settings/private-integrations");
    let body = log_page(&app, "").await;
    assert_eq!(actions(&body)[0], "integration.deleted");
    for row in event_rows(&body) {
        assert!(
            !row.contains(&format!("href=\"{}\"", integration_path(&id, ""))),
            "a deleted integration is not linked: {row}"
        );
    }
    assert!(event_rows(&body)[0].contains("deleted <em>Zapier sync</em>"));
}

#[actix_web::test]
async fn sign_in_sign_out_and_a_failed_sign_in_are_recorded() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    app.logout().await.assert_redirect_to("/login");
    app.login(&owner.email, "not the password at all")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login(&owner.email, &owner.password)
        .await
        .assert_redirect_to("/settings");

    let body = log_page(&app, "").await;
    assert_eq!(
        actions(&body),
        [
            "user.login",
            "user.login_failed",
            "user.logout",
            "account.created"
        ]
    );
    let failed = log_page(&app, "?action=user.login_failed").await;
    let rows = event_rows(&failed);
    assert_eq!(rows.len(), 1, "{}", excerpt(&failed));
    assert!(rows[0].contains("failed to sign in"), "{}", rows[0]);
    assert!(rows[0].contains(OWNER_EMAIL), "{}", rows[0]);
}

#[actix_web::test]
async fn filters_narrow_the_log_and_bad_values_are_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let admin = signed_in_admin(&app).await;
    let (a, _) = create_with_token(&app, "Alpha", &["contacts.readonly"], "").await;
    let (b, _) = create_with_token(&admin, "Beta", &["contacts.readonly"], "").await;
    rotate(&admin, &a, &[("expire_old", "now")]).await;

    let alpha = log_page(&app, &format!("?integration={a}")).await;
    assert_eq!(
        actions(&alpha),
        ["token.rotated", "token.generated", "integration.created"]
    );
    assert!(!alpha.contains("<em>Beta</em>"));
    assert!(
        alpha.contains(&format!("<option value=\"{a}\" selected>Alpha</option>")),
        "the filter form keeps the choice"
    );

    let by_admin = log_page(&app, &format!("?actor={}", ADMIN.to_uppercase())).await;
    assert_eq!(
        actions(&by_admin),
        [
            "token.rotated",
            "token.generated",
            "integration.created",
            "user.login"
        ]
    );
    assert!(by_admin.contains("<em>Beta</em>") && by_admin.contains("<em>Alpha</em>"));

    let rotations = log_page(&app, "?action=token.rotated").await;
    assert_eq!(actions(&rotations), ["token.rotated"]);
    let combined = log_page(&app, &format!("?integration={b}&action=token.rotated")).await;
    assert!(actions(&combined).is_empty());
    assert!(combined.contains("No events match these filters"));

    // An empty page is the first.
    let everything = actions(&log_page(&app, "").await);
    assert_eq!(actions(&log_page(&app, "?page=").await), everything);
    // Values no filter can take are refused on their field (422), on the
    // page and the CSV alike, never a 500 and never the whole log.
    for (query, fields) in [
        ("?integration=not-a-uuid", vec!["integration"]),
        ("?actor=%00", vec!["actor"]),
        ("?action=%27%3B+DROP+TABLE+users%3B", vec!["action"]),
        ("?action=bogus", vec!["action"]),
        ("?page=99999999999999999999999", vec!["page"]),
        ("?page=abc", vec!["page"]),
        ("?page=-3", vec!["page"]),
        (
            "?integration=%00&action=%F0%9F%92%A5&page=%00",
            vec!["integration", "action", "page"],
        ),
    ] {
        for path in [LOG, "/settings/audit-log.csv"] {
            let reply = app.get(&format!("{path}{query}")).await;
            reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(actions(&reply.body).is_empty(), "{path}{query}");
            for field in &fields {
                assert!(
                    reply.body.contains(&format!("id=\"filter-{field}-error\"")),
                    "{path}{query}: no error on {field}"
                );
            }
            assert!(!reply.body.contains('\0'), "a NUL is never echoed");
        }
    }
    let repeated = app
        .get(&format!("{LOG}?action=user.login&action=token.rotated"))
        .await;
    repeated.assert_status(StatusCode::OK);
    assert_eq!(
        actions(&repeated.body),
        ["token.rotated"],
        "the last one wins"
    );
}

#[actix_web::test]
async fn pages_hold_fifty_events_in_a_stable_order() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // 120 events in one statement share one created_at: only the id orders them.
    execute(
        &app,
        &format!(
            "INSERT INTO audit_events (account_id, action, target_label, created_at) \
             SELECT id, 'token.generated', 'Bulk ' || n, now() - interval '1 hour' \
             FROM accounts, generate_series(1, 120) AS n WHERE name = '{OWNER_ACCOUNT}'"
        ),
    );
    let total = app.count("audit_events");
    assert_eq!(total, 121, "setup's account.created, and the bulk");

    let mut labels = Vec::new();
    for page in 1..=3 {
        let body = log_page(&app, &format!("?page={page}")).await;
        let rows = event_rows(&body);
        assert_eq!(rows.len(), if page < 3 { 50 } else { 21 }, "page {page}");
        assert!(body.contains(&format!("Page {page} of 3")), "page {page}");
        labels.extend(rows.iter().filter_map(|r| {
            r.split("<em>Bulk ")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .map(|n| n.parse::<i32>().expect("a number"))
        }));
    }
    assert_eq!(
        labels,
        (1..=120).rev().collect::<Vec<_>>(),
        "newest (highest id) first, each once"
    );
    let last = log_page(&app, "?page=40").await;
    assert!(
        last.contains("Page 3 of 3"),
        "a page past the end shows the last one"
    );
    let body = log_page(&app, "?page=2&action=token.generated").await;
    assert!(
        body.contains("href=\"/settings/audit-log?action=token.generated&amp;page=3\"")
            || body.contains("href=\"/settings/audit-log?action=token.generated&#38;page=3\""),
        "paging keeps the filter: {}",
        excerpt(&body)
    );
}

/// `s` as it was before the export defused a formula.
fn undefused(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

#[actix_web::test]
async fn the_csv_export_holds_exactly_the_filtered_rows() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let tricky = "Zapier, \"sync\"";
    let reply = post_create(&app, tricky, "", &["contacts.readonly"], "").await;
    reply.assert_status(StatusCode::SEE_OTHER);
    create_with_token(
        &app,
        "=HYPERLINK(\"http://x.test\")",
        &["contacts.readonly"],
        "",
    )
    .await;
    insert_event(&app, "integration.updated", "Two\nlines");

    let (header, records) = export(&app, "").await;
    assert_eq!(
        header,
        ["time", "action", "description", "actor", "target", "ip"]
    );
    let expected = texts(
        &app,
        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
         || '|' || action || '|' || coalesce(actor_email, '') || '|' || coalesce(target_label, '') \
         || '|' || coalesce(ip, '') AS s \
         FROM audit_events ORDER BY created_at DESC, id DESC",
    );
    let got: Vec<String> = records
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 6, "{r:?}");
            format!("{}|{}|{}|{}|{}", r[0], r[1], r[3], undefused(&r[4]), r[5])
        })
        .collect();
    assert_eq!(got, expected);
    assert!(records.iter().any(|r| r[4] == tricky), "{records:?}");
    assert!(records.iter().any(|r| r[4] == "Two\nlines"), "{records:?}");
    assert!(
        records
            .iter()
            .any(|r| r[4] == "'=HYPERLINK(\"http://x.test\")"),
        "a formula is made text: {records:?}"
    );
    assert!(
        records
            .iter()
            .any(|r| r[2] == format!("created {tricky} with contacts.readonly")),
        "{records:?}"
    );

    // The same filters as the page, and the same rows.
    let query = "?action=token.generated";
    let (_, filtered) = export(&app, query).await;
    let page = log_page(&app, query).await;
    assert_eq!(filtered.len(), 2);
    assert_eq!(filtered.len(), event_rows(&page).len());
    assert!(filtered.iter().all(|r| r[1] == "token.generated"));
    let (_, none) = export(&app, "?actor=nobody@acme.test").await;
    assert!(none.is_empty());
    assert!(
        page.contains("href=\"/settings/audit-log.csv?action=token.generated\""),
        "the page links to its export"
    );
}

#[actix_web::test]
async fn a_large_export_is_complete_across_its_chunks() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // More rows than one chunk, most sharing one created_at.
    execute(
        &app,
        &format!(
            "INSERT INTO audit_events (account_id, action, target_label, created_at) \
             SELECT id, 'token.generated', 'Bulk ' || n, now() - interval '1 day' \
             FROM accounts, generate_series(1, 1234) AS n WHERE name = '{OWNER_ACCOUNT}'"
        ),
    );
    let (_, records) = export(&app, "?action=token.generated").await;
    assert_eq!(records.len(), 1234);
    let labels: Vec<String> = records.iter().map(|r| r[4].clone()).collect();
    let expected: Vec<String> = (1..=1234).rev().map(|n| format!("Bulk {n}")).collect();
    assert_eq!(labels, expected);
}

#[actix_web::test]
async fn every_role_reads_only_its_own_accounts_events() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let admin = signed_in_admin(&app).await;
    create_with_token(&app, "Ours", &["contacts.readonly"], "").await;

    let out = app
        .create_admin("Other Co", "someone@other.test", "another long password")
        .await;
    assert!(out.status.success());
    let other = app.new_client();
    other
        .login("someone@other.test", "another long password")
        .await
        .assert_redirect_to("/settings");
    let (theirs, _) = create_with_token(&other, "Theirs", &["contacts.readonly"], "").await;

    execute(
        &app,
        &format!("UPDATE users SET role = 'viewer' WHERE email = '{ADMIN}'"),
    );
    let ours = log_page(&admin, "").await;
    assert!(ours.contains("<em>Ours</em>"), "a viewer reads the log");
    for body in [
        ours.clone(),
        log_page(&admin, &format!("?integration={theirs}")).await,
    ] {
        assert!(!body.contains("Theirs"), "another account's integration");
        assert!(
            !body.contains("someone@other.test"),
            "another account's user"
        );
    }
    let (_, records) = export(&admin, "").await;
    assert_eq!(records.len(), event_rows(&ours).len());
    assert!(
        records
            .iter()
            .all(|r| !r[4].contains("Theirs") && !r[3].contains("other.test"))
    );
    let (_, theirs_only) = export(&admin, &format!("?integration={theirs}")).await;
    assert!(theirs_only.is_empty());
}
