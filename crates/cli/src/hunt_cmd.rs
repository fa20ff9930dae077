//! `exray hunt`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};
use exray_core::render::{render, Format};
use exray_hunt::discover::Overrides;
use exray_hunt::HuntOptions;

#[derive(clap::Args)]
pub struct HuntArgs {
    /// A system root (live or mounted), a triage folder (KAPE/Velociraptor layouts), or a folder of collected logs.
    pub path: PathBuf,
    /// Exchange install root(s), when not at Program Files\Microsoft\Exchange Server\V15.
    #[arg(long = "exchange-root")]
    pub exchange_root: Vec<PathBuf>,
    /// IIS log folder(s) or file(s) to read besides the discovered ones.
    #[arg(long = "iis-logs")]
    pub iis_logs: Vec<PathBuf>,
    /// EVTX folder(s) or file(s) to read besides the discovered ones.
    #[arg(long)]
    pub evtx: Vec<PathBuf>,
    /// More folders to sweep for web shells and artefacts.
    #[arg(long = "scan-path")]
    pub scan_path: Vec<PathBuf>,
    /// Keep findings at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Keep findings at or before this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// Output format: text, json, jsonl, csv, timesketch, html (one self-contained file: use with -o).
    #[arg(long, short = 'f', default_value = "text")]
    pub format: String,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Skip the file sweep (logs and events only).
    #[arg(long)]
    pub no_files: bool,
    /// YARA rule files or folders to load besides the built-in rules.
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// A rule file that yara-x cannot take (or a rule in it) stops the hunt instead of being
    /// skipped with a warning and listed in the report's input errors.
    #[arg(long = "strict-rules")]
    pub strict_rules: bool,
    /// Compile the rule packs on every run instead of reusing the compiled copy kept in the
    /// user's cache folder (keyed by the packs' content and the yara-x version).
    #[arg(long = "no-rule-cache")]
    pub no_rule_cache: bool,
    /// IOC packs: signature-base's `iocs/` folder as it is, or its `filename-iocs.txt` /
    /// `hash-iocs.txt` / `c2-iocs.txt`, STIX 2.1 bundles (.json).
    #[arg(long)]
    pub iocs: Vec<PathBuf>,
    /// A baseline made by `exray baseline`: report new or changed script files.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Event rule files (TOML, the format of crates/hunt/rules/events.toml) added to the built-in rules.
    #[arg(long = "event-rules")]
    pub event_rules: Vec<PathBuf>,
    /// Upload the JSON report to an `exray serve` instance (https://host/).
    #[arg(long)]
    pub upload: Option<String>,
    /// Bearer token for --upload.
    #[arg(long, env = "EXRAY_TOKEN")]
    pub token: Option<String>,
}

fn parse_time(s: &str, end_of_day: bool) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{s:?}: not RFC 3339 nor YYYY-MM-DD"))?;
    let t = if end_of_day {
        d.and_hms_opt(23, 59, 59)
    } else {
        d.and_hms_opt(0, 0, 0)
    };
    Ok(t.expect("valid time").and_utc())
}

/// The content rules, and the user rules left out (each an input error of the report).
type LoadedRules = (
    Option<Box<dyn exray_core::content::ContentRules>>,
    Vec<exray_core::InputError>,
);

