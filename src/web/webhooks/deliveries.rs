//! An endpoint's delivery log, newest first and paginated, with every
//! attempt; and Resend, which sends a failed delivery again under its id.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::settle;
use super::views::DeliveryView;
use crate::actions::webhooks as hooks;
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::errors::WebError;
use crate::models::Integration;
use crate::models::webhook_endpoint::WebhookEndpoint;
use crate::models::webhook_log;
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::layout::{Layout, Section};
use crate::web::paging::PageAsked;
use crate::web::render;
use crate::web::urls::Urls;
use crate::web::when::Zone;

/// Deliveries per page: the page's cost stays flat however long the log.
pub const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "webhooks/deliveries.html")]
struct LogPage {
    layout: Layout,
    id: Uuid,
    name: String,
    endpoint_id: Uuid,
    url: String,
    deliveries: Vec<DeliveryView>,
    can_edit: bool,
    page: i64,
    pages: i64,
    total: i64,
    /// Why the page asked for could not be shown.
    page_error: Option<&'static str>,
}

fn pages_for(total: i64) -> i64 {
    ((total + PER_PAGE - 1) / PER_PAGE).max(1)
}

pub(super) async fn log(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id) = path.into_inner();
    // A page past the end shows the last one; no page at all is refused,
    // over the first page.
    let read = PageAsked::of(req.query_string());
    let asked = read.page;
    let account_id = current.account.id;
    let (integration, endpoint, deliveries, attempts, total, page) =
        db::run(&state.pool, move |conn| {
            let integration = Integration::find_for_account(conn, account_id, id)?;
            let endpoint =
                WebhookEndpoint::find_for_integration(conn, account_id, id, endpoint_id)?;
            let (mut deliveries, total) =
                webhook_log::page_for_endpoint(conn, endpoint.id, PER_PAGE, asked)?;
            let page = asked.min(pages_for(total));
            if page < asked {
                deliveries = webhook_log::page_for_endpoint(conn, endpoint.id, PER_PAGE, page)?.0;
            }
            let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
            let attempts = webhook_log::attempts_for(conn, &ids)?;
            Ok::<_, DbError>((integration, endpoint, deliveries, attempts, total, page))
        })
        .await?;
    let page = LogPage {
        layout: Layout::new(
            &req,
            format!("Deliveries · {}", endpoint.url),
            Section::Integrations,
        ),
        id,
        name: integration.name,
        endpoint_id,
        url: endpoint.url,
        deliveries: deliveries
            .iter()
            .map(|d| DeliveryView::new(d, &attempts, Zone::of(&req)))
            .collect(),
        can_edit: current.user.role().can_edit(),
        page,
        pages: pages_for(total),
        total,
        page_error: read.error,
    };
    render(read.status(), &page)
}

pub(super) async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, endpoint_id, delivery_id) = path.into_inner();
    let result = editor
        .run(&state, move |conn, account, actor| {
            hooks::resend(conn, account, actor, id, endpoint_id, delivery_id)
        })
        .await;
    settle(
        &req,
        &Urls.webhook_deliveries(&id, &endpoint_id),
        result,
        |()| format!("Delivery {delivery_id} is being sent again, with the same webhook-id."),
    )
}
