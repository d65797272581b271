//! The signed-in user's own settings, open to every role: the time zone the
//! panel shows them times in, and their password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::actions::Actor;
use crate::actions::profile::{self as profile_actions, PasswordChange};
use crate::auth::{CurrentUser, TypedSession, client_ip, password};
use crate::db;
use crate::domain::password::Password;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::urls::Urls;
use crate::web::when::Zone;
use crate::web::{TypedSessionExt, render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(Urls.profile())
            .route(web::get().to(show))
            .route(web::post().to(save)),
    );
}

/// Both of the page's forms post here: the time zone form sends
/// `time_zone`, the password form the three password fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProfileForm {
    time_zone: Option<String>,
    current_password: Password,
    new_password: Password,
    new_password_confirmation: Password,
}

impl ProfileForm {
    fn changes_password(&self) -> bool {
        !(self.current_password.is_empty()
            && self.new_password.is_empty()
            && self.new_password_confirmation.is_empty())
    }
}

#[derive(Template)]
#[template(path = "profile/index.html")]
struct ProfilePage {
    layout: Layout,
    email: String,
    time_zone: String,
    /// Suggestions for the time zone field.
    zones: Vec<&'static str>,
    errors: FormErrors,
}

fn page(
    req: &HttpRequest,
    current: &CurrentUser,
    time_zone: &str,
    errors: FormErrors,
) -> ProfilePage {
    ProfilePage {
        layout: Layout::new(req, "Profile", Section::Profile),
        email: current.user.email.clone(),
        time_zone: shown_again(time_zone),
        zones: Zone::all_names().collect(),
        errors,
    }
}

async fn show(req: HttpRequest, current: CurrentUser) -> Result<HttpResponse, WebError> {
    let zone = current.user.time_zone.clone();
    render(
        StatusCode::OK,
        &page(&req, &current, &zone, FormErrors::default()),
    )
}

/// The zone the form names, or its problem.
fn parse_zone(name: &str, errors: &mut FormErrors) -> Option<Zone> {
    refuse_nul(errors, "time_zone", name);
    let zone = Zone::parse(name.trim());
    if zone.is_none() {
        errors.add(
            "time_zone",
            "Enter a time zone from the tz database, such as Europe/Paris or America/New_York.",
        );
    }
    zone
}

/// What is wrong with the new password fields, before any hashing.
fn check_new_password(form: &ProfileForm, errors: &mut FormErrors) {
    refuse_nul(errors, "new_password", form.new_password.expose());
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&form.new_password.chars()) {
        errors.add(
            "new_password",
            "Use at least 12 characters (and at most 1024).",
        );
    }
    if form.new_password != form.new_password_confirmation {
        errors.add(
            "new_password_confirmation",
            "The two new passwords do not match.",
        );
    }
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    form: HtmlForm<ProfileForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.0;
    let mut errors = FormErrors::default();
    let zone = form
        .time_zone
        .as_deref()
        .and_then(|name| parse_zone(name, &mut errors));
    // The password form carries no time zone: posted empty, it is a
    // password change with every field missing, not a time zone saved.
    let changes_password = form.changes_password() || form.time_zone.is_none();
    if changes_password {
        check_new_password(&form, &mut errors);
    }
    let shown_zone = form
        .time_zone
        .clone()
        .unwrap_or_else(|| current.user.time_zone.clone());
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&req, &current, &shown_zone, errors),
        );
    }
    // Viewers change their own profile too, so the actor is the user
    // themself rather than an editor.
    let actor = Actor {
        user_id: Some(current.user.id),
        email: Some(current.user.email.clone()),
        ip: client_ip(&req),
    };
    if changes_password {
        let hash = password::hash(form.new_password.clone())
            .await
            .map_err(|e| WebError::Internal(e.into()))?;
        let (user, actor, given) = (
            current.user.clone(),
            actor.clone(),
            form.current_password.clone(),
        );
        let changed = db::run(&state.pool, move |conn| {
            profile_actions::change_password(conn, &user, &actor, &given, &hash)
        })
        .await?;
        let refusal = match changed {
            PasswordChange::Changed => None,
            PasswordChange::WrongCurrentPassword => Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                "That is not your current password.".to_string(),
            )),
            PasswordChange::Throttled(until) => Some((
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many wrong passwords. Try again after {}.",
                    Zone::of(&req).minute(until)
                ),
            )),
        };
        if let Some((status, message)) = refusal {
            let mut errors = FormErrors::default();
            errors.add("current_password", message);
            return render(status, &page(&req, &current, &shown_zone, errors));
        }
        // Every stored session of the user is gone; this one is stored again
        // under a new id as the response goes out.
        TypedSession::of(&req).renew();
    }
    if let Some(zone) = zone {
        let user = current.user.clone();
        db::run(&state.pool, move |conn| {
            profile_actions::set_time_zone(conn, &user, &actor, zone.name())
        })
        .await
        .map_err(WebError::from)?;
    }
    req.flash(match (changes_password, zone.is_some()) {
        (true, true) => "Password changed and time zone saved. Your other sessions have ended.",
        (true, false) => "Password changed. Your other sessions have ended.",
        _ => "Time zone saved.",
    });
    Ok(see_other(Urls.profile()))
}
