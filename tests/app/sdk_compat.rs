//! SPEC §7: HighLevel's official SDKs, unchanged, against our API v2.
//!
//! Runs `tests/sdk/node_sdk_check.mjs` (`@gohighlevel/api-client` 3.1.0) and
//! `tests/sdk/python_sdk_check.py` (`gohighlevel-api-client` 3.0.0) against a
//! real server. Each test installs its SDK from the pinned files in
//! `tests/sdk/` (into `tests/sdk/node_modules` and `tests/sdk/.venv`) when it
//! is missing or its pins changed, so plain `cargo test` works on a fresh
//! clone with Node.js/npm and Python 3 present; see `tests/sdk/README.md`.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::helpers::{TestApp, exit_of, spawn_app};
use crate::integration_support::{create_with_token, token_info};

/// How long one SDK script may run before the test gives up.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Every step the scripts print as `ok <step>` on success, in order.
const STEPS: &[&str] = &[
    "sdk version",
    "contacts create",
    "contacts get",
    "contacts update",
    "contacts list",
    "contacts search",
    "contacts upsert",
    "contacts tags",
    "contacts notes",
    "contacts duplicate",
    "contacts delete",
    "locations get",
    "locations custom fields",
    "locations tags",
    "users search",
    "users by location",
    "401 invalid token",
    "403 missing scope",
];

const ALL_SCOPES: &[&str] = &[
    "contacts.readonly",
    "contacts.write",
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "locations/tags.readonly",
    "locations/tags.write",
    "users.readonly",
];
const NO_CONTACTS_WRITE: &[&str] = &["contacts.readonly", "locations.readonly", "users.readonly"];

const INSTALL_HINT: &str = "the SDK checks need Node.js with npm and Python 3 with venv \
     (Debian: apt-get install nodejs npm python3-venv)";

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sdk_dir() -> PathBuf {
    project_root().join("tests").join("sdk")
}

/// Runs an install command, failing the test (never skipping) when it fails.
#[track_caller]
fn run_install(program: &str, args: &[&str]) {
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(project_root())
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {program} to install an SDK: {e}"));
    assert!(
        status.success(),
        "`{program} {}` failed: {status}",
        args.join(" ")
    );
}

/// Installs from `pins` unless the copy left by the last install matches.
fn install_if_stale(pins: &Path, installed_copy: &Path, install: impl FnOnce()) {
    let same = std::fs::read(pins)
        .ok()
        .is_some_and(|p| std::fs::read(installed_copy).ok() == Some(p));
    if !same {
        install();
        std::fs::copy(pins, installed_copy).expect("record the installed pins");
    }
}

fn ensure_node_sdk() -> PathBuf {
    let dir = sdk_dir();
    install_if_stale(
        &dir.join("package-lock.json"),
        &dir.join("node_modules/.installed-package-lock.json"),
        || {
            run_install(
                "npm",
                &[
                    "ci",
                    "--prefix",
                    "tests/sdk",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ],
            )
        },
    );
    dir.join("node_modules")
}

fn ensure_python_sdk() -> PathBuf {
    let dir = sdk_dir();
    let venv = dir.join(".venv");
    install_if_stale(
        &dir.join("requirements.txt"),
        &venv.join(".installed-requirements.txt"),
        || {
            let _ = std::fs::remove_dir_all(&venv);
            run_install("python3", &["-m", "venv", "tests/sdk/.venv"]);
            run_install(
                "tests/sdk/.venv/bin/pip",
                &[
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                    "tests/sdk/requirements.txt",
                ],
            );
        },
    );
    venv.join("bin/python")
}

/// The values the scripts read from their environment.
struct SdkEnv {
    base_url: String,
    token: String,
    token_no_contacts: String,
    location_id: String,
}

/// Sets up the owner and two integrations: one with every scope the
/// scripts use, one without `contacts.write` (for the 403).
async fn sdk_env(app: &TestApp) -> SdkEnv {
    app.setup_owner().await;
    let (_, token) = create_with_token(app, "SDK check", ALL_SCOPES, "").await;
    let (_, token_no_contacts) =
        create_with_token(app, "SDK check read-only", NO_CONTACTS_WRITE, "").await;
    let info = token_info(app, &token).await;
    let location_id = info["locationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no locationId in GET /v2/token: {info}"))
        .to_string();
    SdkEnv {
        base_url: format!("{}/v2", app.address),
        token,
        token_no_contacts,
        location_id,
    }
}

/// Runs `program args` from the project root with only `PATH`, `HOME` and
/// the `GHL_*` variables (no proxy settings), killing it after
/// [`SCRIPT_TIMEOUT`].
async fn run_script(
    program: &Path,
    args: &[&Path],
    extra: &[(&str, &Path)],
    env: &SdkEnv,
) -> Output {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GHL_BASE_URL", &env.base_url)
        .env("GHL_TOKEN", &env.token)
        .env("GHL_TOKEN_NO_CONTACTS", &env.token_no_contacts)
        .env("GHL_LOCATION_ID", &env.location_id)
        .current_dir(project_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Ok(home) = std::env::var("HOME") {
        command.env("HOME", home);
    }
    for (name, value) in extra {
        command.env(name, value);
    }
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}; {INSTALL_HINT}", program.display()));
    match tokio::time::timeout(SCRIPT_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.unwrap_or_else(|e| panic!("wait for {}: {e}", program.display())),
        Err(_) => panic!(
            "{} {:?} still running after {SCRIPT_TIMEOUT:?}",
            program.display(),
            args
        ),
    }
}

/// Asserts exit 0, every `ok <step>` line, and no token anywhere in the output.
#[track_caller]
fn assert_all_steps_passed(what: &str, output: &Output, env: &SdkEnv) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    for token in [&env.token, &env.token_no_contacts] {
        assert!(
            !stdout.contains(token.as_str()) && !stderr.contains(token.as_str()),
            "{what}: the output contains a token"
        );
    }
    println!("{what}:\n{shown}");
    // The scripts exit 2 for a setup problem (a missing SDK or variable).
    let hint = if output.status.code() == Some(2) {
        format!("\n{INSTALL_HINT}")
    } else {
        String::new()
    };
    assert!(
        output.status.success(),
        "{what}: {}{hint}\n{shown}",
        exit_of(output)
    );
    for step in STEPS {
        let ok = format!("ok {step}");
        let found = stdout
            .lines()
            .any(|l| l == ok || l.starts_with(&format!("{ok} (")));
        assert!(found, "{what}: no `{ok}` line\n{shown}");
    }
}

#[actix_web::test]
async fn node_sdk_works_against_api_v2() {
    let modules = ensure_node_sdk();
    let app = spawn_app().await;
    let env = sdk_env(&app).await;

    let script = sdk_dir().join("node_sdk_check.mjs");
    let output = run_script(
        Path::new("node"),
        &[&script],
        &[("NODE_PATH", &modules)],
        &env,
    )
    .await;

    assert_all_steps_passed("node SDK check", &output, &env);
}

#[actix_web::test]
async fn python_sdk_works_against_api_v2() {
    let python = ensure_python_sdk();
    let app = spawn_app().await;
    let env = sdk_env(&app).await;

    let script = sdk_dir().join("python_sdk_check.py");
    let output = run_script(&python, &[&script], &[], &env).await;

    assert_all_steps_passed("python SDK check", &output, &env);
}
