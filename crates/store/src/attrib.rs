//! Attribution of scanned addresses and hostnames to their owners: longest-prefix CIDR match,
//! then the AS that routes the address (from the imported IP-to-ASN table, [`crate::asn`]) when
//! an organisation claims it, then the longest registered domain suffix. The index lives in memory and is reloaded when
//! `meta.networks_version` changes, so several instances over one database stay consistent.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::asn::AsnTable;

/// A parsed CIDR block, normalised to its network address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub len: u8,
}

impl Cidr {
    /// Parse `a.b.c.d/n`, `x::y/n`, or a bare address (a host route).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| format!("not an IP address: {a:?}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l
                .parse::<u8>()
                .map_err(|_| format!("bad prefix length: {l:?}"))?,
            None => max,
        };
        if len > max {
            return Err(format!("prefix length {len} exceeds {max}"));
        }
        Ok(Cidr {
            addr: mask(addr, len),
            len,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// Normalise an ASN (`AS64500`, `as64500`, `64500`) to `AS64500`.
pub fn parse_asn(s: &str) -> Result<String, String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    let n: u32 = digits
        .parse()
        .map_err(|_| format!("not an AS number: {s:?}"))?;
    Ok(format!("AS{n}"))
}

/// Normalise a domain: lower case, no leading dot or trailing dot, letters/digits/hyphens/dots.
pub fn parse_domain(s: &str) -> Result<String, String> {
    let d = s
        .trim()
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if d.is_empty()
        || d.len() > 253
        || !d.contains('.')
        || !d
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        || d.split('.').any(|l| l.is_empty() || l.len() > 63)
    {
        return Err(format!("not a domain name: {s:?}"));
    }
    Ok(d)
}

/// The in-memory index.
#[derive(Default)]
pub struct Attribution {
    pub(crate) version: Option<String>,
    /// prefix length → network address → org id; probed from the longest length down.
    v4: HashMap<u8, HashMap<IpAddr, i64>>,
    v6: HashMap<u8, HashMap<IpAddr, i64>>,
    v4_lens: Vec<u8>,
    v6_lens: Vec<u8>,
    domains: HashMap<String, i64>,
    /// Claimed AS numbers → org id.
    asns: HashMap<u32, i64>,
    /// The IP-to-ASN table and the `meta.asn_version` it was loaded at.
    pub(crate) asn_table: Arc<AsnTable>,
    pub(crate) asn_version: Option<String>,
}

impl Attribution {
    pub fn add_cidr(&mut self, c: Cidr, org: i64) {
        let (map, lens) = if c.addr.is_ipv4() {
            (&mut self.v4, &mut self.v4_lens)
        } else {
            (&mut self.v6, &mut self.v6_lens)
        };
        map.entry(c.len).or_default().insert(c.addr, org);
        if !lens.contains(&c.len) {
            lens.push(c.len);
            lens.sort_unstable_by(|a, b| b.cmp(a));
        }
    }

    /// An organisation's claim of an AS (`AS64500`).
    pub fn add_asn(&mut self, asn: u32, org: i64) {
        self.asns.insert(asn, org);
    }

    /// The organisation of a scanned address and/or name: the longest CIDR, else the claimed
    /// AS that routes the address, else the longest domain suffix.
    pub fn attribute(&self, ip: Option<IpAddr>, hostname: Option<&str>) -> Option<i64> {
        ip.and_then(|i| self.by_ip(i))
            .or_else(|| ip.and_then(|i| self.by_asn(i)))
            .or_else(|| hostname.and_then(|h| self.by_hostname(h)))
    }

    /// The organisation claiming the AS that routes `ip`.
    pub fn by_asn(&self, ip: IpAddr) -> Option<i64> {
        if self.asns.is_empty() {
            return None;
        }
        self.asns.get(&self.asn_table.lookup(ip)?).copied()
    }

    pub fn add_domain(&mut self, d: String, org: i64) {
        self.domains.insert(d, org);
    }

    /// The org owning the most specific registered network containing `ip`.
    pub fn by_ip(&self, ip: IpAddr) -> Option<i64> {
        let (map, lens) = if ip.is_ipv4() {
            (&self.v4, &self.v4_lens)
        } else {
            (&self.v6, &self.v6_lens)
        };
        lens.iter()
            .find_map(|&len| map.get(&len).and_then(|m| m.get(&mask(ip, len))).copied())
    }

    /// The org owning the longest registered domain that `host` equals or ends with.
    pub fn by_hostname(&self, host: &str) -> Option<i64> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = h.as_str();
        loop {
            if let Some(org) = self.domains.get(rest) {
                return Some(*org);
            }
            match rest.split_once('.') {
                Some((_, r)) if r.contains('.') => rest = r,
                _ => return None,
            }
        }
    }

    pub fn networks(&self) -> usize {
        self.v4
            .values()
            .chain(self.v6.values())
            .map(|m| m.len())
            .sum::<usize>()
            + self.domains.len()
            + self.asns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut a = Attribution::default();
        a.add_cidr(Cidr::parse("198.51.100.0/24").unwrap(), 1);
        a.add_cidr(Cidr::parse("198.51.100.128/25").unwrap(), 2);
        a.add_cidr(Cidr::parse("2001:db8::/32").unwrap(), 3);
        assert_eq!(a.by_ip("198.51.100.7".parse().unwrap()), Some(1));
        assert_eq!(a.by_ip("198.51.100.200".parse().unwrap()), Some(2));
        assert_eq!(a.by_ip("198.51.101.1".parse().unwrap()), None);
        assert_eq!(a.by_ip("2001:db8:1::5".parse().unwrap()), Some(3));
        assert_eq!(a.by_ip("2001:db9::5".parse().unwrap()), None);
    }

    #[test]
    fn cidr_normalises_and_rejects() {
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            Cidr::parse("192.0.2.9").unwrap().to_string(),
            "192.0.2.9/32"
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("example.org/8").is_err());
        assert!(Cidr::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn domains_match_suffix_on_label_boundary() {
        let mut a = Attribution::default();
        a.add_domain(parse_domain("Example.ORG.").unwrap(), 7);
        a.add_domain(parse_domain("mail.example.org").unwrap(), 8);
        assert_eq!(a.by_hostname("owa.example.org"), Some(7));
        assert_eq!(a.by_hostname("x.mail.example.org"), Some(8));
        assert_eq!(a.by_hostname("badexample.org"), None);
        assert_eq!(a.by_hostname("org"), None);
        assert!(parse_domain("<script>.org").is_err());
        assert_eq!(parse_asn("as64500").unwrap(), "AS64500");
        assert!(parse_asn("ASx").is_err());
    }
}
