//! The integration form: creating an integration (which issues its first
//! token) and editing one, each shown again with per-field errors when
//! something is wrong.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::reveal::reveal_redirect;
use crate::actions::{self, ActionError, NewIntegrationFields};
use crate::db::{self, DbError};
use crate::domain::scope::{self, Scope, ScopeSet};
use crate::domain::{cidr, text};
use crate::errors::WebError;
use crate::models::Integration;
use crate::models::integration::{IntegrationEdit, is_duplicate_name};
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::forms::{FormErrors, HtmlForm};
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::{TypedSessionExt, render, see_other};

/// Lifetimes offered at creation, in days; `None` = never expires.
const LIFETIMES: &[(Option<i32>, &str)] = &[
    (None, "Never expires"),
    (Some(30), "30 days"),
    (Some(60), "60 days"),
    (Some(90), "90 days"),
    (Some(365), "365 days"),
];

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub(super) struct IntegrationForm {
    #[validate(length(min = 1, max = 100, message = "Enter a name of 1 to 100 characters."))]
    name: String,
    #[validate(length(
        max = 500,
        message = "Keep the description to 500 characters or fewer."
    ))]
    description: String,
    scopes: Vec<String>,
    /// Create form only: the edit form leaves the lifetime as it was.
    lifetime_days: String,
    /// Addresses or CIDR blocks, one per line or comma-separated.
    ip_allowlist: String,
}

/// What a valid form says, in domain values.
struct Parsed {
    scopes: ScopeSet,
    lifetime_days: Option<i32>,
    /// Normalised CIDR blocks; empty = anywhere.
    ip_allowlist: Vec<String>,
}

struct ScopeOption {
    name: &'static str,
    label: &'static str,
    description: &'static str,
    checked: bool,
}

struct ScopeGroupView {
    name: &'static str,
    options: Vec<ScopeOption>,
}

struct LifetimeOption {
    value: String,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "integrations/form.html")]
struct FormPage {
    layout: Layout,
    /// `None` for the create form.
    integration_id: Option<Uuid>,
    name: String,
    description: String,
    ip_allowlist: String,
    groups: Vec<ScopeGroupView>,
    lifetimes: Vec<LifetimeOption>,
    errors: FormErrors,
}

impl FormPage {
    fn build(
        req: &HttpRequest,
        integration_id: Option<Uuid>,
        form: &IntegrationForm,
        errors: FormErrors,
    ) -> Self {
        let title = if integration_id.is_some() {
            "Edit integration"
        } else {
            "New private integration"
        };
        let groups = scope::groups()
            .into_iter()
            .map(|g| ScopeGroupView {
                name: g.name,
                options: g
                    .scopes
                    .into_iter()
                    .map(|s| ScopeOption {
                        name: s.name(),
                        label: s.label(),
                        description: s.description(),
                        checked: form.scopes.iter().any(|n| n == s.name()),
                    })
                    .collect(),
            })
            .collect();
        let lifetimes = LIFETIMES
            .iter()
            .map(|(days, label)| {
                let value = days.map(|d| d.to_string()).unwrap_or_default();
                LifetimeOption {
                    selected: value == form.lifetime_days,
                    value,
                    label,
                }
            })
            .collect();
        FormPage {
            layout: Layout::new(req, title, Section::Integrations),
            integration_id,
            name: form.name.clone(),
            description: form.description.clone(),
            ip_allowlist: form.ip_allowlist.clone(),
            groups,
            lifetimes,
            errors,
        }
    }

