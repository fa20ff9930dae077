//! Exports of what the store holds, in the formats CERTs feed their tools with (MISP, STIX 2.1,
//! IntelMQ, CSV), through the same library as `exray export` (`exray-export`).
//!
//! An export covers one organisation (`GET /api/v1/orgs/{id}/export`) or one host
//! (`GET /api/v1/hosts/{id}/export`), and is read only through the store's scoped reads
//! (`get_org`, `get_host`, `list_hosts`, `list_findings`, `latest_scans`: each takes the
//! principal and confines a member to its organisation). From it we build the reports the
//! library takes:
//! - one scan report of the latest scan result of every host that has something to export
//!   (verdict `vulnerable`, or a web-shell probe that answered unlike its control);
//! - one hunt report per host with findings: its stored findings (the newest copy of each
//!   finding id), with the incidents re-derived by `exray_core::correlate::correlate`, the same
//!   correlation `exray hunt` ran (the store keeps each incident's summary, not the incident).
//!
//! Memory is bounded: hosts and findings are read in pages of 500, only what will be exported
//! is kept, and an export over `max_export_hosts` hosts or `max_export_findings` findings is
//! refused (413) before it is rendered; at most [`CONCURRENT_EXPORTS`] are built at once.

use std::collections::{BTreeMap, HashSet};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use exray_core::{Finding, Report, ReportKind, ScanResult, ScanVerdict};
use exray_export::{Options, Tlp};
use exray_store::query::{FindingFilter, HostFilter};
use exray_store::{Page, Principal};
use serde::Deserialize;
use serde_json::json;

use crate::app::{ApiError, ApiResult, AppState};

/// Exports built at once; the others wait up to `ingest_queue_wait`, then get 503.
pub const CONCURRENT_EXPORTS: usize = 2;

/// Rows per page read from the store.
const PAGE: i64 = 500;

/// One of the four formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Misp,
    Stix,
    Intelmq,
    Csv,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Misp, Format::Stix, Format::Intelmq, Format::Csv];

    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "misp" => Format::Misp,
            "stix" => Format::Stix,
            "intelmq" => Format::Intelmq,
            "csv" => Format::Csv,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Misp => "misp",
            Format::Stix => "stix",
            Format::Intelmq => "intelmq",
            Format::Csv => "csv",
        }
    }

    /// Media type and file extension of the download.
    fn media(self) -> (&'static str, &'static str) {
        match self {
            Format::Misp => ("application/json", "misp.json"),
            Format::Stix => ("application/stix+json;version=2.1", "stix.json"),
            Format::Intelmq => ("application/x-ndjson", "intelmq.jsonl"),
            Format::Csv => ("text/csv; charset=utf-8", "csv"),
        }
    }
}

/// `?format=misp|stix|intelmq|csv[&tlp=LEVEL]`.
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    pub format: Option<String>,
    pub tlp: Option<String>,
}

/// What is exported.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Org(i64),
    Host(i64),
}

impl Target {
    fn object(self) -> String {
        match self {
            Target::Org(id) => format!("org:{id}"),
            Target::Host(id) => format!("host:{id}"),
        }
    }
}

fn bad(m: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, m)
}

/// How strict a level is: CLEAR 0 … RED 4.
fn rank(t: Tlp) -> u8 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::AmberStrict => 3,
        Tlp::Red => 4,
    }
}

/// An organisation's TLP setting as given (`amber`, `TLP:AMBER+STRICT`, `white`…), in the
/// form the store keeps (`exray_store::export::TLP_LEVELS`).
pub fn parse_setting(s: &str) -> ApiResult<&'static str> {
    s.parse::<Tlp>().map(Tlp::as_str).map_err(bad)
}

/// The level the export is marked with: the organisation's setting, or a stricter one the
/// request names; a laxer one is refused (sharing wider than the organisation agreed to is a
/// decision for its setting, made by an admin, not for one download).
fn effective_tlp(setting: &str, requested: Option<&str>) -> ApiResult<Tlp> {
    let setting: Tlp = setting.parse().unwrap_or(Tlp::Amber);
    let Some(req) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(setting);
    };
    let req: Tlp = req.parse().map_err(bad)?;
    if rank(req) < rank(setting) {
        return Err(bad(format!(
            "tlp {}: laxer than the organisation's setting ({}); an export may be marked stricter, never laxer",
            req.as_str(),
            setting.as_str()
        )));
    }
    Ok(req)
}

/// A finished export: the bytes and what they hold.
pub struct Export {
    pub format: Format,
    pub filename: String,
    pub body: Vec<u8>,
    pub tlp: Tlp,
    pub hosts: usize,
    pub findings: usize,
}

