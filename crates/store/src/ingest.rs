//! Ingest of `exray hunt` and `exray scan` reports: idempotent by `report_id`, all in one
//! transaction that is committed before the caller acknowledges (so an acknowledged report is
//! durable), with attribution, observations, findings and state transitions.

use std::collections::BTreeMap;
use std::net::IpAddr;

use exray_core::{Finding, Report, ReportKind, ScanResult, ScanVerdict, Stage, Verdict, SCHEMA};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::{audit, now};
use crate::state::{self, Event, HostState, Transition};
use crate::{Backend, Principal, Store, StoreError, StoreResult};

/// What one ingest did.
///
/// Staff see every counter. An organisation member's answer carries only `report_id`, `kind`,
/// `duplicate` and `received`: which results changed a host (and which were refused because
/// the address is another organisation's) would tell a member who owns an address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub report_id: String,
    pub kind: String,
    /// True when this report id was already stored with the same content: nothing changed.
    pub duplicate: bool,
    /// Scan results (scan) or findings (hunt) the report carried.
    pub received: u64,
    pub hosts: u64,
    pub observations: u64,
    pub findings: u64,
    pub transitions: u64,
    /// Scan results that were not Exchange for an unknown host, or outside the uploader's scope.
    pub skipped: u64,
    /// Scan results stored on a host of an organisation.
    pub attributed: u64,
    /// Scan results stored on a host of no organisation (no network, ASN or domain covers it).
    pub unattributed: u64,
    /// Answer with the member view (no counters that depend on other tenants' data).
    pub member_view: bool,
}

impl Serialize for IngestOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("report_id", &self.report_id)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("duplicate", &self.duplicate)?;
        m.serialize_entry("received", &self.received)?;
        if !self.member_view {
            m.serialize_entry("hosts", &self.hosts)?;
            m.serialize_entry("observations", &self.observations)?;
            m.serialize_entry("findings", &self.findings)?;
            m.serialize_entry("transitions", &self.transitions)?;
            m.serialize_entry("skipped", &self.skipped)?;
            m.serialize_entry("attributed", &self.attributed)?;
            m.serialize_entry("unattributed", &self.unattributed)?;
        }
        m.end()
    }
}

/// Counter deltas of one transaction, applied in sorted order (a fixed lock order on PostgreSQL).
type Deltas = BTreeMap<String, i64>;

struct HostRow {
    id: i64,
    org_id: Option<i64>,
    state: HostState,
    reached: i64,
    scan_verdict: Option<String>,
    last_scan_at: Option<i64>,
    last_hunt_at: Option<i64>,
    /// How a hunt found this host (`ip …`, `fqdn …`, `name …`), for its observation.
    joined_by: String,
}

fn host_row(r: &AnyRow) -> StoreResult<HostRow> {
    let st: String = r.try_get(1)?;
    Ok(HostRow {
        id: r.try_get(0)?,
        state: HostState::parse(&st)
            .ok_or_else(|| StoreError::BadRequest(format!("stored host state {st:?}")))?,
        reached: r.try_get(2)?,
        scan_verdict: r.try_get(3)?,
        last_scan_at: r.try_get(4)?,
        last_hunt_at: r.try_get(5)?,
        org_id: r.try_get(6)?,
        joined_by: String::new(),
    })
}

const HOST_COLS: &str = "id, state, reached, scan_verdict, last_scan_at, last_hunt_at, org_id";

/// A JSON `\u0000` escape (a NUL character in a string) becomes `\ufffd` (same length):
/// PostgreSQL cannot store NUL in text, and it has no place in a hostname or on a page.
fn without_nul_escapes(body: &[u8]) -> Option<Vec<u8>> {
    const NUL: &[u8] = b"\\u0000";
    let finder = memchr::memmem::Finder::new(NUL);
    finder.find(body)?;
    let mut out = body.to_vec();
    for at in finder.find_iter(body) {
        // A real escape: the backslash is not itself escaped (an even run of backslashes before it).
        let run = body[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        if run % 2 == 0 {
            out[at..at + NUL.len()].copy_from_slice(b"\\ufffd");
        }
    }
    Some(out)
}

/// Parse and validate a report body, with the line and column of a JSON error.
pub fn parse_report(body: &[u8]) -> StoreResult<Report> {
    let patched = without_nul_escapes(body);
    let body = patched.as_deref().unwrap_or(body);
    let r: Report = serde_json::from_slice(body).map_err(|e| {
        StoreError::BadRequest(format!(
            "report JSON, line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    validate_report(&r)?;
    Ok(r)
}

/// The checks of [`parse_report`] after the JSON: schema, report id, times, names.
fn validate_report(r: &Report) -> StoreResult<()> {
    if r.schema != SCHEMA {
        return Err(StoreError::BadRequest(format!(
            "unsupported report schema {:?} (expected {SCHEMA:?})",
            r.schema
        )));
    }
    if r.report_id.is_empty()
        || r.report_id.len() > 128
        || r.report_id.chars().any(|c| c.is_control())
    {
        return Err(StoreError::BadRequest(
            "report_id must be 1..128 characters without control characters".into(),
        ));
    }
    check_times(r, now())?;
    check_names(r)?;
    Ok(())
}

/// Longest hostname accepted (the DNS limit).
const MAX_HOSTNAME: usize = 253;
/// Most addresses a hunt report's host may list (exray writes at most 32).
const MAX_REPORT_IPS: usize = 256;
/// Longest scan target or hunt scope accepted.
const MAX_TARGET: usize = 2048;

/// Names that become host identities must look like names: a 1 MB hostname, or one with
/// control characters, is refused (400, naming the field).
fn check_names(r: &Report) -> StoreResult<()> {
    let check = |field: String, v: &str, max: usize| {
        if v.len() > max {
            Err(StoreError::BadRequest(format!(
                "{field}: {} bytes, at most {max} accepted",
                v.len()
            )))
        } else if v.chars().any(|c| c.is_control() || c == '\u{fffd}') {
            // U+FFFD: where a NUL was (see `without_nul_escapes`).
            Err(StoreError::BadRequest(format!(
                "{field}: control characters are not accepted"
            )))
        } else {
            Ok(())
        }
    };
    if let Some(h) = &r.host.hostname {
        check("host.hostname".into(), h, MAX_HOSTNAME)?;
    }
    if let Some(h) = &r.host.fqdn {
        check("host.fqdn".into(), h, MAX_HOSTNAME)?;
    }
    if r.host.ips.len() > MAX_REPORT_IPS {
        return Err(StoreError::BadRequest(format!(
            "host.ips: {} addresses, at most {MAX_REPORT_IPS} accepted",
            r.host.ips.len()
        )));
    }
    for (i, ip) in r.host.ips.iter().enumerate() {
        check(format!("host.ips[{i}]"), ip, 64)?;
    }
    check("scope".into(), &r.scope, MAX_TARGET)?;
    for (i, s) in r.scan_results.iter().enumerate() {
        if let Some(h) = &s.hostname {
            check(format!("scan_results[{i}].hostname"), h, MAX_HOSTNAME)?;
        }
        check(format!("scan_results[{i}].target"), &s.target, MAX_TARGET)?;
    }
    Ok(())
}

/// Evidence times before this (2000-01-01T00:00:00Z) are refused.
const EARLIEST_EVIDENCE: i64 = 946_684_800;

/// Refuse evidence times before 2000 or later than `now` + 1 day, naming the field: a report
/// dated in year 9999 would otherwise freeze its hosts (every later real report is "older").
fn check_times(r: &Report, now: i64) -> StoreResult<()> {
    let latest = now + 86_400;
    let check = |field: String, t: i64| {
        if (EARLIEST_EVIDENCE..=latest).contains(&t) {
            Ok(())
        } else {
            Err(StoreError::BadRequest(format!(
                "{field}: {} is outside the accepted range (2000-01-01 to now + 1 day)",
                crate::ts(t)
            )))
        }
    };
    check("started_at".into(), r.started_at.timestamp())?;
    check("finished_at".into(), r.finished_at.timestamp())?;
    for (i, s) in r.scan_results.iter().enumerate() {
        check(
            format!("scan_results[{i}].scanned_at"),
            s.scanned_at.timestamp(),
        )?;
    }
    for (i, f) in r.findings.iter().enumerate() {
        if let Some(t) = f.first_seen {
            check(format!("findings[{i}].first_seen"), t.timestamp())?;
        }
        if let Some(t) = f.last_seen {
            check(format!("findings[{i}].last_seen"), t.timestamp())?;
        }
    }
    Ok(())
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::IndicatorsFound => "indicators_found",
        Verdict::NoIndicatorsFound => "no_indicators_found",
        Verdict::NotAssessed => "not_assessed",
    }
}

fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Database(d)) => {
            matches!(
                d.code().as_deref(),
                Some("40P01") | Some("40001") | Some("23505")
            )
        }
        StoreError::Retry => true,
        _ => false,
    }
}

/// The IP of a scan result: its `ip`, or its target when that is an address (`[v6]:port` and
/// `v4:port` accepted).
fn result_ip(r: &ScanResult) -> Option<IpAddr> {
    if let Some(ip) = r.ip.as_deref().and_then(|s| s.parse().ok()) {
        return Some(ip);
    }
    let t = r.target.trim();
    let t = t.split("://").nth(1).unwrap_or(t);
    let t = t.split('/').next().unwrap_or(t);
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    if let Ok(sa) = t.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    None
}

fn result_hostname(r: &ScanResult) -> Option<String> {
    if let Some(h) = &r.hostname {
        return Some(h.to_ascii_lowercase());
    }
    let t = r.target.trim();
    let t = t.split("://").nth(1).unwrap_or(t);
    let t = t.split('/').next().unwrap_or(t);
    let h = t.rsplit_once(':').map(|(h, _)| h).unwrap_or(t);
    if h.is_empty() || h.parse::<IpAddr>().is_ok() || h.starts_with('[') {
        None
    } else {
        Some(h.to_ascii_lowercase())
    }
}

/// The distinct build assessments of one report: each is serialised and hashed once, stored
/// once in `assessments` (keyed by the SHA-256 of its JSON), and referenced by the key from
/// every observation that carries it. Equal assessments are found by comparison among the few
/// kept per build; past those (a report whose results share a build but differ in notes or
/// source) by their hash, so no report makes the search quadratic.
#[derive(Default)]
struct AssessmentCache<'r> {
    by_build: std::collections::HashMap<&'r str, Vec<(&'r exray_core::BuildAssessment, String)>>,
    /// Keys already in `new`.
    seen: std::collections::HashSet<String>,
    /// `(key, JSON)` of the assessments first seen in this report.
    new: Vec<(String, String)>,
}

