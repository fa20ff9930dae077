//! Opt-in mail-banner probes (`--mail`, `--mail-ports`): SMTP, IMAP and POP3 greetings as extra
//! Exchange evidence (product, and version where an old server still shows one).
//!
//! Per host, each mail port is contacted once (plain, or implicit TLS for 465/993/995 with the
//! same accept-any-certificate policy as the HTTP scanner, without ALPN, and the same fallback to
//! the legacy TLS stack for servers that speak only TLS 1.0/1.1). The greeting is read;
//! then only fixed [`MailCommand`]s are sent: SMTP `EHLO exray-scan.invalid` and `QUIT`, IMAP
//! `a1 LOGOUT`, POP3 `QUIT`. Nothing else: no `STARTTLS`, `AUTH`, `MAIL FROM`, `RCPT`, login.
//!
//! Reading is bounded: lines of at most [`MAX_LINE`] bytes, at most [`MAX_BYTES`] per connection,
//! and a deadline for the connection; a server that floods bytes without a newline or never
//! answers costs one small buffer and one timeout.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use crate::fingerprint::{parse_version, Version};
use crate::http::Stream;
use crate::legacy_tls::{wants_fallback, LegacyTls, Negotiated};
use crate::request::MailCommand;

/// Longest line kept from a mail server (RFC 5321 allows 512 for replies; 1 KiB is generous).
pub const MAX_LINE: usize = 1024;
/// Most bytes read from one mail connection, all replies together.
pub const MAX_BYTES: usize = 16 * 1024;
/// Most lines kept from one multi-line SMTP reply.
pub const MAX_REPLY_LINES: usize = 64;
/// Most characters of a banner kept in evidence.
pub const EVIDENCE_CAP: usize = 512;

/// The mail protocols the probes speak (greeting and close only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailProto {
    Smtp,
    Imap,
    Pop3,
}

impl MailProto {
    /// The evidence method: `SMTP`, `IMAP`, `POP3`.
    pub fn method(self) -> &'static str {
        match self {
            MailProto::Smtp => "SMTP",
            MailProto::Imap => "IMAP",
            MailProto::Pop3 => "POP3",
        }
    }
}

/// One mail port to probe: number, protocol, implicit TLS or plain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MailPort {
    pub port: u16,
    pub proto: MailProto,
    /// Implicit TLS (465, 993, 995); never STARTTLS.
    pub tls: bool,
}

/// A `--mail-ports` entry that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailPortError {
    #[error("`{0}`: not a port number")]
    NotAPort(String),
    #[error("{0}: not a well-known mail port; write it as {0}/smtp, {0}/imaps, …")]
    NotWellKnown(u16),
    #[error("{port}/{protocol}: unknown protocol (smtp, smtps, imap, imaps, pop3, pop3s)")]
    UnknownProtocol { port: u16, protocol: String },
}

/// The ports `--mail` probes: SMTP 25, 587, 465 (TLS); IMAP 143, 993 (TLS); POP3 110, 995 (TLS).
pub const DEFAULT_MAIL_PORTS: &[u16] = &[25, 587, 465, 143, 993, 110, 995];

impl MailPort {
    /// The well-known meaning of a port number, if it has one.
    pub fn well_known(port: u16) -> Option<MailPort> {
        let (proto, tls) = match port {
            25 | 587 | 2525 => (MailProto::Smtp, false),
            465 => (MailProto::Smtp, true),
            143 => (MailProto::Imap, false),
            993 => (MailProto::Imap, true),
            110 => (MailProto::Pop3, false),
            995 => (MailProto::Pop3, true),
            _ => return None,
        };
        Some(MailPort { port, proto, tls })
    }

