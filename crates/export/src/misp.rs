//! MISP events in MISP's core format (`{"Event": {…, "Attribute": […], "Tag": […]}}`), one per
//! incident of a hunt (and one for the findings outside any incident), one per scan report with
//! findings to share. Types and categories are pairs MISP's `describeTypes` allows; the TLP is an
//! event tag of MISP's `tlp` taxonomy. `distribution` is 0 (this organisation only): who the
//! event is shared with is decided in MISP, not here.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use exray_core::{Report, ReportKind, Severity};
use serde_json::{json, Value};

use crate::facts::{self, Group};
use crate::ids::Ids;
use crate::Options;

/// One MISP event per incident of a hunt report (plus one for the findings outside every
/// incident), or one event for a scan report's vulnerable hosts and possible web shells. A
/// report with nothing to share gives no event.
pub fn misp(report: &Report, opts: &Options) -> Vec<Value> {
    let ids = Ids::new(&report.report_id);
    match report.kind {
        ReportKind::Hunt => facts::groups(report)
            .iter()
            .map(|g| hunt_event(report, g, opts, &ids))
            .collect(),
        ReportKind::Scan => scan_event(report, opts, &ids).into_iter().collect(),
    }
}

/// Attributes of one event, unique by (type, value) as MISP requires.
struct Attributes<'a> {
    ids: &'a Ids,
    event: String,
    seen: BTreeSet<(String, String)>,
    list: Vec<Value>,
}

impl<'a> Attributes<'a> {
    fn new(ids: &'a Ids, event: &str) -> Self {
        Attributes {
            ids,
            event: event.to_string(),
            seen: BTreeSet::new(),
            list: Vec::new(),
        }
    }

    fn push(
        &mut self,
        kind: &str,
        category: &str,
        value: &str,
        to_ids: bool,
        comment: &str,
    ) -> Option<&mut Value> {
        if value.is_empty() || !self.seen.insert((kind.to_string(), value.to_string())) {
            return None;
        }
        let uuid = self.ids.of(&["misp-attribute", &self.event, kind, value]);
        self.list.push(json!({
            "uuid": uuid.to_string(),
            "type": kind,
            "category": category,
            "value": value,
            "to_ids": to_ids,
            "distribution": "5",
            "comment": comment,
        }));
        self.list.last_mut()
    }
}

fn event(
    report: &Report,
    opts: &Options,
    uuid: String,
    info: String,
    date: DateTime<Utc>,
    severity: Severity,
    attributes: Vec<Value>,
) -> Value {
    let created = opts.created(report);
    json!({"Event": {
        "uuid": uuid,
        "info": info,
        "date": date.format("%Y-%m-%d").to_string(),
        "timestamp": created.timestamp().to_string(),
        "threat_level_id": threat_level(severity),
        "analysis": "2",
        "distribution": "0",
        "published": false,
        "Orgc": {"name": opts.producer},
        "Tag": [{"name": opts.tlp.misp_tag()}],
        "Attribute": attributes,
    }})
}

