//! `exray hunt`: discovery → parallel detectors over every log and event file → file sweep →
//! findings, incidents, coverage and a verdict, in one [`Report`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use exray_core::content::ContentRules;
use exray_core::{correlate, verdict, InputError, Report, ReportKind, SourceCoverage, SourceKind};
use exray_files::evidence::{self, Kind};
use exray_files::{Baseline, Iocs};

use crate::detect::{self, Ctx, Window};
use crate::discover::{discover, Overrides, SourceFile};

/// Progress as work goes: (files done, files total, bytes done).
pub type Progress = dyn Fn(u64, u64, u64) + Send + Sync;

#[derive(Default)]
pub struct HuntOptions {
    pub path: PathBuf,
    pub overrides: Overrides,
    pub scan_paths: Vec<PathBuf>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Skip the file sweep (logs and events only).
    pub no_files: bool,
    pub iocs: Option<Iocs>,
    pub baseline: Option<Baseline>,
    /// Event rules (built-in plus user files); `None`: the built-in rules.
    pub event_rules: Option<crate::eventrules::EventRules>,
    pub progress: Option<Box<Progress>>,
}

#[derive(Debug)]
pub enum HuntError {
    NotFound(PathBuf),
}

impl std::fmt::Display for HuntError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HuntError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
        }
    }
}

impl std::error::Error for HuntError {}

fn threads(n: usize) -> usize {
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    }
}

/// Run the log and event detectors over `sources` on `n` threads.
pub fn hunt_sources<'a>(
    sources: &[SourceFile],
    window: Window,
    ioc_ips: &'a HashSet<String>,
    event_rules: &'a crate::eventrules::EventRules,
    n: usize,
    progress: Option<&Progress>,
) -> Ctx<'a> {
    let mut order: Vec<&SourceFile> = sources.iter().collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.size)); // largest first balances the pool
                                                      // IOC addresses are needles too, so the lines that carry them reach the rules.
    let ioc_pats: Vec<exray_parse::prefilter::OwnedPat> = ioc_ips
        .iter()
        .map(|ip| exray_parse::prefilter::OwnedPat {
            text: ip.clone(),
            exact: false,
        })
        .collect();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let total = order.len() as u64;
    let results: Mutex<Vec<Ctx<'a>>> = Mutex::new(Vec::new());
    let zip_bytes = std::sync::Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for _ in 0..n.min(order.len()).max(1) {
            s.spawn(|| {
                let mut ctx = Ctx::new(window, ioc_ips, event_rules);
                ctx.zip_bytes = zip_bytes.clone();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(src) = order.get(i) else { break };
                    ctx.current_kind = Some(src.kind);
                    // A bug in a detector must not lose the hunt: the file becomes an input error.
                    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match src.kind {
                        SourceKind::HttpProxy => {
                            detect::httpproxy::hunt(&src.path, &src.display, &mut ctx, &ioc_pats)
                        }
                        SourceKind::Iis => detect::iis::hunt(&src.path, &src.display, &mut ctx, &ioc_pats),
                        SourceKind::EcpServer => detect::ecp::hunt(&src.path, &src.display, &mut ctx),
                        SourceKind::OabGenerator => detect::oab::hunt(&src.path, &src.display, &mut ctx),
                        SourceKind::Evtx => detect::events::hunt_evtx(&src.path, &src.display, &mut ctx),
                        SourceKind::EventJson => detect::events::hunt_json(&src.path, &src.display, &mut ctx, &ioc_pats),
                        _ => {}
                    }));
                    if res.is_err() {
                        ctx.error(&src.display, None, None, "internal error while reading this file (a bug: please report it); the rest of the hunt went on");
                    }
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let b = bytes.fetch_add(src.size, Ordering::Relaxed) + src.size;
                    if let Some(p) = progress {
                        p(d, total, b);
                    }
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).push(ctx);
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut first = all
        .pop()
        .unwrap_or_else(|| Ctx::new(window, ioc_ips, event_rules));
    for c in all {
        first.merge(c);
    }
    first
}

