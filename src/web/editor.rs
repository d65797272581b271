//! The signed-in user about to change something. Only owners and admins get
//! an [`Editor`], and only owners an [`OwnerEditor`], so every changing
//! handler starts from one instead of checking the role itself, and it
//! carries the [`Actor`] the audit log names.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use diesel::PgConnection;
use uuid::Uuid;

use crate::actions::{ActionError, Actor};
use crate::auth::CurrentUser;
use crate::auth::client_ip;
use crate::db;
use crate::errors::WebError;
use crate::models::{Account, Role};
use crate::state::AppState;

pub struct Editor {
    pub current: CurrentUser,
    pub actor: Actor,
}

impl FromRequest for Editor {
    type Error = WebError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(current) = req.extensions().get::<CurrentUser>().cloned() else {
            return ready(Err(WebError::SignInRequired));
        };
        if !current.user.role().can_edit() {
            return ready(Err(WebError::Forbidden("viewers only read")));
        }
        let actor = Actor {
            user_id: Some(current.user.id),
            email: Some(current.user.email.clone()),
            ip: client_ip(req),
        };
        ready(Ok(Editor { current, actor }))
    }
}

/// An [`Editor`] who owns the account: the account's people and settings
/// are the owners' alone; admins and viewers get 403.
pub struct OwnerEditor(pub Editor);

impl FromRequest for OwnerEditor {
    type Error = WebError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            Editor::from_request(req, payload)
                .into_inner()
                .and_then(|editor| {
                    if editor.current.user.role() == Role::Owner {
                        Ok(OwnerEditor(editor))
                    } else {
                        Err(WebError::Forbidden("owners only"))
                    }
                }),
        )
    }
}

impl Editor {
    pub fn account(&self) -> &Account {
        &self.current.account
    }

    /// Runs an action on the editor's account, on the blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        state: &AppState,
        f: impl FnOnce(&mut PgConnection, &Account, &Actor) -> Result<T, ActionError> + Send + 'static,
    ) -> Result<T, ActionError> {
        let account = self.current.account.clone();
        let actor = self.actor.clone();
        // What this instance kept of the account is forgotten by the
        // sign-in gate once the request is answered, as for every form.
        db::run(&state.pool, move |conn| f(conn, &account, &actor)).await
    }

    /// As [`Self::run`], for an action on one object named by its id
    /// (`actions::generate`, `actions::delete`, ...).
    pub async fn run_on<T: Send + 'static>(
        &self,
        state: &AppState,
        id: Uuid,
        action: fn(&mut PgConnection, &Account, &Actor, Uuid) -> Result<T, ActionError>,
    ) -> Result<T, ActionError> {
        self.run(state, move |conn, account, actor| {
            action(conn, account, actor, id)
        })
        .await
    }
}
