//! Alert banners on an integration's page, in words ("A token rotated out
//! on 12 Nov was used from 203.0.113.7 — it may be leaked"), and the
//! editors' dismiss action.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::actions;
use crate::errors::WebError;
use crate::models::AccessToken;
use crate::models::access_token::reason;
use crate::models::alert::{Alert, AlertKind};
use crate::state::AppState;
use crate::web::editor::Editor;
use crate::web::urls::Urls;
use crate::web::when::Zone;
use crate::web::{TypedSessionExt, see_other};

pub struct AlertView {
    pub id: Uuid,
    pub kind: &'static str,
    pub text: String,
}

/// "12 Nov", the day it was where the reader is.
fn day(t: DateTime<Utc>, zone: Zone) -> String {
    zone.day_of(t).format("%-d %b").to_string()
}

/// How a dead token came to be dead, for the banner.
fn how_it_ended(t: &AccessToken, zone: Zone) -> String {
    let day = |at| day(at, zone);
    match (t.revoked_reason.as_deref(), t.revoked_at) {
        (Some(reason::ROTATED), Some(at)) => format!("rotated out on {}", day(at)),
        (Some(reason::INACTIVE), Some(at)) => format!("expired for disuse on {}", day(at)),
        (Some(reason::ROTATION_CANCELLED), Some(at)) => {
            format!("withdrawn by a cancelled rotation on {}", day(at))
        }
        (Some(_), Some(at)) => format!("expired on {}", day(at)),
        _ => t.ends_at().map_or_else(
            || "no longer valid".to_string(),
            |end| format!("expired on {}", day(end)),
        ),
    }
}

/// The banners of `alerts`, with days as they fall in `zone`; `tokens` are
/// the integration's, dead ones too.
pub fn views(alerts: Vec<Alert>, tokens: &[AccessToken], zone: Zone) -> Vec<AlertView> {
    let by_id: HashMap<Uuid, &AccessToken> = tokens.iter().map(|t| (t.id, t)).collect();
    alerts
        .into_iter()
        .filter_map(|a| {
            let kind = AlertKind::parse(&a.kind)?;
            let token = by_id.get(&a.token_id)?;
            let text = match kind {
                AlertKind::RevokedTokenUsed => format!(
                    "A token {} ({}) was used from {} on {} — it may be leaked.",
                    how_it_ended(token, zone),
                    token.masked(),
                    a.ip,
                    day(a.created_at, zone)
                ),
                AlertKind::NewIp => format!(
                    "{} was used from a new address, {}, on {}.",
                    token.masked(),
                    a.ip,
                    day(a.created_at, zone)
                ),
            };
            Some(AlertView {
                id: a.id,
                kind: kind.as_str(),
                text,
            })
        })
        .collect()
}

pub(super) async fn dismiss(
    req: HttpRequest,
    state: web::Data<AppState>,
    editor: Editor,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, WebError> {
    let (id, alert_id) = path.into_inner();
    editor
        .run(&state, move |conn, account, actor| {
            actions::alerts::dismiss(conn, account, actor, id, alert_id)
        })
        .await?;
    req.flash("Alert dismissed.");
    Ok(see_other(&Urls.integration(&id)))
}
