//! Every panel path in one typed place: handlers redirect to these, the
//! sidebar and templates link to them, and the routes are registered from
//! the patterns beside them, so a link and its route cannot drift apart.
//!
//! Templates reach the paths through the [`Urls`] value every page's layout
//! carries (`layout.urls.integration(id)`); a test below checks each path
//! against the route pattern that serves it.

use uuid::Uuid;

const SETTINGS: &str = "/settings";
const INTEGRATIONS: &str = "/settings/private-integrations";
const API_KEYS: &str = "/settings/api-keys";
const API_KEY_GENERATE: &str = "/settings/api-keys/generate";
const API_KEY_DISABLE: &str = "/settings/api-keys/disable";
const API_KEY_REVEAL: &str = "/settings/api-keys/key";
const AUDIT_LOG: &str = "/settings/audit-log";
const AUDIT_LOG_CSV: &str = "/settings/audit-log.csv";
const USERS: &str = "/settings/users";
const ACCOUNT: &str = "/settings/account";
const PROFILE: &str = "/settings/profile";

/// Actix route patterns under [`Urls::integrations`], each next to the
/// [`Urls`] method that builds its paths.
pub mod integration_routes {
    pub const LIST: &str = "";
    pub const NEW: &str = "/new";
    pub const SHOW: &str = "/{id}";
    pub const EDIT: &str = "/{id}/edit";
    pub const DELETE: &str = "/{id}/delete";
    pub const TOKEN: &str = "/{id}/token";
    pub const ROTATE: &str = "/{id}/rotate";
    pub const GENERATE: &str = "/{id}/generate";
    pub const CANCEL_ROTATION: &str = "/{id}/cancel-rotation";
    pub const EXPIRE_TOKEN: &str = "/{id}/tokens/{token_id}/expire";
    pub const REQUESTS: &str = "/{id}/requests";
    pub const REQUESTS_CSV: &str = "/{id}/requests.csv";
    pub const DISMISS_ALERT: &str = "/{id}/alerts/{alert_id}/dismiss";
}

/// Actix route patterns of an integration's webhook pages, under
/// [`Urls::integrations`] like [`integration_routes`].
pub mod webhook_routes {
    pub const LIST: &str = "/{id}/webhooks";
    pub const DELETE: &str = "/{id}/webhooks/{endpoint_id}/delete";
    pub const ENABLE: &str = "/{id}/webhooks/{endpoint_id}/enable";
    pub const DISABLE: &str = "/{id}/webhooks/{endpoint_id}/disable";
    pub const ROLL_SECRET: &str = "/{id}/webhooks/{endpoint_id}/roll-secret";
    pub const TEST: &str = "/{id}/webhooks/{endpoint_id}/test";
    pub const DELIVERIES: &str = "/{id}/webhooks/{endpoint_id}/deliveries";
    pub const RESEND: &str = "/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend";
}

/// Actix route patterns under [`Urls::users`].
pub mod user_routes {
    pub const LIST: &str = "";
    pub const ROLE: &str = "/{id}/role";
    pub const REMOVE: &str = "/{id}/remove";
}

/// The panel's paths. A value so that templates can call it; Rust code
/// writes `Urls.integration(&id)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Urls;

impl Urls {
    /// The Settings home, where signing in lands.
    pub const fn settings(&self) -> &'static str {
        SETTINGS
    }

    pub const fn integrations(&self) -> &'static str {
        INTEGRATIONS
    }

    pub fn new_integration(&self) -> String {
        format!("{INTEGRATIONS}/new")
    }

    /// The detail page.
    pub fn integration(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}")
    }

    pub fn edit_integration(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/edit")
    }

    pub fn delete_integration(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/delete")
    }

    /// The one-time reveal page of the integration's newest token; its
    /// reveal cookie is scoped to this path.
    pub fn token_reveal(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/token")
    }

    pub fn rotate(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/rotate")
    }

    pub fn generate(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/generate")
    }

    pub fn cancel_rotation(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/cancel-rotation")
    }

    pub fn expire_token(&self, id: &Uuid, token_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/tokens/{token_id}/expire")
    }

    /// The integration's request log; takes its filters.
    pub fn requests(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/requests")
    }

    /// The request log as CSV; takes the page's filters.
    pub fn requests_csv(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/requests.csv")
    }

    pub fn dismiss_alert(&self, id: &Uuid, alert_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/alerts/{alert_id}/dismiss")
    }

    /// The integration's webhook endpoints and the add form; a new signing
    /// secret's reveal cookie is scoped to this path.
    pub fn webhooks(&self, id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks")
    }

    pub fn delete_webhook(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/delete")
    }

    pub fn enable_webhook(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/enable")
    }

    pub fn disable_webhook(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/disable")
    }

    pub fn roll_webhook_secret(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/roll-secret")
    }

    pub fn test_webhook(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/test")
    }

    /// An endpoint's delivery log.
    pub fn webhook_deliveries(&self, id: &Uuid, endpoint_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/deliveries")
    }

    pub fn resend_delivery(&self, id: &Uuid, endpoint_id: &Uuid, delivery_id: &Uuid) -> String {
        format!("{INTEGRATIONS}/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend")
    }

    pub const fn api_keys(&self) -> &'static str {
        API_KEYS
    }

    pub const fn generate_api_key(&self) -> &'static str {
        API_KEY_GENERATE
    }

    pub const fn disable_api_key(&self) -> &'static str {
        API_KEY_DISABLE
    }

    /// The one-time reveal page of the API v1 key; its cookie's path.
    pub const fn api_key_reveal(&self) -> &'static str {
        API_KEY_REVEAL
    }

    pub const fn audit_log(&self) -> &'static str {
        AUDIT_LOG
    }

    /// The audit log as CSV; takes the page's filters.
    pub const fn audit_log_csv(&self) -> &'static str {
        AUDIT_LOG_CSV
    }

    /// The account's users; the add form posts here.
    pub const fn users(&self) -> &'static str {
        USERS
    }

    /// The account's settings (owners only); its form posts here.
    pub const fn account(&self) -> &'static str {
        ACCOUNT
    }

    /// The signed-in user's own settings; both of its forms post here.
    pub const fn profile(&self) -> &'static str {
        PROFILE
    }

    pub fn user_role(&self, id: &Uuid) -> String {
        format!("{USERS}/{id}/role")
    }

    pub fn remove_user(&self, id: &Uuid) -> String {
        format!("{USERS}/{id}/remove")
    }
}

