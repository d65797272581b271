//! Who is asking: passwords, the server-side session store, the signed-in
//! user, CSRF, and the sign-in throttle.

pub mod client;
pub mod csrf;
pub mod middleware;
pub mod next;
pub mod password;
pub mod session;
pub mod session_store;
pub mod visitor_notice;

pub use client::{ClientAddr, client_ip};
pub use middleware::CurrentUser;
pub use session::TypedSession;
