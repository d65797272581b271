//! SPEC §6 navigation: the public paths answer before setup and without a
//! session; every other page sends a visitor to sign in and back; errors
//! raised by handlers keep the signed-in layout.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::viewers::signed_in_viewer;

#[actix_web::test]
async fn public_paths_skip_the_setup_and_sign_in_redirects() {
    let app = spawn_app().await;
    for round in ["before setup", "after setup"] {
        for (path, status) in [
            ("/healthz", StatusCode::OK),
            ("/readyz", StatusCode::OK),
            ("/docs/api", StatusCode::OK),
            ("/static/css/app.css", StatusCode::OK),
            ("/v2/openapi.json", StatusCode::OK),
            ("/v2/token", StatusCode::UNAUTHORIZED),
            ("/v1/contacts/", StatusCode::UNAUTHORIZED),
        ] {
            let reply = app.get(path).await;
            assert_eq!(reply.status, status, "{round}: GET {path}");
            assert!(reply.location().is_none(), "{round}: GET {path} redirected");
        }
        if round == "before setup" {
            app.setup_owner().await;
        }
    }
}

#[actix_web::test]
async fn a_visitor_is_sent_to_sign_in_with_the_page_asked_for() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let visitor = app.new_client();
    for (path, next) in [
        ("/settings", "/settings"),
        ("/settings/audit-log", "/settings/audit-log"),
        (
            "/settings/private-integrations?page=2",
            "/settings/private-integrations?page=2",
        ),
    ] {
        let reply = visitor.get(path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "GET {path}");
        let location = reply.location().unwrap_or_default();
        let query = location
            .strip_prefix("/login?next=")
            .unwrap_or_else(|| panic!("GET {path} went to {location}"));
        let decoded: String = url_decode(query);
        assert_eq!(decoded, next, "GET {path}");
    }
}

#[actix_web::test]
async fn a_refusal_and_an_unknown_page_keep_the_signed_in_layout() {
    let app = spawn_app().await;
    let viewer = signed_in_viewer(&app).await;
    for (path, status) in [
        ("/settings/private-integrations/new", StatusCode::FORBIDDEN),
        ("/settings/users/no-such-page", StatusCode::NOT_FOUND),
    ] {
        let reply = viewer.get(path).await;
        assert_eq!(reply.status, status, "GET {path}");
        assert!(
            reply.body.contains(r#"class="sidebar""#),
            "GET {path}: the error page lost the layout"
        );
    }
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}
