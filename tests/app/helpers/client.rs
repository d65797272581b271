//! A cookie-keeping HTTP client that behaves like a browser: fetch a form,
//! take its CSRF token, post it; and what a test reads off a response.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use reqwest::header::HeaderMap;

use super::SESSION_COOKIE;

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
