//! The integrations list is paginated (50 a page, newest first, stable
//! order), so its cost does not grow with the account.

use std::collections::HashSet;

use reqwest::StatusCode;

use crate::api_support::eventually;
use crate::helpers::spawn_app;
use crate::integration_support::{create_with_token, execute, list_row, rotate, texts, token_info};
use private_integrations::models::integration_list;

/// `data-integration-id`s of a list page, in page order.
fn ids_on(body: &str) -> Vec<String> {
    body.split("data-integration-id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn a_long_list_is_paged_fifty_at_a_time_newest_first_without_overlap() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (first, _) = create_with_token(&app, "The first one", &["contacts.readonly"], "").await;
    // 119 more, each with a token, a second apart so the order is known.
    execute(
        &app,
        "INSERT INTO integrations (account_id, name, scopes, created_at) \
         SELECT a.id, 'Bulk ' || n, '{contacts.readonly}', now() + n * interval '1 second' \
         FROM accounts a, generate_series(1, 119) AS n",
    );
    execute(
        &app,
        "INSERT INTO access_tokens (integration_id, token_hash, last_four) \
         SELECT i.id, sha256(i.id::text::bytea), 'abcd' FROM integrations i \
         WHERE i.name LIKE 'Bulk %'",
    );

    let mut seen = Vec::new();
    for (page, rows) in [(1, 50), (2, 50), (3, 20)] {
        let reply = app
            .get(&format!("/settings/private-integrations?page={page}"))
            .await;
        reply.assert_status(StatusCode::OK);
        let ids = ids_on(&reply.body);
        assert_eq!(ids.len(), rows, "page {page}");
        assert!(
            reply.body.contains(&format!("Page {page} of 3")),
            "page {page}"
        );
        assert_eq!(reply.body.contains("rel=\"next\""), page < 3);
        assert_eq!(reply.body.contains("rel=\"prev\""), page > 1);
        seen.extend(ids);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 120, "no integration twice, none missing");
    let newest_first = texts(
        &app,
        "SELECT id::text AS s FROM integrations ORDER BY created_at DESC, id DESC",
    );
    assert_eq!(seen, newest_first);
    assert_eq!(seen.last(), Some(&first));

    // Past the end: the last page.
    let last = app.get("/settings/private-integrations?page=99").await;
    assert_eq!(ids_on(&last.body).len(), 20);
    // Given twice, the last one counts, as everywhere in the panel.
    let twice = app
        .get("/settings/private-integrations?page=1&page=3")
        .await;
    assert_eq!(ids_on(&twice.body).len(), 20);
    // No page at all, or past any sane range: refused, over the first page.
    for query in [
        "?page=99999999999999999999",
        "?page=1000001",
        "?page=%00",
        "?page=abc",
        "?page=0",
        "?page=-2",
    ] {
        let refused = app
            .get(&format!("/settings/private-integrations{query}"))
            .await;
        assert_eq!(
            refused.status,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert!(refused.body.contains("id=\"page-error\""), "{query}");
        assert!(refused.body.contains("Page 1 of 3"), "{query}");
    }
}

#[actix_web::test]
async fn a_short_list_has_no_page_links() {
    let app = spawn_app().await;
    app.setup_owner().await;
    create_with_token(&app, "Only", &["contacts.readonly"], "").await;
    let reply = app.get("/settings/private-integrations").await;
    assert_eq!(ids_on(&reply.body).len(), 1);
    assert!(!reply.body.contains("class=\"pagination\""));
}

/// The row of integration `id` on the first page of the list.
async fn row_of(app: &crate::helpers::TestApp, id: &str) -> String {
    list_row(&app.get("/settings/private-integrations").await.body, id)
}

#[actix_web::test]
async fn the_last_use_shown_is_that_of_any_token_revoked_ones_included() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, token) = create_with_token(&app, "Rotated", &["contacts.readonly"], "").await;
    assert!(row_of(&app, &id).await.contains("Never"));
    token_info(&app, &token).await;
    let used = format!(
        "SELECT coalesce(last_used_at::text, '') AS s FROM access_tokens WHERE integration_id = '{id}'"
    );
    assert!(
        eventually(10, || texts(&app, &used).iter().any(|t| !t.is_empty())).await,
        "the use is recorded"
    );

    rotate(&app, &id, &[("expire_old", "now")]).await;
    let row = row_of(&app, &id).await;
    assert!(row.contains("Active"), "{row}");
    assert!(
        !row.contains("Never"),
        "the old token's use still counts: {row}"
    );

    execute(
        &app,
        &format!(
            "UPDATE access_tokens SET revoked_at = now(), revoked_reason = 'expired_by_user' \
             WHERE integration_id = '{id}' AND revoked_at IS NULL"
        ),
    );
    let row = row_of(&app, &id).await;
    assert!(row.contains("Expired"), "it had tokens: {row}");
    assert!(!row.contains("Never"), "{row}");
}

/// How many statements one page of the account's list takes.
fn statements_for_a_page(app: &crate::helpers::TestApp, account: uuid::Uuid) -> usize {
    use diesel::Connection;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let started = Arc::new(AtomicUsize::new(0));
    let counted = started.clone();
    let counter = move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    };
    let mut conn = app.db.connection();
    conn.set_instrumentation(Box::new(counter) as Box<dyn Instrumentation>);
    let (listed, _) = integration_list::page(&mut conn, account, 50, 1).expect("a page");
    assert!(!listed.is_empty());
    started.load(Ordering::Relaxed)
}

#[actix_web::test]
async fn a_page_is_one_query_however_many_integrations_and_tokens() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, _) = create_with_token(&app, "First", &["contacts.readonly"], "").await;
    let account: uuid::Uuid = texts(
        &app,
        &format!("SELECT account_id::text AS s FROM integrations WHERE id = '{id}'"),
    )[0]
    .parse()
    .unwrap();
    assert_eq!(statements_for_a_page(&app, account), 1);

    // 60 more integrations, each with three tokens, one of them revoked.
    execute(
        &app,
        &format!(
            "INSERT INTO integrations (account_id, name, description, scopes) \
             SELECT '{account}', 'Many ' || n, '', ARRAY['contacts.readonly'] \
             FROM generate_series(1, 60) AS n"
        ),
    );
    execute(
        &app,
        &format!(
            "INSERT INTO access_tokens (integration_id, token_hash, last_four, revoked_at, revoked_reason) \
             SELECT i.id, sha256((i.id::text || n)::bytea), 'abcd', \
                    CASE WHEN n = 1 THEN now() END, CASE WHEN n = 1 THEN 'rotated' END \
             FROM integrations i, generate_series(1, 3) AS n \
             WHERE i.account_id = '{account}' AND i.name LIKE 'Many %'"
        ),
    );
    assert_eq!(
        statements_for_a_page(&app, account),
        1,
        "the page's query count does not grow with integrations or tokens"
    );
}
