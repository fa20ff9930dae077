//! Sweep benchmark: `exray-files-bench [--threads N] [--runs N] [--hash-iocs] [PATH...]`.
//!
//! Sweeps the given folders (default: `../shared/data/webshells` and `../shared/data/benign`
//! relative to the workspace) as `--scan-path` folders with all cores, without content rules
//! (the yara-x engine is benchmarked by `exray-yara`), and prints files/s and MB/s of the best
//! and median run (the first run warms the page cache and is not counted when --runs > 1).
//! `--hash-iocs` loads one hash IOC of each kind so every file is hashed three times, the worst
//! case of the sweep.

use std::path::PathBuf;
use std::time::Instant;

use exray_files::{sweep, Iocs, Location, SweepOptions, SweepRoot};

fn main() {
    let mut threads = 0usize;
    let mut runs = 5usize;
    let mut hash_iocs = false;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(5).max(1),
            "--hash-iocs" => hash_iocs = true,
            "-h" | "--help" => {
                eprintln!(
                    "usage: exray-files-bench [--threads N] [--runs N] [--hash-iocs] [PATH...]"
                );
                return;
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        for sub in ["webshells", "benign"] {
            let p = data.join(sub);
            if p.is_dir() {
                paths.push(p);
            }
        }
        if paths.is_empty() {
            println!(
                "SKIP: no PATH given and shared data not found at {}",
                data.display()
            );
            return;
        }
    }
    let plan: Vec<SweepRoot> = paths
        .iter()
        .map(|p| SweepRoot {
            path: p.clone(),
            display: p.display().to_string(),
            location: Location::UserPath,
        })
        .collect();
    let iocs = if hash_iocs {
        let dir = std::env::temp_dir().join(format!("exray-files-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("hash-iocs.txt");
        std::fs::write(
            &f,
            format!(
                "{};md5\n{};sha1\n{};sha256\n",
                "0".repeat(32),
                "0".repeat(40),
                "0".repeat(64)
            ),
        )
        .expect("write IOC file");
        let i = Iocs::load(&[f]).expect("load IOC file");
        let _ = std::fs::remove_dir_all(&dir);
        i
    } else {
        Iocs::default()
    };
    let opts = SweepOptions {
        threads,
        ..SweepOptions::default()
    };
    let threads = exray_files::walk::thread_count(threads);
    let mut times = Vec::new();
    let mut last = None;
    let total_runs = if runs > 1 { runs + 1 } else { 1 };
    for i in 0..total_runs {
        let t = Instant::now();
        let out = sweep(&plan, &opts, None, &iocs, None);
        let secs = t.elapsed().as_secs_f64();
        if i > 0 || total_runs == 1 {
            times.push(secs);
        }
        last = Some(out);
    }
    let out = last.expect("one run");
    times.sort_by(|a, b| a.total_cmp(b));
    let best = times[0];
    let median = times[times.len() / 2];
    let mb = out.bytes as f64 / 1e6;
    println!(
        "exray-files sweep: {} files, {:.1} MB, {} skipped, {} errors, threads {}, hash IOCs {}",
        out.files, mb, out.skipped, out.error_count, threads, hash_iocs
    );
    println!(
        "best   {:.3} s  {:.0} files/s  {:.1} MB/s",
        best,
        out.files as f64 / best,
        mb / best
    );
    println!(
        "median {:.3} s  {:.0} files/s  {:.1} MB/s  ({} runs)",
        median,
        out.files as f64 / median,
        mb / median,
        times.len()
    );
    let mut by_rule = std::collections::BTreeMap::new();
    for f in out.findings.into_findings() {
        *by_rule.entry(f.rule_id).or_insert(0u64) += 1;
    }
    for (r, n) in by_rule {
        println!("  {r}: {n} files");
    }
}
