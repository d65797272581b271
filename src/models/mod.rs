//! One file per table: the row type, its insertable, and the queries on it.
//! Every query that reads an account's objects takes the account id.

pub mod access_token;
pub mod account;
pub mod api_request;
pub mod audit_event;
pub mod contact;
pub mod integration;
pub mod legacy_api_key;
pub mod login_attempt;
pub mod server_secret;
pub mod session;
pub mod token_change;
pub mod user;

pub use access_token::AccessToken;
pub use account::Account;
pub use audit_event::NewAuditEvent;
pub use integration::Integration;
pub use user::{Role, User};
