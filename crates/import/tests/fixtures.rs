//! The Shadowserver fixtures (written by us from the column layout Shadowserver and IntelMQ
//! document for the Vulnerable Exchange Server report and the vulnerable-HTTP scan) through the
//! whole import: every row a result or a rejection with its line, builds judged by the catalogue.

use exray_core::{ExposureStatus, Report, ScanVerdict};
use exray_import::{import, Format};

fn run(file: &str, format: Format, chunk: usize) -> (exray_import::ImportStats, Vec<Report>) {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reports = Vec::new();
    let stats = import(
        std::fs::File::open(&path).unwrap(),
        format,
        file,
        chunk,
        |r| {
            reports.push(r);
            Ok::<(), std::io::Error>(())
        },
    )
    .unwrap();
    (stats, reports)
}

#[test]
fn vulnerable_exchange_report_is_judged_by_the_catalogue() {
    let (st, reports) = run(
        "shadowserver-vulnerable-exchange.csv",
        Format::Shadowserver,
        4,
    );
    assert_eq!((st.rows, st.results, st.rejected), (6, 5, 1));
    assert_eq!(reports.len(), 2, "4 results per report");
    let results: Vec<_> = reports.iter().flat_map(|r| r.scan_results.iter()).collect();
    let by_ip = |ip: &str| {
        results
            .iter()
            .find(|r| r.ip.as_deref() == Some(ip))
            .unwrap()
    };
    // 15.1.2176.2 is Exchange 2016 CU19 before the March 2021 SU: ProxyLogon vulnerable.
    let a = by_ip("192.0.2.10");
    assert_eq!(a.verdict, ScanVerdict::Vulnerable);
    let pl = a
        .assessment
        .as_ref()
        .unwrap()
        .exposures
        .iter()
        .find(|e| e.family == "proxylogon")
        .unwrap();
    assert_eq!(pl.status, ExposureStatus::Vulnerable);
    assert_eq!(pl.fixed_by.as_ref().unwrap().build, "15.1.2176.9");
    assert_eq!(a.target, "192.0.2.10:443");
    assert_eq!(a.hostname.as_deref(), Some("mail.example.org"));
    assert!(a
        .evidence
        .iter()
        .any(|e| e.what == "feed:servername" && e.value == "EXCH01"));
    // The web-shell tag is kept as the feed's evidence.
    let b = by_ip("192.0.2.11");
    assert!(b
        .evidence
        .iter()
        .any(|e| e.what == "feed:tag" && e.value == "exchange;webshell"));
    // The March 2021 SU itself: ProxyLogon patched (later families still open).
    let c = by_ip("2001:db8::25");
    assert_eq!(c.target, "[2001:db8::25]:443");
    let pl = c
        .assessment
        .as_ref()
        .unwrap()
        .exposures
        .iter()
        .find(|e| e.family == "proxylogon")
        .unwrap();
    assert_eq!(pl.status, ExposureStatus::Patched);
    // No version: Exchange, build unknown, and why.
    let d = by_ip("198.51.100.20");
    assert_eq!(d.verdict, ScanVerdict::ExchangeUnknownBuild);
    assert_eq!(d.error.as_deref(), Some("the feed gives no Exchange build"));
    // CU only: ProxyLogon SU unknown, never a guess (the verdict is still vulnerable: CU19
    // never received later families' fixes).
    let e = by_ip("198.51.100.21");
    let pl = e
        .assessment
        .as_ref()
        .unwrap()
        .exposures
        .iter()
        .find(|e| e.family == "proxylogon")
        .unwrap();
    assert_eq!(pl.status, ExposureStatus::SuUnknown);
    assert_eq!(e.verdict, ScanVerdict::Vulnerable);
    // The bad address is an input error of its report, with its line.
    let errors: Vec<_> = reports.iter().flat_map(|r| r.errors.iter()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(6));
    assert!(
        errors[0].message.contains("198.51.100.300"),
        "{}",
        errors[0].message
    );
    assert_eq!(st.reasons["bad_ip"], 1);
    assert_eq!(st.reasons["no_build"], 1);
    // Same file, same reports (ids and content): a re-upload is a duplicate.
    let (_, again) = run(
        "shadowserver-vulnerable-exchange.csv",
        Format::Shadowserver,
        4,
    );
    assert_eq!(
        serde_json::to_string(&reports).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    assert!(reports[0].report_id.starts_with("import-"));
    assert_ne!(reports[0].report_id, reports[1].report_id);
}

#[test]
fn http_scan_with_build_detail() {
    let (st, reports) = run(
        "shadowserver-http-vulnerable.csv",
        Format::Shadowserver,
        100,
    );
    assert_eq!((st.rows, st.results, st.rejected), (3, 2, 1));
    assert_eq!(st.reasons["no_timestamp"], 1);
    let r = &reports[0].scan_results;
    // 15.2.986.29 (2019 CU11 Aug22SU): ProxyNotShell open; 15.2.1118.20 (CU12 Nov22SU) fixes it.
    let family = |i: usize| {
        r[i].assessment
            .as_ref()
            .unwrap()
            .exposures
            .iter()
            .find(|e| e.family == "proxynotshell")
            .unwrap()
            .status
    };
    assert_eq!(family(0), ExposureStatus::Vulnerable);
    assert_eq!(family(1), ExposureStatus::Patched);
    assert!(r[0]
        .evidence
        .iter()
        .any(|e| e.what == "feed:server" && e.value == "Microsoft-IIS/10.0"));
    assert_eq!(reports[0].summary.input_errors, 1);
    assert!(reports[0].errors[0].message.starts_with("line 4:"));
}

#[test]
fn generic_csv_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("feed.csv");
    std::fs::write(
        &csv,
        "ip,port,hostname,timestamp,build,tag\n192.0.2.5,443,,2023-01-01T00:00:00Z,15.2.1118.7,x\n,,owa.example.org,2023-01-01 00:00:00,15.2.1118.7,\n192.0.2.6,99999,,2023-01-01T00:00:00Z,15.2.1118.7,\n192.0.2.7,443,,1999-01-01T00:00:00Z,15.2.1118.7,\n",
    )
    .unwrap();
    let mut reports = Vec::new();
    let st = import(
        std::fs::File::open(&csv).unwrap(),
        Format::Csv,
        "feed.csv",
        10,
        |r| {
            reports.push(r);
            Ok::<(), std::io::Error>(())
        },
    )
    .unwrap();
    assert_eq!((st.rows, st.results, st.rejected), (4, 2, 2));
    assert_eq!(st.reasons["bad_port"], 1);
    assert_eq!(st.reasons["bad_timestamp"], 1);
    assert_eq!(reports[0].scan_results[1].target, "owa.example.org");
    let jl = "{\"ip\":\"2001:db8::9\",\"timestamp\":1672531200,\"version\":\"15.2.1118.7\"}\n{\"hostname\":\"x.example.org\"}\n[1]\n";
    let st = import(jl.as_bytes(), Format::Jsonl, "j", 10, |_| {
        Ok::<(), std::io::Error>(())
    })
    .unwrap();
    assert_eq!((st.rows, st.results, st.rejected), (3, 1, 2));
    assert_eq!(st.reasons["no_timestamp"], 1);
    assert_eq!(st.reasons["unreadable_row"], 1);
}
