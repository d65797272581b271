//! One file per table: the row type, its insertable, and the queries on it.
//! Every query that reads an account's objects takes the account id.

pub mod access_token;
pub mod account;
pub mod alert;
pub mod api_request;
pub mod audit_event;
pub mod contact;
pub mod contact_bulk;
pub mod contact_note;
pub mod custom_field;
pub mod email_notice;
pub mod integration;
pub mod integration_list;
pub mod legacy_api_key;
pub mod location_tag;
pub mod login_attempt;
pub mod request_log;
pub mod server_secret;
pub mod session;
pub mod token_change;
pub mod token_ending;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event;
pub mod webhook_log;

pub use access_token::AccessToken;
pub use account::Account;
pub use audit_event::NewAuditEvent;
pub use integration::Integration;
pub use user::{Role, User};

/// `text` as a literal inside a `LIKE` pattern: its `%`, `_` and `\` match
/// themselves rather than acting as wildcards.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_user_text_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
