//! What an export says, taken from a report once for all four formats: the groups of a hunt
//! (incidents, then the findings outside any), and in each group the attacker IPs, files, request
//! paths and CVEs; the vulnerable hosts and possible web shells of a scan.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use exray_core::{
    ExposureStatus, Family, Finding, Incident, Report, ScanResult, ScanVerdict, Severity,
    SourceKind, Stage,
};

/// Findings exported together: one incident, or the findings outside every incident.
pub(crate) struct Group<'a> {
    /// The incident id, or `unattached`.
    pub key: String,
    pub incident: Option<&'a Incident>,
    pub findings: Vec<&'a Finding>,
}

impl Group<'_> {
    pub(crate) fn title(&self) -> String {
        match self.incident {
            Some(i) => i.title.clone(),
            None => "findings outside any incident".to_string(),
        }
    }
    pub(crate) fn severity(&self) -> Severity {
        self.incident.map(|i| i.severity).unwrap_or_else(|| {
            self.findings
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Info)
        })
    }
    pub(crate) fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.findings.iter().filter_map(|f| f.first_seen).min()
    }
    pub(crate) fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.findings.iter().filter_map(|f| f.last_seen).max()
    }
    pub(crate) fn cves(&self) -> BTreeSet<String> {
        self.findings
            .iter()
            .flat_map(|f| f.cves.iter())
            .filter(|c| is_cve(c))
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }
}

/// The groups of a hunt report: its incidents in order, then one group of the findings no
/// incident holds (if any). Empty groups are dropped.
pub(crate) fn groups(r: &Report) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = r
        .incidents
        .iter()
        .map(|i| Group {
            key: i.id.clone(),
            incident: Some(i),
            findings: r
                .findings
                .iter()
                .filter(|f| {
                    f.incident.as_deref() == Some(i.id.as_str()) || i.findings.contains(&f.id)
                })
                .collect(),
        })
        .collect();
    let attached: BTreeSet<&str> = out
        .iter()
        .flat_map(|g| g.findings.iter().map(|f| f.id.as_str()))
        .collect();
    let rest: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| !attached.contains(f.id.as_str()))
        .collect();
    out.push(Group {
        key: "unattached".to_string(),
        incident: None,
        findings: rest,
    });
    out.retain(|g| !g.findings.is_empty());
    out
}

/// A CVE id as `CVE-YYYY-NNNN…`.
pub(crate) fn is_cve(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(cve), Some(year), Some(num), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    cve.eq_ignore_ascii_case("cve")
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.len() <= 10
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// An address a finding names as its client: a request's source.
pub(crate) struct AttackerIp<'a> {
    pub ip: IpAddr,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// The furthest stage of the findings that name it.
    pub stage: Stage,
    pub severity: Severity,
    pub cves: BTreeSet<String>,
    pub families: BTreeSet<Family>,
    pub user_agents: BTreeSet<String>,
    /// Matching records, over all its findings.
    pub count: u64,
    pub findings: Vec<&'a Finding>,
    /// The first raw line of evidence from it.
    pub raw: Option<&'a str>,
}

impl AttackerIp<'_> {
    pub(crate) fn rules(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.findings.iter().map(|f| f.rule_id.as_str()).collect();
        set.into_iter().collect()
    }
}

/// Every client IP of the findings (strings that are no IP address are left out), by address.
pub(crate) fn attacker_ips<'a>(findings: &[&'a Finding]) -> Vec<AttackerIp<'a>> {
    let mut by_ip: BTreeMap<IpAddr, AttackerIp<'a>> = BTreeMap::new();
    for f in findings {
        for s in &f.client_ips {
            let Ok(ip) = s.trim().parse::<IpAddr>() else {
                continue;
            };
            let e = by_ip.entry(ip).or_insert_with(|| AttackerIp {
                ip,
                first_seen: None,
                last_seen: None,
                stage: f.stage,
                severity: f.severity,
                cves: BTreeSet::new(),
                families: BTreeSet::new(),
                user_agents: BTreeSet::new(),
                count: 0,
                findings: Vec::new(),
                raw: None,
            });
            e.first_seen = min_opt(e.first_seen, f.first_seen);
            e.last_seen = max_opt(e.last_seen, f.last_seen);
            e.stage = e.stage.max(f.stage);
            e.severity = e.severity.max(f.severity);
            e.cves.extend(
                f.cves
                    .iter()
                    .filter(|c| is_cve(c))
                    .map(|c| c.to_ascii_uppercase()),
            );
            e.families.insert(f.family);
            e.count += f.count;
            e.findings.push(f);
            for ev in &f.evidence {
                if ev.client_ip.as_deref().map(str::trim) != Some(s.trim()) {
                    continue;
                }
                if let Some(ua) = &ev.user_agent {
                    if !ua.is_empty() && e.user_agents.len() < 16 {
                        e.user_agents.insert(ua.clone());
                    }
                }
                if e.raw.is_none() {
                    e.raw = ev.raw.as_deref();
                }
            }
        }
    }
    by_ip.into_values().collect()
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A file the findings name: found on disk (with hashes), or only named by a log.
pub(crate) struct FileArtefact<'a> {
    /// The path as found on the server (Windows form where the evidence gave it).
    pub path: String,
    pub sha256: Option<String>,
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub size: Option<u64>,
    /// A web shell: a file of a finding at the foothold stage. (Dumps, archives and PSTs are
    /// the attacker's artefacts, not indicators another server could match.)
    pub web_shell: bool,
    pub findings: Vec<&'a Finding>,
}

