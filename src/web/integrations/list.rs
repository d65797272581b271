//! The list of the account's private integrations, each with its current
//! token's status.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::views::{EndingSoon, integration_status, scopes_human};
use crate::actions;
use crate::auth::CurrentUser;
use crate::caches::ListPage;
use crate::db::{self};
use crate::domain::scope::ScopeSet;
use crate::errors::WebError;
use crate::models::AccessToken;
use crate::models::integration_list::{self, ListedIntegration};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::paging::PageAsked;
use crate::web::render;
use crate::web::when::Zone;
use uuid::Uuid;

/// A row of the list, borrowing what it shows from the page's query.
struct Row<'a> {
    integration: &'a ListedIntegration,
    scopes: Vec<String>,
    token: Option<&'a AccessToken>,
    status: String,
    status_class: &'static str,
    /// Each live token stopping within a week, and why.
    ending_soon: Vec<(&'a AccessToken, String)>,
    last_used: String,
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
    /// Why the page asked for could not be shown.
    page_error: Option<&'static str>,
}

pub(super) async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    // A page past the end shows the last one; one past any sane range is
    // refused, over the first page.
    let read = PageAsked::of(req.query_string());
    let asked = read.page;
    let listed = list_page(&state, current.account.id, asked).await?;
    let now = Utc::now();
    let zone = Zone::of(&req);
    let inactivity = current.account.inactivity_expiry_days;
    let rows = listed
        .integrations
        .iter()
        .map(|i| {
            let live: Vec<&AccessToken> = i
                .unrevoked
                .iter()
                .filter(|t| t.is_live(now, inactivity))
                .collect();
            let shown = actions::current_token(live.iter().copied()).or(live.first().copied());
            let (status, status_class) = integration_status(shown, i.had_tokens, now);
            let ending_soon = live
                .iter()
                .filter_map(|&t| EndingSoon::of(t, inactivity, now).map(|e| (t, e.words())))
                .collect();
            Row {
                integration: i,
                scopes: scopes_human(&ScopeSet::from_stored(&i.scopes)),
                token: shown,
                status,
                status_class,
                ending_soon,
                last_used: zone.minute_or_never(i.last_used_at),
            }
        })
        .collect();
    let page = IndexPage {
        layout: Layout::new(&req, "Private Integrations", Section::Integrations),
        rows,
        page: listed.page,
        pages: pages_for(listed.total),
        total: listed.total,
        page_error: read.error,
    };
    render(read.status(), &page)
}

/// The page as this instance keeps it, else as the database has it; a
/// page past the end is the last one.
async fn list_page(
    state: &AppState,
    account_id: Uuid,
    asked: i64,
) -> Result<Arc<ListPage>, WebError> {
    let lists = &state.caches.lists;
    if let Some(kept) = lists.get(&(account_id, asked)) {
        return Ok(kept);
    }
    let generation = lists.generation();
    let found = db::query(&state.pool, move |conn| {
        let (mut integrations, total) = integration_list::page(conn, account_id, PER_PAGE, asked)?;
        let last_page = pages_for(total);
        let mut page = asked;
        if page > last_page {
            page = last_page;
            integrations = integration_list::page(conn, account_id, PER_PAGE, page)?.0;
        }
        Ok(ListPage {
            integrations,
            total,
            page,
        })
    })
    .await?;
    let found = Arc::new(found);
    // Kept under the page it is, so however many pages past the end are
    // asked for, only pages that exist take memory.
    lists.insert((account_id, found.page), found.clone(), generation);
    Ok(found)
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}
