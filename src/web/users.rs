//! The account's users: everyone signed in sees who has access and with
//! which role; only an owner adds people, changes roles and removes people
//! (admins and viewers get the list without buttons, and 403 on the forms).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::actions::contacts::ContactEvents;
use crate::actions::{self, ActionError};
use crate::auth::{CurrentUser, password};
use crate::db::{self, DbError};
use crate::domain::email::Email;
use crate::domain::password::Password;
use crate::errors::WebError;
use crate::models::user::is_duplicate_email;
use crate::models::{Role, User};
use crate::state::AppState;
use crate::web::editor::OwnerEditor;
use crate::web::forms::{FormErrors, HtmlForm, refuse_nul, shown_again};
use crate::web::layout::{Layout, Section};
use crate::web::urls::{Urls, user_routes as route};
use crate::web::when::Zone;
use crate::web::{TypedSessionExt, render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(Urls.users())
            .route(route::LIST, web::get().to(index))
            .route(route::LIST, web::post().to(add))
            .route(route::ROLE, web::post().to(change_role))
            .route(route::REMOVE, web::post().to(remove)),
    );
}

/// The roles the add form offers: owners are made by promotion, so that
/// making one is a deliberate second step.
const ADDABLE: [Role; 2] = [Role::Admin, Role::Viewer];
const ROLES: [Role; 3] = [Role::Owner, Role::Admin, Role::Viewer];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AddForm {
    email: String,
    role: String,
    /// Never shown again, never logged (see [`Password`]).
    password: Password,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleForm {
    role: String,
}

/// A role the owner can give a user from their row.
struct RoleChange {
    role: &'static str,
    label: String,
    /// A demotion asks first.
    demotion: bool,
    question: String,
}

struct UserRow {
    id: Uuid,
    email: String,
    role: &'static str,
    added: String,
    last_login: String,
    is_you: bool,
    changes: Vec<RoleChange>,
    remove_question: String,
}

struct RoleOption {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "users/index.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<UserRow>,
    can_manage: bool,
    /// The add form, as typed.
    email: String,
    roles: Vec<RoleOption>,
    errors: FormErrors,
    /// Why a role change or removal was refused.
    problem: Option<String>,
}

fn row(user: User, me: Uuid, zone: Zone) -> UserRow {
    let role = user.role();
    let is_you = user.id == me;
    let whom = if is_you {
        "yourself".to_string()
    } else {
        user.email.clone()
    };
    let changes = ROLES
        .iter()
        .filter(|r| **r != role)
        .map(|r| RoleChange {
            role: r.as_str(),
            label: format!("Make {}", r.as_str()),
            demotion: r.rank() < role.rank(),
            question: format!(
                "Make {whom} {} {}? {}",
                article(*r),
                r.as_str(),
                what_they_can_do(*r)
            ),
        })
        .collect();
    UserRow {
        id: user.id,
        role: role.as_str(),
        added: zone.minute(user.created_at),
        last_login: zone.minute_or_never(user.last_login_at),
        is_you,
        changes,
        remove_question: format!(
            "Remove {whom}? They lose access at once and every session of theirs ends."
        ),
        email: user.email,
    }
}

fn article(role: Role) -> &'static str {
    if role == Role::Admin { "an" } else { "a" }
}

fn what_they_can_do(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owners also manage people and the account's settings.",
        Role::Admin => "Admins manage integrations and tokens, but not people or the account.",
        Role::Viewer => "Viewers only read: they can no longer change integrations or tokens.",
    }
}

/// The page, with the add form as typed and what went wrong, if anything.
async fn page(
    req: &HttpRequest,
    state: &AppState,
    current: &CurrentUser,
    form: &AddForm,
    errors: FormErrors,
    problem: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let account_id = current.account.id;
    let users = db::query(&state.pool, move |conn| User::of_account(conn, account_id)).await?;
    let me = current.user.id;
    let chosen = Role::parse(form.role.trim()).unwrap_or(Role::Admin);
    let view = UsersPage {
        layout: Layout::new(req, "Users", Section::Users),
        rows: users
            .into_iter()
            .map(|u| row(u, me, Zone::of(req)))
            .collect(),
        can_manage: current.user.role() == Role::Owner,
        email: shown_again(&form.email),
        roles: ADDABLE
            .iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                selected: *r == chosen,
            })
            .collect(),
        errors,
        problem,
    };
    render(status, &view)
}