impl FileArtefact<'_> {
    /// The last component of the path.
    pub(crate) fn name(&self) -> &str {
        self.path.rsplit(['\\', '/']).next().unwrap_or(&self.path)
    }
    /// The folder part, if the path has one.
    pub(crate) fn folder(&self) -> Option<&str> {
        let cut = self.path.rfind(['\\', '/'])?;
        Some(&self.path[..cut]).filter(|f| !f.is_empty())
    }
    pub(crate) fn rules(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.findings.iter().map(|f| f.rule_id.as_str()).collect();
        set.into_iter().collect()
    }
}

fn hex_of_len(s: &str, n: usize) -> Option<String> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// Files on disk (file-system evidence with a SHA-256), by path and hash, then paths in the
/// findings' artefacts (a Windows path, e.g. where the OAB generator wrote) no file on disk
/// accounts for.
pub(crate) fn files<'a>(findings: &[&'a Finding]) -> Vec<FileArtefact<'a>> {
    let mut hashed: BTreeMap<(String, String), FileArtefact<'a>> = BTreeMap::new();
    for f in findings {
        for ev in &f.evidence {
            if ev.source != SourceKind::FileSystem {
                continue;
            }
            let Some(info) = &ev.file_info else { continue };
            let Some(sha256) = info.sha256.as_deref().and_then(|h| hex_of_len(h, 64)) else {
                continue;
            };
            let key = (ev.file.to_lowercase(), sha256.clone());
            let e = hashed.entry(key).or_insert_with(|| FileArtefact {
                path: ev.file.clone(),
                sha256: Some(sha256),
                sha1: info.sha1.as_deref().and_then(|h| hex_of_len(h, 40)),
                md5: info.md5.as_deref().and_then(|h| hex_of_len(h, 32)),
                size: Some(info.size),
                web_shell: false,
                findings: Vec::new(),
            });
            e.web_shell |= f.stage == Stage::Foothold;
            if !e.findings.iter().any(|g| g.id == f.id) {
                e.findings.push(f);
            }
        }
    }
    let on_disk: BTreeSet<String> = hashed.keys().map(|(p, _)| p.clone()).collect();
    let mut named: BTreeMap<String, FileArtefact<'a>> = BTreeMap::new();
    for f in findings {
        for a in &f.artifacts {
            if !is_windows_path(a) || on_disk.contains(&a.to_lowercase()) {
                continue;
            }
            let e = named
                .entry(a.to_lowercase())
                .or_insert_with(|| FileArtefact {
                    path: a.clone(),
                    sha256: None,
                    sha1: None,
                    md5: None,
                    size: None,
                    web_shell: false,
                    findings: Vec::new(),
                });
            e.web_shell |= f.stage == Stage::Foothold;
            if !e.findings.iter().any(|g| g.id == f.id) {
                e.findings.push(f);
            }
        }
    }
    hashed.into_values().chain(named.into_values()).collect()
}

/// `C:\…` or `\\server\…`: a path on the server.
fn is_windows_path(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || s.starts_with("\\\\")
}

/// Request paths (`/aspnet_client/x.aspx`) of findings at the foothold stage or later: the
/// pages a web shell answered on.
pub(crate) fn request_paths<'a>(findings: &[&'a Finding]) -> Vec<(String, Vec<&'a Finding>)> {
    let mut out: BTreeMap<String, Vec<&'a Finding>> = BTreeMap::new();
    for f in findings {
        if f.stage < Stage::Foothold {
            continue;
        }
        for a in &f.artifacts {
            if a.starts_with('/') && !a.starts_with("//") && !a.chars().any(char::is_control) {
                out.entry(a.clone()).or_default().push(f);
            }
        }
    }
    out.into_iter().collect()
}

