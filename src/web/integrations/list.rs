//! The list of the account's private integrations, each with its current
//! token's status.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::views::{EndingSoon, integration_status, scopes_human};
use crate::actions;
use crate::auth::CurrentUser;
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
    let account_id = current.account.id;
    let (mut integrations, total, page) = db::query(&state.pool, move |conn| {
        let (mut integrations, total) = integration_list::page(conn, account_id, PER_PAGE, asked)?;
        let last_page = pages_for(total);
        let mut page = asked;
        if page > last_page {
            page = last_page;
            integrations = integration_list::page(conn, account_id, PER_PAGE, page)?.0;
        }
        Ok((integrations, total, page))
    })
    .await?;
    let now = Utc::now();
    let zone = Zone::of(&req);
    let inactivity = current.account.inactivity_expiry_days;
    for i in &mut integrations {
        i.unrevoked.retain(|t| t.is_live(now, inactivity));
    }
    let rows = integrations
        .iter()
        .map(|i| {
            let live = &i.unrevoked;
            let shown = actions::current_token(live).or(live.first());
            let (status, status_class) = integration_status(shown, i.had_tokens, now);
            let ending_soon = live
                .iter()
                .filter_map(|t| EndingSoon::of(t, inactivity, now).map(|e| (t, e.words())))
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
        page,
        pages: pages_for(total),
        total,
        page_error: read.error,
    };
    render(read.status(), &page)
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}
