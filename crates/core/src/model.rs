//! The report model shared by every part of exray: `exray hunt`, `exray scan` and `exray serve`
//! all speak it. It is versioned by [`SCHEMA`]; `docs/report-schema.md` documents it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The schema identifier written into every report. Bump the suffix on breaking changes.
pub const SCHEMA: &str = "exray.report/v1";

/// Exploitation began before this instant (Volexity saw it on 2021-01-06): logs that start later
/// cannot clear a server of ProxyLogon by themselves.
pub const PROXYLOGON_WINDOW_START: &str = "2021-01-01T00:00:00Z";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Where in the attack a finding sits. The order is the order of an intrusion, and a finding's
/// stage grades it: an *attempt* is not a compromise, *exploitation* and later are.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Scanning or probing that did not reach anything (e.g. SSRF against autodiscover only).
    Attempt,
    /// A vulnerability was exercised with effect (SSRF reaching ECP, file write, deserialization).
    Exploitation,
    /// A web shell exists or was used.
    Foothold,
    /// Commands, credential theft, persistence after the foothold.
    PostExploitation,
    /// Data staged or taken away (mailbox exports, archives).
    Exfiltration,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Attempt => "attempt",
            Stage::Exploitation => "exploitation",
            Stage::Foothold => "foothold",
            Stage::PostExploitation => "post_exploitation",
            Stage::Exfiltration => "exfiltration",
        }
    }
    /// True for every stage that means the attacker got somewhere.
    pub fn is_compromise(self) -> bool {
        self >= Stage::Exploitation
    }
}

/// The attack family a rule belongs to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    #[serde(rename = "proxylogon")]
    ProxyLogon,
    #[serde(rename = "proxyshell")]
    ProxyShell,
    #[serde(rename = "proxynotshell")]
    ProxyNotShell,
    Owassrf,
    /// Web shells, post-exploitation and exfiltration that any family can lead to.
    Generic,
    /// A match of a user-supplied indicator (IOC list, STIX bundle, YARA pack).
    Ioc,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::ProxyLogon => "proxylogon",
            Family::ProxyShell => "proxyshell",
            Family::ProxyNotShell => "proxynotshell",
            Family::Owassrf => "owassrf",
            Family::Generic => "generic",
            Family::Ioc => "ioc",
        }
    }
}

/// The kind of evidence a record came from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    HttpProxy,
    EcpServer,
    OabGenerator,
    Iis,
    Evtx,
    EventJson,
    FileSystem,
    Registry,
    Config,
    Network,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::HttpProxy => "httpproxy",
            SourceKind::EcpServer => "ecp_server",
            SourceKind::OabGenerator => "oab_generator",
            SourceKind::Iis => "iis",
            SourceKind::Evtx => "evtx",
            SourceKind::EventJson => "event_json",
            SourceKind::FileSystem => "file_system",
            SourceKind::Registry => "registry",
            SourceKind::Config => "config",
            SourceKind::Network => "network",
        }
    }
    /// Sources that record web requests: without one, no verdict on exploitation can be given.
    pub fn is_request_log(self) -> bool {
        matches!(self, SourceKind::HttpProxy | SourceKind::Iis)
    }
}

/// Static description of a detection rule. Rules are data: detectors hold a table of these.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub family: Family,
    pub stage: Stage,
    pub cves: Vec<String>,
    /// MITRE ATT&CK technique ids, e.g. `T1190`, `T1505.003`.
    pub attack: Vec<String>,
    pub severity: Severity,
    pub confidence: Confidence,
}

impl RuleMeta {
    /// Convenience constructor for rule tables written in code.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        title: &str,
        description: &str,
        family: Family,
        stage: Stage,
        cves: &[&str],
        attack: &[&str],
        severity: Severity,
        confidence: Confidence,
    ) -> Self {
        RuleMeta {
            id: id.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            family,
            stage,
            cves: cves.iter().map(|s| s.to_string()).collect(),
            attack: attack.iter().map(|s| s.to_string()).collect(),
            severity,
            confidence,
        }
    }
}

