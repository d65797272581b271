//! Who is on the other end of a request: the client's address, as far as it
//! can be believed. Shared by the panel (audit, sign-in throttle) and the API
//! (allowlist, rate limit, usage log).
//!
//! The socket's peer is the client unless it is a trusted proxy
//! (`TRUSTED_PROXIES`). Then `X-Forwarded-For` is walked from the right,
//! skipping our own proxies: the first entry that is not one of them is the
//! client. Entries further left were written by the client and can be forged,
//! so an entry that is not an address at all ends the walk and the client is
//! unknown: no allowlist admits it, and its rate limit is the proxy's.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, web};
use ipnet::IpNet;

use crate::state::AppState;

// A constant: spelt as a string, the name would be parsed on every request.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address; `None` when it cannot be told.
    pub ip: Option<IpAddr>,
    /// The connecting socket's address (a proxy, when there is one).
    pub peer: Option<IpAddr>,
}

impl ClientAddr {
    pub fn of(req: &HttpRequest) -> ClientAddr {
        let peer = req.peer_addr().map(|a| a.ip());
        let trusted: &[IpNet] = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[], |s| &s.settings.trusted_proxies);
        let forwarded = req
            .headers()
            .get_all(X_FORWARDED_FOR)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"));
        ClientAddr {
            ip: peer.and_then(|peer| resolve(peer, trusted, forwarded)),
            peer,
        }
    }

    /// For logs, the audit trail and the usage log.
    pub fn label(&self) -> String {
        crate::domain::cidr::address_label(self.ip)
    }

    /// Whose rate limit a request without a known token spends: the client's,
    /// or the connecting proxy's when the client is unknown.
    pub fn rate_key(&self) -> String {
        match (self.ip, self.peer) {
            (Some(ip), _) => ip.to_string(),
            (None, Some(peer)) => format!("via {peer}"),
            (None, None) => "unknown".to_string(),
        }
    }
}

/// The client's address as a string ("unknown" when it cannot be told).
pub fn client_ip(req: &HttpRequest) -> String {
    ClientAddr::of(req).label()
}

/// The walk described at the top of this module. Header values are joined
/// in order, as a proxy appending to an existing header would have.
fn resolve<'a>(
    peer: IpAddr,
    trusted: &[IpNet],
    headers: impl Iterator<Item = &'a str>,
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let entries: Vec<&str> = headers.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        let ip = parse_entry(entry)?;
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:443`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = entry.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<std::net::Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn entries_with_ports_and_brackets_are_addresses() {
        assert_eq!(parse_entry(" 1.2.3.4:5678"), Some(ip("1.2.3.4")));
        assert_eq!(parse_entry("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_entry("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_entry("2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(parse_entry("unknown"), None);
        assert_eq!(parse_entry("1.2.3.4:port"), None);
        assert_eq!(parse_entry(""), None);
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let got = resolve(
            ip("203.0.113.5"),
            &nets(&["10.0.0.0/8"]),
            ["1.1.1.1"].into_iter(),
        );
        assert_eq!(got, Some(ip("203.0.113.5")));
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.1"),
            &trusted,
            ["9.9.9.9, 1.2.3.4:80, 10.0.0.2"].into_iter(),
        );
        assert_eq!(got, Some(ip("1.2.3.4")));
    }

    #[test]
    fn garbage_ends_the_walk_and_the_client_is_unknown() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.1"),
            &trusted,
            ["198.51.100.7, bogus"].into_iter(),
        );
        assert_eq!(got, None);
        let got = resolve(ip("10.0.0.1"), &trusted, ["\u{fffd}"].into_iter());
        assert_eq!(got, None);
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client() {
        let got = resolve(ip("10.0.0.1"), &nets(&["10.0.0.0/8"]), std::iter::empty());
        assert_eq!(got, Some(ip("10.0.0.1")));
    }
}
