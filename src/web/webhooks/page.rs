//! The webhooks page of an integration: its endpoints, the add form (shown
//! again with per-field errors), and the one showing of a signing secret
//! just issued by the add form or a roll.
//!
//! The secret travels to this page in the reveal cookie
//! (`web::reveal_cookie`). The page shows it only when it is still the
//! endpoint's current secret and claims the showing in the database, so a
//! replayed cookie, or one overtaken by a later roll, shows nothing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::views::{EndpointView, EventName};
use crate::actions::ActionError;
use crate::actions::webhooks::{self as hooks, NEEDS_CONTACTS_READONLY, NewEndpoint};
use crate::auth::CurrentUser;
use crate::db::{self, DbError};
use crate::domain::webhook::{EventType, SigningSecret, TargetHost, TargetUrl};
use crate::errors::WebError;
use crate::models::Integration;
use crate::models::webhook_endpoint::WebhookEndpoint;
use crate::models::webhook_log;
use crate::outbound::TargetCheck;
use crate::secrets::SecretBox;
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::when::Zone;
use crate::web::{TypedSessionExt, render, reveal_cookie};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AddForm {
    url: String,
    events: Vec<String>,
}

struct EventOption {
    event: EventName,
    checked: bool,
}

/// A secret being shown, and the endpoint it signs for.
struct Revealed {
    endpoint_id: Uuid,
    url: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "webhooks/index.html")]
struct WebhooksPage {
    layout: Layout,
    id: Uuid,
    name: String,
    can_edit: bool,
    /// Whether the integration holds the scope contact events need.
    has_scope: bool,
    endpoints: Vec<EndpointView>,
    options: Vec<EventOption>,
    url: String,
    errors: FormErrors,
    revealed: Option<Revealed>,
}

/// What the page shows of the integration, read in one go.
struct Listing {
    integration: Integration,
    endpoints: Vec<WebhookEndpoint>,
    latest: HashMap<Uuid, (String, DateTime<Utc>)>,
}

impl Listing {
    /// `NotFound` for another account's or a deleted integration.
    fn load(conn: &mut PgConnection, account_id: Uuid, id: Uuid) -> Result<Listing, DbError> {
        let integration = Integration::find_for_account(conn, account_id, id)?;
        let endpoints = WebhookEndpoint::list_for_integration(conn, account_id, id)?;
        let ids: Vec<Uuid> = endpoints.iter().map(|e| e.id).collect();
        let latest = webhook_log::latest_outcomes(conn, &ids)?
            .into_iter()
            .map(|(endpoint, state, at)| (endpoint, (state, at)))
            .collect();
        Ok(Listing {
            integration,
            endpoints,
            latest,
        })
    }
}

impl WebhooksPage {
    fn build(
        req: &HttpRequest,
        can_edit: bool,
        listing: Listing,
        form: &AddForm,
        errors: FormErrors,
        revealed: Option<Revealed>,
    ) -> WebhooksPage {
        let Listing {
            integration,
            endpoints,
            latest,
        } = listing;
        let options = EventType::ALL
            .into_iter()
            .map(|e| EventOption {
                event: e.into(),
                checked: form.events.iter().any(|n| n == e.name()),
            })
            .collect();
        WebhooksPage {
            layout: Layout::new(
                req,
                format!("Webhooks · {}", integration.name),
                Section::Integrations,
            ),
            id: integration.id,
            has_scope: hooks::may_receive(&integration, &EventType::ALL),
            name: integration.name,
            can_edit,
            endpoints: endpoints
                .iter()
                .map(|e| EndpointView::new(e, &latest, Zone::of(req)))
                .collect(),
            options,
            url: shown_again(&form.url),
            errors,
            revealed,
        }
    }
}

/// The secret in `sealed`, if it is still `endpoint`'s current secret and
/// has not been shown yet; claims the showing.
fn claim(
    conn: &mut PgConnection,
    secrets: &SecretBox,
    endpoint: &WebhookEndpoint,
    sealed: reveal_cookie::Sealed,
) -> Result<Option<Revealed>, DbError> {
    let Ok(current) = secrets.open(endpoint.id, &endpoint.secret_sealed) else {
        return Ok(None);
    };
    let is_current: bool = current.ct_eq(sealed.plain.as_bytes()).into();
    if !is_current
        || !WebhookEndpoint::claim_secret_shown(conn, endpoint.id, &endpoint.secret_sealed)?
    {
        return Ok(None);
    }
    Ok(Some(Revealed {
        endpoint_id: endpoint.id,
        url: endpoint.url.clone(),
        secret: sealed.plain,
    }))
}