/// Hashes and metadata of a file that is evidence.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FileInfo {
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Whether `modified`/`created` can be trusted: kept by the collection, or the time the
    /// evidence was copied (then the timeline and incidents do not use them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<FileTimes>,
}

/// How far a file's times can be trusted, and why.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FileTimes {
    pub trust: TimesTrust,
    pub reason: String,
}

/// The trust given to a file's times.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimesTrust {
    /// The collection kept the files' times (they are spread out, not one copy time), and this
    /// file's time is plausible.
    Preserved,
    /// Too few files to judge the collection; this file's time is plausible. Used, with care.
    Unknown,
    /// The time the evidence was copied (or otherwise implausible): used for nothing.
    CopyTime,
}

impl TimesTrust {
    pub fn as_str(self) -> &'static str {
        match self {
            TimesTrust::Preserved => "preserved",
            TimesTrust::Unknown => "unknown",
            TimesTrust::CopyTime => "copy time",
        }
    }
}

/// One match of a content rule inside a file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ContentMatch {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    pub offset: u64,
    pub length: u64,
    /// The matched bytes, escaped for display (never executed, never rendered as HTML).
    pub excerpt: String,
}

/// One piece of evidence: a log line, an event record, a file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub source: SourceKind,
    /// The file the evidence was read from, as found under the hunted root.
    pub file: String,
    /// 1-based line number for text logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Record number for EVTX and event exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The raw line or record, lossily decoded and capped at [`RAW_CAP`] bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_info: Option<FileInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<ContentMatch>,
    /// Named values the rule looked at (e.g. `AnchorMailbox`, `cmdlet`, `path`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Raw evidence is capped so a hostile multi-megabyte line cannot bloat a report.
pub const RAW_CAP: usize = 8192;

impl Evidence {
    pub fn new(source: SourceKind, file: impl Into<String>) -> Self {
        Evidence {
            source,
            file: file.into(),
            line: None,
            record: None,
            timestamp: None,
            client_ip: None,
            user_agent: None,
            request_id: None,
            raw: None,
            file_info: None,
            matches: Vec::new(),
            fields: BTreeMap::new(),
        }
    }

    /// Store the raw bytes of a line, lossily decoded, without the line terminator, capped.
    pub fn with_raw(mut self, raw: &[u8]) -> Self {
        self.raw = Some(cap_lossy(raw, RAW_CAP));
        self
    }

    pub fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields.insert(name.to_string(), value.into());
        self
    }
}

/// Decode bytes lossily, trim line terminators, and cap the result at `cap` bytes (on a char
/// boundary), marking the cut.
pub fn cap_lossy(raw: &[u8], cap: usize) -> String {
    let mut end = raw.len();
    while end > 0 && (raw[end - 1] == b'\n' || raw[end - 1] == b'\r') {
        end -= 1;
    }
    let cut = end > cap;
    let s = String::from_utf8_lossy(&raw[..end.min(cap)]);
    if cut {
        format!("{s}…[{} bytes cut]", end - cap)
    } else {
        s.into_owned()
    }
}

/// A detection: one rule, one group key (usually a client IP or a file), all its evidence.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable within a report: `rule_id` + group key, hashed.
    pub id: String,
    pub rule_id: String,
    pub title: String,
    pub description: String,
    pub family: Family,
    pub stage: Stage,
    pub cves: Vec<String>,
    pub attack: Vec<String>,
    pub severity: Severity,
    pub confidence: Confidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub client_ips: Vec<String>,
    #[serde(default)]
    pub user_agents: Vec<String>,
    #[serde(default)]
    pub request_ids: Vec<String>,
    /// Paths or names of artefacts (web shells, dumps) this finding involves; used to correlate
    /// a file on disk with the requests for it.
    #[serde(default)]
    pub artifacts: Vec<String>,
    /// How many matching records there were; `evidence` keeps the first [`EVIDENCE_CAP`].
    pub count: u64,
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// Evidence items kept per finding; `count` still counts them all.
pub const EVIDENCE_CAP: usize = 25;

