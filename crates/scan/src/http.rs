//! A small HTTP/1.1 client with per-connection control: connect deadline, per-request deadline
//! (a slow drip cannot hold it), header and body byte caps (an endless body cannot fill memory),
//! keep-alive reuse, and TLS through rustls that accepts any certificate (self-signed Exchange
//! certificates are the norm) and sends SNI for names. It sends only [`Request`]s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use crate::legacy_tls::{wants_fallback, LegacyTls, Negotiated};
use crate::request::{Method, Request};
use crate::target::Scheme;

/// Most headers kept per response; more is hostile.
pub const MAX_HEADERS: usize = 100;

#[derive(Clone, Debug)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// Whole request: write, headers and body. Bounds slow-drip servers.
    pub request_timeout: Duration,
    /// Most bytes of response head (status line and headers).
    pub max_head: usize,
    /// Most bytes of body kept; the rest is not read (the connection is then dropped).
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_head: 32 * 1024,
            max_body: 128 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("connect to {0} timed out")]
    ConnectTimeout(SocketAddr),
    #[error("connect to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("TLS handshake: {0}")]
    Tls(std::io::Error),
    /// The server chose TLS 1.0/1.1 (or older), or refused 1.2 and 1.3 with a
    /// `protocol_version` alert, and the legacy stack could not talk to it either (or exray was
    /// built without it).
    #[error("TLS 1.0/1.1 only: {0}")]
    TlsLegacy(std::io::Error),
    #[error("TLS handshake timed out")]
    TlsTimeout,
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("connection closed before a response")]
    Closed,
    #[error("malformed response: {0}")]
    Malformed(String),
}

impl HttpError {
    /// Errors that mean "nothing answered" rather than "something odd answered".
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            HttpError::ConnectTimeout(_)
                | HttpError::Connect(..)
                | HttpError::Timeout(_)
                | HttpError::TlsTimeout
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap (or the deadline cut it).
    pub truncated: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A byte stream a connection runs over: TCP, rustls or the legacy stack.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Shared client state: TLS configuration and limits.
#[derive(Clone)]
pub struct Client {
    tls: TlsConnector,
    /// The fallback for servers rustls cannot talk to (None: built without it).
    legacy: Option<LegacyTls>,
    pub limits: Limits,
}

/// The certificate policy of fingerprinting, shared by the mail probes: any certificate is
/// accepted (self-signed certificates are the norm, and nothing secret is sent).
pub fn accept_any_cert(
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    Arc::new(AcceptAnyCert(provider))
}

/// The rustls error inside an I/O error from tokio-rustls, if there is one.
fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// Does this handshake error mean "the server speaks only TLS 1.0/1.1 (or SSL)"? True when the
/// server's ServerHello chose a version below 1.2, or it answered with a `protocol_version`
/// alert.
pub fn is_legacy_tls(e: &std::io::Error) -> bool {
    matches!(
        rustls_error(e),
        Some(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
        )) | Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::ProtocolVersion
        ))
    )
}

/// A handshake error in words, saying so plainly when the server speaks only TLS 1.0/1.1.
/// `legacy` is why the legacy stack failed too, when it was tried.
pub fn describe_tls_error(e: &std::io::Error, legacy: Option<&str>) -> String {
    tls_error(e, legacy).to_string()
}

