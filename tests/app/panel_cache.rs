//! Signed-in sessions and pages of the integrations list are kept in each
//! instance's memory, so a page needs no round trip for them (SPEC §10),
//! and no change outlives its commit: made through either instance or by
//! hand in SQL, every instance shows it at once, and sign-out stays final
//! everywhere (SPEC §6).

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::{Browser, OWNER_EMAIL, OWNER_PASSWORD, Reply, TestApp, spawn_app};
use crate::integration_support::{act, create_with_token, execute, second_instance};

const LIST: &str = "/settings/private-integrations";
/// How soon a change must show: it is applied as it commits, and this
/// leaves room for a busy machine.
const AT_ONCE: Duration = Duration::from_millis(500);

/// `browser`'s session, presented to the instance `other` talks to.
fn same_session(browser: &Browser, other: &Browser) -> Browser {
    let on_other = Browser::new(&other.address);
    let cookie = browser.current_session_cookie().expect("signed in");
    let url = reqwest::Url::parse(&other.address).expect("an address");
    on_other
        .jar
        .add_cookie_str(&format!("pi_session={cookie}"), &url);
    on_other
}

/// Runs `sql` with the database's triggers off: a change nobody announces,
/// which only a page read from memory fails to show.
fn unannounced(app: &TestApp, sql: &str) {
    app.db
        .connection()
        .batch_execute(&format!(
            "SET session_replication_role = replica; {sql}; RESET session_replication_role"
        ))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    std::thread::sleep(Duration::from_millis(50));
}

/// Asks for `path` until `done` holds for the answer; how long that took.
async fn until(browser: &Browser, path: &str, done: impl Fn(&Reply) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let reply = browser.get(path).await;
        if done(&reply) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} on {} still answers {}",
            browser.address,
            reply.status
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A second instance signed in with `app`'s session, and an integration
/// named `name` that both list (and so keep in memory); its id.
async fn listed_on_two_instances(app: &TestApp, name: &str) -> (Browser, String) {
    let other = same_session(app, &second_instance(app).await);
    let (id, _) = create_with_token(app, name, &["contacts.readonly"], "").await;
    for instance in [&app.browser, &other] {
        assert!(listed(&instance.get(LIST).await, name));
    }
    (other, id)
}

fn listed(reply: &Reply, name: &str) -> bool {
    reply.status == StatusCode::OK && reply.body.contains(name)
}

fn signed_out(reply: &Reply) -> bool {
    reply.status == StatusCode::SEE_OTHER
        && reply.location().is_some_and(|l| l.starts_with("/login"))
}

#[actix_web::test]
async fn list_pages_are_kept_in_memory_and_every_change_shows_at_once_everywhere() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (other, id) = listed_on_two_instances(&app, "Alpha").await;

    // Kept: a change that nobody announces does not show.
    unannounced(&app, "UPDATE integrations SET name = 'Unannounced'");
    for instance in [&app.browser, &other] {
        let page = instance.get(LIST).await;
        assert!(
            listed(&page, "Alpha") && !page.body.contains("Unannounced"),
            "the page was read again from the database"
        );
    }

    // A change by hand shows at once on both.
    execute(&app, "UPDATE integrations SET name = 'Renamed by hand'");
    for instance in [&app.browser, &other] {
        let took = until(instance, LIST, |r| listed(r, "Renamed by hand")).await;
        assert!(took < AT_ONCE, "took {took:?}");
    }

    // So does a use, which moves only the latest use forward.
    let never = r#"data-label="Last used" class="muted">Never<"#;
    assert!(app.get(LIST).await.body.contains(never));
    execute(&app, "UPDATE access_tokens SET last_used_at = now()");
    execute(&app, "UPDATE integrations SET last_used_at = now()");
    for instance in [&app.browser, &other] {
        let took = until(instance, LIST, |r| {
            r.status == StatusCode::OK && !r.body.contains(never)
        })
        .await;
        assert!(took < AT_ONCE, "took {took:?}");
    }

    // Made through one instance: there on its next page, and on the other's
    // at once.
    create_with_token(&other, "Beta", &["contacts.readonly"], "").await;
    assert!(listed(&other.get(LIST).await, "Beta"));
    let took = until(&app, LIST, |r| listed(r, "Beta")).await;
    assert!(took < AT_ONCE, "took {took:?}");

    // Its row links to it; the notice of its deletion may name it.
    let link = format!("{LIST}/{id}\"");
    act(&app, &id, "/delete", &[])
        .await
        .assert_redirect_to(LIST);
    assert!(!app.get(LIST).await.body.contains(&link));
    let took = until(&other, LIST, |r| {
        r.status == StatusCode::OK && !r.body.contains(&link)
    })
    .await;
    assert!(took < AT_ONCE, "took {took:?}");
}

