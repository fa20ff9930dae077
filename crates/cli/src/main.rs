//! The `exray` command: argument parsing and wiring only; the work is done in the library crates.

mod export_cmd;
mod hunt_cmd;
mod import_cmd;
mod rules_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "exray",
    version,
    about = "Who has been hacked, what was done, and how to patch: on-premises Exchange (ProxyLogon and its successors)"
)]
struct Cli {
    /// Log detail on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Hunt a live server's file system, a mounted image or a triage folder (read-only).
    Hunt(hunt_cmd::HuntArgs),
    /// Fingerprint Exchange servers over HTTP(S) without exploiting anything.
    Scan(ScanCmd),
    /// What the build catalogue says of a version: exposure per CVE and the update to install.
    Build(exray_catalog::cli::BuildArgs),
    /// Record the hashes of a known-good server's script files, for `hunt --baseline`.
    Baseline(exray_files::cli::BaselineArgs),
    /// A third-party feed (Shadowserver, CSV, JSON lines) as exray scan reports, judged by the
    /// build catalogue; optionally uploaded to `exray serve`.
    Import(import_cmd::ImportArgs),
    /// A saved report as MISP events, a STIX 2.1 bundle, IntelMQ events or CSV.
    Export(export_cmd::ExportArgs),
    /// Send a saved report (`exray hunt|scan --format json -o FILE`) to an `exray serve` instance.
    Upload(UploadArgs),
    /// List every built-in rule (markdown or JSON).
    Rules(rules_cmd::RulesArgs),
    /// The central service: ingest reports, track victims and remediation, notify, dashboard.
    Serve(exray_serve::cli::ServeArgs),
}

#[derive(clap::Args)]
struct ScanCmd {
    #[command(flatten)]
    scan: exray_scan::cli::ScanArgs,
    /// Upload the report to an `exray serve` instance when the scan ends (needs
    /// `--format json -o FILE`: the report is sent from that file).
    #[arg(long)]
    upload: Option<String>,
    /// Bearer token for --upload.
    #[arg(long, env = "EXRAY_TOKEN")]
    token: Option<String>,
}

fn scan(a: &ScanCmd) -> anyhow::Result<i32> {
    let upload = match (&a.upload, &a.token, &a.scan.output) {
        (None, _, _) => None,
        (Some(_), None, _) => anyhow::bail!("--upload needs --token (or EXRAY_TOKEN)"),
        (Some(u), Some(t), Some(o)) if a.scan.format == exray_scan::output::Format::Json => {
            Some((u, t, o))
        }
        (Some(_), Some(_), _) => {
            anyhow::bail!("--upload sends the JSON report: add --format json -o FILE")
        }
    };
    let code = exray_scan::cli::run_blocking(&a.scan)?;
    if let Some((url, token, file)) = upload {
        upload_file(file, url, token)?;
    }
    Ok(code)
}

#[derive(clap::Args)]
struct UploadArgs {
    /// The report file (JSON, schema exray.report/v1), or JSON lines of reports (`exray import`).
    file: std::path::PathBuf,
    /// The service: https://host/ (or its /api/v1/reports endpoint).
    #[arg(long)]
    url: String,
    /// Bearer token.
    #[arg(long, env = "EXRAY_TOKEN")]
    token: String,
}

fn upload(a: &UploadArgs) -> anyhow::Result<i32> {
    upload_file(&a.file, &a.url, &a.token)?;
    Ok(0)
}

fn upload_file(file: &std::path::Path, url: &str, token: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::BufRead;
    // JSON lines of reports (`exray import` output): one report per line, sent one by one.
    let mut lines = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("{}: cannot read", file.display()))?,
    );
    let mut first = Vec::new();
    lines.read_until(b'\n', &mut first)?;
    if serde_json::from_slice::<exray_core::Report>(&first).is_ok() {
        let mut line = first;
        let mut n = 0u64;
        loop {
            if !line.iter().all(u8::is_ascii_whitespace) {
                n += 1;
                serde_json::from_slice::<exray_core::Report>(&line).with_context(|| {
                    format!("{}: report {n} is not an exray report", file.display())
                })?;
                exray_serve::upload::upload_report(url, token, &line)
                    .with_context(|| format!("upload of report {n}"))?;
            }
            line.clear();
            if lines.read_until(b'\n', &mut line)? == 0 {
                break;
            }
        }
        eprintln!("uploaded {n} reports");
        return Ok(());
    }
    let body = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let report: exray_core::Report = serde_json::from_slice(&body)
        .with_context(|| format!("{}: not an exray report", file.display()))?;
    exray_serve::upload::upload_report(url, token, &body).context("upload")?;
    eprintln!(
        "uploaded report {} ({} findings, {} scan results)",
        report.report_id,
        report.findings.len(),
        report.scan_results.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    // `-iL FILE` (nmap style) becomes a long option clap understands.
    let cli = Cli::parse_from(exray_scan::cli::rewrite_nmap_args(std::env::args_os()));
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EXRAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let res = match &cli.cmd {
        Cmd::Hunt(a) => hunt_cmd::run(a),
        Cmd::Scan(a) => scan(a),
        Cmd::Build(a) => exray_catalog::cli::run(a, &mut std::io::stdout().lock()),
        Cmd::Baseline(a) => exray_files::cli::run_baseline(a),
        Cmd::Serve(a) => exray_serve::cli::run(a),
        Cmd::Rules(a) => rules_cmd::run(a),
        Cmd::Upload(a) => upload(a),
        Cmd::Import(a) => import_cmd::run(a),
        Cmd::Export(a) => export_cmd::run(a),
    };
    match res {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        // A closed pipe (`exray hunt … | head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("exray: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
