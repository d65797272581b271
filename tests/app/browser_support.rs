//! Driving a real (headless) Chromium for the browser test: chromedriver and
//! its profile, numbered screenshots, and waiting for what a person would see.
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).

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

use crate::helpers::TestApp;
use crate::integration_support::{create_with_token, integration_path, rotate};
use crate::webhook_support::endpoint_with_failed_delivery;

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// How long any one condition in the browser may take to come true.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The browser window, as `--window-size` sets it.
pub(crate) const WINDOW: (u32, u32) = (1280, 900);

pub(crate) const SCOPE_A: &str = "contacts.readonly";
pub(crate) const SCOPE_B: &str = "users.readonly";

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/// A chromedriver we started, with Chromium's profile directory; both go
/// away when this is dropped, also when the test panics.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it answers.
    pub(crate) async fn start() -> Driver {
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

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) async fn wait_until_ready(&self) {
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
    pub(crate) async fn open(&self) -> Client {
        self.open_with(WINDOW, true).await
    }

    /// A new headless Chromium session with a `window` of that size, with
    /// or without JavaScript.
    pub(crate) async fn open_with(&self, window: (u32, u32), javascript: bool) -> Client {
        // The content setting leaves WebDriver's own scripts working, so a
        // test can still measure a page that runs none of its own.
        let prefs = if javascript {
            json!({})
        } else {
            json!({ "profile.managed_default_content_settings.javascript": 2 })
        };
        let mut options = json!({
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
                    format!("--window-size={},{}", window.0, window.1),
                    format!("--user-data-dir={}", self.profile.display()),
                ],
                "prefs": prefs,
        });
        // Chromium keeps a desktop window at least 500 px wide; a phone's
        // screen is emulated instead, with its viewport meta tag honoured.
        if window.0 < 500 {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": window.0, "height": window.1, "pixelRatio": 3 },
            });
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
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

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Screenshots of one test run, numbered as the steps go.
pub(crate) struct Screenshots {
    dir: PathBuf,
    pub(crate) taken: Vec<PathBuf>,
}

impl Screenshots {
    pub(crate) fn new() -> Screenshots {
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
    pub(crate) async fn take(&mut self, client: &Client, name: &str) {
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
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
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

pub(crate) async fn element(client: &Client, css: &str) -> Element {
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

pub(crate) async fn page_url(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|e| format!("(unknown page: {e})"))
}

/// Waits until the browser shows `path` (query ignored) on the app.
pub(crate) async fn wait_for_path(client: &Client, path: &str) -> url::Url {
    eventually(&format!("the browser to reach {path}"), || async {
        let url = client.current_url().await.ok()?;
        (url.path() == path).then_some(url)
    })
    .await
}

/// Waits until the browser shows a path matching `pred`.
pub(crate) async fn wait_for_path_matching(
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
pub(crate) async fn button_labelled(
    client: &Client,
    scope: Option<&Element>,
    label: &str,
) -> Element {
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

/// Signs in through the login form as a person would.
pub(crate) async fn sign_in(client: &Client, app: &TestApp, email: &str, password: &str) {
    client.goto(&app.url("/login")).await.expect("open /login");
    element(client, "input[name=email]")
        .await
        .send_keys(email)
        .await
        .expect("type the email");
    element(client, "input[name=password]")
        .await
        .send_keys(password)
        .await
        .expect("type the password");
    button_labelled(client, None, "Sign in")
        .await
        .click()
        .await
        .expect("click Sign in");
    wait_for_path(client, "/settings").await;
}

pub(crate) fn looks_like_a_token(token: &str) -> bool {
    token.len() == 53
        && token.starts_with("pit_")
        && token[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Status of `GET /v2/token` with `token`, and its JSON body when 200.
pub(crate) async fn introspect(app: &TestApp, token: &str) -> (StatusCode, Option<Value>) {
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
pub(crate) async fn revealed_token(client: &Client) -> String {
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
pub(crate) async fn token_items(client: &Client) -> Vec<(Element, String)> {
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

pub(crate) fn last_four(token: &str) -> &str {
    &token[token.len() - 4..]
}

// ---------------------------------------------------------------------------
// The flow
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Every page
// ---------------------------------------------------------------------------

/// Sets up what makes every page show its parts: an integration mid
/// rotation with a webhook endpoint and a failed delivery, a second user and
/// a legacy key. Returns `(integration id, endpoint id)`.
pub(crate) async fn populate(app: &TestApp) -> (String, String) {
    let (id, token) = create_with_token(app, "Zapier sync", &[SCOPE_A, SCOPE_B], "30").await;
    rotate(app, &id, &[("expire_old", "later"), ("grace_days", "3")]).await;
    introspect(app, &token).await;
    // A description long enough to need clamping on the list.
    let long = "Copies every new lead into the CRM, tags it by source, and writes a note \
                with the campaign it came from. "
        .repeat(4);
    crate::integration_support::post_create(app, "Long notes", &long, &[SCOPE_A], "").await;
    let (endpoint, _) = endpoint_with_failed_delivery(app, &id).await;
    app.submit(
        "/settings/users",
        "/settings/users",
        &[
            ("email", "viewer@acme.test"),
            ("role", "viewer"),
            ("password", "a long enough password"),
        ],
    )
    .await;
    app.submit("/settings/api-keys", "/settings/api-keys/generate", &[])
        .await;
    app.get("/settings/api-keys/key").await;
    (id, endpoint)
}

/// Every signed-in page of the panel but the one-time reveal, as
/// `(name, path)`, given what [`populate`] made.
pub(crate) fn panel_pages(id: &str, endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("settings", "/settings".to_string()),
        ("list", "/settings/private-integrations".to_string()),
        ("new", "/settings/private-integrations/new".to_string()),
        ("detail", integration_path(id, "")),
        ("edit", integration_path(id, "/edit")),
        ("webhooks", integration_path(id, "/webhooks")),
        (
            "deliveries",
            integration_path(id, &format!("/webhooks/{endpoint}/deliveries")),
        ),
        ("requests", integration_path(id, "/requests")),
        ("audit-log", "/settings/audit-log".to_string()),
        ("users", "/settings/users".to_string()),
        ("account", "/settings/account".to_string()),
        ("profile", "/settings/profile".to_string()),
        ("api-keys", "/settings/api-keys".to_string()),
        ("docs-signed-in", "/docs/api".to_string()),
        ("not-found", "/settings/no-such-page".to_string()),
    ]
}