    /// `25`, `993` (well-known ports) or `PORT/PROTO` with PROTO one of `smtp`, `smtps`, `imap`,
    /// `imaps`, `pop3`, `pop3s` (e.g. `2526/smtp`, `10993/imaps`).
    pub fn parse(s: &str) -> Result<MailPort, MailPortError> {
        let s = s.trim();
        let (num, proto) = match s.split_once('/') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        };
        let port: u16 = num
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| MailPortError::NotAPort(s.to_string()))?;
        let Some(p) = proto else {
            return MailPort::well_known(port).ok_or(MailPortError::NotWellKnown(port));
        };
        let (proto, tls) = match p.to_ascii_lowercase().as_str() {
            "smtp" => (MailProto::Smtp, false),
            "smtps" => (MailProto::Smtp, true),
            "imap" => (MailProto::Imap, false),
            "imaps" => (MailProto::Imap, true),
            "pop3" => (MailProto::Pop3, false),
            "pop3s" => (MailProto::Pop3, true),
            _ => {
                return Err(MailPortError::UnknownProtocol {
                    port,
                    protocol: p.to_string(),
                })
            }
        };
        Ok(MailPort { port, proto, tls })
    }

    /// `smtp`, `smtps`, `imap`, `imaps`, `pop3`, `pop3s`: the scheme of evidence URLs.
    pub fn scheme(&self) -> &'static str {
        match (self.proto, self.tls) {
            (MailProto::Smtp, false) => "smtp",
            (MailProto::Smtp, true) => "smtps",
            (MailProto::Imap, false) => "imap",
            (MailProto::Imap, true) => "imaps",
            (MailProto::Pop3, false) => "pop3",
            (MailProto::Pop3, true) => "pop3s",
        }
    }
}

impl fmt::Display for MailPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.scheme())
    }
}

/// The default `--mail` port list.
pub fn default_mail_ports() -> Vec<MailPort> {
    DEFAULT_MAIL_PORTS
        .iter()
        .filter_map(|p| MailPort::well_known(*p))
        .collect()
}

/// What one mail port said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailObservation {
    /// The greeting, sanitised (control characters replaced), one entry per line.
    pub greeting: Vec<String>,
    /// SMTP reply code of the greeting (220 when the server is ready).
    pub code: Option<u16>,
    /// SMTP `EHLO` reply lines (without the `250-` prefix), sanitised.
    pub ehlo: Vec<String>,
    /// Why the conversation stopped early (nothing answered, timeout, flood), if it did.
    pub error: Option<String>,
    /// A TLS error that looks like a server speaking only TLS 1.0/1.1.
    pub legacy_tls: bool,
    /// What the legacy TLS stack negotiated, when rustls was refused and it was used instead.
    pub legacy_negotiated: Option<Negotiated>,
}

/// What a banner says about Exchange, derived from an observation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BannerFacts {
    /// Why this is Exchange (None: not recognised as Exchange).
    pub exchange: Option<String>,
    /// The product as the banner names it (e.g. `Exchange 2007 (8.x)`).
    pub product: Option<String>,
    /// A version number shown by the banner, as shown.
    pub version_text: Option<String>,
    /// The Exchange product line of that version (`Exchange 2003`, …), when known.
    pub version_product: Option<&'static str>,
    /// The version, when the catalogue can judge it (14.x, 15.x).
    pub catalogue_version: Option<Version>,
    /// The server name decoded from the bracketed base64 of Exchange 2013+ IMAP/POP3 greetings.
    pub server_name: Option<String>,
}

/// EHLO keywords only Exchange advertises (2000/2003: `XEXCH50`, `X-LINK2STATE`; 2007+:
/// `X-ANONYMOUSTLS`; 2013+: `XRDST`; shadow redundancy and proxying verbs).
pub const EXCHANGE_EHLO_KEYWORDS: &[&str] = &[
    "X-ANONYMOUSTLS",
    "XRDST",
    "XEXCH50",
    "X-LINK2STATE",
    "XSHADOW",
    "XSHADOWREQUEST",
    "XOORG",
    "XPROXYFROM",
];