/// Run a whole hunt.
pub fn run(opts: &HuntOptions, content: Option<&dyn ContentRules>) -> Result<Report, HuntError> {
    if !opts.path.exists() {
        return Err(HuntError::NotFound(opts.path.clone()));
    }
    let mut report = Report::new(ReportKind::Hunt, opts.path.display().to_string());
    report.since = opts.since;
    report.until = opts.until;
    let window = Window {
        since: opts.since,
        until: opts.until,
    };
    // Problems found before the detectors run (folders not listed, special files, files over
    // their cap, configs and hives that cannot be read): input errors with their path.
    let mut early: Vec<InputError> = Vec::new();
    let mut d = discover(&opts.path, &opts.overrides);
    // Registry exports and hives, read once: installed updates, service states, install path.
    let registry = crate::registry::read(&opts.path, &d.system_roots, &mut early);
    let extra = crate::registry::missing_install_roots(
        &registry,
        &d.system_roots,
        &d.exchange_roots,
        &mut report.warnings,
    );
    if !extra.is_empty() {
        // The registry names an install folder discovery did not look in: read it too.
        let mut ov = opts.overrides.clone();
        ov.exchange_roots.extend(extra);
        d = discover(&opts.path, &ov);
    }
    report.warnings.extend(d.notes.iter().cloned());
    if d.unrecognised > 0 {
        report.warnings.push(format!(
            "{} file(s) skipped: not evidence exray reads (request logs, EVTX, JSON-lines event exports or zips of them, registry exports), e.g. {}",
            d.unrecognised,
            d.unrecognised_examples.join(", ")
        ));
    }
    report.host.exchange_roots = d
        .exchange_roots
        .iter()
        .map(
            |p| match d.system_roots.iter().find(|r| p.starts_with(&r.path)) {
                Some(r) => exray_files::winpath::display_windows(&r.path, r.drive, p),
                None => p.display().to_string(),
            },
        )
        .collect();
    installed_build(&d, &mut report, &mut early);
    installed_updates(&registry.updates, &mut report);
    for r in &d.system_roots {
        let ex: Vec<PathBuf> = d
            .exchange_roots
            .iter()
            .filter(|e| e.starts_with(&r.path))
            .cloned()
            .collect();
        let m = crate::mitigation::audit(&r.path, &ex, &mut report.warnings, &mut early);
        report.host.mitigations.extend(m);
        let s =
            crate::mitigation::audit_services(&r.path, &registry, &mut report.warnings, &mut early);
        report.host.mitigations.extend(s);
    }
    let empty = HashSet::new();
    let ioc_ips = opts.iocs.as_ref().map_or(&empty, |i| i.ips());
    let n = threads(opts.threads);
    let builtin_rules;
    let event_rules = match &opts.event_rules {
        Some(r) => r,
        None => {
            builtin_rules = crate::eventrules::EventRules::builtin();
            &builtin_rules
        }
    };
    let mut ctx = hunt_sources(
        &d.sources,
        window,
        ioc_ips,
        event_rules,
        n,
        opts.progress.as_deref(),
    );
    for e in early {
        ctx.error(&e.file, e.line, e.record, e.message);
    }
    // A request-log folder that could not be listed is a coverage row of its own, marked
    // unreadable: the verdict cannot rest on the logs that were read.
    for p in &d.problems {
        ctx.error(&p.display, None, None, p.message.clone());
        if let Some(kind) = p.request_log {
            let c = ctx.cov(kind, &p.display);
            c.unreadable = true;
            c.errors += 1;
            c.notes.push(p.message.clone());
        }
    }

    // The host's names and addresses: the registry's, and what the request logs wrote.
    crate::identity::assemble(
        &registry,
        &ctx.names,
        &mut report.host,
        &mut report.warnings,
    );

    // The file sweep.
    let mut file_cov: Vec<SourceCoverage> = Vec::new();
    // File times after the last log record are the collection's, not the server's.
    let last_record = crate::filetimes::last_record(ctx.coverage.values());
    let mut plan = Vec::new();
    // Each evidence root's entries in the plan: its collection's times are judged together.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut judged: Vec<crate::filetimes::Judged> = Vec::new();
    if !opts.no_files {
        for r in &d.system_roots {
            let ex: Vec<PathBuf> = d
                .exchange_roots
                .iter()
                .filter(|e| e.starts_with(&r.path))
                .cloned()
                .collect();
            // `--scan-path` folders go with the first root (once).
            let extra = if plan.is_empty() {
                &opts.scan_paths[..]
            } else {
                &[]
            };
            let start = plan.len();
            plan.extend(exray_files::plan(&r.path, r.drive, &ex, extra));
            groups.push(start..plan.len());
        }
        if d.system_roots.is_empty() && !opts.scan_paths.is_empty() {
            let start = plan.len();
            plan.extend(exray_files::plan(&opts.path, 'c', &[], &opts.scan_paths));
            groups.push(start..plan.len());
        }
        if !plan.is_empty() {
            let sweep_opts = exray_files::SweepOptions {
                threads: n,
                window: Some(exploitation_window(opts)),
                last_record,
                ..Default::default()
            };
            let empty_iocs = Iocs::default();
            let out = exray_files::sweep(
                &plan,
                &sweep_opts,
                content,
                opts.iocs.as_ref().unwrap_or(&empty_iocs),
                opts.baseline.as_ref(),
            );
            ctx.agg.merge(out.findings);
            ctx.error_count += out.error_count;
            for e in out.errors {
                if ctx.errors.len() < exray_core::ERROR_CAP {
                    ctx.errors.push(e);
                }
            }
            report.summary.files_read += out.files;
            report.summary.bytes_read += out.bytes;
            file_cov = out.coverage;
            judged = crate::filetimes::judge(&groups, &out.mtimes, last_record);
            crate::filetimes::annotate(&plan, &judged, &mut file_cov, &mut report.warnings);
        } else {
            report.warnings.push(
                "no web roots or staging folders to sweep (no system root under the path): web shells on disk were not looked for"
                    .into(),
            );
        }
    }

    let mut findings = ctx.agg.into_findings();
    crate::filetimes::apply(&mut findings, &plan, &judged, last_record);
    exray_core::aggregate::sort_findings(&mut findings);
    let site_first = |site: &str| {
        ctx.coverage
            .get(&(SourceKind::Iis, site.to_string()))
            .and_then(|c| c.first)
    };
    stacked_pages(
        &ctx.pages,
        window,
        exploitation_window(opts),
        &site_first,
        &mut findings,
        &mut report,
    );
    let incidents = correlate::correlate(&mut findings);
    for ((kind, loc), iv) in std::mem::take(&mut ctx.intervals) {
        if let Some(c) = ctx.coverage.get_mut(&(kind, loc)) {
            c.gaps = exray_core::gaps_between(iv, chrono::Duration::hours(24));
        }
    }
    for (site, pages, requests, vdirs) in ctx.pages.sites() {
        if let Some(c) = ctx.coverage.get_mut(&(SourceKind::Iis, site)) {
            c.notes.push(format!(
                "stacked {pages} script pages ({requests} requests) in {}",
                vdirs.join(", ")
            ));
        }
    }
    if ctx.pages.unstacked_requests > 0 {
        report.warnings.push(format!(
            "more than {} distinct script pages in the request logs: {} requests for the rest were not stacked for rarity",
            detect::pages::MAX_PAGES,
            ctx.pages.unstacked_requests
        ));
    }
    let mut coverage: Vec<SourceCoverage> = ctx.coverage.into_values().collect();
    for c in &mut coverage {
        if c.location.ends_with(detect::events::SKIPPED_SUFFIX) {
            c.notes.sort();
            if c.notes.len() > 10 {
                let all = std::mem::take(&mut c.notes);
                c.notes
                    .push(format!("{} files: {}", all.len(), all.join("; ")));
            }
        }
    }
    coverage.sort_by(|a, b| (a.source, &a.location).cmp(&(b.source, &b.location)));
    coverage.extend(file_cov);
    for c in &coverage {
        if c.source != SourceKind::FileSystem {
            report.summary.files_read += c.files;
            report.summary.bytes_read += c.bytes;
        }
        report.summary.records_read += c.records;
    }
    report.summary.input_errors = ctx.error_count;
    report.errors = ctx.errors;
    report
        .errors
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    report.findings = findings;
    report.incidents = incidents;
    report.coverage = coverage;
    if !d.exchange_roots.is_empty()
        && !report
            .coverage
            .iter()
            .any(|c| c.source == SourceKind::HttpProxy && c.records > 0)
    {
        report.warnings.push(
            "no HttpProxy logs under the Exchange install (Logging\\HttpProxy): the CVE-2021-26855 SSRF is best seen there".into(),
        );
    }
    verdict::conclude(&mut report);
    report.plan = crate::plan::PlanRules::builtin().derive(&report);
    report.finished_at = Utc::now();
    Ok(report)
}

