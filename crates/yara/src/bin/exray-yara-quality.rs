//! Detection-quality report of exray's web-shell content rules.
//!
//! Usage: `exray-yara-quality [--shells DIR] [--benign DIR] [--rules PATH]...`
//! Defaults: `../shared/data/webshells` and `../shared/data/benign` (relative to the workspace).
//! Prints a markdown table (recall by unique SHA-256, one-liners separately; false positives per
//! 1,000 benign files) with the lists of misses and false positives.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let data = exray_yara::quality::shared_data_dir();
    let mut shells = data.join("webshells");
    let mut benign = data.join("benign");
    let mut packs: Vec<PathBuf> = Vec::new();
    let mut explain: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))
        };
        match a.as_str() {
            "--shells" => shells = val("--shells")?,
            "--benign" => benign = val("--benign")?,
            "--rules" => packs.push(val("--rules")?),
            "--explain" => explain.push(val("--explain")?),
            "-h" | "--help" => {
                println!("usage: exray-yara-quality [--shells DIR] [--benign DIR] [--rules PATH]... [--explain FILE]...");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?} (see --help)"),
        }
    }
    if !explain.is_empty() {
        let rules = exray_yara::with_user_packs(&packs)?;
        let mut scanner = exray_core::content::ContentRules::scanner(&rules);
        for f in &explain {
            let data = exray_yara::quality::read_bounded(f)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            let path = f.display().to_string();
            let hits = scanner.scan(&path, &data).map_err(|e| anyhow::anyhow!(e))?;
            // (a reader that stops early, `| head`, ends the listing: no panic on a closed pipe)
            let mut out = std::io::stdout().lock();
            let shown = (|| -> std::io::Result<()> {
                writeln!(out, "{path}: {} rule(s)", hits.len())?;
                for h in hits {
                    writeln!(
                        out,
                        "  {} ({}, {})",
                        h.meta.id,
                        h.meta.severity.as_str(),
                        h.meta.confidence.as_str()
                    )?;
                    for m in h.matches {
                        writeln!(
                            out,
                            "    {} @{}+{}: {}",
                            m.identifier.unwrap_or_default(),
                            m.offset,
                            m.length,
                            m.excerpt
                        )?;
                    }
                }
                Ok(())
            })();
            match shown {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                other => other?,
            }
        }
        return Ok(());
    }
    for d in [&shells, &benign] {
        if !d.is_dir() {
            anyhow::bail!("{}: corpus folder not found", d.display());
        }
    }
    let rules = exray_yara::with_user_packs(&packs)?;
    let rep = exray_yara::quality::evaluate(&rules, &shells, &benign)?;
    println!("# exray-yara detection quality\n");
    println!(
        "Rules: {} (built-in{}). Web shells: `{}`. Benign: `{}`.\n",
        exray_core::content::ContentRules::rule_count(&rules),
        if packs.is_empty() {
            ""
        } else {
            " + user packs"
        },
        shells.display(),
        benign.display()
    );
    print!("{}", rep.to_markdown());
    Ok(())
}