async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, WebError> {
    page(
        &req,
        &state,
        &current,
        &AddForm::default(),
        FormErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The add form's values, or every problem with them.
fn parse_add(form: &AddForm) -> Result<(Email, Role), FormErrors> {
    let mut errors = FormErrors::default();
    refuse_nul(&mut errors, "email", &form.email);
    refuse_nul(&mut errors, "password", form.password.expose());
    let email = Email::parse(&form.email);
    if email.is_none() {
        errors.add("email", "Enter a valid email address.");
    }
    let role = Role::parse(&form.role).filter(|r| ADDABLE.contains(r));
    if role.is_none() {
        errors.add("role", "Choose admin or viewer.");
    }
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&form.password.chars()) {
        errors.add("password", "Use at least 12 characters (and at most 1024).");
    }
    match (email, role, errors.is_empty()) {
        (Some(email), Some(role), true) => Ok((email, role)),
        _ => Err(errors),
    }
}

async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    owner: OwnerEditor,
    form: HtmlForm<AddForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.0;
    let current = &owner.0.current;
    let refused = |errors| {
        page(
            &req,
            &state,
            current,
            &form,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let (email, role) = match parse_add(&form) {
        Ok(parsed) => parsed,
        Err(errors) => return refused(errors).await,
    };
    let hash = password::hash(form.password.clone())
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let (account_id, actor) = (current.account.id, owner.0.actor.clone());
    let added = db::run(&state.pool, move |conn| {
        actions::users::add(conn, account_id, &actor, &email, &hash, role)
    })
    .await;
    match added {
        Ok(user) => {
            req.flash(&format!("Added {} as {}.", user.email, role.as_str()));
            Ok(see_other(Urls.users()))
        }
        Err(ActionError::Db(DbError::Query(e))) if is_duplicate_email(&e) => {
            let mut errors = FormErrors::default();
            errors.add("email", "Someone already signs in with this email.");
            refused(errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A role change or removal refused: the page again, saying why.
async fn refused_change(
    req: &HttpRequest,
    state: &AppState,
    owner: &OwnerEditor,
    problem: &str,
) -> Result<HttpResponse, WebError> {
    page(
        req,
        state,
        &owner.0.current,
        &AddForm::default(),
        FormErrors::default(),
        Some(problem.to_string()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    owner: OwnerEditor,
    path: web::Path<Uuid>,
    form: HtmlForm<RoleForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let Some(role) = Role::parse(&form.0.role) else {
        return refused_change(&req, &state, &owner, "Choose owner, admin or viewer.").await;
    };
    let (account_id, actor) = (owner.0.account().id, owner.0.actor.clone());
    let changed = db::run(&state.pool, move |conn| {
        actions::users::change_role(conn, account_id, &actor, id, role)
    })
    .await;
    match changed {
        Ok(user) => {
            req.flash(&format!(
                "{} is now {} {}.",
                user.email,
                article(role),
                role.as_str()
            ));
            Ok(see_other(Urls.users()))
        }
        Err(ActionError::Conflict(problem)) => refused_change(&req, &state, &owner, problem).await,
        Err(e) => Err(e.into()),
    }
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    owner: OwnerEditor,
    path: web::Path<Uuid>,
    events: web::Data<ContactEvents>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (account_id, actor) = (owner.0.account().id, owner.0.actor.clone());
    let themselves = id == owner.0.current.user.id;
    let events = **events;
    let removed = db::run(&state.pool, move |conn| {
        actions::users::remove(conn, account_id, &actor, id, events)
    })
    .await;
    match removed {
        // An owner who removed themselves has no session left to come
        // back to.
        Ok(_) if themselves => Ok(see_other("/login")),
        Ok(user) => {
            req.flash(&format!(
                "Removed {}. Their sessions have ended.",
                user.email
            ));
            Ok(see_other(Urls.users()))
        }
        Err(ActionError::Conflict(problem)) => refused_change(&req, &state, &owner, problem).await,
        Err(e) => Err(e.into()),
    }
}
