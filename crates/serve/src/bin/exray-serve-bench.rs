//! Benchmark of `exray serve` with a synthetic national-scale data set: organisations with one
//! /27 each, Exchange hosts spread over them, daily scans of every host (with a share patched
//! each day), hunts with findings, a notification round, then the p50/p95 latency of every
//! dashboard page and the main API reads. Ingest goes through the HTTP API (`POST
//! /api/v1/reports`) of an in-process server, from several concurrent clients.
//!
//! exray-serve-bench --database /tmp/bench.db --orgs 100000 --hosts 500000 --days 30

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_serve::app::{router, AppState, Config};
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, to_json};
use exray_store::{Principal, Role, Store};

#[derive(Parser, Debug)]
struct Args {
    /// SQLite file or postgres:// URL (must be empty).
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 100_000)]
    orgs: usize,
    #[arg(long, default_value_t = 500_000)]
    hosts: usize,
    /// Days of daily scans of every host.
    #[arg(long, default_value_t = 30)]
    days: usize,
    /// Scan results per report.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    #[arg(long, default_value_t = 200)]
    hunts_per_day: usize,
    #[arg(long, default_value_t = 25)]
    findings_per_hunt: usize,
    /// Share of hunts (percent) that find indicators (and carry findings); the rest are clean.
    #[arg(long, default_value_t = 50)]
    dirty_percent: u64,
    /// Concurrent upload clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Requests per page for the latency measurement.
    #[arg(long, default_value_t = 100)]
    page_requests: usize,
}

const TOKEN: &str = "bench-admin-token-0123456789abcdef";

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// Host `h` lives in org `h % orgs`, at offset `h / orgs` of that org's /27.
fn host_ip(h: usize, orgs: usize) -> String {
    let org = h % orgs;
    let off = h / orgs;
    let base = (10u32 << 24) | ((org as u32) << 5);
    std::net::Ipv4Addr::from(base + off as u32).to_string()
}

fn org_cidr(org: usize) -> String {
    format!(
        "{}/27",
        std::net::Ipv4Addr::from((10u32 << 24) | ((org as u32) << 5))
    )
}