/// Replace control characters, cap the length.
pub fn sanitise(line: &[u8]) -> String {
    let s = exray_core::cap_lossy(line, EVIDENCE_CAP);
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The Exchange product line of a version number shown by IMAP/POP3 (and SMTP 8.x+) banners.
pub fn product_line(major: u32, minor: u32) -> Option<&'static str> {
    match (major, minor) {
        (5, 5) => Some("Exchange 5.5"),
        (6, 0) => Some("Exchange 2000"),
        (6, 5) => Some("Exchange 2003"),
        (8, _) => Some("Exchange 2007"),
        (14, _) => Some("Exchange 2010"),
        (15, 0) => Some("Exchange 2013"),
        (15, 1) => Some("Exchange 2016"),
        (15, 2) => Some("Exchange 2019 or SE"),
        _ => None,
    }
}

/// The first `a.b.c[.d]` number after `marker` (case-insensitive) in `text`.
fn version_after(text: &str, marker: &str) -> Option<(String, u32, u32)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(marker)? + marker.len();
    let rest = text[at..].trim_start();
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .take(24)
        .collect();
    let v = v.trim_end_matches('.').to_string();
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((v, major, minor))
}

/// Decode the bracketed base64 (UTF-16LE server name) of Exchange 2013+ IMAP/POP3 greetings.
/// Bounded: at most 1 KiB of base64; the name must look like a host name.
pub fn decode_server_name(greeting: &str) -> Option<String> {
    let open = greeting.rfind('[')?;
    let close = open + greeting[open..].find(']')?;
    let b64 = &greeting[open + 1..close];
    if b64.is_empty() || b64.len() > 1024 {
        return None;
    }
    let bytes = base64_decode(b64)?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let name = String::from_utf16(&units).ok()?;
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    ok.then_some(name)
}

