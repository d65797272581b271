//! The account's settings (owners only): its name and how long a token may
//! go unused before it stops working.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::actions;
use crate::domain::text;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::editor::OwnerEditor;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::{TypedSessionExt, render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(Urls.account())
            .route(web::get().to(show))
            .route(web::post().to(save)),
    );
}

/// The inactivity windows offered: the form's value, the stored days
/// (`None` = off) and the words.
const WINDOWS: [(&str, Option<i32>, &str); 4] = [
    ("off", None, "Off — tokens never expire from disuse"),
    ("30", Some(30), "30 days"),
    ("60", Some(60), "60 days"),
    ("90", Some(90), "90 days (the default)"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AccountForm {
    name: String,
    inactivity_expiry_days: String,
}

impl AccountForm {
    fn of(account: &crate::models::Account) -> Self {
        AccountForm {
            name: account.name.clone(),
            inactivity_expiry_days: window_value(account.inactivity_expiry_days).to_string(),
        }
    }
}

fn window_value(days: Option<i32>) -> &'static str {
    WINDOWS
        .iter()
        .find(|(_, d, _)| *d == days)
        .map_or("", |(value, _, _)| value)
}

struct WindowOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    windows: Vec<WindowOption>,
    errors: FormErrors,
}

fn page(req: &HttpRequest, form: &AccountForm, errors: FormErrors) -> AccountPage {
    let chosen = form.inactivity_expiry_days.trim();
    AccountPage {
        layout: Layout::new(req, "Account", Section::Account),
        name: shown_again(&form.name),
        windows: WINDOWS
            .iter()
            .map(|&(value, _, label)| WindowOption {
                value,
                label,
                selected: value == chosen,
            })
            .collect(),
        errors,
    }
}

async fn show(req: HttpRequest, owner: OwnerEditor) -> Result<HttpResponse, WebError> {
    let form = AccountForm::of(owner.0.account());
    render(StatusCode::OK, &page(&req, &form, FormErrors::default()))
}

/// The name and window the form asks for, or every problem with them.
fn parse(form: &mut AccountForm) -> Result<(String, Option<i32>), FormErrors> {
    let mut errors = FormErrors::default();
    form.name = form.name.trim().to_string();
    refuse_nul(&mut errors, "name", &form.name);
    let length = form.name.chars().count();
    if !(1..=100).contains(&length) {
        errors.add("name", "Enter an account name of 1 to 100 characters.");
    }
    if let Some(c) = text::forbidden_in_label(&form.name) {
        errors.add(
            "name",
            format!(
                "Names cannot contain control, invisible or text-direction characters (found U+{:04X}).",
                u32::from(c)
            ),
        );
    }
    let window = WINDOWS
        .iter()
        .find(|(value, _, _)| *value == form.inactivity_expiry_days.trim())
        .map(|(_, days, _)| *days);
    if window.is_none() {
        errors.add("inactivity_expiry_days", "Choose off, 30, 60 or 90 days.");
    }
    match (window, errors.is_empty()) {
        (Some(days), true) => Ok((form.name.clone(), days)),
        _ => Err(errors),
    }
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    owner: OwnerEditor,
    form: HtmlForm<AccountForm>,
) -> Result<HttpResponse, WebError> {
    let mut form = form.0;
    let (name, days) = match parse(&mut form) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &form, errors));
        }
    };
    // Through the editor, so this instance forgets the account's cached
    // tokens before answering; the action's NOTIFY tells the others.
    owner
        .0
        .run(&state, move |conn, account, actor| {
            actions::account::update(conn, account.id, actor, Some(&name), days)
        })
        .await?;
    req.flash("Account settings saved.");
    Ok(see_other(Urls.account()))
}
