//! exray-import: the reports CERTs already receive, as exray scan reports.
//!
//! [`feed`] reads a foreign feed row by row (Shadowserver's Exchange reports, generic CSV or
//! JSON lines); [`judge`] turns a row into an exray [`ScanResult`] through the build catalogue;
//! [`Importer`] groups the results into `exray.report/v1` scan reports of at most
//! `chunk_rows` results each, so a file of any size is imported with bounded memory, and each
//! report can be uploaded to `exray serve` as it is made.
//!
//! Report ids are derived from the rows, the feed, the source name and the catalogue, so
//! importing the same file again gives the same reports (the service answers "duplicate").
//! A row that yields no scan result is an input error of its report (line and reason); a row
//! whose build cannot be judged is a result with verdict `exchange_unknown_build` and the
//! reason in `error`. Both are counted per reason in [`ImportStats`].

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use exray_core::{InputError, Report, ReportKind, ScanResult, Verdict, ERROR_CAP};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub mod feed;
pub mod judge;

pub use feed::{FeedError, FeedReader, FeedRow, Format, RowError};
pub use judge::{Judge, Judged, Reason};

/// Results per report by default: a report of this size is a few MiB of JSON, under the
/// service's 8 MiB "large report" threshold.
pub const DEFAULT_CHUNK_ROWS: usize = 5000;

/// What an import did, row by row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    /// Data rows read (blank lines not counted).
    pub rows: u64,
    /// Rows that became scan results.
    pub results: u64,
    /// Rows that became no result (see `reasons`).
    pub rejected: u64,
    /// Results whose build could not be judged (see `reasons`).
    pub unjudged: u64,
    /// Results per verdict.
    pub verdicts: BTreeMap<String, u64>,
    /// Rejected and unjudged rows per reason.
    pub reasons: BTreeMap<String, u64>,
    /// Reports made.
    pub reports: u64,
}

/// A digest of the embedded catalogue: the same rows judged by another catalogue are
/// another report.
static CATALOG_DIGEST: LazyLock<[u8; 32]> = LazyLock::new(|| {
    let mut h = Sha256::new();
    h.update(exray_catalog::RELEASES_CSV);
    h.update(exray_catalog::FAMILIES_CSV);
    h.update(exray_catalog::DECISIONS_CSV);
    h.finalize().into()
});

/// Turns rows into reports of at most `chunk_rows` results.
pub struct Importer {
    format: Format,
    scope: String,
    chunk_rows: usize,
    judge: Judge,
    stats: ImportStats,
    results: Vec<ScanResult>,
    errors: Vec<InputError>,
    chunk_rows_read: u64,
    chunk_rejected: u64,
    chunk_unjudged: BTreeMap<&'static str, u64>,
    digest: Sha256,
}

impl Importer {
    /// `source_name` names the input in the reports (a file name, or `upload`).
    pub fn new(format: Format, source_name: &str, chunk_rows: usize) -> Importer {
        Importer {
            format,
            scope: format!("import {} {}", format.as_str(), source_name),
            chunk_rows: chunk_rows.max(1),
            judge: Judge::new(format.as_str(), Utc::now()),
            stats: ImportStats::default(),
            results: Vec::new(),
            errors: Vec::new(),
            chunk_rows_read: 0,
            chunk_rejected: 0,
            chunk_unjudged: BTreeMap::new(),
            digest: Sha256::new(),
        }
    }

    fn source_file(&self) -> String {
        self.scope.clone()
    }

    /// Take one row; returns a report when one is full.
    pub fn push(&mut self, row: Result<FeedRow, RowError>) -> Option<Report> {
        self.stats.rows += 1;
        self.chunk_rows_read += 1;
        match row {
            Err(e) => {
                self.digest.update(e.to_string().as_bytes());
                self.reject(e.line(), "unreadable_row", e.to_string());
            }
            Ok(row) => {
                self.digest_row(&row);
                match self.judge.judge(&row) {
                    Judged::Rejected(r) => self.reject(
                        row.line,
                        r.kind,
                        format!("line {}: {}", row.line, r.message),
                    ),
                    Judged::Result { result, unjudged } => {
                        self.stats.results += 1;
                        *self
                            .stats
                            .verdicts
                            .entry(result.verdict.as_str().to_string())
                            .or_default() += 1;
                        if let Some(r) = unjudged {
                            self.stats.unjudged += 1;
                            *self.stats.reasons.entry(r.kind.to_string()).or_default() += 1;
                            *self.chunk_unjudged.entry(r.kind).or_default() += 1;
                        }
                        self.results.push(*result);
                    }
                }
            }
        }
        (self.results.len() >= self.chunk_rows).then(|| self.take_report())
    }

