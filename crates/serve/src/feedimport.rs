//! A third-party feed into the store: the feed is read and judged by [`exray_import`] on a
//! thread of its own, each report of `chunk_rows` results is handed over a bounded channel
//! (two reports in flight at most, so memory stays bounded whatever the feed's size) and
//! ingested through [`Store::ingest`], the same gate as an uploaded report. Used by
//! `POST /api/v1/import` and by the import benchmark.

use std::io::Read;

use exray_import::{Format, ImportStats};
use exray_store::{IngestOutcome, PreparedReport, Principal, Store, StoreError};
use serde::Serialize;

/// What one feed import did: the rows (import side) and what the reports changed (ingest side).
#[derive(Clone, Debug, Default, Serialize)]
pub struct FeedOutcome {
    pub import: ImportStats,
    /// Reports ingested (each chunk of the feed is one report).
    pub reports: u64,
    /// Reports already stored with the same content (a re-import).
    pub duplicates: u64,
    /// Scan results the reports carried.
    pub received: u64,
    /// Staff only (see [`IngestOutcome`]): what the results changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest: Option<IngestTotals>,
}

/// Summed ingest counters (staff view).
#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestTotals {
    pub hosts: u64,
    pub observations: u64,
    pub transitions: u64,
    /// Results left unchanged: not Exchange for an unknown host, or outside the uploader's scope.
    pub skipped: u64,
    /// Results stored on hosts attributed to an organisation.
    pub attributed: u64,
    /// Results stored on hosts no organisation's network, ASN or domain covers.
    pub unattributed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedImportError {
    #[error("{0}")]
    Feed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Import `input` (a feed in `format`) into `store` on behalf of `p`.
pub async fn import_feed<R: Read + Send + 'static>(
    store: &Store,
    p: &Principal,
    input: R,
    format: Format,
    source_name: String,
    chunk_rows: usize,
) -> Result<FeedOutcome, FeedImportError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<PreparedReport, StoreError>>(2);
    let producer = std::thread::spawn(move || {
        exray_import::import(input, format, &source_name, chunk_rows, |report| {
            let body = serde_json::to_vec(&report).map_err(std::io::Error::other)?;
            // Validated, hashed and compressed here, so that the store only writes.
            tx.blocking_send(PreparedReport::new(report, &body))
                .map_err(|_| std::io::Error::other("the ingest side stopped"))
        })
    });
    let mut out = FeedOutcome::default();
    let mut totals = IngestTotals::default();
    let mut failed = None;
    while let Some(prepared) = rx.recv().await {
        // The report as built, with its serialisation: stored and hashed like an upload,
        // validated like one, not parsed again.
        match async { store.ingest_prepared(p, prepared?).await }.await {
            Ok(o) => add(&mut out, &mut totals, &o),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let stats = producer
        .join()
        .map_err(|_| FeedImportError::Feed("the feed reader panicked".into()))?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.import = stats.map_err(|e| FeedImportError::Feed(e.to_string()))?;
    if p.scope().is_none() {
        out.ingest = Some(totals);
    }
    Ok(out)
}

fn add(out: &mut FeedOutcome, t: &mut IngestTotals, o: &IngestOutcome) {
    out.reports += 1;
    out.duplicates += u64::from(o.duplicate);
    out.received += o.received;
    t.hosts += o.hosts;
    t.observations += o.observations;
    t.transitions += o.transitions;
    t.skipped += o.skipped;
    t.attributed += o.attributed;
    t.unattributed += o.unattributed;
}
