//! Verification by itself (`exray serve --verify-every 24h`): every round re-fingerprints, with
//! the passive scanner of `exray scan` and its rate limits, each host awaiting verification
//! (*notified*: `exray_store::state::AWAITING_VERIFICATION`), and feeds the results to the store
//! as an ordinary scan report by the system principal `system:verify`. The state machine moves
//! the host by the result: a fixed build → *patched*; still vulnerable → stays *notified*;
//! unreachable (or an error, or no longer Exchange) → moves nothing, the observation is kept.
//!
//! Not probed: hosts of organisations that opted out (`orgs.verify_opt_out`), and addresses or
//! names the blocklist refuses (the scanner's built-in reserved ranges, loopback and private
//! ranges unless allowed, and the `--verify-blocklist` file in the scanner's `--exclude` format).
//!
//! Audit: a `verify.round.start` row (candidates), one `verify.probe` row per probed host (its
//! target, the requests its evidence records, the verdict), and a `verify.round.finish` row with
//! the counts; the ingested reports add their usual `report.ingest` rows.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use exray_core::{Report, ReportKind, ScanResult, ScanVerdict, Verdict};
use exray_scan::blocklist::Blocklist;
use exray_scan::output::{Counts, Sink};
use exray_scan::target::{Scheme, Source, TargetStream};
use exray_scan::{RunOptions, ScanConfig, Scanner};
use exray_store::verify::{AuditEntry, VerifyCandidate};
use exray_store::{PreparedReport, Principal, Store};
use serde::Serialize;
use tokio::sync::mpsc;

/// The name of the verification task's principal (`system:verify` in the audit log).
pub const PRINCIPAL: &str = "verify";

/// Results per ingested report at most.
const REPORT_ROWS: usize = 1000;
/// A report is ingested at least this often while a round runs (so a long round's results are
/// stored as they come).
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// How a verification round scans.
#[derive(Clone, Debug)]
pub struct VerifyConfig {
    /// Interval between the starts of two rounds.
    pub every: Duration,
    /// The scanner's settings: rate (requests/s), concurrency, deadlines, blocklist.
    pub scan: ScanConfig,
}

impl VerifyConfig {
    /// `rate` requests/s over every host, `blocklist` as the scanner's.
    pub fn new(every: Duration, rate: u32, concurrency: usize, blocklist: Blocklist) -> Self {
        VerifyConfig {
            every,
            scan: ScanConfig {
                rate,
                concurrency: concurrency.max(1),
                blocklist,
                ..ScanConfig::default()
            },
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RoundOutcome {
    /// Hosts awaiting verification.
    pub candidates: u64,
    /// Not probed: their organisation opted out.
    pub opted_out: u64,
    /// Not probed: refused by the blocklist.
    pub blocklisted: u64,
    /// Probed.
    pub probed: u64,
    /// Results per scan verdict.
    pub verdicts: BTreeMap<String, u64>,
    /// State transitions the results caused (e.g. notified → patched).
    pub transitions: u64,
    /// Reports ingested.
    pub reports: u64,
    pub seconds: f64,
}

/// Start the verification loop: a round at once, then one every `cfg.every` (measured from the
/// start of the previous round; a round that overruns delays the next, none is skipped twice).
pub fn spawn(store: Arc<Store>, cfg: VerifyConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(cfg.every.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match verify_round(&store, &cfg).await {
                Ok(o) => tracing::info!(
                    candidates = o.candidates,
                    probed = o.probed,
                    opted_out = o.opted_out,
                    blocklisted = o.blocklisted,
                    transitions = o.transitions,
                    seconds = o.seconds,
                    "verification round done"
                ),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "verification round failed"),
            }
        }
    })
}

/// A candidate's target: its latest scan's scheme and port, at its address (else its name).
fn target_of(c: &VerifyCandidate) -> Option<(String, Option<IpAddr>)> {
    let ip: Option<IpAddr> = c.ip.as_deref().and_then(|s| s.parse().ok());
    let host = match (ip, c.hostname.as_deref()) {
        (Some(IpAddr::V6(v6)), _) => format!("[{v6}]"),
        (Some(ip), _) => ip.to_string(),
        (None, Some(name)) => name.to_ascii_lowercase(),
        (None, None) => return None,
    };
    let (mut scheme, mut port) = (None, c.last_port);
    if let Some(t) = c.last_target.as_deref() {
        if let Some((s, rest)) = t.split_once("://") {
            scheme = match s.to_ascii_lowercase().as_str() {
                "http" => Some(Scheme::Http),
                "https" => Some(Scheme::Https),
                _ => None,
            };
            let authority = rest.split('/').next().unwrap_or(rest);
            let after_host = authority.rsplit_once(']').map_or(authority, |(_, p)| p);
            if let Some((_, p)) = after_host.rsplit_once(':') {
                port = p.parse().ok().or(port);
            } else if port.is_none() {
                port = scheme.map(|s| if s == Scheme::Http { 80 } else { 443 });
            }
        }
    }
    let port = port.unwrap_or(443);
    let scheme = scheme.unwrap_or_else(|| Scheme::for_port(port));
    Some((format!("{}://{host}:{port}", scheme.as_str()), ip))
}

