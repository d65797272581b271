//! CIDR blocks for IP allowlists and trusted proxies. A bare address is a
//! block of one.

use ipnet::IpNet;
use std::net::IpAddr;

pub fn parse(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

/// Parses a list separated by commas, spaces or new lines; the error names
/// the first entry that is not a block.
pub fn parse_list(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| parse(p).ok_or_else(|| p.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_addresses_parse() {
        assert_eq!(parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse("::1").unwrap().to_string(), "::1/128");
        assert!(parse("10.0.0.0/33").is_none());
        assert_eq!(
            parse_list("1.2.3.4, 2001:db8::/32\n5.6.7.0/24")
                .unwrap()
                .len(),
            3
        );
        assert_eq!(parse_list("1.2.3.4 nope").unwrap_err(), "nope");
    }
}
