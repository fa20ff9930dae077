//! Load test of `exray serve`'s resource bounds (loopback only), against the real
//! `exray-serve` binary in a child process (so that its RSS is its own):
//!
//! 1. `--uploads` (16) parallel uploads of a `--report-mib` (60) MiB scan report, each with its
//!    own report id, through the real client (`upload_report`, which honours `Retry-After`),
//!    while `/healthz` is probed every 200 ms and a dashboard login (login link → session →
//!    overview page with the cookie) is made every second; the server's RSS is sampled every 100 ms.
//! 2. `--half-open` (2,000) connections that send part of a request header and stall, then
//!    `/healthz` probed 20 times.
//!
//! Prints one JSON object: peak RSS, the slowest `/healthz` and login during the uploads, the
//! slowest `/healthz` under the half-open connections, and whether each bar is met.
//!
//! exray-serve-load [--database postgres://…] [--uploads 16] [--report-mib 60] [--half-open 2000]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use exray_core::ScanVerdict;
use exray_serve::app::SESSION_COOKIE;
use exray_store::synth::{scan_report, scan_result, to_json};

#[derive(Parser, Debug)]
struct Args {
    /// Database of the server under test (default: a fresh SQLite file in a temporary folder).
    #[arg(long)]
    database: Option<String>,
    #[arg(long, default_value_t = 16)]
    uploads: usize,
    #[arg(long, default_value_t = 60)]
    report_mib: usize,
    #[arg(long, default_value_t = 2000)]
    half_open: usize,
}

const TOKEN: &str = "load-admin-token-0123456789abcdef";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A scan report of at least `mib` MiB: many results of plausible size, hosts unattributed.
fn big_report(mib: usize) -> Vec<u8> {
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    let result = |i: usize| {
        let ip = std::net::Ipv4Addr::from((10u32 << 24) | i as u32).to_string();
        scan_result(&ip, None, ScanVerdict::Vulnerable, at)
    };
    let one = to_json(&scan_report(vec![result(1)], at)).len();
    let two = to_json(&scan_report(vec![result(1), result(2)], at)).len();
    let n = (mib << 20) / (two - one).max(1) + 1;
    to_json(&scan_report((0..n).map(result).collect(), at))
}

fn healthz(http: &reqwest::blocking::Client, base: &str) -> (Duration, bool) {
    timed(|| {
        http.get(format!("{base}/healthz"))
            .send()
            .map(|r| r.status().is_success())
            .unwrap_or(false)
    })
}

