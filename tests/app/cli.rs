//! The binary's subcommands and how it fails on bad configuration.

use reqwest::StatusCode;

use crate::helpers::{
    TestDb, assert_failed_with_one_line, assert_succeeded, database_exists, database_url, excerpt,
    exit_of, maintenance_connection, run_cli, spawn_app, spawn_app_on, stderr_of, test_settings,
};
use private_integrations::config::SecretBytes;
use private_integrations::startup::Application;

#[actix_web::test]
async fn create_admin_makes_a_new_account_whose_admin_can_sign_in() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    let output = app
        .create_admin(
            "Globex Corporation",
            "hank@globex.test",
            "hank's long password",
        )
        .await;

    assert_succeeded("create-admin", &output);
    assert_eq!(app.count("accounts"), 2);
    assert_eq!(app.count("users"), 2);
    let hank = app.new_client();
    hank.login("hank@globex.test", "hank's long password")
        .await
        .assert_redirect_to("/settings");
    let settings = hank.get("/settings").await;
    settings.assert_status(StatusCode::OK);
    assert!(
        settings.body.contains("Globex Corporation"),
        "{}",
        excerpt(&settings.body)
    );
    assert!(
        settings.body.contains("hank@globex.test"),
        "{}",
        excerpt(&settings.body)
    );
    assert!(
        !settings.body.contains(&owner.account_name),
        "the new admin sees the other account: {}",
        excerpt(&settings.body)
    );
}

#[actix_web::test]
async fn create_admin_for_an_existing_account_adds_an_admin_to_it() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    let output = app
        .create_admin(
            &owner.account_name,
            "second@acme.test",
            "second admin password",
        )
        .await;

    assert_succeeded("create-admin", &output);
    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("users"), 2);
    assert_eq!(
        app.db.query_count(
            "SELECT count(*) AS n FROM users WHERE lower(email) = 'second@acme.test' AND role = 'admin'"
        ),
        1,
        "the new user is an admin"
    );
    let second = app.new_client();
    second
        .login("second@acme.test", "second admin password")
        .await
        .assert_redirect_to("/settings");
    let settings = second.get("/settings").await;
    assert!(
        settings.body.contains(&owner.account_name),
        "{}",
        excerpt(&settings.body)
    );
}

#[actix_web::test]
async fn create_admin_on_an_empty_install_makes_the_owner_and_ends_setup() {
    let app = spawn_app().await;

    let output = app
        .create_admin("Initech", "peter@initech.test", "peter's long password")
        .await;

    assert_succeeded("create-admin", &output);
    assert_eq!(
        app.db
            .query_count("SELECT count(*) AS n FROM users WHERE role = 'owner'"),
        1,
        "the first user of a new account is its owner"
    );
    app.get("/setup").await.assert_status(StatusCode::NOT_FOUND);
    app.login("peter@initech.test", "peter's long password")
        .await
        .assert_redirect_to("/settings");
}

#[actix_web::test]
async fn create_admin_refuses_a_short_password() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    let output = app
        .create_admin(&owner.account_name, "short@acme.test", "elevenchars")
        .await;

    assert!(
        matches!(output.status.code(), Some(c) if c != 0),
        "create-admin with an 11-character password: {}; stderr: {}",
        exit_of(&output),
        stderr_of(&output)
    );
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.count("accounts"), 1);

    let output = app
        .create_admin(
            &owner.account_name,
            "nul@acme.test",
            "long enough\0password",
        )
        .await;
    assert!(
        matches!(output.status.code(), Some(c) if c != 0),
        "create-admin with a NUL in the password: {}",
        exit_of(&output)
    );
    assert!(stderr_of(&output).contains("NUL"), "{}", stderr_of(&output));
    assert_eq!(app.count("users"), 1);
}

#[actix_web::test]
async fn instances_started_together_on_a_fresh_database_take_turns_migrating() {
    for _ in 0..3 {
        let db = TestDb::empty();
        three_migrations_at_once(&db.url, "concurrent migrations").await;
    }
}

/// Three `migrate` runs on `url` at once; each of them must succeed.
async fn three_migrations_at_once(url: &str, what: &str) {
    let env = [("DATABASE_URL", url)];
    let (a, b, c) = tokio::join!(
        run_cli(&["migrate"], &env, None),
        run_cli(&["migrate"], &env, None),
        run_cli(&["migrate"], &env, None),
    );
    for (which, output) in [("first", &a), ("second", &b), ("third", &c)] {
        assert_succeeded(&format!("the {which} of three {what}"), output);
    }
}

#[actix_web::test]
async fn instances_started_together_on_a_missing_database_both_create_it() {
    for _ in 0..3 {
        // Made and dropped at once: what is left is a name no database has,
        // and the drop guard cleans up whatever the runs create.
        let db = TestDb::empty();
        db.drop_now();
        three_migrations_at_once(&db.url, "migrations creating the database at once").await;
    }
}

/// libpq decodes a percent-encoded database name ("my%20db" is "my db"),
/// so the database created when it is missing has the decoded name too.
#[actix_web::test]
async fn a_missing_database_with_an_encoded_name_is_created_under_its_real_name() {
    let name = format!("pi_test_{} spaced", uuid::Uuid::new_v4().simple());
    let url = database_url(&name);
    assert!(url.contains("%20spaced"), "{url}");
    let output = run_cli(&["migrate"], &[("DATABASE_URL", &url)], None).await;
    let mut admin = maintenance_connection();
    let created = database_exists(&mut admin, &name);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")),
        &mut admin,
    )
    .expect("drop the database");
    assert_succeeded("migrate on an encoded name", &output);
    assert!(created, "no database named {name:?}");
}