/// Script pages stacked over the request logs: a rare page used like a tool becomes a finding
/// (high when tied to other evidence: the page is named by another finding, e.g. a file on
/// disk, or its client is in a high or critical finding), a rare page a lead.
fn stacked_pages(
    table: &detect::pages::PageTable,
    window: Window,
    exploitation: (DateTime<Utc>, DateTime<Utc>),
    site_first: &dyn Fn(&str) -> Option<DateTime<Utc>>,
    findings: &mut Vec<exray_core::Finding>,
    report: &mut Report,
) {
    let names = |f: &exray_core::Finding, page: &str| {
        f.artifacts.iter().any(|a| {
            let a = a.to_ascii_lowercase().replace('\\', "/");
            a == page || a.ends_with(page)
        })
    };
    let names_page = |page: &str| findings.iter().any(|f| names(f, page));
    // Tied to other evidence: a medium or stronger finding names the page (a file on disk, a
    // command sent to it, a tunnel trait), or a high one has one of its clients.
    let joined = |page: &str, clients: &[&str]| {
        findings.iter().any(|f| {
            f.severity >= exray_core::Severity::Medium
                && !f.rule_id.starts_with("EXRAY-WS-01")
                && names(f, page)
        }) || findings.iter().any(|f| {
            f.severity >= exray_core::Severity::High
                && !f.rule_id.starts_with("EXRAY-WS-01")
                && f.client_ips.iter().any(|ip| clients.contains(&ip.as_str()))
        })
    };
    let judged = detect::pages::judge(
        table,
        detect::pages::Context::new(exploitation, site_first, &joined, &names_page),
    );
    let mut agg = exray_core::aggregate::Aggregator::new();
    let mut counts: std::collections::HashMap<(String, String), u64> = Default::default();
    for hit in judged.hits {
        let in_window: Vec<_> = hit
            .evidence
            .into_iter()
            .filter(|e| window.contains(e.timestamp))
            .collect();
        if in_window.is_empty() {
            continue;
        }
        *counts
            .entry((hit.rule.id.clone(), hit.client.clone()))
            .or_default() += hit.requests;
        for ev in in_window {
            agg.add_with_artifacts(&hit.rule, &hit.client, ev, &[&hit.page]);
        }
    }
    if !agg.is_empty() {
        let mut new = agg.into_findings();
        for f in &mut new {
            if let Some(n) = f
                .client_ips
                .first()
                .and_then(|ip| counts.get(&(f.rule_id.clone(), ip.clone())))
            {
                f.count = *n;
            }
        }
        findings.extend(new);
        exray_core::aggregate::sort_findings(findings);
    }
    report.leads = judged.leads;
    if judged.leads_left_out > 0 {
        report.warnings.push(format!(
            "{} more rarely requested script pages are not listed as leads (the {} with the most signs are)",
            judged.leads_left_out,
            detect::pages::LEADS_CAP
        ));
    }
}

