//! Resource bounds (issue 11, items 4 and 6), with small numbers so that CI runs them: the
//! connection cap sheds half-open connections instead of locking out `/healthz`, stalled
//! headers are cut off, and large uploads take turns (503 with `Retry-After` after the wait).
//! The full-size load test (16 × 60 MiB, 2,000 half-open) is `exray-serve-load`.

mod common;

use std::time::{Duration, Instant};

use common::{start, ADMIN_SECRET};
use exray_core::ScanVerdict;
use exray_store::synth::{scan_report, scan_result, to_json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_never_lock_out_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("conn.db").to_string_lossy(), |c| {
        c.limits.max_connections = 32;
        c.limits.header_timeout = Duration::from_secs(30);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut c = TcpStream::connect(addr(&s.base)).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(c);
    }
    for _ in 0..10 {
        let t = Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(1),
            reqwest::Client::new()
                .get(format!("{}/healthz", s.base))
                .send(),
        )
        .await
        .expect("/healthz within 1 s")
        .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(t.elapsed() < Duration::from_secs(1));
    }
    // The shed connections were closed by the server: most of the 300 read EOF at once.
    let mut closed = 0;
    for c in held.iter_mut() {
        let mut b = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(5), c.read(&mut b)).await {
            closed += 1;
        }
    }
    assert!(closed >= 250, "{closed} of 300 half-open connections shed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("hdr.db").to_string_lossy(), |c| {
        c.limits.header_timeout = Duration::from_secs(1);
    })
    .await;
    let mut c = TcpStream::connect(addr(&s.base)).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf))
        .await
        .expect("closed within 5 s");
    assert!(n.is_ok() || buf.is_empty());
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_uploads_take_turns_and_get_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("turns.db").to_string_lossy(), |c| {
        c.large_report_bytes = 4096;
        c.max_large_ingests = 1;
        c.ingest_queue_wait = Duration::from_millis(300);
    })
    .await;
    // A large upload that holds the only turn: headers and part of the body, then a stall.
    let mut hog = TcpStream::connect(addr(&s.base)).await.unwrap();
    hog.write_all(
        format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_SECRET}\r\n\
             Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"schema\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let big: Vec<_> = (0..40)
        .map(|i| {
            scan_result(
                &format!("192.0.2.{i}"),
                None,
                ScanVerdict::Vulnerable,
                common::day(0),
            )
        })
        .collect();
    let big = to_json(&scan_report(big, common::day(0)));
    assert!(big.len() > 4096);
    let r = s
        .http
        .post(format!("{}/api/v1/reports", s.base))
        .bearer_auth(ADMIN_SECRET)
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("5")
    );
    // A small report does not wait for large ones.
    let small = to_json(&scan_report(
        vec![scan_result(
            "198.51.100.1",
            None,
            ScanVerdict::Vulnerable,
            common::day(0),
        )],
        common::day(0),
    ));
    let (st, t) = s
        .req("POST", "/api/v1/reports", Some(ADMIN_SECRET), Some(small))
        .await;
    assert_eq!(st, 201, "{t}");
    // Once the hog goes away, the large report is taken.
    drop(hog);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (st, t) = s
        .req("POST", "/api/v1/reports", Some(ADMIN_SECRET), Some(big))
        .await;
    assert_eq!(st, 201, "{t}");
}

/// The upload client waits at least the `Retry-After` a busy service asks for.
#[test]
fn the_client_honours_retry_after() {
    use std::io::{BufRead, BufReader, Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for answer in [
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        ] {
            let (mut c, _) = l.accept().unwrap();
            seen.push(Instant::now());
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            c.write_all(answer.as_bytes()).unwrap();
        }
        seen
    });
    exray_serve::upload::upload_report_with(&base, "t", b"{}", 3, Duration::from_millis(10))
        .unwrap();
    let seen = server.join().unwrap();
    assert!(
        seen[1] - seen[0] >= Duration::from_secs(2),
        "retried after {:?}",
        seen[1] - seen[0]
    );
}
