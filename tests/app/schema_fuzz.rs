//! SPEC §7: `/v2/openapi.json` is exactly true, and our answers fit
//! HighLevel's own documents. schemathesis (pinned in
//! `tests/fuzz/requirements.txt`, installed into `tests/fuzz/.venv` when
//! missing or stale) runs against a real server: every check against our
//! document, and the response checks against HighLevel's (copied under
//! `tests/reference/highlevel/apps/`) for the operations we serve. What only
//! the database can make valid (the location, a user, see
//! `tests/fuzz/hooks.py`) is pinned; the rate limit is raised so the runs
//! measure the schemas, not the limiter.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::api_support::{ALL_SCOPES, location_of};
use crate::helpers::{TestApp, spawn_app_with};
use crate::integration_support::{create_with_token, texts};

const RUN_TIMEOUT: Duration = Duration::from_secs(400);

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The schemathesis executable, installed from the pins if need be.
fn ensure_schemathesis() -> PathBuf {
    let _one_at_a_time = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let dir = project_root().join("tests/fuzz");
    let venv = dir.join(".venv");
    let pins = dir.join("requirements.txt");
    let installed = venv.join(".installed-requirements.txt");
    let same = std::fs::read(&pins)
        .ok()
        .is_some_and(|p| std::fs::read(&installed).ok() == Some(p));
    if !same {
        let _ = std::fs::remove_dir_all(&venv);
        let run = |program: &Path, args: &[&str]| {
            let status = std::process::Command::new(program)
                .args(args)
                .current_dir(project_root())
                .stdout(Stdio::null())
                .status()
                .unwrap_or_else(|e| {
                    panic!("cannot run {}: {e} (needs python3-venv)", program.display())
                });
            assert!(status.success(), "{} {args:?}: {status}", program.display());
        };
        run(&python(), &["-m", "venv", "tests/fuzz/.venv"]);
        run(
            Path::new("tests/fuzz/.venv/bin/pip"),
            &[
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
                "tests/fuzz/requirements.txt",
            ],
        );
        std::fs::copy(&pins, &installed).expect("record the installed pins");
    }
    venv.join("bin/schemathesis")
}

