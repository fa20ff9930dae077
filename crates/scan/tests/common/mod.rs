//! In-process fake servers on loopback for the scanner's tests and benchmark: Exchange builds
//! and behaviours, non-Exchange servers and hostile ones. Pages are generated in code; the real
//! OWA logon page and favicon from `../shared/data/http/owa-honeypot-page` are used where present.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The values of a scan result's evidence of one kind.
pub fn evidence<'a>(r: &'a exray_core::ScanResult, what: &str) -> Vec<&'a str> {
    r.evidence
        .iter()
        .filter(|e| e.what == what)
        .map(|e| e.value.as_str())
        .collect()
}

/// `../shared/data` relative to the workspace root, if present.
pub fn shared_data() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if p.is_dir() {
        Some(p)
    } else {
        None
    }
}

/// The real 2016 CU9 OWA logon page, or None (with a printed skip message).
pub fn honeypot_page() -> Option<Vec<u8>> {
    let p = shared_data()?.join("http/owa-honeypot-page/templates/outlook_web.html");
    std::fs::read(p).ok()
}

pub fn honeypot_favicon() -> Option<Vec<u8>> {
    let p = shared_data()?.join("http/owa-honeypot-page/static/favicon.ico");
    std::fs::read(p).ok()
}

/// A minimal OWA-like logon page with resource folders of `cu` (e.g. `15.1.2176`), or none.
pub fn generated_logon_page(cu: Option<&str>) -> Vec<u8> {
    let res = match cu {
        Some(cu) => format!(
            "<link rel=\"shortcut icon\" href=\"/owa/auth/{cu}/themes/resources/favicon.ico\" type=\"image/x-icon\">\n\
             <link rel=\"stylesheet\" href=\"/owa/auth/{cu}/themes/resources/logon.css\">\n\
             <img src=\"/owa/auth/{cu}/themes/resources/olk_logo_white.png\">\n"
        ),
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta http-equiv=\"X-UA-Compatible\" content=\"IE=10\">\n\
         <title>Outlook</title>\n{res}</head><body><form action=\"/owa/auth.owa\" method=\"POST\" name=\"logonForm\">\n\
         <input id=\"username\" name=\"username\"><input id=\"password\" name=\"password\" type=\"password\">\n\
         </form></body></html>\n"
    )
    .into_bytes()
}

pub fn manifest(version: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <asmv1:assembly xsi:schemaLocation=\"urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd\" manifestVersion=\"1.0\" xmlns:asmv1=\"urn:schemas-microsoft-com:asm.v1\">\n\
         <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"{version}\" publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" processorArchitecture=\"msil\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\n\
         <description asmv2:publisher=\"Microsoft Corporation\" asmv2:product=\"Microsoft Exchange eDiscovery PST Export Tool\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\n\
         <dependency><dependentAssembly dependencyType=\"install\" codebase=\"microsoft.exchange.ediscovery.exporttool.exe.manifest\" size=\"19917\">\n\
         <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.exe\" version=\"{version}\" publicKeyToken=\"31bf3856ad364e35\" /></dependentAssembly></dependency>\n\
         </asmv1:assembly>\n"
    )
    .into_bytes()
}

/// How a fake Exchange answers.
#[derive(Clone, Debug, Default)]
pub struct Exchange {
    /// Version in the export tool manifest; None: 404.
    pub manifest: Option<String>,
    /// X-OWA-Version header on OWA responses.
    pub owa_header: Option<String>,
    /// The logon page body; None: 404.
    pub logon_page: Option<Vec<u8>>,
    /// `/owa/` redirects to the logon page.
    pub logon_redirect: bool,
    /// `/owa/` redirects to errorfe.aspx with this owaVer.
    pub owaver_redirect: Option<String>,
    /// X-FEServer / X-BEServer headers.
    pub fe_headers: bool,
    /// `/favicon.ico` body.
    pub favicon: Option<Vec<u8>>,
    /// Web-shell paths that answer 200 (parameter-free) with this body.
    pub shells: Vec<(String, Vec<u8>)>,
    /// Send bodies chunked (in pieces of 37 bytes) and close the connection after each
    /// response, instead of Content-Length and keep-alive.
    pub chunked_close: bool,
}

