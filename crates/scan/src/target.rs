//! Targets: parsing of every accepted input form and lazy, streamed expansion.
//!
//! Accepted, one per line or argument: an IP address, `IP:port`, `[v6]:port`, a CIDR block, a
//! host name (`name` or `name:port`), a URL (`https://name:8443/anything`), ZMap output (one IP
//! per line, or CSV whose first column is the address and an optional second the port, with a
//! `saddr` header) and masscan `-oL` output (`open tcp 443 192.0.2.1 1614950000`). Empty lines,
//! `#` comments and trailing ` #` comments are ignored.
//!
//! Nothing is expanded in memory: a CIDR block is walked lazily in a seeded permutation, so a
//! `/8` costs a few words of state.

use std::fmt;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use exray_core::InputError;

/// Largest IPv6 block accepted (host bits): scanning a /64 is neither possible nor meaningful.
pub const MAX_V6_HOST_BITS: u32 = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
    /// The scheme used for a port when the input did not name one.
    pub fn for_port(port: u16) -> Scheme {
        match port {
            80 | 8080 | 8000 | 8008 => Scheme::Http,
            _ => Scheme::Https,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    Ip(IpAddr),
    /// A validated, lower-cased DNS name (letters, digits, `-`, `.`, `_`).
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// One concrete thing to fingerprint: scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub scheme: Scheme,
    pub host: Host,
    pub port: u16,
}

impl Target {
    /// The canonical form, also the sharding key: `https://host:port`.
    pub fn key(&self) -> String {
        self.to_string()
    }
    /// Base URL for evidence, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.to_string()
    }
    pub fn ip(&self) -> Option<IpAddr> {
        match self.host {
            Host::Ip(ip) => Some(ip),
            Host::Name(_) => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
    }
}

/// One parsed input entry, before port expansion and CIDR walking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    Single {
        scheme: Option<Scheme>,
        host: Host,
        port: Option<u16>,
    },
    Cidr {
        /// Network address as an integer (IPv4 in the low 32 bits).
        net: u128,
        v6: bool,
        host_bits: u32,
        port: Option<u16>,
    },
}

/// Parse one line of input. `Ok(None)` for blank lines, comments and masscan lines that are not
/// `open` ports.
pub fn parse_line(line: &str) -> Result<Option<Spec>, String> {
    let mut s = line.trim();
    if let Some(pos) = s.find(" #").or_else(|| s.find("\t#")) {
        s = s[..pos].trim();
    }
    if s.is_empty() || s.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() > 1 {
        return parse_masscan(&fields);
    }
    if s.contains("://") {
        return parse_url(s).map(Some);
    }
    if s.contains(',') {
        return parse_zmap_csv(s);
    }
    parse_token(s).map(Some)
}

/// masscan `-oL`: `<state> <proto> <port> <ip> <timestamp>`; `banner` lines are skipped.
fn parse_masscan(fields: &[&str]) -> Result<Option<Spec>, String> {
    match fields[0] {
        "open" => {}
        "closed" | "banner" | "unknown" => return Ok(None),
        _ => {
            return Err(format!(
                "unrecognised line: expected one target, or masscan -oL `open tcp PORT IP TIMESTAMP` (got {} fields)",
                fields.len()
            ))
        }
    }
    if fields.len() < 4 {
        return Err("masscan line too short: expected `open tcp PORT IP [TIMESTAMP]`".into());
    }
    if !fields[1].eq_ignore_ascii_case("tcp") {
        return Ok(None);
    }
    let port = parse_port(fields[2])?;
    let ip: IpAddr = fields[3]
        .parse()
        .map_err(|_| format!("masscan line: `{}` is not an IP address", fields[3]))?;
    Ok(Some(Spec::Single {
        scheme: None,
        host: Host::Ip(ip),
        port: Some(port),
    }))
}