/// A source of evidence and how much of time it covers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SourceCoverage {
    pub source: SourceKind,
    /// The folder (or file) the source was read from.
    pub location: String,
    pub files: u64,
    pub records: u64,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<DateTime<Utc>>,
    /// Records or files that could not be read.
    pub errors: u64,
    /// Periods longer than a day between `first` and `last` that no file of this source covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The location could not be read (a folder that could not be listed): what it holds is
    /// unknown, and the verdict cannot rest on it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
}

impl SourceCoverage {
    pub fn new(source: SourceKind, location: impl Into<String>) -> Self {
        SourceCoverage {
            source,
            location: location.into(),
            files: 0,
            records: 0,
            bytes: 0,
            first: None,
            last: None,
            errors: 0,
            gaps: Vec::new(),
            notes: Vec::new(),
            unreadable: false,
        }
    }

    /// Widen the covered period to include `t`.
    pub fn observe(&mut self, t: DateTime<Utc>) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    pub fn merge(&mut self, other: &SourceCoverage) {
        self.files += other.files;
        self.records += other.records;
        self.bytes += other.bytes;
        self.errors += other.errors;
        if let Some(f) = other.first {
            self.observe(f);
        }
        if let Some(l) = other.last {
            self.observe(l);
        }
        for n in &other.notes {
            if !self.notes.contains(n) {
                self.notes.push(n.clone());
            }
        }
        self.gaps.extend(other.gaps.iter().copied());
        self.unreadable |= other.unreadable;
    }

    /// The periods this source covers: `first..last` less its gaps.
    pub fn intervals(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return Vec::new();
        };
        let mut gaps = self.gaps.clone();
        gaps.sort();
        let mut out = Vec::new();
        let mut start = first;
        for (a, b) in gaps {
            if a > start {
                out.push((start, a));
            }
            start = start.max(b);
        }
        if last > start {
            out.push((start, last));
        }
        out
    }
}

/// Gaps longer than `min` between sorted, merged intervals.
pub fn gaps_between(
    mut iv: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    min: chrono::Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    iv.sort();
    let mut gaps = Vec::new();
    let mut end: Option<DateTime<Utc>> = None;
    for (a, b) in iv {
        if let Some(e) = end {
            if a - e > min {
                gaps.push((e, a));
            }
            end = Some(e.max(b));
        } else {
            end = Some(b);
        }
    }
    gaps
}

/// Input that could not be read or parsed. Never fatal; always reported.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    pub message: String,
}

/// A script page worth a look: requested by very few clients over the whole hunt (request-log
/// stacking), but not behaving like a tool's page. A lead, not a finding: it does not change
/// the verdict.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PageLead {
    /// The site's log folder (e.g. `W3SVC1`'s path).
    pub site: String,
    /// The percent-decoded, lower-cased URL path.
    pub page: String,
    pub requests: u64,
    pub posts: u64,
    /// Its clients (at most eight are kept).
    pub clients: Vec<String>,
    /// More clients than listed.
    #[serde(default)]
    pub more_clients: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// What made it stand out (rarity first, then any behaviour of a program).
    pub reasons: Vec<String>,
    /// The earliest request for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The three answers ED 21-02 asked for, per server.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    IndicatorsFound,
    NoIndicatorsFound,
    NotAssessed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::IndicatorsFound => "indicators of compromise found",
            Verdict::NoIndicatorsFound => "no indicators found",
            Verdict::NotAssessed => "not assessed",
        }
    }
}

/// One step of an incident's story.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoryStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    pub stage: Stage,
    pub finding: String,
    pub text: String,
}

/// Findings correlated by client IP, request id, artefact and time: one intrusion, told as a story.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The furthest stage the attacker reached.
    pub stage: Stage,
    pub families: Vec<Family>,
    pub cves: Vec<String>,
    pub client_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    pub findings: Vec<String>,
    pub story: Vec<StoryStep>,
    /// One line: "from 203.0.113.7 on 2021-03-03 04:12 UTC: SSRF → … → web shell requested".
    pub summary: String,
}