/// Python 3.12 or later where there is one: under 3.11, Hypothesis's
/// description of a strategy can hit a CPython error in `ast.parse`
/// ("AST constructor recursion depth mismatch") mid-run. Looked for on the
/// PATH, then among pyenv's versions (whose shims answer only for the
/// versions selected).
fn python() -> PathBuf {
    let works = |p: &Path| {
        std::process::Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    for name in ["python3.13", "python3.12"] {
        if works(Path::new(name)) {
            return PathBuf::from(name);
        }
    }
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let mut found: Vec<((u32, u32), PathBuf)> = pyenv
        .and_then(|root| std::fs::read_dir(root.join("versions")).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            let name = dir.file_name()?.to_str()?.to_string();
            let mut parts = name.split('.');
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next()?.parse().ok()?;
            let python = dir.join("bin/python3");
            ((major, minor) >= (3, 12) && works(&python)).then_some(((major, minor), python))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map_or_else(|| PathBuf::from("python3"), |(_, python)| python)
}

/// Both tests of this file share one venv: the first makes it.
static VENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Pinned {
    token: String,
    location: String,
    user: String,
}

async fn pinned(app: &TestApp) -> Pinned {
    app.setup_owner().await;
    let (_, token) = create_with_token(app, "Fuzzing", &ALL_SCOPES, "").await;
    let location = location_of(app, &token).await;
    // Something for the reads to find.
    texts(
        app,
        &format!(
            "INSERT INTO contacts (account_id, first_name, name, email) \
             VALUES ('{location}', 'Fuzz', 'Fuzz', 'fuzz@example.com') RETURNING id::text AS s"
        ),
    );
    let user = texts(app, "SELECT id::text AS s FROM users LIMIT 1").remove(0);
    Pinned {
        token,
        location,
        user,
    }
}

/// The config file: parameters only the database can make valid.
fn config(dir: &Path, p: &Pinned) -> PathBuf {
    let path = dir.join("schemathesis.toml");
    let text = format!(
        "[parameters]\n\
         \"path.locationId\" = \"{location}\"\n\
         \"path.userId\" = \"{user}\"\n\
         \"query.locationId\" = \"{location}\"\n\
         \"query.companyId\" = \"{location}\"\n",
        location = p.location,
        user = p.user,
    );
    std::fs::write(&path, text).expect("write schemathesis.toml");
    path
}

/// A schemathesis run on the app with the pinned values; fails the test
/// with schemathesis's report unless it found nothing.
async fn schemathesis(p: &Pinned, schema: &str, args: &[&str]) {
    let st = ensure_schemathesis();
    let work = tempdir();
    let config = config(&work, p);
    let mut command = tokio::process::Command::new(&st);
    command
        .arg("--config-file")
        .arg(&config)
        .args(["run", schema])
        .args(args)
        .args(["--max-examples", "25"])
        .args(["--workers", "2"])
        .args(["--seed", "1"])
        .args(["--generation-database", "none"])
        .args(["--no-color"])
        .args(["-H", &format!("Authorization: Bearer {}", p.token)])
        .env("PYTHONPATH", project_root().join("tests/fuzz"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PI_FUZZ_USER", &p.user)
        .current_dir(&work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().expect("start schemathesis");
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("schemathesis finished in time")
        .expect("schemathesis output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found differences with {schema} ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        !stdout.contains(&p.token),
        "the token leaked into the output"
    );
    let _ = std::fs::remove_dir_all(&work);
}

async fn fuzzed_app() -> (TestApp, Pinned) {
    let app = spawn_app_with(|s| {
        s.api_rate_limit_burst = 1_000_000;
    })
    .await;
    let p = pinned(&app).await;
    (app, p)
}

#[actix_web::test]
async fn schemathesis_finds_no_difference_between_the_document_and_the_server() {
    let (app, p) = fuzzed_app().await;
    let document = format!("{}/v2/openapi.json", app.address);
    schemathesis(
        &p,
        &document,
        &[
            "--url",
            &app.address,
            "--checks",
            "all",
            // Self-rotation would end the run's own token.
            "--exclude-path",
            "/v2/token/rotate",
        ],
    )
    .await;
}

/// HighLevel's documents describe far more than we serve (tasks, campaigns,
/// workflows...), and declare status codes of their own; what must hold is
/// that every answer to an operation we serve fits the schema HighLevel
/// gives it.
#[actix_web::test]
async fn our_answers_fit_highlevels_own_documents() {
    let (app, p) = fuzzed_app().await;
    let base = format!("{}/v2", app.address);
    let reference = project_root().join("tests/reference/highlevel/apps");
    let checks = "not_a_server_error,response_schema_conformance,content_type_conformance";
    // Only reads on users and locations: HighLevel's writes there are not
    // ours, and some of them declare no path parameters they use.
    let reads_only = [
        "--exclude-method",
        "POST",
        "--exclude-method",
        "PUT",
        "--exclude-method",
        "DELETE",
    ];
    for (file, paths, extra) in [
        (
            "contacts.json",
            r"^/contacts/(\{contactId\}(/tags|/notes(/\{id\})?)?|search(/duplicate)?|upsert)?$",
            &[][..],
        ),
        (
            "users.json",
            r"^/users/(search|\{userId\})?$",
            &reads_only[..],
        ),
        (
            "locations.json",
            r"^/locations/\{locationId\}$",
            &reads_only[..],
        ),
        (
            "locations.json",
            r"^/locations/\{locationId\}/(customFields(/\{id\})?|tags(/\{tagId\})?)$",
            &[][..],
        ),
    ] {
        let schema = reference.join(file);
        let mut args = vec![
            "--url",
            &base,
            "--checks",
            checks,
            "--include-path-regex",
            paths,
        ];
        args.extend_from_slice(extra);
        schemathesis(&p, &schema.to_string_lossy(), &args).await;
    }
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pi-fuzz-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
