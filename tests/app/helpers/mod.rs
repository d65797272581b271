//! Shared test harness: one migrated template database per test run, one
//! database cloned from it per test, a real server on port 0 and a
//! cookie-keeping HTTP client that behaves like a browser.

mod client;
mod database;
mod process;

pub use client::*;
pub use database::*;
pub use process::*;

use std::ops::Deref;
use std::process::Output;

use private_integrations::config::Settings;
use private_integrations::startup::Application;

/// Name of the session cookie (fixed by the contract).
pub const SESSION_COOKIE: &str = "pi_session";
/// The double-submit CSRF cookie of the sign-in and setup forms.
pub const FORM_COOKIE: &str = "pi_csrf";

/// Credentials every test owner is created with.
pub const OWNER_ACCOUNT: &str = "Acme Widgets";
pub const OWNER_EMAIL: &str = "owner@acme.test";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

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
    spawn_app_with_settings(db, settings).await
}

/// Builds and spawns the application on `db` with exactly `settings` (whose
/// `database_url` may lead elsewhere, e.g. through a proxy); the address
/// uses the host of `listen_addr`, so an IPv6 listener gets an IPv6 address.
pub async fn spawn_app_with_settings(db: TestDb, settings: Settings) -> TestApp {
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
        setup_owner_in(&self.browser).await
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

/// Creates the account and its owner through `/setup` of `browser`'s
/// server, which it then is signed in to.
pub async fn setup_owner_in(browser: &Browser) -> Owner {
    let owner = Owner {
        account_name: OWNER_ACCOUNT.to_string(),
        email: OWNER_EMAIL.to_string(),
        password: OWNER_PASSWORD.to_string(),
    };
    let reply = browser
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

/// Starts the application on a fresh database with settings adjusted by
/// `adjust` (e.g. a small `api_rate_limit_burst`, or `listen_addr =
/// "[::1]:0"`). The address is built from the host of `listen_addr`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::migrated();
    let mut settings = test_settings(&db.url);
    adjust(&mut settings);
    spawn_app_with_settings(db, settings).await
}
