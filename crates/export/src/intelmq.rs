//! IntelMQ events: one JSON object per line, keys and values as IntelMQ's harmonization
//! (`intelmq/etc/harmonization.conf`) defines them, classification types from its taxonomy
//! (the RSIT mapping of IntelMQ's taxonomy expert), so a CERT can feed them to IntelMQ's JSON
//! parser bot. Where Shadowserver's Exchange reports (which IntelMQ already parses) classify the
//! same thing, the same identifiers are used: `vulnerable-exchange-server`,
//! `exchange-server-webshell`.
//!
//! | what | `classification.taxonomy` / `type` | `classification.identifier` | `source` | `destination` |
//! |---|---|---|---|---|
//! | attacker IP, attempts only | `intrusion-attempts` / `exploit` | family (`proxylogon`, …) or `exchange-server-attack` | the attacker | the hunted host |
//! | attacker IP that got further | `intrusions` / `system-compromise` | as above (`exchange-server-webshell` for web-shell use) | the attacker | the hunted host |
//! | web shell on the hunted host | `intrusions` / `system-compromise` | `exchange-server-webshell` | the hunted host (`source.fqdn` when its name is known) | |
//! | vulnerable scanned host | `vulnerable` / `vulnerable-system` | `vulnerable-exchange-server` | the host | |
//! | web-shell probe that answered unlike its control | `intrusions` / `system-compromise` | `exchange-server-webshell` (`extra.confidence`: `low`) | the host | |
//!
//! exray-specific facts go under `extra.` (report, incident and finding ids, rules, build,
//! update to install, file path).

use std::collections::BTreeSet;
use std::io::{self, Write};

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use exray_core::{Family, Report, ReportKind, Severity, Stage};
use serde_json::{json, Map, Value};

use crate::facts::{self, AttackerIp};
use crate::Options;

/// Write the report's IntelMQ events to `out`, one JSON object per line.
pub fn intelmq(report: &Report, opts: &Options, mut out: impl Write) -> io::Result<()> {
    for event in events(report, opts) {
        serde_json::to_writer(&mut out, &event)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A new event with the fields every event carries.
fn base(report: &Report, opts: &Options) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("feed.name".into(), json!(format!("exray {}", kind(report))));
    e.insert("feed.provider".into(), json!(opts.producer));
    e.insert("time.observation".into(), json!(time(report.finished_at)));
    e.insert("tlp".into(), json!(opts.tlp.intelmq()));
    if opts.tlp.intelmq() != opts.tlp.as_str().to_ascii_uppercase() {
        e.insert("extra.tlp".into(), json!(opts.tlp.as_str()));
    }
    e.insert("extra.exray_report_id".into(), json!(report.report_id));
    if let Some(org) = &opts.organisation {
        e.insert("extra.organisation".into(), json!(org));
    }
    e
}

fn kind(report: &Report) -> &'static str {
    match report.kind {
        ReportKind::Hunt => "hunt",
        ReportKind::Scan => "scan",
    }
}

/// IntelMQ's severity values (`critical` … `info`) are exray's.
fn severity(s: Severity) -> &'static str {
    s.as_str()
}

/// The events of a report, in order.
pub(crate) fn events(report: &Report, opts: &Options) -> Vec<Value> {
    let mut out = Vec::new();
    match report.kind {
        ReportKind::Hunt => hunt(report, opts, &mut out),
        ReportKind::Scan => scan(report, opts, &mut out),
    }
    out
}

/// The identifier of an attacker's events: the exploited family, or what the web shell did.
fn identifier(ip: &AttackerIp) -> &'static str {
    for f in &ip.families {
        match f {
            Family::ProxyLogon => return "proxylogon",
            Family::ProxyShell => return "proxyshell",
            Family::ProxyNotShell => return "proxynotshell",
            Family::Owassrf => return "owassrf",
            Family::Generic | Family::Ioc => {}
        }
    }
    if ip.stage >= Stage::Foothold {
        "exchange-server-webshell"
    } else {
        "exchange-server-attack"
    }
}

