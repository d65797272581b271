//! The list of the account's private integrations, each with its current
//! token's status.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::views::{Status, integration_status};
use crate::actions;
use crate::auth::CurrentUser;
use crate::db::{self};
use crate::domain::scope::ScopeSet;
use crate::errors::WebError;
use crate::models::{AccessToken, Integration};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::{TimeOrNever, render};

/// One integration's line, borrowed from what the queries loaded: nothing
/// is copied or formatted before the template writes it out.
struct Row<'a> {
    integration: &'a Integration,
    scopes: ScopeSet,
    token: Option<&'a AccessToken>,
    status: Status,
    last_used: TimeOrNever,
}

/// Integrations per page: the page's cost stays flat however many there are.
pub const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "integrations/index.html")]
struct IndexPage<'a> {
    layout: Layout,
    rows: Vec<Row<'a>>,
    page: i64,
    pages: i64,
    total: i64,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    page: Option<String>,
}

pub(super) async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    // A page that is not a number, or past the end, shows the nearest one.
    let asked = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let account_id = current.account.id;
    let (integrations, total, live, history, page) = db::query(&state.pool, move |conn| {
        let (mut integrations, total) =
            Integration::page_for_account(conn, account_id, PER_PAGE, asked)?;
        let last_page = pages_for(total);
        let mut page = asked;
        if page > last_page {
            page = last_page;
            integrations = Integration::page_for_account(conn, account_id, PER_PAGE, page)?.0;
        }
        if integrations.is_empty() {
            return Ok((integrations, total, Vec::new(), Vec::new(), page));
        }
        let ids: Vec<Uuid> = integrations.iter().map(|i| i.id).collect();
        let live = AccessToken::unrevoked_for_integrations(conn, &ids)?;
        let history = AccessToken::history_for_integrations(conn, &ids)?;
        Ok((integrations, total, live, history, page))
    })
    .await?;
    let now = Utc::now();
    let inactivity = current.account.inactivity_expiry_days;
    let mut by_integration: HashMap<Uuid, Vec<AccessToken>> = HashMap::new();
    for token in live.into_iter().filter(|t| t.is_live(now, inactivity)) {
        by_integration
            .entry(token.integration_id)
            .or_default()
            .push(token);
    }
    let history: HashMap<Uuid, (i64, Option<chrono::DateTime<Utc>>)> = history
        .into_iter()
        .map(|(id, count, last)| (id, (count, last)))
        .collect();
    let rows = integrations
        .iter()
        .map(|i| {
            let live = by_integration.get(&i.id).map_or(&[][..], Vec::as_slice);
            let (ever, last_used) = history.get(&i.id).copied().unwrap_or((0, None));
            let shown = actions::current_token(live).or(live.first());
            Row {
                integration: i,
                scopes: i.scope_set(),
                token: shown,
                status: integration_status(shown, ever > 0, now),
                last_used: TimeOrNever(last_used),
            }
        })
        .collect();
    let page = IndexPage {
        layout: Layout::new(&req, "Private Integrations", Section::Integrations),
        rows,
        page,
        pages: pages_for(total),
        total,
    };
    render(StatusCode::OK, &page)
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}
