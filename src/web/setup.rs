//! First run: creates the account and its owner while no user exists.

use std::sync::atomic::Ordering;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::actions::people;
use crate::auth::client_ip;
use crate::auth::{TypedSession, password};
use crate::db::{self};
use crate::domain::email::Email;
use crate::domain::password::Password;
use crate::errors::WebError;
use crate::models::User;
use crate::state::AppState;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::{render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/setup")
            .route(web::get().to(show))
            .route(web::post().to(submit)),
    );
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct SetupForm {
    #[validate(length(
        min = 1,
        max = 100,
        message = "Enter an account name of 1 to 100 characters."
    ))]
    account_name: String,
    email: String,
    /// Checked by hand: validator's derive would copy the value into its
    /// error report.
    password: Password,
    password_confirmation: Password,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    account_name: String,
    email: String,
    errors: FormErrors,
}

async fn ensure_first_run(state: &AppState) -> Result<(), WebError> {
    if state.setup_done.load(Ordering::Relaxed) {
        return Err(WebError::NotFound);
    }
    let exists = db::query(&state.pool, User::any_exists).await?;
    if exists {
        state.setup_done.store(true, Ordering::Relaxed);
        return Err(WebError::NotFound);
    }
    Ok(())
}

async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    ensure_first_run(&state).await?;
    let page = SetupPage {
        layout: Layout::new(&req, "Set up your account", Section::None),
        account_name: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &page)
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    form: HtmlForm<SetupForm>,
) -> Result<HttpResponse, WebError> {
    ensure_first_run(&state).await?;
    let mut form = form.0;
    form.account_name = form.account_name.trim().to_string();

    let mut errors = FormErrors::default();
    refuse_nul(&mut errors, "account_name", &form.account_name);
    refuse_nul(&mut errors, "email", &form.email);
    refuse_nul(&mut errors, "password", form.password.expose());
    refuse_nul(
        &mut errors,
        "password_confirmation",
        form.password_confirmation.expose(),
    );
    if let Err(e) = form.validate() {
        errors.merge(FormErrors::from(e));
    }
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&form.password.chars()) {
        errors.add("password", "Use at least 12 characters (and at most 1024).");
    }
    if form.password != form.password_confirmation {
        errors.add("password_confirmation", "The two passwords do not match.");
    }
    let email = Email::parse(&form.email);
    if email.is_none() {
        errors.add("email", "Enter a valid email address.");
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        let page = SetupPage {
            layout: Layout::new(&req, "Set up your account", Section::None),
            account_name: shown_again(&form.account_name),
            email: shown_again(&form.email),
            errors,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let hash = password::hash(form.password)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let ip = client_ip(&req);
    let account_name = form.account_name;
    let created = db::run(&state.pool, move |conn| {
        people::set_up(conn, &account_name, &email, &hash, &ip)
    })
    .await?;
    let Some(user) = created else {
        return Err(WebError::NotFound);
    };
    state.setup_done.store(true, Ordering::Relaxed);
    session
        .log_in(user.id)
        .map_err(|e| WebError::Internal(e.into()))?;
    session.set_flash("Your account is ready. Welcome!");
    Ok(see_other("/settings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_form_in_a_log_line_shows_no_password() {
        let form: SetupForm = serde_html_form::from_str(
            "account_name=Acme&email=ada%40example.com&password=hunter2+hunter2\
             &password_confirmation=hunter2+hunter3",
        )
        .unwrap();
        let logged = format!("{form:?}");
        assert!(logged.contains("Acme"), "{logged}");
        assert!(!logged.contains("hunter"), "{logged}");
    }
}
