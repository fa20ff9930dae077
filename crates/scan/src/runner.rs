//! The streaming pipeline: a reader thread parses, shards and filters targets into a bounded
//! channel; the dispatcher keeps at most `concurrency` targets in flight; a writer thread
//! streams results to the sink, records resume progress and draws the progress bar. Memory is
//! bounded by the channel sizes and the concurrency, never by the number of targets.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use chrono::Utc;
use exray_core::{InputError, Report, ReportKind, ScanResult, ScanVerdict, Verdict, ERROR_CAP};
use tokio::sync::{mpsc, Semaphore};

use crate::blocklist::BlockReason;
use crate::output::{Counts, Sink};
use crate::resume::Resume;
use crate::scanner::Scanner;
use crate::shard::Shard;
use crate::target::{Host, Target, TargetStream};

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub shard: Shard,
    pub seed: u64,
    pub resume: Option<PathBuf>,
    pub progress: bool,
    /// What was scanned, for the report's `scope`.
    pub scope: String,
    /// Stop on Ctrl-C: finish the targets in flight, save progress, write the report.
    pub stop_on_ctrl_c: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            shard: Shard::ALL,
            seed: 0,
            resume: None,
            progress: false,
            scope: String::new(),
            stop_on_ctrl_c: false,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    pub counts: Counts,
    /// Targets of this shard seen in the input (including resumed and refused ones).
    pub in_shard: u64,
    pub other_shards: u64,
    pub resumed: u64,
    pub refused: BTreeMap<&'static str, u64>,
    pub input_errors: u64,
    /// Stopped by Ctrl-C before the input was exhausted.
    pub interrupted: bool,
    /// The report written at the end (its `scan_results` were streamed, so it is empty here).
    pub report: Report,
}

impl RunSummary {
    pub fn vulnerable(&self) -> u64 {
        self.counts
            .get(ScanVerdict::Vulnerable.as_str())
            .copied()
            .unwrap_or(0)
    }
}

enum Out {
    Result(u64, Box<ScanResult>),
    Refused(u64, BlockReason),
    InputError(InputError),
}

#[derive(Default)]
struct ProducerStats {
    in_shard: AtomicU64,
    other: AtomicU64,
    resumed: AtomicU64,
}

struct Snapshot {
    in_shard: u64,
    other: u64,
    resumed: u64,
}

impl ProducerStats {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            in_shard: self.in_shard.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
            resumed: self.resumed.load(Ordering::Relaxed),
        }
    }
}

