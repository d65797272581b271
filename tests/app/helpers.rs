//! Shared test harness: one migrated template database per test run, one
//! database cloned from it per test, a real server on port 0 and a
//! cookie-keeping HTTP client that behaves like a browser.

use std::ops::Deref;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use private_integrations::config::Settings;
use private_integrations::startup::Application;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use reqwest::header::HeaderMap;
use tokio::io::AsyncWriteExt;

/// Name of the session cookie (fixed by the contract).
pub const SESSION_COOKIE: &str = "pi_session";
/// The double-submit CSRF cookie of the sign-in and setup forms.
pub const FORM_COOKIE: &str = "pi_csrf";

/// Credentials every test owner is created with.
pub const OWNER_ACCOUNT: &str = "Acme Widgets";
pub const OWNER_EMAIL: &str = "owner@acme.test";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

/// Key for `pg_advisory_lock`, so that concurrent test processes build the
/// template database only once.
const TEMPLATE_LOCK_KEY: i64 = 0x7069_5f74_706c_0001;

/// How long a subprocess of the binary may run before the test gives up.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Database plumbing
// ---------------------------------------------------------------------------

/// Server URL from `DATABASE_URL` (any database name), or the local default.
fn server_url() -> url::Url {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    url::Url::parse(&raw).expect("DATABASE_URL must be a URL")
}

/// URL of database `name` on the test server.
pub fn database_url(name: &str) -> String {
    let mut url = server_url();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A connection to the `postgres` maintenance database.
fn maintenance_connection() -> PgConnection {
    let url = database_url("postgres");
    PgConnection::establish(&url)
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {url}: {e}"))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .get_result::<Count>(conn)
        .expect("query pg_database")
        .n
        > 0
}

fn drop_database(conn: &mut PgConnection, name: &str) {
    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(conn)
        .unwrap_or_else(|e| panic!("drop database {name}: {e}"));
}

/// 64-bit FNV-1a: tiny and stable across Rust versions, unlike `DefaultHasher`.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Stable hash of every file under `migrations/` (names and contents), so a
/// changed migration gets a new template database.
fn migrations_hash() -> u64 {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.sort();
    let mut hash = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let relative = file.strip_prefix(&root).unwrap_or(&file);
        hash = fnv1a(hash, relative.to_string_lossy().as_bytes());
        hash = fnv1a(hash, &[0]);
        hash = fnv1a(hash, &std::fs::read(&file).expect("read migration file"));
        hash = fnv1a(hash, &[0]);
    }
    hash
}

/// Settings for a test server on `database_url`: port 0, one worker.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::new(database_url.to_string());
    settings.listen_addr = "127.0.0.1:0".to_string();
    settings.workers = Some(1);
    settings
}

/// Builds (once per machine and migration set) the migrated template
/// database and returns its name.
fn template_database() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("pi_test_tpl_{:016x}", migrations_hash());
        let mut conn = maintenance_connection();
        diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
            .execute(&mut conn)
            .expect("take the template lock");
        if !database_exists(&mut conn, &name) {
            let building = format!("{name}_building");
            // A leftover from a run that crashed while holding the lock.
            drop_database(&mut conn, &building);
            diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                .execute(&mut conn)
                .expect("create the template database");
            let settings = test_settings(&database_url(&building));
            // A System of its own, so anything the application spawns dies
            // with it and lets go of the database before the rename.
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let app = Application::build(settings)
                        .await
                        .unwrap_or_else(|e| panic!("build the template database: {e}"));
                    drop(app);
                });
            })
            .join()
            .expect("template build thread panicked");
            rename_database(&mut conn, &building, &name);
            // Several checkouts of the project may share one server, each
            // with its own migration set; they set this to keep each other's.
            if std::env::var_os("PI_TEST_KEEP_TEMPLATES").is_none() {
                drop_stale_templates(&mut conn, &name);
            }
        }
        diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
            .execute(&mut conn)
            .expect("release the template lock");
        name
    })
}

/// Templates of earlier migration sets are of no further use; dropping them
/// when a new one is built keeps the server from filling up.
fn drop_stale_templates(conn: &mut PgConnection, current: &str) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        datname: String,
    }
    let stale: Vec<Name> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'pi\\_test\\_tpl\\_%' AND datname <> $1",
    )
    .bind::<Text, _>(current)
    .load(conn)
    .expect("list old templates");
    for Name { datname } in stale {
        drop_database(conn, &datname);
    }
}

fn rename_database(conn: &mut PgConnection, from: &str, to: &str) {
    let mut last_error = None;
    for _ in 0..50 {
        diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
        )
        .bind::<Text, _>(from)
        .get_result::<Count>(conn)
        .expect("terminate template connections");
        match diesel::sql_query(format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\""))
            .execute(conn)
        {
            Ok(_) => return,
            Err(e) => last_error = Some(e),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("rename {from} to {to}: {last_error:?}");
}

