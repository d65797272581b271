//! The legacy API v1 key: one per account, full access. Shown once,
//! regenerated or disabled here, with a banner steering to private
//! integrations, which replace it. Owners only (SPEC §6): a key that
//! grants everything is not an admin's to see or make.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::actions;
use crate::db::{self};
use crate::errors::WebError;
use crate::models::legacy_api_key::LegacyApiKey;
use crate::state::AppState;
use crate::web::editor::OwnerEditor;
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::when::Zone;
use crate::web::{TypedSessionExt, render, reveal_cookie, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(Urls.api_keys(), web::get().to(show))
        .route(Urls.generate_api_key(), web::post().to(generate))
        .route(Urls.disable_api_key(), web::post().to(disable))
        .route(Urls.api_key_reveal(), web::get().to(reveal_key));
}

struct KeyView {
    display: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "api_keys/index.html")]
struct KeysPage {
    layout: Layout,
    key: Option<KeyView>,
    /// Set on the reveal page only.
    revealed: Option<String>,
    reveal_page: bool,
    curl: String,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    owner: OwnerEditor,
) -> Result<HttpResponse, WebError> {
    let account_id = owner.0.account().id;
    let key = db::query(&state.pool, move |conn| {
        LegacyApiKey::live_for_account(conn, account_id)
    })
    .await?;
    let page = KeysPage {
        layout: Layout::new(&req, "API keys (legacy)", Section::ApiKeys),
        key: key.map(|k| KeyView {
            display: k.masked(),
            created: Zone::of(&req).minute(k.created_at),
            last_used: Zone::of(&req).minute_or_never(k.last_used_at),
        }),
        revealed: None,
        reveal_page: false,
        curl: String::new(),
    };
    render(StatusCode::OK, &page)
}

/// Generates the account's key, replacing (revoking) any live one.
async fn generate(
    state: web::Data<AppState>,
    OwnerEditor(editor): OwnerEditor,
) -> Result<HttpResponse, WebError> {
    let (account_id, user_id) = (editor.account().id, editor.current.user.id);
    let actor = editor.actor.clone();
    let (key, plain) = db::run(&state.pool, move |conn| {
        actions::api_keys::generate_key(conn, account_id, &actor)
    })
    .await?;
    let sealed = reveal_cookie::Sealed {
        user: user_id,
        id: key.id,
        plain: plain.expose().to_string(),
    };
    reveal_cookie::redirect(&state, Urls.api_key_reveal(), &sealed)
}

async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    OwnerEditor(editor): OwnerEditor,
) -> Result<HttpResponse, WebError> {
    let account_id = editor.account().id;
    let actor = editor.actor.clone();
    let disabled = db::run(&state.pool, move |conn| {
        actions::api_keys::disable_key(conn, account_id, &actor)
    })
    .await?;
    req.flash(if disabled {
        "The API v1 key was disabled. Requests using it are refused."
    } else {
        "There was no API v1 key to disable."
    });
    Ok(see_other(Urls.api_keys()))
}

async fn reveal_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    OwnerEditor(owner): OwnerEditor,
) -> Result<HttpResponse, WebError> {
    let current = owner.current;
    let account_id = current.account.id;
    let sealed = reveal_cookie::open(&req, &state, current.user.id);
    let shown = match sealed {
        Some(s) => {
            let id = s.id;
            let claimed = db::query(&state.pool, move |conn| {
                LegacyApiKey::claim_reveal(conn, account_id, id)
            })
            .await?;
            claimed.then_some(s.plain)
        }
        None => None,
    };
    let curl = shown.as_ref().map_or_else(String::new, |k| {
        format!(
            "curl -H \"Authorization: Bearer {k}\" {}/v1/contacts/",
            state.settings.public_url()
        )
    });
    let page = KeysPage {
        layout: Layout::new(&req, "Your API v1 key", Section::ApiKeys),
        key: None,
        revealed: shown,
        reveal_page: true,
        curl,
    };
    let mut response = render(StatusCode::OK, &page)?;
    reveal_cookie::finish(&mut response, &state, Urls.api_key_reveal())?;
    Ok(response)
}
