//! The Settings home page: the account, the signed-in user, and the tokens
//! about to stop working.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db;
use crate::errors::WebError;
use crate::models::AccessToken;
use crate::models::alert::Alert;
use crate::state::AppState;
use crate::web::integrations::EndingSoon;
use crate::web::layout::{Layout, Section};
use crate::web::render;
use crate::web::urls::Urls;
use crate::web::when::Zone;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(Urls.settings()).route(web::get().to(show)));
}

/// A token that stops within a week, linked to its integration.
struct Ending {
    integration_id: Uuid,
    integration: String,
    token: String,
    words: String,
}

#[derive(Template)]
#[template(path = "settings/index.html")]
struct SettingsPage {
    layout: Layout,
    account_name: String,
    account_id: String,
    created: String,
    email: String,
    role: &'static str,
    last_login: String,
    /// Integrations with open alerts: `(id, name, count)`.
    alerts: Vec<(Uuid, String, i64)>,
    open_alerts: i64,
    ending: Vec<Ending>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let account_id = current.account.id;
    let (tokens, alerts) = db::query(&state.pool, move |conn| {
        Ok((
            AccessToken::unrevoked_for_account(conn, account_id)?,
            Alert::open_counts(conn, account_id)?,
        ))
    })
    .await?;
    let now = Utc::now();
    let inactivity = current.account.inactivity_expiry_days;
    let ending = tokens
        .into_iter()
        .filter_map(|(t, integration)| {
            EndingSoon::of(&t, inactivity, now).map(|e| Ending {
                integration_id: t.integration_id,
                integration,
                token: t.masked(),
                words: e.words(),
            })
        })
        .collect();
    let zone = Zone::of(&req);
    let page = SettingsPage {
        layout: Layout::new(&req, "Settings", Section::Home),
        account_name: current.account.name.clone(),
        account_id: current.account.id.to_string(),
        created: zone.date(current.account.created_at),
        email: current.user.email.clone(),
        role: current.user.role().as_str(),
        last_login: current
            .user
            .last_login_at
            .map_or_else(|| "never".to_string(), |t| zone.minute(t)),
        open_alerts: alerts.iter().map(|(_, _, n)| n).sum(),
        alerts,
        ending,
    };
    render(StatusCode::OK, &page)
}
