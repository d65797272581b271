//! The library behind the `private-integrations` binary: one module per layer
//! (see the README's Architecture section for which may use which).

pub mod actions;
pub mod api;
pub mod auth;
pub mod caches;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod errors;
pub mod models;
pub mod outbound;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod usage;
pub mod web;
pub mod workers;