#[actix_web::test]
async fn migrate_twice_on_a_fresh_database_succeeds_both_times() {
    let db = TestDb::empty();

    for run in 1..=2 {
        let output = run_cli(&["migrate"], &[("DATABASE_URL", &db.url)], None).await;
        assert_succeeded(&format!("migrate run {run}"), &output);
        // The first run says what it applied; the second, that nothing was left.
        let said = String::from_utf8_lossy(&output.stdout);
        let expected = if run == 1 {
            "migrations; the database is up to date."
        } else {
            "no migration to apply"
        };
        assert!(said.contains(expected), "migrate run {run} said {said:?}");
    }
    assert!(
        db.query_count(
            "SELECT count(*) AS n FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name IN ('accounts', 'users', 'sessions')"
        ) == 3,
        "migrate did not create the tables"
    );

    // The migrated database serves the first-run page.
    let app = spawn_app_on(db).await;
    app.get("/settings").await.assert_redirect_to("/setup");
}

#[actix_web::test]
async fn serve_with_an_unparsable_database_url_fails_in_one_line() {
    let output = run_cli(
        &["serve"],
        &[
            ("DATABASE_URL", "not a url"),
            ("LISTEN_ADDR", "127.0.0.1:0"),
        ],
        None,
    )
    .await;

    assert_failed_with_one_line(&output);
}

#[actix_web::test]
async fn a_database_that_accepts_but_never_answers_ends_start_up_in_one_line() {
    // Takes connections and says nothing, like a server stuck or a proxy
    // whose far side is gone.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let url = format!("postgres://postgres@127.0.0.1:{port}/silent");
    for command in ["serve", "migrate"] {
        let started = std::time::Instant::now();
        let output = run_cli(
            &[command],
            &[
                ("DATABASE_URL", url.as_str()),
                ("LISTEN_ADDR", "127.0.0.1:0"),
                ("DB_CONNECT_TIMEOUT_SECONDS", "2"),
            ],
            None,
        )
        .await;
        assert_failed_with_one_line(&output);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{command} took {:?}",
            started.elapsed()
        );
    }
}

#[actix_web::test]
async fn serve_with_an_unreachable_database_fails_in_one_line() {
    let output = run_cli(
        &["serve"],
        &[
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x"),
            ("LISTEN_ADDR", "127.0.0.1:0"),
        ],
        None,
    )
    .await;

    assert_failed_with_one_line(&output);
}

#[actix_web::test]
async fn serve_on_a_port_in_use_fails_in_one_line() {
    let db = TestDb::migrated();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("local addr").to_string();

    let output = run_cli(
        &["serve"],
        &[("DATABASE_URL", &db.url), ("LISTEN_ADDR", &addr)],
        None,
    )
    .await;

    assert_failed_with_one_line(&output);
    drop(taken);
}

#[actix_web::test]
async fn serve_is_the_default_subcommand() {
    // With no subcommand and a bad URL, the binary behaves like `serve`.
    let output = run_cli(
        &[],
        &[
            ("DATABASE_URL", "not a url"),
            ("LISTEN_ADDR", "127.0.0.1:0"),
        ],
        None,
    )
    .await;

    assert_failed_with_one_line(&output);
}

#[actix_web::test]
async fn serve_with_an_https_public_url_and_no_session_key_refuses_to_start() {
    let db = TestDb::migrated();

    let output = run_cli(
        &["serve"],
        &[
            ("DATABASE_URL", &db.url),
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("PUBLIC_URL", "https://panel.example"),
        ],
        None,
    )
    .await;

    assert_failed_with_one_line(&output);
    assert!(
        stderr_of(&output).contains("SESSION_KEY"),
        "{}",
        stderr_of(&output)
    );
}

#[actix_web::test]
async fn an_https_public_url_needs_a_session_key_and_starts_with_one() {
    let db = TestDb::migrated();
    let mut settings = test_settings(&db.url);
    settings.public_url = Some("https://panel.example".into());

    let refused = Application::build(settings.clone()).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("SESSION_KEY")),
        "started without SESSION_KEY"
    );

    settings.session_key = Some(SecretBytes::new(vec![7; 64]));
    let app = Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("with SESSION_KEY set: {e}"));
    assert_eq!(app.public_url(), "https://panel.example");
}

#[actix_web::test]
async fn a_malformed_env_file_ends_start_up_in_one_line_without_repeating_it() {
    let dir = std::env::temp_dir().join(format!("pi-env-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("make a directory");
    std::fs::write(
        dir.join(".env"),
        "LISTEN_ADDR=127.0.0.1:0\nSESSION_KEY=\"kept-secret-value and no closing quote\n",
    )
    .expect("write .env");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_private-integrations"))
        .arg("migrate")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/never_reached",
        )
        .current_dir(&dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the binary");
    let _ = std::fs::remove_dir_all(&dir);
    assert_failed_with_one_line(&output);
    let said = stderr_of(&output);
    assert!(said.contains(".env"), "{said}");
    assert!(!said.contains("kept-secret-value"), "{said}");
}