/// MISP's threat levels: 1 high, 2 medium, 3 low.
fn threat_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "1",
        Severity::Medium => "2",
        Severity::Low | Severity::Info => "3",
    }
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn hunt_event(report: &Report, g: &Group, opts: &Options, ids: &Ids) -> Value {
    let uuid = ids.of(&["misp-event", &g.key]).to_string();
    let mut attrs = Attributes::new(ids, &uuid);
    for ip in facts::attacker_ips(&g.findings) {
        let value = ip.ip.to_string();
        let comment = format!(
            "attacker client ({}, {} records): {}",
            ip.stage.as_str(),
            ip.count,
            ip.rules().join(" ")
        );
        if let Some(a) = attrs.push("ip-src", "Network activity", &value, true, &comment) {
            if let Some(t) = time(ip.first_seen) {
                a["first_seen"] = json!(t);
            }
            if let Some(t) = time(ip.last_seen.or(ip.first_seen)) {
                a["last_seen"] = json!(t);
            }
        }
        for ua in &ip.user_agents {
            attrs.push(
                "user-agent",
                "Network activity",
                ua,
                false,
                &format!("user agent of {value}"),
            );
        }
    }
    for (path, findings) in facts::request_paths(&g.findings) {
        let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        let comment = format!(
            "web-shell page requested or found: {}",
            rules.into_iter().collect::<Vec<_>>().join(" ")
        );
        attrs.push("uri", "Network activity", &path, true, &comment);
    }
    for file in facts::files(&g.findings) {
        let (category, what) = if file.web_shell {
            ("Payload installation", "web shell")
        } else {
            ("Artifacts dropped", "attacker artefact")
        };
        let comment = format!("{what}: {}", file.rules().join(" "));
        match &file.sha256 {
            Some(sha256) => {
                let pair = |h: &str| format!("{}|{h}", file.path);
                attrs.push(
                    "filename|sha256",
                    category,
                    &pair(sha256),
                    file.web_shell,
                    &comment,
                );
                if let Some(sha1) = &file.sha1 {
                    attrs.push(
                        "filename|sha1",
                        category,
                        &pair(sha1),
                        file.web_shell,
                        &comment,
                    );
                }
                if let Some(md5) = &file.md5 {
                    attrs.push(
                        "filename|md5",
                        category,
                        &pair(md5),
                        file.web_shell,
                        &comment,
                    );
                }
            }
            None => {
                let comment = format!("{comment} (named in a log; not found on disk)");
                attrs.push("filename", category, &file.path, false, &comment);
            }
        }
    }
    for cve in g.cves() {
        attrs.push(
            "vulnerability",
            "External analysis",
            &cve,
            false,
            "exploited",
        );
    }
    if let Some(i) = g.incident {
        attrs.push(
            "comment",
            "Other",
            &i.summary,
            false,
            "exray incident summary",
        );
    }
    let info = format!("exray hunt of {}: {}", facts::host_name(report), g.title());
    let date = g.first_seen().unwrap_or(report.started_at);
    event(report, opts, uuid, info, date, g.severity(), attrs.list)
}

fn scan_event(report: &Report, opts: &Options, ids: &Ids) -> Option<Value> {
    let hosts = facts::vulnerable_hosts(report);
    let shells = facts::possible_shells(report);
    if hosts.is_empty() && shells.is_empty() {
        return None;
    }
    let uuid = ids.of(&["misp-event", "scan"]).to_string();
    let mut attrs = Attributes::new(ids, &uuid);
    let mut cves = BTreeSet::new();
    for h in &hosts {
        let comment = format!(
            "vulnerable Exchange server {} (build {}{}): {}{}",
            h.result.target,
            h.build().unwrap_or("?"),
            h.release().map(|r| format!(", {r}")).unwrap_or_default(),
            h.cves.iter().cloned().collect::<Vec<_>>().join(" "),
            h.update()
                .map(|u| format!("; install {u}"))
                .unwrap_or_default(),
        );
        if let Some(ip) = h.ip {
            attrs.push(
                "ip-dst",
                "Network activity",
                &ip.to_string(),
                false,
                &comment,
            );
        }
        if let Some(name) = h.result.hostname.as_deref().and_then(facts::fqdn) {
            attrs.push("hostname", "Network activity", &name, false, &comment);
        }
        cves.extend(h.cves.iter().cloned());
    }
    for s in &shells {
        let comment = format!(
            "possible web shell (probe of exray scan, low confidence): {}",
            s.note
        );
        attrs.push("url", "Network activity", &s.url, false, &comment);
    }
    for cve in cves {
        attrs.push("vulnerability", "External analysis", &cve, false, "exposed");
    }
    let info = format!(
        "exray scan of {}: {} vulnerable Exchange servers, {} possible web shells",
        report.scope,
        hosts.len(),
        shells.len()
    );
    let severity = if shells.is_empty() {
        Severity::Medium
    } else {
        Severity::High
    };
    Some(event(
        report,
        opts,
        uuid,
        info,
        report.started_at,
        severity,
        attrs.list,
    ))
}