fn verdict(h: usize, day: usize, days: usize) -> ScanVerdict {
    let r = mix(h as u64);
    if r.is_multiple_of(5) {
        return ScanVerdict::SuUnknown;
    }
    let patch_day = (r >> 8) as usize % (days * 3).max(1);
    if day >= patch_day {
        ScanVerdict::Patched
    } else {
        ScanVerdict::Vulnerable
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn post_all(
    http: &reqwest::Client,
    url: &str,
    bodies: Vec<Vec<u8>>,
    clients: usize,
) -> anyhow::Result<()> {
    let queue = Arc::new(tokio::sync::Mutex::new(bodies));
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let q = queue.clone();
        let http = http.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(b) = q.lock().await.pop() else {
                    return Ok::<(), anyhow::Error>(());
                };
                let r = http.post(&url).bearer_auth(TOKEN).body(b).send().await?;
                if !r.status().is_success() {
                    anyhow::bail!(
                        "ingest answered {}: {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    anyhow::ensure!(
        a.hosts >= a.orgs && a.hosts / a.orgs < 32,
        "need orgs <= hosts < 32 * orgs (one /27 per org)"
    );
    let store = Arc::new(Store::open(&a.database).await?);
    store.ensure_bootstrap_token(TOKEN).await?;
    let admin = Principal {
        token_id: 0,
        name: "bench".into(),
        role: Role::Admin,
        org_id: None,
    };
    let backend = store.backend().name();

    // Organisations, networks, contacts for one in ten.
    let t0 = Instant::now();
    let orgs: Vec<NewOrg> = (0..a.orgs)
        .map(|i| NewOrg {
            name: format!("org-{i:06}"),
            sector: "sector".into(),
            country: "NL".into(),
        })
        .collect();
    let ids = store.create_orgs_bulk("bench", &orgs).await?;
    let nets: Vec<(i64, NewNetwork)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                *id,
                NewNetwork {
                    kind: "cidr".into(),
                    value: org_cidr(i),
                },
            )
        })
        .collect();
    store.add_networks_bulk("bench", &nets).await?;
    for (i, id) in ids.iter().enumerate().step_by(10) {
        store
            .add_contact(
                "bench",
                *id,
                &NewContact {
                    name: "SOC".into(),
                    email: format!("soc@org{i}.example"),
                },
            )
            .await?;
    }
    eprintln!(
        "setup: {} orgs, {} networks in {:.1}s",
        a.orgs,
        nets.len(),
        t0.elapsed().as_secs_f64()
    );

    // The service, in process, on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let st = AppState::new(
        store.clone(),
        Config {
            base_url: format!("http://{addr}"),
            ..Config::default()
        },
    );
    let limits = st.cfg.limits;
    tokio::spawn(exray_serve::listen::serve(
        listener,
        router(st),
        limits,
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let url = format!("{base}/api/v1/reports");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients * 2)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    let start =
        chrono::DateTime::parse_from_rfc3339("2021-03-01T06:00:00Z")?.with_timezone(&chrono::Utc);
    let (mut scan_reports, mut scan_results, mut scan_secs) = (0usize, 0usize, 0f64);
    let (mut hunt_reports, mut hunt_findings, mut hunt_secs) = (0usize, 0usize, 0f64);
    for day in 0..a.days {
        let at = start + chrono::Duration::days(day as i64);
        let mut bodies = Vec::new();
        for chunk in (0..a.hosts).collect::<Vec<_>>().chunks(a.batch) {
            let results = chunk
                .iter()
                .map(|&h| {
                    let host = format!("mail{h}.o{}.example", h % a.orgs);
                    scan_result(
                        &host_ip(h, a.orgs),
                        Some(&host),
                        verdict(h, day, a.days),
                        at,
                    )
                })
                .collect();
            bodies.push(to_json(&scan_report(results, at)));
        }
        let n = bodies.len();
        let t = Instant::now();
        post_all(&http, &url, bodies, a.clients).await?;
        scan_secs += t.elapsed().as_secs_f64();
        scan_reports += n;
        scan_results += a.hosts;

        let mut bodies = Vec::new();
        let mut nf = 0;
        for k in 0..a.hunts_per_day {
            let h = (mix((day * a.hunts_per_day + k) as u64) as usize) % a.hosts;
            let host = format!("mail{h}.o{}.example", h % a.orgs);
            let dirty = mix(h as u64 ^ 0x5eed) % 100 < a.dirty_percent;
            let f: Vec<_> = if dirty {
                (0..a.findings_per_hunt)
                    .map(|i| finding(&format!("f{i}"), Stage::Foothold, "bench"))
                    .collect()
            } else {
                vec![]
            };
            nf += f.len();
            let v = if dirty {
                Verdict::IndicatorsFound
            } else {
                Verdict::NoIndicatorsFound
            };
            bodies.push(to_json(&hunt_report(
                &host,
                v,
                f,
                at + chrono::Duration::hours(6),
            )));
        }
        let t = Instant::now();
        post_all(&http, &url, bodies, a.clients).await?;
        hunt_secs += t.elapsed().as_secs_f64();
        hunt_reports += a.hunts_per_day;
        hunt_findings += nf;
        eprintln!(
            "day {day}: scans {:.0} results/s, hunts {:.0} findings/s (cumulative)",
            scan_results as f64 / scan_secs,
            hunt_findings as f64 / hunt_secs.max(1e-9)
        );
    }

    let t = Instant::now();
    let q = store
        .queue_notifications(
            &admin,
            &exray_store::notify::NoticeSettings {
                sender: "CERT".into(),
                base_url: base.clone(),
                renotify_secs: 7 * 86400,
            },
        )
        .await?;
    let queue_secs = t.elapsed().as_secs_f64();

    // Dashboard and API latency.
    let (sid, _) = store
        .create_session(&store.authenticate(TOKEN).await?.expect("bench token"))
        .await?;
    let cookie = format!("exray_session={sid}");
    let some_host = store
        .list_hosts(
            &admin,
            &Default::default(),
            exray_store::Page::new(Some(1), Some(a.hosts as i64 / 2)),
        )
        .await?;
    let host_id = some_host.first().map(|h| h.id).unwrap_or(1);
    let org_id = ids[ids.len() / 2];
    let pages: Vec<(String, bool)> = [
        ("/", false),
        ("/orgs", false),
        ("/orgs?q=org-0500", false),
        (&*format!("/orgs/{org_id}"), false),
        ("/hosts", false),
        ("/hosts?state=vulnerable", false),
        ("/hosts?state=compromised", false),
        (
            &*format!("/hosts?q={}", host_ip(a.hosts / 3, a.orgs)),
            false,
        ),
        (&*format!("/hosts/{host_id}"), false),
        ("/findings", false),
        ("/findings?severity=critical", false),
        ("/notifications", false),
        ("/api/v1/funnel", true),
        ("/api/v1/trend", true),
        ("/api/v1/hosts?state=patched", true),
        (&*format!("/api/v1/hosts/{host_id}"), true),
        ("/api/v1/findings", true),
        ("/api/v1/notifications", true),
    ]
    .iter()
    .map(|(p, api)| (p.to_string(), *api))
    .collect();
    let mut page_stats = Vec::new();
    for (p, api) in &pages {
        let mut lat = Vec::with_capacity(a.page_requests);
        for _ in 0..a.page_requests {
            let t = Instant::now();
            let req = http.get(format!("{base}{p}"));
            let req = if *api {
                req.bearer_auth(TOKEN)
            } else {
                req.header("cookie", &cookie)
            };
            let r = req.send().await?;
            let status = r.status();
            let _ = r.bytes().await?;
            anyhow::ensure!(status.is_success(), "{p}: {status}");
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        lat.sort_by(|x, y| x.total_cmp(y));
        page_stats.push(serde_json::json!({
            "page": p, "p50_ms": (pct(&lat, 0.5) * 10.0).round() / 10.0,
            "p95_ms": (pct(&lat, 0.95) * 10.0).round() / 10.0, "max_ms": (pct(&lat, 1.0) * 10.0).round() / 10.0,
        }));
        eprintln!(
            "{p}: p50 {:.1} ms, p95 {:.1} ms",
            pct(&lat, 0.5),
            pct(&lat, 0.95)
        );
    }
    let out = serde_json::json!({
        "backend": backend,
        "orgs": a.orgs, "hosts": a.hosts, "days": a.days, "clients": a.clients,
        "scan": { "reports": scan_reports, "results": scan_results, "seconds": scan_secs,
                  "reports_per_s": scan_reports as f64 / scan_secs, "results_per_s": scan_results as f64 / scan_secs },
        "hunt": { "reports": hunt_reports, "findings": hunt_findings, "seconds": hunt_secs,
                  "reports_per_s": hunt_reports as f64 / hunt_secs.max(1e-9), "findings_per_s": hunt_findings as f64 / hunt_secs.max(1e-9) },
        "queue_notifications": { "seconds": queue_secs, "notifications": q.notifications, "host_items": q.host_items },
        "rows": { "hosts": store.count("hosts").await?, "observations": store.count("observations").await?,
                  "findings": store.count("findings").await?, "transitions": store.count("transitions").await? },
        "pages": page_stats,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
