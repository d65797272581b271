//! Two server processes of the built binary on one database, as behind a
//! load balancer (SPEC §10): a token changed through one is refused by the
//! other within a second, a session works on both and ends on both, and the
//! usage both record adds up.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use tokio::sync::{Mutex, MutexGuard};

use crate::api_support::edit_integration;
use crate::helpers::{
    Browser, OWNER_ACCOUNT, OWNER_EMAIL, OWNER_PASSWORD, SESSION_COOKIE, TestDb, excerpt,
};
use crate::integration_support::{
    self, act, create_with_token, integration_path, item_for, json, rotate, token_items,
};

/// Two processes per test are heavy on a small machine: these tests take
/// turns rather than overlap with each other.
pub(crate) static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// How long a process may take to answer `/healthz` after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a change may take to reach the other process (SPEC §10).
const PROPAGATION: Duration = Duration::from_secs(1);

/// A `serve` process of the binary; killed when dropped, panics included.
pub(crate) struct Instance {
    pub(crate) address: String,
    child: Child,
    log: PathBuf,
}

impl Instance {
    /// Starts `serve` on a free loopback port with only the given settings,
    /// outside the project directory (so no `.env` is read), and waits until
    /// it answers `/healthz`. Another test may take the port between our
    /// finding it free and the server binding it: then it tries another.
    async fn start(database_url: &str, session_key: &str) -> Instance {
        Instance::start_with(database_url, session_key, &[]).await
    }