/// Standard base64 with padding (RFC 4648 §4); None on any other character.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        out.push((acc >> 16) as u8);
        if chunk.len() > 2 {
            out.push((acc >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

/// What a greeting (and SMTP EHLO reply) says about Exchange.
pub fn analyse(proto: MailProto, obs: &MailObservation) -> BannerFacts {
    let mut facts = BannerFacts::default();
    let text = obs.greeting.join(" ");
    let lower = text.to_ascii_lowercase();
    match proto {
        MailProto::Smtp => {
            if lower.contains("microsoft esmtp mail service") {
                match version_after(&text, "version:") {
                    // The Windows (IIS) SMTP service: Windows 2000 (5.0) / 2003 (6.0). It
                    // carried Exchange 2000/2003, but also runs alone: Exchange only with XEXCH50.
                    // The version is Windows', not Exchange's: kept in the product only.
                    Some((v, 5 | 6, _)) => {
                        facts.product = Some(format!("Microsoft IIS SMTP service {v} (Windows; the transport of Exchange 2000/2003, or IIS SMTP alone)"));
                    }
                    Some((v, major, minor)) => {
                        facts.version_product = product_line(major, minor);
                        facts.catalogue_version = parse_version(&v);
                        facts.product = Some(match facts.version_product {
                            Some(p) => format!("Microsoft Exchange transport ({p}, {v})"),
                            None => format!("Microsoft ESMTP MAIL Service {v}"),
                        });
                        facts.exchange = Some("SMTP banner of the Exchange transport".into());
                        facts.version_text = Some(v);
                    }
                    None => {
                        facts.product = Some("Microsoft Exchange transport (2007 or later)".into());
                        facts.exchange = Some(
                            "SMTP banner \"Microsoft ESMTP MAIL Service ready\" (Exchange transport)"
                                .into(),
                        );
                    }
                }
            }
            let markers: Vec<&str> = EXCHANGE_EHLO_KEYWORDS
                .iter()
                .copied()
                .filter(|k| {
                    obs.ehlo.iter().any(|l| {
                        l.split_whitespace()
                            .next()
                            .is_some_and(|w| w.eq_ignore_ascii_case(k))
                    })
                })
                .collect();
            if !markers.is_empty() {
                let why = format!("SMTP EHLO advertises {}", markers.join(", "));
                facts.exchange = Some(match facts.exchange.take() {
                    Some(b) => format!("{b}; {why}"),
                    None => why,
                });
                if facts.product.is_none() {
                    facts.product = Some("Microsoft Exchange transport (EHLO keywords)".into());
                }
            }
        }
        MailProto::Imap | MailProto::Pop3 => {
            let service = if proto == MailProto::Imap {
                "IMAP4"
            } else {
                "POP3"
            };
            if lower.contains("microsoft exchange") {
                facts.exchange = Some(format!(
                    "{} greeting names Microsoft Exchange",
                    proto.method()
                ));
                match version_after(&text, "server version") {
                    Some((v, major, minor)) => {
                        facts.version_product = product_line(major, minor);
                        facts.catalogue_version = parse_version(&v);
                        facts.product = Some(match facts.version_product {
                            Some(p) => format!("Microsoft {p} {service} server ({v})"),
                            None => format!("Microsoft Exchange {service} server ({v})"),
                        });
                        facts.version_text = Some(v);
                    }
                    None => {
                        facts.product = Some(format!("Microsoft Exchange {service} service"));
                    }
                }
                facts.server_name = decode_server_name(&text);
            }
        }
    }
    facts
}

/// A TLS connector for mail: the HTTP scanner's no-verify policy, no ALPN, no resumption.
pub fn tls_connector() -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(crate::http::accept_any_cert(provider))
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    TlsConnector::from(Arc::new(config))
}

/// Reads CRLF lines with caps on line length and total bytes.
struct Lines<S> {
    stream: S,
    buf: Vec<u8>,
    total: usize,
    deadline: Instant,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Lines<S> {
    async fn line(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.buf) {
                let line: Vec<u8> = self.buf.drain(..=p).collect();
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(format!(
                    "line longer than {MAX_LINE} bytes without a newline"
                ));
            }
            if self.total >= MAX_BYTES {
                return Err(format!("more than {MAX_BYTES} bytes: stopped reading"));
            }
            let mut chunk = [0u8; 512];
            let want = chunk.len().min(MAX_BYTES - self.total);
            match timeout_at(self.deadline, self.stream.read(&mut chunk[..want])).await {
                Err(_) => {
                    return Err(if self.total == 0 {
                        "no greeting before the deadline".into()
                    } else {
                        "timed out waiting for a complete line".into()
                    })
                }
                Ok(Err(e)) => return Err(format!("read: {e}")),
                Ok(Ok(0)) => return Err("connection closed".into()),
                Ok(Ok(n)) => {
                    self.total += n;
                    self.buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
    }

    /// One SMTP reply: lines `NNN-…` continued until `NNN …`. Returns the code and the texts.
    async fn smtp_reply(&mut self) -> Result<(Option<u16>, Vec<String>), String> {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let raw = self.line().await?;
            let more = raw.len() > 3 && raw[3] == b'-';
            let c = std::str::from_utf8(raw.get(..3).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse::<u16>().ok());
            code = code.or(c);
            let text = if c.is_some() && raw.len() > 4 {
                &raw[4..]
            } else {
                &raw[..]
            };
            if lines.len() < MAX_REPLY_LINES {
                lines.push(sanitise(text));
            }
            if !more || c.is_none() {
                return Ok((code, lines));
            }
        }
    }

    async fn send(&mut self, cmd: MailCommand) -> Result<(), String> {
        match timeout_at(self.deadline, async {
            self.stream.write_all(cmd.wire()).await?;
            self.stream.flush().await
        })
        .await
        {
            Err(_) => Err("write timed out".into()),
            Ok(Err(e)) => Err(format!("write: {e}")),
            Ok(Ok(())) => Ok(()),
        }
    }
}

/// Connect to one mail port and read what it says. Never panics on what the network sends.
/// `connect_timeout` bounds the TCP connect and TLS handshake, `io_timeout` the conversation.
pub async fn probe(
    tls: &TlsConnector,
    legacy: Option<&LegacyTls>,
    addr: SocketAddr,
    sni: Option<&str>,
    port: MailPort,
    connect_timeout: Duration,
    io_timeout: Duration,
) -> MailObservation {
    let mut obs = MailObservation::default();
    let deadline = Instant::now() + connect_timeout;
    let tcp = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => {
            obs.error = Some("connect timed out".into());
            return obs;
        }
        Ok(Err(e)) => {
            obs.error = Some(format!("connect: {e}"));
            return obs;
        }
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = if port.tls {
        let name = match sni.and_then(|n| ServerName::try_from(n.to_string()).ok()) {
            Some(n) => n,
            None => ServerName::IpAddress(addr.ip().into()),
        };
        match timeout_at(deadline, tls.connect(name, tcp)).await {
            Err(_) => {
                obs.error = Some("TLS handshake timed out".into());
                return obs;
            }
            Ok(Err(e)) => {
                obs.legacy_tls = crate::http::is_legacy_tls(&e);
                let Some(legacy) = legacy.filter(|_| wants_fallback(&e)) else {
                    obs.error = Some(crate::http::describe_tls_error(&e, None));
                    return obs;
                };
                let tcp = match timeout_at(deadline, TcpStream::connect(addr)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(ce)) => {
                        let why = format!("reconnect: {ce}");
                        obs.error = Some(crate::http::describe_tls_error(&e, Some(&why)));
                        return obs;
                    }
                    Err(_) => {
                        obs.error = Some("TLS handshake timed out".into());
                        return obs;
                    }
                };
                let _ = tcp.set_nodelay(true);
                match timeout_at(deadline, legacy.connect(tcp, sni)).await {
                    Err(_) => {
                        obs.error = Some("TLS handshake timed out".into());
                        return obs;
                    }
                    Ok(Err(le)) => {
                        obs.error = Some(crate::http::describe_tls_error(&e, Some(&le)));
                        return obs;
                    }
                    Ok(Ok((s, n))) => {
                        obs.legacy_tls = obs.legacy_tls || n.evidence_kind() == "tls:legacy-only";
                        obs.legacy_negotiated = Some(n);
                        s
                    }
                }
            }
            Ok(Ok(s)) => Box::new(s),
        }
    } else {
        Box::new(tcp)
    };
    let mut lines = Lines {
        stream,
        buf: Vec::with_capacity(512),
        total: 0,
        deadline: Instant::now() + io_timeout,
    };
    if let Err(e) = converse(&mut lines, port.proto, &mut obs).await {
        obs.error = Some(e);
    }
    obs
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    lines: &mut Lines<S>,
    proto: MailProto,
    obs: &mut MailObservation,
) -> Result<(), String> {
    match proto {
        MailProto::Smtp => {
            let (code, greeting) = lines.smtp_reply().await?;
            obs.code = code;
            obs.greeting = greeting;
            if code == Some(220) {
                lines.send(MailCommand::SmtpEhlo).await?;
                let (_, ehlo) = lines.smtp_reply().await?;
                obs.ehlo = ehlo;
            }
            close(lines, MailCommand::SmtpQuit).await;
        }
        MailProto::Imap => {
            obs.greeting = vec![sanitise(&lines.line().await?)];
            close(lines, MailCommand::ImapLogout).await;
        }
        MailProto::Pop3 => {
            obs.greeting = vec![sanitise(&lines.line().await?)];
            close(lines, MailCommand::Pop3Quit).await;
        }
    }
    Ok(())
}

/// Say goodbye and wait briefly for the answer (best effort: the evidence is already read).
async fn close<S: AsyncRead + AsyncWrite + Unpin>(lines: &mut Lines<S>, cmd: MailCommand) {
    lines.deadline = lines.deadline.min(Instant::now() + Duration::from_secs(2));
    if lines.send(cmd).await.is_ok() {
        let _ = lines.line().await;
    }
    let _ = timeout_at(lines.deadline, lines.stream.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn obs(greeting: &str, ehlo: &[&str]) -> MailObservation {
        MailObservation {
            greeting: vec![greeting.to_string()],
            ehlo: ehlo.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn ports_parse() {
        assert_eq!(
            MailPort::parse("993").unwrap(),
            MailPort {
                port: 993,
                proto: MailProto::Imap,
                tls: true
            }
        );
        assert_eq!(MailPort::parse("2526/SMTP").unwrap().scheme(), "smtp");
        assert_eq!(MailPort::parse("10995/pop3s").unwrap().scheme(), "pop3s");
        assert_eq!(
            MailPort::parse("8025"),
            Err(MailPortError::NotWellKnown(8025))
        );
        assert!(matches!(
            MailPort::parse("0"),
            Err(MailPortError::NotAPort(_))
        ));
        assert!(matches!(
            MailPort::parse("25/ftp"),
            Err(MailPortError::UnknownProtocol { port: 25, .. })
        ));
        assert_eq!(default_mail_ports().len(), DEFAULT_MAIL_PORTS.len());
    }

    #[test]
    fn imap_server_name_from_base64() {
        let name = "EX01.contoso.com";
        let utf16: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let g = format!(
            "* OK The Microsoft Exchange IMAP4 service is ready. [{}]",
            b64(&utf16)
        );
        let f = analyse(MailProto::Imap, &obs(&g, &[]));
        assert!(f.exchange.is_some());
        assert_eq!(f.server_name.as_deref(), Some(name));
        assert_eq!(
            f.product.as_deref(),
            Some("Microsoft Exchange IMAP4 service")
        );
        // Not base64, odd length, not a host name, too long: no name, no panic.
        for junk in [
            "[!!!]",
            "[QQ==]",
            "[AAA=]",
            &format!("[{}]", "A".repeat(5000)),
        ] {
            assert_eq!(decode_server_name(junk), None, "{junk}");
        }
        let bad = b64(&"a b"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect::<Vec<_>>());
        assert_eq!(decode_server_name(&format!("[{bad}]")), None);
    }

    #[test]
    fn banners() {
        let f = analyse(
            MailProto::Smtp,
            &obs(
                "EX01.contoso.com Microsoft ESMTP MAIL Service ready at Tue, 2 Mar 2021 10:00:00 +0000",
                &["EX01.contoso.com Hello [192.0.2.1]", "SIZE 37748736", "X-ANONYMOUSTLS", "XRDST"],
            ),
        );
        assert!(f
            .exchange
            .as_deref()
            .unwrap()
            .contains("X-ANONYMOUSTLS, XRDST"));
        assert_eq!(f.version_text, None);

        let f = analyse(
            MailProto::Smtp,
            &obs("mail.example.org Microsoft ESMTP MAIL Service, Version: 8.1.263.0 ready at Mon, 1 Jan 2010", &[]),
        );
        assert_eq!(f.version_text.as_deref(), Some("8.1.263.0"));
        assert_eq!(f.version_product, Some("Exchange 2007"));
        assert_eq!(f.catalogue_version, None);
        assert!(f.exchange.is_some());

        // The IIS SMTP service alone is not Exchange; with XEXCH50 it carries Exchange 2003.
        let g =
            "mail.example.org Microsoft ESMTP MAIL Service, Version: 6.0.3790.4675 ready at Mon";
        assert!(analyse(MailProto::Smtp, &obs(g, &["SIZE", "DSN"]))
            .exchange
            .is_none());
        let f = analyse(MailProto::Smtp, &obs(g, &["XEXCH50", "X-LINK2STATE"]));
        assert!(f.exchange.is_some());
        assert_eq!(f.version_text, None, "Windows' version is not Exchange's");
        assert!(f
            .product
            .unwrap()
            .contains("IIS SMTP service 6.0.3790.4675"));

        let f = analyse(
            MailProto::Pop3,
            &obs("+OK Microsoft Exchange Server 2003 POP3 server version 6.5.7638.1 (ex03.example.org) ready.", &[]),
        );
        assert_eq!(f.version_product, Some("Exchange 2003"));
        assert_eq!(f.version_text.as_deref(), Some("6.5.7638.1"));

        assert!(analyse(
            MailProto::Smtp,
            &obs(
                "mx.example.org ESMTP Postfix (Debian/GNU)",
                &["PIPELINING", "STARTTLS"]
            )
        )
        .exchange
        .is_none());
        assert!(analyse(
            MailProto::Imap,
            &obs("* OK [CAPABILITY IMAP4rev1] Dovecot ready.", &[])
        )
        .exchange
        .is_none());
        assert_eq!(sanitise(b"220 a\x1b[31mb\r\n"), "220 a?[31mb");
    }
}