pub(super) async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let account_id = current.account.id;
    let sealed = reveal_cookie::open(&req, &state, current.user.id);
    let secrets = state.secrets.clone();
    let (listing, revealed) = db::run(&state.pool, move |conn| {
        let listing = Listing::load(conn, account_id, id)?;
        let revealed = match sealed {
            Some(s) => match listing.endpoints.iter().find(|e| e.id == s.id) {
                Some(endpoint) => claim(conn, &secrets, endpoint, s)?,
                None => None,
            },
            None => None,
        };
        Ok::<_, DbError>((listing, revealed))
    })
    .await?;
    let page = WebhooksPage::build(
        &req,
        current.user.role().can_edit(),
        listing,
        &AddForm::default(),
        FormErrors::default(),
        revealed,
    );
    let mut response = render(StatusCode::OK, &page)?;
    reveal_cookie::finish(&mut response, &state, &Urls.webhooks(&id))?;
    Ok(response)
}

/// The message by the URL field for a target that is, or resolves to, an
/// address deliveries may not go to.
fn refused_target(target: &TargetUrl, ip: std::net::IpAddr) -> String {
    match &target.host {
        TargetHost::Ip(_) => format!(
            "This URL points to a private address ({ip}): loopback, private, link-local and other non-public addresses cannot receive webhooks."
        ),
        TargetHost::Name(name) => format!(
            "{name} resolves to a private address ({ip}): loopback, private, link-local and other non-public addresses cannot receive webhooks."
        ),
    }
}

/// The endpoint the form asks for, or every problem with it, each by its
/// field. Whether the host resolved is returned for the confirmation.
async fn parse_form(
    state: &AppState,
    integration: &Integration,
    form: &AddForm,
) -> Result<(NewEndpoint, bool), FormErrors> {
    let mut errors = FormErrors::default();
    refuse_nul(&mut errors, "url", &form.url);
    let target = TargetUrl::parse(&form.url).map_err(|why| errors.add("url", why));

    let mut events = Vec::new();
    for name in &form.events {
        match EventType::parse(name) {
            Some(e) => events.push(e),
            None => errors.add("events", "Choose events from the list."),
        }
    }
    events.sort();
    events.dedup();
    if events.is_empty() {
        errors.add("events", "Choose at least one event.");
    } else if !hooks::may_receive(integration, &events) {
        errors.add("events", NEEDS_CONTACTS_READONLY);
    }

    let mut resolved = false;
    if let Ok(target) = &target
        && errors.get("url").is_none()
    {
        match state.resolver.check(target).await {
            TargetCheck::Refused(ip) => errors.add("url", refused_target(target, ip)),
            TargetCheck::Allowed(_) => resolved = true,
            TargetCheck::Unresolved => {}
        }
    }
    match target {
        Ok(target) if errors.is_empty() => Ok((
            NewEndpoint {
                url: target.url.to_string(),
                events,
            },
            resolved,
        )),
        _ => Err(errors),
    }
}

/// The page again with the user's input and `errors`, as a 422.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    account_id: Uuid,
    id: Uuid,
    form: &AddForm,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let listing = db::run(&state.pool, move |conn| Listing::load(conn, account_id, id)).await?;
    let page = WebhooksPage::build(req, true, listing, form, errors, None);
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// 303 to the webhooks page, carrying `secret` in the reveal cookie.
pub(super) fn reveal_redirect(
    state: &AppState,
    editor: &Editor,
    id: Uuid,
    endpoint: &WebhookEndpoint,
    secret: &SigningSecret,
) -> Result<HttpResponse, WebError> {
    let sealed = reveal_cookie::Sealed {
        user: editor.current.user.id,
        id: endpoint.id,
        plain: secret.expose().to_string(),
    };
    reveal_cookie::redirect(state, &Urls.webhooks(&id), &sealed)
}

pub(super) async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
    form: HtmlForm<AddForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.0;
    let account_id = editor.account().id;
    // Another account's id is a 404 even when the form is also invalid.
    let integration = db::query(&state.pool, move |conn| {
        Integration::find_for_account(conn, account_id, id)
    })
    .await?;
    let (new, resolved) = match parse_form(&state, &integration, &form).await {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&req, &state, account_id, id, &form, errors).await,
    };
    let secrets = state.secrets.clone();
    let added = editor
        .run(&state, move |conn, account, actor| {
            hooks::add_endpoint(conn, account, actor, &secrets, id, new)
        })
        .await;
    let (endpoint, secret) = match added {
        Ok(added) => added,
        // The scope was removed after the form was checked.
        Err(ActionError::Conflict(why)) => {
            let mut errors = FormErrors::default();
            errors.add("events", why);
            return refused(&req, &state, account_id, id, &form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    req.flash(if resolved {
        "Endpoint added."
    } else {
        "Endpoint added. Its host does not resolve yet; it is checked again at each delivery."
    });
    reveal_redirect(&state, &editor, id, &endpoint, &secret)
}