#[cfg(test)]
mod tests {
    use actix_web::dev::ResourceDef;

    use super::integration_routes as route;
    use super::user_routes;
    use super::webhook_routes as hook;
    use super::*;

    #[test]
    fn every_integration_path_is_served_by_its_route_pattern() {
        let (id, token_id) = (Uuid::new_v4(), Uuid::new_v4());
        let (endpoint_id, delivery_id) = (Uuid::new_v4(), Uuid::new_v4());
        let alert_id = Uuid::new_v4();
        let u = Urls;
        let pairs = [
            (route::LIST, u.integrations().to_string()),
            (route::NEW, u.new_integration()),
            (route::SHOW, u.integration(&id)),
            (route::EDIT, u.edit_integration(&id)),
            (route::DELETE, u.delete_integration(&id)),
            (route::TOKEN, u.token_reveal(&id)),
            (route::ROTATE, u.rotate(&id)),
            (route::GENERATE, u.generate(&id)),
            (route::CANCEL_ROTATION, u.cancel_rotation(&id)),
            (route::EXPIRE_TOKEN, u.expire_token(&id, &token_id)),
            (route::REQUESTS, u.requests(&id)),
            (route::REQUESTS_CSV, u.requests_csv(&id)),
            (route::DISMISS_ALERT, u.dismiss_alert(&id, &alert_id)),
            (hook::LIST, u.webhooks(&id)),
            (hook::DELETE, u.delete_webhook(&id, &endpoint_id)),
            (hook::ENABLE, u.enable_webhook(&id, &endpoint_id)),
            (hook::DISABLE, u.disable_webhook(&id, &endpoint_id)),
            (hook::ROLL_SECRET, u.roll_webhook_secret(&id, &endpoint_id)),
            (hook::TEST, u.test_webhook(&id, &endpoint_id)),
            (hook::DELIVERIES, u.webhook_deliveries(&id, &endpoint_id)),
            (
                hook::RESEND,
                u.resend_delivery(&id, &endpoint_id, &delivery_id),
            ),
        ];
        for (pattern, path) in pairs {
            let def = ResourceDef::new(format!("{INTEGRATIONS}{pattern}"));
            let mut matched = actix_web::dev::Path::new(path.as_str());
            assert!(def.capture_match_info(&mut matched), "{pattern} ~ {path}");
            if pattern.contains("{id}") {
                assert_eq!(matched.get("id"), Some(id.to_string().as_str()), "{path}");
            }
            if pattern.contains("{token_id}") {
                assert_eq!(matched.get("token_id"), Some(token_id.to_string().as_str()));
            }
            if pattern.contains("{alert_id}") {
                assert_eq!(matched.get("alert_id"), Some(alert_id.to_string().as_str()));
            }
            if pattern.contains("{endpoint_id}") {
                assert_eq!(
                    matched.get("endpoint_id"),
                    Some(endpoint_id.to_string().as_str())
                );
            }
            if pattern.contains("{delivery_id}") {
                assert_eq!(
                    matched.get("delivery_id"),
                    Some(delivery_id.to_string().as_str())
                );
            }
        }
    }

    #[test]
    fn every_user_path_is_served_by_its_route_pattern() {
        let id = Uuid::new_v4();
        let u = Urls;
        let pairs = [
            (user_routes::LIST, u.users().to_string()),
            (user_routes::ROLE, u.user_role(&id)),
            (user_routes::REMOVE, u.remove_user(&id)),
        ];
        for (pattern, path) in pairs {
            let def = ResourceDef::new(format!("{USERS}{pattern}"));
            let mut matched = actix_web::dev::Path::new(path.as_str());
            assert!(def.capture_match_info(&mut matched), "{pattern} ~ {path}");
            if pattern.contains("{id}") {
                assert_eq!(matched.get("id"), Some(id.to_string().as_str()), "{path}");
            }
        }
    }
}