    /// As [`Instance::start`], with more environment (which may override
    /// the defaults, `RUST_LOG` included).
    pub(crate) async fn start_with(
        database_url: &str,
        session_key: &str,
        envs: &[(&str, &str)],
    ) -> Instance {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut instance = Instance::spawn(database_url, session_key, envs);
            match instance.wait_until_healthy().await {
                Ok(()) => return instance,
                Err(stderr) if attempts < 3 && stderr.contains("in use") => continue,
                Err(stderr) => panic!("the server on {} did not start: {stderr}", instance.address),
            }
        }
    }

    fn spawn(database_url: &str, session_key: &str, envs: &[(&str, &str)]) -> Instance {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "pi-scale-out-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let stderr = std::fs::File::create(&log).expect("create the process log");
        let child = Command::new(env!("CARGO_BIN_EXE_private-integrations"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("SESSION_KEY", session_key)
            // Polling for a refusal must never meet the rate limit instead.
            .env("API_RATE_LIMIT_BURST", "1000")
            .envs(envs.iter().copied())
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the binary");
        Instance {
            address: format!("http://127.0.0.1:{port}"),
            child,
            log,
        }
    }

    /// Waits until the process answers `/healthz`; what it wrote to
    /// standard error if it exits or stays silent for too long.
    async fn wait_until_healthy(&mut self) -> Result<(), String> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the process") {
                return Err(format!("exited ({status}): {}", self.stderr()));
            }
            let health = client
                .get(format!("{}/healthz", self.address))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "no answer on /healthz within {START_TIMEOUT:?}: {}",
                    self.stderr()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the process wrote to standard error so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A browser of its own against this process.
    pub(crate) fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Sends SIGTERM, as a service manager stops the server, and waits up
    /// to `within` for the process to end; how it ended.
    pub(crate) async fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        self.send_sigterm();
        self.exit_within(within).await
    }

    pub(crate) fn send_sigterm(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits up to `within` for the process to end; how it ended.
    pub(crate) async fn exit_within(&mut self, within: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the process") {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "the process still runs {within:?} after SIGTERM: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port()
}

/// 64 random bytes, base64: the cookie-signing key both processes share.
pub(crate) fn session_key() -> String {
    let mut key = [0u8; 64];
    rand::fill(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// Instances A and B on one fresh database, with the owner set up through A.
struct TwoInstances {
    a: Instance,
    b: Instance,
    /// Signed in as the owner, against A.
    owner: Browser,
    db: TestDb,
    // Last field: the next test starts only once these processes are gone.
    _turn: MutexGuard<'static, ()>,
}

async fn two_instances() -> TwoInstances {
    let turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::migrated();
    let key = session_key();
    let a = Instance::start(&db.url, &key).await;
    let b = Instance::start(&db.url, &key).await;
    let owner = a.browser();
    owner
        .submit(
            "/setup",
            "/setup",
            &[
                ("account_name", OWNER_ACCOUNT),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("password_confirmation", OWNER_PASSWORD),
            ],
        )
        .await
        .assert_redirect_to("/settings");
    TwoInstances {
        a,
        b,
        owner,
        db,
        _turn: turn,
    }
}

async fn status_on(instance: &Instance, token: &str, path: &str) -> StatusCode {
    integration_support::status_on(&instance.browser(), token, path).await
}

/// Calls `path` on both instances a few times, so both hold `token` in
/// their caches; each call must succeed.
async fn warm_both(pair: &TwoInstances, token: &str, path: &str) {
    for _ in 0..3 {
        for instance in [&pair.a, &pair.b] {
            assert_eq!(
                status_on(instance, token, path).await,
                StatusCode::OK,
                "{path} on {}",
                instance.address
            );
        }
    }
}

/// Polls `path` on `instance` until it answers `expected`; how long that
/// took. Gives up (failing) after five seconds.
async fn until_status(
    instance: &Instance,
    token: &str,
    path: &str,
    expected: StatusCode,
) -> Duration {
    integration_support::until_status(&instance.browser(), token, path, expected).await
}

/// Asserts the other instance refuses `token` on `path` with `expected`
/// within a second.
async fn assert_refused_within_a_second(
    instance: &Instance,
    token: &str,
    path: &str,
    expected: StatusCode,
) {
    let took = until_status(instance, token, path, expected).await;
    assert!(
        took < PROPAGATION,
        "the other process took {took:?} to answer {expected}"
    );
}

#[actix_web::test]
async fn a_token_rotated_through_one_process_is_refused_by_the_other_within_a_second() {
    let pair = two_instances().await;
    let (id, old) = create_with_token(&pair.owner, "Shared", &["contacts.readonly"], "").await;
    warm_both(&pair, &old, "/v2/token").await;

    let new = rotate(
        &pair.owner,
        &id,
        &[("expire_old", "now"), ("grace_days", "7")],
    )
    .await;

    assert_eq!(
        status_on(&pair.a, &old, "/v2/token").await,
        StatusCode::UNAUTHORIZED,
        "the process that rotated refuses the old token at once"
    );
    assert_refused_within_a_second(&pair.b, &old, "/v2/token", StatusCode::UNAUTHORIZED).await;
    assert_eq!(status_on(&pair.b, &new, "/v2/token").await, StatusCode::OK);
}

#[actix_web::test]
async fn a_token_expired_through_one_process_is_refused_by_the_other_within_a_second() {
    let pair = two_instances().await;
    let (id, token) = create_with_token(&pair.owner, "Shared", &["contacts.readonly"], "").await;
    warm_both(&pair, &token, "/v2/token").await;
    let page = pair.owner.get(&integration_path(&id, "")).await;
    let token_id = item_for(&token_items(&page.body), &token).id.clone();

    act(&pair.owner, &id, &format!("/tokens/{token_id}/expire"), &[])
        .await
        .assert_redirect_to(&integration_path(&id, ""));

    assert_eq!(
        status_on(&pair.a, &token, "/v2/token").await,
        StatusCode::UNAUTHORIZED,
        "the process that expired it refuses it at once"
    );
    assert_refused_within_a_second(&pair.b, &token, "/v2/token", StatusCode::UNAUTHORIZED).await;
}

#[actix_web::test]
async fn a_scope_removed_through_one_process_is_refused_by_the_other_within_a_second() {
    let pair = two_instances().await;
    let (id, token) = create_with_token(
        &pair.owner,
        "Narrowed",
        &["contacts.readonly", "users.readonly"],
        "",
    )
    .await;
    let client = pair.b.browser();
    let info = client
        .send(
            client
                .client
                .get(client.url("/v2/token"))
                .bearer_auth(&token),
        )
        .await;
    info.assert_status(StatusCode::OK);
    let location = json(&info)["locationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no locationId: {}", info.body))
        .to_string();
    let users = format!("/v2/users/?locationId={location}");
    warm_both(&pair, &token, &users).await;

    edit_integration(&pair.owner, &id, "Narrowed", &["contacts.readonly"], "")
        .await
        .assert_redirect_to(&integration_path(&id, ""));

    assert_eq!(
        status_on(&pair.a, &token, &users).await,
        StatusCode::FORBIDDEN,
        "the process that narrowed it refuses at once"
    );
    assert_refused_within_a_second(&pair.b, &token, &users, StatusCode::FORBIDDEN).await;
    let contacts = format!("/v2/contacts/?locationId={location}");
    assert_eq!(
        status_on(&pair.b, &token, &contacts).await,
        StatusCode::OK,
        "the scope it kept still works"
    );
}

/// The same browser (one cookie jar) reaching `instance`, as a load
/// balancer would send it there.
fn same_browser_at(browser: &Browser, instance: &Instance) -> Browser {
    Browser {
        address: instance.address.clone(),
        client: browser.client.clone(),
        jar: browser.jar.clone(),
    }
}

/// Whether `instance` lets a request carrying only `cookie` see a
/// signed-in page.
async fn signed_in_with(instance: &Instance, cookie: &str) -> bool {
    let client = instance.browser();
    let reply = client
        .send(client.client.get(client.url("/settings")).header(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={cookie}"),
        ))
        .await;
    match reply.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("GET /settings answered {other}: {}", excerpt(&reply.body)),
    }
}

#[actix_web::test]
async fn a_session_made_on_one_process_works_on_the_other_and_ends_on_both() {
    let pair = two_instances().await;
    let on_a = pair.a.browser();
    on_a.login(OWNER_EMAIL, OWNER_PASSWORD)
        .await
        .assert_redirect_to("/settings");
    let cookie = on_a
        .current_session_cookie()
        .expect("signing in on A sets a session cookie");

    let on_b = same_browser_at(&on_a, &pair.b);
    assert!(
        on_b.is_signed_in().await,
        "the session made on A works on B"
    );
    let (id, _) = create_with_token(&on_b, "Made on B", &["contacts.readonly"], "").await;
    on_a.get(&integration_path(&id, ""))
        .await
        .assert_status(StatusCode::OK);

    on_b.logout().await.assert_redirect_to("/login");
    assert!(
        !signed_in_with(&pair.b, &cookie).await,
        "B ended the session"
    );
    let started = Instant::now();
    while signed_in_with(&pair.a, &cookie).await {
        assert!(
            started.elapsed() < PROPAGATION,
            "A still accepts the session a second after sign-out on B"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn usage_recorded_by_both_processes_adds_up() {
    let pair = two_instances().await;
    let (id, token) = create_with_token(&pair.owner, "Counted", &["contacts.readonly"], "").await;
    let (to_a, to_b) = (7, 5);
    for _ in 0..to_a {
        assert_eq!(
            status_on(&pair.a, &token, "/v2/token").await,
            StatusCode::OK
        );
    }
    for _ in 0..to_b {
        assert_eq!(
            status_on(&pair.b, &token, "/v2/token").await,
            StatusCode::OK
        );
    }

    let rows = || {
        pair.db.query_count(&format!(
            "SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}'"
        ))
    };
    let daily = || {
        pair.db.query_count(&format!(
            "SELECT coalesce(sum(requests), 0)::bigint AS n FROM usage_daily \
             WHERE integration_id = '{id}'"
        ))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while (rows(), daily()) != (to_a + to_b, to_a + to_b) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        (rows(), daily()),
        (to_a + to_b, to_a + to_b),
        "api_requests rows and usage_daily requests after {to_a} calls to A and {to_b} to B"
    );
}

#[actix_web::test]
async fn usage_of_the_last_requests_is_written_before_a_stopped_process_exits() {
    let mut pair = two_instances().await;
    let (id, token) =
        create_with_token(&pair.owner, "Last words", &["contacts.readonly"], "").await;
    // The writer cannot write until the lock goes, which is after SIGTERM.
    let lock = pair.db.lock_table("api_requests");
    let calls = 12;
    for call in 0..calls {
        assert_eq!(
            status_on(&pair.a, &token, "/v2/token").await,
            StatusCode::OK
        );
        if call == calls / 2 {
            // The first half is taken as a batch, whose write waits; the
            // second half waits in the queue behind it.
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
    }
    pair.a.send_sigterm();
    tokio::time::sleep(Duration::from_secs(1)).await;
    lock.release();
    let ended = pair.a.exit_within(Duration::from_secs(15)).await;
    assert!(ended.success(), "{ended:?}: {}", pair.a.stderr());
    let rows = pair.db.query_count(&format!(
        "SELECT count(*) AS n FROM api_requests WHERE integration_id = '{id}'"
    ));
    assert_eq!(
        rows, calls,
        "every request answered before SIGTERM is recorded"
    );
}
