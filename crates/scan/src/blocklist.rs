//! What the scanner refuses to touch: reserved and special-purpose ranges (always), loopback
//! (unless explicitly allowed), private and shared ranges (unless allowed), and the operator's
//! opt-out list (`--exclude FILE`: IPs, CIDRs and host names, `#` comments).
//!
//! Host names are checked by name here and by address after resolution, so a name that
//! resolves into a blocked range is refused too.

use std::io::BufRead;
use std::net::IpAddr;

use crate::target::low_mask;

/// Why a target is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReason {
    Reserved,
    Loopback,
    Private,
    Excluded,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Reserved => "reserved or special-purpose range",
            BlockReason::Loopback => "loopback (pass --allow-loopback)",
            BlockReason::Private => "private or shared range (pass --allow-private)",
            BlockReason::Excluded => "excluded by --exclude",
        }
    }
}

/// An inclusive range of addresses in a 129-bit space: IPv4 in `[0, 2^32)` tagged v4, IPv6 as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    v6: bool,
    lo: u128,
    hi: u128,
}

fn range(cidr: &str) -> Range {
    let (a, b) = cidr.split_once('/').expect("static CIDR");
    let bits: u32 = b.parse().expect("static CIDR");
    match a.parse::<IpAddr>().expect("static CIDR") {
        IpAddr::V4(v4) => {
            let host = low_mask(32 - bits);
            let lo = u32::from(v4) as u128 & !host;
            Range {
                v6: false,
                lo,
                hi: lo | host,
            }
        }
        IpAddr::V6(v6) => {
            let host = low_mask(128 - bits);
            let lo = u128::from(v6) & !host;
            Range {
                v6: true,
                lo,
                hi: lo | host,
            }
        }
    }
}

/// IANA special-purpose registries (RFC 6890 and successors): never valid scan destinations.
const RESERVED: &[&str] = &[
    "0.0.0.0/8",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:2::/48",
    "2001:db8::/32",
    "2001:10::/28",
    "2001:20::/28",
    "3fff::/20",
    "ff00::/8",
];
const LOOPBACK: &[&str] = &["127.0.0.0/8", "::1/128"];
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

#[derive(Clone, Debug, Default)]
pub struct Blocklist {
    allow_loopback: bool,
    allow_private: bool,
    /// Sorted, merged operator exclusions.
    excluded: Vec<Range>,
    excluded_names: std::collections::HashSet<String>,
}

fn key(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u32::from(v4) as u128),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u32::from(v4) as u128),
            None => (true, u128::from(v6)),
        },
    }
}

fn tables() -> &'static [Vec<Range>; 3] {
    static T: std::sync::OnceLock<[Vec<Range>; 3]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let f = |l: &[&str]| l.iter().map(|c| range(c)).collect::<Vec<_>>();
        [f(RESERVED), f(LOOPBACK), f(PRIVATE)]
    })
}

fn in_list(list: &[Range], ip: IpAddr) -> bool {
    let (v6, v) = key(ip);
    list.iter().any(|r| r.v6 == v6 && r.lo <= v && v <= r.hi)
}

impl Blocklist {
    pub fn new(allow_loopback: bool, allow_private: bool) -> Self {
        Blocklist {
            allow_loopback,
            allow_private,
            ..Default::default()
        }
    }

