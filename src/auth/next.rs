//! Where to go after signing in: the `next` of `/login?next=…`.
//!
//! Only a path on this site is ever followed. Anything that could leave it
//! (`https://…`, `//host`, `/\host`, a scheme such as `javascript:`) or that
//! does not parse is ignored, and the visitor lands on `/settings`: an open
//! redirect on a sign-in page is a phishing tool.

use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, header};

/// Where a sign-in without a usable `next` leads.
pub const DEFAULT: &str = "/settings";
/// Longer than any page of ours with its filters.
const MAX_LEN: usize = 2048;
const INTEGRATIONS: &str = "/settings/private-integrations/";

/// `raw` as a path on this site (path and query, normalised), if it is one.
pub fn same_site_path(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let bytes = raw.as_bytes();
    if raw.len() > MAX_LEN
        || bytes.first() != Some(&b'/')
        || matches!(bytes.get(1), Some(b'/' | b'\\'))
        || raw.chars().any(|c| c == '\\' || c.is_control())
    {
        return None;
    }
    let base = url::Url::parse("http://next.invalid/").ok()?;
    let joined = base.join(raw).ok()?;
    if joined.origin() != base.origin() {
        return None;
    }
    Some(match joined.query() {
        Some(query) => format!("{}?{query}", joined.path()),
        None => joined.path().to_string(),
    })
}

/// Where a sign-in started from `raw` (a form field or query value) leads.
pub fn after_sign_in(raw: &str) -> String {
    same_site_path(raw).unwrap_or_else(|| DEFAULT.to_string())
}

/// `/login`, remembering `next` when there is one.
pub fn sign_in_url(next: Option<&str>) -> String {
    match next {
        Some(next) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("/login?{query}")
        }
        None => "/login".to_string(),
    }
}

/// The `next` query parameter of a request, if it names a page of ours.
pub fn from_query(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "next")
        .and_then(|(_, v)| same_site_path(&v))
}

/// Where an anonymous request should return after signing in: the page it
/// asked for, or, for a form posted after the session ended (which changes
/// nothing), the same-site page the form was on, else the integration the
/// form belonged to.
pub fn for_anonymous(req: &ServiceRequest, is_own_origin: impl Fn(&url::Url) -> bool) -> String {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let asked = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        return same_site_path(&asked).unwrap_or_else(|| DEFAULT.to_string());
    }
    let from_referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .filter(|url| is_own_origin(url))
        .and_then(|url| {
            let path = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            same_site_path(&path)
        });
    from_referer.unwrap_or_else(|| integration_page(req.path()))
}

/// `/settings/private-integrations/{id}` for a path below it, else `/settings`.
fn integration_page(path: &str) -> String {
    path.strip_prefix(INTEGRATIONS)
        .and_then(|rest| rest.split('/').next())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .map_or_else(|| DEFAULT.to_string(), |id| format!("{INTEGRATIONS}{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_site_are_kept() {
        for (raw, kept) in [
            ("/settings", "/settings"),
            (
                "/settings/audit-log?action=token.rotated",
                "/settings/audit-log?action=token.rotated",
            ),
            ("/settings/../settings/api-keys", "/settings/api-keys"),
        ] {
            assert_eq!(same_site_path(raw).as_deref(), Some(kept), "{raw}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_ignored() {
        for raw in [
            "https://evil.example/",
            "//evil.example/settings",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "settings",
            "",
            "/settings\r\nSet-Cookie: x=1",
            "/\tevil",
        ] {
            assert_eq!(same_site_path(raw), None, "{raw:?}");
            assert_eq!(after_sign_in(raw), "/settings", "{raw:?}");
        }
        assert_eq!(same_site_path(&format!("/{}", "a".repeat(MAX_LEN))), None);
    }

    #[test]
    fn the_sign_in_url_carries_next_encoded() {
        assert_eq!(sign_in_url(None), "/login");
        assert_eq!(
            sign_in_url(Some("/settings/audit-log?action=a&x=1")),
            "/login?next=%2Fsettings%2Faudit-log%3Faction%3Da%26x%3D1"
        );
        assert_eq!(
            from_query("next=%2Fsettings%2Faudit-log%3Faction%3Da%26x%3D1").as_deref(),
            Some("/settings/audit-log?action=a&x=1")
        );
        assert_eq!(from_query("next=https%3A%2F%2Fevil.example"), None);
    }

    #[test]
    fn a_form_without_a_referer_returns_to_its_integration() {
        let id = "0b6f1c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            integration_page(&format!("{INTEGRATIONS}{id}/rotate")),
            format!("{INTEGRATIONS}{id}")
        );
        assert_eq!(integration_page("/settings/api-keys/disable"), "/settings");
        assert_eq!(integration_page("/logout"), "/settings");
    }
}