/// File times inside this window raise a file finding's weight: ProxyLogon's exploitation window
/// by default, or the hunt's own window when given.
fn exploitation_window(opts: &HuntOptions) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = opts
        .since
        .unwrap_or_else(|| Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap());
    let end = opts
        .until
        .unwrap_or_else(|| Utc.with_ymd_and_hms(2021, 4, 30, 0, 0, 0).unwrap());
    (start, end)
}

/// Read `Bin\ExSetup.exe`'s file version under each install root and ask the catalogue what it
/// means. `AdminDisplayVersion` ignores security updates; the file version does not.
fn installed_build(
    d: &crate::discover::Discovery,
    report: &mut Report,
    errors: &mut Vec<InputError>,
) {
    for ex in &d.exchange_roots {
        let Some(exe) = exray_files::winpath::resolve_ci(ex, r"Bin\ExSetup.exe") else {
            continue;
        };
        let shown = exe.display().to_string();
        let Some(data) = read_small(&exe, Kind::Executable, &shown, errors) else {
            continue;
        };
        match exray_parse::pe::file_version(&data) {
            Some((a, b, c, e)) => {
                let mut assess = exray_catalog::Catalog::embedded().assess_parts(
                    a as u32,
                    b as u32,
                    Some(c as u32),
                    Some(e as u32),
                    "Bin\\ExSetup.exe file version",
                );
                assess.source = Some("Bin\\ExSetup.exe file version".into());
                report.host.build = Some(assess);
                return;
            }
            None => report.warnings.push(format!(
                "{}: no file version could be read; installed build unknown",
                exe.display()
            )),
        }
    }
}