/// The error for a rustls handshake failure `e`, and the legacy stack's failure if it was tried.
fn tls_error(e: &std::io::Error, legacy: Option<&str>) -> HttpError {
    let what = match legacy {
        Some(l) => format!("{e}; the legacy TLS stack (OpenSSL, TLS 1.0-1.2) failed too: {l}"),
        None => e.to_string(),
    };
    if is_legacy_tls(e) {
        let what = if legacy.is_some() {
            what
        } else {
            format!(
                "handshake refused by exray's TLS stack (rustls speaks TLS 1.2 and 1.3; this exray \
                 was built without its legacy TLS stack): {what}"
            )
        };
        HttpError::TlsLegacy(std::io::Error::new(e.kind(), what))
    } else {
        HttpError::Tls(std::io::Error::new(e.kind(), what))
    }
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Fingerprinting, not trust: Exchange servers commonly use self-signed certificates,
        // and nothing secret is sent.
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl Client {
    pub fn new(limits: Limits) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // Every target is contacted once: session tickets would only link targets together.
        config.resumption = rustls::client::Resumption::disabled();
        Client {
            tls: TlsConnector::from(Arc::new(config)),
            legacy: LegacyTls::new(),
            limits,
        }
    }

    /// The legacy TLS stack, when this build has it.
    pub fn legacy(&self) -> Option<&LegacyTls> {
        self.legacy.as_ref()
    }

    /// Open a connection. `sni` is the DNS name for TLS (None for IP targets). With
    /// `legacy_first` (the target already needed the legacy stack) HTTPS goes straight to it;
    /// otherwise rustls first, and the legacy stack on a fresh connection when rustls's
    /// handshake is refused the way old servers refuse it ([`wants_fallback`]).
    pub async fn connect(
        &self,
        addr: SocketAddr,
        scheme: Scheme,
        sni: Option<&str>,
        connect_timeout: Duration,
        legacy_first: bool,
    ) -> Result<Conn, HttpError> {
        let deadline = Instant::now() + connect_timeout;
        let tcp = tcp_connect(addr, deadline).await?;
        let mut negotiated = None;
        let stream: Box<dyn Stream> = match (scheme, &self.legacy) {
            (Scheme::Http, _) => Box::new(tcp),
            (Scheme::Https, Some(legacy)) if legacy_first => {
                let (s, n) = match timeout_at(deadline, legacy.connect(tcp, sni)).await {
                    Err(_) => return Err(HttpError::TlsTimeout),
                    Ok(Err(e)) => {
                        return Err(HttpError::TlsLegacy(std::io::Error::other(format!(
                            "the legacy TLS stack (OpenSSL, TLS 1.0-1.2): {e}"
                        ))))
                    }
                    Ok(Ok(sn)) => sn,
                };
                negotiated = Some(n);
                s
            }
            (Scheme::Https, _) => {
                let name = match sni.and_then(|n| ServerName::try_from(n.to_string()).ok()) {
                    Some(n) => n,
                    None => ServerName::IpAddress(addr.ip().into()),
                };
                match timeout_at(deadline, self.tls.connect(name, tcp)).await {
                    Err(_) => return Err(HttpError::TlsTimeout),
                    Ok(Err(e)) => match &self.legacy {
                        Some(legacy) if wants_fallback(&e) => {
                            let tcp = tcp_connect(addr, deadline).await?;
                            match timeout_at(deadline, legacy.connect(tcp, sni)).await {
                                Err(_) => return Err(HttpError::TlsTimeout),
                                Ok(Err(le)) => return Err(tls_error(&e, Some(&le))),
                                Ok(Ok((s, n))) => {
                                    negotiated = Some(n);
                                    s
                                }
                            }
                        }
                        _ => return Err(tls_error(&e, None)),
                    },
                    Ok(Ok(s)) => Box::new(s),
                }
            }
        };
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
            start: 0,
            reusable: true,
            used: false,
            legacy: negotiated,
        })
    }
}

