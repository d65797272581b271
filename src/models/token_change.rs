//! The channel on which the database announces every change that affects
//! what an instance keeps in memory (see `caches`), from triggers (see the
//! migrations `token_change_triggers` and
//! `session_and_list_change_triggers`), as the change commits:
//! `integration:<id>` or `account:<id>` for what a token verification
//! copies, `session:<hex of the stored key>` and `user:<id>` for signed-in
//! sessions, `list:<account id>` for the pages of an account's
//! integrations list. Every instance listens and forgets what it kept.

/// The channel every instance listens on.
pub const CHANNEL: &str = "pi_token_changes";
