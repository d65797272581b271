//! Webhooks as values (SPEC §8): the events an endpoint may subscribe to, its
//! signing secret, the Standard Webhooks signature, and which target URLs and
//! addresses are acceptable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use rand::RngExt as _;
use sha2::Sha256;

/// HighLevel's contact events, the only ones an endpoint can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    ContactCreate,
    ContactUpdate,
    ContactDelete,
}

impl EventType {
    pub const ALL: [EventType; 3] = [
        EventType::ContactCreate,
        EventType::ContactUpdate,
        EventType::ContactDelete,
    ];

    /// HighLevel's name, which is also the body's `type` and the stored value.
    pub fn name(self) -> &'static str {
        match self {
            EventType::ContactCreate => "ContactCreate",
            EventType::ContactUpdate => "ContactUpdate",
            EventType::ContactDelete => "ContactDelete",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Words for the panel.
    pub fn label(self) -> &'static str {
        match self {
            EventType::ContactCreate => "Contact created",
            EventType::ContactUpdate => "Contact updated",
            EventType::ContactDelete => "Contact deleted",
        }
    }
}

/// Prefix of a signing secret, as Standard Webhooks writes them.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret; the spec asks for at least 24.
const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret. Only its text form (`whsec_…`) is ever shown,
/// once; it is stored sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

impl SigningSecret {
    pub fn generate() -> Self {
        let bytes: [u8; SECRET_BYTES] = rand::rng().random();
        SigningSecret(format!("{SECRET_PREFIX}{}", BASE64.encode(bytes)))
    }

    /// A secret read back from storage; `None` unless it has the right shape.
    pub fn parse(text: &str) -> Option<Self> {
        let key = BASE64.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (key.len() >= 24).then(|| SigningSecret(text.to_string()))
    }

    /// The `whsec_…` text: to show once, or to seal.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the base64-decoded part after the prefix.
    fn key(&self) -> Vec<u8> {
        self.0
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b| BASE64.decode(b).ok())
            .unwrap_or_default()
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key()) {
            Ok(mac) => mac,
            // HMAC takes a key of any length.
            Err(_) => return String::new(),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated,
/// so a receiver that still holds the old secret after a roll accepts it too.
pub fn signature_header(
    secrets: &[&SigningSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Longest URL an endpoint may have.
pub const URL_MAX: usize = 2048;

/// A syntactically acceptable endpoint URL: http(s), a host, no credentials.
#[derive(Debug, Clone)]
pub struct TargetUrl {
    pub url: url::Url,
    pub host: TargetHost,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetHost {
    Ip(IpAddr),
    Name(String),
}

impl TargetUrl {
    /// Why `text` cannot be an endpoint URL, in words for the form.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("Enter the URL that receives the events.");
        }
        if text.len() > URL_MAX {
            return Err("The URL must be at most 2048 characters.");
        }
        let url = url::Url::parse(text).map_err(|_| "Enter a valid http:// or https:// URL.")?;
        // What is stored and sent is the URL written out (non-ASCII
        // percent-encoded), which may be longer than what was typed.
        if url.as_str().len() > URL_MAX {
            return Err("The URL must be at most 2048 characters once encoded.");
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err("The URL must start with http:// or https://.");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("The URL must not contain a user name or password.");
        }
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => TargetHost::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => TargetHost::Ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) if !name.is_empty() => {
                TargetHost::Name(name.trim_end_matches('.').to_ascii_lowercase())
            }
            _ => return Err("Enter a valid http:// or https:// URL."),
        };
        let port = url
            .port_or_known_default()
            .ok_or("Enter a valid http:// or https:// URL.")?;
        // Port 0 names no service: nothing could ever be delivered there.
        if port == 0 {
            return Err("The URL's port must be between 1 and 65535.");
        }
        Ok(TargetUrl { url, host, port })
    }
}

/// Whether deliveries may go to `ip` when private targets are not allowed:
/// only globally routable unicast addresses. Loopback, private, link-local
/// (cloud metadata at 169.254.169.254 included), unique-local, multicast,
/// unspecified, documentation, shared (CGNAT) and reserved ranges are refused,
/// and so are IPv6 forms that embed such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (RFC 6598).
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments (RFC 6890).
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking (RFC 2544).
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local fe80::/10 and the deprecated site-local fec0::/10.
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // Discard-only 100::/64.
        || (first == 0x0100 && ip.segments()[1..4] == [0, 0, 0])
        // IETF protocol assignments 2001::/23: Teredo, ORCHID, benchmarking.
        || (first == 0x2001 && ip.segments()[1] < 0x0200)
        // Local-use NAT64 64:ff9b:1::/48.
        || ip.segments()[..3] == [0x64, 0xff9b, 1])
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64
/// (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail());
    }
    // NAT64 64:ff9b::/96, and IPv4-translated ::ffff:0:a.b.c.d.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001:db8::1",
            "2001::1",
            "2001:10::1",
            "2001:20::1",
            "::ffff:0:7f00:1",
            "64:ff9b:1::a00:1",
        ] {
            assert!(!is_public(ip(s)), "{s} should be refused");
        }
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} should be allowed");
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(TargetUrl::parse("https://hooks.example.com/x").is_ok());
        assert!(TargetUrl::parse("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "",
            "file:///etc/passwd",
            "gopher://x",
            "not a url",
            "https://user:pw@example.com/",
            "http://",
            "javascript:alert(1)",
            "http://example.com:0/hook",
            "https://93.184.216.34:0/",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad} should be refused");
        }
        let t = TargetUrl::parse("http://[::1]:8080/hook").unwrap();
        assert_eq!(t.host, TargetHost::Ip(ip("::1")));
        assert_eq!(t.port, 8080);
        let t = TargetUrl::parse("https://Example.COM./a").unwrap();
        assert_eq!(t.host, TargetHost::Name("example.com".into()));
        assert_eq!(t.port, 443);
        // The limit holds for the URL as it is stored and sent, encoded.
        let typed = format!("https://example.com/{}", "é".repeat(400));
        assert!(typed.len() <= URL_MAX);
        assert!(TargetUrl::parse(&typed).is_err());
        assert!(TargetUrl::parse(&format!("https://example.com/{}", "é".repeat(300))).is_ok());
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // A key of the test's own, encoded as the Standard Webhooks
        // specification encodes secrets; the expected signature is made
        // here from the raw key and the whole signed content at once.
        let key: [u8; 24] = rand::random();
        let secret = SigningSecret::parse(&format!("whsec_{}", BASE64.encode(key))).unwrap();
        let (id, timestamp, body) = ("msg_test", 1_614_265_330, br#"{"test": 2432232314}"#);
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        assert_eq!(secret.sign(id, timestamp, body), expected);
    }

    #[test]
    fn generated_secrets_round_trip_and_hide_in_debug() {
        let s = SigningSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(SigningSecret::parse(s.expose()), Some(s.clone()));
        assert!(!format!("{s:?}").contains("whsec_"));
    }
}
