//! The channel on which the database announces every change that affects
//! a cached token verification: a trigger on `access_tokens`,
//! `integrations` and `accounts` (see the migration
//! `token_change_triggers`) sends `integration:<id>` or `account:<id>`
//! when such a row changes, as the change commits. Every instance listens
//! and forgets what it cached (see `token_cache`).

/// The channel every instance listens on.
pub const CHANNEL: &str = "pi_token_changes";
