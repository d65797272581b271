//! The list of the account's private integrations, each with its current
//! token's status.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use uuid::Uuid;

use super::views::{integration_status, scopes_human};
use crate::actions;
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::errors::WebError;
use crate::models::{AccessToken, Integration};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::{fmt_time_or_never, render};

struct Row {
    id: Uuid,
    name: String,
    description: String,
    scopes: Vec<String>,
    token: Option<String>,
    status: String,
    status_class: &'static str,
    last_used: String,
}

#[derive(Template)]
#[template(path = "integrations/index.html")]
struct IndexPage {
    layout: Layout,
    rows: Vec<Row>,
}

pub(super) async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let account_id = current.account.id;
    let (integrations, tokens) = db::run(&state.pool, move |conn| {
        let integrations = Integration::list_for_account(conn, account_id)?;
        let ids: Vec<Uuid> = integrations.iter().map(|i| i.id).collect();
        let tokens = AccessToken::all_for_integrations(conn, &ids)?;
        Ok::<_, DbError>((integrations, tokens))
    })
    .await?;
    let now = Utc::now();
    let inactivity = current.account.inactivity_expiry_days;
    let rows = integrations
        .into_iter()
        .map(|i| {
            let mine: Vec<AccessToken> = tokens
                .iter()
                .filter(|t| t.integration_id == i.id)
                .cloned()
                .collect();
            let live: Vec<AccessToken> = mine
                .iter()
                .filter(|t| t.is_live(now, inactivity))
                .cloned()
                .collect();
            let shown = actions::current_token(&live).or(live.first());
            let (status, status_class) = integration_status(shown, !mine.is_empty(), now);
            let last_used = mine.iter().filter_map(|t| t.last_used_at).max();
            Row {
                id: i.id,
                scopes: scopes_human(&i.scope_set()),
                name: i.name,
                description: i.description,
                token: shown.map(AccessToken::masked),
                status,
                status_class,
                last_used: fmt_time_or_never(last_used),
            }
        })
        .collect();
    let page = IndexPage {
        layout: Layout::new(&req, "Private Integrations", Section::Integrations),
        rows,
    };
    render(StatusCode::OK, &page)
}