#[derive(Clone, Debug)]
pub enum Persona {
    Exchange(Box<Exchange>),
    /// An ordinary web server: 404 everywhere, a home page at `/`.
    NotExchange,
    /// Accepts the connection, never sends a byte.
    NeverAnswer,
    /// 200 with an endless body (no length).
    EndlessBody,
    /// 200 with an endless chunked body.
    EndlessChunked,
    /// Random bytes instead of a TLS handshake / HTTP response.
    Garbage,
    /// A valid response, one byte every 100 ms.
    SlowDrip,
    /// Endless header lines.
    EndlessHeaders,
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The whole request head as received.
    pub head: String,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

pub fn tls_acceptor() -> TlsAcceptor {
    static ACCEPTOR: std::sync::OnceLock<TlsAcceptor> = std::sync::OnceLock::new();
    ACCEPTOR
        .get_or_init(|| {
            let ck = rcgen::generate_simple_self_signed(vec!["mail.example.test".to_string()])
                .expect("rcgen");
            let cert = rustls::pki_types::CertificateDer::from(ck.cert.der().to_vec());
            let key = rustls::pki_types::PrivateKeyDer::try_from(ck.key_pair.serialize_der())
                .expect("key");
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
                .expect("cert");
            TlsAcceptor::from(Arc::new(cfg))
        })
        .clone()
}

/// Start a fake server on `ip` (port chosen by the OS).
pub async fn spawn(ip: IpAddr, tls: bool, persona: Persona) -> FakeServer {
    spawn_opts(ip, tls, persona, true).await
}

pub async fn spawn_opts(ip: IpAddr, tls: bool, persona: Persona, record: bool) -> FakeServer {
    let wrap = if tls { Wrap::Rustls } else { Wrap::Plain };
    spawn_with(ip, wrap, persona, record).await
}

/// The old TLS an Exchange on an old Windows speaks, served by OpenSSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyServer {
    /// TLS 1.0 only.
    Tls10,
    /// TLS 1.1 only.
    Tls11,
    /// TLS 1.2 with CBC suites only (Windows Server 2008 R2 with an RSA certificate).
    Tls12Cbc,
}

/// How a fake server wraps its connections.
#[derive(Clone, Copy, Debug)]
pub enum Wrap {
    Plain,
    Rustls,
    Legacy(LegacyServer),
}

/// A self-signed RSA-2048 certificate with SHA-1 (as an old Exchange's own certificate).
fn legacy_cert() -> (
    openssl::x509::X509,
    openssl::pkey::PKey<openssl::pkey::Private>,
) {
    use openssl::{asn1, bn, hash, pkey, rsa, x509};
    static CERT: std::sync::OnceLock<(x509::X509, pkey::PKey<pkey::Private>)> =
        std::sync::OnceLock::new();
    CERT.get_or_init(|| {
        let key = pkey::PKey::from_rsa(rsa::Rsa::generate(2048).expect("rsa")).expect("key");
        let mut name = x509::X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", "EX2010.contoso.test")
            .expect("cn");
        let name = name.build();
        let mut b = x509::X509Builder::new().expect("builder");
        b.set_version(2).expect("version");
        let serial = bn::BigNum::from_u32(0x2010).and_then(|n| n.to_asn1_integer());
        b.set_serial_number(&serial.expect("serial"))
            .expect("serial");
        b.set_subject_name(&name).expect("subject");
        b.set_issuer_name(&name).expect("issuer");
        b.set_pubkey(&key).expect("pubkey");
        b.set_not_before(&asn1::Asn1Time::days_from_now(0).expect("time"))
            .expect("not before");
        b.set_not_after(&asn1::Asn1Time::days_from_now(2).expect("time"))
            .expect("not after");
        b.sign(&key, hash::MessageDigest::sha1()).expect("sign");
        (b.build(), key)
    })
    .clone()
}

