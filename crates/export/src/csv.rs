//! CSV for the people who want a spreadsheet: one row per exported indicator (the same ones the
//! other formats carry), with the organisation on every row so that files of several
//! organisations can be concatenated or split by it. Fields go through
//! [`exray_core::render::csv_field`]: RFC 4180 quoting, control characters escaped, and a
//! leading `=`, `+`, `-`, `@` neutralised (a forged path or user agent cannot run as a formula).

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use exray_core::render::csv_field;
use exray_core::{Report, ReportKind};

use crate::facts;
use crate::Options;

/// The header row.
pub const HEADER: &str = "organisation,report_id,report_kind,host,incident,type,value,sha256,stage,severity,cves,first_seen,last_seen,rules,note";

/// Write one row per exported indicator of `report` (after [`HEADER`]) to `out`.
pub fn csv(report: &Report, opts: &Options, mut out: impl Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for row in rows(report, opts) {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

fn t(x: Option<DateTime<Utc>>) -> String {
    x.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

struct Row<'a> {
    report: &'a Report,
    opts: &'a Options,
    host: String,
    incident: String,
}

impl Row<'_> {
    /// type, value, sha256, stage, severity, cves, first, last, rules, note
    #[allow(clippy::too_many_arguments)]
    fn make(
        &self,
        kind: &str,
        value: &str,
        sha256: &str,
        stage: &str,
        severity: &str,
        cves: &str,
        first: Option<DateTime<Utc>>,
        last: Option<DateTime<Utc>>,
        rules: &str,
        note: &str,
    ) -> [String; 15] {
        [
            self.opts.organisation.clone().unwrap_or_default(),
            self.report.report_id.clone(),
            match self.report.kind {
                ReportKind::Hunt => "hunt".into(),
                ReportKind::Scan => "scan".into(),
            },
            self.host.clone(),
            self.incident.clone(),
            kind.into(),
            value.into(),
            sha256.into(),
            stage.into(),
            severity.into(),
            cves.into(),
            t(first),
            t(last),
            rules.into(),
            note.into(),
        ]
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn rows(report: &Report, opts: &Options) -> Vec<[String; 15]> {
    let mut out = Vec::new();
    match report.kind {
        ReportKind::Hunt => {
            for g in facts::groups(report) {
                let row = Row {
                    report,
                    opts,
                    host: facts::host_name(report).to_string(),
                    incident: g.incident.map(|i| i.id.clone()).unwrap_or_default(),
                };
                for ip in facts::attacker_ips(&g.findings) {
                    out.push(row.make(
                        "attacker_ip",
                        &ip.ip.to_string(),
                        "",
                        ip.stage.as_str(),
                        ip.severity.as_str(),
                        &join(&ip.cves),
                        ip.first_seen,
                        ip.last_seen,
                        &ip.rules().join(" "),
                        &format!("{} records", ip.count),
                    ));
                }
                for (path, findings) in facts::request_paths(&g.findings) {
                    let stage = findings.iter().map(|f| f.stage).max();
                    let sev = findings.iter().map(|f| f.severity).max();
                    let mut rules: Vec<&str> =
                        findings.iter().map(|f| f.rule_id.as_str()).collect();
                    rules.sort_unstable();
                    rules.dedup();
                    out.push(row.make(
                        "web_shell_url_path",
                        &path,
                        "",
                        stage.map(|s| s.as_str()).unwrap_or_default(),
                        sev.map(|s| s.as_str()).unwrap_or_default(),
                        "",
                        findings.iter().filter_map(|f| f.first_seen).min(),
                        findings.iter().filter_map(|f| f.last_seen).max(),
                        &rules.join(" "),
                        "",
                    ));
                }
                for file in facts::files(&g.findings) {
                    let kind = match (file.web_shell, file.sha256.is_some()) {
                        (true, true) => "web_shell",
                        (false, true) => "attacker_file",
                        (_, false) => "file_named_in_log",
                    };
                    let stage = file.findings.iter().map(|f| f.stage).max();
                    let sev = file.findings.iter().map(|f| f.severity).max();
                    out.push(row.make(
                        kind,
                        &file.path,
                        file.sha256.as_deref().unwrap_or(""),
                        stage.map(|s| s.as_str()).unwrap_or_default(),
                        sev.map(|s| s.as_str()).unwrap_or_default(),
                        "",
                        file.findings.iter().filter_map(|f| f.first_seen).min(),
                        file.findings.iter().filter_map(|f| f.last_seen).max(),
                        &file.rules().join(" "),
                        "",
                    ));
                }
                for cve in g.cves() {
                    out.push(row.make(
                        "vulnerability",
                        &cve,
                        "",
                        "",
                        "",
                        &cve,
                        g.first_seen(),
                        g.last_seen(),
                        "",
                        "exploited",
                    ));
                }
            }
        }
        ReportKind::Scan => {
            for h in facts::vulnerable_hosts(report) {
                let row = Row {
                    report,
                    opts,
                    host: h.result.target.clone(),
                    incident: String::new(),
                };
                let note = [
                    h.build().map(|b| format!("build {b}")),
                    h.release().map(str::to_string),
                    h.update().map(|u| format!("install {u}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
                let value =
                    h.ip.map(|i| i.to_string())
                        .unwrap_or_else(|| h.result.target.clone());
                let at = Some(h.result.scanned_at);
                out.push(row.make(
                    "vulnerable_host",
                    &value,
                    "",
                    "",
                    "high",
                    &join(&h.cves),
                    at,
                    at,
                    "",
                    &note,
                ));
            }
            for s in facts::possible_shells(report) {
                let row = Row {
                    report,
                    opts,
                    host: s.result.target.clone(),
                    incident: String::new(),
                };
                let at = Some(s.result.scanned_at);
                out.push(row.make(
                    "possible_web_shell",
                    &s.url,
                    "",
                    "",
                    "high",
                    "",
                    at,
                    at,
                    "",
                    &s.note,
                ));
            }
        }
    }
    out
}
