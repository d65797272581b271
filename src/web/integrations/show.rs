//! An integration's detail page: its scopes, every live token with its
//! actions, how it is used, and how many webhook endpoints it has.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use uuid::Uuid;

use super::alerts::{self, AlertView};
use super::usage_chart::{self, UsageView};
use super::views::{TokenView, scopes_human};
use crate::actions;
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::domain::scope::Scope;
use crate::errors::WebError;
use crate::models::alert::Alert;
use crate::models::audit_event::AuditEvent;
use crate::models::webhook_endpoint::WebhookEndpoint;
use crate::models::{AccessToken, Integration, Role};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::render;
use crate::web::urls::Urls;
use crate::web::when::Zone;

#[derive(Template)]
#[template(path = "integrations/show.html")]
struct ShowPage {
    layout: Layout,
    id: Uuid,
    name: String,
    description: String,
    scopes: Vec<String>,
    scope_names: Vec<&'static str>,
    created: String,
    lifetime: String,
    tokens: Vec<TokenView>,
    has_live: bool,
    rotating: bool,
    /// The current token, whose rotation Cancel rotation names.
    current_token_id: String,
    /// The confirmation of a rotate-later while another is in progress.
    rotate_again_question: &'static str,
    can_edit: bool,
    /// Owners may change the inactivity rule a deadline comes from.
    is_owner: bool,
    usage: UsageView,
    chart_days: i64,
    used_scope_days: i64,
    webhook_count: i64,
    alerts: Vec<AlertView>,
    /// The edit form holding only the scopes used or too new to judge,
    /// when that drops some and keeps at least one.
    remove_unused_href: Option<String>,
    /// Why the token action just posted was refused.
    problem: Option<&'static str>,
    /// Why the rotate form's choice was refused.
    rotate_error: Option<&'static str>,
}

/// A second rotate-later keeps the token already in its grace period, so
/// the person should know what they are about to have.
const ROTATE_AGAIN: &str = "A rotation is already in progress. Rotating again keeps three tokens working until their grace periods end: the previous token, the current one and a new one.";

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    detail_page(
        &req,
        &state,
        &current,
        path.into_inner(),
        StatusCode::OK,
        None,
    )
    .await
}

/// Why the token action just posted was refused, shown where it belongs.
#[derive(Clone, Copy)]
pub(super) enum Refusal {
    /// The action does not fit the tokens as they are (409): above the
    /// token actions.
    Action(&'static str),
    /// The rotate form's choice is not one it offers (422): beside the
    /// grace period's field.
    RotateChoice(&'static str),
}

/// The detail page, answered with `status`, saying why a token action was
/// refused when one was.
pub(super) async fn detail_page(
    req: &HttpRequest,
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    refusal: Option<Refusal>,
) -> Result<HttpResponse, WebError> {
    let account_id = current.account.id;
    let inactivity = current.account.inactivity_expiry_days;
    let now = Utc::now();
    let zone = Zone::of(req);
    let (integration, live, usage, webhook_count, alerts) = db::run(&state.pool, move |conn| {
        let integration = Integration::find_for_account(conn, account_id, id)?;
        let all = AccessToken::all_for_integrations(conn, &[id])?;
        let live = all
            .iter()
            .filter(|t| t.is_live(now, inactivity))
            .cloned()
            .collect::<Vec<_>>();
        let labels: HashMap<Uuid, String> = all.iter().map(|t| (t.id, t.masked())).collect();
        let grants = usage_chart::grant_times(&AuditEvent::scope_grants(conn, account_id, id)?);
        let usage = usage_chart::load(
            conn,
            id,
            &integration.scope_set(),
            &labels,
            &grants,
            integration.created_at,
            now,
            zone,
        )?;
        let webhooks = WebhookEndpoint::count_for_integration(conn, account_id, id)?;
        let open = Alert::open_for_integration(conn, account_id, id)?;
        let alerts = alerts::views(open, &all, zone);
        Ok::<_, DbError>((integration, live, usage, webhooks, alerts))
    })
    .await?;
    let current_id = actions::current_token(&live).map(|t| t.id);
    let rotating = actions::current_token(&live)
        .and_then(|c| c.rotated_from)
        .is_some_and(|old| live.iter().any(|t| t.id == old && t.in_grace()));
    let scope_set = integration.scope_set();
    let remove_unused_href = remove_unused_href(id, &usage);
    let page = ShowPage {
        layout: Layout::new(req, integration.name.clone(), Section::Integrations),
        id,
        scopes: scopes_human(&scope_set),
        scope_names: scope_set.iter().map(Scope::name).collect(),
        created: zone.minute(integration.created_at),
        lifetime: integration.token_lifetime_days.map_or_else(
            || "Never expires".to_string(),
            |d| format!("{d} days from issue"),
        ),
        tokens: live
            .iter()
            .map(|t| TokenView::new(t, Some(t.id) == current_id, inactivity, now, zone))
            .collect(),
        // Any working token is rotated rather than joined by a generated one.
        has_live: !live.is_empty(),
        rotating,
        current_token_id: current_id.map(|t| t.to_string()).unwrap_or_default(),
        rotate_again_question: ROTATE_AGAIN,
        can_edit: current.user.role().can_edit(),
        is_owner: current.user.role() == Role::Owner,
        usage,
        chart_days: usage_chart::CHART_DAYS,
        used_scope_days: usage_chart::USED_SCOPE_DAYS,
        webhook_count,
        alerts,
        remove_unused_href,
        problem: match refusal {
            Some(Refusal::Action(m)) => Some(m),
            _ => None,
        },
        rotate_error: match refusal {
            Some(Refusal::RotateChoice(m)) => Some(m),
            _ => None,
        },
        name: integration.name,
        description: integration.description,
    };
    render(status, &page)
}

/// The edit form's address with `scopes` set to those worth keeping.
fn remove_unused_href(id: Uuid, usage: &UsageView) -> Option<String> {
    let kept: Vec<&str> = usage
        .scopes
        .iter()
        .filter(|s| !s.unused())
        .map(|s| s.name)
        .collect();
    if kept.is_empty() || kept.len() == usage.scopes.len() {
        return None;
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for name in kept {
        query.append_pair("scopes", name);
    }
    Some(format!("{}?{}", Urls.edit_integration(&id), query.finish()))
}