/// A scanned host the catalogue judged vulnerable.
pub(crate) struct VulnerableHost<'a> {
    pub result: &'a ScanResult,
    pub ip: Option<IpAddr>,
    /// CVEs of the exposures whose status is `vulnerable`.
    pub cves: BTreeSet<String>,
    /// Families of those exposures (`proxylogon`, …).
    pub families: Vec<String>,
    /// The autonomous system a feed gave (`feed:asn` evidence of `exray import`).
    pub asn: Option<u32>,
}

impl VulnerableHost<'_> {
    pub(crate) fn build(&self) -> Option<&str> {
        self.result.assessment.as_ref().map(|a| a.build.as_str())
    }
    pub(crate) fn release(&self) -> Option<&str> {
        self.result
            .assessment
            .as_ref()
            .and_then(|a| a.release.as_deref())
    }
    pub(crate) fn update(&self) -> Option<String> {
        let u = self
            .result
            .assessment
            .as_ref()?
            .recommended_update
            .as_ref()?;
        Some(match &u.kb {
            Some(kb) => format!("{} ({}, {kb})", u.name, u.build),
            None => format!("{} ({})", u.name, u.build),
        })
    }
}

pub(crate) fn vulnerable_hosts(r: &Report) -> Vec<VulnerableHost<'_>> {
    r.scan_results
        .iter()
        .filter(|s| s.verdict == ScanVerdict::Vulnerable)
        .map(|s| {
            let exposures = s
                .assessment
                .iter()
                .flat_map(|a| a.exposures.iter())
                .filter(|e| e.status == ExposureStatus::Vulnerable);
            let mut cves = BTreeSet::new();
            let mut families = Vec::new();
            for e in exposures {
                cves.extend(
                    e.cves
                        .iter()
                        .filter(|c| is_cve(c))
                        .map(|c| c.to_ascii_uppercase()),
                );
                if !families.contains(&e.family) {
                    families.push(e.family.clone());
                }
            }
            VulnerableHost {
                result: s,
                ip: s.ip.as_deref().and_then(|i| i.trim().parse().ok()),
                cves,
                families,
                asn: feed_asn(s),
            }
        })
        .collect()
}

fn feed_asn(s: &ScanResult) -> Option<u32> {
    let v = s.evidence.iter().find(|e| e.what == "feed:asn")?;
    let digits = v
        .value
        .trim()
        .trim_start_matches("AS")
        .trim_start_matches("as");
    digits.parse::<u32>().ok().filter(|&n| n > 0)
}

/// A web-shell probe of `exray scan --webshell-probes` that answered unlike its control: a
/// possible web shell (low confidence: investigate the server).
pub(crate) struct PossibleShell<'a> {
    pub result: &'a ScanResult,
    pub ip: Option<IpAddr>,
    /// The probed URL.
    pub url: String,
    /// What the scanner said of it.
    pub note: String,
}

pub(crate) fn possible_shells(r: &Report) -> Vec<PossibleShell<'_>> {
    let mut out = Vec::new();
    for s in &r.scan_results {
        for e in s.evidence.iter().filter(|e| e.what == "webshell-probe") {
            if !(e.url.starts_with("http://") || e.url.starts_with("https://"))
                || e.url.chars().any(|c| c.is_control() || c == ' ')
            {
                continue;
            }
            out.push(PossibleShell {
                result: s,
                ip: s.ip.as_deref().and_then(|i| i.trim().parse().ok()),
                url: e.url.clone(),
                note: e.value.clone(),
            });
        }
    }
    out
}

/// The name a hunt's host goes by: its FQDN, else its host name, else the hunted scope.
pub(crate) fn host_name(r: &Report) -> &str {
    r.host
        .fqdn
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .or(r.host.hostname.as_deref().filter(|h| !h.trim().is_empty()))
        .unwrap_or(&r.scope)
}

/// A host name as an FQDN field may hold it (lower case, no final dot, only DNS characters).
pub(crate) fn fqdn(s: &str) -> Option<String> {
    let h = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.parse::<IpAddr>().is_err()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        && h.split('.')
            .all(|label| !label.is_empty() && label.len() <= 63);
    ok.then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_takes_only_what_dns_and_intelmq_take() {
        assert_eq!(
            fqdn("EX01.Contoso.local.").as_deref(),
            Some("ex01.contoso.local")
        );
        assert_eq!(fqdn("ex01").as_deref(), Some("ex01"));
        for bad in [
            "",
            "a..b",
            "192.0.2.1",
            "::1",
            "x<script>",
            "a b",
            &"a".repeat(64),
        ] {
            assert_eq!(fqdn(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cve_ids() {
        assert!(is_cve("CVE-2021-26855") && is_cve("cve-2024-1234567"));
        for bad in [
            "CVE-21-26855",
            "CVE-2021-12",
            "CVE-2021-26855x",
            "CVE-2021-26855-1",
            "<b>",
        ] {
            assert!(!is_cve(bad), "{bad}");
        }
    }
}
