//! `exray baseline PATH -o FILE`: record the hashes of a known-good server or install.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::baseline::Baseline;
use crate::plan::{find_exchange_roots, plan};
use crate::sweep::SweepOptions;

/// Arguments of `exray baseline`.
#[derive(clap::Args, Debug, Clone)]
pub struct BaselineArgs {
    /// The folder that stands for C:\ of a known-good server or install (a mounted disk or a
    /// triage folder).
    pub path: PathBuf,
    /// Where to write the baseline (JSON).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

/// Run `exray baseline`. Returns the process exit code: 0 when written, 2 when nothing to
/// baseline was found.
pub fn run_baseline(args: &BaselineArgs) -> anyhow::Result<i32> {
    let md = std::fs::metadata(&args.path)
        .with_context(|| format!("{}: cannot open", args.path.display()))?;
    anyhow::ensure!(md.is_dir(), "{}: not a folder", args.path.display());
    let roots = find_exchange_roots(&args.path);
    if roots.is_empty() {
        tracing::warn!(path = %args.path.display(), "no Exchange install root (Program Files\\Microsoft\\Exchange Server\\V15 or V14) found");
    }
    let p = plan(&args.path, 'C', &roots, &[]);
    if !p.iter().any(|r| r.location.is_web()) {
        eprintln!(
            "exray baseline: no web folder (inetpub\\wwwroot, Exchange FrontEnd/ClientAccess) under {}",
            args.path.display()
        );
        return Ok(2);
    }
    let b = Baseline::create(&p, &SweepOptions::default());
    for e in b.errors.iter().take(20) {
        tracing::warn!(file = %e.file, "{}", e.message);
    }
    let tmp = args.output.with_extension("tmp");
    {
        let f = std::fs::File::create(&tmp)
            .with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut w = std::io::BufWriter::new(f);
        b.save(&mut w)
            .and_then(|_| w.flush())
            .with_context(|| format!("{}: cannot write", tmp.display()))?;
    }
    std::fs::rename(&tmp, &args.output)
        .with_context(|| format!("{}: cannot write", args.output.display()))?;
    eprintln!(
        "exray baseline: {} script files from {} folders written to {} ({} unreadable)",
        b.len(),
        b.roots.len(),
        args.output.display(),
        b.errors.len()
    );
    Ok(0)
}