/// How precisely a build is known.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum BuildPrecision {
    /// All four parts, security update included.
    Full,
    /// major.minor.build only: the CU is known, the SU is not.
    CuOnly,
    /// Only the major version (e.g. from a header naming the product).
    ProductOnly,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ExposureStatus {
    Vulnerable,
    Patched,
    /// The CU is known and an SU exists for it: which SU is installed cannot be told.
    SuUnknown,
    /// The catalogue cannot decide (unknown build, sources disagree).
    Unknown,
    /// The product line was never affected.
    NotAffected,
}

/// An update that fixes something: what to install.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UpdateRef {
    pub name: String,
    pub build: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Exposure of one build to one CVE family.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    /// Family name (`proxylogon`, `proxyshell`, …) or a single CVE id.
    pub family: String,
    pub cves: Vec<String>,
    pub status: ExposureStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_by: Option<UpdateRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the catalogue says of a build: the answer to "which build, and what must I install?".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BuildAssessment {
    pub build: String,
    pub precision: BuildPrecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Human name of the release, e.g. "Exchange Server 2016 CU19 Mar21SU".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    pub exposures: Vec<Exposure>,
    /// The single update that fixes every known exposure of this build, if one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_update: Option<UpdateRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the build came from (e.g. `Bin\ExSetup.exe file version`, `X-OWA-Version header`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The CPE 2.3 name of the product and CU as NVD names Exchange
    /// (`cpe:2.3:a:microsoft:exchange_server:2019:cumulative_update_12:*:*:*:*:*:*`; security
    /// updates are not part of NVD's names). None where the name cannot be told: Exchange SE,
    /// a 15.2 build whose product is unknown, a version outside the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
}

/// The verdict of a passive fingerprint of one network target.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ScanVerdict {
    Vulnerable,
    Patched,
    SuUnknown,
    /// Exchange, but no build could be learned.
    ExchangeUnknownBuild,
    NotExchange,
    Unreachable,
    Error,
}

impl ScanVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanVerdict::Vulnerable => "vulnerable",
            ScanVerdict::Patched => "patched",
            ScanVerdict::SuUnknown => "su_unknown",
            ScanVerdict::ExchangeUnknownBuild => "exchange_unknown_build",
            ScanVerdict::NotExchange => "not_exchange",
            ScanVerdict::Unreachable => "unreachable",
            ScanVerdict::Error => "error",
        }
    }
}

/// What one request of a scan showed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ScanEvidence {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What was looked at: `header:X-OWA-Version`, `body:assemblyIdentity`, `favicon-md5`, …
    pub what: String,
    pub value: String,
}

/// One scanned target.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ScanResult {
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    pub verdict: ScanVerdict,
    pub confidence: Confidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<BuildAssessment>,
    #[serde(default)]
    pub evidence: Vec<ScanEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub scanned_at: DateTime<Utc>,
    /// Opt-in web-shell probes: path, status, body hash, and whether it differed from the control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webshell_probes: Vec<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Hunt,
    Scan,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// What the hunt learned of the host itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInfo {
    /// The host's name as the hunted system gives it: the registry's computer name, else the
    /// server name Exchange's HttpProxy logs give (`ServerHostName`). See `identity` for why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The host's fully qualified name (lower case): the registry's TCP/IP `Hostname` and
    /// `Domain` (or `NV Domain`, or an interface's domain), else a dotted server name from
    /// Exchange's logs. Absent when neither gives a name with a domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// The host's own addresses (canonical text form): its network interfaces in the registry
    /// first, then the server addresses its IIS logs were written with (`s-ip`), most files
    /// first. Loopback, unspecified and link-local addresses are left out; an `s-ip` may be an
    /// address a load balancer or NAT puts in front of other servers too (see `identity`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// Why exray believes each name and address: where it was read (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<IdentityEvidence>,
    /// Exchange install roots found under the hunted path.
    #[serde(default)]
    pub exchange_roots: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildAssessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Microsoft's published mitigations found (or not) in the IIS configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<Mitigation>,
}

