//! SPEC §10: while PostgreSQL cannot be reached the server keeps running and
//! answers quickly — pages with the layout's 503 page, the API with a 503 in
//! HighLevel's body, both with `Retry-After`; `/readyz` 503, `/healthz` 200 —
//! and within 10 seconds of the database coming back everything works again
//! without a restart. A proxy between the server and PostgreSQL cuts the
//! line both ways an outage looks: connections closed, and a black hole.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use crate::api_keys_page::generate_key;
use crate::api_support::{Auth, assert_error, insert_contact, location_of, send};
use crate::helpers::{
    OWNER_EMAIL, OWNER_PASSWORD, Reply, TestApp, TestDb, excerpt, spawn_app_with,
    spawn_app_with_settings, test_settings,
};
use crate::integration_support::{create_with_token, whoami};
use crate::outage_proxy::{Line, Proxy, through_proxy, upstream_of};

/// What SPEC §10 allows for every answer during an outage, and for
/// recovery after it.
const WITHIN: Duration = Duration::from_secs(10);

const PAGE: &str = "/settings/private-integrations";

#[actix_web::test]
async fn closed_connections_get_503s_at_once_and_the_server_recovers_without_a_restart() {
    outage_and_recovery(Line::Closed).await;
}

#[actix_web::test]
async fn a_black_hole_gets_503s_within_the_timeouts_and_the_server_recovers_without_a_restart() {
    outage_and_recovery(Line::BlackHole).await;
}