/// ZMap CSV output (`-O csv -f saddr,sport,...`): first column address, optional second port.
fn parse_zmap_csv(s: &str) -> Result<Option<Spec>, String> {
    let mut cols = s.split(',').map(str::trim);
    let first = cols.next().unwrap_or("");
    if matches!(
        first.to_ascii_lowercase().as_str(),
        "saddr" | "ip" | "daddr" | "address"
    ) {
        return Ok(None);
    }
    let ip: IpAddr = first
        .parse()
        .map_err(|_| format!("CSV line: first column `{first}` is not an IP address"))?;
    let port = match cols.next() {
        Some(p) if !p.is_empty() => match p.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => None,
        },
        _ => None,
    };
    Ok(Some(Spec::Single {
        scheme: None,
        host: Host::Ip(ip),
        port,
    }))
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("`{s}` is not a port number (1-65535)")),
    }
}

fn parse_url(s: &str) -> Result<Spec, String> {
    let (scheme_s, rest) = s.split_once("://").expect("checked by caller");
    let scheme = match scheme_s.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => return Err(format!("unsupported URL scheme `{other}` (http or https)")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("URLs with user information (`user@host`) are not accepted".into());
    }
    match parse_token(authority)? {
        Spec::Single { host, port, .. } => Ok(Spec::Single {
            scheme: Some(scheme),
            host,
            port: Some(port.unwrap_or(match scheme {
                Scheme::Https => 443,
                Scheme::Http => 80,
            })),
        }),
        Spec::Cidr { .. } => Err("a URL cannot name a CIDR block".into()),
    }
}

