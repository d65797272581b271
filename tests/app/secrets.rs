//! A token's plaintext is never stored in the database and never logged.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, LoggedServer, OWNER_EMAIL, OWNER_PASSWORD, TestApp, TestDb, excerpt, setup_owner_in,
    spawn_app,
};
use crate::integration_support::{
    act, create_with_token, find_tokens, follow_reveal, integration_path, post_create, texts,
};

/// A plain-SQL dump of the test's database, by the real `pg_dump`.
pub async fn pg_dump(app: &TestApp) -> String {
    let url = url::Url::parse(&app.database_url).expect("database URL");
    let mut command = tokio::process::Command::new("/usr/bin/pg_dump");
    command
        .arg("-h")
        .arg(url.host_str().unwrap_or("127.0.0.1"))
        .arg("-p")
        .arg(url.port().unwrap_or(5432).to_string())
        .arg("-U")
        .arg(if url.username().is_empty() {
            "postgres"
        } else {
            url.username()
        })
        .arg(&app.db_name);
    if let Some(password) = url.password() {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[track_caller]
fn assert_not_in(what: &str, text: &str, token: &str) {
    assert!(
        !text.contains(token) && !text.contains(&token[4..]),
        "{what} contains the token {}…",
        &token[..8]
    );
}

#[actix_web::test]
async fn the_database_never_holds_a_token_in_plaintext() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (id, first) = create_with_token(&app, "Dumped", &["contacts.readonly"], "").await;

    let rotated = act(&app, &id, "/rotate", &[("expire_old", "later")]).await;
    rotated.assert_redirect_to(&integration_path(&id, "/token"));
    // Issued but not yet revealed: it exists only in the reveal cookie.
    let before_reveal = pg_dump(&app).await;
    let second = follow_reveal(&app, &rotated).await;
    let after_reveal = pg_dump(&app).await;

    for (what, dump) in [
        ("dump before reveal", &before_reveal),
        ("dump after reveal", &after_reveal),
    ] {
        assert!(
            find_tokens(dump).is_empty(),
            "{what} holds a token-shaped string"
        );
        for token in [&first, &second] {
            assert_not_in(what, dump, token);
            let last_four = &token[token.len() - 4..];
            assert!(
                dump.contains(last_four),
                "{what}: sanity: last four {last_four} missing"
            );
        }
    }
    let stored = texts(
        &app,
        "SELECT last_four AS s FROM access_tokens ORDER BY created_at",
    );
    assert_eq!(stored, [&first[49..], &second[49..]]);
}

#[actix_web::test]
async fn the_server_logs_no_token_and_no_password() {
    let db = TestDb::migrated();
    let server = LoggedServer::start(&db.url, &[]).await;
    let browser = Browser::new(&server.address);
    setup_owner_in(&browser).await;
    let created = post_create(&browser, "Logged", "", &["contacts.readonly"], "30").await;
    let token = follow_reveal(&browser, &created).await;
    let broken = format!(
        "{}{}",
        &token[..52],
        if token.ends_with('A') { 'B' } else { 'A' }
    );
    for (bearer, status) in [
        (&token, StatusCode::OK),
        (&broken, StatusCode::UNAUTHORIZED),
    ] {
        let reply = browser
            .send(
                browser
                    .client
                    .get(browser.url("/v2/token"))
                    .bearer_auth(bearer),
            )
            .await;
        reply.assert_status(status);
    }
    // A refused form carrying the password is logged (as a warning).
    browser
        .post_form(
            "/login",
            &[
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("csrf_token", "wrong"),
            ],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let logs = server.stop().await;

    // Sanity: the capture works, including what requests log.
    assert!(
        logs.contains("CSRF token"),
        "the refused form left no log line: {}",
        excerpt(&logs)
    );
    assert!(
        find_tokens(&logs).is_empty(),
        "a token-shaped string was logged"
    );
    assert_not_in("the logs", &logs, &token);
    assert_not_in("the logs", &logs, &broken);
    assert!(!logs.contains(OWNER_PASSWORD), "the password was logged");
}
