//! Fingerprinting one target: resolve, refuse blocked addresses, then the passive requests in
//! order of precision, stopping once a full build is known. Global rate limit and per-host
//! politeness apply to every request.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use exray_core::{Confidence, ScanEvidence, ScanResult, ScanVerdict};
use tokio::time::Instant;

use crate::assess;
use crate::blocklist::Blocklist;
use crate::fingerprint::{self, Version};
use crate::http::{Client, Conn, HttpError, Limits, Response};
use crate::legacy_tls::Negotiated;
use crate::mail::{self, MailObservation, MailPort};
use crate::request::{ControlName, Probe, Request, WEBSHELL_FOLDERS, WEBSHELL_NAMES};
use crate::target::{Host, Scheme, Target};

/// Everything that governs how the scanner behaves on the wire.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub limits: Limits,
    /// Total time for one target (all its requests).
    pub target_timeout: Duration,
    /// Global requests per second (0: unlimited).
    pub rate: u32,
    /// Targets in flight at once.
    pub concurrency: usize,
    /// Minimum gap between two requests to the same IP address.
    pub host_interval: Duration,
    pub user_agent: String,
    pub probe_webshells: bool,
    pub blocklist: Blocklist,
    /// Opt-in mail-banner probes: the SMTP/IMAP/POP3 ports read on every scanned host (once
    /// per IP address). Empty (the default): no mail port is contacted.
    pub mail_ports: Vec<MailPort>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            limits: Limits::default(),
            target_timeout: Duration::from_secs(30),
            rate: 500,
            concurrency: 256,
            host_interval: Duration::from_millis(20),
            user_agent: crate::request::default_user_agent(),
            probe_webshells: false,
            blocklist: Blocklist::new(false, false),
            mail_ports: Vec::new(),
        }
    }
}

/// A reservation-based limiter: each caller takes the next free slot and sleeps until it.
/// Allows a burst of up to one second's worth of requests.
pub struct RateLimiter {
    interval: Option<Duration>,
    burst: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        let interval = (per_second > 0).then(|| Duration::from_secs_f64(1.0 / per_second as f64));
        RateLimiter {
            interval,
            burst: Duration::from_millis(200),
            next: Mutex::new(Instant::now()),
        }
    }

    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let now = Instant::now();
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let floor = now.checked_sub(self.burst).unwrap_or(now);
            if *next < floor {
                *next = floor;
            }
            let at = *next;
            *next += interval;
            at
        };
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }
}

/// Per-host politeness: requests to one address are spaced by at least `interval`.
pub struct Politeness {
    interval: Duration,
    next: Mutex<HashMap<IpAddr, Instant>>,
}