/// An OpenSSL acceptor that speaks only `legacy`, with a self-signed RSA certificate.
pub fn legacy_acceptor(legacy: LegacyServer) -> openssl::ssl::SslAcceptor {
    use openssl::ssl::{SslAcceptor, SslMethod, SslVersion};
    let (cert, key) = legacy_cert();
    let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls_server()).expect("acceptor");
    let (v, ciphers) = match legacy {
        LegacyServer::Tls10 => (SslVersion::TLS1, "ALL:@SECLEVEL=0"),
        LegacyServer::Tls11 => (SslVersion::TLS1_1, "ALL:@SECLEVEL=0"),
        LegacyServer::Tls12Cbc => (
            SslVersion::TLS1_2,
            "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA:AES128-SHA256:@SECLEVEL=0",
        ),
    };
    b.set_min_proto_version(Some(v)).expect("min");
    b.set_max_proto_version(Some(v)).expect("max");
    b.set_cipher_list(ciphers).expect("ciphers");
    b.set_certificate(&cert).expect("certificate");
    b.set_private_key(&key).expect("private key");
    b.build()
}

/// Start a fake server on `ip` that speaks only the old TLS `legacy`.
pub async fn spawn_legacy(ip: IpAddr, legacy: LegacyServer, persona: Persona) -> FakeServer {
    spawn_with(ip, Wrap::Legacy(legacy), persona, true).await
}

/// Accept `legacy` TLS on `sock`, or None when the handshake fails.
pub async fn accept_legacy(
    acceptor: &openssl::ssl::SslAcceptor,
    sock: tokio::net::TcpStream,
) -> Option<tokio_openssl::SslStream<tokio::net::TcpStream>> {
    let ssl = openssl::ssl::Ssl::new(acceptor.context()).ok()?;
    let mut s = tokio_openssl::SslStream::new(ssl, sock).ok()?;
    std::pin::Pin::new(&mut s).accept().await.ok()?;
    Some(s)
}

pub async fn spawn_with(ip: IpAddr, wrap: Wrap, persona: Persona, record: bool) -> FakeServer {
    let acceptor = match wrap {
        Wrap::Legacy(l) => Some(Arc::new(legacy_acceptor(l))),
        _ => None,
    };
    let listener = TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let persona = Arc::new(persona);
    let rec = requests.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let persona = persona.clone();
            let rec = if record { Some(rec.clone()) } else { None };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = sock.set_nodelay(true);
                if matches!(*persona, Persona::Garbage) {
                    let mut sock = sock;
                    let junk: Vec<u8> = (0..4096u32)
                        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                        .collect();
                    let _ = sock.write_all(&junk).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    return;
                }
                if matches!(*persona, Persona::NeverAnswer) {
                    let _hold = sock;
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
                match (wrap, acceptor) {
                    (Wrap::Rustls, _) => {
                        if let Ok(s) = tls_acceptor().accept(sock).await {
                            serve_conn(s, &persona, rec).await;
                        }
                    }
                    (Wrap::Legacy(_), Some(acceptor)) => {
                        if let Some(s) = accept_legacy(&acceptor, sock).await {
                            serve_conn(s, &persona, rec).await;
                        }
                    }
                    _ => serve_conn(sock, &persona, rec).await,
                }
            });
        }
    });
    FakeServer {
        addr,
        requests,
        task,
    }
}