/// Assessments compared per build before falling back to hashing.
const ASSESSMENTS_PER_BUILD: usize = 8;

impl<'r> AssessmentCache<'r> {
    fn key(&mut self, a: &'r exray_core::BuildAssessment) -> String {
        let bucket = self.by_build.entry(a.build.as_str()).or_default();
        if let Some((_, k)) = bucket.iter().find(|(b, _)| *b == a) {
            return k.clone();
        }
        let json = serde_json::to_string(a).unwrap_or_default();
        let key = sha256_hex(json.as_bytes());
        if bucket.len() < ASSESSMENTS_PER_BUILD {
            bucket.push((a, key.clone()));
        }
        if self.seen.insert(key.clone()) {
            self.new.push((key.clone(), json));
        }
        key
    }
}

/// The stored detail of a scan observation (its assessment is stored apart, see
/// [`AssessmentCache`], and put back in by `host_detail`).
fn scan_detail(res: &ScanResult) -> String {
    /// Serialised straight from the result (a `serde_json::Value` of it was a tree of maps per
    /// result: a fifth of a feed import's time in allocation).
    #[derive(Serialize)]
    struct Detail<'a> {
        confidence: &'a exray_core::Confidence,
        error: &'a Option<String>,
        evidence: &'a Vec<exray_core::ScanEvidence>,
        port: Option<u16>,
        target: &'a str,
    }
    serde_json::to_string(&Detail {
        confidence: &res.confidence,
        error: &res.error,
        evidence: &res.evidence,
        port: res.port,
        target: &res.target,
    })
    .unwrap_or_default()
}

/// "what to install", from the catalogue's assessment.
fn fix_text(a: Option<&exray_core::BuildAssessment>) -> Option<String> {
    let a = a?;
    let u = a
        .recommended_update
        .as_ref()
        .or_else(|| a.exposures.iter().find_map(|e| e.fixed_by.as_ref()))?;
    Some(match &u.kb {
        Some(kb) => format!("{} (build {}, {kb})", u.name, u.build),
        None => format!("{} (build {})", u.name, u.build),
    })
}

/// One report waiting for the SQLite group commit.
pub(crate) struct Job {
    p: Principal,
    report: Report,
    sha: String,
    /// The body as received, zstd-compressed.
    text: Vec<u8>,
    reply: tokio::sync::oneshot::Sender<StoreResult<IngestOutcome>>,
}

/// What [`Store::write_target`] decided for one piece of evidence.
enum Target {
    /// An existing host the uploader may write; `org` is the attribution of the evidence
    /// (an unattributed host takes it).
    Existing { host: HostRow, org: Option<i64> },
    /// No such host yet: create it in `org`.
    New { org: Option<i64> },
    /// Not the uploader's to write: leave everything as it is.
    Refused,
}

/// What a piece of evidence says its host is, for [`Store::write_target`].
enum About<'a> {
    /// A scan result: its address, else its name.
    Scan {
        ip: Option<&'a str>,
        hostname: Option<&'a str>,
    },
    /// A hunt: its addresses, else its fully qualified name, else its bare name.
    Hunt(&'a HuntIdentity),
}

/// Addresses of a hunt considered (a host has a handful; the report model caps them too).
const MAX_HUNT_IPS: usize = 32;

/// Who a hunt report says its host is (`host.ips`, `host.fqdn`, `host.hostname`).
#[derive(Debug)]
pub(crate) struct HuntIdentity {
    /// The host's addresses in the report's order (registry first), parsed and deduplicated.
    ips: Vec<IpAddr>,
    /// A fully qualified name (lower case, a DNS name with a dot): `host.fqdn`, else a dotted
    /// `host.hostname` (reports written before `fqdn` existed put the FQDN there).
    fqdn: Option<String>,
    /// The name a new host is shown and keyed by: the FQDN, else the bare host name, else the
    /// hunted path (lower case).
    key: String,
}

