//! Where the server may send requests of its own (webhook deliveries): names
//! are resolved here, pinned names first (`WEBHOOK_RESOLVE`), and every
//! address is checked against the private-target rule of SPEC §8. The same
//! check runs when an endpoint is added and on every connection the delivery
//! client makes, so a name that changes its answer in between (DNS rebinding)
//! still cannot reach a private address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _};

use crate::domain::webhook::{TargetHost, TargetUrl, is_public};

/// What a target's host comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetCheck {
    /// Addresses the request may connect to.
    Allowed(Vec<SocketAddr>),
    /// The name resolves to nothing (now): accepted when an endpoint is
    /// added, a failed attempt at delivery.
    Unresolved,
    /// The host is, or resolves to, a non-public address.
    Refused(IpAddr),
}

/// Resolves webhook hosts; one per application.
#[derive(Debug, Clone)]
pub struct Resolver {
    pins: HashMap<String, Vec<IpAddr>>,
    allow_private: bool,
}

impl Resolver {
    pub fn new(pins: &[(String, Vec<IpAddr>)], allow_private: bool) -> Self {
        Resolver {
            pins: pins.iter().cloned().collect(),
            allow_private,
        }
    }

    /// Whether private addresses are allowed (`WEBHOOK_ALLOW_PRIVATE_TARGETS`).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The addresses of `host`, pinned or from the system's resolver (on a
    /// blocking thread); empty when it does not resolve.
    pub async fn lookup(&self, host: &str, port: u16) -> Vec<SocketAddr> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(addrs) = self.pins.get(&host) {
            return addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        }
        actix_web::rt::task::spawn_blocking(move || {
            (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect)
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default()
    }

    /// Checks every address `addrs` names: all must be public unless private
    /// targets are allowed.
    pub fn screen(&self, addrs: Vec<SocketAddr>) -> TargetCheck {
        if addrs.is_empty() {
            return TargetCheck::Unresolved;
        }
        if !self.allow_private
            && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
        {
            return TargetCheck::Refused(bad.ip());
        }
        TargetCheck::Allowed(addrs)
    }

    /// Resolves and screens a target URL's host.
    pub async fn check(&self, target: &TargetUrl) -> TargetCheck {
        let addrs = match &target.host {
            TargetHost::Ip(ip) => vec![SocketAddr::new(*ip, target.port)],
            TargetHost::Name(name) => self.lookup(name, target.port).await,
        };
        self.screen(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> TargetUrl {
        TargetUrl::parse(url).unwrap()
    }

    #[actix_web::test]
    async fn pinned_names_and_literals_are_screened() {
        let r = Resolver::new(
            &[
                ("inside.test".into(), vec!["10.1.2.3".parse().unwrap()]),
                (
                    "outside.test".into(),
                    vec!["93.184.216.34".parse().unwrap()],
                ),
                ("gone.test".into(), vec![]),
            ],
            false,
        );
        assert_eq!(
            r.check(&target("https://inside.test/")).await,
            TargetCheck::Refused("10.1.2.3".parse().unwrap())
        );
        assert_eq!(
            r.check(&target("https://outside.test/")).await,
            TargetCheck::Allowed(vec!["93.184.216.34:443".parse().unwrap()])
        );
        assert_eq!(
            r.check(&target("https://gone.test/")).await,
            TargetCheck::Unresolved
        );
        assert!(matches!(
            r.check(&target("http://[::1]:9/")).await,
            TargetCheck::Refused(_)
        ));
        assert!(matches!(
            r.check(&target("http://localhost:9/")).await,
            TargetCheck::Refused(_)
        ));
        let open = Resolver::new(&[], true);
        assert!(matches!(
            open.check(&target("http://127.0.0.1:9/")).await,
            TargetCheck::Allowed(_)
        ));
    }
}
