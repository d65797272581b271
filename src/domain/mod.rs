//! Parsed values: once a value has one of these types it is known to be valid.

pub mod cidr;
pub mod contact;
pub mod custom_field;
pub mod email;
pub mod json;
pub mod password;
pub mod scope;
pub mod text;
pub mod token;
pub mod webhook;
pub mod zone;