async fn serve_conn<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    persona: &Persona,
    rec: Option<Arc<Mutex<Vec<Recorded>>>>,
) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 64 * 1024 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end + 4);
        let mut first = head.lines().next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let path = first.next().unwrap_or("").to_string();
        if let Some(rec) = &rec {
            rec.lock().unwrap().push(Recorded {
                method: method.clone(),
                path: path.clone(),
                head: head.clone(),
            });
        }
        match persona {
            Persona::EndlessBody => {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
                    .await;
                let block = vec![b'A'; 16384];
                while s.write_all(&block).await.is_ok() {}
                return;
            }
            Persona::EndlessChunked => {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .await;
                let mut block = b"4000\r\n".to_vec();
                block.extend(vec![b'B'; 0x4000]);
                block.extend_from_slice(b"\r\n");
                while s.write_all(&block).await.is_ok() {}
                return;
            }
            Persona::EndlessHeaders => {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\n").await;
                while s
                    .write_all(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
                    .await
                    .is_ok()
                {}
                return;
            }
            Persona::SlowDrip => {
                for b in b"HTTP/1.1 200 OK\r\nX-FEServer: SLOW\r\nContent-Length: 5\r\n\r\nhello" {
                    if s.write_all(&[*b]).await.is_err() || s.flush().await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                return;
            }
            _ => {}
        }
        let (status, headers, body) = route(persona, &method, &path);
        let chunked = matches!(persona, Persona::Exchange(ex) if ex.chunked_close);
        let mut resp = if chunked {
            format!("HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n")
        } else {
            format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len())
        };
        for (k, v) in headers {
            resp.push_str(&format!("{k}: {v}\r\n"));
        }
        resp.push_str("\r\n");
        let mut out = resp.into_bytes();
        if chunked {
            for piece in body.chunks(37) {
                out.extend_from_slice(format!("{:x};ext=1\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
        } else {
            out.extend_from_slice(&body);
        }
        if s.write_all(&out).await.is_err() || s.flush().await.is_err() {
            return;
        }
        if chunked {
            let _ = s.shutdown().await;
            return;
        }
    }
}

fn not_found() -> (u16, Vec<(String, String)>, Vec<u8>) {
    (
        404,
        vec![("Content-Type".into(), "text/html".into())],
        b"<html><head><title>404 - File or directory not found.</title></head><body>Server Error</body></html>".to_vec(),
    )
}

fn route(persona: &Persona, method: &str, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let ex = match persona {
        Persona::Exchange(ex) => ex,
        _ => {
            return if path == "/" {
                (
                    200,
                    vec![("Server".into(), "nginx".into())],
                    b"<html><title>Welcome</title></html>".to_vec(),
                )
            } else {
                (
                    404,
                    vec![("Server".into(), "nginx".into())],
                    b"not found".to_vec(),
                )
            }
        }
    };
    if method != "GET" && method != "HEAD" {
        return (405, vec![], Vec::new());
    }
    let mut headers: Vec<(String, String)> = vec![("Server".into(), "Microsoft-IIS/10.0".into())];
    if ex.fe_headers {
        headers.push(("X-FEServer".into(), "EXCH01".into()));
    }
    let lower = path.to_ascii_lowercase();
    if lower == "/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application" {
        return match &ex.manifest {
            Some(v) => {
                headers.push(("Content-Type".into(), "application/x-ms-application".into()));
                (200, headers, manifest(v))
            }
            None => {
                let (s, _, b) = not_found();
                (s, headers, b)
            }
        };
    }
    if let Some(v) = &ex.owa_header {
        if lower.starts_with("/owa") {
            headers.push(("X-OWA-Version".into(), v.clone()));
        }
    }
    if lower == "/owa/" || lower == "/owa" {
        if let Some(v) = &ex.owaver_redirect {
            headers.push((
                "Location".into(),
                format!("https://mail.example.test/owa/auth/errorFE.aspx?httpCode=500&owaError=Microsoft.Exchange.Data.Storage.X&owaVer={v}&be=EXCH01&ts=1"),
            ));
            return (302, headers, Vec::new());
        }
        if ex.logon_redirect {
            headers.push((
                "Location".into(),
                "https://mail.example.test/owa/auth/logon.aspx?url=https%3a%2f%2fmail.example.test%2fowa%2f&reason=0".into(),
            ));
            return (302, headers, Vec::new());
        }
        return (401, headers, Vec::new());
    }
    if lower == "/owa/auth/logon.aspx" {
        if let Some(p) = &ex.logon_page {
            headers.push(("Content-Type".into(), "text/html; charset=utf-8".into()));
            headers.push((
                "Set-Cookie".into(),
                "X-OWA-CANARY=abc; path=/; secure".into(),
            ));
            return (200, headers, p.clone());
        }
        let (s, _, b) = not_found();
        return (s, headers, b);
    }
    if lower == "/favicon.ico" {
        if let Some(f) = &ex.favicon {
            return (200, headers, f.clone());
        }
    }
    for (shell, body) in &ex.shells {
        if path == shell {
            return (200, headers, body.clone());
        }
    }
    if lower.ends_with(".aspx") && lower.starts_with("/owa/auth/") {
        // Exchange sends unknown OWA pages to errorFE, echoing the path.
        headers.push((
            "Location".into(),
            format!(
                "https://mail.example.test/owa/auth/errorFE.aspx?httpCode=404&aspxerrorpath={path}"
            ),
        ));
        return (302, headers, Vec::new());
    }
    let (s, _, b) = not_found();
    (s, headers, b)
}

/// How a fake mail server behaves.
#[derive(Clone, Debug)]
pub enum MailPersona {
    /// Sends `greeting` (CRLF lines), answers EHLO with `ehlo` (SMTP), QUIT/LOGOUT with a bye.
    Speaks {
        greeting: Vec<String>,
        ehlo: Vec<String>,
    },
    /// Sends bytes without a newline, for as long as the client reads.
    Flood,
    /// Accepts, never sends a byte.
    Silent,
    /// Sends one line, then bytes without a newline forever (after an EHLO).
    FloodAfterEhlo { greeting: String },
}

pub struct FakeMail {
    pub addr: SocketAddr,
    /// Every byte received, per connection.
    pub received: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Most bytes the server wrote on one connection (floods).
    pub written: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMail {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeMail {
    pub fn connections(&self) -> usize {
        self.received.lock().unwrap().len()
    }
    /// Every line received on every connection.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for conn in self.received.lock().unwrap().iter() {
            for l in conn.split_inclusive(|&b| b == b'\n') {
                out.push(l.to_vec());
            }
        }
        out
    }
}

/// The UTF-16LE base64 that Exchange 2013+ appends to IMAP/POP3 greetings.
pub fn exchange_name_b64(name: &str) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Start a fake mail server on `ip` (port chosen by the OS); `tls` for implicit TLS.
pub async fn spawn_mail(ip: IpAddr, tls: bool, persona: MailPersona) -> FakeMail {
    let wrap = if tls { Wrap::Rustls } else { Wrap::Plain };
    spawn_mail_with(ip, wrap, persona).await
}

pub async fn spawn_mail_with(ip: IpAddr, wrap: Wrap, persona: MailPersona) -> FakeMail {
    let acceptor = match wrap {
        Wrap::Legacy(l) => Some(Arc::new(legacy_acceptor(l))),
        _ => None,
    };
    let listener = TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let written = Arc::new(Mutex::new(0usize));
    let (rec, wr) = (received.clone(), written.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let persona = persona.clone();
            let idx = {
                let mut r = rec.lock().unwrap();
                r.push(Vec::new());
                r.len() - 1
            };
            let (rec, wr) = (rec.clone(), wr.clone());
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match (wrap, acceptor) {
                    (Wrap::Rustls, _) => {
                        if let Ok(s) = tls_acceptor().accept(sock).await {
                            serve_mail(s, persona, rec, idx, wr).await;
                        }
                    }
                    (Wrap::Legacy(_), Some(acceptor)) => {
                        if let Some(s) = accept_legacy(&acceptor, sock).await {
                            serve_mail(s, persona, rec, idx, wr).await;
                        }
                    }
                    _ => serve_mail(sock, persona, rec, idx, wr).await,
                }
            });
        }
    });
    FakeMail {
        addr,
        received,
        written,
        task,
    }
}