impl HuntIdentity {
    pub(crate) fn of(r: &Report) -> HuntIdentity {
        let mut ips: Vec<IpAddr> = Vec::new();
        for ip in r
            .host
            .ips
            .iter()
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        {
            if ips.len() < MAX_HUNT_IPS && !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        let dotted = |s: &String| {
            let l = s.trim().to_ascii_lowercase();
            (l.contains('.') && exray_core::is_dns_name(&l)).then_some(l)
        };
        let fqdn = r
            .host
            .fqdn
            .as_ref()
            .and_then(dotted)
            .or_else(|| r.host.hostname.as_ref().and_then(dotted));
        let key = fqdn.clone().unwrap_or_else(|| {
            r.host
                .hostname
                .clone()
                .unwrap_or_else(|| r.scope.clone())
                .to_ascii_lowercase()
        });
        HuntIdentity { ips, fqdn, key }
    }
}

/// An address that names one host wherever it is seen: not private, shared, loopback,
/// link-local, documentation-free or otherwise reserved for local use. A private address
/// (`10.0.0.5`) names a host only inside its organisation.
fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// zstd level of stored raw reports (fast; JSON compresses ~10x at this level).
const RAW_ZSTD_LEVEL: i32 = 3;

/// Run CPU-heavy work with `block_in_place` on a multi-threaded runtime (other tasks move to
/// other workers); inline elsewhere.
fn cpu_bound<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A report built in this process (a feed import), ready for [`Store::ingest_prepared`]:
/// validated as an upload is, with the identity and stored form of its serialisation.
pub struct PreparedReport {
    report: Report,
    sha: String,
    text: Vec<u8>,
}

impl PreparedReport {
    /// `body` must be `serde_json::to_vec(&report)`: it is stored and hashed as an uploaded
    /// body is. The report is not parsed again, but a body with `\u0000` escapes is (they are
    /// stored as U+FFFD, as from an upload). CPU work only: call it off the async workers.
    pub fn new(report: Report, body: &[u8]) -> StoreResult<PreparedReport> {
        let report = if without_nul_escapes(body).is_some() {
            parse_report(body)?
        } else {
            validate_report(&report)?;
            report
        };
        let (sha, text) = digest_and_compress(body)?;
        Ok(PreparedReport { report, sha, text })
    }
}

/// The identity (SHA-256) and the stored form (zstd) of a report body.
fn digest_and_compress(body: &[u8]) -> StoreResult<(String, Vec<u8>)> {
    let sha = sha256_hex(body);
    let text = zstd::stream::encode_all(body, RAW_ZSTD_LEVEL)
        .map_err(|e| StoreError::BadRequest(format!("compressing the report: {e}")))?;
    Ok((sha, text))
}

/// Reports per group-commit transaction at most.
const GROUP_MAX: usize = 64;

impl Store {
    /// Ingest one report body on behalf of `p`. Returns after COMMIT: the caller may acknowledge.
    pub async fn ingest(&self, p: &Principal, body: &[u8]) -> StoreResult<IngestOutcome> {
        // Parsing, hashing and compressing a large report is seconds of CPU: off the async
        // workers (when the runtime has several), so that other requests keep being answered.
        let (report, sha, text) = cpu_bound(|| {
            let report = parse_report(body)?;
            let (sha, text) = digest_and_compress(body)?;
            Ok::<_, StoreError>((report, sha, text))
        })?;
        self.ingest_checked(p, report, sha, text).await
    }

    /// [`Store::ingest`] of a report built in this process and prepared (validated, hashed,
    /// compressed) by [`PreparedReport::new`], perhaps on another thread: only the writes are
    /// left for this call, so a feed import's reading and the store's writing overlap.
    pub async fn ingest_prepared(
        &self,
        p: &Principal,
        prepared: PreparedReport,
    ) -> StoreResult<IngestOutcome> {
        let PreparedReport { report, sha, text } = prepared;
        self.ingest_checked(p, report, sha, text).await
    }