/// Results of the scanner's pipeline, handed to the ingesting task.
struct ChannelSink(mpsc::Sender<ScanResult>);

impl Sink for ChannelSink {
    fn result(&mut self, r: &ScanResult) -> std::io::Result<()> {
        self.0
            .blocking_send(r.clone())
            .map_err(|_| std::io::Error::other("verification ingest stopped"))
    }
    fn finish(&mut self, _report: &Report, _counts: &Counts) -> std::io::Result<()> {
        Ok(())
    }
}

/// The requests a result's evidence records, for its audit row.
fn requests_of(r: &ScanResult) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in &r.evidence {
        let path = e
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or(&e.url);
        let s = match e.status {
            Some(st) => format!("{} {path} {st}", e.method),
            None => format!("{} {path}", e.method),
        };
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    let mut out = seen.join(", ");
    if out.len() > 1024 {
        let mut cut = 1024;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// One verification round. Returns when every probe is answered and its results are ingested.
pub async fn verify_round(store: &Store, cfg: &VerifyConfig) -> anyhow::Result<RoundOutcome> {
    let started = Instant::now();
    let round_id = uuid::Uuid::new_v4().simple().to_string();
    let principal = Principal::system(PRINCIPAL);
    let actor = principal.actor();
    let candidates = store
        .verify_candidates()
        .await
        .context("listing the hosts awaiting verification")?;
    let mut out = RoundOutcome {
        candidates: candidates.len() as u64,
        ..RoundOutcome::default()
    };
    let blocklist = &cfg.scan.blocklist;
    let mut targets: Vec<String> = Vec::new();
    let mut host_of: HashMap<String, i64> = HashMap::new();
    for c in &candidates {
        if c.opted_out {
            out.opted_out += 1;
            continue;
        }
        let Some((target, ip)) = target_of(c) else {
            out.blocklisted += 1; // nothing to address: counted with the refused
            continue;
        };
        let refused = match ip {
            Some(ip) => blocklist.check_ip(ip),
            None => c.hostname.as_deref().and_then(|n| blocklist.check_name(n)),
        };
        if refused.is_some() {
            out.blocklisted += 1;
            continue;
        }
        host_of.insert(target.clone(), c.host_id);
        targets.push(target);
    }
    store
        .audit_system(
            &actor,
            &[AuditEntry {
                action: "verify.round.start".into(),
                object: format!("verify-round:{round_id}"),
                detail: format!(
                    "candidates={} to_probe={} opted_out={} blocklisted={} rate={}/s",
                    out.candidates,
                    targets.len(),
                    out.opted_out,
                    out.blocklisted,
                    cfg.scan.rate
                ),
            }],
        )
        .await?;

    let scope = format!("exray serve verification round {round_id}");
    let scanner = Arc::new(Scanner::new(cfg.scan.clone()));
    let (tx, mut rx) = mpsc::channel::<ScanResult>(4096);
    let stream = TargetStream::new(vec![Source::Args(targets)], vec![443], 0);
    let opts = RunOptions {
        scope: scope.clone(),
        ..RunOptions::default()
    };
    let scan = tokio::spawn(exray_scan::run(
        scanner,
        stream,
        opts,
        Box::new(ChannelSink(tx)),
    ));

    // Ingest as results come: a report per REPORT_ROWS results or REPORT_EVERY.
    let mut batch: Vec<ScanResult> = Vec::new();
    let mut batch_started = tokio::time::Instant::now();
    let mut ingest_error: Option<anyhow::Error> = None;
    loop {
        let next = if batch.is_empty() {
            rx.recv().await.map(Some)
        } else {
            match tokio::time::timeout_at(batch_started + REPORT_EVERY, rx.recv()).await {
                Ok(r) => r.map(Some),
                Err(_) => Some(None), // time to flush
            }
        };
        let done = match next {
            None => true,
            Some(Some(r)) => {
                if batch.is_empty() {
                    batch_started = tokio::time::Instant::now();
                }
                batch.push(r);
                false
            }
            Some(None) => false,
        };
        let flush = done
            || batch.len() >= REPORT_ROWS
            || (!batch.is_empty() && tokio::time::Instant::now() >= batch_started + REPORT_EVERY);
        if flush && !batch.is_empty() {
            let results = std::mem::take(&mut batch);
            if let Err(e) =
                ingest_batch(store, &principal, &scope, &host_of, results, &mut out).await
            {
                // Keep draining so the scanner finishes; report the first failure.
                tracing::warn!(error = %format!("{e:#}"), "verification results not stored");
                ingest_error.get_or_insert(e);
            }
        }
        if done {
            break;
        }
    }
    let summary = scan.await.context("the verification scan panicked")??;
    out.blocklisted += summary.refused.values().sum::<u64>();
    out.seconds = started.elapsed().as_secs_f64();
    let verdicts: Vec<String> = out
        .verdicts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    store
        .audit_system(
            &actor,
            &[AuditEntry {
                action: "verify.round.finish".into(),
                object: format!("verify-round:{round_id}"),
                detail: format!(
                    "candidates={} probed={} opted_out={} blocklisted={} transitions={} reports={} seconds={:.1} {}{}",
                    out.candidates,
                    out.probed,
                    out.opted_out,
                    out.blocklisted,
                    out.transitions,
                    out.reports,
                    out.seconds,
                    verdicts.join(" "),
                    ingest_error
                        .as_ref()
                        .map(|e| format!(" error={e:#}"))
                        .unwrap_or_default()
                ),
            }],
        )
        .await?;
    match ingest_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Store one batch of results as a scan report of the system principal, and audit each probe.
async fn ingest_batch(
    store: &Store,
    principal: &Principal,
    scope: &str,
    host_of: &HashMap<String, i64>,
    results: Vec<ScanResult>,
    out: &mut RoundOutcome,
) -> anyhow::Result<()> {
    let mut probes = Vec::with_capacity(results.len());
    for r in &results {
        out.probed += 1;
        *out.verdicts
            .entry(r.verdict.as_str().to_string())
            .or_insert(0) += 1;
        let host = host_of
            .get(&r.target)
            .map_or_else(|| "host:?".to_string(), |id| format!("host:{id}"));
        probes.push(AuditEntry {
            action: "verify.probe".into(),
            object: host,
            detail: format!(
                "target={} verdict={} build={} requests=[{}]{}",
                r.target,
                r.verdict.as_str(),
                r.assessment.as_ref().map_or("-", |a| a.build.as_str()),
                requests_of(r),
                r.error
                    .as_deref()
                    .map(|e| format!(" error={}", e.chars().take(200).collect::<String>()))
                    .unwrap_or_default()
            ),
        });
    }
    let mut report = Report::new(ReportKind::Scan, scope);
    report.started_at = results
        .iter()
        .map(|r| r.scanned_at)
        .min()
        .unwrap_or(report.started_at);
    report.finished_at = results
        .iter()
        .map(|r| r.scanned_at)
        .max()
        .unwrap_or(report.finished_at);
    report.verdict = Verdict::NotAssessed;
    let vulnerable = results
        .iter()
        .filter(|r| r.verdict == ScanVerdict::Vulnerable)
        .count();
    report.verdict_reason = format!(
        "verification of notified hosts: {} results, {vulnerable} still vulnerable",
        results.len()
    );
    report.summary.records_read = results.len() as u64;
    report.scan_results = results;
    let body = serde_json::to_vec(&report)?;
    let prepared = PreparedReport::new(report, &body)?;
    let o = store.ingest_prepared(principal, prepared).await?;
    out.transitions += o.transitions;
    out.reports += 1;
    store.audit_system(&principal.actor(), &probes).await?;
    Ok(())
}

/// `30s`, `15m`, `24h`, `7d` (or a bare number of seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a number and a unit (s, m, h, d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (s, m, h, d)")),
    };
    if secs == 0 {
        return Err(format!("`{s}`: must be at least one second"));
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(
        ip: Option<&str>,
        name: Option<&str>,
        target: Option<&str>,
        port: Option<u16>,
    ) -> VerifyCandidate {
        VerifyCandidate {
            host_id: 1,
            org_id: None,
            ip: ip.map(str::to_string),
            hostname: name.map(str::to_string),
            last_target: target.map(str::to_string),
            last_port: port,
            opted_out: false,
        }
    }

    #[test]
    fn targets_keep_the_last_scheme_and_port() {
        let t = |c: VerifyCandidate| target_of(&c).map(|(t, _)| t);
        assert_eq!(
            t(cand(
                Some("192.0.2.7"),
                None,
                Some("https://192.0.2.7:8443/owa/"),
                Some(8443)
            )),
            Some("https://192.0.2.7:8443".into())
        );
        assert_eq!(
            t(cand(
                Some("192.0.2.7"),
                None,
                Some("http://192.0.2.7:8080"),
                None
            )),
            Some("http://192.0.2.7:8080".into())
        );
        assert_eq!(
            t(cand(
                Some("192.0.2.7"),
                None,
                Some("https://192.0.2.7/"),
                Some(443)
            )),
            Some("https://192.0.2.7:443".into())
        );
        assert_eq!(
            t(cand(
                Some("2001:db8::1"),
                None,
                Some("https://[2001:db8::1]:444"),
                None
            )),
            Some("https://[2001:db8::1]:444".into())
        );
        // An imported feed's result names only the port.
        assert_eq!(
            t(cand(
                Some("192.0.2.7"),
                Some("mail.example.org"),
                None,
                Some(80)
            )),
            Some("http://192.0.2.7:80".into())
        );
        assert_eq!(
            t(cand(None, Some("Mail.Example.org"), None, None)),
            Some("https://mail.example.org:443".into())
        );
        assert_eq!(t(cand(None, None, None, None)), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