async fn flood<S: AsyncWrite + Unpin>(s: &mut S, wr: &Arc<Mutex<usize>>) {
    let block = vec![b'A'; 4096];
    let mut n = 0;
    while n < 64 * 1024 * 1024 && s.write_all(&block).await.is_ok() {
        n += block.len();
        let mut w = wr.lock().unwrap();
        *w = (*w).max(n);
    }
}

async fn serve_mail<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    persona: MailPersona,
    rec: Arc<Mutex<Vec<Vec<u8>>>>,
    idx: usize,
    wr: Arc<Mutex<usize>>,
) {
    let (greeting, ehlo) = match persona {
        MailPersona::Silent => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        MailPersona::Flood => {
            flood(&mut s, &wr).await;
            return;
        }
        MailPersona::FloodAfterEhlo { greeting } => (vec![greeting], None),
        MailPersona::Speaks { greeting, ehlo } => (greeting, Some(ehlo)),
    };
    let mut out = String::new();
    for g in &greeting {
        out.push_str(g);
        out.push_str("\r\n");
    }
    if s.write_all(out.as_bytes()).await.is_err() {
        return;
    }
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 1024];
        let n = match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        rec.lock().unwrap()[idx].extend_from_slice(&chunk[..n]);
        buf.extend_from_slice(&chunk[..n]);
        while let Some(p) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=p).collect();
            let upper = String::from_utf8_lossy(&line).to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") {
                match &ehlo {
                    None => {
                        flood(&mut s, &wr).await;
                        return;
                    }
                    Some(lines) => {
                        let mut r = String::new();
                        for (i, l) in lines.iter().enumerate() {
                            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                            r.push_str(&format!("250{sep}{l}\r\n"));
                        }
                        r
                    }
                }
            } else if upper.starts_with("QUIT") {
                if greeting.first().is_some_and(|g| g.starts_with('+')) {
                    "+OK bye\r\n".to_string()
                } else {
                    "221 2.0.0 Service closing transmission channel\r\n".to_string()
                }
            } else if upper.contains("LOGOUT") {
                "* BYE logging out\r\na1 OK LOGOUT completed.\r\n".to_string()
            } else {
                "500 unrecognised\r\n".to_string()
            };
            if s.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

/// A fake HTTPS server that answers every ClientHello as a TLS 1.0-only server would: a
/// ServerHello choosing TLS 1.0 (`alert: false`), or a fatal `protocol_version` alert.
pub async fn spawn_tls10(ip: IpAddr, alert: bool) -> FakeServer {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if sock.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                let reply: Vec<u8> = if alert {
                    vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]
                } else {
                    // ServerHello: version 3.1, 32 random bytes, empty session id,
                    // TLS_RSA_WITH_AES_128_CBC_SHA, no compression.
                    let mut body = vec![0x03, 0x01];
                    body.extend((0..32u8).map(|i| i.wrapping_mul(37)));
                    body.extend([0x00, 0x00, 0x2f, 0x00]);
                    let mut hs = vec![0x02, 0x00, 0x00, body.len() as u8];
                    hs.extend(body);
                    let mut rec = vec![0x16, 0x03, 0x01, 0x00, hs.len() as u8];
                    rec.extend(hs);
                    rec
                };
                let _ = sock.write_all(&reply).await;
                let _ = sock.read(&mut buf).await;
            });
        }
    });
    FakeServer {
        addr,
        requests: Arc::new(Mutex::new(Vec::new())),
        task,
    }
}
