//! Result writers. All stream: nothing is kept per target, so memory does not grow with the
//! number of targets. `json` writes one exray-core `Report` (kind `scan`) whose
//! `scan_results` array is streamed first and the rest of the report written at the end.

use std::collections::BTreeMap;
use std::io::{self, Write};

use exray_core::{Report, ScanResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A human table, one row per target, and a summary.
    Table,
    /// One `ScanResult` JSON object per line (what `exray serve` ingests as a stream).
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// One `Report` JSON document (kind `scan`) with every result in `scan_results`.
    Json,
}

/// Counts for the summary, by verdict.
pub type Counts = BTreeMap<&'static str, u64>;

pub trait Sink: Send {
    fn result(&mut self, r: &ScanResult) -> io::Result<()>;
    /// Called once at the end with the report (its `scan_results` empty) and the counts.
    fn finish(&mut self, report: &Report, counts: &Counts) -> io::Result<()>;
}

pub fn sink(format: Format, out: Box<dyn Write + Send>) -> Box<dyn Sink> {
    match format {
        Format::Table => Box::new(TableSink { out, rows: 0 }),
        Format::Jsonl => Box::new(JsonlSink { out }),
        Format::Csv => Box::new(CsvSink { out, header: false }),
        Format::Json => Box::new(JsonSink { out, n: 0 }),
    }
}

fn build_of(r: &ScanResult) -> String {
    r.assessment
        .as_ref()
        .map(|a| a.build.clone())
        .unwrap_or_default()
}

fn detail_of(r: &ScanResult) -> String {
    if let Some(e) = &r.error {
        return e.clone();
    }
    if let Some(a) = &r.assessment {
        let mut s = a.release.clone().unwrap_or_default();
        if let Some(u) = &a.recommended_update {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(&format!("install {} ({})", u.name, u.build));
        }
        if let Some(src) = &a.source {
            s.push_str(&format!(" [from {src}]"));
        }
        return s;
    }
    r.evidence
        .last()
        .map(|e| format!("{}: {}", e.what, e.value))
        .unwrap_or_default()
}

struct TableSink {
    out: Box<dyn Write + Send>,
    rows: u64,
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// Strip control characters so hostile headers cannot drive the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Sink for TableSink {
    fn result(&mut self, r: &ScanResult) -> io::Result<()> {
        if self.rows == 0 {
            writeln!(
                self.out,
                "{:<38} {:<22} {:<14} {:<6} DETAIL",
                "TARGET", "VERDICT", "BUILD", "CONF"
            )?;
        }
        self.rows += 1;
        writeln!(
            self.out,
            "{:<38} {:<22} {:<14} {:<6} {}",
            clip(&r.target, 38),
            r.verdict.as_str(),
            clip(&build_of(r), 14),
            r.confidence.as_str(),
            clip(&printable(&detail_of(r)), 100)
        )?;
        self.out.flush()
    }
    fn finish(&mut self, report: &Report, counts: &Counts) -> io::Result<()> {
        let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(self.out, "\n{} targets: {}", self.rows, parts.join(", "))?;
        for w in &report.warnings {
            writeln!(self.out, "note: {w}")?;
        }
        self.out.flush()
    }
}

struct JsonlSink {
    out: Box<dyn Write + Send>,
}

impl Sink for JsonlSink {
    fn result(&mut self, r: &ScanResult) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, r)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
    fn finish(&mut self, _report: &Report, _counts: &Counts) -> io::Result<()> {
        self.out.flush()
    }
}

struct CsvSink {
    out: Box<dyn Write + Send>,
    header: bool,
}

fn csv_field(s: &str) -> String {
    let s = printable(s);
    if s.contains([',', '"']) || s.starts_with(['=', '+', '-', '@']) {
        // Quote, and defuse spreadsheet formulas.
        let inner = s.replace('"', "\"\"");
        if s.starts_with(['=', '+', '-', '@']) {
            format!("\"'{inner}\"")
        } else {
            format!("\"{inner}\"")
        }
    } else {
        s
    }
}

