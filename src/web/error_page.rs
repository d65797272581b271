//! The error pages of the policy in `errors.rs`: each `WebError` as a page
//! in the site's layout (or, for a sign-in, a redirect).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::CurrentUser;
use crate::auth::session_store;
use crate::errors::{RETRY_AFTER_SECONDS, WebError};
use crate::web::layout::{Layout, Section};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: &'static str,
}

impl ErrorPage {
    pub fn new(status: StatusCode) -> Self {
        let (heading, message) = match status.as_u16() {
            403 => (
                "This request was refused",
                "The form was out of date or sent from another site. Go back, reload the page and try again.",
            ),
            400 => (
                "This form could not be read",
                "The form arrived with a field repeated or garbled. Go back, reload the page and try again.",
            ),
            404 => (
                "Page not found",
                "There is nothing here, or you do not have access to it.",
            ),
            413 => (
                "This form is too large",
                "The form sent more than any form here can hold. Go back and shorten what you entered.",
            ),
            503 => (
                "Temporarily unavailable",
                "The server cannot reach its database right now. Please try again in a moment.",
            ),
            _ => (
                "Something went wrong",
                "The server could not complete the request. Nothing secret was lost; please try again in a moment.",
            ),
        };
        ErrorPage {
            layout: Layout::bare(heading),
            status: status.as_u16(),
            heading,
            message,
        }
    }

    /// A change the user's role does not allow, rather than a bad form.
    pub fn not_allowed() -> Self {
        ErrorPage {
            heading: "Not allowed",
            message: "Your role in this account does not allow this. An owner can change roles on the Users page.",
            ..ErrorPage::new(StatusCode::FORBIDDEN)
        }
    }

    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = Layout {
            title: self.layout.title,
            ..layout
        };
        self
    }

    pub fn response(&self, status: StatusCode) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        // An error raised by a middleware (the session layer, the sign-in
        // gate) becomes its page outside the headers middleware, so the
        // page carries them itself.
        for &header in crate::web::SECURITY_HEADERS {
            response.insert_header(header);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
        }
        match self.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(self.heading),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) | WebError::CsrfRejected => StatusCode::FORBIDDEN,
            WebError::BadForm(_) => StatusCode::BAD_REQUEST,
            WebError::FormTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::SignInRequired => StatusCode::SEE_OTHER,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::SignInRequired => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish(),
            WebError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                ErrorPage::new(StatusCode::SERVICE_UNAVAILABLE)
                    .response(StatusCode::SERVICE_UNAVAILABLE)
            }
            WebError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                ErrorPage::new(StatusCode::INTERNAL_SERVER_ERROR)
                    .response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            other => {
                let status = other.status_code();
                ErrorPage::new(status).response(status)
            }
        }
    }
}

/// Errors raised by handlers and their extractors (403, 404, 500) keep the
/// signed-in layout: `WebError` renders without the request, so the page is
/// made again here, where the request and its user are at hand.
pub async fn in_layout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    let raised = res
        .response()
        .error()
        .and_then(|e| e.as_error::<WebError>())
        .map(|e| match e {
            WebError::Forbidden(_) => Some(ErrorPage::not_allowed()),
            WebError::NotFound | WebError::Internal(_) => Some(ErrorPage::new(res.status())),
            _ => None,
        });
    let signed_in = res.request().extensions().get::<CurrentUser>().is_some();
    // A path a resource matches for another method only: actix's own bare 404.
    let bare_not_found = res.status() == StatusCode::NOT_FOUND
        && res.response().error().is_none()
        && !res.headers().contains_key(header::CONTENT_TYPE);
    let raised = match raised {
        None if bare_not_found => Some(Some(ErrorPage::new(StatusCode::NOT_FOUND))),
        other => other,
    };
    match raised {
        Some(Some(page)) if signed_in => {
            let status = res.status();
            let (req, _) = res.into_parts();
            let title = page.heading;
            let page = page.with_layout(Layout::new(&req, title, Section::None));
            Ok(ServiceResponse::new(req, page.response(status)))
        }
        _ => Ok(res.map_into_boxed_body()),
    }
}

/// Wraps the session middleware: a session the store could not load or
/// save for want of the database is the outage's 503 page, not the bare 500
/// actix-session makes of every failure of its store.
pub async fn session_outages(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // A request that may change something reads its session from the
    // database, never from memory: a sign-out, demotion or removal made
    // through another instance a moment ago must hold for it, whether or
    // not the news has arrived here yet.
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    match session_store::watching_outages(changes, next.call(req)).await {
        (Err(e), true) if e.as_error::<WebError>().is_none() => {
            Err(WebError::Unavailable(anyhow::anyhow!("session store: {e}")).into())
        }
        (result, _) => result,
    }
}
