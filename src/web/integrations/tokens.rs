//! Token actions on an integration's page: generate, rotate, cancel a
//! rotation, expire one token. Each ends on the reveal page when it issued a
//! token, otherwise back on the detail page with a flash.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;

use super::reveal::reveal_redirect;
use super::show::{Refusal, detail_page};
use crate::actions::{self, ActionError, Issued, RotateMode};
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::forms::HtmlForm;
use crate::web::urls::Urls;
use crate::web::{TypedSessionExt, see_other};

/// A token action's outcome: success goes on to `next` (the reveal page, or
/// a flash and a 303 back to the detail page); a refusal (say, Generate while
/// a token works, or a second click of Cancel rotation) is the detail page
/// again, 409, saying why.
async fn settle<T>(
    req: &HttpRequest,
    state: &AppState,
    editor: &Editor,
    id: Uuid,
    result: Result<T, ActionError>,
    next: impl FnOnce(T) -> Result<HttpResponse, WebError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(v) => next(v),
        Err(ActionError::Conflict(msg)) => {
            detail_page(
                req,
                state,
                &editor.current,
                id,
                StatusCode::CONFLICT,
                Some(Refusal::Action(msg)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The flash-and-return ending of an action that issues no token.
fn back_with(req: &HttpRequest, id: Uuid, message: &str) -> Result<HttpResponse, WebError> {
    req.flash(message);
    Ok(see_other(&Urls.integration(&id)))
}

/// The ending of an action that issues a token: its reveal page.
async fn to_reveal(
    req: &HttpRequest,
    state: &AppState,
    editor: &Editor,
    id: Uuid,
    result: Result<Issued, ActionError>,
) -> Result<HttpResponse, WebError> {
    settle(req, state, editor, id, result, |issued| {
        reveal_redirect(state, &editor.current, id, &issued)
    })
    .await
}

/// The ending of an action that issues nothing: `message`, on the detail
/// page.
async fn done(
    req: &HttpRequest,
    state: &AppState,
    editor: &Editor,
    id: Uuid,
    result: Result<(), ActionError>,
    message: &str,
) -> Result<HttpResponse, WebError> {
    settle(req, state, editor, id, result, |()| {
        back_with(req, id, message)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RotateForm {
    expire_old: String,
    grace_days: String,
}

pub(super) async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
    form: HtmlForm<RotateForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let mode = match (form.0.expire_old.as_str(), form.0.grace_days.as_str()) {
        // Rotate Now sends no grace period; one sent all the same must
        // still be one the form offers.
        ("now", "" | "1" | "3" | "7") => RotateMode::Now,
        ("later", "" | "7") => RotateMode::Later(Duration::days(7)),
        ("later", "1") => RotateMode::Later(Duration::days(1)),
        ("later", "3") => RotateMode::Later(Duration::days(3)),
        _ => {
            // Another account's integration is still a plain 404.
            return detail_page(
                &req,
                &state,
                &editor.current,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(Refusal::RotateChoice(
                    "Choose how to rotate: expire the old token now, or after 1, 3 or 7 days.",
                )),
            )
            .await;
        }
    };
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::rotate(conn, account, actor, id, mode)
        })
        .await;
    to_reveal(&req, &state, &editor, id, result).await
}

pub(super) async fn generate(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let result = editor.run_on(&state, id, actions::generate).await;
    to_reveal(&req, &state, &editor, id, result).await
}

/// The detail page's form names the token whose rotation it cancels.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CancelRotationForm {
    token_id: String,
}

pub(super) async fn cancel_rotation(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
    form: HtmlForm<CancelRotationForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    // Without a token named (a form of another making), the rotation in
    // progress is cancelled; a name that is no token matches none.
    let newest = match form.0.token_id.trim() {
        "" => None,
        named => Some(named.parse().unwrap_or(Uuid::nil())),
    };
    let result = editor
        .run(&state, move |conn, account, actor| {
            actions::cancel_rotation(conn, account, actor, id, newest)
        })
        .await;
    done(
        &req,
        &state,
        &editor,
        id,
        result,
        "Rotation cancelled: the new token was revoked and the previous one is current again.",
    )
    .await
}

pub(super) async fn expire(
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
    done(
        &req,
        &state,
        &editor,
        id,
        result,
        "The token was expired. Requests using it are now refused.",
    )
    .await
}