    fn digest_row(&mut self, row: &FeedRow) {
        let d = &mut self.digest;
        d.update(row.line.to_le_bytes());
        for f in [
            &row.ip,
            &row.port,
            &row.hostname,
            &row.timestamp,
            &row.version,
            &row.tag,
        ] {
            d.update(f.as_deref().unwrap_or("\u{0}").as_bytes());
            d.update([0xff]);
        }
        for (k, v) in &row.extra {
            d.update(k.as_bytes());
            d.update(v.as_bytes());
            d.update([0xfe]);
        }
    }

    fn reject(&mut self, line: u64, kind: &str, message: String) {
        self.stats.rejected += 1;
        self.chunk_rejected += 1;
        *self.stats.reasons.entry(kind.to_string()).or_default() += 1;
        if self.errors.len() < ERROR_CAP {
            self.errors.push(InputError {
                file: self.source_file(),
                line: Some(line),
                record: None,
                message,
            });
        }
    }

    /// The last, partial report (None when nothing is left).
    pub fn finish(&mut self) -> Option<Report> {
        (self.chunk_rows_read > 0).then(|| self.take_report())
    }

    pub fn stats(&self) -> &ImportStats {
        &self.stats
    }

    fn take_report(&mut self) -> Report {
        let results = std::mem::take(&mut self.results);
        let errors = std::mem::take(&mut self.errors);
        let unjudged = std::mem::take(&mut self.chunk_unjudged);
        let rows = std::mem::replace(&mut self.chunk_rows_read, 0);
        let rejected = std::mem::replace(&mut self.chunk_rejected, 0);
        let digest = std::mem::replace(&mut self.digest, Sha256::new());
        self.stats.reports += 1;

        let mut id = Sha256::new();
        id.update(self.scope.as_bytes());
        id.update(self.stats.reports.to_le_bytes());
        id.update(*CATALOG_DIGEST);
        id.update(digest.finalize());
        let id = hex::encode(id.finalize());

        let mut r = Report::new(ReportKind::Scan, self.scope.clone());
        r.report_id = format!("import-{}", &id[..32]);
        let first = results.iter().map(|s| s.scanned_at).min();
        let last = results.iter().map(|s| s.scanned_at).max();
        // Deterministic times (the rows' own), so a re-import is the same report.
        let epoch: DateTime<Utc> = DateTime::from_timestamp(946_684_800, 0).unwrap_or_default();
        r.started_at = first.unwrap_or(epoch);
        r.finished_at = last.unwrap_or(epoch);
        r.verdict = Verdict::NotAssessed;
        r.verdict_reason = format!(
            "import of {rows} rows of a {} feed ({} results, {rejected} rows without a result): \
             a feed's scan assesses exposure, not compromise; hunt the vulnerable servers",
            self.format.as_str(),
            results.len()
        );
        r.summary.records_read = rows;
        r.summary.input_errors = rejected;
        r.errors = errors;
        for (kind, n) in unjudged {
            r.warnings
                .push(format!("{n} results not judged by build: {kind}"));
        }
        r.scan_results = results;
        r
    }
}

/// Errors of a whole import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("handing over report {report}: {error}")]
    Sink { report: u64, error: E },
}

/// Import `input` in `format`, handing every report to `sink` as it is made.
pub fn import<R: Read, E: std::error::Error + 'static>(
    input: R,
    format: Format,
    source_name: &str,
    chunk_rows: usize,
    mut sink: impl FnMut(Report) -> Result<(), E>,
) -> Result<ImportStats, ImportError<E>> {
    let mut rdr = FeedReader::new(input, format, source_name)?;
    let mut imp = Importer::new(format, source_name, chunk_rows);
    while let Some(row) = rdr.next_row()? {
        if let Some(rep) = imp.push(row) {
            let n = imp.stats().reports;
            sink(rep).map_err(|error| ImportError::Sink { report: n, error })?;
        }
    }
    if let Some(rep) = imp.finish() {
        let n = imp.stats().reports;
        sink(rep).map_err(|error| ImportError::Sink { report: n, error })?;
    }
    Ok(imp.stats().clone())
}
