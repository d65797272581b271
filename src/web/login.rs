//! Signing in and out, with a throttle on failed attempts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::actions::people::{self, SignInAttempt};
use crate::auth::client_ip;
use crate::auth::visitor_notice::{self, Notice};
use crate::auth::{CurrentUser, TypedSession, next, password};
use crate::db::{self};
use crate::domain::email;
use crate::domain::password::Password;
use crate::errors::WebError;
use crate::state::AppState;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::{render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/login")
            .route(web::get().to(show))
            .route(web::post().to(submit)),
    )
    .service(web::resource("/logout").route(web::post().to(logout)))
    .service(web::resource("/").route(web::get().to(home)));
}

async fn home() -> HttpResponse {
    see_other("/settings")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: Password,
    /// The page to return to; ignored unless it is a path on this site.
    next: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    /// Carried through the form, already checked to be a path on this site.
    next: String,
    /// A message about the whole attempt (wrong credentials, throttled).
    problem: Option<String>,
    /// A word to a visitor who just signed out.
    notice: Option<&'static str>,
    errors: FormErrors,
}

fn page(
    req: &HttpRequest,
    email: String,
    next: Option<String>,
    problem: Option<String>,
    errors: FormErrors,
) -> LoginPage {
    LoginPage {
        layout: Layout::new(req, "Sign in", Section::None),
        email,
        next: next.unwrap_or_default(),
        problem,
        notice: None,
        errors,
    }
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, WebError> {
    let return_to = next::from_query(req.query_string());
    if session.user_id().is_some() {
        return Ok(see_other(return_to.as_deref().unwrap_or(next::DEFAULT)));
    }
    let notice = visitor_notice::take(&req, &state);
    let mut login = page(&req, String::new(), return_to, None, FormErrors::default());
    login.notice = notice.map(Notice::words);
    let mut response = render(StatusCode::OK, &login)?;
    // "Signed out" is said once; "not made" is said again after sign-in.
    if notice == Some(Notice::SignedOut) {
        visitor_notice::clear(&mut response, &state)?;
    }
    Ok(response)
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    form: HtmlForm<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let LoginForm {
        email: raw_email,
        password,
        next: raw_next,
    } = form.0;
    // `next` rides in the form; a form that carries it in its action's
    // query instead is heard too.
    let return_to = if raw_next.is_empty() {
        next::from_query(req.query_string())
    } else {
        next::same_site_path(&raw_next)
    };
    let email = email::normalize(&raw_email);
    let mut errors = FormErrors::default();
    refuse_nul(&mut errors, "email", &raw_email);
    if email.is_empty() {
        errors.add("email", "Enter your email address.");
    }
    refuse_nul(&mut errors, "password", password.expose());
    if password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    if !errors.is_empty() {
        let page = page(&req, shown_again(&raw_email), return_to, None, errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let ip = client_ip(&req);

    let lookup_ip = ip.clone();
    let admitted = db::run(&state.pool, move |conn| {
        people::begin_sign_in(conn, &email, &lookup_ip)
    })
    .await?;
    let SignInAttempt {
        attempt,
        user: found,
    } = match admitted {
        Ok(admitted) => admitted,
        Err(until) => {
            let minutes = (until - Utc::now()).num_minutes().max(0) + 1;
            tracing::warn!(ip = %ip, "sign-in refused by the throttle");
            let problem = format!(
                "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            let page = page(
                &req,
                raw_email,
                return_to,
                Some(problem),
                FormErrors::default(),
            );
            return render(StatusCode::TOO_MANY_REQUESTS, &page);
        }
    };

    let (user, stored_hash) = found.unzip();
    let ok = password::verify(password, stored_hash).await;

    let record_user = user.clone();
    let record_ip = ip.clone();
    db::run(&state.pool, move |conn| {
        people::finish_sign_in(conn, attempt, record_user.as_ref(), ok, &record_ip)
    })
    .await?;

    match (ok, user) {
        (true, Some(user)) => {
            session
                .log_in(user.id)
                .map_err(|e| WebError::Internal(e.into()))?;
            let notice = visitor_notice::take(&req, &state);
            if notice == Some(Notice::NotSaved) {
                session.set_flash(
                    "Nothing was changed while you were signed out: make the change again.",
                );
            }
            let mut response = see_other(return_to.as_deref().unwrap_or(next::DEFAULT));
            if notice.is_some() {
                visitor_notice::clear(&mut response, &state)?;
            }
            Ok(response)
        }
        _ => {
            let problem = Some("Incorrect email or password.".to_string());
            let page = page(&req, raw_email, return_to, problem, FormErrors::default());
            render(StatusCode::UNAUTHORIZED, &page)
        }
    }
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    let ip = client_ip(&req);
    db::run(&state.pool, move |conn| {
        people::sign_out(conn, &current.user, &ip)
    })
    .await?;
    session.log_out();
    let mut response = see_other("/login");
    visitor_notice::set(&mut response, &state, Notice::SignedOut)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_form_in_a_log_line_shows_no_password() {
        let form: LoginForm =
            serde_html_form::from_str("email=ada%40example.com&password=hunter2+hunter2").unwrap();
        let logged = format!("{form:?}");
        assert!(logged.contains("ada@example.com"), "{logged}");
        assert!(!logged.contains("hunter2"), "{logged}");
    }
}
