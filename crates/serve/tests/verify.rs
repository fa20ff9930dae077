//! Verification by itself (`exray serve --verify-every`): rounds against loopback fake Exchange
//! servers that are patched between two rounds, on SQLite and (with `EXRAY_TEST_POSTGRES_URL`)
//! PostgreSQL; and the rate bar (`#[ignore]`d: run it in release with `--ignored --nocapture`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use exray_core::ScanVerdict;
use exray_scan::blocklist::Blocklist;
use exray_serve::verify::{verify_round, VerifyConfig};
use exray_store::notify::NoticeSettings;
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::synth::{scan_report, scan_result, test_databases, to_json};
use exray_store::{Page, Principal, Role, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;

const VULNERABLE: &str = "15.1.2176.2"; // Exchange 2016 CU19 without the March 2021 SU
const PATCHED: &str = "15.2.1748.43"; // Exchange 2019 CU13 with its SUs

fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "harness".into(),
        role: Role::Admin,
        org_id: None,
    }
}

/// A fake Exchange on one loopback address: the export tool manifest names `build` (changed to
/// "patch" it), everything else is 404. Counts the requests it receives.
struct Fake {
    addr: SocketAddr,
    build: Arc<Mutex<String>>,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const MANIFEST_PATH: &str =
    "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";

fn manifest(version: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <asmv1:assembly manifestVersion=\"1.0\" xmlns:asmv1=\"urn:schemas-microsoft-com:asm.v1\">\n\
         <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"{version}\" publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" processorArchitecture=\"msil\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\n\
         </asmv1:assembly>\n"
    )
}