/// Read a small evidence file (a config, a registry export, ExSetup.exe) whole, up to its kind's
/// cap; what cannot be opened or passes the cap becomes an input error with the path.
pub(crate) fn read_small(
    path: &Path,
    kind: Kind,
    display: &str,
    errors: &mut Vec<InputError>,
) -> Option<Vec<u8>> {
    let mut err = |message: String| {
        errors.push(InputError {
            file: display.to_string(),
            line: None,
            record: None,
            message,
        })
    };
    let mut ev = match evidence::open(path, kind) {
        Ok(ev) => ev,
        Err(e) => {
            err(e.to_string());
            return None;
        }
    };
    if let Some(note) = ev.size_note() {
        err(note);
    }
    match ev.read_capped() {
        Ok(b) => Some(b),
        Err(e) => {
            err(format!("read error: {e}"));
            None
        }
    }
}

/// Exchange updates listed in the registry (exports and hives) in the hunted folder, compared
/// with the build ExSetup.exe reports: an SU that is registered but whose build is not reached
/// usually failed to install (e.g. run without elevation).
fn installed_updates(
    updates: &[(String, exray_parse::regexport::InstalledUpdate)],
    report: &mut Report,
) {
    if updates.is_empty() {
        return;
    }
    let Some(build) = report.host.build.as_mut() else {
        for (file, u) in updates {
            report.warnings.push(format!(
                "{file}: registry lists {} ({}), but no ExSetup.exe version was read to confirm it",
                u.kb,
                u.package.as_deref().unwrap_or("?")
            ));
        }
        return;
    };
    for (file, u) in updates {
        build.notes.push(format!(
            "registry ({file}) lists {} {}",
            u.kb,
            u.package.as_deref().unwrap_or("")
        ));
        for e in &build.exposures {
            let fixing_kb = e.fixed_by.as_ref().and_then(|f| f.kb.as_deref());
            if e.status == exray_core::ExposureStatus::Vulnerable
                && fixing_kb.is_some_and(|k| k.eq_ignore_ascii_case(&u.kb))
            {
                report.warnings.push(format!(
                    "the registry lists {} (which fixes {}), but ExSetup.exe is still {}: the update did not complete; reinstall it elevated",
                    u.kb, e.family, build.build
                ));
            }
        }
    }
}
