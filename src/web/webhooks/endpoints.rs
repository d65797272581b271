//! The actions on one endpoint: delete, enable, disable, roll the secret
//! (which ends on the webhooks page showing the new secret) and send a test
//! event. Each answers 303 back to the webhooks page with a message.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::page::reveal_redirect;
use super::settle;
use crate::actions::ActionError;
use crate::actions::webhooks as hooks;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::TypedSessionExt;
use crate::web::editor::Editor;
use crate::web::urls::Urls;

pub(super) async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id) = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            hooks::delete_endpoint(conn, account, actor, id, endpoint_id)
        })
        .await;
    settle(&req, &Urls.webhooks(&id), result, |e| {
        format!("The endpoint {} was deleted with its delivery log.", e.url)
    })
}

async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
    enabled: bool,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id) = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            hooks::set_endpoint_enabled(conn, account, actor, id, endpoint_id, enabled)
        })
        .await;
    settle(&req, &Urls.webhooks(&id), result, |changed| {
        match (changed, enabled) {
            (true, true) => "The endpoint was enabled: new events are delivered to it again.",
            (true, false) => {
                "The endpoint was disabled: no events are delivered to it until you enable it."
            }
            (false, true) => "The endpoint was already enabled.",
            (false, false) => "The endpoint was already disabled.",
        }
        .to_string()
    })
}

pub(super) async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    switch(req, state, editor, path, true).await
}

pub(super) async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    switch(req, state, editor, path, false).await
}

pub(super) async fn roll_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id) = path.into_inner();
    let secrets = state.secrets.clone();
    let (endpoint, secret) = editor
        .run(&state, move |conn, account, actor| {
            hooks::roll_secret(conn, account, actor, &secrets, id, endpoint_id)
        })
        .await
        .map_err(WebError::from)?;
    req.flash(
        "A new signing secret was issued. Deliveries are signed with both secrets for 24 hours, so update your receiver within that time.",
    );
    reveal_redirect(&state, &editor, id, &endpoint, &secret)
}

pub(super) async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id) = path.into_inner();
    let result: Result<Uuid, ActionError> = editor
        .run(&state, move |conn, account, actor| {
            hooks::send_test(conn, account, actor, id, endpoint_id)
        })
        .await;
    settle(&req, &Urls.webhooks(&id), result, |delivery| {
        format!("A test event is on its way (webhook-id {delivery}); see the delivery log.")
    })
}
