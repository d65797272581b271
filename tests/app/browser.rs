//! A person in a real (headless) Chromium: signs in, creates an integration,
//! copies its token, rotates it with a grace period and expires the old one
//! through the confirmation dialog. Screenshots of every step land in
//! `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them);
//! without them the test fails rather than passing silently.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long any one condition in the browser may take to come true.
const WAIT: Duration = Duration::from_secs(20);

/// The browser window, as `--window-size` sets it.
const WINDOW: (u32, u32) = (1280, 900);

const SCOPE_A: &str = "contacts.readonly";
const SCOPE_B: &str = "users.readonly";

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/// A chromedriver we started, with Chromium's profile directory; both go
/// away when this is dropped, also when the test panics.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it answers.
    async fn start() -> Driver {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "the browser test needs {CHROMEDRIVER} and {CHROMIUM}: \
             apt-get install -y --no-install-recommends chromium chromium-driver \
             (.ci/run does this)"
        );
        let port = free_port();
        let profile =
            std::env::temp_dir().join(format!("pi-chromium-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("create the Chromium profile directory");
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that Drop can take Chromium down with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("start chromedriver");
        let driver = Driver {
            child,
            port,
            profile,
        };
        driver.wait_until_ready().await;
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_ready(&self) {
        let http = reqwest::Client::new();
        let status = format!("{}/status", self.url());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(resp) = http.get(&status).send().await
                && let Ok(body) = resp.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {status} within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new headless Chromium session.
    async fn open(&self) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    format!("--user-data-dir={}", self.profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are an object")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url())
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session through chromedriver: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium it started, in case
        // the session was not closed because the test failed half-way.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Screenshots of one test run, numbered as the steps go.
struct Screenshots {
    dir: PathBuf,
    taken: Vec<PathBuf>,
}

impl Screenshots {
    fn new() -> Screenshots {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("create target/screenshots");
        Screenshots {
            dir,
            taken: Vec::new(),
        }
    }

    /// Saves a PNG of the whole page (not just the viewport) as `name`:
    /// the window is made as tall as the page for the shot, so fixed
    /// layers such as a modal's backdrop cover all of it, as they would on
    /// a screen that tall.
    async fn take(&mut self, client: &Client, name: &str) {
        let sizes = client
            .execute(
                "return [document.documentElement.scrollHeight, \
                         window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await
            .expect("measure the page");
        let page_height = sizes[0].as_u64().expect("page height");
        let chrome_height = sizes[1].as_u64().expect("browser chrome height");
        let (width, height) = WINDOW;
        let full = u32::try_from(page_height + chrome_height).expect("page height fits u32");
        if full > height {
            client
                .set_window_size(width, full)
                .await
                .expect("make the window as tall as the page");
        }
        let png = client.screenshot().await.expect("take a screenshot");
        if full > height {
            client
                .set_window_size(width, height)
                .await
                .expect("restore the window size");
        }
        let path = self.dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self.taken.push(path);
    }
}

/// Waits until `check` yields a value, or fails with `what`.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn element(client: &Client, css: &str) -> Element {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(found) => found,
        Err(e) => panic!("no element {css} on {}: {e}", page_url(client).await),
    }
}

async fn page_url(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|e| format!("(unknown page: {e})"))
}

/// Waits until the browser shows `path` (query ignored) on the app.
async fn wait_for_path(client: &Client, path: &str) -> url::Url {
    eventually(&format!("the browser to reach {path}"), || async {
        let url = client.current_url().await.ok()?;
        (url.path() == path).then_some(url)
    })
    .await
}

/// Waits until the browser shows a path matching `pred`.
async fn wait_for_path_matching(
    client: &Client,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> url::Url {
    eventually(what, || async {
        let url = client.current_url().await.ok()?;
        pred(url.path()).then_some(url)
    })
    .await
}

/// The first `<button>` or `<summary>` (a confirmation's disclosure) whose
/// text is exactly `label`, inside `scope` if given, in document order.
async fn button_labelled(client: &Client, scope: Option<&Element>, label: &str) -> Element {
    let buttons = match scope {
        Some(parent) => parent.find_all(Locator::Css("button, summary")).await,
        None => client.find_all(Locator::Css("button, summary")).await,
    }
    .expect("list buttons");
    for button in buttons {
        if button.text().await.expect("button text").trim() == label {
            return button;
        }
    }
    panic!("no button labelled {label:?} on {}", page_url(client).await);
}

fn looks_like_a_token(token: &str) -> bool {
    token.len() == 53
        && token.starts_with("pit_")
        && token[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Status of `GET /v2/token` with `token`, and its JSON body when 200.
async fn introspect(app: &TestApp, token: &str) -> (StatusCode, Option<Value>) {
    let resp = reqwest::Client::new()
        .get(app.url("/v2/token"))
        .bearer_auth(token)
        .send()
        .await
        .expect("call /v2/token");
    let status = resp.status();
    let body = if status == StatusCode::OK {
        Some(resp.json::<Value>().await.expect("/v2/token answers JSON"))
    } else {
        None
    };
    (status, body)
}

/// Reads the token off the reveal page the browser is on.
async fn revealed_token(client: &Client) -> String {
    let token = element(client, "code#access-token")
        .await
        .text()
        .await
        .expect("token text")
        .trim()
        .to_string();
    assert!(
        looks_like_a_token(&token),
        "the reveal page shows {token:?}, not a pit_ token"
    );
    token
}

/// The `li.token-item`s on the detail page with the text of their masks.
async fn token_items(client: &Client) -> Vec<(Element, String)> {
    let items = client
        .find_all(Locator::Css("li.token-item"))
        .await
        .expect("list token items");
    let mut out = Vec::new();
    for item in items {
        let mask = item
            .find(Locator::Css("code.token-mask"))
            .await
            .expect("each token item shows its mask")
            .text()
            .await
            .expect("mask text");
        out.push((item, mask.trim().to_string()));
    }
    out
}

fn last_four(token: &str) -> &str {
    &token[token.len() - 4..]
}

// ---------------------------------------------------------------------------
// The flow
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_person_creates_reveals_rotates_and_expires_a_token_in_a_browser() {
    let started = Instant::now();
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let driver = Driver::start().await;
    let client = driver.open().await;
    let mut shots = Screenshots::new();

    // 1. Sign in.
    client.goto(&app.url("/login")).await.expect("open /login");
    element(&client, "input[name=email]")
        .await
        .send_keys(&owner.email)
        .await
        .expect("type the email");
    element(&client, "input[name=password]")
        .await
        .send_keys(&owner.password)
        .await
        .expect("type the password");
    shots.take(&client, "01-login.png").await;
    button_labelled(&client, None, "Sign in")
        .await
        .click()
        .await
        .expect("click Sign in");
    wait_for_path(&client, "/settings").await;

    // 2. The empty list leads to the form.
    client
        .goto(&app.url("/settings/private-integrations"))
        .await
        .expect("open the list");
    let empty = element(&client, ".empty-state").await;
    assert!(
        empty
            .text()
            .await
            .expect("empty state text")
            .contains("No private integrations yet"),
        "the empty list does not say so"
    );
    shots.take(&client, "02-empty-list.png").await;
    empty
        .find(Locator::Css(
            r#"a[href="/settings/private-integrations/new"]"#,
        ))
        .await
        .expect("the empty state links to the form")
        .click()
        .await
        .expect("click the create link");
    wait_for_path(&client, "/settings/private-integrations/new").await;

    // 3. Fill in the form: name, two scopes, a 30-day lifetime.
    element(&client, "input[name=name]")
        .await
        .send_keys("Zapier sync")
        .await
        .expect("type the name");
    for scope in [SCOPE_A, SCOPE_B] {
        let checkbox = element(&client, &format!(r#"input[name=scopes][value="{scope}"]"#)).await;
        checkbox.click().await.expect("tick a scope");
        assert!(
            checkbox.is_selected().await.expect("checkbox state"),
            "clicking the {scope} checkbox did not tick it"
        );
    }
    element(&client, "select[name=lifetime_days]")
        .await
        .select_by_value("30")
        .await
        .expect("choose a 30-day lifetime");
    shots.take(&client, "03-new-form.png").await;
    button_labelled(&client, None, "Generate Access Token")
        .await
        .click()
        .await
        .expect("click Generate Access Token");

    // 4. The reveal page: the token, a working copy button, a working token.
    let reveal = wait_for_path_matching(&client, "the reveal page", |p| {
        p.starts_with("/settings/private-integrations/") && p.ends_with("/token")
    })
    .await;
    let detail_path = reveal
        .path()
        .strip_suffix("/token")
        .expect("reveal path ends in /token")
        .to_string();
    let first_token = revealed_token(&client).await;
    let copy = element(&client, "#copy-token").await;
    eventually("the copy button to be shown by app.js", || async {
        copy.is_displayed().await.ok()?.then_some(())
    })
    .await;
    copy.click().await.expect("click Copy");
    eventually("the copy button to say Copied", || async {
        (copy.text().await.ok()?.trim() == "Copied").then_some(())
    })
    .await;
    shots.take(&client, "04-reveal.png").await;

    let (status, body) = introspect(&app, &first_token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new token is refused by /v2/token"
    );
    let body = body.expect("a JSON body");
    let scopes: Vec<&str> = body["scopes"]
        .as_array()
        .unwrap_or_else(|| panic!("no scopes array in {body}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&SCOPE_A) && scopes.contains(&SCOPE_B),
        "/v2/token reports scopes {scopes:?}, expected {SCOPE_A} and {SCOPE_B}"
    );

    // 5. Rotate and expire later, keeping the old token for 3 days.
    let done = element(
        &client,
        r#"a.button[href^="/settings/private-integrations/"]"#,
    )
    .await;
    assert_eq!(
        done.text().await.expect("link text").trim(),
        "I have copied the token"
    );
    done.click().await.expect("click I have copied the token");
    wait_for_path(&client, &detail_path).await;
    shots.take(&client, "05-detail.png").await;
    let later_form = element(
        &client,
        "form.rotate-form:has(input[name=expire_old][value=later])",
    )
    .await;
    later_form
        .find(Locator::Css("select[name=grace_days]"))
        .await
        .expect("the grace period select")
        .select_by_value("3")
        .await
        .expect("choose 3 days");
    button_labelled(&client, Some(&later_form), "Rotate and expire later")
        .await
        .click()
        .await
        .expect("click Rotate and expire later");
    wait_for_path(&client, &format!("{detail_path}/token")).await;
    let second_token = revealed_token(&client).await;
    assert_ne!(second_token, first_token, "rotation showed the same token");
    for (which, token) in [("old", &first_token), ("new", &second_token)] {
        let (status, _) = introspect(&app, token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "during the grace period the {which} token is refused"
        );
    }

    // 6. Expire the old token through the confirmation dialog.
    client
        .goto(&app.url(&detail_path))
        .await
        .expect("open the detail page");
    element(&client, "li.token-item").await;
    shots.take(&client, "06-after-rotate-later.png").await;
    let items = token_items(&client).await;
    let masks: Vec<String> = items.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(items.len(), 2, "expected two token items, got {masks:?}");
    for (_, mask) in &items {
        assert!(
            mask.starts_with("pit_…") && mask.chars().count() == 9,
            "a token is shown as {mask:?}, not pit_… and four characters"
        );
    }
    let mut old_items = Vec::new();
    for (item, mask) in items {
        let current = item
            .attr("class")
            .await
            .expect("class attribute")
            .unwrap_or_default()
            .split_whitespace()
            .any(|c| c == "token-current");
        if mask.ends_with(last_four(&first_token)) && !current {
            old_items.push(item);
        }
    }
    assert_eq!(
        old_items.len(),
        1,
        "expected one non-current item ending in {} among {masks:?}",
        last_four(&first_token)
    );
    let old_item = &old_items[0];
    button_labelled(&client, Some(old_item), "Expire Now")
        .await
        .click()
        .await
        .expect("click Expire Now");
    let dialog = element(&client, "dialog#confirm-dialog").await;
    eventually("the confirmation dialog to open", || async {
        let open = dialog.attr("open").await.ok()?.is_some();
        let shown = dialog.is_displayed().await.ok()?;
        (open && shown).then_some(())
    })
    .await;
    let message = element(&client, "#confirm-message")
        .await
        .text()
        .await
        .expect("dialog message");
    assert!(
        message.contains(last_four(&first_token)),
        "the dialog does not name the token it expires: {message:?}"
    );
    shots.take(&client, "07-expire-dialog.png").await;
    element(&client, "#confirm-accept")
        .await
        .click()
        .await
        .expect("confirm Expire Now");
    // The POST redirects back to the same path, so wait for the old
    // document to go away before looking at the new one.
    eventually("the page to reload after Expire Now", || async {
        match old_item.is_displayed().await {
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                Some(())
            }
            _ => None,
        }
    })
    .await;
    wait_for_path(&client, &detail_path).await;
    let remaining = eventually("one token item after Expire Now", || async {
        let items = token_items(&client).await;
        (items.len() == 1).then_some(items)
    })
    .await;
    assert!(
        remaining[0].1.ends_with(last_four(&second_token)),
        "the remaining token is {:?}, not the new one",
        remaining[0].1
    );
    shots.take(&client, "08-after-expire.png").await;
    let (status, _) = introspect(&app, &first_token).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the expired old token still works"
    );
    let (status, _) = introspect(&app, &second_token).await;
    assert_eq!(status, StatusCode::OK, "the new token stopped working");

    client.close().await.expect("end the browser session");
    drop(driver);
    eprintln!(
        "browser flow took {:.1?}; screenshots: {}",
        started.elapsed(),
        shots
            .taken
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
