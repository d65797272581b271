//! Integration tests: the real server on port 0, one database per test.

mod api_token;
mod browser;
mod cli;
mod csrf;
mod headers;
mod health;
mod helpers;
mod integration_support;
mod integrations;
mod isolation;
mod login;
mod secrets;
mod sessions;
mod setup;
mod token_actions;
mod sdk_compat;
