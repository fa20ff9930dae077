//! Benchmark of `exray scan`: complete fingerprints per second against many loopback fake
//! Exchange servers (one listener per 127.1.x.y address, in a child process so the scanner's
//! memory is measured alone), and peak memory while streaming a 10-million-target input.
//!
//! `cargo bench -p exray-scan --bench scan_bench [-- --servers 500 --targets 20000
//!  --memory-targets 10000000 --memory-shards 200]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use exray_core::{Report, ScanResult};
use exray_scan::blocklist::Blocklist;
use exray_scan::output::{Counts, Sink};
use exray_scan::shard::Shard;
use exray_scan::target::{Source, TargetStream};
use exray_scan::{run, RunOptions, ScanConfig, Scanner};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Child process: serve `n` fake Exchange servers (or hostile ones) and print their URLs.
fn serve(n: u64, hostile: bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let mut servers = Vec::new();
        for i in 0..n {
            if hostile {
                let ip = format!("127.3.{}.{}", i / 250, i % 250 + 1)
                    .parse()
                    .unwrap();
                let persona = match i % 6 {
                    0 => common::Persona::EndlessBody,
                    1 => common::Persona::EndlessChunked,
                    2 => common::Persona::EndlessHeaders,
                    3 => common::Persona::SlowDrip,
                    4 => common::Persona::NeverAnswer,
                    _ => common::Persona::Garbage,
                };
                let tls = i % 2 == 0;
                let s = common::spawn_opts(ip, tls, persona, false).await;
                println!("{}://{}", if tls { "https" } else { "http" }, s.addr);
                servers.push(s);
                continue;
            }
            let ip = format!("127.1.{}.{}", i / 250, i % 250 + 1)
                .parse()
                .unwrap();
            let persona = match i % 4 {
                // Full build from the manifest: one request.
                0 | 1 => common::Exchange {
                    manifest: Some("15.1.2176.2".into()),
                    ..Default::default()
                },
                // Full build from X-OWA-Version: two requests.
                2 => common::Exchange {
                    owa_header: Some("15.2.1748.43".into()),
                    logon_redirect: true,
                    ..Default::default()
                },
                // CU only from the logon page: three requests.
                _ => common::Exchange {
                    logon_redirect: true,
                    fe_headers: true,
                    logon_page: Some(
                        common::honeypot_page()
                            .unwrap_or_else(|| common::generated_logon_page(Some("15.1.1466"))),
                    ),
                    ..Default::default()
                },
            };
            let s = common::spawn_opts(
                ip,
                true,
                common::Persona::Exchange(Box::new(persona)),
                false,
            )
            .await;
            println!("https://{}", s.addr);
            servers.push(s);
        }
        println!("READY");
        std::io::stdout().flush().unwrap();
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut b = [0u8; 1];
            let _ = std::io::stdin().read(&mut b);
        })
        .await
        .ok();
        drop(servers);
    });
}

/// Start the fake servers in a child process; returns it and the base URLs.
fn servers(n: u64, hostile: bool) -> (std::process::Child, Vec<String>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--serve", &n.to_string()]);
    if hostile {
        cmd.arg("--hostile");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn fake servers");
    let mut addrs = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "READY" {
            break;
        }
        let (_, a) = line.split_once("://").unwrap();
        let _: SocketAddr = a.parse().unwrap();
        addrs.push(line);
    }
    (child, addrs)
}

