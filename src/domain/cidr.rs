//! CIDR blocks for IP allowlists and trusted proxies. A bare address is a
//! block of one. Also how a client's address is spelt in logs.

use ipnet::IpNet;
use std::net::IpAddr;

/// A client's address as logs, the audit trail and the usage log spell it:
/// "unknown" when it could not be told.
pub fn address_label(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

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

/// One entry of a list that is not a block, and the line it is on
/// (counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    pub line: usize,
    pub entry: String,
}

/// Parses a list typed one block per line (commas and spaces also
/// separate); the error names every entry that is not a block, so a long
/// list is fixed in one pass rather than one mistake per submit.
pub fn parse_lines(s: &str) -> Result<Vec<IpNet>, Vec<BadEntry>> {
    let mut nets = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in s.lines().enumerate() {
        for entry in line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            match parse(entry) {
                Some(net) => nets.push(net),
                None => bad.push(BadEntry {
                    line: index + 1,
                    entry: entry.to_string(),
                }),
            }
        }
    }
    if bad.is_empty() { Ok(nets) } else { Err(bad) }
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

    #[test]
    fn every_bad_line_is_named_with_its_number() {
        let bad = parse_lines("10.0.0.0/8\nnope\n\n::1\n300.1.2.3, 1.2.3.4\r\n2001:db8::/129")
            .unwrap_err();
        let named: Vec<(usize, &str)> = bad.iter().map(|b| (b.line, b.entry.as_str())).collect();
        assert_eq!(
            named,
            [(2, "nope"), (5, "300.1.2.3"), (6, "2001:db8::/129")]
        );
        assert_eq!(parse_lines("10.0.0.0/8\n\n::1\n").unwrap().len(), 2);
        assert!(parse_lines("").unwrap().is_empty());
    }
}