    /// Add the entries of an opt-out file. Errors name the file and line.
    pub fn add_exclude_file(&mut self, name: &str, reader: impl BufRead) -> Result<usize, String> {
        let mut added = 0;
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| format!("{name}:{}: read error: {e}", i + 1))?;
            let s = line.split('#').next().unwrap_or("").trim();
            if s.is_empty() {
                continue;
            }
            self.add_exclude(s)
                .map_err(|e| format!("{name}:{}: {e}", i + 1))?;
            added += 1;
        }
        self.normalise();
        Ok(added)
    }

    fn add_exclude(&mut self, s: &str) -> Result<(), String> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            let (v6, v) = key(ip);
            self.excluded.push(Range { v6, lo: v, hi: v });
            return Ok(());
        }
        if let Some((a, b)) = s.split_once('/') {
            let ip: IpAddr = a
                .parse()
                .map_err(|_| format!("`{a}` is not an IP address"))?;
            let bits: u32 = b
                .parse()
                .map_err(|_| format!("`{b}` is not a prefix length"))?;
            let width = if ip.is_ipv4() { 32 } else { 128 };
            if bits > width {
                return Err(format!("prefix /{bits} longer than {width}"));
            }
            let (v6, v) = key(ip);
            let host = low_mask(width - bits);
            self.excluded.push(Range {
                v6,
                lo: v & !host,
                hi: (v & !host) | host,
            });
            return Ok(());
        }
        let name = crate::target::validate_name(s)?;
        self.excluded_names.insert(name);
        Ok(())
    }

    fn normalise(&mut self) {
        self.excluded.sort();
        let mut merged: Vec<Range> = Vec::with_capacity(self.excluded.len());
        for r in self.excluded.drain(..) {
            match merged.last_mut() {
                Some(last) if last.v6 == r.v6 && r.lo <= last.hi.saturating_add(1) => {
                    last.hi = last.hi.max(r.hi)
                }
                _ => merged.push(r),
            }
        }
        self.excluded = merged;
    }

    pub fn excluded_ranges(&self) -> usize {
        self.excluded.len() + self.excluded_names.len()
    }

    /// Is this address refused, and why?
    pub fn check_ip(&self, ip: IpAddr) -> Option<BlockReason> {
        let [reserved, loopback, private] = tables();
        if in_list(reserved, ip) {
            return Some(BlockReason::Reserved);
        }
        if in_list(loopback, ip) && !self.allow_loopback {
            return Some(BlockReason::Loopback);
        }
        if in_list(private, ip) && !self.allow_private {
            return Some(BlockReason::Private);
        }
        let (v6, v) = key(ip);
        let probe = Range {
            v6,
            lo: v,
            hi: u128::MAX,
        };
        let idx = self.excluded.partition_point(|r| *r <= probe);
        if idx > 0 {
            let r = self.excluded[idx - 1];
            if r.v6 == v6 && r.lo <= v && v <= r.hi {
                return Some(BlockReason::Excluded);
            }
        }
        None
    }

    /// Is this host name refused by the opt-out list (the name or any parent domain)?
    pub fn check_name(&self, name: &str) -> Option<BlockReason> {
        if self.excluded_names.is_empty() {
            return None;
        }
        let mut n = name;
        loop {
            if self.excluded_names.contains(n) {
                return Some(BlockReason::Excluded);
            }
            match n.split_once('.') {
                Some((_, rest)) => n = rest,
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn builtin_ranges() {
        let b = Blocklist::new(false, false);
        for (s, want) in [
            ("0.1.2.3", Some(BlockReason::Reserved)),
            ("192.0.2.55", Some(BlockReason::Reserved)),
            ("203.0.113.1", Some(BlockReason::Reserved)),
            ("239.1.1.1", Some(BlockReason::Reserved)),
            ("255.255.255.255", Some(BlockReason::Reserved)),
            ("2001:db8::5", Some(BlockReason::Reserved)),
            ("ff02::1", Some(BlockReason::Reserved)),
            ("127.0.0.1", Some(BlockReason::Loopback)),
            ("127.200.3.4", Some(BlockReason::Loopback)),
            ("::1", Some(BlockReason::Loopback)),
            ("::ffff:127.0.0.1", Some(BlockReason::Loopback)),
            ("10.9.8.7", Some(BlockReason::Private)),
            ("172.31.0.1", Some(BlockReason::Private)),
            ("169.254.169.254", Some(BlockReason::Private)),
            ("fd00::1", Some(BlockReason::Private)),
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("2606:4700::1", None),
        ] {
            assert_eq!(b.check_ip(ip(s)), want, "{s}");
        }
        let open = Blocklist::new(true, true);
        assert_eq!(open.check_ip(ip("127.0.0.1")), None);
        assert_eq!(open.check_ip(ip("10.0.0.1")), None);
        // Reserved stays reserved whatever is allowed.
        assert_eq!(open.check_ip(ip("192.0.2.1")), Some(BlockReason::Reserved));
    }

    #[test]
    fn exclude_file() {
        let mut b = Blocklist::new(false, false);
        let text = "# opt-outs\n8.8.8.0/24\n1.1.1.1 # resolver\n\n2606:4700::/32\nMail.Example.ORG\n9.9.9.0/25\n9.9.9.128/25\n";
        assert_eq!(b.add_exclude_file("ex.txt", text.as_bytes()).unwrap(), 6);
        assert_eq!(b.check_ip(ip("8.8.8.200")), Some(BlockReason::Excluded));
        assert_eq!(b.check_ip(ip("8.8.9.1")), None);
        assert_eq!(b.check_ip(ip("1.1.1.1")), Some(BlockReason::Excluded));
        assert_eq!(b.check_ip(ip("1.1.1.2")), None);
        assert_eq!(b.check_ip(ip("9.9.9.255")), Some(BlockReason::Excluded));
        assert_eq!(
            b.check_ip(ip("2606:4700:1::1")),
            Some(BlockReason::Excluded)
        );
        assert_eq!(
            b.check_name("mail.example.org"),
            Some(BlockReason::Excluded)
        );
        assert_eq!(
            b.check_name("owa.mail.example.org"),
            Some(BlockReason::Excluded)
        );
        assert_eq!(b.check_name("example.org"), None);
        let err = b
            .add_exclude_file("ex.txt", "1.2.3.4\n1.2.3.4/40\n".as_bytes())
            .unwrap_err();
        assert!(err.starts_with("ex.txt:2:"), "{err}");
    }
}