impl IntoResponse for Export {
    fn into_response(self) -> Response {
        let (media, _) = self.format.media();
        let disposition = format!("attachment; filename=\"{}\"", self.filename);
        let mut res = (StatusCode::OK, self.body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        res
    }
}

/// The reports of one export, gathered page by page under the caps.
struct Gathered {
    scans: Vec<ScanResult>,
    /// Per host id, its findings.
    hunts: BTreeMap<i64, HostFindings>,
    findings: usize,
}

/// One hunted host's findings.
struct HostFindings {
    /// Its name, else its address.
    name: String,
    findings: Vec<Finding>,
    /// When the newest of them was received.
    received: Option<DateTime<Utc>>,
}

/// Build the export of `target` for `p`, record it in the audit log, and return it.
pub async fn build(
    st: &AppState,
    p: &Principal,
    target: Target,
    q: &ExportQuery,
) -> ApiResult<Export> {
    let format = q.format.as_deref().and_then(Format::parse).ok_or_else(|| {
        bad(format!(
            "format {:?}: expected misp, stix, intelmq or csv",
            q.format.as_deref().unwrap_or("")
        ))
    })?;
    // Whom it is about, through the scoped reads (404 for what `p` may not see).
    let (org, label) = match target {
        Target::Org(id) => {
            let org = st.store.get_org(p, id).await?;
            let label = org.name.clone();
            (Some(org), label)
        }
        Target::Host(id) => {
            let h = st.store.get_host(p, id).await?;
            let org = match h.org_id {
                Some(o) => Some(st.store.get_org(p, o).await?),
                None => None,
            };
            let label = h.hostname.or(h.ip).unwrap_or_else(|| format!("host {id}"));
            (org, label)
        }
    };
    let setting = org
        .as_ref()
        .map_or(exray_store::export::DEFAULT_TLP, |o| o.tlp.as_str());
    let tlp = effective_tlp(setting, q.tlp.as_deref())?;

    let _turn = tokio::time::timeout(st.cfg.ingest_queue_wait, st.exports.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy with other exports, retry later".into(),
            )
        })?;

    let g = gather(st, p, target).await?;
    let opts = Options {
        tlp,
        producer: st.cfg.sender_name.clone(),
        organisation: org.as_ref().map(|o| o.name.clone()),
        timestamp: None,
    };
    let mut reports = Vec::new();
    let hosts = g.scans.len();
    if !g.scans.is_empty() {
        reports.push(exray_export::scan_report_from_results(g.scans, &label));
    }
    for (host_id, h) in g.hunts {
        reports.push(hunt_report(host_id, h.name, h.findings, h.received));
    }
    let hunted = reports
        .iter()
        .filter(|r| r.kind == ReportKind::Hunt)
        .count();
    let format_name = format.as_str();
    let body = tokio::task::spawn_blocking(move || render(format, &reports, &opts))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let (_, ext) = format.media();
    // The level is in the name too: CSV has no column for it.
    let level = tlp.as_str().replace('+', "-");
    let filename = match target {
        Target::Org(id) => format!("exray-org-{id}-tlp-{level}.{ext}"),
        Target::Host(id) => format!("exray-host-{id}-tlp-{level}.{ext}"),
    };
    st.store
        .record_export(
            p,
            &target.object(),
            &json!({
                "format": format_name,
                "tlp": tlp.as_str(),
                "scanned_hosts": hosts,
                "hunted_hosts": hunted,
                "findings": g.findings,
                "bytes": body.len(),
            }),
        )
        .await?;
    Ok(Export {
        format,
        filename,
        body,
        tlp,
        hosts: hosts + hunted,
        findings: g.findings,
    })
}

fn too_large(what: &str, cap: usize) -> ApiError {
    ApiError(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the export would hold more than {cap} {what} (the cap of one export); export its hosts one by one"),
    )
}