async fn serve_conn(
    mut sock: tokio::net::TcpStream,
    build: Arc<Mutex<String>>,
    requests: Arc<AtomicU64>,
    log: Option<Arc<Mutex<Vec<Instant>>>>,
) {
    let mut buf = Vec::new();
    loop {
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end + 4);
        requests.fetch_add(1, Ordering::Relaxed);
        if let Some(log) = &log {
            log.lock().unwrap().push(Instant::now());
        }
        let path = head.split(' ').nth(1).unwrap_or("");
        let resp = if path == MANIFEST_PATH {
            let body = manifest(&build.lock().unwrap());
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-ms-application\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string()
        };
        if sock.write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn fake(ip: &str, build: &str, log: Option<Arc<Mutex<Vec<Instant>>>>) -> Fake {
    fake_on(ip, 0, build, log).await
}

/// A port on `ip` where nothing listens.
async fn dead_port(ip: &str) -> SocketAddr {
    let l = TcpListener::bind((ip.parse::<IpAddr>().unwrap(), 0))
        .await
        .unwrap();
    l.local_addr().unwrap()
}

/// A scan result as an earlier `exray scan` of `addr` (plain HTTP) would have made it.
fn earlier_result(addr: SocketAddr, verdict: ScanVerdict) -> exray_core::ScanResult {
    let mut r = scan_result(
        &addr.ip().to_string(),
        None,
        verdict,
        Utc::now() - chrono::Duration::hours(1),
    );
    r.target = format!("http://{addr}");
    r.port = Some(addr.port());
    r
}

async fn org_with_contact(store: &Store, name: &str, cidr: &str) -> i64 {
    let org = store
        .create_org(
            "t",
            &NewOrg {
                name: name.into(),
                sector: String::new(),
                country: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .add_network(
            "t",
            org.id,
            &NewNetwork {
                kind: "cidr".into(),
                value: cidr.into(),
            },
        )
        .await
        .unwrap();
    store
        .add_contact(
            "t",
            org.id,
            &NewContact {
                name: "Ops".into(),
                email: format!("ops@{}.example", name.to_ascii_lowercase()),
            },
        )
        .await
        .unwrap();
    org.id
}

/// Queue and "deliver" every notice: their hosts become *notified*.
async fn notify_all(store: &Store) {
    let settings = NoticeSettings {
        sender: "CERT-T".into(),
        base_url: "http://127.0.0.1".into(),
        renotify_secs: 7 * 86400,
    };
    store
        .queue_notifications(&admin(), &settings)
        .await
        .unwrap();
    for n in store.queued_notifications(1000).await.unwrap() {
        assert!(store.claim_notification(n.id).await.unwrap());
        store.mark_sent("t", n.id, "eml").await.unwrap();
    }
}

async fn host_id(store: &Store, ip: IpAddr) -> i64 {
    let hosts = store
        .list_hosts(
            &admin(),
            &exray_store::query::HostFilter {
                q: Some(ip.to_string()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(hosts.len(), 1, "{ip}: {hosts:?}");
    hosts[0].id
}

async fn state_of(store: &Store, id: i64) -> String {
    store.get_host(&admin(), id).await.unwrap().state
}

fn config(blocklist: Blocklist) -> VerifyConfig {
    let mut c = VerifyConfig::new(Duration::from_secs(3600), 200, 16, blocklist);
    c.scan.target_timeout = Duration::from_secs(10);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounds_move_notified_hosts_by_what_the_scanner_finds() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "verify").await {
        rounds_on(&db).await;
    }
}

async fn rounds_on(db: &str) {
    let store = Store::open(db).await.unwrap();
    let org_a = org_with_contact(&store, "Alpha", "127.61.0.0/16").await;
    let org_b = org_with_contact(&store, "Beta", "127.62.0.0/16").await;
    let fixed_later = fake("127.61.0.1", VULNERABLE, None).await;
    let still_vulnerable = fake("127.61.0.2", VULNERABLE, None).await;
    let down = dead_port("127.61.0.3").await;
    let blocklisted = fake("127.61.0.4", VULNERABLE, None).await;
    let opted_out = fake("127.62.0.1", VULNERABLE, None).await;
    let not_notified = fake("127.61.0.5", VULNERABLE, None).await;

    let earlier: Vec<_> = [
        fixed_later.addr,
        still_vulnerable.addr,
        down,
        blocklisted.addr,
        opted_out.addr,
    ]
    .into_iter()
    .map(|a| earlier_result(a, ScanVerdict::Vulnerable))
    .collect();
    store
        .ingest(
            &admin(),
            &to_json(&scan_report(
                earlier,
                Utc::now() - chrono::Duration::hours(1),
            )),
        )
        .await
        .unwrap();
    notify_all(&store).await;
    // A host found vulnerable after the notices went out: not awaiting verification.
    store
        .ingest(
            &admin(),
            &to_json(&scan_report(
                vec![earlier_result(not_notified.addr, ScanVerdict::Vulnerable)],
                Utc::now() - chrono::Duration::hours(1),
            )),
        )
        .await
        .unwrap();
    store.set_verify_opt_out("t", org_b, true).await.unwrap();
    assert!(store.verify_opt_out(org_b).await.unwrap());
    assert!(!store.verify_opt_out(org_a).await.unwrap());

    let id = |a: SocketAddr| {
        let store = &store;
        async move { host_id(store, a.ip()).await }
    };
    let (h_fixed, h_still, h_down, h_block, h_opt, h_new) = (
        id(fixed_later.addr).await,
        id(still_vulnerable.addr).await,
        id(down).await,
        id(blocklisted.addr).await,
        id(opted_out.addr).await,
        id(not_notified.addr).await,
    );
    for h in [h_fixed, h_still, h_down, h_block, h_opt] {
        assert_eq!(state_of(&store, h).await, "notified");
    }
    assert_eq!(state_of(&store, h_new).await, "vulnerable");

    let mut blocklist = Blocklist::new(true, false);
    blocklist
        .add_exclude_file(
            "verify-blocklist.txt",
            "# opt-outs\n127.61.0.4\n".as_bytes(),
        )
        .unwrap();
    let cfg = config(blocklist);

    // Round 1: nothing patched yet.
    let r1 = verify_round(&store, &cfg).await.unwrap();
    assert_eq!(
        (
            r1.candidates,
            r1.opted_out,
            r1.blocklisted,
            r1.probed,
            r1.transitions
        ),
        (5, 1, 1, 3, 0),
        "{r1:?}"
    );
    assert_eq!(r1.verdicts.get("vulnerable"), Some(&2), "{r1:?}");
    assert_eq!(r1.verdicts.get("unreachable"), Some(&1), "{r1:?}");
    for h in [h_fixed, h_still, h_down, h_block, h_opt] {
        assert_eq!(
            state_of(&store, h).await,
            "notified",
            "host {h} after round 1"
        );
    }
    assert!(fixed_later.requests.load(Ordering::Relaxed) >= 1);
    assert!(still_vulnerable.requests.load(Ordering::Relaxed) >= 1);

    // The owner installs the update between the rounds.
    *fixed_later.build.lock().unwrap() = PATCHED.to_string();
    let r2 = verify_round(&store, &cfg).await.unwrap();
    assert_eq!(
        (r2.candidates, r2.probed, r2.transitions),
        (5, 3, 1),
        "{r2:?}"
    );
    assert_eq!(r2.verdicts.get("patched"), Some(&1), "{r2:?}");
    assert_eq!(state_of(&store, h_fixed).await, "patched");
    assert_eq!(state_of(&store, h_still).await, "notified");
    // Unreachable is never taken for patched: the host stays notified, the observation is kept.
    assert_eq!(state_of(&store, h_down).await, "notified");
    let down_detail = store.host_detail(&admin(), h_down).await.unwrap();
    assert_eq!(down_detail.host.scan_verdict.as_deref(), Some("vulnerable"));
    assert_eq!(
        down_detail
            .observations
            .iter()
            .filter(|o| o.verdict == "unreachable")
            .count(),
        2,
        "{:?}",
        down_detail.observations
    );
    // The move is a transition with its cause, the verification report and the system actor.
    let detail = store.host_detail(&admin(), h_fixed).await.unwrap();
    let last = detail
        .transitions
        .iter()
        .find(|t| t.to_state == "patched")
        .expect("a transition to patched");
    assert_eq!(last.from_state.as_deref(), Some("notified"));
    assert_eq!(last.actor, "system:verify");
    assert!(last.cause.contains(PATCHED), "{}", last.cause);
    assert!(last.report_id.is_some());

    // Round 3: the patched host no longer awaits verification.
    let before = fixed_later.requests.load(Ordering::Relaxed);
    let r3 = verify_round(&store, &cfg).await.unwrap();
    assert_eq!(
        (r3.candidates, r3.probed, r3.transitions),
        (4, 2, 0),
        "{r3:?}"
    );
    assert_eq!(fixed_later.requests.load(Ordering::Relaxed), before);

    // Never probed: the opted-out organisation's host, the blocklisted address, the host that
    // was not notified.
    assert_eq!(opted_out.requests.load(Ordering::Relaxed), 0);
    assert_eq!(blocklisted.requests.load(Ordering::Relaxed), 0);
    assert_eq!(not_notified.requests.load(Ordering::Relaxed), 0);
    assert_eq!(state_of(&store, h_opt).await, "notified");
    assert_eq!(state_of(&store, h_new).await, "vulnerable");

    // The audit log: a start and a finish row per round, one probe row per probed host.
    let audit = store
        .list_audit(&admin(), Page::new(Some(500), None))
        .await
        .unwrap();
    let count = |action: &str| audit.iter().filter(|a| a.action == action).count();
    assert_eq!(count("verify.round.start"), 3);
    assert_eq!(count("verify.round.finish"), 3);
    assert_eq!(count("verify.probe"), 3 + 3 + 2);
    assert_eq!(count("org.verify_opt_out"), 1);
    let mut probes: HashMap<String, usize> = HashMap::new();
    for a in audit.iter().filter(|a| a.action == "verify.probe") {
        assert_eq!(a.actor, "system:verify");
        *probes.entry(a.object.clone()).or_default() += 1;
    }
    assert_eq!(probes.get(&format!("host:{h_fixed}")), Some(&2));
    assert_eq!(probes.get(&format!("host:{h_still}")), Some(&3));
    assert_eq!(probes.get(&format!("host:{h_down}")), Some(&3));
    for h in [h_block, h_opt, h_new] {
        assert_eq!(probes.get(&format!("host:{h}")), None, "host {h} probed");
    }
    let fixed_probe = audit
        .iter()
        .find(|a| {
            a.action == "verify.probe"
                && a.object == format!("host:{h_fixed}")
                && a.detail.contains("verdict=patched")
        })
        .expect("the probe that saw the fix");
    assert!(
        fixed_probe
            .detail
            .contains(&format!("target=http://{}", fixed_later.addr))
            && fixed_probe.detail.contains(MANIFEST_PATH),
        "{}",
        fixed_probe.detail
    );
    let finish = audit
        .iter()
        .find(|a| a.action == "verify.round.finish")
        .unwrap();
    assert!(
        finish.detail.contains("candidates=4") && finish.detail.contains("probed=2"),
        "{}",
        finish.detail
    );
    // The verification reports are ingested by the system principal.
    assert!(audit
        .iter()
        .any(|a| a.action == "report.ingest" && a.actor == "system:verify"));
    store.close().await;
}

/// The loop `exray serve --verify-every` starts: a round at once, then one per interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_runs_rounds_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        Store::open(&dir.path().join("loop.db").to_string_lossy())
            .await
            .unwrap(),
    );
    org_with_contact(&store, "Delta", "127.64.0.0/16").await;
    let server = fake("127.64.0.1", VULNERABLE, None).await;
    store
        .ingest(
            &admin(),
            &to_json(&scan_report(
                vec![earlier_result(server.addr, ScanVerdict::Vulnerable)],
                Utc::now() - chrono::Duration::hours(1),
            )),
        )
        .await
        .unwrap();
    notify_all(&store).await;
    let h = host_id(&store, server.addr.ip()).await;
    let mut cfg = config(Blocklist::new(true, false));
    cfg.every = Duration::from_secs(1);
    let task = exray_serve::verify::spawn(store.clone(), cfg);
    *server.build.lock().unwrap() = PATCHED.to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(&store, h).await != "patched" {
        assert!(Instant::now() < deadline, "no round moved the host");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Later rounds find nothing awaiting verification and probe nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    task.abort();
    let requests = server.requests.load(Ordering::Relaxed);
    let audit = store
        .list_audit(&admin(), Page::new(Some(500), None))
        .await
        .unwrap();
    let rounds = audit
        .iter()
        .filter(|a| a.action == "verify.round.finish")
        .count();
    assert!(rounds >= 2, "{rounds} rounds");
    assert_eq!(
        audit.iter().filter(|a| a.action == "verify.probe").count() as u64,
        requests,
        "one request per probe (the manifest answers), one probe per round until patched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opt_out_is_set_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(&dir.path().join("optout.db").to_string_lossy(), |_| {}).await;
    let org = org_with_contact(&s.store, "Gamma", "127.63.0.0/16").await;
    let path = format!("/api/v1/orgs/{org}/verify");
    let (st, v) = s
        .json("GET", &path, common::ADMIN_SECRET, serde_json::json!({}))
        .await;
    assert_eq!((st, v["opt_out"].as_bool()), (200, Some(false)), "{v}");
    let (st, v) = s
        .json(
            "PUT",
            &path,
            common::ADMIN_SECRET,
            serde_json::json!({ "opt_out": true }),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (_, v) = s
        .json("GET", &path, common::ADMIN_SECRET, serde_json::json!({}))
        .await;
    assert_eq!(v["opt_out"].as_bool(), Some(true));
    assert!(s.store.verify_opt_out(org).await.unwrap());
    let (st, _) = s
        .json(
            "PUT",
            &path,
            common::ADMIN_SECRET,
            serde_json::json!({ "opt_out": "yes" }),
        )
        .await;
    assert!(st == 400 || st == 422, "{st}");
    let (st, _) = s
        .json(
            "PUT",
            "/api/v1/orgs/999999/verify",
            common::ADMIN_SECRET,
            serde_json::json!({ "opt_out": true }),
        )
        .await;
    assert_eq!(st, 404);
}

/// The dashboard shows the setting on the organisation page; only an admin's session (with its
/// CSRF token) changes it, and the change is the same the API makes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opt_out_is_shown_and_set_on_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(&dir.path().join("optout-web.db").to_string_lossy(), |_| {}).await;
    let org = org_with_contact(&s.store, "Delta", "127.64.0.0/16").await;
    let (cookie, csrf) = s.session(common::ADMIN_SECRET).await;
    let page_path = format!("/orgs/{org}");
    let form_path = format!("/orgs/{org}/verify");
    let (st, page) = s.page(&cookie, &page_path).await;
    assert_eq!(st, 200);
    assert!(page.contains("are re-fingerprinted by the verification rounds"));
    assert_eq!(
        page.matches(&format!("action=\"{form_path}\"")).count(),
        1,
        "one setting form"
    );
    assert_eq!(
        s.form(
            &cookie,
            &form_path,
            &[("csrf", "forged"), ("opt_out", "true")]
        )
        .await,
        403
    );
    assert!(!s.store.verify_opt_out(org).await.unwrap());
    assert_eq!(
        s.form(&cookie, &form_path, &[("csrf", &csrf), ("opt_out", "true")])
            .await,
        303
    );
    assert!(s.store.verify_opt_out(org).await.unwrap());
    let (_, page) = s.page(&cookie, &page_path).await;
    assert!(page.contains("Opted out"), "{page}");
    let (_, v) = s
        .json(
            "GET",
            &format!("/api/v1/orgs/{org}/verify"),
            common::ADMIN_SECRET,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(v["opt_out"].as_bool(), Some(true));
    assert_eq!(
        s.form(
            &cookie,
            &form_path,
            &[("csrf", &csrf), ("opt_out", "false")]
        )
        .await,
        303
    );
    assert!(!s.store.verify_opt_out(org).await.unwrap());
    // Another organisation's setting is not found for it.
    assert_eq!(
        s.form(
            &cookie,
            "/orgs/999999/verify",
            &[("csrf", &csrf), ("opt_out", "true")]
        )
        .await,
        404
    );
}

/// The rate bar: one round over N loopback fake hosts (default 10,000; `EXRAY_VERIFY_BENCH_HOSTS`)
/// at R requests/s (default 500; `EXRAY_VERIFY_BENCH_RATE`) must take the time the rate implies
/// (requests / R) within ±10%. Each fake answers the manifest, so one request per host. On SQLite,
/// and on PostgreSQL too when `EXRAY_TEST_POSTGRES_URL` is set.
#[ignore]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_keeps_the_configured_rate() {
    let n: usize = std::env::var("EXRAY_VERIFY_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rate: u32 = std::env::var("EXRAY_VERIFY_BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "verifyrate").await {
        rate_round(&db, n, rate).await;
    }
}

/// One measured round of the rate bar on the database `db`.
async fn rate_round(db: &str, n: usize, rate: u32) {
    let store = Store::open(db).await.unwrap();
    org_with_contact(&store, "Bench", "127.0.0.0/8").await;
    let engine = if db.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    // N fake servers, each on its own loopback address (127.70.x.y), one listening socket each.
    let log = Arc::new(Mutex::new(Vec::with_capacity(n + 16)));
    let t0 = Instant::now();
    let mut fakes = Vec::with_capacity(n);
    for i in 0..n {
        let ip = format!(
            "127.{}.{}.{}",
            70 + i / 65_000,
            (i % 65_000) / 250,
            1 + i % 250
        );
        fakes.push(fake(&ip, VULNERABLE, Some(log.clone())).await);
    }
    let results: Vec<_> = fakes
        .iter()
        .map(|f| earlier_result(f.addr, ScanVerdict::Vulnerable))
        .collect();
    store
        .ingest(
            &admin(),
            &to_json(&scan_report(
                results,
                Utc::now() - chrono::Duration::hours(1),
            )),
        )
        .await
        .unwrap();
    notify_all(&store).await;
    println!(
        "setup: {n} fake servers and notified hosts in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let mut cfg = VerifyConfig::new(
        Duration::from_secs(86_400),
        rate,
        256,
        Blocklist::new(true, false),
    );
    cfg.scan.target_timeout = Duration::from_secs(30);
    let started = Instant::now();
    let out = verify_round(&store, &cfg).await.unwrap();
    let round = started.elapsed().as_secs_f64();
    let requests: u64 = fakes
        .iter()
        .map(|f| f.requests.load(Ordering::Relaxed))
        .sum();
    let times = log.lock().unwrap().clone();
    let first = times.iter().min().copied().unwrap();
    let last = times.iter().max().copied().unwrap();
    let span = (last - first).as_secs_f64();
    let implied = requests as f64 / f64::from(rate);
    let achieved = (requests.saturating_sub(1)) as f64 / span.max(1e-9);
    println!(
        "verification round on {engine}: {n} hosts, {requests} requests at --verify-rate {rate}: round {round:.2} s \
         (rate implies {implied:.2} s: {:+.1}%), requests spread over {span:.2} s = {achieved:.1} requests/s; \
         probed {} {:?}, {} reports",
        (round - implied) / implied * 100.0,
        out.probed,
        out.verdicts,
        out.reports,
    );
    assert_eq!(out.probed as usize, n, "{out:?}");
    assert_eq!(
        out.verdicts.get("vulnerable").copied(),
        Some(n as u64),
        "{out:?}"
    );
    assert_eq!(requests as usize, n, "one request per host");
    assert!(
        (round - implied).abs() <= 0.10 * implied,
        "round took {round:.2} s, the rate implies {implied:.2} s (±10%)"
    );
    assert!(
        achieved <= f64::from(rate) * 1.10,
        "{achieved:.1} requests/s exceeds the configured {rate}/s"
    );
    store.close().await;
}

/// A fake on a chosen port (0: any; 8080: a feed row's port, which the round probes over plain
/// HTTP as a scan of it would).
async fn fake_on(ip: &str, port: u16, build: &str, log: Option<Arc<Mutex<Vec<Instant>>>>) -> Fake {
    let listener = TcpListener::bind((ip.parse::<IpAddr>().unwrap(), port))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}:{port}: {e}"));
    let addr = listener.local_addr().unwrap();
    let build = Arc::new(Mutex::new(build.to_string()));
    let requests = Arc::new(AtomicU64::new(0));
    let (b, r) = (build.clone(), requests.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(serve_conn(sock, b.clone(), r.clone(), log.clone()));
        }
    });
    Fake {
        addr,
        build,
        requests,
        task,
    }
}

/// A CERT's whole loop through the service: a Shadowserver feed imported over the API, notices
/// queued over the API and sent, one of the two servers patched, a verification round, and the
/// organisation's export, which names the server still vulnerable and not the patched one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cert_loop_import_notify_verify_export() {
    let dir = tempfile::tempdir().unwrap();
    for (i, db) in test_databases(dir.path(), "certloop")
        .await
        .into_iter()
        .enumerate()
    {
        cert_loop_on(&db, i as u8).await;
    }
}

async fn cert_loop_on(db: &str, n: u8) {
    let s = common::start(db, |_| {}).await;
    let net = format!("127.63.{n}");
    let org = org_with_contact(&s.store, &format!("Gamma{n}"), &format!("{net}.0/24")).await;
    let patched_later = fake_on(&format!("{net}.1"), 8080, VULNERABLE, None).await;
    let still_vulnerable = fake_on(&format!("{net}.2"), 8080, VULNERABLE, None).await;

    // 1. Import: the feed as CERTs receive it.
    let mut csv = format!("{}\n", exray_gen::feeds::SHADOWSERVER_EXCHANGE_HEADER);
    for (i, f) in [&patched_later, &still_vulnerable].iter().enumerate() {
        csv.push_str(&format!(
            "\"2021-03-10 0{i}:00:00\",\"{}\",{},\"mail{i}.gamma.example\",\"cve-2021-26855\",64500,\"XY\",\"REGION\",\"CITY\",0,0,\"Communications\",\"{VULNERABLE}\",\"EXCH0{i}\",\"https://mail{i}.gamma.example/owa/\"\n",
            f.addr.ip(),
            f.addr.port()
        ));
    }
    let (status, body) = s
        .req(
            "POST",
            "/api/v1/import?format=shadowserver&name=feed.csv",
            Some(common::ADMIN_SECRET),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (ha, hb) = (
        host_id(&s.store, patched_later.addr.ip()).await,
        host_id(&s.store, still_vulnerable.addr.ip()).await,
    );
    assert_eq!(state_of(&s.store, ha).await, "vulnerable");

    // 2. Notify: queued over the API, then sent.
    let (status, body) = s
        .req(
            "POST",
            "/api/v1/notifications/queue",
            Some(common::ADMIN_SECRET),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let queued = s.store.queued_notifications(100).await.unwrap();
    assert_eq!(queued.len(), 1, "one notice for the organisation's contact");
    for q in queued {
        assert!(s.store.claim_notification(q.id).await.unwrap());
        s.store.mark_sent("t", q.id, "eml").await.unwrap();
    }
    for h in [ha, hb] {
        assert_eq!(state_of(&s.store, h).await, "notified");
    }

    // 3. Verify: one server was patched in the meantime.
    *patched_later.build.lock().unwrap() = PATCHED.to_string();
    let r = verify_round(&s.store, &config(Blocklist::new(true, false)))
        .await
        .unwrap();
    assert_eq!((r.probed, r.transitions), (2, 1), "{r:?}");
    assert_eq!(state_of(&s.store, ha).await, "patched");
    assert_eq!(state_of(&s.store, hb).await, "notified");
    assert!(patched_later.requests.load(Ordering::Relaxed) > 0);

    // 4. Export: what the organisation still has to fix, as its own member fetches it.
    let (_, member) = s
        .store
        .create_token("t", "gamma-member", Role::OrgMember, Some(org))
        .await
        .unwrap();
    let (status, bundle) = s
        .req(
            "GET",
            &format!("/api/v1/orgs/{org}/export?format=stix"),
            Some(&member),
            None,
        )
        .await;
    assert_eq!(status, 200, "{bundle}");
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(v["type"], "bundle");
    let vulnerable_ip = still_vulnerable.addr.ip().to_string();
    let patched_ip = patched_later.addr.ip().to_string();
    assert!(bundle.contains(&format!("\"{vulnerable_ip}\"")), "{bundle}");
    assert!(!bundle.contains(&format!("\"{patched_ip}\"")), "{bundle}");
}