/// A dashboard login: a login link (API), following it to a session cookie, then the dashboard's
/// overview with that cookie.
fn login(http: &reqwest::blocking::Client, base: &str) -> (Duration, bool) {
    timed(|| {
        let Ok(r) = http
            .post(format!("{base}/api/v1/login-link"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body("{}")
            .send()
        else {
            return false;
        };
        let v = r
            .text()
            .map(|t| serde_json::from_str::<serde_json::Value>(&t).unwrap_or_default())
            .unwrap_or_default();
        let Some(url) = v["url"].as_str() else {
            return false;
        };
        let Ok(r) = http.get(url).send() else {
            return false;
        };
        // The session cookie, then a dashboard page with it (the session check of a request).
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .filter(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
            })
            .map(str::to_string);
        let Some(cookie) = cookie.filter(|_| r.status().as_u16() == 303) else {
            return false;
        };
        http.get(format!("{base}/"))
            .header("cookie", cookie)
            .send()
            .map(|r| r.status().as_u16() == 200)
            .unwrap_or(false)
    })
}

fn timed(f: impl FnOnce() -> bool) -> (Duration, bool) {
    let t = Instant::now();
    let ok = f();
    (t.elapsed(), ok)
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let dir = std::env::temp_dir().join(format!("exray-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = a
        .database
        .clone()
        .unwrap_or_else(|| dir.join("load.db").to_string_lossy().into_owned());
    let exe = std::env::current_exe()?
        .parent()
        .map(|d| d.join("exray-serve"))
        .ok_or_else(|| anyhow::anyhow!("no exray-serve next to this binary"))?;
    let mut child = Command::new(&exe)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--bootstrap-admin-token",
            TOKEN,
            "--deliver-every-secs",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let v: serde_json::Value = serde_json::from_str(&line)?;
    let addr = v["listening"].as_str().unwrap_or_default().to_string();
    let base = format!("http://{addr}");
    let res = run(&a, &base, pid);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let out = res?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn run(a: &Args, base: &str, pid: u32) -> anyhow::Result<serde_json::Value> {
    let body = Arc::new(big_report(a.report_mib));
    eprintln!(
        "report: {:.1} MiB; server pid {pid}, RSS at rest {} MiB",
        body.len() as f64 / 1048576.0,
        rss_kib(pid) / 1024
    );
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                peak.fetch_max(rss_kib(pid), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // 1. Parallel large uploads with probes.
    let t0 = Instant::now();
    let uploads: Vec<_> = (0..a.uploads)
        .map(|i| {
            let body = body.clone();
            let base = base.to_string();
            std::thread::spawn(move || {
                let mut b = body.as_ref().clone();
                // A distinct report id of the same length for each upload.
                let id = format!("\"report_id\":\"load-{i:06}");
                if let Some(at) = b.windows(13).position(|w| w == b"\"report_id\":\"") {
                    b[at..at + id.len()].copy_from_slice(id.as_bytes());
                }
                exray_serve::upload::upload_report_with(
                    &base,
                    TOKEN,
                    &b,
                    12,
                    Duration::from_secs(2),
                )
            })
        })
        .collect();
    // Probes in their own threads, so that a slow login never delays a /healthz probe.
    let probe = |every: Duration, f: fn(&reqwest::blocking::Client, &str) -> (Duration, bool)| {
        let (done, base, http) = (done.clone(), base.to_string(), http.clone());
        std::thread::spawn(move || {
            let (mut worst, mut n, mut failed) = (Duration::ZERO, 0u64, 0u64);
            while !done.load(Ordering::SeqCst) {
                let (d, ok) = f(&http, &base);
                worst = worst.max(d);
                n += 1;
                failed += u64::from(!ok);
                std::thread::sleep(every);
            }
            (worst, n, failed)
        })
    };
    let hz = probe(Duration::from_millis(200), healthz);
    let lg = probe(Duration::from_secs(1), login);
    while uploads.iter().any(|u| !u.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
    }
    done.store(true, Ordering::SeqCst);
    let (worst_healthz, hz_n, hz_failed) = hz.join().map_err(|_| anyhow::anyhow!("probe"))?;
    let (worst_login, lg_n, lg_failed) = lg.join().map_err(|_| anyhow::anyhow!("probe"))?;
    let (probes, failed_probes) = (hz_n + lg_n, hz_failed + lg_failed);
    let mut upload_errors = Vec::new();
    for u in uploads {
        if let Err(e) = u
            .join()
            .map_err(|_| anyhow::anyhow!("upload thread panicked"))?
        {
            upload_errors.push(format!("{e:#}"));
        }
    }
    let upload_secs = t0.elapsed().as_secs_f64();
    let _ = sampler.join();
    let peak_mib = peak.load(Ordering::SeqCst) / 1024;
    eprintln!(
        "uploads: {} in {upload_secs:.1}s, peak RSS {peak_mib} MiB, worst healthz {worst_healthz:?}, worst login {worst_login:?}",
        a.uploads
    );

    // 2. Half-open connections.
    let mut held = Vec::with_capacity(a.half_open);
    let t1 = Instant::now();
    for _ in 0..a.half_open {
        match std::net::TcpStream::connect(base.trim_start_matches("http://")) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
                held.push(s);
            }
            Err(e) => {
                eprintln!("connect {}: {e}", held.len());
                break;
            }
        }
    }
    let opened = held.len();
    let mut worst_half = Duration::ZERO;
    let mut half_fail = 0;
    for _ in 0..20 {
        let fresh = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(0)
            .build()?;
        let (d, ok) = healthz(&fresh, base);
        worst_half = worst_half.max(d);
        half_fail += u32::from(!ok);
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "half-open: {opened} held ({:.1}s to open), worst healthz {worst_half:?}, failures {half_fail}",
        t1.elapsed().as_secs_f64()
    );
    drop(held);
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    Ok(serde_json::json!({
        "report_mib": body.len() as f64 / 1048576.0,
        "uploads": a.uploads,
        "upload_errors": upload_errors,
        "upload_seconds": upload_secs,
        "peak_rss_mib": peak_mib,
        "worst_healthz_ms": ms(worst_healthz),
        "worst_login_ms": ms(worst_login),
        "failed_probes": failed_probes,
        "probes": probes,
        "half_open_held": opened,
        "half_open_worst_healthz_ms": ms(worst_half),
        "half_open_failures": half_fail,
        "bars": {
            "rss_under_1_gib": peak_mib < 1024,
            "healthz_under_1s": worst_healthz < Duration::from_secs(1) && failed_probes == 0,
            "login_under_1s": worst_login < Duration::from_secs(1),
            "half_open_healthz_under_1s": worst_half < Duration::from_secs(1) && half_fail == 0,
        }
    }))
}
