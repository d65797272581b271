//! Every page of the panel, signed in and out, passes two outside checkers:
//! axe-core (no serious or critical accessibility violation, run inside
//! Chromium on the rendered page) and the Nu HTML checker (no error in the
//! HTML the server sends).
//!
//! Both are pinned in `tests/quality/package.json` and installed from its
//! lock file with npm on first use (into `tests/quality/node_modules`). The
//! Nu checker needs Java (`.ci/run` installs `default-jre-headless` when
//! `java` is missing); without it the test fails rather than passing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fantoccini::Client;
use serde_json::Value;

use crate::browser_support::*;
use crate::helpers::{Browser, OWNER_EMAIL, OWNER_PASSWORD, excerpt, spawn_app};
use crate::integration_support::post_create;

fn quality_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quality")
}

/// Installs the pinned checkers unless the last install used the same lock.
fn ensure_checkers() -> PathBuf {
    let dir = quality_dir();
    let modules = dir.join("node_modules");
    let lock = dir.join("package-lock.json");
    let installed = modules.join(".installed-package-lock.json");
    let same = std::fs::read(&lock)
        .ok()
        .is_some_and(|l| std::fs::read(&installed).ok() == Some(l));
    if !same {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| {
                panic!("the page-quality test installs axe-core and vnu-jar with npm: {e}")
            });
        assert!(status.success(), "npm ci in tests/quality failed: {status}");
        std::fs::copy(&lock, &installed).expect("record the installed lock file");
    }
    modules
}

fn java_version() -> Result<(), String> {
    match Command::new("java").arg("-version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("`java -version` failed: {}", out.status)),
        Err(e) => Err(e.to_string()),
    }
}

/// A page to check: its name (for the saved file and messages) and path.
struct Visit {
    name: &'static str,
    path: String,
}

fn visit(name: &'static str, path: impl Into<String>) -> Visit {
    Visit {
        name,
        path: path.into(),
    }
}

/// Runs axe-core on the page the browser shows; the serious and critical
/// violations, one line each.
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                   + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let mut lines = strings(&found);
    lines.extend(heading_skips(client).await);
    lines
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Headings that skip a level (an h3 straight under an h1) or a page that
/// does not start with its h1; the confirmation dialog is a page of its own.
async fn heading_skips(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            "const out = []; let prev = 0;
             for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
               if (h.closest('dialog')) continue;
               const level = Number(h.tagName[1]);
               if (prev === 0 ? level !== 1 : level > prev + 1) {
                 out.push('heading-order: ' + h.tagName + ' ['  + h.textContent.trim()
                   + '] follows ' + (prev ? 'H' + prev : 'the start of the page'));
               }
               prev = level;
             }
             return out;",
            vec![],
        )
        .await
        .expect("list the headings");
    strings(&found)
}

/// What the checks found, page by page.
struct Findings {
    dir: PathBuf,
    axe: Vec<String>,
    axe_source: String,
}

impl Findings {
    /// Runs axe on `v` in the browser and saves the HTML `raw` sends for it.
    async fn check(&mut self, client: &Client, raw: &Browser, v: &Visit) {
        client.goto(&raw.url(&v.path)).await.expect("open the page");
        for line in axe_violations(client, &self.axe_source).await {
            self.axe.push(format!("{} ({}): {line}", v.name, v.path));
        }
        let html = raw.get(&v.path).await.body;
        self.save(v.name, &html);
    }

    fn save(&self, name: &str, html: &str) {
        std::fs::write(self.dir.join(format!("{name}.html")), html)
            .unwrap_or_else(|e| panic!("save {name}.html: {e}"));
    }
}

#[actix_web::test]
async fn every_page_passes_axe_and_the_nu_html_checker() {
    if let Err(e) = java_version() {
        panic!(
            "the page-quality test runs the Nu HTML checker with Java, and `java` is missing \
             ({e}): apt-get install -y default-jre-headless (.ci/run does this)"
        );
    }
    let modules = ensure_checkers();
    let vnu = modules.join("vnu-jar/build/dist/vnu.jar");
    let axe_source =
        std::fs::read_to_string(modules.join("axe-core/axe.min.js")).expect("read axe.min.js");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/page-quality");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create target/page-quality");
    let mut findings = Findings {
        dir: dir.clone(),
        axe: Vec::new(),
        axe_source,
    };

    let app = spawn_app().await;
    let driver = Driver::start().await;
    let client = driver.open().await;

    // Signed out: the first-run form, then (once there is an owner) the
    // sign-in form and the public API reference.
    let visitor = app.new_client();
    findings
        .check(&client, &visitor, &visit("setup", "/setup"))
        .await;
    app.setup_owner().await;
    findings
        .check(&client, &visitor, &visit("login", "/login"))
        .await;
    findings
        .check(&client, &visitor, &visit("docs-signed-out", "/docs/api"))
        .await;

    let (id, endpoint) = populate(&app).await;
    sign_in(&client, &app, OWNER_EMAIL, OWNER_PASSWORD).await;

    let pages: Vec<Visit> = panel_pages(&id, &endpoint)
        .into_iter()
        .map(|(name, path)| visit(name, path))
        .collect();
    for page in &pages {
        findings.check(&client, &app, page).await;
    }

    // The reveal page shows once: the browser sees its own new token, and
    // the saved HTML is that of another reveal, fetched as sent.
    client
        .goto(&app.url("/settings/private-integrations/new"))
        .await
        .expect("open the form");
    element(&client, "input[name=name]")
        .await
        .send_keys("Reveal check")
        .await
        .expect("type the name");
    element(
        &client,
        &format!(r#"input[name=scopes][value="{SCOPE_A}"]"#),
    )
    .await
    .click()
    .await
    .expect("tick a scope");
    button_labelled(&client, None, "Generate Access Token")
        .await
        .click()
        .await
        .expect("submit the form");
    wait_for_path_matching(&client, "the reveal page", |p| p.ends_with("/token")).await;
    for line in axe_violations(&client, &findings.axe_source).await {
        findings.axe.push(format!("reveal: {line}"));
    }
    let created = post_create(&app, "Raw reveal", "", &[SCOPE_A], "").await;
    let location = created.location().expect("a reveal page");
    let reveal = app.get(&location).await;
    assert!(
        reveal.body.contains("id=\"access-token\""),
        "{}",
        excerpt(&reveal.body)
    );
    findings.save("reveal", &reveal.body);

    client.close().await.expect("end the browser session");
    drop(driver);

    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("list the saved pages")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let out = Command::new("java")
        .arg("-jar")
        .arg(&vnu)
        .args(["--errors-only", "--format", "text"])
        .args(&files)
        .output()
        .expect("run the Nu HTML checker");
    let nu = if out.status.success() {
        String::new()
    } else {
        format!(
            "the Nu HTML checker found errors in {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert!(
        findings.axe.is_empty() && nu.is_empty(),
        "axe-core found serious or critical violations:\n{}\n\n{nu}",
        findings.axe.join("\n")
    );
    assert_eq!(files.len(), pages.len() + 4, "every page was saved");
}