#[cfg(feature = "yara")]
fn content_rules(args: &HuntArgs) -> anyhow::Result<LoadedRules> {
    if args.no_files {
        return Ok((None, Vec::new()));
    }
    let opts = exray_yara::LoadOptions {
        strict: args.strict_rules,
        cache_dir: if args.no_rule_cache || args.rules.is_empty() {
            None
        } else {
            exray_yara::cache::default_dir()
        },
    };
    let rules = exray_yara::load(&args.rules, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    let skipped = rules
        .skipped()
        .iter()
        .map(|s| exray_core::InputError {
            file: s.file.display().to_string(),
            line: s.line.map(|l| l as u64),
            record: None,
            message: match &s.rule {
                Some(r) => format!("YARA rule {r} skipped: {}", s.reason),
                None => format!("YARA rule file skipped: {}", s.reason),
            },
        })
        .collect();
    Ok((Some(Box::new(rules)), skipped))
}

#[cfg(not(feature = "yara"))]
fn content_rules(args: &HuntArgs) -> anyhow::Result<LoadedRules> {
    if !args.rules.is_empty() {
        bail!("this exray was built without yara-x: --rules needs the `yara` feature");
    }
    Ok((None, Vec::new()))
}

pub fn run(args: &HuntArgs) -> anyhow::Result<i32> {
    let format: Format = args
        .format
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, false))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_time(s, true))
        .transpose()?;
    if args.upload.is_some() && args.token.is_none() {
        bail!("--upload needs --token (or EXRAY_TOKEN)");
    }
    let iocs = if args.iocs.is_empty() {
        None
    } else {
        Some(exray_files::Iocs::load(&args.iocs).map_err(|e| anyhow::anyhow!("{e}"))?)
    };
    let baseline = args
        .baseline
        .as_deref()
        .map(exray_files::Baseline::load)
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (rules, skipped_rules) = content_rules(args)?;
    let mut event_rules = exray_hunt::eventrules::EventRules::builtin();
    for p in &args.event_rules {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
        event_rules.extend(exray_hunt::eventrules::EventRules::parse(
            &text,
            &p.display().to_string(),
        )?);
    }

    let bar = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} evidence files, {msg} [{elapsed}]",
            )
            .expect("valid template"),
        );
        pb.enable_steady_tick(Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    let progress: Option<Box<exray_hunt::hunt::Progress>> = bar.clone().map(|pb| {
        Box::new(move |done: u64, total: u64, bytes: u64| {
            pb.set_length(total);
            pb.set_position(done);
            pb.set_message(format!("{} MB", bytes / 1_000_000));
        }) as Box<exray_hunt::hunt::Progress>
    });
    let opts = HuntOptions {
        path: args.path.clone(),
        overrides: Overrides {
            exchange_roots: args.exchange_root.clone(),
            iis_logs: args.iis_logs.clone(),
            evtx: args.evtx.clone(),
        },
        scan_paths: args.scan_path.clone(),
        since,
        until,
        threads: args.threads,
        no_files: args.no_files,
        iocs,
        baseline,
        event_rules: Some(event_rules),
        progress,
    };
    let mut report = exray_hunt::run(&opts, rules.as_deref())?;
    if !skipped_rules.is_empty() {
        report.summary.input_errors += skipped_rules.len() as u64;
        let room = exray_core::ERROR_CAP.saturating_sub(report.errors.len());
        report.errors.extend(skipped_rules.into_iter().take(room));
        report
            .errors
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        exray_core::verdict::conclude(&mut report);
        report.plan = exray_hunt::plan::PlanRules::builtin().derive(&report);
    }
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    match &args.output {
        Some(p) => {
            // Never write into the evidence: refuse a report path inside the hunted folder, and
            // never write through a link.
            let hunted = std::fs::canonicalize(&args.path).unwrap_or_else(|_| args.path.clone());
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let target = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
            if target.starts_with(&hunted) {
                bail!(
                    "{}: the report would be written inside the hunted path; choose another place",
                    p.display()
                );
            }
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                bail!(
                    "{}: is a symbolic link; refusing to write through it",
                    p.display()
                );
            }
            let f = File::create(p).with_context(|| format!("{}: cannot create", p.display()))?;
            let mut w = BufWriter::new(f);
            render(&report, format, &mut w)?;
            w.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            render(&report, format, &mut w)?;
            w.flush()?;
        }
    }
    if let (Some(url), Some(token)) = (&args.upload, &args.token) {
        let body = serde_json::to_vec(&report)?;
        exray_serve::upload::upload_report(url, token, &body).context("upload")?;
        eprintln!("uploaded report {} to {url}", report.report_id);
    }
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}