fn stop(mut child: std::process::Child) {
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Counts results without keeping them.
struct CountSink(u64);
impl Sink for CountSink {
    fn result(&mut self, _r: &ScanResult) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn finish(&mut self, _report: &Report, _counts: &Counts) -> std::io::Result<()> {
        Ok(())
    }
}

/// A generated target list, never held in memory: `count` lines cycling through `addrs`, or
/// (with no `addrs`) distinct loopback addresses 127.2.0.0 upwards on a closed port.
struct Generated {
    addrs: Vec<String>,
    i: u64,
    count: u64,
    line: Vec<u8>,
    pos: usize,
}
impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.line.len() {
            if self.i >= self.count {
                return Ok(0);
            }
            self.line.clear();
            if self.addrs.is_empty() {
                let v = (2u32 << 16) + self.i as u32;
                let line = format!("127.{}.{}.{}:9\n", v >> 16, (v >> 8) & 255, v & 255);
                self.line.extend_from_slice(line.as_bytes());
            } else {
                let a = &self.addrs[(self.i % self.addrs.len() as u64) as usize];
                self.line.extend_from_slice(format!("{a}/\n").as_bytes());
            }
            self.i += 1;
            self.pos = 0;
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn config() -> ScanConfig {
    ScanConfig {
        rate: 0,
        concurrency: 512,
        blocklist: Blocklist::new(true, false),
        ..ScanConfig::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        let n = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(200);
        serve(n, args.iter().any(|a| a == "--hostile"));
        return;
    }
    let n_servers = arg(&args, "--servers", 500);
    let n_targets = arg(&args, "--targets", 20_000);
    let mem_targets = arg(&args, "--memory-targets", 10_000_000);
    let mem_shards = arg(&args, "--memory-shards", 200);

    let n_hostile = arg(&args, "--hostile-targets", 3000);
    let (child, addrs) = servers(n_servers, false);
    eprintln!("{} fake Exchange servers (TLS) on 127.1.x.y", addrs.len());

    let rt = tokio::runtime::Runtime::new().unwrap();

    // 1. Throughput: every target a complete fingerprint.
    let gen = Generated {
        addrs: addrs.clone(),
        i: 0,
        count: n_targets,
        line: Vec::new(),
        pos: 0,
    };
    let stream = TargetStream::new(
        vec![Source::Reader {
            name: "generated".into(),
            reader: Box::new(BufReader::new(gen)),
        }],
        vec![443],
        1,
    );
    let scanner = Arc::new(Scanner::new(config()));
    let start = Instant::now();
    let sum = rt
        .block_on(run(
            scanner,
            stream,
            RunOptions::default(),
            Box::new(CountSink(0)),
        ))
        .unwrap();
    let took = start.elapsed();
    let done: u64 = sum.counts.values().sum();
    if let Some(e) = sum.report.errors.first() {
        eprintln!("{} input errors, first: {e:?}", sum.input_errors);
    }
    println!(
        "throughput: {done} complete fingerprints in {:.2} s = {:.0} fingerprints/s (concurrency 512, rate unlimited, host interval 20 ms, TLS); verdicts {:?}",
        took.as_secs_f64(),
        done as f64 / took.as_secs_f64(),
        sum.counts
    );
    println!("peak RSS after throughput run: {:.1} MB", peak_rss_mb());

    // 2. Memory: a 10-million-target input (distinct loopback addresses on a closed port)
    //    streamed through parsing, sharding, blocklist and scanning: shard 0/N is contacted
    //    (connection refused: unreachable), the rest is left to other shards.
    drop(addrs);
    let gen = Generated {
        addrs: Vec::new(),
        i: 0,
        count: mem_targets,
        line: Vec::new(),
        pos: 0,
    };
    let stream = TargetStream::new(
        vec![Source::Reader {
            name: "generated".into(),
            reader: Box::new(BufReader::new(gen)),
        }],
        vec![443],
        1,
    );
    let scanner = Arc::new(Scanner::new(config()));
    let start = Instant::now();
    let opts = RunOptions {
        shard: Shard {
            index: 0,
            count: mem_shards,
        },
        seed: 7,
        ..RunOptions::default()
    };
    let sum = rt
        .block_on(run(scanner, stream, opts, Box::new(CountSink(0))))
        .unwrap();
    let took = start.elapsed();
    let done: u64 = sum.counts.values().sum();
    println!(
        "memory: {mem_targets} targets streamed in {:.1} s ({} in shard 0/{mem_shards} fingerprinted, {} left to other shards); peak RSS {:.1} MB",
        took.as_secs_f64(),
        done,
        sum.other_shards,
        peak_rss_mb()
    );
    stop(child);

    // 3. Hostile servers (endless bodies, endless headers, slow drip, silence, garbage), all at
    //    once: memory stays bounded by concurrency x caps, every target ends by its deadline.
    let (child, addrs) = servers(240, true);
    let gen = Generated {
        addrs,
        i: 0,
        count: n_hostile,
        line: Vec::new(),
        pos: 0,
    };
    let stream = TargetStream::new(
        vec![Source::Reader {
            name: "generated".into(),
            reader: Box::new(BufReader::new(gen)),
        }],
        vec![443],
        1,
    );
    let mut cfg = config();
    cfg.limits.connect_timeout = Duration::from_secs(2);
    cfg.limits.request_timeout = Duration::from_secs(3);
    cfg.target_timeout = Duration::from_secs(6);
    let scanner = Arc::new(Scanner::new(cfg));
    let start = Instant::now();
    let sum = rt
        .block_on(run(
            scanner,
            stream,
            RunOptions::default(),
            Box::new(CountSink(0)),
        ))
        .unwrap();
    println!(
        "hostile: {n_hostile} targets on 240 hostile servers in {:.1} s (deadline 6 s per target, concurrency 512); verdicts {:?}; peak RSS {:.1} MB",
        start.elapsed().as_secs_f64(),
        sum.counts,
        peak_rss_mb()
    );
    stop(child);
}