/// Signs the app's browser in (again, unless it is) and presents its
/// session to `other` too; both instances have it in memory afterwards.
async fn sign_in_on_both(app: &TestApp, other: &Browser) -> Browser {
    if !app.is_signed_in().await {
        app.login(OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let there = same_session(app, other);
    for instance in [&app.browser, &there] {
        for _ in 0..2 {
            instance.get(LIST).await.assert_status(StatusCode::OK);
        }
    }
    there
}

#[actix_web::test]
async fn sessions_are_kept_in_memory_and_end_at_once_on_every_instance() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = second_instance(&app).await;
    let there = sign_in_on_both(&app, &other).await;

    // Kept: sessions removed without a word still serve pages.
    unannounced(&app, "DELETE FROM sessions");
    for instance in [&app.browser, &there] {
        instance.get(LIST).await.assert_status(StatusCode::OK);
    }
    // A change to the user is announced: both read the session again, and
    // find it gone.
    execute(&app, "UPDATE users SET time_zone = time_zone");
    for instance in [&app.browser, &there] {
        let took = until(instance, LIST, signed_out).await;
        assert!(took < AT_ONCE, "took {took:?}");
    }

    // Sessions ended by hand, removed or expired, end at once everywhere.
    for end in [
        "DELETE FROM sessions",
        "UPDATE sessions SET expires_at = now() - interval '1 second'",
    ] {
        let there = sign_in_on_both(&app, &other).await;
        execute(&app, end);
        for instance in [&app.browser, &there] {
            let took = until(instance, LIST, signed_out).await;
            assert!(took < AT_ONCE, "{end}: took {took:?}");
        }
    }

    // Signing out on one instance ends the session on the other at once.
    let there = sign_in_on_both(&app, &other).await;
    there.logout().await.assert_status(StatusCode::SEE_OTHER);
    assert!(signed_out(&there.get(LIST).await));
    let took = until(&app, LIST, signed_out).await;
    assert!(took < AT_ONCE, "took {took:?}");
}

/// A request that may change something reads its session from the
/// database: a sign-out, demotion or removal made through another instance
/// a moment ago holds for it even before the news arrives.
#[actix_web::test]
async fn a_changing_request_reads_its_session_from_the_database() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // Gone without a word: pages still come from memory, a form does not.
    // A session is kept only while the listener vouches for the caches (a
    // heartbeat late on a busy machine lapses that), and after the first
    // page has shown, and so removed, the welcome notice: signed in again
    // until a page is seen served from memory.
    let mut kept = false;
    for _ in 0..10 {
        if !app.is_signed_in().await {
            app.login(OWNER_EMAIL, OWNER_PASSWORD)
                .await
                .assert_status(StatusCode::SEE_OTHER);
        }
        for _ in 0..2 {
            app.get(LIST).await.assert_status(StatusCode::OK);
        }
        unannounced(&app, "DELETE FROM sessions");
        if app.get(LIST).await.status == StatusCode::OK {
            kept = true;
            break;
        }
    }
    assert!(kept, "no page was served from memory");
    let before = app.count("integrations");
    let create = app
        .post_form(
            LIST,
            &[
                ("csrf_token", "whatever the page held"),
                ("name", "After sign-out"),
                ("scopes", "contacts.readonly"),
            ],
        )
        .await;
    assert!(signed_out(&create), "answered {}", create.status);
    assert_eq!(app.count("integrations"), before);
}

#[actix_web::test]
async fn emptied_tables_and_moved_integrations_show_at_once_everywhere() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (other, id) = listed_on_two_instances(&app, "Moving").await;

    // Moved to another account by hand: gone from this account's list.
    let made = app
        .create_admin("Elsewhere", "admin@elsewhere.test", "another long password")
        .await;
    assert!(made.status.success(), "create-admin failed");
    execute(
        &app,
        &format!(
            "UPDATE integrations SET account_id = \
             (SELECT id FROM accounts WHERE name = 'Elsewhere') WHERE id = '{id}'"
        ),
    );
    let link = format!("{LIST}/{id}\"");
    for instance in [&app.browser, &other] {
        let took = until(instance, LIST, |r| {
            r.status == StatusCode::OK && !r.body.contains(&link)
        })
        .await;
        assert!(took < AT_ONCE, "took {took:?}");
    }

    // Emptied at once: every session ends everywhere.
    execute(&app, "TRUNCATE sessions");
    for instance in [&app.browser, &other] {
        let took = until(instance, LIST, signed_out).await;
        assert!(took < AT_ONCE, "took {took:?}");
    }
}