/// A database owned by one test, dropped `WITH (FORCE)` when the value is.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A fresh clone of the migrated template.
    pub fn migrated() -> TestDb {
        let template = template_database();
        let name = format!("pi_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = maintenance_connection();
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        let mut attempt = 0;
        loop {
            match diesel::sql_query(&sql).execute(&mut conn) {
                Ok(_) => break,
                // "source database ... is being accessed by other users":
                // another process is cloning or just finished building it.
                Err(e) if attempt < 40 && e.to_string().contains("accessed by other users") => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(150));
                }
                Err(e) => panic!("create {name} from {template}: {e}"),
            }
        }
        TestDb {
            url: database_url(&name),
            name,
        }
    }

    /// A fresh, empty database (no migrations).
    pub fn empty() -> TestDb {
        let name = format!("pi_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = maintenance_connection();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        TestDb {
            url: database_url(&name),
            name,
        }
    }

    /// A connection to this database.
    pub fn connection(&self) -> PgConnection {
        PgConnection::establish(&self.url)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name))
    }

    /// The single bigint that `sql` returns in a column named `n`.
    pub fn query_count(&self, sql: &str) -> i64 {
        diesel::sql_query(sql)
            .get_result::<Count>(&mut self.connection())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    }

    /// Number of rows in `table`.
    pub fn count(&self, table: &str) -> i64 {
        self.query_count(&format!("SELECT count(*) AS n FROM {table}"))
    }

    /// Drops the database now (the later drop on `Drop` is then a no-op).
    pub fn drop_now(&self) {
        drop_database(&mut maintenance_connection(), &self.name);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&database_url("postgres")) {
            let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            if let Err(e) = diesel::sql_query(sql).execute(&mut conn) {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------

/// What a test wants to know about one response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// Value of the `pi_session` cookie set by this response, if any.
    pub session_cookie: Option<String>,
    /// Raw `Set-Cookie` header values.
    pub set_cookies: Vec<String>,
    address: String,
}

impl Reply {
    async fn read(resp: reqwest::Response, address: &str) -> Reply {
        let session_cookie = session_cookie(&resp);
        let set_cookies = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("read response body");
        Reply {
            status,
            headers,
            body,
            session_cookie,
            set_cookies,
            address: address.to_string(),
        }
    }

    /// The `Location` header, with this server's own origin stripped if the
    /// application sent an absolute URL.
    pub fn location(&self) -> Option<String> {
        let raw = self.headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
        Some(raw.strip_prefix(&self.address).unwrap_or(raw).to_string())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 303 to `path`.
    #[track_caller]
    pub fn assert_redirect_to(&self, path: &str) {
        assert_eq!(
            (self.status, self.location().as_deref()),
            (StatusCode::SEE_OTHER, Some(path)),
            "expected 303 to {path}; body: {}",
            excerpt(&self.body)
        );
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(
            self.status,
            status,
            "location: {:?}; body: {}",
            self.location(),
            excerpt(&self.body)
        );
    }
}

/// The first 2000 characters of a body, for assertion messages.
pub fn excerpt(body: &str) -> String {
    body.chars().take(2000).collect()
}

/// Value of the `pi_session` cookie a response sets, if it sets one.
pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.cookies()
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// Undoes the HTML escaping a template engine may apply to an attribute.
fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the hidden `csrf_token` field in a page.
pub fn extract_csrf_token(body: &str) -> Option<String> {
    const MARKER: &str = r#"<input type="hidden" name="csrf_token" value=""#;
    let start = body.find(MARKER)? + MARKER.len();
    let end = body[start..].find('"')?;
    Some(html_unescape(&body[start..start + end]))
}

/// `application/x-www-form-urlencoded` body for `fields`.
pub fn encode_form(fields: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// One browser: its own cookie jar, redirects not followed.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    /// A fresh cookie jar against `address`, e.g. a server this harness did
    /// not start.
    pub fn new(address: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build the HTTP client");
        Browser {
            address: address.to_string(),
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The `pi_session` cookie this browser currently holds.
    pub fn current_session_cookie(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.address).expect("address is a URL");
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_string();
        header.split("; ").find_map(|pair| {
            pair.strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_string)
        })
    }

    /// Sends `request` and reads the whole response.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let resp = request.send().await.expect("send the request");
        Reply::read(resp, &self.address).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    /// A form POST to `path` with exactly `fields` (no token added), ready
    /// for more headers.
    pub fn form_request(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(encode_form(fields))
    }

    /// A form POST to `path` with exactly `fields` (no token added).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(self.form_request(path, fields)).await
    }

    /// GETs `page` and returns its CSRF token.
    pub async fn csrf_token(&self, page: &str) -> String {
        let reply = self.get(page).await;
        extract_csrf_token(&reply.body).unwrap_or_else(|| {
            panic!(
                "no csrf_token field on {page} (status {}): {}",
                reply.status,
                excerpt(&reply.body)
            )
        })
    }

    /// Does what a browser does with a form: fetch `form_page`, take its
    /// CSRF token and POST the fields with it to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token(form_page).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(action, &all).await
    }

    /// Signs in through the login form.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Signs out through the logout form on the settings page.
    pub async fn logout(&self) -> Reply {
        self.submit("/settings", "/logout", &[]).await
    }

    /// Whether this browser is signed in (GET /settings answers 200).
    pub async fn is_signed_in(&self) -> bool {
        let reply = self.get("/settings").await;
        match reply.status {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => false,
            other => panic!("GET /settings answered {other}: {}", excerpt(&reply.body)),
        }
    }
}

