//! The Settings home page.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::CurrentUser;
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::when::Zone;

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
}

async fn show(req: HttpRequest, current: CurrentUser) -> SettingsPage {
    let zone = Zone::of(&req);
    SettingsPage {
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
    }
}