#[actix_web::test]
async fn a_cached_token_stops_answering_200_once_the_line_is_seen_cut() {
    let app = ProxiedApp::new().await;
    app.assert_everything_works().await;
    // Cached by now, and the listener has vouched for the cache.
    app.v2_token().await.assert_status(StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.proxy.set(Line::Closed);
    let cut = Instant::now();
    let mut last_ok = None;
    while cut.elapsed() < Duration::from_millis(1500) {
        if app.v2_token().await.status == StatusCode::OK {
            last_ok = Some(cut.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The listener, asleep on its socket, wakes as the connection closes and
    // drops the cache then, not when its last heartbeat's trust runs out.
    assert!(
        last_ok.is_none_or(|at| at < Duration::from_millis(250)),
        "a cached 200 {last_ok:?} after the line was cut"
    );
}

#[actix_web::test]
async fn a_query_stuck_behind_a_lock_gives_up_at_the_statement_timeout_with_a_503() {
    let app = spawn_app_with(|s| s.db_statement_timeout_seconds = 1).await;
    app.setup_owner().await;
    let (_, token) = create_with_token(&app, "CRM sync", &["contacts.readonly"], "").await;
    let lock = app.db.lock_table("access_tokens");

    let started = Instant::now();
    let reply = answered("GET /v2/token", whoami(&app, &token)).await;

    assert_unavailable_api("GET /v2/token", &reply);
    // Sooner than the wait for a connection and its answer together (4 s):
    // the server cancelled the statement.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    lock.release();
    whoami(&app, &token).await.assert_status(StatusCode::OK);
}

async fn outage_and_recovery(cut: Line) {
    let app = ProxiedApp::new().await;
    app.assert_everything_works().await;

    app.proxy.set(cut);
    // No instance can know of a silent outage the instant it begins: the
    // token cache is believed for a second and a half after its listener
    // last heard the database.
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    app.assert_unavailable().await;

    let resumed = Instant::now();
    let since = chrono::Utc::now();
    app.proxy.set(Line::Open);
    app.assert_recovers(resumed, since).await;
}

/// A server whose database connections pass through the proxy, with the
/// shortest timeouts libpq allows, an owner signed in, a token, the
/// account's v1 key and a contact.
struct ProxiedApp {
    app: TestApp,
    proxy: Proxy,
    token: String,
    v1_key: String,
    contact: String,
}

impl ProxiedApp {
    async fn new() -> ProxiedApp {
        let db = TestDb::migrated();
        let proxy = Proxy::start(upstream_of(&db.url)).await;
        let mut settings = test_settings(&through_proxy(&db.url, proxy.port));
        settings.db_pool_size = 4;
        settings.db_connect_timeout_seconds = 2;
        settings.db_statement_timeout_seconds = 1;
        let app = spawn_app_with_settings(db, settings).await;
        app.setup_owner().await;
        let (_, token) = create_with_token(&app, "CRM sync", &["contacts.readonly"], "").await;
        let contact = insert_contact(&app, &location_of(&app, &token).await, "Ada");
        let v1_key = generate_key(&app).await;
        ProxiedApp {
            app,
            proxy,
            token,
            v1_key,
            contact,
        }
    }

    async fn signed_in_page(&self) -> Reply {
        self.app.get(PAGE).await
    }

    async fn v2_token(&self) -> Reply {
        whoami(&self.app, &self.token).await
    }

    async fn v2_contact(&self) -> Reply {
        let path = format!("/v2/contacts/{}", self.contact);
        let client = self.app.new_client();
        send(&client, Auth::Bearer(&self.token), Method::GET, &path, None).await
    }

    async fn v1_contacts(&self) -> Reply {
        let client = self.app.new_client();
        let auth = Auth::Bearer(&self.v1_key);
        send(&client, auth, Method::GET, "/v1/contacts/", None).await
    }

    /// Probes sent with the signed-in browser's session cookie, which they
    /// must not need.
    async fn probe(&self, path: &str) -> Reply {
        self.app.get(path).await
    }

    async fn sign_in(&self) -> Reply {
        self.app
            .new_client()
            .login(OWNER_EMAIL, OWNER_PASSWORD)
            .await
    }

    /// API requests answered 200 and recorded since `since`.
    fn recorded_since(&self, since: chrono::DateTime<chrono::Utc>) -> i64 {
        self.app.db.query_count(&format!(
            "SELECT count(*) AS n FROM api_requests WHERE status = 200 AND created_at >= '{}'",
            since.to_rfc3339()
        ))
    }

    async fn assert_everything_works(&self) {
        self.signed_in_page().await.assert_status(StatusCode::OK);
        self.v2_token().await.assert_status(StatusCode::OK);
        self.v2_contact().await.assert_status(StatusCode::OK);
        self.v1_contacts().await.assert_status(StatusCode::OK);
        self.probe("/readyz").await.assert_status(StatusCode::OK);
    }

    /// Every request at once, each answered within [`WITHIN`].
    async fn assert_unavailable(&self) {
        let (page, token, contact, v1, ready, health, sign_in) = tokio::join!(
            answered("the signed-in page", self.signed_in_page()),
            answered("GET /v2/token", self.v2_token()),
            answered("GET /v2/contacts/{id}", self.v2_contact()),
            answered("GET /v1/contacts/", self.v1_contacts()),
            answered("GET /readyz", self.probe("/readyz")),
            answered("GET /healthz", self.probe("/healthz")),
            answered("signing in", self.sign_in()),
        );
        assert_unavailable_page("the signed-in page", &page);
        assert_unavailable_page("signing in", &sign_in);
        assert_unavailable_api("GET /v2/token", &token);
        assert_unavailable_api("GET /v2/contacts/{id}", &contact);
        assert_unavailable_api("GET /v1/contacts/", &v1);
        ready.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        health.assert_status(StatusCode::OK);
        assert_eq!(health.body.trim(), "ok");
    }

    /// Polls every request until all succeed and API usage is recorded
    /// again, failing once [`WITHIN`] has passed since `resumed`.
    async fn assert_recovers(&self, resumed: Instant, since: chrono::DateTime<chrono::Utc>) {
        loop {
            let (page, token, contact, v1, ready, sign_in) = tokio::join!(
                self.signed_in_page(),
                self.v2_token(),
                self.v2_contact(),
                self.v1_contacts(),
                self.probe("/readyz"),
                self.sign_in(),
            );
            let statuses = [&page, &token, &contact, &v1, &ready].map(|r| r.status);
            let signed_in = sign_in.status == StatusCode::SEE_OTHER
                && sign_in.location().as_deref() == Some("/settings");
            if statuses.iter().all(|s| *s == StatusCode::OK)
                && signed_in
                && self.recorded_since(since) > 0
            {
                return;
            }
            assert!(
                resumed.elapsed() < WITHIN,
                "not recovered {:?} after the database came back: page, v2 token, v2 contact, \
                 v1, readyz {statuses:?}; sign-in {} to {:?}; usage rows {}",
                resumed.elapsed(),
                sign_in.status,
                sign_in.location(),
                self.recorded_since(since),
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The reply to `request`, failing if it takes longer than [`WITHIN`].
async fn answered(what: &str, request: impl Future<Output = Reply>) -> Reply {
    let started = Instant::now();
    let reply = tokio::time::timeout(WITHIN, request)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {WITHIN:?}"));
    assert!(
        started.elapsed() < WITHIN,
        "{what} took {:?}",
        started.elapsed()
    );
    reply
}

#[track_caller]
fn assert_retry_after(what: &str, reply: &Reply) {
    let seconds = reply
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        seconds.is_some_and(|s| s > 0),
        "{what}: Retry-After {:?}",
        reply.header("retry-after")
    );
}

/// The layout's 503 page, saying nothing of its cause.
#[track_caller]
fn assert_unavailable_page(what: &str, reply: &Reply) {
    reply.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_retry_after(what, reply);
    assert!(
        reply.header("content-security-policy").is_some()
            && reply.header("x-frame-options") == Some("DENY"),
        "{what}: the 503 page lacks the security headers"
    );
    assert!(
        reply.header("content-security-policy").is_some()
            && reply.header("x-frame-options") == Some("DENY"),
        "{what}: the 503 page lacks the security headers"
    );
    assert!(
        reply.body.contains("/static/css/app.css")
            && reply.body.contains("Temporarily unavailable"),
        "{what}: not the layout's 503 page: {}",
        excerpt(&reply.body)
    );
    for leak in ["connection", "timed out", "pool", "127.0.0.1"] {
        assert!(
            !reply.body.contains(leak),
            "{what}: the page leaks {leak:?}"
        );
    }
}

/// HighLevel's error body with 503, never a 401 for a token that could not
/// be looked up.
#[track_caller]
fn assert_unavailable_api(what: &str, reply: &Reply) {
    assert_error(what, reply, StatusCode::SERVICE_UNAVAILABLE);
    assert_retry_after(what, reply);
    assert!(!reply.body.contains("127.0.0.1"), "{what}: {}", reply.body);
}
