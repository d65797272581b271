//! The one-time reveal page of an integration's new token.
//!
//! The plaintext arrives in the reveal cookie (`web::reveal_cookie`); the
//! page claims its one showing in the database, so a second visit finds
//! nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::OptionalExtension;
use uuid::Uuid;

use super::views::{end_words, scopes_human};
use crate::actions::Issued;
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::domain::scope::Scope;
use crate::errors::WebError;
use crate::models::{AccessToken, Integration};
use crate::state::AppState;
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::when::Zone;
use crate::web::{render, reveal_cookie};

/// 303 to the reveal page, carrying the plaintext in the reveal cookie.
pub(super) fn reveal_redirect(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    issued: &Issued,
) -> Result<HttpResponse, WebError> {
    let sealed = reveal_cookie::Sealed {
        user: current.user.id,
        id: issued.token.id,
        plain: issued.plain.expose().to_string(),
    };
    reveal_cookie::redirect(state, &Urls.token_reveal(&id), &sealed)
}

#[derive(Template)]
#[template(path = "integrations/token.html")]
struct RevealPage {
    layout: Layout,
    id: Uuid,
    name: String,
    token: Option<String>,
    expires: String,
    curl: String,
    /// What an app needs besides the token: where the API is, which
    /// location it acts for, and what it may do.
    base_url: String,
    location_id: Uuid,
    scopes: Vec<String>,
    scope_names: Vec<&'static str>,
    /// After a rotate-later: until when the replaced token keeps working.
    previous_until: Option<String>,
}

pub(super) async fn reveal(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let account_id = current.account.id;
    let inactivity = current.account.inactivity_expiry_days;
    let payload = reveal_cookie::open(&req, &state, current.user.id);
    let (integration, token, previous) = db::run(&state.pool, move |conn| {
        let integration = Integration::find_for_account(conn, account_id, id)?;
        let token = match &payload {
            Some(p) => AccessToken::find_for_integration(conn, id, p.id).optional()?,
            None => None,
        };
        let live = token.filter(|t| t.is_live(Utc::now(), inactivity));
        let shown = match (live, payload) {
            (Some(t), Some(p)) if AccessToken::claim_reveal(conn, t.id)? => Some((t, p.plain)),
            _ => None,
        };
        // A rotate-later leaves the replaced token working for a while; the
        // person rolling the new one out needs to know how long.
        let previous = match shown.as_ref().and_then(|(t, _)| t.rotated_from) {
            Some(old) => AccessToken::find_for_integration(conn, id, old)
                .optional()?
                .filter(|o| o.in_grace() && o.is_live(Utc::now(), inactivity))
                .and_then(|o| o.ends_at()),
            None => None,
        };
        Ok::<_, DbError>((integration, shown, previous))
    })
    .await?;

    let public_url = state.settings.public_url();
    let zone = Zone::of(&req);
    let (token_text, expires, curl) = match &token {
        Some((t, plain)) => (
            Some(plain.clone()),
            match end_words(t, inactivity, zone) {
                (words, true) => format!("{words} unless used"),
                (words, false) => words,
            },
            format!("curl -H \"Authorization: Bearer {plain}\" {public_url}/v2/token"),
        ),
        None => (None, String::new(), String::new()),
    };
    let scope_set = integration.scope_set();
    let page = RevealPage {
        layout: Layout::new(&req, "Your access token", Section::Integrations),
        id,
        name: integration.name,
        token: token_text,
        expires,
        curl,
        base_url: format!("{public_url}/v2"),
        location_id: account_id,
        scopes: scopes_human(&scope_set),
        scope_names: scope_set.iter().map(Scope::name).collect(),
        previous_until: previous.map(|at| zone.minute(at)),
    };
    let mut response = render(StatusCode::OK, &page)?;
    reveal_cookie::finish(&mut response, &state, &Urls.token_reveal(&id))?;
    Ok(response)
}
