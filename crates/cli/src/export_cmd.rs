//! `exray export REPORT --format misp|stix|intelmq|csv`: a saved report in the formats CERTs
//! feed their tools with (the work is done in `exray-export`). REPORT is what exray writes: a
//! report (`exray hunt|scan --format json`), JSON lines of reports (`exray import`), or JSON
//! lines of scan results (`exray scan --format jsonl`); `-` reads standard input.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use exray_core::{Report, ScanResult};
use exray_export::{Options, Tlp};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// A JSON array of MISP events (core format): one per incident, or one per scan report.
    Misp,
    /// One STIX 2.1 bundle.
    Stix,
    /// IntelMQ events, one JSON object per line.
    Intelmq,
    /// One row per exported indicator, with the organisation.
    Csv,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The saved report (`-` for standard input).
    file: PathBuf,
    /// The format to write.
    #[arg(long, short = 'f', value_enum)]
    format: FormatArg,
    /// Traffic Light Protocol level: clear (or white), green, amber, amber+strict, red.
    #[arg(long, default_value = "amber", value_parser = parse_tlp)]
    tlp: Tlp,
    /// Who produces the export (MISP Orgc, STIX identity, IntelMQ feed.provider).
    #[arg(long, default_value = "exray")]
    producer: String,
    /// The organisation the report concerns (CSV column, STIX identity, IntelMQ extra).
    #[arg(long)]
    organisation: Option<String>,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

fn parse_tlp(s: &str) -> Result<Tlp, String> {
    s.parse()
}

pub fn run(a: &ExportArgs) -> anyhow::Result<i32> {
    let reports = read_reports(&a.file)?;
    let opts = Options {
        tlp: a.tlp,
        producer: a.producer.clone(),
        organisation: a.organisation.clone(),
        timestamp: None,
    };
    let mut out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match a.format {
        FormatArg::Misp => {
            let events: Vec<serde_json::Value> = reports
                .iter()
                .flat_map(|r| exray_export::misp(r, &opts))
                .collect();
            serde_json::to_writer_pretty(&mut out, &events)?;
            writeln!(out)?;
        }
        FormatArg::Stix => {
            serde_json::to_writer_pretty(&mut out, &exray_export::stix_many(&reports, &opts))?;
            writeln!(out)?;
        }
        FormatArg::Intelmq => {
            for r in &reports {
                exray_export::intelmq(r, &opts, &mut out)?;
            }
        }
        FormatArg::Csv => {
            let mut first = true;
            for r in &reports {
                let mut buf = Vec::new();
                exray_export::csv(r, &opts, &mut buf)?;
                // The header once, however many reports.
                let body = if first {
                    &buf[..]
                } else {
                    let cut = buf
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(buf.len(), |i| i + 1);
                    &buf[cut..]
                };
                out.write_all(body)?;
                first = false;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

/// The reports in `file`: one report, JSON lines of reports, or JSON lines of scan results.
fn read_reports(file: &Path) -> anyhow::Result<Vec<Report>> {
    let name = file.display();
    let mut body = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().lock().read_to_end(&mut body)?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("{name}: cannot open"))?
            .read_to_end(&mut body)
            .with_context(|| format!("{name}: cannot read"))?;
    }
    if let Ok(report) = serde_json::from_slice::<Report>(&body) {
        return Ok(vec![report]);
    }
    let mut reports = Vec::new();
    let mut results = Vec::new();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(line)
            .with_context(|| format!("{name}: line {}: not JSON (nor one exray report)", n + 1))?;
        if value.get("schema").is_some() {
            reports.push(
                serde_json::from_value::<Report>(value)
                    .with_context(|| format!("{name}: line {}: not an exray report", n + 1))?,
            );
        } else if value.get("type").is_some() && value.get("report_id").is_some() {
            bail!(
                "{name}: line {}: a line of `exray hunt --format jsonl`; export needs the whole report: write it with --format json",
                n + 1
            );
        } else {
            results.push(
                serde_json::from_value::<ScanResult>(value).with_context(|| {
                    format!(
                        "{name}: line {}: neither an exray report nor a scan result",
                        n + 1
                    )
                })?,
            );
        }
    }
    if !results.is_empty() {
        if !reports.is_empty() {
            bail!("{name}: mixes reports and scan results");
        }
        let scope = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stdin".into());
        reports.push(exray_export::scan_report_from_results(results, &scope));
    }
    if reports.is_empty() {
        bail!("{name}: empty: no report to export");
    }
    Ok(reports)
}