impl Politeness {
    pub fn new(interval: Duration) -> Self {
        Politeness {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    pub async fn acquire(&self, ip: IpAddr) {
        if self.interval.is_zero() {
            return;
        }
        let at = {
            let now = Instant::now();
            let mut map = self.next.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 65_536 {
                map.retain(|_, t| *t > now);
            }
            let slot = map.entry(ip).or_insert(now);
            let at = (*slot).max(now);
            *slot = at + self.interval;
            at
        };
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }

    pub fn tracked_hosts(&self) -> usize {
        self.next.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// What the mail ports of one IP address said, shared by every target on that address.
type MailAnswers = Arc<Vec<(MailPort, MailObservation)>>;

/// Most IP addresses whose mail answers are remembered (then the finished ones are forgotten).
const MAIL_CACHE_HOSTS: usize = 65_536;

/// The scanner: shared by every in-flight target.
pub struct Scanner {
    pub config: ScanConfig,
    client: Client,
    rate: RateLimiter,
    polite: Politeness,
    mail_tls: tokio_rustls::TlsConnector,
    mail_cache: Mutex<HashMap<IpAddr, Arc<tokio::sync::OnceCell<MailAnswers>>>>,
}

/// Where the best version so far came from; lower is more precise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Manifest = 1,
    Header = 2,
    OwaVer = 3,
    Folder = 4,
    Banner = 5,
}

#[derive(Default)]
struct Findings {
    evidence: Vec<ScanEvidence>,
    best: Option<(Version, Rank, String)>,
    signals: Vec<String>,
    responses: u32,
    first_error: Option<HttpError>,
}

impl Findings {
    fn offer(&mut self, v: Version, rank: Rank, source: String) {
        let better = match &self.best {
            None => true,
            Some((old, old_rank, _)) => {
                (v.is_full() && !old.is_full())
                    || (v.is_full() == old.is_full() && rank < *old_rank)
            }
        };
        if better {
            self.best = Some((v, rank, source));
        }
    }
    fn full_known(&self) -> bool {
        self.best.as_ref().is_some_and(|(v, _, _)| v.is_full())
    }
    fn signal(&mut self, s: String) {
        if !self.signals.contains(&s) {
            self.signals.push(s);
        }
    }
}

struct Session<'a> {
    scanner: &'a Scanner,
    addr: SocketAddr,
    scheme: Scheme,
    sni: Option<String>,
    host_header: String,
    base: String,
    conn: Option<Conn>,
    deadline: Instant,
    /// What the legacy TLS stack negotiated, once the target needed it (every later
    /// connection then goes straight to it).
    legacy: Option<Negotiated>,
}

impl Session<'_> {
    async fn get(&mut self, probe: &Probe) -> Result<(Request, Response), HttpError> {
        let req = Request::from_probe(probe);
        self.scanner.rate.acquire().await;
        self.scanner.polite.acquire(self.addr.ip()).await;
        for attempt in 0..2 {
            let now = Instant::now();
            if now >= self.deadline {
                return Err(HttpError::Timeout(self.scanner.config.target_timeout));
            }
            let remaining = self.deadline - now;
            let mut limits = self.scanner.client.limits.clone();
            limits.request_timeout = limits.request_timeout.min(remaining);
            limits.connect_timeout = limits.connect_timeout.min(remaining);
            if self.conn.is_none() {
                let conn = self
                    .scanner
                    .client
                    .connect(
                        self.addr,
                        self.scheme,
                        self.sni.as_deref(),
                        limits.connect_timeout,
                        self.legacy.is_some(),
                    )
                    .await?;
                if self.legacy.is_none() {
                    self.legacy = conn.legacy().cloned();
                }
                self.conn = Some(conn);
            }
            let conn = self.conn.as_mut().expect("connected above");
            let reused = conn.used();
            match conn
                .send(
                    &req,
                    &self.host_header,
                    &self.scanner.config.user_agent,
                    &limits,
                )
                .await
            {
                Ok(resp) => {
                    if !conn.reusable() {
                        self.conn = None;
                    }
                    return Ok((req, resp));
                }
                Err(e) => {
                    self.conn = None;
                    let retry =
                        reused && attempt == 0 && matches!(e, HttpError::Closed | HttpError::Io(_));
                    if !retry {
                        return Err(e);
                    }
                }
            }
        }
        Err(HttpError::Closed)
    }

    fn ev(
        &self,
        req: &Request,
        status: Option<u16>,
        what: &str,
        value: impl Into<String>,
    ) -> ScanEvidence {
        ScanEvidence {
            method: req.method().as_str().to_string(),
            url: format!("{}{}", self.base, req.path()),
            status,
            what: what.to_string(),
            value: exray_core::cap_lossy(value.into().as_bytes(), 512),
        }
    }
}

fn host_header(target: &Target) -> String {
    let default = match target.scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    if target.port == default {
        target.host.to_string()
    } else {
        format!("{}:{}", target.host, target.port)
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; N];
    let state = std::collections::hash_map::RandomState::new();
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

impl Scanner {
    /// A user agent that fails [`crate::request::validate_user_agent`] is replaced by the
    /// default (with a warning): requests must stay well-formed and identifiable.
    pub fn new(mut config: ScanConfig) -> Self {
        if let Err(e) = crate::request::validate_user_agent(&config.user_agent) {
            tracing::warn!("user agent refused ({e}); using the default");
            config.user_agent = crate::request::default_user_agent();
        }
        Scanner {
            client: Client::new(config.limits.clone()),
            rate: RateLimiter::new(config.rate),
            polite: Politeness::new(config.host_interval),
            mail_tls: mail::tls_connector(),
            mail_cache: Mutex::new(HashMap::new()),
            config,
        }
    }

    pub fn tracked_hosts(&self) -> usize {
        self.polite.tracked_hosts()
    }

    fn result(target: &Target, verdict: ScanVerdict, confidence: Confidence) -> ScanResult {
        ScanResult {
            target: target.key(),
            ip: target.ip().map(|ip| ip.to_string()),
            port: Some(target.port),
            hostname: match &target.host {
                Host::Name(n) => Some(n.clone()),
                Host::Ip(_) => None,
            },
            verdict,
            confidence,
            assessment: None,
            evidence: Vec::new(),
            error: None,
            scanned_at: Utc::now(),
            webshell_probes: Vec::new(),
        }
    }

    /// Fingerprint one target. Never panics on what the network sends; always returns a result.
    pub async fn scan(&self, target: &Target) -> ScanResult {
        let started = Instant::now();
        let deadline = started + self.config.target_timeout;
        let addr = match &target.host {
            Host::Ip(ip) => SocketAddr::new(*ip, target.port),
            Host::Name(name) => {
                if let Err(e) = crate::target::validate_name(name) {
                    let mut r = Self::result(target, ScanVerdict::Error, Confidence::High);
                    r.error = Some(e);
                    return r;
                }
                if let Some(reason) = self.config.blocklist.check_name(name) {
                    let mut r = Self::result(target, ScanVerdict::Error, Confidence::High);
                    r.error = Some(format!("refused: {}", reason.as_str()));
                    return r;
                }
                let lookup = tokio::net::lookup_host((name.as_str(), target.port));
                match tokio::time::timeout_at(
                    deadline.min(started + self.config.limits.connect_timeout),
                    lookup,
                )
                .await
                {
                    Ok(Ok(mut addrs)) => match addrs.next() {
                        Some(a) => a,
                        None => {
                            let mut r =
                                Self::result(target, ScanVerdict::Unreachable, Confidence::High);
                            r.error = Some(format!("DNS: no address for {name}"));
                            return r;
                        }
                    },
                    Ok(Err(e)) => {
                        let mut r =
                            Self::result(target, ScanVerdict::Unreachable, Confidence::High);
                        r.error = Some(format!("DNS: {name}: {e}"));
                        return r;
                    }
                    Err(_) => {
                        let mut r =
                            Self::result(target, ScanVerdict::Unreachable, Confidence::Medium);
                        r.error = Some(format!("DNS: {name}: timed out"));
                        return r;
                    }
                }
            }
        };
        if let Some(reason) = self.config.blocklist.check_ip(addr.ip()) {
            let mut r = Self::result(target, ScanVerdict::Error, Confidence::High);
            r.ip = Some(addr.ip().to_string());
            r.error = Some(format!(
                "refused: {} is in a blocked range: {}",
                addr.ip(),
                reason.as_str()
            ));
            return r;
        }
        let mut session = Session {
            scanner: self,
            addr,
            scheme: target.scheme,
            sni: match &target.host {
                Host::Name(n) => Some(n.clone()),
                Host::Ip(_) => None,
            },
            host_header: host_header(target),
            base: target.base_url(),
            conn: None,
            deadline,
            legacy: None,
        };
        let outer = deadline + Duration::from_secs(1);
        let mut f = Findings::default();
        let finished = tokio::time::timeout_at(outer, self.fingerprint(&mut session, &mut f)).await;
        if finished.is_err() && f.first_error.is_none() {
            f.first_error = Some(HttpError::Timeout(self.config.target_timeout));
        }
        if let Some(n) = &session.legacy {
            f.evidence.push(ScanEvidence {
                method: "TLS".into(),
                url: target.base_url(),
                status: None,
                what: n.evidence_kind().into(),
                value: n.describe(),
            });
        } else if let Some(HttpError::TlsLegacy(_)) = &f.first_error {
            f.evidence.push(ScanEvidence {
                method: "TLS".into(),
                url: target.base_url(),
                status: None,
                what: "tls:legacy-only".into(),
                value: "the server speaks only TLS 1.0/1.1 (or older) and exray could not \
                        complete a handshake with it, so the build could not be read over HTTPS; \
                        an Exchange this old is likely out of date"
                    .into(),
            });
        }
        if !self.config.mail_ports.is_empty() {
            let sni = match &target.host {
                Host::Name(n) => Some(n.as_str()),
                Host::Ip(_) => None,
            };
            let answers = self.mail_answers(addr.ip(), sni).await;
            mail_findings(target, &answers, &mut f);
        }
        let http_answered = f.responses > 0;
        let mut result = self.conclude(target, f);
        result.ip = Some(addr.ip().to_string());
        if self.config.probe_webshells
            && http_answered
            && !matches!(
                result.verdict,
                ScanVerdict::NotExchange | ScanVerdict::Unreachable | ScanVerdict::Error
            )
        {
            session.deadline = Instant::now() + self.config.target_timeout;
            let outer = session.deadline + Duration::from_secs(1);
            let _ = tokio::time::timeout_at(outer, self.probe_webshells(&mut session, &mut result))
                .await;
        }
        result
    }

    /// The mail ports of `ip`, each read once per scanner (targets on the same address share
    /// the answers). Every connection passes the blocklist, the global rate limit and the
    /// per-host interval, like an HTTP request.
    async fn mail_answers(&self, ip: IpAddr, sni: Option<&str>) -> MailAnswers {
        let cell = {
            let mut cache = self.mail_cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= MAIL_CACHE_HOSTS {
                cache.retain(|_, c| !c.initialized());
            }
            cache.entry(ip).or_default().clone()
        };
        cell.get_or_init(|| async {
            if self.config.blocklist.check_ip(ip).is_some() {
                return Arc::new(Vec::new());
            }
            let limits = &self.config.limits;
            let probes = self.config.mail_ports.iter().map(|port| async move {
                self.rate.acquire().await;
                self.polite.acquire(ip).await;
                let obs = mail::probe(
                    &self.mail_tls,
                    self.client.legacy(),
                    SocketAddr::new(ip, port.port),
                    sni,
                    *port,
                    limits.connect_timeout,
                    limits.request_timeout,
                )
                .await;
                (*port, obs)
            });
            let all = futures_util::future::join_all(probes);
            let outer = self.config.target_timeout + Duration::from_secs(1);
            match tokio::time::timeout(outer, all).await {
                Ok(v) => Arc::new(v),
                Err(_) => Arc::new(
                    self.config
                        .mail_ports
                        .iter()
                        .map(|p| {
                            let obs = MailObservation {
                                error: Some("not finished before the target deadline".into()),
                                ..Default::default()
                            };
                            (*p, obs)
                        })
                        .collect(),
                ),
            }
        })
        .await
        .clone()
    }

    async fn fingerprint(&self, s: &mut Session<'_>, f: &mut Findings) {
        // 1. The export tool manifest: the full build, SU included.
        match s.get(&Probe::ExportToolManifest).await {
            Ok((req, resp)) => {
                f.responses += 1;
                self.observe_headers(s, &req, &resp, f);
                if resp.status == 200 {
                    if let Some((v, tag)) = fingerprint::manifest_version(&resp.body) {
                        f.evidence.push(s.ev(
                            &req,
                            Some(resp.status),
                            "body:assemblyIdentity",
                            tag,
                        ));
                        f.offer(
                            v,
                            Rank::Manifest,
                            "export tool manifest assemblyIdentity version".into(),
                        );
                        f.signal("export tool manifest".into());
                    }
                }
            }
            Err(e) => {
                // Nothing answered the first request: no point in more.
                if e.is_unreachable()
                    || matches!(
                        e,
                        HttpError::Tls(_) | HttpError::TlsLegacy(_) | HttpError::TlsTimeout
                    )
                {
                    f.first_error = Some(e);
                    return;
                }
                f.first_error.get_or_insert(e);
            }
        }
        if f.full_known() {
            return;
        }
        // 2. OWA: X-OWA-Version, redirects (owaVer=, logon page), FE/BE headers.
        // 3. The logon page: build folders, owaVer=, title.
        for probe in [Probe::OwaRoot, Probe::OwaLogon] {
            match s.get(&probe).await {
                Ok((req, resp)) => {
                    f.responses += 1;
                    self.observe_headers(s, &req, &resp, f);
                    if let Some((v, n)) = fingerprint::page_build_folders(&resp.body) {
                        let what = if v.is_full() {
                            "body:/owa/<build>/ folder"
                        } else {
                            "body:/owa/auth/<build>/ folder"
                        };
                        f.evidence.push(s.ev(
                            &req,
                            Some(resp.status),
                            what,
                            format!("{v} ({n} references)"),
                        ));
                        f.offer(v, Rank::Folder, "OWA logon page build folder".into());
                        f.signal("OWA build folder".into());
                    }
                    if let Some(v) = fingerprint::owa_ver_param(&resp.body) {
                        f.evidence.push(s.ev(
                            &req,
                            Some(resp.status),
                            "body:owaVer",
                            v.to_string(),
                        ));
                        f.offer(v, Rank::OwaVer, "owaVer parameter".into());
                    }
                    if let Some(t) = fingerprint::owa_title(&resp.body) {
                        f.evidence
                            .push(s.ev(&req, Some(resp.status), "body:title", t.clone()));
                        f.signal(format!("title \"{t}\""));
                    }
                }
                Err(e) => {
                    let fatal = e.is_unreachable();
                    f.first_error.get_or_insert(e);
                    if fatal {
                        return;
                    }
                }
            }
            if f.full_known() {
                return;
            }
        }
        // 4. Discovery only: the favicon, when nothing else said Exchange.
        if f.best.is_none() && f.signals.is_empty() && f.responses > 0 {
            if let Ok((req, resp)) = s.get(&Probe::Favicon).await {
                f.responses += 1;
                self.observe_headers(s, &req, &resp, f);
                if resp.status == 200 && !resp.body.is_empty() && !resp.truncated {
                    let md5 = fingerprint::md5_hex(&resp.body);
                    if md5 == fingerprint::OWA_FAVICON_MD5 {
                        f.evidence
                            .push(s.ev(&req, Some(resp.status), "favicon-md5", md5));
                        f.signal("OWA favicon".into());
                    }
                }
            }
        }
    }

    fn observe_headers(&self, s: &Session<'_>, req: &Request, resp: &Response, f: &mut Findings) {
        if let Some(val) = resp.header("X-OWA-Version") {
            match fingerprint::owa_version_header(val) {
                Some(v) => {
                    f.evidence
                        .push(s.ev(req, Some(resp.status), "header:X-OWA-Version", val));
                    f.offer(v, Rank::Header, "X-OWA-Version header".into());
                }
                None => f.evidence.push(s.ev(
                    req,
                    Some(resp.status),
                    "header:X-OWA-Version(unparsed)",
                    val,
                )),
            }
        }
        for h in fingerprint::EXCHANGE_HEADERS
            .iter()
            .filter(|h| **h != "X-OWA-Version")
        {
            if let Some(val) = resp.header(h) {
                f.evidence
                    .push(s.ev(req, Some(resp.status), &format!("header:{h}"), val));
                f.signal(format!("{h} header"));
            }
        }
        if (300..400).contains(&resp.status) {
            if let Some(loc) = resp.header("Location") {
                if let Some(v) = fingerprint::owa_ver_param(loc.as_bytes()) {
                    f.evidence
                        .push(s.ev(req, Some(resp.status), "header:Location owaVer", loc));
                    f.offer(v, Rank::OwaVer, "owaVer parameter of a redirect".into());
                    f.signal("errorfe redirect".into());
                } else if fingerprint::logon_redirect(loc) {
                    f.evidence
                        .push(s.ev(req, Some(resp.status), "header:Location", loc));
                    f.signal("redirect to the OWA logon page".into());
                }
            }
        }
    }

    fn conclude(&self, target: &Target, f: Findings) -> ScanResult {
        if let Some((v, rank, source)) = &f.best {
            let a = assess::assess(v, source);
            let (verdict, reason) = assess::verdict_of(&a);
            let conf = assess::confidence_of(verdict, v.is_full(), *rank <= Rank::Header);
            let mut r = Self::result(target, verdict, conf);
            r.evidence = f.evidence;
            if let Some(reason) = reason {
                r.evidence.push(ScanEvidence {
                    method: "-".into(),
                    url: "catalogue".into(),
                    status: None,
                    what: "catalogue".into(),
                    value: reason,
                });
            }
            r.assessment = Some(a);
            return r;
        }
        if !f.signals.is_empty() {
            let strong = f
                .signals
                .iter()
                .any(|s| s.contains("header") || s.contains("favicon") || s.contains("banner"));
            let conf = if strong || f.signals.len() >= 2 {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            let mut r = Self::result(target, ScanVerdict::ExchangeUnknownBuild, conf);
            r.evidence = f.evidence;
            if let (0, Some(e)) = (f.responses, &f.first_error) {
                // Recognised by its mail banners only: say why HTTP(S) told nothing.
                r.evidence.push(ScanEvidence {
                    method: "-".into(),
                    url: target.base_url(),
                    status: None,
                    what: "http:no-answer".into(),
                    value: e.to_string(),
                });
            }
            r.evidence.push(ScanEvidence {
                method: "-".into(),
                url: "summary".into(),
                status: None,
                what: "discovery".into(),
                value: format!(
                    "Exchange recognised by {}, but no build was revealed",
                    f.signals.join(", ")
                ),
            });
            return r;
        }
        if f.responses > 0 {
            let conf = if f.first_error.is_none() {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            let mut r = Self::result(target, ScanVerdict::NotExchange, conf);
            r.evidence = f.evidence;
            r.error = f.first_error.map(|e| e.to_string());
            return r;
        }
        let (verdict, msg) = match f.first_error {
            Some(e) if e.is_unreachable() => (ScanVerdict::Unreachable, e.to_string()),
            Some(e) => (ScanVerdict::Error, e.to_string()),
            None => (ScanVerdict::Error, "no response".to_string()),
        };
        let mut r = Self::result(target, verdict, Confidence::High);
        r.evidence = f.evidence;
        r.error = Some(msg);
        r
    }

    /// Opt-in: each known shell path without parameters, against a control request for a
    /// random name in the same folder. Keeps status, length and SHA-256, never the body.
    async fn probe_webshells(&self, s: &mut Session<'_>, result: &mut ScanResult) {
        for folder in 0..WEBSHELL_FOLDERS.len() {
            let control = ControlName::from_random(random_bytes::<7>());
            let cprobe = Probe::WebShellControl {
                folder,
                name: control,
            };
            let Ok((creq, cresp)) = s.get(&cprobe).await else {
                continue;
            };
            let cnorm = normalised(&cresp, control.as_str());
            for (name, shell) in WEBSHELL_NAMES.iter().enumerate() {
                let probe = Probe::WebShell { folder, name };
                let Ok((req, resp)) = s.get(&probe).await else {
                    continue;
                };
                let norm = normalised(&resp, shell);
                let differs = resp.status != cresp.status
                    || ((200..400).contains(&resp.status) && norm != cnorm);
                let mut m = BTreeMap::new();
                m.insert("path".to_string(), req.path().to_string());
                m.insert("status".to_string(), resp.status.to_string());
                m.insert("bytes".to_string(), resp.body.len().to_string());
                m.insert("sha256".to_string(), fingerprint::sha256_hex(&resp.body));
                m.insert("control_path".to_string(), creq.path().to_string());
                m.insert("control_status".to_string(), cresp.status.to_string());
                m.insert(
                    "control_sha256".to_string(),
                    fingerprint::sha256_hex(&cresp.body),
                );
                m.insert("differs_from_control".to_string(), differs.to_string());
                if differs {
                    result.evidence.push(s.ev(
                        &req,
                        Some(resp.status),
                        "webshell-probe",
                        format!(
                            "answered differently from a random name in the same folder (status {} vs {}): possible web shell, investigate the server",
                            resp.status, cresp.status
                        ),
                    ));
                }
                result.webshell_probes.push(m);
            }
        }
    }
}

/// Mail answers as evidence, signals and (for 14.x/15.x versions, when HTTP gave none) a build
/// for the catalogue. Banners never override what HTTP(S) revealed.
fn mail_findings(target: &Target, answers: &[(MailPort, MailObservation)], f: &mut Findings) {
    let mut silent = Vec::new();
    for (port, obs) in answers {
        let method = port.proto.method();
        let url = format!("{}://{}:{}", port.scheme(), target.host, port.port);
        let ev = |what: &str, status: Option<u16>, value: String| ScanEvidence {
            method: method.to_string(),
            url: url.clone(),
            status,
            what: what.to_string(),
            value: exray_core::cap_lossy(value.as_bytes(), mail::EVIDENCE_CAP),
        };
        if let Some(n) = &obs.legacy_negotiated {
            f.evidence.push(ev(n.evidence_kind(), None, n.describe()));
        }
        if obs.greeting.is_empty() {
            if obs.legacy_tls && obs.legacy_negotiated.is_none() {
                f.evidence.push(ev(
                    "tls:legacy-only",
                    None,
                    obs.error.clone().unwrap_or_default(),
                ));
            }
            silent.push(format!(
                "{port} ({})",
                obs.error.as_deref().unwrap_or("no greeting")
            ));
            continue;
        }
        let banner = match obs.code {
            Some(c) => format!("{c} {}", obs.greeting.join(" / ")),
            None => obs.greeting.join(" / "),
        };
        f.evidence.push(ev("banner", obs.code, banner));
        if !obs.ehlo.is_empty() {
            f.evidence.push(ev("ehlo", None, obs.ehlo.join(", ")));
        }
        let facts = mail::analyse(port.proto, obs);
        if let Some(name) = &facts.server_name {
            f.evidence
                .push(ev("banner:server-name", None, name.clone()));
        }
        let Some(why) = &facts.exchange else {
            continue;
        };
        let product = facts.product.clone().unwrap_or_default();
        f.evidence
            .push(ev("banner:exchange", None, format!("{why}: {product}")));
        f.signal(format!("{method} banner"));
        if let Some(v) = facts.version_text.as_deref() {
            match facts.catalogue_version {
                Some(cv) if f.best.is_none() => {
                    f.offer(cv, Rank::Banner, format!("{method} banner version"));
                }
                Some(_) => {}
                None => f.evidence.push(ScanEvidence {
                    method: "-".into(),
                    url: "catalogue".into(),
                    status: None,
                    what: "catalogue".into(),
                    value: format!(
                        "{} {v} (from the {method} banner) is outside exray's build catalogue \
                         (Exchange 2010 to SE): long out of support, not assessed per CVE",
                        facts.version_product.unwrap_or("Exchange")
                    ),
                }),
            }
        }
    }
    if !silent.is_empty() {
        f.evidence.push(ScanEvidence {
            method: "-".into(),
            url: format!("mail://{}", target.host),
            status: None,
            what: "mail:no-banner".into(),
            value: exray_core::cap_lossy(silent.join(", ").as_bytes(), mail::EVIDENCE_CAP),
        });
    }
}

/// What a response looks like with the requested name taken out: a 404 page or an errorFE
/// redirect that echoes the name is the same for every name.
fn normalised(resp: &Response, name: &str) -> String {
    let mut text = String::from_utf8_lossy(&resp.body).into_owned();
    if let Some(loc) = resp.header("Location") {
        text.push('\n');
        text.push_str(loc);
    }
    // Case-insensitively: IIS and Exchange may echo the path lower-cased.
    let text = replace_ci(&text, name, "{name}");
    fingerprint::sha256_hex(text.as_bytes())
}

fn replace_ci(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    if n.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(&n) {
        out.push_str(&text[last..i]);
        out.push_str(with);
        last = i + n.len();
    }
    out.push_str(&text[last..]);
    out
}
