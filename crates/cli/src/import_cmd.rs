//! `exray import FILE --format shadowserver|csv|jsonl`: a third-party feed as exray scan reports
//! (JSON lines, one `exray.report/v1` report per line, at most `--chunk-rows` results each),
//! written to `-o FILE` or standard output, and/or uploaded to `exray serve` report by report.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use exray_import::Format;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Shadowserver's Exchange reports (Vulnerable Exchange Server, vulnerable HTTP with build).
    Shadowserver,
    /// CSV with a header: ip, port, hostname, timestamp, build (or version), tag.
    Csv,
    /// JSON lines with the same keys.
    Jsonl,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The feed file (`-` for standard input).
    file: PathBuf,
    /// The feed's format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Write the reports here (JSON lines); default standard output unless --upload is given.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Results per report (bounded memory; each report is uploaded on its own).
    #[arg(long, default_value_t = exray_import::DEFAULT_CHUNK_ROWS)]
    chunk_rows: usize,
    /// Upload every report to an `exray serve` instance as it is made.
    #[arg(long)]
    upload: Option<String>,
    /// Bearer token for --upload.
    #[arg(long, env = "EXRAY_TOKEN")]
    token: Option<String>,
}

pub fn run(a: &ImportArgs) -> anyhow::Result<i32> {
    let format = match a.format {
        FormatArg::Shadowserver => Format::Shadowserver,
        FormatArg::Csv => Format::Csv,
        FormatArg::Jsonl => Format::Jsonl,
    };
    let upload = match (&a.upload, &a.token) {
        (Some(_), None) => anyhow::bail!("--upload needs --token (or EXRAY_TOKEN)"),
        (Some(u), Some(t)) => Some((u.as_str(), t.as_str())),
        (None, _) => None,
    };
    let mut out: Option<Box<dyn Write>> = match (&a.output, upload) {
        (Some(p), _) => Some(Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        ))),
        (None, None) => Some(Box::new(BufWriter::new(std::io::stdout().lock()))),
        (None, Some(_)) => None,
    };
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin".into());
    let input: Box<dyn std::io::Read> = if a.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&a.file)
                .with_context(|| format!("{}: cannot open", a.file.display()))?,
        )
    };
    let stats = exray_import::import(input, format, &name, a.chunk_rows, |report| {
        let body = serde_json::to_vec(&report).map_err(std::io::Error::other)?;
        if let Some(w) = out.as_mut() {
            w.write_all(&body)?;
            w.write_all(b"\n")?;
        }
        if let Some((url, token)) = upload {
            exray_serve::upload::upload_report(url, token, &body)
                .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        }
        Ok::<(), std::io::Error>(())
    })?;
    if let Some(w) = out.as_mut() {
        w.flush()?;
    }
    eprintln!("{}", serde_json::to_string(&stats)?);
    Ok(0)
}