async fn tcp_connect(addr: SocketAddr, deadline: Instant) -> Result<TcpStream, HttpError> {
    let tcp = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => return Err(HttpError::ConnectTimeout(addr)),
        Ok(Err(e)) => return Err(HttpError::Connect(addr, e)),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// One connection, reused for the requests of one target while the server keeps it open.
pub struct Conn {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    start: usize,
    reusable: bool,
    used: bool,
    legacy: Option<Negotiated>,
}

impl Conn {
    /// What the legacy TLS stack negotiated, when this connection runs over it.
    pub fn legacy(&self) -> Option<&Negotiated> {
        self.legacy.as_ref()
    }
    pub fn reusable(&self) -> bool {
        self.reusable
    }
    /// True once a request was sent on it (a failure on a reused connection may be a
    /// keep-alive close and is worth one retry on a fresh connection).
    pub fn used(&self) -> bool {
        self.used
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Read more bytes; `Ok(0)` at EOF.
    async fn fill(&mut self, deadline: Instant, limit: Duration) -> Result<usize, HttpError> {
        if self.start > 0 && self.start * 2 > self.buf.capacity() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut chunk = [0u8; 8192];
        match timeout_at(deadline, self.stream.read(&mut chunk)).await {
            Err(_) => Err(HttpError::Timeout(limit)),
            Ok(Err(e)) => Err(HttpError::Io(e)),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
        }
    }

    /// Send one request and read its response within the limits.
    pub async fn send(
        &mut self,
        req: &Request,
        host: &str,
        user_agent: &str,
        limits: &Limits,
    ) -> Result<Response, HttpError> {
        let deadline = Instant::now() + limits.request_timeout;
        let lim = limits.request_timeout;
        self.used = true;
        let wire = req.to_wire(host, user_agent);
        match timeout_at(deadline, async {
            self.stream.write_all(&wire).await?;
            self.stream.flush().await
        })
        .await
        {
            Err(_) => return Err(HttpError::Timeout(lim)),
            Ok(Err(e)) => return Err(HttpError::Io(e)),
            Ok(Ok(())) => {}
        }
        loop {
            let (status, headers, head_len) =
                self.read_head(deadline, lim, limits.max_head).await?;
            self.consume(head_len);
            if (100..200).contains(&status) && status != 101 {
                continue; // interim response
            }
            let mut resp = Response {
                status,
                headers,
                body: Vec::new(),
                truncated: false,
            };
            let close = resp
                .header("connection")
                .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
            if close || status == 101 {
                self.reusable = false;
            }
            let no_body = req.method() == Method::Head || status == 204 || status == 304;
            if !no_body {
                self.read_body(&mut resp, deadline, lim, limits.max_body)
                    .await?;
            }
            return Ok(resp);
        }
    }

    async fn read_head(
        &mut self,
        deadline: Instant,
        lim: Duration,
        max_head: usize,
    ) -> Result<(u16, Vec<(String, String)>, usize), HttpError> {
        loop {
            if let Some(pos) = memchr::memmem::find(self.pending(), b"\r\n\r\n") {
                let head = &self.pending()[..pos];
                let (status, headers) = parse_head(head)?;
                return Ok((status, headers, pos + 4));
            }
            if self.pending().len() > max_head {
                self.reusable = false;
                return Err(HttpError::Malformed(format!(
                    "response head larger than {max_head} bytes"
                )));
            }
            let n = match self.fill(deadline, lim).await {
                Ok(n) => n,
                // Something answered, but not a complete response in time.
                Err(HttpError::Timeout(_)) if !self.pending().is_empty() => {
                    self.reusable = false;
                    return Err(HttpError::Malformed(
                        "incomplete response head before the deadline".into(),
                    ));
                }
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.reusable = false;
                return if self.pending().is_empty() {
                    Err(HttpError::Closed)
                } else {
                    Err(HttpError::Malformed(
                        "connection closed inside the response head".into(),
                    ))
                };
            }
        }
    }

    async fn read_body(
        &mut self,
        resp: &mut Response,
        deadline: Instant,
        lim: Duration,
        cap: usize,
    ) -> Result<(), HttpError> {
        let chunked = resp
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = match resp.header("content-length") {
            Some(v) if !chunked => Some(v.trim().parse::<u64>().map_err(|_| {
                HttpError::Malformed(format!("bad Content-Length `{}`", v.escape_default()))
            })?),
            _ => None,
        };
        if chunked {
            return self.read_chunked(resp, deadline, lim, cap).await;
        }
        match length {
            Some(len) => {
                resp.body.reserve_exact((len as usize).min(cap));
                let mut left = len;
                while left > 0 {
                    if self.pending().is_empty() && self.fill(deadline, lim).await? == 0 {
                        self.reusable = false;
                        resp.truncated = true;
                        return Ok(());
                    }
                    let take = (self.pending().len() as u64).min(left) as usize;
                    let room = cap.saturating_sub(resp.body.len());
                    let keep = take.min(room);
                    resp.body.extend_from_slice(&self.pending()[..keep]);
                    self.consume(take);
                    left -= take as u64;
                    if keep < take || (left > 0 && resp.body.len() >= cap) {
                        resp.truncated = true;
                        self.reusable = false;
                        return Ok(());
                    }
                }
                Ok(())
            }
            None => {
                // Read to EOF, capped: the connection cannot be reused.
                self.reusable = false;
                loop {
                    let room = cap.saturating_sub(resp.body.len());
                    let take = self.pending().len().min(room);
                    resp.body.extend_from_slice(&self.pending()[..take]);
                    let n = self.pending().len();
                    self.consume(n);
                    if resp.body.len() >= cap {
                        resp.truncated = true;
                        return Ok(());
                    }
                    match self.fill(deadline, lim).await {
                        Ok(0) => return Ok(()),
                        Ok(_) => {}
                        // A body cut by the deadline still carries what was read.
                        Err(HttpError::Timeout(_)) if !resp.body.is_empty() => {
                            resp.truncated = true;
                            return Ok(());
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    async fn read_chunked(
        &mut self,
        resp: &mut Response,
        deadline: Instant,
        lim: Duration,
        cap: usize,
    ) -> Result<(), HttpError> {
        loop {
            // Chunk-size line.
            let line_end = loop {
                if let Some(p) = memchr::memmem::find(self.pending(), b"\r\n") {
                    break p;
                }
                if self.pending().len() > 1024 {
                    self.reusable = false;
                    return Err(HttpError::Malformed("chunk size line too long".into()));
                }
                if self.fill(deadline, lim).await? == 0 {
                    self.reusable = false;
                    resp.truncated = true;
                    return Ok(());
                }
            };
            let line = String::from_utf8_lossy(&self.pending()[..line_end]).to_string();
            self.consume(line_end + 2);
            let size_s = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_s, 16).map_err(|_| {
                self.reusable = false;
                HttpError::Malformed(format!("bad chunk size `{}`", size_s.escape_default()))
            })?;
            if size == 0 {
                // Trailers until an empty line.
                loop {
                    if let Some(p) = memchr::memmem::find(self.pending(), b"\r\n") {
                        self.consume(p + 2);
                        if p == 0 {
                            return Ok(());
                        }
                        continue;
                    }
                    if self.pending().len() > 8192 || self.fill(deadline, lim).await? == 0 {
                        self.reusable = false;
                        return Ok(());
                    }
                }
            }
            let mut left = size;
            while left > 0 {
                if self.pending().is_empty() && self.fill(deadline, lim).await? == 0 {
                    self.reusable = false;
                    resp.truncated = true;
                    return Ok(());
                }
                let take = (self.pending().len() as u64).min(left) as usize;
                let room = cap.saturating_sub(resp.body.len());
                let keep = take.min(room);
                resp.body.extend_from_slice(&self.pending()[..keep]);
                self.consume(take);
                left -= take as u64;
                if keep < take || resp.body.len() >= cap && left > 0 {
                    resp.truncated = true;
                    self.reusable = false;
                    return Ok(());
                }
            }
            // CRLF after the chunk data.
            while self.pending().len() < 2 {
                if self.fill(deadline, lim).await? == 0 {
                    self.reusable = false;
                    return Ok(());
                }
            }
            self.consume(2);
            if resp.body.len() >= cap {
                resp.truncated = true;
                self.reusable = false;
                return Ok(());
            }
        }
    }
}

/// Parse a status line and headers (without the final blank line).
pub fn parse_head(head: &[u8]) -> Result<(u16, Vec<(String, String)>), HttpError> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line);
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed(format!(
            "not an HTTP/1.x status line: `{}`",
            status_line
                .chars()
                .take(60)
                .collect::<String>()
                .escape_default()
        )));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or_else(|| HttpError::Malformed("bad status code".into()))?;
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if headers.len() >= MAX_HEADERS {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue; // tolerate junk lines
        };
        let name = String::from_utf8_lossy(&line[..colon]).trim().to_string();
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_string();
        headers.push((name, value));
    }
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads() {
        let (s, h) = parse_head(
            b"HTTP/1.1 302 Found\r\nLocation: /owa/auth/logon.aspx\r\nX-FEServer: EX01\r\njunk",
        )
        .unwrap();
        assert_eq!(s, 302);
        assert_eq!(h.len(), 2);
        assert_eq!(h[1], ("X-FEServer".to_string(), "EX01".to_string()));
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_head(b"HTTP/1.1 abc").is_err());
    }
}
