//! Benchmark: exray's content sweep (yara-x, one scanner per thread, each file read once)
//! against the `yara` command-line tool (`yara -r -p N`) with the same built-in rules over the
//! same corpus, in the same run.
//!
//! Usage: `exray-yara-bench [--threads N] [--repeat R] [--yara PATH] [--rules PACK]...
//! [--cache DIR] [CORPUS_DIR]...`
//! Defaults: all cores, 5 repeats, `yara` from PATH, `../shared/data/webshells` and
//! `../shared/data/benign`. Reports the median wall time of each tool and the ratio.
//!
//! With `--rules` (e.g. signature-base's `yara/` folder) both tools get the built-in rules plus
//! the pack: exray loads it through its compiled-rule cache (`--cache`, default a fresh
//! temporary folder: the first run is the cold one, the median is over warm runs), `yara` gets
//! the same files precompiled once with `yarac` (each file in its own namespace, as exray does;
//! files yarac rejects are left out of both and listed) and runs with `-C`.

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
    packs: Vec<PathBuf>,
    cache: Option<PathBuf>,
}

fn parse() -> anyhow::Result<Opts> {
    let mut o = Opts {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        repeat: 5,
        yara: PathBuf::from("yara"),
        corpus: Vec::new(),
        packs: Vec::new(),
        cache: None,
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
            "--rules" => o.packs.push(PathBuf::from(val("--rules")?)),
            "--cache" => o.cache = Some(PathBuf::from(val("--cache")?)),
            "-h" | "--help" => {
                println!(
                    "usage: exray-yara-bench [--threads N] [--repeat R] [--yara PATH] [--rules PACK]... [--cache DIR] [CORPUS_DIR]..."
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
                    match scanner.matching_ids_at(&path.to_string_lossy(), &data) {
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
    compiled: bool,
    corpus: &[PathBuf],
    threads: usize,
) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut set = BTreeSet::new();
    for dir in corpus {
        let mut cmd = Command::new(yara);
        if compiled {
            cmd.arg("-C");
        }
        let out = cmd
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
    let tmp = std::env::temp_dir().join(format!("exray-yara-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let res = bench(&o, files, bytes, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    res
}

/// The pack files both tools get: the files yarac takes (each alone, with the externals
/// declared); the rest are listed and left out of both.
fn common_pack_files(o: &Opts, tmp: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let mut all = Vec::new();
    for p in &o.packs {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = walk(p)?
                .into_iter()
                .filter(|f| {
                    f.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara")
                    })
                })
                .collect();
            v.sort();
            all.extend(v);
        } else {
            all.push(p.clone());
        }
    }
    let yarac = o.yara.with_file_name("yarac");
    let out = tmp.join("probe.yarc");
    let (mut ok, mut left_out) = (Vec::new(), Vec::new());
    for f in all {
        let r = Command::new(&yarac)
            .args(externals_args())
            .arg("-w")
            .arg(&f)
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| anyhow::anyhow!("{}: cannot run: {e}", yarac.display()))?;
        if r.status.success() {
            ok.push(f);
        } else {
            let err = String::from_utf8_lossy(&r.stderr);
            left_out.push(format!(
                "{}: {}",
                f.display(),
                err.lines().next().unwrap_or("").trim()
            ));
        }
    }
    Ok((ok, left_out))
}

/// `-d name=` for every external variable exray declares.
fn externals_args() -> Vec<String> {
    let mut v = Vec::new();
    for name in exray_yara::externals::STRING_VARS {
        v.push("-d".to_string());
        v.push(format!("{name}="));
    }
    v.push("-d".to_string());
    v.push(format!("{}=0", exray_yara::externals::INT_VAR));
    v
}

fn bench(o: &Opts, files: usize, bytes: u64, tmp: &Path) -> anyhow::Result<()> {
    let rules_file = tmp.join("builtin.yar");
    std::fs::write(&rules_file, exray_yara::builtin_source())?;
    let (pack_files, left_out) = if o.packs.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        common_pack_files(o, tmp)?
    };
    let compiled = tmp.join("all.yarc");
    if !o.packs.is_empty() {
        let yarac = o.yara.with_file_name("yarac");
        let t = Instant::now();
        let mut cmd = Command::new(&yarac);
        cmd.args(externals_args())
            .arg("-w")
            .arg(format!("exray:{}", rules_file.display()));
        for (i, f) in pack_files.iter().enumerate() {
            cmd.arg(format!("user{i}:{}", f.display()));
        }
        let r = cmd.arg(&compiled).stdin(Stdio::null()).output()?;
        if !r.status.success() {
            anyhow::bail!(
                "yarac failed: {}",
                String::from_utf8_lossy(&r.stderr).trim()
            );
        }
        println!(
            "yarac: {} pack files precompiled in {:.3} s (not counted in yara's time); {} left out of both tools:",
            pack_files.len(),
            t.elapsed().as_secs_f64(),
            left_out.len()
        );
        for l in &left_out {
            println!("  {l}");
        }
    }
    let cache_dir = o.cache.clone().unwrap_or_else(|| tmp.join("rule-cache"));
    let load = || -> anyhow::Result<exray_yara::YaraRules> {
        if pack_files.is_empty() {
            exray_yara::builtin()
        } else {
            Ok(exray_yara::load(
                &pack_files,
                &exray_yara::LoadOptions {
                    strict: false,
                    cache_dir: Some(cache_dir.clone()),
                },
            )?)
        }
    };
    if !pack_files.is_empty() {
        let t0 = Instant::now();
        let rules = load()?;
        let t1 = Instant::now();
        let (_, m) = exray_sweep(&rules, &o.corpus, o.threads)?;
        let t2 = Instant::now();
        println!(
            "cold rule cache (first run): load {:.3} s (from cache: {}), sweep {:.3} s, total {:.3} s, {} files matched, {} rules, {} skipped",
            secs(t1 - t0),
            rules.from_cache(),
            secs(t2 - t1),
            secs(t2 - t0),
            m.len(),
            exray_core::content::ContentRules::rule_count(&rules),
            rules.skipped().len()
        );
    }

    let mut compile = Vec::new();
    let mut scan = Vec::new();
    let mut total = Vec::new();
    let mut yara_t = Vec::new();
    let mut exray_matched = BTreeSet::new();
    let mut yara_matched = BTreeSet::new();
    let (yara_rules, yara_compiled) = if pack_files.is_empty() {
        (rules_file.as_path(), false)
    } else {
        (compiled.as_path(), true)
    };
    let mut rule_count = 0;
    let mut warm = true;
    for _ in 0..o.repeat {
        let t0 = Instant::now();
        let rules = load()?;
        rule_count = exray_core::content::ContentRules::rule_count(&rules);
        warm &= pack_files.is_empty() || rules.from_cache();
        let t1 = Instant::now();
        let (_, m) = exray_sweep(&rules, &o.corpus, o.threads)?;
        let t2 = Instant::now();
        compile.push(t1 - t0);
        scan.push(t2 - t1);
        total.push(t2 - t0);
        exray_matched = m;

        let t3 = Instant::now();
        yara_matched = yara_sweep(&o.yara, yara_rules, yara_compiled, &o.corpus, o.threads)?;
        let t4 = Instant::now();
        yara_t.push(t4 - t3);
    }

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
        "Corpus: {} files, {:.1} MiB ({}). Threads: {}. Repeats: {} (median). Rules: {} ({}). Warm rule cache on every repeat: {}.\n",
        files,
        bytes as f64 / 1048576.0,
        o.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        o.threads,
        o.repeat,
        rule_count,
        if pack_files.is_empty() {
            "built-in".to_string()
        } else {
            format!("built-in + {} pack files", pack_files.len())
        },
        warm,
    );
    println!("| tool | wall time (s) | files matched |\n|---|---:|---:|");
    println!(
        "| exray (yara-x), sweep incl. walk + read | {:.3} | {} |",
        secs(s),
        exray_matched.len()
    );
    println!(
        "| exray (yara-x), rule {} | {:.3} | |",
        if pack_files.is_empty() {
            "compilation"
        } else {
            "loading (cache)"
        },
        secs(c)
    );
    println!("| exray (yara-x), total | {:.3} | |", secs(t));
    println!(
        "| yara {} `{}-r -p {}` ({}) | {:.3} | {} |\n",
        yara_version,
        if yara_compiled { "-C " } else { "" },
        o.threads,
        if yara_compiled {
            "rules precompiled by yarac"
        } else {
            "incl. its compilation"
        },
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