/// The owner created through `/setup`.
pub struct Owner {
    pub account_name: String,
    pub email: String,
    pub password: String,
}

/// A running application with its own database and a first browser.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    // Part of the harness other test files may build on.
    #[allow(dead_code)]
    pub db_name: String,
    pub database_url: String,
    pub browser: Browser,
    // Last field: dropped after everything else.
    pub db: TestDb,
}

impl Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// Starts the application on a fresh database cloned from the template.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::migrated()).await
}

/// Starts the application on `db`.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let settings = test_settings(&db.url);
    start(db, settings).await
}

/// Builds and spawns the application; the address uses the host of
/// `listen_addr`, so an IPv6 listener gets an IPv6 address.
async fn start(db: TestDb, settings: Settings) -> TestApp {
    let host = settings
        .listen_addr
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host)
        .to_string();
    let app = Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("build the application: {e}"));
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    let address = format!("http://{host}:{port}");
    TestApp {
        browser: Browser::new(&address),
        address,
        port,
        db_name: db.name.clone(),
        database_url: db.url.clone(),
        db,
    }
}

impl TestApp {
    /// A second browser with its own, empty cookie jar.
    pub fn new_client(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Creates the account and its owner through `/setup`; the first
    /// browser is then signed in as the owner.
    pub async fn setup_owner(&self) -> Owner {
        let owner = Owner {
            account_name: OWNER_ACCOUNT.to_string(),
            email: OWNER_EMAIL.to_string(),
            password: OWNER_PASSWORD.to_string(),
        };
        let reply = self
            .submit(
                "/setup",
                "/setup",
                &[
                    ("account_name", &owner.account_name),
                    ("email", &owner.email),
                    ("password", &owner.password),
                    ("password_confirmation", &owner.password),
                ],
            )
            .await;
        reply.assert_redirect_to("/settings");
        owner
    }

    /// Number of rows in `table` of this app's database.
    pub fn count(&self, table: &str) -> i64 {
        self.db.count(table)
    }

    /// Runs `create-admin` against this app's database.
    pub async fn create_admin(&self, account: &str, email: &str, password: &str) -> Output {
        run_cli(
            &["create-admin", "--account", account, "--email", email],
            &[("DATABASE_URL", &self.database_url)],
            Some(&format!("{password}\n")),
        )
        .await
    }
}

// ---------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------

/// Runs the binary with `args`, only the given environment (plus `PATH` and
/// `RUST_LOG=error`), outside the project directory (so no `.env` is read),
/// feeding `stdin`; kills it after a minute.
pub async fn run_cli(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_private-integrations"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .envs(envs.iter().copied())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("start the binary");
    let mut input = child.stdin.take().expect("child stdin");
    if let Some(text) = stdin {
        // The child may exit before reading; a broken pipe is its business.
        let _ = input.write_all(text.as_bytes()).await;
    }
    drop(input);
    match tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.expect("wait for the binary"),
        Err(_) => panic!(
            "`private-integrations {}` still running after {CLI_TIMEOUT:?}",
            args.join(" ")
        ),
    }
}

/// Text of the child's standard error.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the process failed cleanly: a non-zero exit code and exactly one
/// line on standard error, with no panic or backtrace.
/// How the process ended, in words (a signal is not an exit code).
pub fn exit_of(output: &Output) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (output.status.code(), output.status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => format!("{:?}", output.status),
    }
}

/// Asserts the process succeeded, showing how it ended and its stderr if not.
#[track_caller]
pub fn assert_succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what}: {}; stderr: {}",
        exit_of(output),
        stderr_of(output)
    );
}

/// Asserts the process failed cleanly: a non-zero exit code (not a crash)
/// and exactly one line on standard error, with no panic or backtrace.
#[track_caller]
pub fn assert_failed_with_one_line(output: &Output) {
    let stderr = stderr_of(output);
    assert!(
        matches!(output.status.code(), Some(c) if c != 0),
        "expected a non-zero exit code, got {}; stderr: {stderr}",
        exit_of(output)
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("backtrace"),
        "stderr shows a panic: {stderr}"
    );
}

/// Starts the application on a fresh database with settings adjusted by
/// `adjust` (e.g. a small `api_rate_limit_burst`, or `listen_addr =
/// "[::1]:0"`). The address is built from the host of `listen_addr`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::migrated();
    let mut settings = test_settings(&db.url);
    adjust(&mut settings);
    start(db, settings).await
}
