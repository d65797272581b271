//! Test databases: one migrated template per migration set, cloned for each
//! test and dropped `WITH (FORCE)` when the test ends.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use private_integrations::config::Settings;
use private_integrations::startup::Application;

/// Key for `pg_advisory_lock`, so that concurrent test processes build the
/// template database only once.
const TEMPLATE_LOCK_KEY: i64 = 0x7069_5f74_706c_0001;

/// Server URL from `DATABASE_URL` (any database name), or the local default.
fn server_url() -> url::Url {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    url::Url::parse(&raw).expect("DATABASE_URL must be a URL")
}

/// URL of database `name` on the test server. Without TLS unless
/// `DATABASE_URL` asks for it: the server is local, and libpq's OpenSSL,
/// torn down at exit while listener threads still reconnect to dropped
/// databases, can abort the test process after every test has passed.
pub fn database_url(name: &str) -> String {
    let mut url = server_url();
    url.set_path(&format!("/{name}"));
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    url.to_string()
}

/// A connection to the `postgres` maintenance database.
pub fn maintenance_connection() -> PgConnection {
    let url = database_url("postgres");
    PgConnection::establish(&url)
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {url}: {e}"))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
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

    /// Locks `table` against every other session, reads included, until
    /// the lock is released.
    pub fn lock_table(&self, table: &str) -> TableLock {
        let mut conn = self.connection();
        diesel::sql_query("BEGIN")
            .execute(&mut conn)
            .expect("begin");
        diesel::sql_query(format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("lock {table}: {e}"));
        TableLock(conn)
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

/// A table lock held by a transaction of its own; see [`TestDb::lock_table`].
pub struct TableLock(PgConnection);

impl TableLock {
    pub fn release(mut self) {
        diesel::sql_query("COMMIT")
            .execute(&mut self.0)
            .expect("release the lock");
    }
}
