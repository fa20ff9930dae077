//! Benchmark: exray's content sweep (yara-x, one scanner per thread, each file read once)
//! against the `yara` command-line tool (`yara -r -p N`) with the same built-in rules over the
//! same corpus, in the same run.
//!
//! Usage: `exray-yara-bench [--threads N] [--repeat R] [--yara PATH] [CORPUS_DIR]...`
//! Defaults: all cores, 5 repeats, `yara` from PATH, `../shared/data/webshells` and
//! `../shared/data/benign`. Reports the median wall time of each tool and the ratio.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use exray_yara::quality::{read_bounded, walk};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

struct Opts {
    threads: usize,
    repeat: usize,
    yara: PathBuf,
    corpus: Vec<PathBuf>,
}

fn parse() -> anyhow::Result<Opts> {
    let mut o = Opts {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        repeat: 5,
        yara: PathBuf::from("yara"),
        corpus: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))
        };
        match a.as_str() {
            "--threads" => o.threads = val("--threads")?.parse()?,
            "--repeat" => o.repeat = val("--repeat")?.parse()?,
            "--yara" => o.yara = PathBuf::from(val("--yara")?),
            "-h" | "--help" => {
                println!(
                    "usage: exray-yara-bench [--threads N] [--repeat R] [--yara PATH] [CORPUS_DIR]..."
                );
                std::process::exit(0);
            }
            s if s.starts_with('-') => anyhow::bail!("unknown option {s:?} (see --help)"),
            _ => o.corpus.push(PathBuf::from(a)),
        }
    }
    if o.corpus.is_empty() {
        let d = exray_yara::quality::shared_data_dir();
        o.corpus = vec![d.join("webshells"), d.join("benign")];
    }
    for c in &o.corpus {
        if !c.is_dir() {
            anyhow::bail!("{}: corpus folder not found", c.display());
        }
    }
    o.threads = o.threads.max(1);
    o.repeat = o.repeat.max(1);
    Ok(o)
}

/// One exray sweep: walk, then N workers each with one scanner, each file read once.
fn exray_sweep(
    rules: &exray_yara::YaraRules,
    corpus: &[PathBuf],
    threads: usize,
) -> anyhow::Result<(usize, BTreeSet<PathBuf>)> {
    let mut files = Vec::new();
    for c in corpus {
        files.extend(walk(c).map_err(|e| anyhow::anyhow!("{}: {e}", c.display()))?);
    }
    let next = AtomicUsize::new(0);
    let matched = Mutex::new(BTreeSet::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut scanner = rules.yara_scanner();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let Ok(data) = read_bounded(path) else {
                        continue;
                    };
                    match scanner.matching_ids(&data) {
                        Ok(ids) if !ids.is_empty() => mine.push(path.clone()),
                        Ok(_) => {}
                        Err(e) => eprintln!("{}: {e}", path.display()),
                    }
                }
                matched
                    .lock()
                    .expect("no panics hold this lock")
                    .extend(mine);
            });
        }
    });
    Ok((files.len(), matched.into_inner().expect("threads joined")))
}

/// `yara` takes one target per run: run it once per corpus folder, one after the other.
fn yara_sweep(
    yara: &Path,
    rules_file: &Path,
    corpus: &[PathBuf],
    threads: usize,
) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut set = BTreeSet::new();
    for dir in corpus {
        let out = Command::new(yara)
            .arg("-r")
            .arg("-w")
            .arg("-p")
            .arg(threads.to_string())
            .arg(rules_file)
            .arg(dir)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| anyhow::anyhow!("{}: cannot run: {e}", yara.display()))?;
        if !out.status.success() {
            anyhow::bail!(
                "{} failed on {} ({}): {}",
                yara.display(),
                dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((_, path)) = line.split_once(' ') {
                set.insert(PathBuf::from(path));
            }
        }
    }
    Ok(set)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn run() -> anyhow::Result<()> {
    let o = parse()?;
    // Warm the page cache so neither tool pays for the first disk read.
    let mut files = 0usize;
    let mut bytes = 0u64;
    for c in &o.corpus {
        for p in walk(c)? {
            if let Ok(d) = read_bounded(&p) {
                bytes += d.len() as u64;
            }
            files += 1;
        }
    }
    let rules_file =
        std::env::temp_dir().join(format!("exray-yara-bench-{}.yar", std::process::id()));
    std::fs::write(&rules_file, exray_yara::builtin_source())?;

    let mut compile = Vec::new();
    let mut scan = Vec::new();
    let mut total = Vec::new();
    let mut yara_t = Vec::new();
    let mut exray_matched = BTreeSet::new();
    let mut yara_matched = BTreeSet::new();
    for _ in 0..o.repeat {
        let t0 = Instant::now();
        let rules = exray_yara::builtin()?;
        let t1 = Instant::now();
        let (_, m) = exray_sweep(&rules, &o.corpus, o.threads)?;
        let t2 = Instant::now();
        compile.push(t1 - t0);
        scan.push(t2 - t1);
        total.push(t2 - t0);
        exray_matched = m;

        let t3 = Instant::now();
        let res = yara_sweep(&o.yara, &rules_file, &o.corpus, o.threads);
        let t4 = Instant::now();
        match res {
            Ok(m) => yara_matched = m,
            Err(e) => {
                let _ = std::fs::remove_file(&rules_file);
                return Err(e);
            }
        }
        yara_t.push(t4 - t3);
    }
    let _ = std::fs::remove_file(&rules_file);

    let (c, s, t, y) = (
        median(&mut compile),
        median(&mut scan),
        median(&mut total),
        median(&mut yara_t),
    );
    let yara_version = Command::new(&o.yara)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("# exray-yara benchmark\n");
    println!(
        "Corpus: {} files, {:.1} MiB ({}). Threads: {}. Repeats: {} (median). Rules: {} built-in.\n",
        files,
        bytes as f64 / 1048576.0,
        o.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        o.threads,
        o.repeat,
        exray_core::content::ContentRules::rule_count(&exray_yara::builtin()?),
    );
    println!("| tool | wall time (s) | files matched |\n|---|---:|---:|");
    println!(
        "| exray (yara-x), sweep incl. walk + read | {:.3} | {} |",
        secs(s),
        exray_matched.len()
    );
    println!("| exray (yara-x), rule compilation | {:.3} | |", secs(c));
    println!("| exray (yara-x), total | {:.3} | |", secs(t));
    println!(
        "| yara {} `-r -p {}` (incl. its compilation) | {:.3} | {} |\n",
        yara_version,
        o.threads,
        secs(y),
        yara_matched.len()
    );
    println!(
        "Ratio yara / exray sweep: {:.2}x; yara / exray total: {:.2}x",
        secs(y) / secs(s).max(1e-9),
        secs(y) / secs(t).max(1e-9)
    );
    let only_exray = exray_matched.difference(&yara_matched).count();
    let only_yara = yara_matched.difference(&exray_matched).count();
    println!("Files matched by exray only: {only_exray}; by yara only: {only_yara}");
    for p in exray_matched.symmetric_difference(&yara_matched).take(10) {
        println!("  differs: {}", p.display());
    }
    Ok(())
}