/// Whether `s` is a DNS host name (one label or several): labels of ASCII letters, digits, `-`
/// and `_`, 1–63 bytes each, not starting or ending with `-`, 253 bytes at most, and not an
/// address (the last label is not all digits). A trailing dot is not accepted.
pub fn is_dns_name(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    s.split('.').all(label_ok)
        && !s
            .rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

/// Which identity of the host a piece of evidence gives.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    /// A host name without its domain (`EX01`).
    Hostname,
    /// The DNS domain of the host (`contoso.local`).
    Domain,
    /// A fully qualified name (`ex01.contoso.local`).
    Fqdn,
    /// An address of the host.
    Ip,
}

/// Where a name or address of the host was read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// A registry hive or `.reg` export (`SYSTEM`: computer name, TCP/IP parameters, interfaces).
    Registry,
    /// IIS logs (`s-ip`, `s-computername`): what the web server wrote of itself.
    Iis,
    /// Exchange's HttpProxy logs (`ServerHostName`).
    HttpProxy,
    /// Windows event logs: the `Computer` of the first records of each EVTX file.
    Evtx,
}

/// One name or address of the host and where it was read.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IdentityEvidence {
    pub field: IdentityField,
    /// As read (an address in canonical form).
    pub value: String,
    pub source: IdentitySource,
    /// The file it was read from: the hive or export, or the first log file it was seen in.
    pub file: String,
    /// Where in that file: the registry key and value name, or the log column.
    pub location: String,
    /// Log files it was seen in (logs only: a value in a few files of many is weaker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MitigationStatus {
    /// In force.
    Present,
    /// Present in the configuration but in a form known to be bypassable.
    Bypassable,
    /// Present at the root but removed by a child configuration.
    Disabled,
    /// Not found in the configuration files read.
    Absent,
}

/// The state of one published mitigation (URL Rewrite rule, disabled service).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Mitigation {
    pub name: String,
    pub cves: Vec<String>,
    pub status: MitigationStatus,
    /// Configuration files that say so.
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Counts for a one-line summary.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub findings: u64,
    pub incidents: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub files_read: u64,
    pub records_read: u64,
    pub bytes_read: u64,
    pub input_errors: u64,
}

/// One exray report: the output of `exray hunt` or `exray scan`, the input of `exray serve`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub schema: String,
    /// Unique per run (UUID v4); the service ingests idempotently by it.
    pub report_id: String,
    pub kind: ReportKind,
    pub tool: ToolInfo,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// What was examined: the hunted path or the scan's target description.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub host: HostInfo,
    pub verdict: Verdict,
    pub verdict_reason: String,
    pub summary: Summary,
    #[serde(default)]
    pub incidents: Vec<Incident>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub coverage: Vec<SourceCoverage>,
    /// The first input errors (see `summary.input_errors` for the total).
    #[serde(default)]
    pub errors: Vec<InputError>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scan_results: Vec<ScanResult>,
    /// Script pages worth a look (hunt reports; see [`PageLead`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<PageLead>,
    /// What to do next, in order (hunt reports; see [`PlanStep`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlanStep>,
}

/// The phases of a response, in the order they are done: preserve and isolate, remove what the
/// attacker left, reset what they could have taken, check the mail they could have read, close
/// the door, then look again.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PlanPhase {
    Contain,
    Evict,
    Credentials,
    Mailboxes,
    Patch,
    Mitigations,
    Verify,
}

impl PlanPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanPhase::Contain => "contain",
            PlanPhase::Evict => "evict",
            PlanPhase::Credentials => "credentials",
            PlanPhase::Mailboxes => "mailboxes",
            PlanPhase::Patch => "patch",
            PlanPhase::Mitigations => "mitigations",
            PlanPhase::Verify => "verify",
        }
    }
}

