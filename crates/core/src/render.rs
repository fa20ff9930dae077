//! Report renderers: a readable terminal summary, JSON, JSON lines, CSV and Timesketch JSONL.
//! Every string that came from evidence is attacker-controlled: the text renderer strips control
//! characters so a log line cannot drive the terminal.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::model::{Finding, PlanStep, Report, ReportKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
    Timesketch,
    /// One self-contained HTML document (`crate::html`).
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            "timesketch" => Format::Timesketch,
            "html" => Format::Html,
            other => {
                return Err(format!(
                    "unknown format {other:?} (text, json, jsonl, csv, timesketch, html)"
                ))
            }
        })
    }
}

pub fn render(r: &Report, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text(r, w),
        Format::Json => {
            let mut w = C1Escaped::new(w);
            serde_json::to_writer_pretty(&mut w, r)?;
            writeln!(w)?;
            w.finish()
        }
        Format::Jsonl => {
            let mut w = C1Escaped::new(w);
            jsonl(r, &mut w)?;
            w.finish()
        }
        Format::Csv => csv(r, w),
        Format::Html => crate::html::html(r, w),
        Format::Timesketch => {
            let mut w = C1Escaped::new(w);
            timesketch(r, &mut w)?;
            w.finish()
        }
    }
}

/// A writer of JSON that escapes C1 control characters (U+0080–U+009F: CSI and friends, which
/// some terminals obey) as `\u0080`…`\u009f`. serde_json writes them raw; in JSON they can only
/// stand inside strings, where the escape means the same character.
pub struct C1Escaped<'a> {
    inner: &'a mut dyn Write,
    /// A 0xC2 lead byte held back from the end of the last write.
    pending: bool,
}

impl<'a> C1Escaped<'a> {
    pub fn new(inner: &'a mut dyn Write) -> Self {
        C1Escaped {
            inner,
            pending: false,
        }
    }

    /// Write a lead byte still held back.
    pub fn finish(mut self) -> io::Result<()> {
        if std::mem::take(&mut self.pending) {
            self.inner.write_all(&[0xC2])?;
        }
        self.inner.flush()
    }
}

