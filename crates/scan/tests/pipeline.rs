//! The whole pipeline: streamed target input (incl. ZMap and masscan formats), sharding
//! exact-once over N scanners, resume, refusal of blocked ranges, and the report schema.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Exchange, Persona};
use exray_core::{Report, ReportKind, ScanResult, ScanVerdict};
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::output::{self, Format};
use exray_scan::shard::Shard;
use exray_scan::target::{Source, TargetStream};
use exray_scan::{run, RunOptions, ScanConfig, Scanner};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Buf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn scanner() -> Arc<Scanner> {
    Arc::new(Scanner::new(ScanConfig {
        limits: Limits {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            ..Limits::default()
        },
        target_timeout: Duration::from_secs(5),
        rate: 0,
        concurrency: 32,
        host_interval: Duration::ZERO,
        blocklist: Blocklist::new(true, false),
        ..ScanConfig::default()
    }))
}

fn stream(text: &str) -> TargetStream {
    TargetStream::new(
        vec![Source::Reader {
            name: "targets.txt".into(),
            reader: Box::new(std::io::Cursor::new(text.to_string())),
        }],
        vec![443],
        5,
    )
}

fn closed_ports(n: usize) -> Vec<u16> {
    // Bind and release: these ports refuse connections (fast "unreachable" targets).
    let ls: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    ls.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

fn jsonl(buf: &Buf) -> Vec<ScanResult> {
    buf.text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one ScanResult per line"))
        .collect()
}

#[tokio::test]
async fn shards_cover_every_target_exactly_once() {
    let ports = closed_ports(60);
    let input: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    let n = 3;
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut per_shard = Vec::new();
    for i in 0..n {
        let buf = Buf::default();
        let opts = RunOptions {
            shard: Shard { index: i, count: n },
            seed: 99,
            scope: "test".into(),
            ..RunOptions::default()
        };
        let sum = run(
            scanner(),
            stream(&input),
            opts,
            output::sink(Format::Jsonl, Box::new(buf.clone())),
        )
        .await
        .unwrap();
        let rows = jsonl(&buf);
        assert_eq!(sum.in_shard, rows.len() as u64);
        assert_eq!(sum.in_shard + sum.other_shards, 60);
        per_shard.push(rows.len());
        for r in rows {
            assert_eq!(r.verdict, ScanVerdict::Unreachable);
            *seen.entry(r.target).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 60, "every target scanned");
    assert!(seen.values().all(|&c| c == 1), "exactly once: {seen:?}");
    assert!(per_shard.iter().all(|&c| c > 5), "balanced: {per_shard:?}");
}

#[tokio::test]
async fn resume_continues_after_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let progress = dir.path().join("progress");
    let ports = closed_ports(20);
    let input: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    let opts = RunOptions {
        resume: Some(progress.clone()),
        ..RunOptions::default()
    };
    // First run: only the first 12 lines (as if stopped there).
    let first: String = input.lines().take(12).map(|l| format!("{l}\n")).collect();
    let buf = Buf::default();
    run(
        scanner(),
        stream(&first),
        opts.clone(),
        output::sink(Format::Jsonl, Box::new(buf.clone())),
    )
    .await
    .unwrap();
    assert_eq!(jsonl(&buf).len(), 12);
    // Second run on the whole input: continues with target 13.
    let buf2 = Buf::default();
    let sum = run(
        scanner(),
        stream(&input),
        opts.clone(),
        output::sink(Format::Jsonl, Box::new(buf2.clone())),
    )
    .await
    .unwrap();
    assert_eq!(sum.resumed, 12);
    let rows = jsonl(&buf2);
    assert_eq!(rows.len(), 8);
    let first_targets: Vec<String> = jsonl(&buf).into_iter().map(|r| r.target).collect();
    assert!(rows.iter().all(|r| !first_targets.contains(&r.target)));
    // A different shard cannot reuse the progress file.
    let bad = RunOptions {
        shard: Shard { index: 0, count: 2 },
        ..opts
    };
    let err = run(
        scanner(),
        stream(&input),
        bad,
        output::sink(Format::Jsonl, Box::new(Buf::default())),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("progress file is for"), "{err}");
}

#[tokio::test]
async fn zmap_masscan_and_blocklist_through_the_pipeline_into_a_report() {
    let srv = common::spawn(
        "127.0.0.50".parse().unwrap(),
        true,
        Persona::Exchange(Box::new(Exchange {
            manifest: Some("15.2.792.3".into()),
            ..Default::default()
        })),
    )
    .await;
    let port = srv.addr.port();
    let input = format!(
        "# masscan\nopen tcp {port} 127.0.0.50 1614950000\n\
         192.0.2.10\n\
         10.1.2.3\n\
         not a target line\n\
         https://127.0.0.50:{port}/owa/\n"
    );
    let buf = Buf::default();
    let opts = RunOptions {
        scope: "pipeline test".into(),
        ..RunOptions::default()
    };
    let sum = run(
        scanner(),
        stream(&input),
        opts,
        output::sink(Format::Json, Box::new(buf.clone())),
    )
    .await
    .unwrap();
    let report: Report = serde_json::from_str(&buf.text()).expect("a Report");
    assert_eq!(report.kind, ReportKind::Scan);
    assert_eq!(report.schema, exray_core::SCHEMA);
    assert_eq!(report.scope, "pipeline test");
    // masscan line and URL are the same target key: both scanned (no dedup), both vulnerable.
    assert_eq!(report.scan_results.len(), 2, "{:#?}", report.scan_results);
    for r in &report.scan_results {
        assert_eq!(r.verdict, ScanVerdict::Vulnerable);
        assert_eq!(r.assessment.as_ref().unwrap().build, "15.2.792.3");
    }
    // Reserved (192.0.2.0/24) and private (10/8) refused, counted, never contacted.
    assert_eq!(sum.refused.values().sum::<u64>(), 2);
    assert!(
        report.warnings.iter().any(|w| w.contains("reserved")),
        "{:?}",
        report.warnings
    );
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("--allow-private")));
    // The bad line is an input error with file and line.
    assert_eq!(report.summary.input_errors, 1);
    assert_eq!(report.errors[0].file, "targets.txt");
    assert_eq!(report.errors[0].line, Some(5));
    assert_eq!(srv.recorded().len(), 2);
}