/// A bare token: IP, IP:port, [v6]:port, CIDR, name, name:port.
fn parse_token(s: &str) -> Result<Spec, String> {
    if s.is_empty() {
        return Err("empty target".into());
    }
    if let Some((addr, bits)) = s.split_once('/') {
        return parse_cidr(addr, bits);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Spec::Single {
            scheme: None,
            host: Host::Ip(ip),
            port: None,
        });
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{s}`: missing `]`"))?;
        let ip: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => {
                Some(parse_port(p.strip_prefix(':').ok_or_else(|| {
                    format!("`{s}`: expected `:port` after `]`")
                })?)?)
            }
        };
        return Ok(Spec::Single {
            scheme: None,
            host: Host::Ip(IpAddr::V6(ip)),
            port,
        });
    }
    let (h, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(parse_port(p)?)),
        None => (s, None),
    };
    let host = match h.parse::<Ipv4Addr>() {
        Ok(v4) => Host::Ip(IpAddr::V4(v4)),
        Err(_) => Host::Name(validate_name(h)?),
    };
    Ok(Spec::Single {
        scheme: None,
        host,
        port,
    })
}

/// Validate a DNS name strictly: it goes into the `Host` header and the TLS SNI.
pub fn validate_name(h: &str) -> Result<String, String> {
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.is_empty() || h.len() > 253 {
        return Err(format!("`{h}` is not a valid host name (length)"));
    }
    for label in h.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "`{h}` is not a valid host name (empty or long label)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "`{h}` is not a valid host name (label starts or ends with `-`)"
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "`{h}` is not a valid host name (only letters, digits, `-`, `_` and `.`)"
            ));
        }
    }
    if h.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("`{h}` is neither an IP address nor a host name"));
    }
    Ok(h.to_ascii_lowercase())
}

fn parse_cidr(addr: &str, bits: &str) -> Result<Spec, String> {
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("CIDR `{addr}/{bits}`: `{addr}` is not an IP address"))?;
    let prefix: u32 = bits
        .parse()
        .map_err(|_| format!("CIDR `{addr}/{bits}`: `{bits}` is not a prefix length"))?;
    let (value, width, v6) = match ip {
        IpAddr::V4(v4) => (u32::from(v4) as u128, 32, false),
        IpAddr::V6(v6) => (u128::from(v6), 128, true),
    };
    if prefix > width {
        return Err(format!("CIDR `{addr}/{bits}`: prefix longer than {width}"));
    }
    let host_bits = width - prefix;
    if v6 && host_bits > MAX_V6_HOST_BITS {
        return Err(format!(
            "CIDR `{addr}/{bits}`: IPv6 blocks larger than /{} cannot be scanned address by address",
            128 - MAX_V6_HOST_BITS
        ));
    }
    let net = value & !low_mask(host_bits);
    Ok(Spec::Cidr {
        net,
        v6,
        host_bits,
        port: None,
    })
}

pub(crate) fn low_mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// A bijection of `[0, 2^bits)` keyed by `key`: affine map, xorshift, affine map. It spreads a
/// block's addresses so consecutive probes do not hammer one subnet, with O(1) state.
pub(crate) fn permute(i: u128, bits: u32, key: u64) -> u128 {
    if bits == 0 {
        return 0;
    }
    let mask = low_mask(bits);
    let k1 = crate::shard::mix64(key ^ 0x9e37_79b9_7f4a_7c15) as u128;
    let k2 = crate::shard::mix64(key ^ 0xc2b2_ae3d_27d4_eb4f) as u128;
    let a1 = (k1 | 1) & mask;
    let a2 = ((k2 << 1) | 1) & mask;
    let mut x = (i.wrapping_mul(a1).wrapping_add(k2)) & mask;
    let shift = bits.div_ceil(2);
    x ^= x >> shift;
    (x.wrapping_mul(a2).wrapping_add(k1)) & mask
}

/// Where targets come from: named files, `-` for stdin, or literal arguments.
pub enum Source {
    Args(Vec<String>),
    Reader {
        name: String,
        reader: Box<dyn BufRead + Send>,
    },
}

/// Expansion state of the current entry.
enum Expanding {
    None,
    Single {
        scheme: Option<Scheme>,
        host: Host,
        ports: Vec<u16>,
        next: usize,
    },
    Cidr {
        net: u128,
        v6: bool,
        host_bits: u32,
        ports: Vec<u16>,
        index: u128,
        port_idx: usize,
        key: u64,
    },
}

type LineIter = Box<dyn Iterator<Item = std::io::Result<String>> + Send>;

/// A streaming iterator over every target of every source. Memory is bounded by one input line
/// and the port list, whatever the input size.
pub struct TargetStream {
    sources: std::vec::IntoIter<Source>,
    current: Option<(String, LineIter)>,
    line_no: u64,
    ports: Vec<u16>,
    seed: u64,
    expanding: Expanding,
}

impl TargetStream {
    /// `ports` apply to entries that name no port; `seed` keys the walk of CIDR blocks.
    pub fn new(sources: Vec<Source>, ports: Vec<u16>, seed: u64) -> Self {
        TargetStream {
            sources: sources.into_iter(),
            current: None,
            line_no: 0,
            ports: if ports.is_empty() { vec![443] } else { ports },
            seed,
            expanding: Expanding::None,
        }
    }

    fn start(&mut self, spec: Spec) {
        self.expanding = match spec {
            Spec::Single { scheme, host, port } => Expanding::Single {
                scheme,
                host,
                ports: port.map_or_else(|| self.ports.clone(), |p| vec![p]),
                next: 0,
            },
            Spec::Cidr {
                net,
                v6,
                host_bits,
                port,
            } => Expanding::Cidr {
                net,
                v6,
                host_bits,
                ports: port.map_or_else(|| self.ports.clone(), |p| vec![p]),
                index: 0,
                port_idx: 0,
                key: crate::shard::mix64(
                    self.seed ^ crate::shard::mix64(net as u64 ^ (net >> 64) as u64),
                ),
            },
        };
    }

    fn next_expanded(&mut self) -> Option<Target> {
        match &mut self.expanding {
            Expanding::None => None,
            Expanding::Single {
                scheme,
                host,
                ports,
                next,
            } => {
                if *next >= ports.len() {
                    self.expanding = Expanding::None;
                    return None;
                }
                let port = ports[*next];
                *next += 1;
                Some(Target {
                    scheme: scheme.unwrap_or_else(|| Scheme::for_port(port)),
                    host: host.clone(),
                    port,
                })
            }
            Expanding::Cidr {
                net,
                v6,
                host_bits,
                ports,
                index,
                port_idx,
                key,
            } => {
                let count = if *host_bits >= 128 {
                    u128::MAX
                } else {
                    1u128 << *host_bits
                };
                if *index >= count {
                    self.expanding = Expanding::None;
                    return None;
                }
                let offset = permute(*index, *host_bits, *key);
                let value = *net | offset;
                let ip = if *v6 {
                    IpAddr::V6(Ipv6Addr::from(value))
                } else {
                    IpAddr::V4(Ipv4Addr::from(value as u32))
                };
                let port = ports[*port_idx];
                *port_idx += 1;
                if *port_idx >= ports.len() {
                    *port_idx = 0;
                    *index += 1;
                }
                Some(Target {
                    scheme: Scheme::for_port(port),
                    host: Host::Ip(ip),
                    port,
                })
            }
        }
    }

    fn next_line(&mut self) -> Option<Result<(String, u64, String), InputError>> {
        loop {
            if let Some((name, lines)) = &mut self.current {
                match lines.next() {
                    Some(Ok(l)) => {
                        self.line_no += 1;
                        return Some(Ok((name.clone(), self.line_no, l)));
                    }
                    Some(Err(e)) => {
                        self.line_no += 1;
                        let err = InputError {
                            file: name.clone(),
                            line: Some(self.line_no),
                            record: None,
                            message: format!("read error: {e}"),
                        };
                        // An I/O error usually repeats: stop reading this source.
                        self.current = None;
                        return Some(Err(err));
                    }
                    None => self.current = None,
                }
            }
            match self.sources.next()? {
                Source::Args(args) => {
                    self.current =
                        Some(("arguments".to_string(), Box::new(args.into_iter().map(Ok))));
                }
                Source::Reader { name, reader } => {
                    self.current = Some((name, Box::new(reader.lines())));
                }
            }
            self.line_no = 0;
        }
    }
}

impl Iterator for TargetStream {
    type Item = Result<Target, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(t) = self.next_expanded() {
                return Some(Ok(t));
            }
            let (file, line, text) = match self.next_line()? {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            match parse_line(&text) {
                Ok(Some(spec)) => self.start(spec),
                Ok(None) => {}
                Err(message) => {
                    return Some(Err(InputError {
                        file,
                        line: Some(line),
                        record: None,
                        message,
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn stream(text: &str, ports: Vec<u16>) -> Vec<Result<Target, InputError>> {
        TargetStream::new(
            vec![Source::Reader {
                name: "t.txt".into(),
                reader: Box::new(std::io::Cursor::new(text.to_string())),
            }],
            ports,
            7,
        )
        .collect()
    }

    #[test]
    fn permutation_is_a_bijection() {
        for bits in [0u32, 1, 2, 3, 7, 8, 11, 12] {
            for key in [0u64, 1, 99, u64::MAX] {
                let n = 1u128 << bits;
                let set: HashSet<u128> = (0..n).map(|i| permute(i, bits, key)).collect();
                assert_eq!(set.len() as u128, n, "bits {bits} key {key}");
                assert!(set.iter().all(|&v| v < n));
            }
        }
    }

    #[test]
    fn parses_every_form() {
        let t = |s: &str| parse_line(s).unwrap().unwrap();
        assert_eq!(
            t("192.0.2.7"),
            Spec::Single {
                scheme: None,
                host: Host::Ip("192.0.2.7".parse().unwrap()),
                port: None
            }
        );
        assert_eq!(
            t("mail.Example.org:8443"),
            Spec::Single {
                scheme: None,
                host: Host::Name("mail.example.org".into()),
                port: Some(8443)
            }
        );
        assert_eq!(
            t("https://mail.example.org/owa/"),
            Spec::Single {
                scheme: Some(Scheme::Https),
                host: Host::Name("mail.example.org".into()),
                port: Some(443)
            }
        );
        assert_eq!(
            t("http://[2001:db8::1]:8080/x"),
            Spec::Single {
                scheme: Some(Scheme::Http),
                host: Host::Ip("2001:db8::1".parse().unwrap()),
                port: Some(8080)
            }
        );
        assert_eq!(
            t("open tcp 443 198.51.100.9 1614950000"),
            Spec::Single {
                scheme: None,
                host: Host::Ip("198.51.100.9".parse().unwrap()),
                port: Some(443)
            }
        );
        assert_eq!(
            t("198.51.100.9,8443,1"),
            Spec::Single {
                scheme: None,
                host: Host::Ip("198.51.100.9".parse().unwrap()),
                port: Some(8443)
            }
        );
        assert!(
            matches!(t("10.1.2.3/24"), Spec::Cidr { net, host_bits: 8, v6: false, .. } if net == 0x0a010200)
        );
        for skip in [
            "",
            "   ",
            "# masscan",
            "#comment",
            "saddr,sport",
            "banner tcp 443 1.2.3.4 1 ssl x",
        ] {
            assert_eq!(parse_line(skip).unwrap(), None, "{skip:?}");
        }
        for bad in [
            "ftp://x.org",
            "host name with spaces",
            "1.2.3.4/33",
            "2001:db8::/64",
            "exa mple",
            "bad_host!.org",
            "x.org:0",
            "x.org:70000",
            "https://user@x.org/",
            "open tcp 443 notanip 1",
            "-bad.org",
            "evil.org\r\nCookie: X-BEResource=a",
        ] {
            assert!(parse_line(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn streams_zmap_and_masscan_files_with_line_numbers() {
        let zmap = "192.0.2.1\n192.0.2.2\n\n192.0.2.3\n";
        let got: Vec<String> = stream(zmap, vec![443])
            .into_iter()
            .map(|r| r.unwrap().key())
            .collect();
        assert_eq!(
            got,
            vec![
                "https://192.0.2.1:443",
                "https://192.0.2.2:443",
                "https://192.0.2.3:443"
            ]
        );
        let masscan = "#masscan\nopen tcp 443 192.0.2.5 1614950000\nopen tcp 80 192.0.2.6 1614950001\nnonsense here now\n# end\n";
        let got = stream(masscan, vec![443]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap().key(), "https://192.0.2.5:443");
        assert_eq!(got[1].as_ref().unwrap().key(), "http://192.0.2.6:80");
        let err = got[2].as_ref().unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("t.txt", Some(4)));
    }

    #[test]
    fn cidr_expands_lazily_to_every_address_once_per_port() {
        let got: Vec<Target> = stream("192.0.2.0/28\n", vec![443, 80])
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got.len(), 32);
        let set: HashSet<String> = got.iter().map(Target::key).collect();
        assert_eq!(set.len(), 32);
        for i in 0..16 {
            assert!(set.contains(&format!("https://192.0.2.{i}:443")));
            assert!(set.contains(&format!("http://192.0.2.{i}:80")));
        }
        // Seeded: not in address order.
        let order: Vec<String> = got.iter().step_by(2).map(|t| t.host.to_string()).collect();
        let sorted: Vec<String> = (0..16).map(|i| format!("192.0.2.{i}")).collect();
        assert_ne!(order, sorted);
        // A huge block costs nothing until walked.
        let mut big =
            TargetStream::new(vec![Source::Args(vec!["10.0.0.0/8".into()])], vec![443], 1);
        assert!(big.next().is_some());
    }
}
