//! Token actions on an integration (generate, rotate, cancel rotation,
//! expire) and the one-time reveal page.
//!
//! The plaintext reaches the reveal page through `reveal.rs`; the page
//! claims its one showing in the database, so a second visit finds nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::actions::{self, ActionError, Issued, RotateMode};
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::errors::WebError;
use crate::models::{AccessToken, Integration};
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::forms::HtmlForm;
use crate::web::integrations::{BASE, detail_url};
use crate::web::layout::{Layout, Section};
use crate::web::reveal;
use crate::web::{TypedSessionExt, fmt_time, render, see_other};
use diesel::OptionalExtension;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/{id}/token", web::get().to(reveal))
        .route("/{id}/rotate", web::post().to(rotate))
        .route("/{id}/generate", web::post().to(generate))
        .route("/{id}/cancel-rotation", web::post().to(cancel_rotation))
        .route("/{id}/tokens/{token_id}/expire", web::post().to(expire));
}

fn reveal_path(id: Uuid) -> String {
    format!("{BASE}/{id}/token")
}

/// A token action's outcome: a conflict becomes a flash and a 303 back to the
/// detail page; an issued token goes to its reveal page; otherwise `done`
/// is flashed on the detail page.
fn settle<T>(
    req: &HttpRequest,
    id: Uuid,
    result: Result<T, ActionError>,
    next: impl FnOnce(T) -> Result<HttpResponse, WebError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(v) => next(v),
        Err(ActionError::Conflict(msg)) => {
            req.flash(msg);
            Ok(see_other(&detail_url(id)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The flash-and-return ending of an action that issues no token.
fn back_with(req: &HttpRequest, id: Uuid, message: &str) -> Result<HttpResponse, WebError> {
    req.flash(message);
    Ok(see_other(&detail_url(id)))
}

// ---------------------------------------------------------------- views

pub struct TokenView {
    pub id: Uuid,
    pub display: String,
    pub status: String,
    pub status_class: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub last_used_ip: String,
    pub is_current: bool,
    pub in_grace: bool,
}

/// Status words for a live token: "Active", or "Expires in N days" when it
/// has a fixed end (a warning within a week).
pub fn live_status(t: &AccessToken, now: DateTime<Utc>) -> (String, &'static str) {
    match t.ends_at() {
        None => ("Active".to_string(), "badge badge-success"),
        Some(end) => {
            let days = crate::web::days_until(end, now);
            let words = if days == 1 {
                "Expires in 1 day".to_string()
            } else {
                format!("Expires in {days} days")
            };
            let class = if days <= 7 {
                "badge badge-warning"
            } else {
                "badge badge-success"
            };
            (words, class)
        }
    }
}

impl TokenView {
    pub fn new(
        t: &AccessToken,
        is_current: bool,
        inactivity: Option<i32>,
        now: DateTime<Utc>,
    ) -> Self {
        let (status, status_class) = live_status(t, now);
        let expires = match (t.ends_at(), t.inactive_at(inactivity)) {
            (Some(end), _) => fmt_time(end),
            (None, Some(idle)) => format!("If unused until {}", fmt_time(idle)),
            (None, None) => "Never".to_string(),
        };
        TokenView {
            id: t.id,
            display: t.masked(),
            status,
            status_class,
            created: fmt_time(t.created_at),
            expires,
            last_used: t.last_used_at.map_or_else(|| "Never".to_string(), fmt_time),
            last_used_ip: t.last_used_ip.clone().unwrap_or_default(),
            is_current,
            in_grace: t.in_grace(),
        }
    }
}

// ---------------------------------------------------------------- reveal

/// 303 to the reveal page, carrying the plaintext in the reveal cookie.
pub fn reveal_redirect(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    issued: &Issued,
) -> Result<HttpResponse, WebError> {
    let sealed = reveal::Sealed {
        user: current.user.id,
        id: issued.token.id,
        plain: issued.plain.expose().to_string(),
    };
    reveal::redirect(state, &reveal_path(id), &sealed)
}

#[derive(Template)]
#[template(path = "integrations/token.html")]
struct RevealPage {
    layout: Layout,
    id: Uuid,
    name: String,
    token: Option<String>,
    expires: String,
    curl: String,
}

async fn reveal(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let account_id = current.account.id;
    let inactivity = current.account.inactivity_expiry_days;
    let payload = reveal::open(&req, &state, current.user.id);
    let (integration, token) = db::run(&state.pool, move |conn| {
        let integration = Integration::find_for_account(conn, account_id, id)?;
        let token = match &payload {
            Some(p) => AccessToken::find_for_integration(conn, id, p.id).optional()?,
            None => None,
        };
        let live = token.filter(|t| t.is_live(Utc::now(), inactivity));
        let shown = match (live, payload) {
            (Some(t), Some(p)) if AccessToken::claim_reveal(conn, t.id)? => Some((t, p.plain)),
            _ => None,
        };
        Ok::<_, DbError>((integration, shown))
    })
    .await?;

    let public_url = state.settings.public_url();
    let (token_text, expires, curl) = match &token {
        Some((t, plain)) => (
            Some(plain.clone()),
            t.ends_at().map_or_else(|| "Never".to_string(), fmt_time),
            format!("curl -H \"Authorization: Bearer {plain}\" {public_url}/v2/token"),
        ),
        None => (None, String::new(), String::new()),
    };
    let page = RevealPage {
        layout: Layout::new(&req, "Your access token", Section::Integrations),
        id,
        name: integration.name,
        token: token_text,
        expires,
        curl,
    };
    let mut response = render(StatusCode::OK, &page)?;
    reveal::finish(&mut response, &state, &reveal_path(id))?;
    Ok(response)
}

// ---------------------------------------------------------------- actions

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RotateForm {
    expire_old: String,
    grace_days: String,
}

async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
    form: HtmlForm<RotateForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let mode = match (form.0.expire_old.as_str(), form.0.grace_days.as_str()) {
        ("now", _) => RotateMode::Now,
        ("later", "" | "7") => RotateMode::Later(Duration::days(7)),
        ("later", "1") => RotateMode::Later(Duration::days(1)),
        ("later", "3") => RotateMode::Later(Duration::days(3)),
        _ => {
            return back_with(
                &req,
                id,
                "Choose how to rotate: expire the old token now, or after 1, 3 or 7 days.",
            );
        }
    };
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::rotate(conn, account, actor, id, mode)
        })
        .await;
    settle(&req, id, result, |issued| {
        reveal_redirect(&state, &editor.current, id, &issued)
    })
}

async fn generate(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::generate(conn, account, actor, id)
        })
        .await;
    settle(&req, id, result, |issued| {
        reveal_redirect(&state, &editor.current, id, &issued)
    })
}

async fn cancel_rotation(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::cancel_rotation(conn, account, actor, id)
        })
        .await;
    settle(&req, id, result, |()| {
        back_with(
            &req,
            id,
            "Rotation cancelled: the new token was revoked and the previous one is current again.",
        )
    })
}

async fn expire(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, token_id) = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::expire(conn, account, actor, id, token_id)
        })
        .await;
    settle(&req, id, result, |()| {
        back_with(
            &req,
            id,
            "The token was expired. Requests using it are now refused.",
        )
    })
}