/// What a plan item names.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PlanItemKind {
    /// A file on the server (a web shell, a dump, an archive, a PST): path and SHA-256.
    File,
    /// A log file or log folder to preserve.
    Log,
    /// A virtual directory setting to reset.
    Setting,
    /// An account or group of accounts to reset.
    Account,
    /// A mailbox that was exported.
    Mailbox,
    /// Where an export was written.
    ExportTarget,
    /// The update to install.
    Update,
    /// A mitigation to put in place or repair.
    Mitigation,
    /// A command to run.
    Command,
    /// Something the evidence could not tell.
    Limit,
}

impl PlanItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanItemKind::File => "file",
            PlanItemKind::Log => "log",
            PlanItemKind::Setting => "setting",
            PlanItemKind::Account => "account",
            PlanItemKind::Mailbox => "mailbox",
            PlanItemKind::ExportTarget => "export_target",
            PlanItemKind::Update => "update",
            PlanItemKind::Mitigation => "mitigation",
            PlanItemKind::Command => "command",
            PlanItemKind::Limit => "limit",
        }
    }
}

/// One thing a plan step names: a file with its hash, a mailbox, an account, an update.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    pub kind: PlanItemKind,
    /// The path, mailbox, account, update or command (attacker-influenced where it came from
    /// evidence: render it escaped).
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What the evidence says of it (e.g. "named in the OAB generator log; not found on disk").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The findings that name it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

/// One step of the response plan: what to do, why, and the evidence that calls for it. A step
/// never claims more than its evidence: what could not be assessed is listed in `limits`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PlanStep {
    /// 1-based position in the plan.
    pub order: u32,
    pub phase: PlanPhase,
    /// The plan rule that produced the step (`crates/hunt/rules/plan.toml`).
    pub rule: String,
    pub title: String,
    /// What to do.
    pub action: String,
    /// Why: what the evidence shows.
    pub reason: String,
    /// Ids of the findings that triggered the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<PlanItem>,
    /// What this step cannot rest on: coverage gaps, sources not read, unknown builds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
}

/// A time forced into years 0001–9999 (RFC 3339 cannot write others: a forged year 10000 or
/// -0001 would print as `+10000-…`); `None` when it was already inside.
pub fn clamp_time(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, TimeZone};
    if t.year() < 1 {
        Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single()
    } else if t.year() > 9999 {
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single()
    } else {
        None
    }
}

/// Input errors kept in a report; the summary counts them all.
pub const ERROR_CAP: usize = 1000;

impl Report {
    pub fn new(kind: ReportKind, scope: impl Into<String>) -> Self {
        let now = Utc::now();
        Report {
            schema: SCHEMA.to_string(),
            report_id: uuid::Uuid::new_v4().to_string(),
            kind,
            tool: ToolInfo {
                name: "exray".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            started_at: now,
            finished_at: now,
            scope: scope.into(),
            since: None,
            until: None,
            host: HostInfo::default(),
            verdict: Verdict::NotAssessed,
            verdict_reason: String::new(),
            summary: Summary::default(),
            incidents: Vec::new(),
            findings: Vec::new(),
            coverage: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            scan_results: Vec::new(),
            leads: Vec::new(),
            plan: Vec::new(),
        }
    }
}

#[cfg(test)]
mod identity_tests {
    use super::is_dns_name;

    #[test]
    fn dns_names() {
        for ok in [
            "ex01",
            "EX01.contoso.local",
            "mail-1.example.org",
            "_x.example",
        ] {
            assert!(is_dns_name(ok), "{ok}");
        }
        for bad in [
            "",
            "10.0.0.5",
            "ex01.",
            ".ex01",
            "a..b",
            "-a.example",
            "a b",
            "C:\\triage\\ex01",
            "./kape-output",
            "ex01.contoso.local:443",
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
        assert!(!is_dns_name(&"a".repeat(64)));
    }
}
