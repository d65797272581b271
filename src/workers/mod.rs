//! Background tasks that keep work off the request path.

pub mod email_notices;
pub mod maintenance;
pub mod token_listener;
pub mod usage_alerts;
pub mod usage_writer;
pub mod webhook_delivery;