/// Scan every target of `stream` that belongs to `opts.shard`, writing each result to `sink`.
pub async fn run(
    scanner: Arc<Scanner>,
    stream: TargetStream,
    opts: RunOptions,
    mut sink: Box<dyn Sink>,
) -> Result<RunSummary> {
    let started = Utc::now();
    let mut resume = match &opts.resume {
        Some(p) => Some(Resume::open(p, opts.shard, opts.seed)?),
        None => None,
    };
    let start_at = resume.as_ref().map_or(0, |r| r.start);
    let concurrency = scanner.config.concurrency.max(1);
    let (job_tx, mut job_rx) = mpsc::channel::<(u64, Target)>(1024.max(concurrency));
    let (out_tx, mut out_rx) = mpsc::channel::<Out>(4096);

    // Reader thread: blocking I/O on files and stdin stays off the async workers.
    let stats = Arc::new(ProducerStats::default());
    let producer = {
        let st = stats.clone();
        let out_tx = out_tx.clone();
        let scanner = scanner.clone();
        let (shard, seed) = (opts.shard, opts.seed);
        std::thread::Builder::new()
            .name("exray-scan-targets".into())
            .spawn(move || {
                let mut in_shard = 0u64;
                for item in stream {
                    let t = match item {
                        Ok(t) => t,
                        Err(e) => {
                            if out_tx.blocking_send(Out::InputError(e)).is_err() {
                                break;
                            }
                            continue;
                        }
                    };
                    if !shard.contains(seed, &t.key()) {
                        st.other.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let idx = in_shard;
                    in_shard += 1;
                    st.in_shard.store(in_shard, Ordering::Relaxed);
                    if idx < start_at {
                        st.resumed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let bl = &scanner.config.blocklist;
                    let refused = match &t.host {
                        Host::Ip(ip) => bl.check_ip(*ip),
                        Host::Name(n) => bl.check_name(n),
                    };
                    let sent = match refused {
                        Some(reason) => out_tx.blocking_send(Out::Refused(idx, reason)).is_ok(),
                        None => job_tx.blocking_send((idx, t)).is_ok(),
                    };
                    if !sent {
                        break;
                    }
                }
            })?
    };

    // Writer thread: the sink does blocking writes.
    let progress = opts.progress;
    let writer = std::thread::Builder::new()
        .name("exray-scan-output".into())
        .spawn(move || -> Result<_> {
            let bar = progress.then(|| {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} {elapsed_precise} {pos} targets ({per_sec}) {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(std::time::Duration::from_millis(250));
                b
            });
            let mut counts = Counts::new();
            let mut refused: BTreeMap<&'static str, u64> = BTreeMap::new();
            let mut errors: Vec<InputError> = Vec::new();
            let mut input_errors = 0u64;
            while let Some(o) = out_rx.blocking_recv() {
                match o {
                    Out::Result(idx, r) => {
                        *counts.entry(r.verdict.as_str()).or_insert(0) += 1;
                        sink.result(&r)
                            .map_err(|e| anyhow!("writing results: {e}"))?;
                        if let Some(res) = resume.as_mut() {
                            res.done(idx)?;
                        }
                        if let Some(b) = &bar {
                            b.inc(1);
                            if r.verdict == ScanVerdict::Vulnerable {
                                b.set_message(format!("{} vulnerable", counts["vulnerable"]));
                            }
                        }
                    }
                    Out::Refused(idx, reason) => {
                        *refused.entry(reason.as_str()).or_insert(0) += 1;
                        if let Some(res) = resume.as_mut() {
                            res.done(idx)?;
                        }
                    }
                    Out::InputError(e) => {
                        input_errors += 1;
                        tracing::warn!(
                            "{}:{}: {}",
                            e.file,
                            e.line.map(|l| l.to_string()).unwrap_or_default(),
                            e.message
                        );
                        if errors.len() < ERROR_CAP {
                            errors.push(e);
                        }
                    }
                }
            }
            if let Some(res) = resume.as_mut() {
                res.sync()?;
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            Ok((sink, counts, refused, errors, input_errors))
        })?;

    // Dispatcher.
    let sem = Arc::new(Semaphore::new(concurrency));
    let mut interrupted = false;
    let mut ctrl_c = Box::pin(async {
        if opts.stop_on_ctrl_c {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    });
    let mut finished_input = false;
    loop {
        let next = tokio::select! {
            j = job_rx.recv() => j,
            _ = &mut ctrl_c => {
                interrupted = true;
                tracing::warn!("interrupted: finishing the targets in flight, then stopping");
                None
            }
        };
        let Some((idx, target)) = next else {
            finished_input = !interrupted;
            break;
        };
        if out_tx.is_closed() {
            break; // the writer failed: stop scanning, report its error below
        }
        let permit = sem.clone().acquire_owned().await?;
        let scanner = scanner.clone();
        let tx = out_tx.clone();
        tokio::spawn(async move {
            let r = scanner.scan(&target).await;
            let _ = tx.send(Out::Result(idx, Box::new(r))).await;
            drop(permit);
        });
    }
    // Unblock the reader if it is waiting to hand over a target.
    drop(job_rx);
    // Wait for the last targets in flight.
    let _all = sem.acquire_many(concurrency as u32).await?;
    drop(out_tx);
    // The reader has finished when the input was exhausted; otherwise it may be blocked
    // reading stdin: leave it, with the counts it reached.
    let pstats = if finished_input {
        producer
            .join()
            .map_err(|_| anyhow!("target reader thread panicked"))?;
        stats.snapshot()
    } else {
        stats.snapshot()
    };
    let (mut sink, counts, refused, errors, input_errors) = writer
        .join()
        .map_err(|_| anyhow!("output thread panicked"))??;

    let mut report = Report::new(ReportKind::Scan, opts.scope.clone());
    report.started_at = started;
    report.finished_at = Utc::now();
    report.verdict = Verdict::NotAssessed;
    let total: u64 = counts.values().sum();
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    report.verdict_reason = format!(
        "passive network scan of {total} targets ({}): a scan assesses exposure, not compromise; hunt the vulnerable servers",
        if parts.is_empty() { "none answered".to_string() } else { parts.join(", ") }
    );
    report.summary.records_read = total;
    report.summary.input_errors = input_errors;
    report.errors = errors;
    if opts.shard.count > 1 {
        report.warnings.push(format!(
            "shard {} (seed {}): {} targets of this shard, {} left to the other shards",
            opts.shard, opts.seed, pstats.in_shard, pstats.other
        ));
    }
    if interrupted {
        report.warnings.push(match &opts.resume {
            Some(p) => format!(
                "interrupted before the end of the input: rerun with --resume {} to continue",
                p.display()
            ),
            None => {
                "interrupted before the end of the input (use --resume FILE to be able to continue)"
                    .to_string()
            }
        });
    }
    if pstats.resumed > 0 {
        report.warnings.push(format!(
            "resumed: {} targets done by an earlier run were skipped",
            pstats.resumed
        ));
    }
    for (reason, n) in &refused {
        report
            .warnings
            .push(format!("{n} targets refused: {reason}"));
    }
    sink.finish(&report, &counts)
        .map_err(|e| anyhow!("writing results: {e}"))?;
    Ok(RunSummary {
        counts,
        in_shard: pstats.in_shard,
        other_shards: pstats.other,
        resumed: pstats.resumed,
        refused,
        input_errors,
        interrupted,
        report,
    })
}