    async fn ingest_checked(
        &self,
        p: &Principal,
        report: Report,
        sha: String,
        text: Vec<u8>,
    ) -> StoreResult<IngestOutcome> {
        self.refresh_attribution().await?;
        if self.backend == Backend::Sqlite {
            return self.ingest_grouped(p, report, sha, text).await;
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let res = async {
                let mut tx = self.pool.begin().await?;
                let out = self.ingest_in_tx(&mut tx, p, &report, &sha, &text).await?;
                if out.duplicate {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
                Ok(out)
            }
            .await;
            match res {
                Err(e) if attempt < 6 && is_retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "retrying ingest transaction");
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The raw report as received (decompressed), or None when unknown or cleared by the
    /// retention (`purge_raw_reports`). Staff only: a report may name several organisations.
    pub async fn raw_report(&self, p: &Principal, report_id: &str) -> StoreResult<Option<Vec<u8>>> {
        p.require_staff()?;
        let Some(row) = sqlx::query("SELECT body, body_zstd FROM reports WHERE report_id = $1")
            .bind(report_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let text: String = row.try_get(0)?;
        let packed: Option<Vec<u8>> = row.try_get(1)?;
        match packed {
            Some(z) => zstd::stream::decode_all(&z[..])
                .map(Some)
                .map_err(|e| StoreError::BadRequest(format!("stored report {report_id}: {e}"))),
            None if text.is_empty() => Ok(None),
            None => Ok(Some(text.into_bytes())),
        }
    }

    /// Clear the raw body of reports received before `before` (Unix seconds); the parsed
    /// evidence (observations, findings, transitions) stays. Returns how many were cleared.
    pub async fn purge_raw_reports(&self, actor: &str, before: i64) -> StoreResult<u64> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE reports SET body = '', body_zstd = NULL WHERE received_at < $1 \
             AND (body_zstd IS NOT NULL OR body <> '')",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            audit(
                &mut *tx,
                actor,
                "report.purge_raw",
                "reports",
                &format!("cleared={n} received_before={}", crate::ts(before)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// SQLite group commit: every caller queues its report, then takes the writer lock; whoever
    /// holds it ingests all queued reports in one transaction (each in its own savepoint, so a
    /// bad report fails alone), commits once (one fsync), and only then answers every caller.
    async fn ingest_grouped(
        &self,
        p: &Principal,
        report: Report,
        sha: String,
        text: Vec<u8>,
    ) -> StoreResult<IngestOutcome> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| StoreError::Retry)?
            .push(Job {
                p: p.clone(),
                report,
                sha,
                text,
                reply,
            });
        {
            let _w = self.write_lock.lock().await;
            let jobs: Vec<Job> = {
                let mut q = self.pending.lock().map_err(|_| StoreError::Retry)?;
                let n = q.len().min(GROUP_MAX);
                q.drain(..n).collect()
            };
            if !jobs.is_empty() {
                self.run_group(jobs).await;
            }
        }
        rx.await.unwrap_or(Err(StoreError::Retry))
    }

    async fn run_group(&self, jobs: Vec<Job>) {
        let mut results: Vec<StoreResult<IngestOutcome>> = Vec::with_capacity(jobs.len());
        let outcome = async {
            let mut tx = self.pool.begin().await?;
            for j in &jobs {
                sqlx::query("SAVEPOINT ingest_one")
                    .execute(&mut *tx)
                    .await?;
                let r = self
                    .ingest_in_tx(&mut tx, &j.p, &j.report, &j.sha, &j.text)
                    .await;
                let keep = matches!(&r, Ok(o) if !o.duplicate);
                if !keep {
                    sqlx::query("ROLLBACK TO SAVEPOINT ingest_one")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("RELEASE SAVEPOINT ingest_one")
                    .execute(&mut *tx)
                    .await?;
                results.push(r);
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        }
        .await;
        if let Err(e) = outcome {
            tracing::error!(error = %e, reports = jobs.len(), "group commit failed");
            results = jobs.iter().map(|_| Err(StoreError::Retry)).collect();
        }
        for (j, r) in jobs.into_iter().zip(results) {
            let _ = j.reply.send(r);
        }
    }

    /// The work of one ingest inside the caller's transaction. A duplicate (or a conflict)
    /// returns before writing anything the caller must keep; the caller rolls it back.
    async fn ingest_in_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        r: &Report,
        sha: &str,
        raw_zstd: &[u8],
    ) -> StoreResult<IngestOutcome> {
        let kind = match r.kind {
            ReportKind::Hunt => "hunt",
            ReportKind::Scan => "scan",
        };
        let mut out = IngestOutcome {
            report_id: r.report_id.clone(),
            kind: kind.to_string(),
            received: match r.kind {
                ReportKind::Hunt => r.findings.len() as u64,
                ReportKind::Scan => r.scan_results.len() as u64,
            },
            member_view: p.scope().is_some(),
            ..Default::default()
        };
        let inserted = sqlx::query(
            "INSERT INTO reports (report_id, kind, sha256, token_id, scope, verdict, started_at, finished_at, received_at, findings, results, body, body_zstd) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12) ON CONFLICT (report_id) DO NOTHING RETURNING id",
        )
        .bind(&r.report_id)
        .bind(kind)
        .bind(sha)
        .bind(p.token_id)
        .bind(&r.scope)
        .bind(verdict_str(r.verdict))
        .bind(r.started_at.timestamp())
        .bind(r.finished_at.timestamp())
        .bind(now())
        .bind(r.findings.len() as i64)
        .bind(r.scan_results.len() as i64)
        .bind(raw_zstd.to_vec())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = inserted else {
            let stored: String = sqlx::query("SELECT sha256 FROM reports WHERE report_id = $1")
                .bind(&r.report_id)
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
            if stored == sha {
                out.duplicate = true;
                return Ok(out);
            }
            return Err(StoreError::Conflict(format!(
                "report {} was already received with different content",
                r.report_id
            )));
        };
        let rid: i64 = row.try_get(0)?;
        let mut deltas = Deltas::new();
        match r.kind {
            ReportKind::Scan => {
                self.ingest_scan(tx, p, r, rid, &mut out, &mut deltas)
                    .await?
            }
            ReportKind::Hunt => {
                self.ingest_hunt(tx, p, r, rid, &mut out, &mut deltas)
                    .await?
            }
        }
        apply_deltas(tx, &deltas, &r.finished_at.format("%Y-%m-%d").to_string()).await?;
        audit(
            &mut **tx,
            &p.actor(),
            "report.ingest",
            &format!("report:{}", r.report_id),
            &format!(
                "kind={kind} hosts={} observations={} findings={} transitions={} skipped={}",
                out.hosts, out.observations, out.findings, out.transitions, out.skipped
            ),
        )
        .await?;
        Ok(out)
    }

    async fn ingest_scan(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        r: &Report,
        rid: i64,
        out: &mut IngestOutcome,
        deltas: &mut Deltas,
    ) -> StoreResult<()> {
        // A fixed order of row locks across concurrent ingests (PostgreSQL).
        let mut results: Vec<(&ScanResult, Option<IpAddr>, Option<String>)> = r
            .scan_results
            .iter()
            .map(|s| (s, result_ip(s), result_hostname(s)))
            .collect();
        results.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
        let mut observations: Vec<(i64, i64, &'static str, Option<String>, &ScanResult)> =
            Vec::with_capacity(results.len());
        let results = self
            .ingest_new_hosts(tx, p, results, rid, out, deltas, &mut observations)
            .await?;
        for (res, ip, hostname) in results {
            if ip.is_none() && hostname.is_none() {
                out.skipped += 1;
                continue;
            }
            let attributed = {
                let a = self
                    .attrib
                    .read()
                    .map_err(|_| StoreError::BadRequest("attribution index poisoned".into()))?;
                a.attribute(ip, hostname.as_deref())
            };
            let ip_s = ip.map(|i| i.to_string());
            let at = res.scanned_at.timestamp();
            let build = res.assessment.as_ref().map(|a| a.build.clone());
            let fix = fix_text(res.assessment.as_ref());
            let verdict = res.verdict.as_str();
            let (existing, org) = match self
                .write_target(
                    tx,
                    p,
                    About::Scan {
                        ip: ip_s.as_deref(),
                        hostname: hostname.as_deref(),
                    },
                    attributed,
                )
                .await?
            {
                Target::Refused => {
                    out.skipped += 1;
                    continue;
                }
                Target::New { org } => (None, org),
                Target::Existing { host, org } => (Some(host), org),
            };
            let host_org = existing.as_ref().map_or(org, |h| h.org_id.or(org));
            let host_id = match existing {
                None => {
                    let ev = Event::Scan {
                        verdict: res.verdict,
                        build: build.as_deref(),
                        previous_verdict: None,
                    };
                    let Some(tr) = state::next(None, &ev) else {
                        out.skipped += 1;
                        continue;
                    };
                    let reached = tr.to.reached_bits() | HostState::Exposed.bit();
                    let id = self
                        .insert_host(
                            tx,
                            org,
                            ip_s.as_deref(),
                            hostname.as_deref(),
                            tr.to,
                            reached,
                            at,
                        )
                        .await?;
                    let id = match id {
                        Some(id) => id,
                        None => {
                            // Another instance created it concurrently: retry the whole transaction.
                            return Err(StoreError::Retry);
                        }
                    };
                    sqlx::query(
                        "UPDATE hosts SET scan_verdict = $1, build = $2, fix = $3, last_scan_at = $4 WHERE id = $5",
                    )
                    .bind(verdict)
                    .bind(&build)
                    .bind(&fix)
                    .bind(at)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                    record_transition(tx, id, at, None, &tr, Some(rid), None, &p.actor()).await?;
                    count_new(deltas, tr.to, reached);
                    out.transitions += 1;
                    id
                }
                Some(h) => {
                    let newer = h.last_scan_at.is_none_or(|l| at >= l);
                    if newer {
                        let ev = Event::Scan {
                            verdict: res.verdict,
                            build: build.as_deref(),
                            previous_verdict: h.scan_verdict.as_deref(),
                        };
                        // Unreachable/error scans say nothing about the build: keep the last verdict.
                        let informative =
                            !matches!(res.verdict, ScanVerdict::Unreachable | ScanVerdict::Error);
                        let tr = if informative {
                            state::next(Some(h.state), &ev)
                        } else {
                            None
                        };
                        if informative {
                            sqlx::query(
                                "UPDATE hosts SET scan_verdict = $1, build = COALESCE($2, build), fix = $3, last_scan_at = $4, \
                                 last_seen = $4, org_id = COALESCE(org_id, $5), hostname = COALESCE(hostname, $6), \
                                 hostname_key = COALESCE(hostname_key, $6) WHERE id = $7",
                            )
                            .bind(verdict)
                            .bind(&build)
                            .bind(&fix)
                            .bind(at)
                            .bind(org)
                            .bind(&hostname)
                            .bind(h.id)
                            .execute(&mut **tx)
                            .await?;
                        } else {
                            sqlx::query("UPDATE hosts SET last_scan_at = $1 WHERE id = $2")
                                .bind(at)
                                .bind(h.id)
                                .execute(&mut **tx)
                                .await?;
                        }
                        if let Some(tr) = tr {
                            self.apply_transition(
                                tx,
                                &h,
                                at,
                                &tr,
                                Some(rid),
                                None,
                                &p.actor(),
                                deltas,
                            )
                            .await?;
                            out.transitions += 1;
                        }
                    }
                    h.id
                }
            };
            observations.push((host_id, at, verdict, build, res));
            if host_org.is_some() {
                out.attributed += 1;
            } else {
                out.unattributed += 1;
            }
            out.observations += 1;
            out.hosts += 1;
        }
        // Observations in multi-row INSERTs: one statement per 400 instead of one per result.
        // The catalogue's assessment (about 2 KB of JSON, the same for every result of a build)
        // is stored once in `assessments` and referenced by its key.
        let mut assessments = AssessmentCache::default();
        let mut observations = observations.into_iter().peekable();
        while observations.peek().is_some() {
            let chunk: Vec<_> = observations.by_ref().take(400).collect();
            let sql = format!(
                "INSERT INTO observations (host_id, report_id, observed_at, kind, verdict, build, detail, assessment_key) VALUES {}",
                self.backend
                    .values(&["", "", "", "'scan'", "", "", "", ""], chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (host_id, at, verdict, build, res) in chunk {
                let key = res.assessment.as_ref().map(|a| assessments.key(a));
                q = q
                    .bind(host_id)
                    .bind(rid)
                    .bind(at)
                    .bind(verdict)
                    .bind(build)
                    .bind(scan_detail(res))
                    .bind(key);
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in assessments.new.chunks(400) {
            let sql = format!(
                "INSERT INTO assessments (key, body) VALUES {} ON CONFLICT (key) DO NOTHING",
                self.backend.values(&["", ""], chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (key, body) in chunk {
                q = q.bind(key.as_str()).bind(body.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn ingest_hunt(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        r: &Report,
        rid: i64,
        out: &mut IngestOutcome,
        deltas: &mut Deltas,
    ) -> StoreResult<()> {
        let id = HuntIdentity::of(r);
        // Each address's attribution, as for a scan result (CIDR, then ASN).
        let ip_orgs: Vec<(IpAddr, Option<i64>)> = match self.attrib.read() {
            Ok(a) => id
                .ips
                .iter()
                .map(|ip| (*ip, a.attribute(Some(*ip), None)))
                .collect(),
            Err(_) => id.ips.iter().map(|ip| (*ip, None)).collect(),
        };
        // The hunt's organisation: the member's own; for staff, that of its global addresses,
        // then of its domain, then of its other addresses.
        let org = match p.scope() {
            Some(own) => Some(own),
            None => {
                let by_ip = |global: bool| {
                    ip_orgs
                        .iter()
                        .filter(|(ip, _)| is_global(*ip) == global)
                        .find_map(|(_, o)| *o)
                };
                by_ip(true)
                    .or_else(|| {
                        let a = self.attrib.read().ok()?;
                        id.fqdn.as_deref().and_then(|f| a.by_hostname(f))
                    })
                    .or_else(|| by_ip(false))
            }
        };
        let at = r.finished_at.timestamp();
        let build = r.host.build.as_ref().map(|b| b.build.clone());
        let fix = fix_text(r.host.build.as_ref());
        let worst: Option<Stage> = r.findings.iter().map(|f| f.stage).max();
        let ev = Event::Hunt {
            verdict: r.verdict,
            findings: r.findings.len(),
            worst,
        };
        let (existing, org) = match self.write_target(tx, p, About::Hunt(&id), org).await? {
            Target::Refused => {
                out.skipped += 1;
                return Ok(());
            }
            Target::New { org } => (None, org),
            Target::Existing { host, org } => (Some(host), org),
        };
        let joined_by = existing.as_ref().map(|h| h.joined_by.clone());
        let host_id = match existing {
            None => {
                let tr = state::next(None, &ev).unwrap_or(Transition {
                    to: HostState::Hunted,
                    cause: "hunt report received".into(),
                    reopened: false,
                });
                let reached = tr.to.reached_bits();
                // The host's first global address that no host has yet and that is not
                // attributed to another organisation (as a scan result of it would be refused);
                // a private one names it only inside its organisation, so it is not made the
                // host's address.
                let usable: Vec<IpAddr> = ip_orgs
                    .iter()
                    .filter(|(_, o)| o.is_none() || *o == org)
                    .map(|(ip, _)| *ip)
                    .collect();
                let ip = self.free_global_ip(tx, &usable).await?;
                let id = self
                    .insert_host(tx, org, ip.as_deref(), Some(&id.key), tr.to, reached, at)
                    .await?
                    .ok_or_else(|| StoreError::Retry)?;
                sqlx::query("UPDATE hosts SET hunt_verdict = $1, build = $2, fix = $3, last_hunt_at = $4 WHERE id = $5")
                    .bind(verdict_str(r.verdict))
                    .bind(&build)
                    .bind(&fix)
                    .bind(at)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                let tr = Transition {
                    cause: format!("{} (report {})", tr.cause, r.report_id),
                    ..tr
                };
                record_transition(tx, id, at, None, &tr, Some(rid), None, &p.actor()).await?;
                count_new(deltas, tr.to, reached);
                out.transitions += 1;
                id
            }
            Some(h) => {
                if h.last_hunt_at.is_none_or(|l| at >= l) {
                    sqlx::query(
                        "UPDATE hosts SET hunt_verdict = $1, build = COALESCE($2, build), fix = COALESCE($3, fix), \
                         last_hunt_at = $4, last_seen = CASE WHEN last_seen < $4 THEN $4 ELSE last_seen END, \
                         hostname = COALESCE(hostname, $6), hostname_key = COALESCE(hostname_key, $6) WHERE id = $5",
                    )
                    .bind(verdict_str(r.verdict))
                    .bind(&build)
                    .bind(&fix)
                    .bind(at)
                    .bind(h.id)
                    .bind(&id.fqdn)
                    .execute(&mut **tx)
                    .await?;
                    if let Some(tr) = state::next(Some(h.state), &ev) {
                        let tr = Transition {
                            cause: format!("{} (report {})", tr.cause, r.report_id),
                            ..tr
                        };
                        self.apply_transition(tx, &h, at, &tr, Some(rid), None, &p.actor(), deltas)
                            .await?;
                        out.transitions += 1;
                    }
                }
                h.id
            }
        };
        let created = now();
        for chunk in r.findings.chunks(50) {
            insert_findings(self.backend, tx, host_id, rid, chunk, created).await?;
            out.findings += chunk.len() as u64;
        }
        let detail = serde_json::json!({
            "scope": r.scope,
            "hostname": r.host.hostname,
            "fqdn": id.fqdn,
            "ips": id.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            // Why this hunt is about this host: "ip 192.0.2.7", "fqdn ex01.contoso.local",
            // "name ex01", or absent for the host it created.
            "joined_by": joined_by,
            "verdict_reason": r.verdict_reason,
            "findings": r.findings.len(),
            "incidents": r.incidents.iter().map(|i| &i.summary).collect::<Vec<_>>(),
            "worst_stage": worst,
            "coverage": r.coverage.iter().map(|c| serde_json::json!({
                "source": c.source, "location": c.location, "first": c.first, "last": c.last, "records": c.records
            })).collect::<Vec<_>>(),
            "build": r.host.build,
        });
        sqlx::query(
            "INSERT INTO observations (host_id, report_id, observed_at, kind, verdict, build, detail) VALUES ($1, $2, $3, 'hunt', $4, $5, $6)",
        )
        .bind(host_id)
        .bind(rid)
        .bind(at)
        .bind(verdict_str(r.verdict))
        .bind(&build)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
        out.observations += 1;
        out.hosts += 1;
        Ok(())
    }

    /// The bulk path of a scan ingest: results about an address that no host has yet and that
    /// occurs once in the report become new hosts in multi-row statements (one lookup, one
    /// insert of hosts, one of transitions per 400 results) instead of four statements each.
    /// The organisation comes from the same gate as [`Store::write_target`] ([`gate_org`]); a
    /// result the gate refuses is skipped, as on the per-result path. Every other result (an
    /// existing host, a repeated address, a hostname only) is returned for the per-result path.
    #[allow(clippy::too_many_arguments)]
    async fn ingest_new_hosts<'r>(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        results: Vec<(&'r ScanResult, Option<IpAddr>, Option<String>)>,
        rid: i64,
        out: &mut IngestOutcome,
        deltas: &mut Deltas,
        observations: &mut Vec<(i64, i64, &'static str, Option<String>, &'r ScanResult)>,
    ) -> StoreResult<Vec<(&'r ScanResult, Option<IpAddr>, Option<String>)>> {
        const BATCH: usize = 400;
        let fu = self.backend.for_update();
        let mut rest = Vec::new();
        let mut i = 0;
        while i < results.len() {
            let end = (i + BATCH).min(results.len());
            let chunk = &results[i..end];
            i = end;
            let ips: Vec<String> = chunk
                .iter()
                .filter_map(|r| r.1.map(|ip| ip.to_string()))
                .collect();
            let mut existing = std::collections::HashSet::new();
            if !ips.is_empty() {
                let sql = format!(
                    "SELECT ip FROM hosts WHERE ip IN ({}){fu}",
                    self.backend.params(ips.len())
                );
                let mut q = sqlx::query(&sql);
                for ip in &ips {
                    q = q.bind(ip);
                }
                for row in q.fetch_all(&mut **tx).await? {
                    existing.insert(row.try_get::<String, _>(0)?);
                }
            }
            let mut fresh = Vec::new();
            for (k, item) in chunk.iter().enumerate() {
                let (res, ip, hostname) = item;
                let repeated = |j: usize| {
                    results
                        .get(j)
                        .is_some_and(|o: &(&ScanResult, Option<IpAddr>, Option<String>)| o.1 == *ip)
                };
                let at_k = i - chunk.len() + k;
                let Some(ip) = ip else {
                    rest.push(item.clone());
                    continue;
                };
                let ip_s = ip.to_string();
                if existing.contains(&ip_s)
                    || (at_k > 0 && repeated(at_k - 1))
                    || repeated(at_k + 1)
                {
                    rest.push(item.clone());
                    continue;
                }
                let attributed = {
                    let a = self
                        .attrib
                        .read()
                        .map_err(|_| StoreError::BadRequest("attribution index poisoned".into()))?;
                    a.attribute(Some(*ip), hostname.as_deref())
                };
                let Some(org) = gate_org(p, attributed) else {
                    out.skipped += 1;
                    continue;
                };
                let build = res.assessment.as_ref().map(|a| a.build.clone());
                let ev = Event::Scan {
                    verdict: res.verdict,
                    build: build.as_deref(),
                    previous_verdict: None,
                };
                let Some(tr) = state::next(None, &ev) else {
                    out.skipped += 1;
                    continue;
                };
                fresh.push((*res, ip_s, hostname.clone(), org, tr, build));
            }
            if fresh.is_empty() {
                continue;
            }
            let sql = format!(
                "INSERT INTO hosts (org_id, ip, hostname, hostname_key, state, reached, first_seen, last_seen, state_since, \
                 scan_verdict, build, fix, last_scan_at) VALUES {} ON CONFLICT (ip) DO NOTHING RETURNING id, ip",
                self.backend.values(&[""; 13], fresh.len())
            );
            let mut q = sqlx::query(&sql);
            for (res, ip, hostname, org, tr, build) in &fresh {
                let at = res.scanned_at.timestamp();
                let reached = tr.to.reached_bits() | HostState::Exposed.bit();
                q = q
                    .bind(*org)
                    .bind(ip.as_str())
                    .bind(hostname.clone())
                    .bind(hostname.clone())
                    .bind(tr.to.as_str())
                    .bind(reached)
                    .bind(at)
                    .bind(at)
                    .bind(at)
                    .bind(res.verdict.as_str())
                    .bind(build.clone())
                    .bind(fix_text(res.assessment.as_ref()))
                    .bind(at);
            }
            let mut ids = std::collections::HashMap::with_capacity(fresh.len());
            for row in q.fetch_all(&mut **tx).await? {
                ids.insert(row.try_get::<String, _>(1)?, row.try_get::<i64, _>(0)?);
            }
            if ids.len() != fresh.len() {
                // Another instance created one of these hosts concurrently: retry the whole transaction.
                return Err(StoreError::Retry);
            }
            let sql = format!(
                "INSERT INTO transitions (host_id, at, from_state, to_state, cause, reopened, report_id, notification_id, actor) VALUES {}",
                self.backend.values(
                    &["", "", "NULL", "", "", "0", "", "NULL", ""],
                    fresh.len()
                )
            );
            let actor = p.actor();
            let mut q = sqlx::query(&sql);
            for (res, ip, _, _, tr, _) in &fresh {
                q = q
                    .bind(ids[ip.as_str()])
                    .bind(res.scanned_at.timestamp())
                    .bind(tr.to.as_str())
                    .bind(tr.cause.clone())
                    .bind(rid)
                    .bind(actor.clone());
            }
            q.execute(&mut **tx).await?;
            for (res, ip, _, org, tr, build) in fresh {
                let reached = tr.to.reached_bits() | HostState::Exposed.bit();
                count_new(deltas, tr.to, reached);
                out.transitions += 1;
                out.observations += 1;
                out.hosts += 1;
                if org.is_some() {
                    out.attributed += 1;
                } else {
                    out.unattributed += 1;
                }
                observations.push((
                    ids[ip.as_str()],
                    res.scanned_at.timestamp(),
                    res.verdict.as_str(),
                    build,
                    res,
                ));
            }
        }
        Ok(rest)
    }

    /// The one gate every ingest path goes through before it creates or changes a host: the
    /// host a piece of evidence is about, and whether `p` may write it.
    ///
    /// Staff (admin, analyst) write any host; a new host goes to the `attributed` organisation.
    /// An organisation member writes only hosts of its own organisation: evidence attributed to
    /// another organisation, or about an existing host of another organisation or of none, is
    /// [`Target::Refused`] (nothing is touched, nothing claimed); a new host is its own.
    ///
    /// Which host the evidence is about: a scan result's address (else its name within the
    /// organisation); a hunt's addresses, else its fully qualified name, else its bare name
    /// ([`Store::find_hunt_host`]). A member's hunt only ever looks among its own
    /// organisation's hosts, so an address of another organisation's host in it is not a match
    /// (its hunt makes or joins its own host, the other is untouched).
    async fn write_target(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        about: About<'_>,
        attributed: Option<i64>,
    ) -> StoreResult<Target> {
        let Some(org) = gate_org(p, attributed) else {
            return Ok(Target::Refused);
        };
        let fu = self.backend.for_update();
        let found = match about {
            About::Scan { ip, hostname } => self.find_host(tx, ip, hostname, org, fu).await?,
            About::Hunt(id) => self.find_hunt_host(tx, p, id, org, fu).await?,
        };
        match found {
            None => Ok(Target::New { org }),
            Some(host) if p.scope().is_none_or(|own| host.org_id == Some(own)) => {
                Ok(Target::Existing { host, org })
            }
            Some(_) => Ok(Target::Refused),
        }
    }

    /// The host a hunt is about, in this order:
    ///
    /// 1. a host whose address is one of the hunt's: any host for a global address, a host of
    ///    the hunt's organisation for a private one (`10.0.0.5` is a different host in each
    ///    organisation), only the member's own hosts for a member. Several hosts: the one
    ///    whose name is the hunt's FQDN, else the first in the hunt's order (its registry's
    ///    addresses come first) when the organisation is known; an unattributed hunt does not
    ///    choose between them;
    /// 2. a host whose name is the hunt's fully qualified name (case-insensitive, whole name):
    ///    within the hunt's organisation, or the only host of that name for an unattributed
    ///    hunt;
    /// 3. with no FQDN, a bare name (`ex01`, or the hunted path) joins only a host of the same
    ///    organisation with that name and no address: one an earlier hunt made. A bare name
    ///    never joins a scanned host: `exch01` is a name in every organisation.
    async fn find_hunt_host(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &Principal,
        id: &HuntIdentity,
        org: Option<i64>,
        fu: &str,
    ) -> StoreResult<Option<HostRow>> {
        if !id.ips.is_empty() {
            let texts: Vec<String> = id.ips.iter().map(|i| i.to_string()).collect();
            let marks: Vec<String> = (1..=texts.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {HOST_COLS}, ip, hostname_key FROM hosts WHERE ip IN ({}) ORDER BY id{fu}",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for t in &texts {
                q = q.bind(t.as_str());
            }
            let rows = q.fetch_all(&mut **tx).await?;
            // (position of its address in the hunt, host, name key).
            let mut candidates: Vec<(usize, HostRow, Option<String>)> = Vec::new();
            for row in &rows {
                let host = host_row(row)?;
                let ip: Option<String> = row.try_get(7)?;
                let key: Option<String> = row.try_get(8)?;
                let Some(pos) = ip.and_then(|i| texts.iter().position(|t| *t == i)) else {
                    continue;
                };
                let allowed = match p.scope() {
                    Some(own) => host.org_id == Some(own),
                    None if is_global(id.ips[pos]) => true,
                    None => org.is_some() && host.org_id == org,
                };
                if allowed {
                    candidates.push((pos, host, key));
                }
            }
            candidates.sort_by_key(|c| c.0);
            let by_name = candidates
                .iter()
                .position(|c| c.2.is_some() && c.2 == id.fqdn);
            let pick = match (candidates.len(), by_name) {
                (0, _) => None,
                (1, _) => Some(0),
                (_, Some(i)) => Some(i),
                (_, None) if org.is_some() => Some(0),
                (_, None) => None,
            };
            if let Some(i) = pick {
                let (pos, mut host, _) = candidates.swap_remove(i);
                host.joined_by = format!("ip {}", texts[pos]);
                return Ok(Some(host));
            }
        }
        if let Some(fqdn) = &id.fqdn {
            let mut rows = match org {
                Some(o) => {
                    sqlx::query(&format!(
                        "SELECT {HOST_COLS} FROM hosts WHERE hostname_key = $1 AND org_id = $2 ORDER BY id LIMIT 1{fu}"
                    ))
                    .bind(fqdn.as_str())
                    .bind(o)
                    .fetch_all(&mut **tx)
                    .await?
                }
                // Unattributed: the one host of that name (scanned and attributed by its
                // address), never a guess between several.
                None => {
                    sqlx::query(&format!(
                        "SELECT {HOST_COLS} FROM hosts WHERE hostname_key = $1 ORDER BY id LIMIT 2{fu}"
                    ))
                    .bind(fqdn.as_str())
                    .fetch_all(&mut **tx)
                    .await?
                }
            };
            if rows.len() == 1 {
                let mut host = host_row(&rows.pop().expect("one row"))?;
                host.joined_by = format!("fqdn {fqdn}");
                return Ok(Some(host));
            }
            return Ok(None);
        }
        let Some(o) = org else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {HOST_COLS} FROM hosts WHERE hostname_key = $1 AND org_id = $2 AND ip IS NULL ORDER BY id LIMIT 1{fu}"
        ))
        .bind(id.key.as_str())
        .bind(o)
        .fetch_optional(&mut **tx)
        .await?;
        row.as_ref()
            .map(|r| {
                host_row(r).map(|mut h| {
                    h.joined_by = format!("name {}", id.key);
                    h
                })
            })
            .transpose()
    }

    /// The first global address of `ips` that no host has (for a new host of a hunt).
    async fn free_global_ip(
        &self,
        tx: &mut Transaction<'static, Any>,
        ips: &[IpAddr],
    ) -> StoreResult<Option<String>> {
        for ip in ips.iter().filter(|ip| is_global(**ip)) {
            let text = ip.to_string();
            let taken = sqlx::query("SELECT id FROM hosts WHERE ip = $1")
                .bind(text.as_str())
                .fetch_optional(&mut **tx)
                .await?;
            if taken.is_none() {
                return Ok(Some(text));
            }
        }
        Ok(None)
    }

    /// A host by IP, else by hostname within the attributed organisation (scan results).
    async fn find_host(
        &self,
        tx: &mut Transaction<'static, Any>,
        ip: Option<&str>,
        hostname: Option<&str>,
        org: Option<i64>,
        fu: &str,
    ) -> StoreResult<Option<HostRow>> {
        let row = if let Some(ip) = ip {
            sqlx::query(&format!("SELECT {HOST_COLS} FROM hosts WHERE ip = $1{fu}"))
                .bind(ip)
                .fetch_optional(&mut **tx)
                .await?
        } else if let Some(h) = hostname {
            let scoped = sqlx::query(&format!(
                "SELECT {HOST_COLS} FROM hosts WHERE hostname_key = $1 AND COALESCE(org_id, -1) = $2 ORDER BY id LIMIT 1{fu}"
            ))
            .bind(h)
            .bind(org.unwrap_or(-1))
            .fetch_optional(&mut **tx)
            .await?;
            match (scoped, org) {
                (Some(r), _) => Some(r),
                // Unattributed: join the one host of that name, but never guess between several.
                (None, None) => {
                    let mut rows = sqlx::query(&format!("SELECT {HOST_COLS} FROM hosts WHERE hostname_key = $1 ORDER BY id LIMIT 2{fu}"))
                        .bind(h)
                        .fetch_all(&mut **tx)
                        .await?;
                    if rows.len() == 1 {
                        rows.pop()
                    } else {
                        None
                    }
                }
                (None, Some(_)) => None,
            }
        } else {
            None
        };
        row.as_ref().map(host_row).transpose()
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_host(
        &self,
        tx: &mut Transaction<'static, Any>,
        org: Option<i64>,
        ip: Option<&str>,
        hostname: Option<&str>,
        st: HostState,
        reached: i64,
        at: i64,
    ) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO hosts (org_id, ip, hostname, hostname_key, state, reached, first_seen, last_seen, state_since) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) ON CONFLICT (ip) DO NOTHING RETURNING id",
        )
        .bind(org)
        .bind(ip)
        .bind(hostname)
        .bind(hostname.map(|h| h.to_ascii_lowercase()))
        .bind(st.as_str())
        .bind(reached)
        .bind(at)
        .fetch_optional(&mut **tx)
        .await?;
        row.map(|r| r.try_get::<i64, _>(0))
            .transpose()
            .map_err(StoreError::Db)
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_transition(
        &self,
        tx: &mut Transaction<'static, Any>,
        h: &HostRow,
        at: i64,
        tr: &Transition,
        report: Option<i64>,
        notification: Option<i64>,
        actor: &str,
        deltas: &mut Deltas,
    ) -> StoreResult<()> {
        let reached = h.reached | tr.to.reached_bits();
        sqlx::query("UPDATE hosts SET state = $1, reached = $2, state_since = $3 WHERE id = $4")
            .bind(tr.to.as_str())
            .bind(reached)
            .bind(at)
            .bind(h.id)
            .execute(&mut **tx)
            .await?;
        record_transition(tx, h.id, at, Some(h.state), tr, report, notification, actor).await?;
        *deltas
            .entry(format!("state:{}", h.state.as_str()))
            .or_default() -= 1;
        *deltas
            .entry(format!("state:{}", tr.to.as_str()))
            .or_default() += 1;
        for s in state::ALL_STATES {
            if reached & s.bit() != 0 && h.reached & s.bit() == 0 {
                *deltas.entry(format!("reached:{}", s.as_str())).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Record that a notification reached a host's owner (moves exposed/vulnerable → notified).
    pub(crate) async fn host_notified(
        &self,
        tx: &mut Transaction<'static, Any>,
        host_id: i64,
        notification_id: i64,
        actor: &str,
        deltas: &mut Deltas,
    ) -> StoreResult<bool> {
        let fu = self.backend.for_update();
        let Some(row) = sqlx::query(&format!("SELECT {HOST_COLS} FROM hosts WHERE id = $1{fu}"))
            .bind(host_id)
            .fetch_optional(&mut **tx)
            .await?
        else {
            return Ok(false);
        };
        let h = host_row(&row)?;
        let t = now();
        match state::next(Some(h.state), &Event::Notified { notification_id }) {
            Some(tr) => {
                self.apply_transition(tx, &h, t, &tr, None, Some(notification_id), actor, deltas)
                    .await?;
                Ok(true)
            }
            None => {
                // The state stays (e.g. compromised), but the funnel counts the host as notified.
                if h.reached & HostState::Notified.bit() == 0 {
                    sqlx::query("UPDATE hosts SET reached = $1 WHERE id = $2")
                        .bind(h.reached | HostState::Notified.bit())
                        .bind(h.id)
                        .execute(&mut **tx)
                        .await?;
                    *deltas.entry("reached:notified".into()).or_default() += 1;
                }
                Ok(false)
            }
        }
    }
}

/// The first half of the gate ([`Store::write_target`]): the organisation a piece of evidence
/// may be written under by `p`, or None when it is not `p`'s to write (a member and evidence
/// attributed to another organisation). Staff take the attribution; a member its own.
fn gate_org(p: &Principal, attributed: Option<i64>) -> Option<Option<i64>> {
    match p.scope() {
        None => Some(attributed),
        Some(own) if attributed.is_none_or(|o| o == own) => Some(Some(own)),
        Some(_) => None,
    }
}

fn count_new(deltas: &mut Deltas, to: HostState, reached: i64) {
    *deltas.entry(format!("state:{}", to.as_str())).or_default() += 1;
    for s in state::ALL_STATES {
        if reached & s.bit() != 0 {
            *deltas.entry(format!("reached:{}", s.as_str())).or_default() += 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record_transition(
    tx: &mut Transaction<'static, Any>,
    host: i64,
    at: i64,
    from: Option<HostState>,
    tr: &Transition,
    report: Option<i64>,
    notification: Option<i64>,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO transitions (host_id, at, from_state, to_state, cause, reopened, report_id, notification_id, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(host)
    .bind(at)
    .bind(from.map(|s| s.as_str()))
    .bind(tr.to.as_str())
    .bind(&tr.cause)
    .bind(i64::from(tr.reopened))
    .bind(report)
    .bind(notification)
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Findings in one multi-row INSERT (the caller chunks them).
async fn insert_findings(
    b: Backend,
    tx: &mut Transaction<'static, Any>,
    host: i64,
    rid: i64,
    fs: &[Finding],
    created: i64,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO findings (host_id, report_id, finding_key, rule_id, title, family, stage, severity, first_seen, last_seen, count, created_at, body) VALUES {}",
        b.values(&[""; 13], fs.len())
    );
    let mut q = sqlx::query(&sql);
    for f in fs {
        let body = serde_json::to_string(f)
            .map_err(|e| StoreError::BadRequest(format!("finding {}: {e}", f.id)))?;
        q = q
            .bind(host)
            .bind(rid)
            .bind(f.id.clone())
            .bind(f.rule_id.clone())
            .bind(f.title.clone())
            .bind(f.family.as_str())
            .bind(f.stage.as_str())
            .bind(f.severity.as_str())
            .bind(f.first_seen.map(|t| t.timestamp()))
            .bind(f.last_seen.map(|t| t.timestamp()))
            .bind(i64::try_from(f.count).unwrap_or(i64::MAX))
            .bind(created)
            .bind(body);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Apply counter deltas (sorted) and snapshot the counters for the day of the event.
pub(crate) async fn apply_deltas(
    tx: &mut Transaction<'static, Any>,
    deltas: &Deltas,
    day: &str,
) -> StoreResult<()> {
    let mut changed = false;
    for (metric, d) in deltas {
        if *d == 0 {
            continue;
        }
        changed = true;
        sqlx::query("UPDATE counters SET n = n + $1 WHERE metric = $2")
            .bind(*d)
            .bind(metric)
            .execute(&mut **tx)
            .await?;
    }
    if changed {
        sqlx::query(
            "INSERT INTO funnel_daily (day, metric, n) SELECT $1, metric, n FROM counters WHERE 1 = 1 \
             ON CONFLICT (day, metric) DO UPDATE SET n = excluded.n",
        )
        .bind(day)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
