//! Deleting an integration: its tokens are revoked and it leaves the list.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::actions;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::urls::Urls;
use crate::web::{TypedSessionExt, see_other};

pub(super) async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let integration = editor
        .run_on(&state, id, actions::delete)
        .await
        .map_err(WebError::from)?;
    req.flash(&format!(
        "“{}” was deleted and its tokens revoked.",
        integration.name
    ));
    Ok(see_other(Urls.integrations()))
}