#[tokio::test]
async fn csv_and_table_outputs() {
    let ports = closed_ports(2);
    let input: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    for (format, check) in [
        (Format::Csv, "target,ip,port,hostname,verdict"),
        (Format::Table, "TARGET"),
    ] {
        let buf = Buf::default();
        run(
            scanner(),
            stream(&input),
            RunOptions::default(),
            output::sink(format, Box::new(buf.clone())),
        )
        .await
        .unwrap();
        let text = buf.text();
        assert!(text.starts_with(check), "{text}");
        assert_eq!(
            text.matches("unreachable").count(),
            2 + usize::from(format == Format::Table),
            "{text}"
        );
    }
}

#[tokio::test]
async fn cli_end_to_end_with_input_list_exclude_and_output_file() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        scan: exray_scan::cli::ScanArgs,
    }
    let srv = common::spawn(
        "127.0.0.70".parse().unwrap(),
        true,
        Persona::Exchange(Box::new(Exchange {
            manifest: Some("15.2.1748.43".into()),
            ..Default::default()
        })),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("hosts.txt");
    let port = srv.addr.port();
    std::fs::write(
        &list,
        format!("# zmap-style list\n127.0.0.70:{port}\n127.0.0.71:{port}\n"),
    )
    .unwrap();
    let exclude = dir.path().join("optout.txt");
    std::fs::write(&exclude, "127.0.0.71 # asked not to be scanned\n").unwrap();
    let out = dir.path().join("out.jsonl");
    let argv = exray_scan::cli::rewrite_nmap_args(
        [
            "exray",
            "-iL",
            list.to_str().unwrap(),
            "--exclude",
            exclude.to_str().unwrap(),
            "--allow-loopback",
            "--format",
            "jsonl",
            "-o",
            out.to_str().unwrap(),
            "--no-progress",
        ]
        .map(std::ffi::OsString::from),
    );
    let cli = Cli::try_parse_from(argv).unwrap();
    let code = exray_scan::cli::run(&cli.scan).await.unwrap();
    assert_eq!(code, 0, "nothing vulnerable");
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<ScanResult> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(rows[0].verdict, ScanVerdict::Patched);
    assert_eq!(srv.recorded().len(), 1);
    // Without --allow-loopback nothing is contacted.
    let cli = Cli::try_parse_from([
        "exray",
        &format!("127.0.0.70:{port}"),
        "--format",
        "jsonl",
        "-o",
        out.to_str().unwrap(),
    ])
    .unwrap();
    exray_scan::cli::run(&cli.scan).await.unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
    assert_eq!(srv.recorded().len(), 1);
    // A bad exclude file is an error naming file and line.
    std::fs::write(&exclude, "ok.example.org\n10.0.0.0/99\n").unwrap();
    let cli = Cli::try_parse_from([
        "exray",
        "x.example.org",
        "--exclude",
        exclude.to_str().unwrap(),
    ])
    .unwrap();
    let err = exray_scan::cli::run(&cli.scan)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("optout.txt:2:"), "{err}");
}

#[test]
fn cidr_and_list_input_split_exactly_once_over_n_shards() {
    // Same input, in two different orders on different "machines": still exactly once.
    let input_a = "10.0.0.0/18\nmail.example.org\n198.51.100.7:8443\n";
    let input_b = "198.51.100.7:8443\nmail.example.org\n10.0.0.0/18\n";
    let n = 5u64;
    let mut owner: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut sizes = vec![0u64; n as usize];
    for i in 0..n {
        let input = if i % 2 == 0 { input_a } else { input_b };
        let shard = Shard { index: i, count: n };
        for t in stream(input) {
            let key = t.unwrap().key();
            if shard.contains(2021, &key) {
                sizes[i as usize] += 1;
                if let Some(prev) = owner.insert(key.clone(), i) {
                    panic!("{key} in shards {prev} and {i}");
                }
            }
        }
    }
    assert_eq!(
        owner.len(),
        (1 << 14) + 2,
        "every target in exactly one shard"
    );
    let mean = owner.len() as f64 / n as f64;
    assert!(
        sizes.iter().all(|&s| (s as f64 - mean).abs() < mean * 0.1),
        "{sizes:?}"
    );
}

/// A sink that fails: the run stops with the error instead of scanning on or hanging.
struct FailingSink;
impl output::Sink for FailingSink {
    fn result(&mut self, _r: &ScanResult) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "stdout closed",
        ))
    }
    fn finish(&mut self, _r: &Report, _c: &output::Counts) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_output_stops_the_run() {
    let ports = closed_ports(50);
    let mut input = String::new();
    for _ in 0..100 {
        for p in &ports {
            input.push_str(&format!("127.0.0.1:{p}\n"));
        }
    }
    let start = std::time::Instant::now();
    let err = run(
        scanner(),
        stream(&input),
        RunOptions::default(),
        Box::new(FailingSink),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("stdout closed"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
}
