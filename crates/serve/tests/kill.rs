//! Kill during ingest: run the real `exray-serve` binary, POST reports from several clients,
//! SIGKILL the server mid-stream, restart it on the same database, and prove that every report
//! that was acknowledged (201/200) is stored with the same content.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, test_databases, to_json};

const TOKEN: &str = "kill-test-admin-token-0123456789";

fn spawn(db: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exray-serve"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database",
            db,
            "--bootstrap-admin-token",
            TOKEN,
            "--deliver-every-secs",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning exray-serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("startup line {line:?}: {e}"));
    (
        child,
        format!("http://{}", v["listening"].as_str().unwrap()),
    )
}

fn report(client: usize, n: usize) -> Vec<u8> {
    let at = Utc.with_ymd_and_hms(2021, 3, 1, 0, 0, 0).unwrap()
        + chrono::Duration::seconds((n * 10 + client) as i64);
    if n.is_multiple_of(2) {
        let results = (0..20)
            .map(|k| {
                scan_result(
                    &format!("10.{client}.{}.{k}", n % 250),
                    None,
                    ScanVerdict::Vulnerable,
                    at,
                )
            })
            .collect();
        to_json(&scan_report(results, at))
    } else {
        let f = (0..10)
            .map(|k| finding(&format!("f{k}"), Stage::Foothold, "x"))
            .collect();
        to_json(&hunt_report(
            &format!("exch{client}-{n}"),
            Verdict::IndicatorsFound,
            f,
            at,
        ))
    }
}

#[test]
fn no_acknowledged_report_is_lost_when_killed() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dbs = rt.block_on(test_databases(dir.path(), "kill"));
    for db in dbs {
        let (mut child, base) = spawn(&db);
        let acked: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let started = Instant::now();
        let clients: Vec<_> = (0..4)
            .map(|c| {
                let acked = acked.clone();
                let url = format!("{base}/api/v1/reports");
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(10))
                        .build()
                        .unwrap();
                    for n in 0.. {
                        let body = report(c, n);
                        match http.post(&url).bearer_auth(TOKEN).body(body.clone()).send() {
                            Ok(r) if r.status().is_success() => acked.lock().unwrap().push(body),
                            Ok(r) => panic!("unexpected answer {}", r.status()),
                            Err(_) => return, // the server is gone
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
        child.wait().unwrap();
        for c in clients {
            c.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() >= 10,
            "only {} reports acknowledged in {:?}",
            acked.len(),
            started.elapsed()
        );
        let (mut child, base) = spawn(&db);
        let http = reqwest::blocking::Client::new();
        for body in &acked {
            let r = http
                .post(format!("{base}/api/v1/reports"))
                .bearer_auth(TOKEN)
                .body(body.clone())
                .send()
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().unwrap();
            assert_eq!(status, 200, "an acknowledged report was lost: {text}");
            assert!(text.contains("\"duplicate\":true"), "{text}");
        }
        println!(
            "{}: {} acknowledged reports all present after SIGKILL",
            if db.starts_with("postgres") {
                "postgres"
            } else {
                "sqlite"
            },
            acked.len()
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
