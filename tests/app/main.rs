//! Integration tests: the real server on port 0, one database per test.

mod browser;
mod cli;
mod csrf;
mod headers;
mod health;
mod helpers;
mod login;
mod sessions;
mod setup;