    /// The form shown again with the user's input and `errors`, as a 422.
    fn refused(
        req: &HttpRequest,
        integration_id: Option<Uuid>,
        form: &IntegrationForm,
        errors: FormErrors,
    ) -> Result<HttpResponse, WebError> {
        let page = FormPage::build(req, integration_id, form, errors);
        render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// PostgreSQL cannot store U+0000 in text: refused by the field, never a 500.
const NUL_MESSAGE: &str = "This field cannot contain a NUL character (U+0000).";

/// The error by the name field when the account already uses the name.
fn name_taken(name: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add(
        "name",
        format!("Another integration is already named “{name}” (names are compared ignoring case). Choose a different name."),
    );
    errors
}

/// Whether the database refused the name as taken. The unique index
/// decides, not an earlier lookup, so two saves of one name at once cannot
/// both pass.
fn duplicate_name(e: &ActionError) -> bool {
    matches!(e, ActionError::Db(DbError::Query(e)) if is_duplicate_name(e))
}

/// The parsed form, or every problem at once, each by its field.
fn parse_form(form: &mut IntegrationForm, with_lifetime: bool) -> Result<Parsed, FormErrors> {
    form.name = form.name.trim().to_string();
    // A browser sends a textarea's line breaks as CRLF but counts each as
    // one character against its maxlength: so does the limit here, and
    // what is stored keeps one kind of line break.
    form.description = form.description.trim().replace("\r\n", "\n");
    let mut errors = match form.validate() {
        Ok(()) => FormErrors::default(),
        Err(e) => FormErrors::from(e),
    };
    if let Some(c) = text::forbidden_in_label(&form.name) {
        errors.add(
            "name",
            format!(
                "Names cannot contain control, invisible or text-direction characters (found U+{:04X}).",
                u32::from(c)
            ),
        );
    }
    if form.description.contains('\0') {
        errors.add("description", NUL_MESSAGE);
    }
    let scopes = ScopeSet::parse(&form.scopes).map_err(|e| errors.add("scopes", e.to_string()));
    let lifetime = if with_lifetime {
        // "never" is the default's name: a script may well post it.
        let asked = match form.lifetime_days.as_str() {
            "never" => "",
            other => other,
        };
        match LIFETIMES
            .iter()
            .find(|(d, _)| d.map(|d| d.to_string()).unwrap_or_default() == asked)
        {
            Some((days, _)) => Ok(*days),
            None => {
                errors.add("lifetime_days", "Choose one of the lifetimes offered.");
                Err(())
            }
        }
    } else {
        Ok(None)
    };
    // An entry holding a NUL never parses as an address; the NUL is named
    // first as it is what the user cannot see.
    if form.ip_allowlist.contains('\0') {
        errors.add("ip_allowlist", NUL_MESSAGE);
    }
    let nets = cidr::parse_lines(&form.ip_allowlist).map_err(|bad| {
        let named: Vec<String> = bad
            .iter()
            .map(|b| {
                format!(
                    "Line {}: “{}” is not an IP address or CIDR block.",
                    b.line, b.entry
                )
            })
            .collect();
        errors.add(
            "ip_allowlist",
            format!(
                "{} Use addresses or blocks such as 203.0.113.0/24 or 2001:db8::/32.",
                named.join(" ")
            ),
        );
    });
    match (scopes, lifetime, nets, errors.is_empty()) {
        (Ok(scopes), Ok(lifetime_days), Ok(nets), true) => Ok(Parsed {
            scopes,
            lifetime_days,
            ip_allowlist: nets.iter().map(ToString::to_string).collect(),
        }),
        _ => Err(errors),
    }
}

/// Takes an [`Editor`] only to keep viewers away from the form.
pub(super) async fn new(req: HttpRequest, _editor: Editor) -> Result<HttpResponse, WebError> {
    let page = FormPage::build(
        &req,
        None,
        &IntegrationForm::default(),
        FormErrors::default(),
    );
    render(StatusCode::OK, &page)
}

pub(super) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    form: HtmlForm<IntegrationForm>,
) -> Result<HttpResponse, WebError> {
    let mut form = form.0;
    let parsed = match parse_form(&mut form, true) {
        Ok(parsed) => parsed,
        Err(errors) => return FormPage::refused(&req, None, &form, errors),
    };
    let fields = NewIntegrationFields {
        name: form.name.clone(),
        description: form.description.clone(),
        scopes: parsed.scopes,
        lifetime_days: parsed.lifetime_days,
        ip_allowlist: parsed.ip_allowlist,
    };
    let created = editor
        .run(&state, move |conn, account, actor| {
            actions::create(conn, account, actor, fields)
        })
        .await;
    let (integration, issued) = match created {
        Ok(created) => created,
        Err(e) if duplicate_name(&e) => {
            return FormPage::refused(&req, None, &form, name_taken(&form.name));
        }
        Err(e) => return Err(e.into()),
    };
    reveal_redirect(&state, &editor.current, integration.id, &issued)
}

pub(super) async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let account_id = editor.account().id;
    let integration = db::query(&state.pool, move |conn| {
        Integration::find_for_account(conn, account_id, id)
    })
    .await?;
    // `?scopes=…` pre-fills the boxes (the detail page's "Remove unused
    // scopes"); nothing changes until the form is submitted.
    let mut asked: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if let Some(scope) = Scope::parse(&value).filter(|_| key == "scopes") {
            let name = scope.name().to_string();
            if !asked.contains(&name) {
                asked.push(name);
            }
        }
    }
    let form = IntegrationForm {
        scopes: if asked.is_empty() {
            integration.scope_set().names()
        } else {
            asked
        },
        ip_allowlist: integration.ip_allowlist.join("\n"),
        name: integration.name,
        description: integration.description,
        lifetime_days: String::new(),
    };
    let page = FormPage::build(&req, Some(id), &form, FormErrors::default());
    render(StatusCode::OK, &page)
}

pub(super) async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<Uuid>,
    form: HtmlForm<IntegrationForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let mut form = form.0;
    let account_id = editor.account().id;
    // Another account's id is a 404 even when the form is also invalid.
    db::query(&state.pool, move |conn| {
        Integration::find_for_account(conn, account_id, id)
    })
    .await?;
    let edit = match parse_form(&mut form, false) {
        Ok(parsed) => IntegrationEdit {
            name: form.name.clone(),
            description: form.description.clone(),
            scopes: parsed.scopes,
            ip_allowlist: parsed.ip_allowlist,
        },
        Err(errors) => return FormPage::refused(&req, Some(id), &form, errors),
    };
    let updated = editor
        .run(&state, move |conn, account, actor| {
            actions::update(conn, account, actor, id, &edit)
        })
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if duplicate_name(&e) => {
            return FormPage::refused(&req, Some(id), &form, name_taken(&form.name));
        }
        Err(e) => return Err(e.into()),
    }
    req.flash("Changes saved. Scope changes apply to existing tokens at once.");
    Ok(see_other(&Urls.integration(&id)))
}