fn vulnerabilities(cves: &BTreeSet<String>) -> Option<String> {
    (!cves.is_empty()).then(|| {
        cves.iter()
            .map(|c| c.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(";")
    })
}

fn hunt(report: &Report, opts: &Options, out: &mut Vec<Value>) {
    let host = report
        .host
        .fqdn
        .as_deref()
        .or(report.host.hostname.as_deref())
        .and_then(facts::fqdn);
    for g in facts::groups(report) {
        for ip in facts::attacker_ips(&g.findings) {
            let mut e = base(report, opts);
            let (taxonomy, kind) = if ip.stage.is_compromise() {
                ("intrusions", "system-compromise")
            } else {
                ("intrusion-attempts", "exploit")
            };
            e.insert("classification.taxonomy".into(), json!(taxonomy));
            e.insert("classification.type".into(), json!(kind));
            e.insert("classification.identifier".into(), json!(identifier(&ip)));
            e.insert("source.ip".into(), json!(ip.ip.to_string()));
            if let Some(h) = &host {
                e.insert("destination.fqdn".into(), json!(h));
            }
            if let Some(t) = ip.first_seen {
                e.insert("time.source".into(), json!(time(t)));
            }
            e.insert("severity".into(), json!(severity(ip.severity)));
            if let Some(v) = vulnerabilities(&ip.cves) {
                e.insert("product.vulnerabilities".into(), json!(v));
            }
            e.insert(
                "event_description.text".into(),
                json!(format!(
                    "Attack on Exchange from {} ({}), found by exray hunt",
                    ip.ip,
                    ip.stage.as_str()
                )),
            );
            if let Some(raw) = ip.raw {
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                e.insert("raw".into(), json!(b64));
            }
            e.insert("extra.exray_stage".into(), json!(ip.stage.as_str()));
            e.insert("extra.exray_rules".into(), json!(ip.rules()));
            e.insert("extra.exray_records".into(), json!(ip.count));
            if let Some(t) = ip.last_seen {
                e.insert("extra.last_seen".into(), json!(time(t)));
            }
            if let Some(i) = g.incident {
                e.insert("extra.exray_incident".into(), json!(i.id));
            }
            if !ip.user_agents.is_empty() {
                e.insert("extra.user_agents".into(), json!(ip.user_agents));
            }
            out.push(Value::Object(e));
        }
        for file in facts::files(&g.findings) {
            let Some(sha256) = file.sha256.as_deref().filter(|_| file.web_shell) else {
                continue;
            };
            let mut e = base(report, opts);
            e.insert("classification.taxonomy".into(), json!("intrusions"));
            e.insert("classification.type".into(), json!("system-compromise"));
            e.insert(
                "classification.identifier".into(),
                json!("exchange-server-webshell"),
            );
            if let Some(h) = &host {
                e.insert("source.fqdn".into(), json!(h));
            }
            if let Some(t) = file.findings.iter().filter_map(|f| f.first_seen).min() {
                e.insert("time.source".into(), json!(time(t)));
            }
            e.insert("malware.hash.sha256".into(), json!(sha256));
            if let Some(h) = &file.sha1 {
                e.insert("malware.hash.sha1".into(), json!(h));
            }
            if let Some(h) = &file.md5 {
                e.insert("malware.hash.md5".into(), json!(h));
            }
            let sev = file.findings.iter().map(|f| f.severity).max();
            e.insert(
                "severity".into(),
                json!(severity(sev.unwrap_or(Severity::High))),
            );
            e.insert(
                "event_description.text".into(),
                json!(format!("Web shell on the Exchange server: {}", file.path)),
            );
            e.insert("extra.file_path".into(), json!(file.path));
            e.insert("extra.exray_rules".into(), json!(file.rules()));
            if let Some(i) = g.incident {
                e.insert("extra.exray_incident".into(), json!(i.id));
            }
            out.push(Value::Object(e));
        }
    }
}

fn scan(report: &Report, opts: &Options, out: &mut Vec<Value>) {
    for h in facts::vulnerable_hosts(report) {
        let mut e = base(report, opts);
        e.insert("classification.taxonomy".into(), json!("vulnerable"));
        e.insert("classification.type".into(), json!("vulnerable-system"));
        e.insert(
            "classification.identifier".into(),
            json!("vulnerable-exchange-server"),
        );
        host_fields(&mut e, h.result, h.ip);
        if let Some(asn) = h.asn {
            e.insert("source.asn".into(), json!(asn));
        }
        e.insert("severity".into(), json!("high"));
        e.insert("product.vendor".into(), json!("microsoft"));
        e.insert("product.name".into(), json!("exchange_server"));
        if let Some(b) = h.build() {
            e.insert("product.version".into(), json!(b.to_ascii_lowercase()));
        }
        if let Some(v) = vulnerabilities(&h.cves) {
            e.insert("product.vulnerabilities".into(), json!(v));
        }
        e.insert(
            "event_description.text".into(),
            json!("Exchange server with a build exposed to known exploited vulnerabilities"),
        );
        if let Some(r) = h.release() {
            e.insert("extra.release".into(), json!(r));
        }
        if let Some(u) = h.update() {
            e.insert("extra.install".into(), json!(u));
        }
        e.insert("extra.families".into(), json!(h.families));
        e.insert(
            "extra.confidence".into(),
            json!(h.result.confidence.as_str()),
        );
        out.push(Value::Object(e));
    }
    for s in facts::possible_shells(report) {
        let mut e = base(report, opts);
        e.insert("classification.taxonomy".into(), json!("intrusions"));
        e.insert("classification.type".into(), json!("system-compromise"));
        e.insert(
            "classification.identifier".into(),
            json!("exchange-server-webshell"),
        );
        host_fields(&mut e, s.result, s.ip);
        e.insert("severity".into(), json!("high"));
        e.insert(
            "event_description.text".into(),
            json!("Possible web shell: a probe answered unlike a random name in the same folder"),
        );
        e.insert("extra.probe_url".into(), json!(s.url));
        e.insert("extra.probe".into(), json!(s.note));
        e.insert("extra.confidence".into(), json!("low"));
        out.push(Value::Object(e));
    }
}

fn host_fields(
    e: &mut Map<String, Value>,
    r: &exray_core::ScanResult,
    ip: Option<std::net::IpAddr>,
) {
    if let Some(ip) = ip {
        e.insert("source.ip".into(), json!(ip.to_string()));
    }
    if let Some(p) = r.port {
        e.insert("source.port".into(), json!(p));
    }
    if let Some(name) = r.hostname.as_deref().and_then(facts::fqdn) {
        e.insert("source.fqdn".into(), json!(name));
    }
    e.insert("time.source".into(), json!(time(r.scanned_at)));
    e.insert("extra.target".into(), json!(r.target));
}
