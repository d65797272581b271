//! The Settings home page.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db;
use crate::errors::WebError;
use crate::models::alert::Alert;
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(Urls.settings()).route(web::get().to(show)));
}

#[derive(Template, WebTemplate)]
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
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<SettingsPage, WebError> {
    let account_id = current.account.id;
    let alerts = db::query(&state.pool, move |conn| {
        Alert::open_counts(conn, account_id)
    })
    .await?;
    Ok(SettingsPage {
        layout: Layout::new(&req, "Settings", Section::Home),
        account_name: current.account.name.clone(),
        account_id: current.account.id.to_string(),
        created: current.account.created_at.format("%-d %b %Y").to_string(),
        email: current.user.email.clone(),
        role: current.user.role().as_str(),
        last_login: current.user.last_login_at.map_or_else(
            || "never".to_string(),
            |t| t.format("%-d %b %Y, %H:%M UTC").to_string(),
        ),
        open_alerts: alerts.iter().map(|(_, _, n)| n).sum(),
        alerts,
    })
}