/// Page through the hosts and findings of `target` that `p` may see, keeping only what will
/// be exported, within the caps.
async fn gather(st: &AppState, p: &Principal, target: Target) -> ApiResult<Gathered> {
    let max_hosts = st.cfg.max_export_hosts;
    let max_findings = st.cfg.max_export_findings;
    let mut g = Gathered {
        scans: Vec::new(),
        hunts: BTreeMap::new(),
        findings: 0,
    };
    // Scan results: the latest of each host, kept if the library exports it.
    let exportable = |s: &ScanResult| {
        s.verdict == ScanVerdict::Vulnerable
            || s.evidence.iter().any(|e| e.what == "webshell-probe")
    };
    match target {
        Target::Host(id) => {
            for (_, s) in st.store.latest_scans(p, &[id]).await? {
                if exportable(&s) {
                    g.scans.push(s);
                }
            }
        }
        Target::Org(org) => {
            let filter = HostFilter {
                org_id: Some(org),
                ..Default::default()
            };
            let mut offset = 0;
            loop {
                let page = st
                    .store
                    .list_hosts(p, &filter, Page::new(Some(PAGE), Some(offset)))
                    .await?;
                let ids: Vec<i64> = page.iter().map(|h| h.id).collect();
                for (_, s) in st.store.latest_scans(p, &ids).await? {
                    if exportable(&s) {
                        if g.scans.len() >= max_hosts {
                            return Err(too_large("hosts", max_hosts));
                        }
                        g.scans.push(s);
                    }
                }
                if (page.len() as i64) < PAGE {
                    break;
                }
                offset += PAGE;
            }
        }
    }
    // Findings, newest first: the newest copy of each finding id per host.
    let filter = match target {
        Target::Org(org) => FindingFilter {
            org_id: Some(org),
            ..Default::default()
        },
        Target::Host(id) => FindingFilter {
            host_id: Some(id),
            ..Default::default()
        },
    };
    let mut seen: HashSet<(i64, String)> = HashSet::new();
    let mut offset = 0;
    loop {
        let page = st
            .store
            .list_findings(p, &filter, Page::new(Some(PAGE), Some(offset)))
            .await?;
        for row in &page {
            let Ok(f) = serde_json::from_value::<Finding>(row.finding.clone()) else {
                tracing::warn!(finding = row.id, "stored finding unreadable");
                continue;
            };
            if !seen.insert((row.host_id, f.id.clone())) {
                continue;
            }
            if g.findings >= max_findings {
                return Err(too_large("findings", max_findings));
            }
            g.findings += 1;
            let received = DateTime::parse_from_rfc3339(&row.received_at)
                .ok()
                .map(|d| d.with_timezone(&Utc));
            let entry = g.hunts.entry(row.host_id).or_insert_with(|| HostFindings {
                name: row.host.clone(),
                findings: Vec::new(),
                received: None,
            });
            entry.findings.push(f);
            entry.received = entry.received.max(received);
        }
        if (page.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    Ok(g)
}

/// One host's stored findings as a hunt report: incidents re-derived by the hunt's own
/// correlation, an id and times derived from the findings (the same findings give the same
/// export).
fn hunt_report(
    host_id: i64,
    name: String,
    mut findings: Vec<Finding>,
    received: Option<DateTime<Utc>>,
) -> Report {
    use sha2::Digest;
    findings.sort_by(|a, b| a.id.cmp(&b.id));
    for f in &mut findings {
        f.incident = None;
    }
    let incidents = exray_core::correlate::correlate(&mut findings);
    let mut h = sha2::Sha256::new();
    h.update(format!("exray-serve host {host_id}\n"));
    for f in &findings {
        h.update(&f.id);
        h.update(b"\n");
    }
    let digest = hex::encode(h.finalize());
    let mut r = Report::new(ReportKind::Hunt, name);
    r.report_id = format!("serve-host-{host_id}-{}", &digest[..32]);
    let first = findings.iter().filter_map(|f| f.first_seen).min();
    let last = findings
        .iter()
        .filter_map(|f| f.last_seen)
        .max()
        .max(received);
    if let Some(t) = last {
        r.finished_at = t;
        r.started_at = first.unwrap_or(t).min(t);
    }
    r.findings = findings;
    r.incidents = incidents;
    r
}

/// The export bytes of `reports` in `format` (as `exray export` writes them).
fn render(format: Format, reports: &[Report], opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        Format::Misp => {
            let events: Vec<serde_json::Value> = reports
                .iter()
                .flat_map(|r| exray_export::misp(r, opts))
                .collect();
            let _ = serde_json::to_writer_pretty(&mut out, &events);
            out.push(b'\n');
        }
        Format::Stix => {
            let _ = serde_json::to_writer_pretty(&mut out, &exray_export::stix_many(reports, opts));
            out.push(b'\n');
        }
        Format::Intelmq => {
            for r in reports {
                let _ = exray_export::intelmq(r, opts, &mut out);
            }
        }
        Format::Csv => {
            out.extend_from_slice(exray_export::CSV_HEADER.as_bytes());
            out.push(b'\n');
            for r in reports {
                let mut buf = Vec::new();
                let _ = exray_export::csv(r, opts, &mut buf);
                // Each report's own header line is dropped: the header once.
                let cut = buf
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(buf.len(), |i| i + 1);
                out.extend_from_slice(&buf[cut..]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_may_be_stricter_never_laxer() {
        assert_eq!(effective_tlp("amber", None).unwrap(), Tlp::Amber);
        assert_eq!(effective_tlp("amber", Some("red")).unwrap(), Tlp::Red);
        assert_eq!(
            effective_tlp("green", Some("TLP:AMBER+STRICT")).unwrap(),
            Tlp::AmberStrict
        );
        assert_eq!(effective_tlp("clear", Some("white")).unwrap(), Tlp::Clear);
        assert_eq!(effective_tlp("amber", Some("green")).unwrap_err().0, 400);
        assert_eq!(effective_tlp("red", Some("amber")).unwrap_err().0, 400);
        assert_eq!(effective_tlp("amber", Some("purple")).unwrap_err().0, 400);
    }
}
