//! What every page shares: the signed-in user, the CSRF token for its forms,
//! a flash message and the active sidebar item.

use actix_web::{HttpMessage, HttpRequest};

use crate::auth::csrf::FormToken;
use crate::auth::{CurrentUser, TypedSession};
use crate::web::urls::Urls;
use crate::web::when::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Integrations,
    AuditLog,
    Users,
    Account,
    ApiKeys,
    Profile,
    None,
}

/// The sidebar of SPEC §6, limited to the sections that exist.
const NAV: &[(&str, &str, Section)] = &[
    (Urls.settings(), "Overview", Section::Home),
    (
        Urls.integrations(),
        "Private Integrations",
        Section::Integrations,
    ),
    (Urls.audit_log(), "Audit log", Section::AuditLog),
    (Urls.users(), "Users", Section::Users),
    (Urls.account(), "Account", Section::Account),
    (Urls.api_keys(), "API keys (legacy)", Section::ApiKeys),
    (Urls.profile(), "Profile", Section::Profile),
];

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct LayoutUser {
    pub email: String,
    pub account_name: String,
    pub role: &'static str,
    pub can_edit: bool,
    /// The zone every time on the page is shown in, named beside them.
    pub time_zone: &'static str,
}

pub struct Layout {
    pub title: String,
    pub user: Option<LayoutUser>,
    pub csrf_token: String,
    pub active: Section,
    pub flash: Option<String>,
    /// The panel's paths, for the page's links and forms.
    pub urls: Urls,
}

impl Layout {
    /// The layout for a page of this request: signed in or not. A signed-in
    /// page's forms carry the session's CSRF token; a visitor's carry the
    /// sign-in and setup forms' token, and nothing is written for them.
    pub fn new(req: &HttpRequest, title: impl Into<String>, active: Section) -> Self {
        let session = TypedSession::of(req);
        let user = req.extensions().get::<CurrentUser>().map(|c| LayoutUser {
            email: c.user.email.clone(),
            account_name: c.account.name.clone(),
            role: c.user.role().as_str(),
            can_edit: c.user.role().can_edit(),
            time_zone: Zone::parse(&c.user.time_zone).unwrap_or(Zone::UTC).name(),
        });
        let (flash, csrf_token) = if user.is_some() {
            (session.take_flash(), session.csrf_token())
        } else {
            let form_token = req.extensions().get::<FormToken>().map(|t| t.0.clone());
            (None, form_token.unwrap_or_default())
        };
        Layout {
            title: title.into(),
            flash,
            user,
            csrf_token,
            active,
            urls: Urls,
        }
    }

    /// For pages rendered without a request at hand (error pages).
    pub fn bare(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            user: None,
            csrf_token: String::new(),
            active: Section::None,
            flash: None,
            urls: Urls,
        }
    }

    pub fn nav(&self) -> Vec<NavItem> {
        NAV.iter()
            .map(|&(href, label, section)| NavItem {
                href,
                label,
                active: section == self.active,
            })
            .collect()
    }
}