impl Sink for CsvSink {
    fn result(&mut self, r: &ScanResult) -> io::Result<()> {
        if !self.header {
            self.header = true;
            writeln!(
                self.out,
                "target,ip,port,hostname,verdict,confidence,build,precision,release,recommended_update,source,evidence,error,scanned_at,cpe"
            )?;
        }
        let a = r.assessment.as_ref();
        let evidence: Vec<String> = r
            .evidence
            .iter()
            .map(|e| format!("{} {} {}={}", e.method, e.url, e.what, e.value))
            .collect();
        let fields = [
            r.target.clone(),
            r.ip.clone().unwrap_or_default(),
            r.port.map(|p| p.to_string()).unwrap_or_default(),
            r.hostname.clone().unwrap_or_default(),
            r.verdict.as_str().to_string(),
            r.confidence.as_str().to_string(),
            build_of(r),
            a.map(|a| format!("{:?}", a.precision).to_lowercase())
                .unwrap_or_default(),
            a.and_then(|a| a.release.clone()).unwrap_or_default(),
            a.and_then(|a| a.recommended_update.as_ref().map(|u| u.build.clone()))
                .unwrap_or_default(),
            a.and_then(|a| a.source.clone()).unwrap_or_default(),
            evidence.join(" | "),
            r.error.clone().unwrap_or_default(),
            r.scanned_at.to_rfc3339(),
            a.and_then(|a| a.cpe.clone()).unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(self.out, "{}", line.join(","))?;
        self.out.flush()
    }
    fn finish(&mut self, _report: &Report, _counts: &Counts) -> io::Result<()> {
        self.out.flush()
    }
}

struct JsonSink {
    out: Box<dyn Write + Send>,
    n: u64,
}

impl Sink for JsonSink {
    fn result(&mut self, r: &ScanResult) -> io::Result<()> {
        self.out.write_all(if self.n == 0 {
            b"{\"scan_results\":[\n"
        } else {
            b",\n"
        })?;
        self.n += 1;
        serde_json::to_writer(&mut self.out, r)?;
        Ok(())
    }
    fn finish(&mut self, report: &Report, _counts: &Counts) -> io::Result<()> {
        if self.n == 0 {
            self.out.write_all(b"{\"scan_results\":[")?;
        }
        let rest = serde_json::to_string(report)?;
        // `rest` is `{...}` without scan_results (skipped when empty): splice it after the array.
        let inner = rest
            .strip_prefix('{')
            .ok_or_else(|| io::Error::other("report did not serialise to an object"))?;
        self.out.write_all(b"\n],")?;
        self.out.write_all(inner.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use exray_core::{Confidence, ReportKind, ScanVerdict};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn result(target: &str, verdict: ScanVerdict) -> ScanResult {
        ScanResult {
            target: target.into(),
            ip: Some("192.0.2.1".into()),
            port: Some(443),
            hostname: None,
            verdict,
            confidence: Confidence::Low,
            assessment: None,
            evidence: vec![],
            error: Some("=cmd|' /C calc'!A0, \"x\"".into()),
            scanned_at: Utc::now(),
            webshell_probes: vec![],
        }
    }

    #[test]
    fn json_report_round_trips() {
        for n in [0usize, 1, 3] {
            let buf = Shared::default();
            let mut s = sink(Format::Json, Box::new(buf.clone()));
            for i in 0..n {
                s.result(&result(
                    &format!("https://192.0.2.{i}:443"),
                    ScanVerdict::NotExchange,
                ))
                .unwrap();
            }
            let mut report = Report::new(ReportKind::Scan, "test");
            report.warnings.push("w".into());
            s.finish(&report, &Counts::new()).unwrap();
            let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
            let back: Report = serde_json::from_str(&text).unwrap();
            assert_eq!(back.kind, ReportKind::Scan);
            assert_eq!(back.scan_results.len(), n);
            assert_eq!(back.warnings, vec!["w".to_string()]);
        }
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let buf = Shared::default();
        let mut s = sink(Format::Csv, Box::new(buf.clone()));
        s.result(&result("https://192.0.2.1:443", ScanVerdict::Error))
            .unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains("\"'=cmd|' /C calc'!A0, \"\"x\"\"\""), "{row}");
    }

    #[test]
    fn csv_names_the_cpe_of_the_assessed_build() {
        let buf = Shared::default();
        let mut s = sink(Format::Csv, Box::new(buf.clone()));
        let mut r = result("https://192.0.2.1:443", ScanVerdict::Vulnerable);
        r.error = None;
        r.assessment = Some(
            exray_catalog::Catalog::embedded()
                .assess("15.1.2176.2")
                .unwrap(),
        );
        s.result(&r).unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().ends_with(",scanned_at,cpe"));
        assert!(
            lines.next().unwrap().ends_with(
                ",cpe:2.3:a:microsoft:exchange_server:2016:cumulative_update_19:*:*:*:*:*:*"
            ),
            "{text}"
        );
    }

    #[test]
    fn jsonl_one_result_per_line() {
        let buf = Shared::default();
        let mut s = sink(Format::Jsonl, Box::new(buf.clone()));
        s.result(&result("https://192.0.2.1:443", ScanVerdict::Patched))
            .unwrap();
        s.result(&result("https://192.0.2.2:443", ScanVerdict::Vulnerable))
            .unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let rows: Vec<ScanResult> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows[1].verdict, ScanVerdict::Vulnerable);
    }
}
