//! Verified tokens kept in memory by each instance, so an API request needs
//! no database round trip before its handler (SPEC §10).

use std::sync::Arc;

use ipnet::IpNet;

use super::keyed::Keyed;
use crate::domain::scope::ScopeSet;
use crate::domain::token::TokenHash;
use crate::models::{AccessToken, Account, Integration};

/// What a request with a token needs to know, as one database query found
/// it. Requests share it as it is (an `Arc`), copying nothing.
#[derive(Debug, Clone)]
pub struct Verified {
    pub token: AccessToken,
    pub integration: Integration,
    /// Shared with the request's [`crate::api`] caller.
    pub account: Arc<Account>,
    /// The integration's scopes, parsed once.
    pub scopes: ScopeSet,
    /// The integration's allowlist, parsed once; `None` = anywhere. An
    /// entry that does not parse admits nobody (the list stays restrictive).
    pub allowlist: Option<Vec<IpNet>>,
}

impl Verified {
    pub fn new(token: AccessToken, integration: Integration, account: Account) -> Verified {
        let allowlist = (!integration.ip_allowlist.is_empty()).then(|| {
            integration
                .ip_allowlist
                .iter()
                .filter_map(|entry| crate::domain::cidr::parse(entry))
                .collect()
        });
        Verified {
            token,
            scopes: integration.scope_set(),
            integration,
            account: Arc::new(account),
            allowlist,
        }
    }
}

/// Verified tokens by the SHA-256 of the token.
pub type TokenCache = Keyed<TokenHash, Verified>;