impl Write for C1Escaped<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut from = 0;
        let mut i = 0;
        if self.pending {
            self.pending = false;
            match buf.first() {
                Some(b @ 0x80..=0x9F) => {
                    write!(self.inner, "\\u{:04x}", *b as u32)?;
                    from = 1;
                    i = 1;
                }
                Some(_) => self.inner.write_all(&[0xC2])?,
                None => {
                    self.pending = true;
                    return Ok(0);
                }
            }
        }
        while let Some(j) = memchr_c2(&buf[i..]) {
            let at = i + j;
            match buf.get(at + 1) {
                Some(b @ 0x80..=0x9F) => {
                    self.inner.write_all(&buf[from..at])?;
                    write!(self.inner, "\\u{:04x}", *b as u32)?;
                    from = at + 2;
                    i = at + 2;
                }
                Some(_) => i = at + 1,
                None => {
                    self.inner.write_all(&buf[from..at])?;
                    self.pending = true;
                    return Ok(buf.len());
                }
            }
        }
        self.inner.write_all(&buf[from..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn memchr_c2(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == 0xC2)
}

/// Make evidence safe to print on a terminal: no control characters, capped length.
pub fn safe(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        // Control characters and invisible format characters (bidi overrides such as U+202E)
        // could disguise evidence on a terminal: show them escaped.
        if c.is_control()
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF)
        {
            out.push_str(&c.escape_default().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn t(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn text(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "exray {} — {} of {}",
        r.tool.version,
        if r.kind == ReportKind::Hunt {
            "hunt"
        } else {
            "scan"
        },
        safe(&r.scope, 200)
    )?;
    // What could not be read comes first: the verdict cannot rest on it.
    let unread: Vec<_> = r.coverage.iter().filter(|c| c.unreadable).collect();
    if !unread.is_empty() {
        writeln!(
            w,
            "NOT READ ({}): the verdict cannot rest on these; VERDICT: {} — {}",
            unread.len(),
            r.verdict.as_str(),
            safe(&r.verdict_reason, 300)
        )?;
        for c in unread {
            writeln!(
                w,
                "  {:<14} {}  {}",
                c.source.as_str(),
                safe(&c.location, 160),
                safe(&c.notes.join("; "), 200)
            )?;
        }
        writeln!(w)?;
    }
    if let Some(n) = r.host.fqdn.as_ref().or(r.host.hostname.as_ref()) {
        writeln!(w, "Host: {}", safe(n, 260))?;
    }
    if !r.host.ips.is_empty() {
        writeln!(w, "Host addresses: {}", safe(&r.host.ips.join(", "), 2000))?;
    }
    if !r.host.exchange_roots.is_empty() {
        writeln!(w, "Exchange install: {}", r.host.exchange_roots.join(", "))?;
    }
    if let Some(b) = &r.host.build {
        writeln!(
            w,
            "Installed build: {} {} (from {})",
            b.build,
            b.release.clone().unwrap_or_default(),
            b.source.as_deref().unwrap_or("?")
        )?;
        for e in &b.exposures {
            let status = serde_json::to_value(e.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let fix = e
                .fixed_by
                .as_ref()
                .map(|f| format!(" — fixed by {} ({})", f.name, f.build))
                .unwrap_or_default();
            writeln!(
                w,
                "  {:<14} {:<12} {}{}",
                e.family,
                status,
                e.cves.join(","),
                fix
            )?;
        }
        if let Some(u) = &b.recommended_update {
            writeln!(
                w,
                "  install: {} → {}{}",
                u.name,
                u.build,
                u.kb.as_ref().map(|k| format!(" ({k})")).unwrap_or_default()
            )?;
        }
    }
    for m in &r.host.mitigations {
        let status = serde_json::to_value(m.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        writeln!(
            w,
            "Mitigation {:<10} {}{}",
            status,
            m.name,
            m.note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        )?;
    }
    writeln!(w)?;
    if !r.incidents.is_empty() {
        writeln!(w, "INCIDENTS ({})", r.incidents.len())?;
        for i in &r.incidents {
            writeln!(
                w,
                "  [{}] {}",
                i.severity.as_str().to_uppercase(),
                safe(&i.summary, 400)
            )?;
            if !i.cves.is_empty() {
                writeln!(w, "      CVEs: {}", i.cves.join(", "))?;
            }
            for s in &i.story {
                writeln!(
                    w,
                    "      {}  {:<17} {}",
                    t(s.time),
                    s.stage.as_str(),
                    safe(&s.text, 160)
                )?;
            }
        }
        writeln!(w)?;
    }
    if !r.findings.is_empty() {
        writeln!(w, "FINDINGS ({})", r.findings.len())?;
        for f in &r.findings {
            finding_text(f, w)?;
        }
        writeln!(w)?;
    }
    if !r.leads.is_empty() {
        writeln!(
            w,
            "PAGES WORTH A LOOK ({}: rarely requested script pages; leads, not findings)",
            r.leads.len()
        )?;
        for l in &r.leads {
            let clients = if l.more_clients {
                format!("{} and more", l.clients.join(", "))
            } else {
                l.clients.join(", ")
            };
            writeln!(
                w,
                "  {}  {} requests ({} POST) from {}  {} → {}",
                safe(&l.page, 120),
                l.requests,
                l.posts,
                safe(&clients, 160),
                t(l.first_seen),
                t(l.last_seen)
            )?;
            writeln!(w, "      why: {}", safe(&l.reasons.join("; "), 300))?;
            if let Some(e) = &l.evidence {
                writeln!(
                    w,
                    "      first: {}:{}",
                    safe(&e.file, 160),
                    e.line.map(|n| n.to_string()).unwrap_or_default()
                )?;
            }
        }
        writeln!(w)?;
    }
    for s in &r.scan_results {
        writeln!(
            w,
            "  {:<40} {:<22} {}",
            safe(&s.target, 40),
            s.verdict.as_str(),
            s.assessment
                .as_ref()
                .map(|a| a.build.as_str())
                .unwrap_or("-")
        )?;
    }
    if !r.coverage.is_empty() {
        writeln!(w, "COVERAGE")?;
        for c in &r.coverage {
            writeln!(
                w,
                "  {:<14} {:>6} files {:>10} records  {} → {}  {}{}",
                c.source.as_str(),
                c.files,
                c.records,
                t(c.first),
                t(c.last),
                safe(&c.location, 90),
                if c.errors > 0 {
                    format!("  ({} errors)", c.errors)
                } else {
                    String::new()
                }
            )?;
            for n in &c.notes {
                writeln!(w, "      note: {}", safe(n, 200))?;
            }
        }
        writeln!(w)?;
    }
    if r.summary.input_errors > 0 {
        writeln!(w, "INPUT ERRORS ({}; first shown)", r.summary.input_errors)?;
        for e in r.errors.iter().take(10) {
            let at = match (e.line, e.record) {
                (Some(l), _) => format!(":{l}"),
                (None, Some(rec)) => format!(" record {rec}"),
                _ => String::new(),
            };
            writeln!(
                w,
                "  {}{}: {}",
                safe(&e.file, 160),
                at,
                safe(&e.message, 200)
            )?;
        }
        writeln!(w)?;
    }
    if !r.plan.is_empty() {
        writeln!(w, "RESPONSE PLAN ({} steps)", r.plan.len())?;
        plan_text(&r.plan, w)?;
        writeln!(w)?;
    }
    for warning in &r.warnings {
        writeln!(w, "warning: {}", safe(warning, 300))?;
    }
    writeln!(
        w,
        "VERDICT: {} — {}",
        r.verdict.as_str(),
        safe(&r.verdict_reason, 300)
    )?;
    Ok(())
}

/// The response plan as text: each step with its reason, items (path, SHA-256, note), the
/// findings that called for it and its limits. Evidence-derived strings are made safe.
pub fn plan_text(plan: &[PlanStep], w: &mut dyn Write) -> io::Result<()> {
    for s in plan {
        writeln!(
            w,
            "  {}. [{}] {} ({})",
            s.order,
            s.phase.as_str(),
            s.title,
            s.rule
        )?;
        writeln!(w, "      do:  {}", s.action)?;
        writeln!(w, "      why: {}", s.reason)?;
        for i in &s.items {
            let mut line = format!("      - {} {}", i.kind.as_str(), safe(&i.value, 300));
            if let Some(h) = &i.sha256 {
                line.push_str(&format!("  sha256 {h}"));
            }
            if let Some(n) = &i.note {
                line.push_str(&format!("  ({})", safe(n, 1000)));
            }
            writeln!(w, "{line}")?;
        }
        if !s.findings.is_empty() {
            writeln!(w, "      evidence: {}", s.findings.join(", "))?;
        }
        for l in &s.limits {
            writeln!(w, "      not assessed: {}", safe(l, 400))?;
        }
    }
    Ok(())
}

fn finding_text(f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "  [{}] {} {} ({}; {} confidence; {}×)",
        f.severity.as_str().to_uppercase(),
        f.rule_id,
        safe(&f.title, 120),
        f.stage.as_str(),
        f.confidence.as_str(),
        f.count
    )?;
    let mut meta = Vec::new();
    if !f.cves.is_empty() {
        meta.push(f.cves.join(","));
    }
    if !f.attack.is_empty() {
        meta.push(format!("ATT&CK {}", f.attack.join(",")));
    }
    meta.push(format!("{} → {}", t(f.first_seen), t(f.last_seen)));
    if !f.client_ips.is_empty() {
        meta.push(format!(
            "from {}",
            safe(
                &f.client_ips
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                120
            )
        ));
    }
    writeln!(w, "      {}", meta.join("  "))?;
    for e in f.evidence.iter().take(3) {
        let at = match (e.line, e.record) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(r)) => format!(" record {r}"),
            _ => String::new(),
        };
        writeln!(w, "      {}{}", safe(&e.file, 160), at)?;
        if let Some(fi) = &e.file_info {
            writeln!(
                w,
                "        sha256 {}  {} bytes",
                fi.sha256.as_deref().unwrap_or("-"),
                fi.size
            )?;
            if let Some(t) = &fi.times {
                writeln!(
                    w,
                    "        file times: {} ({})",
                    t.trust.as_str(),
                    safe(&t.reason, 200)
                )?;
            }
        }
        if let Some(raw) = &e.raw {
            writeln!(w, "        {}", safe(raw, 240))?;
        }
        for m in e.matches.iter().take(3) {
            writeln!(
                w,
                "        match {} @{}: {}",
                safe(&m.rule, 60),
                m.offset,
                safe(&m.excerpt, 120)
            )?;
        }
    }
    if f.evidence.len() > 3 || f.count > f.evidence.len() as u64 {
        writeln!(
            w,
            "      … {} record(s) in all (see --format json)",
            f.count
        )?;
    }
    Ok(())
}

fn with_type(kind: &str, report_id: &str, v: Value) -> Value {
    let mut obj = json!({"type": kind, "report_id": report_id});
    if let (Value::Object(dst), Value::Object(src)) = (&mut obj, v) {
        dst.extend(src);
    }
    obj
}

/// One JSON object per line: findings (or scan results), incidents, coverage, then a summary
/// line with the verdict.
pub fn jsonl(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let id = &r.report_id;
    for s in &r.scan_results {
        serde_json::to_writer(
            &mut *w,
            &with_type("scan_result", id, serde_json::to_value(s)?),
        )?;
        writeln!(w)?;
    }
    for f in &r.findings {
        serde_json::to_writer(&mut *w, &with_type("finding", id, serde_json::to_value(f)?))?;
        writeln!(w)?;
    }
    for i in &r.incidents {
        serde_json::to_writer(
            &mut *w,
            &with_type("incident", id, serde_json::to_value(i)?),
        )?;
        writeln!(w)?;
    }
    for c in &r.coverage {
        serde_json::to_writer(
            &mut *w,
            &with_type("coverage", id, serde_json::to_value(c)?),
        )?;
        writeln!(w)?;
    }
    for l in &r.leads {
        serde_json::to_writer(&mut *w, &with_type("lead", id, serde_json::to_value(l)?))?;
        writeln!(w)?;
    }
    for s in &r.plan {
        serde_json::to_writer(
            &mut *w,
            &with_type("plan_step", id, serde_json::to_value(s)?),
        )?;
        writeln!(w)?;
    }
    let summary = json!({
        "type": "summary", "report_id": id, "schema": r.schema, "kind": r.kind, "scope": r.scope,
        "host": r.host, "verdict": r.verdict, "verdict_reason": r.verdict_reason,
        "summary": r.summary, "warnings": r.warnings, "started_at": r.started_at, "finished_at": r.finished_at,
    });
    serde_json::to_writer(&mut *w, &summary)?;
    writeln!(w)
}

/// One CSV field, safe to open in a spreadsheet: control characters escaped (`\n`, `\u{1b}`), a
/// leading `=`, `+`, `-`, `@`, tab or CR neutralised with a `'` the way OWASP recommends (so a
/// forged user agent cannot run as a formula), and RFC 4180 quoting.
pub fn csv_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if out.contains([',', '"', '\'']) || out != s {
        format!("\"{}\"", out.replace('"', "\"\""))
    } else {
        out
    }
}

pub fn csv(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    if r.kind == ReportKind::Scan {
        writeln!(w, "target,ip,port,verdict,confidence,build,release,error")?;
        for s in &r.scan_results {
            let a = s.assessment.as_ref();
            let row = [
                s.target.clone(),
                s.ip.clone().unwrap_or_default(),
                s.port.map(|p| p.to_string()).unwrap_or_default(),
                s.verdict.as_str().to_string(),
                s.confidence.as_str().to_string(),
                a.map(|a| a.build.clone()).unwrap_or_default(),
                a.and_then(|a| a.release.clone()).unwrap_or_default(),
                s.error.clone().unwrap_or_default(),
            ];
            writeln!(
                w,
                "{}",
                row.iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
        }
        return Ok(());
    }
    writeln!(
        w,
        "report_id,finding_id,incident,rule_id,title,family,stage,severity,confidence,cves,attack,first_seen,last_seen,count,client_ips,evidence_file,evidence_line,evidence_raw"
    )?;
    for f in &r.findings {
        let e = f.evidence.first();
        let row = [
            r.report_id.clone(),
            f.id.clone(),
            f.incident.clone().unwrap_or_default(),
            f.rule_id.clone(),
            f.title.clone(),
            f.family.as_str().to_string(),
            f.stage.as_str().to_string(),
            f.severity.as_str().to_string(),
            f.confidence.as_str().to_string(),
            f.cves.join(" "),
            f.attack.join(" "),
            f.first_seen.map(|t| t.to_rfc3339()).unwrap_or_default(),
            f.last_seen.map(|t| t.to_rfc3339()).unwrap_or_default(),
            f.count.to_string(),
            f.client_ips.join(" "),
            e.map(|e| e.file.clone()).unwrap_or_default(),
            e.and_then(|e| e.line.or(e.record))
                .map(|l| l.to_string())
                .unwrap_or_default(),
            e.and_then(|e| e.raw.clone()).unwrap_or_default(),
        ];
        writeln!(
            w,
            "{}",
            row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",")
        )?;
    }
    Ok(())
}

/// Timesketch JSONL: one event per evidence item with `message`, `datetime`, `timestamp_desc`.
pub fn timesketch(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    for f in &r.findings {
        for e in &f.evidence {
            let Some(ts) = e.timestamp.or(f.first_seen) else {
                continue;
            };
            let v = json!({
                "message": format!("[{}] {}: {}", f.severity.as_str(), f.rule_id, f.title),
                "datetime": ts.to_rfc3339(),
                "timestamp": ts.timestamp_micros(),
                "timestamp_desc": format!("{} record time", e.source.as_str()),
                "rule_id": f.rule_id, "stage": f.stage, "cves": f.cves.join(","), "attack": f.attack.join(","),
                "severity": f.severity, "client_ip": e.client_ip, "file": e.file, "line": e.line, "record": e.record,
                "raw": e.raw, "incident": f.incident, "report_id": r.report_id, "tag": ["exray"],
            });
            serde_json::to_writer(&mut *w, &v)?;
            writeln!(w)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_chars_are_neutralised_and_csv_quotes() {
        assert_eq!(safe("a\x1b[31mb\n", 100), "a\\u{1b}[31mb\\n");
        assert_eq!(safe("x\u{202e}y", 100), "x\\u{202e}y");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        // Formula prefixes (OWASP CSV injection) and control characters.
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"");
        assert_eq!(csv_field("@SUM(1+1)"), "\"'@SUM(1+1)\"");
        assert_eq!(csv_field("+1"), "\"'+1\"");
        assert_eq!(csv_field("\tx"), "\"'\\tx\"");
        assert_eq!(csv_field("a\x1b[2Jb\x07"), "\"a\\u{1b}[2Jb\\u{7}\"");
        assert_eq!(csv_field("x\u{9b}y"), "\"x\\u{9b}y\"");
        // C1 controls in JSON come out escaped, however the writes are split.
        let mut out = Vec::new();
        {
            let mut w = C1Escaped::new(&mut out);
            w.write_all("a\u{9b}b".as_bytes()).unwrap();
            w.write_all(&[0xC2]).unwrap();
            w.write_all(&[0x85, b'c', 0xC2, 0xA9]).unwrap();
            w.finish().unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "a\\u009bb\\u0085c\u{a9}");
        assert_eq!("jsonl".parse::<Format>().unwrap(), Format::Jsonl);
        assert!("xml".parse::<Format>().is_err());
    }
}
