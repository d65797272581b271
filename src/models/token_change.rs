//! The channel on which the database announces every change that affects
//! what an instance keeps in memory (see `caches`), from triggers (see the
//! migrations `token_change_triggers`, `session_and_list_change_triggers`
//! and `list_moves_and_truncation`), as the change commits:
//! `integration:<id>` or `account:<id>` for what a token verification
//! copies, `session:<hex of the stored key>` and `user:<id>` for signed-in
//! sessions, `list:<account id>` for the pages of an account's
//! integrations list; `truncated:<table>` when one of those tables was
//! emptied at once. Every instance listens and forgets what it kept.

/// The channel every instance listens on.
pub const CHANNEL: &str = "pi_token_changes";
