//! Attribution by ASN from an imported IP-to-ASN table, on SQLite and (with
//! EXRAY_TEST_POSTGRES_URL) PostgreSQL: the order CIDR → ASN → domain, refresh by re-import,
//! and the benchmark (`--ignored`): 1 million ranges loaded, lookups per second.

use chrono::{TimeZone, Utc};
use exray_core::ScanVerdict;
use exray_store::orgs::{NewNetwork, NewOrg};
use exray_store::query::HostFilter;
use exray_store::synth::{scan_report, scan_result, test_databases, to_json};
use exray_store::{Page, Principal, Role, Store};

fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "test-admin".into(),
        role: Role::Admin,
        org_id: None,
    }
}

async fn org(s: &Store, name: &str, nets: &[(&str, &str)]) -> i64 {
    let o = s
        .create_org(
            "test",
            &NewOrg {
                name: name.into(),
                sector: String::new(),
                country: "XY".into(),
            },
        )
        .await
        .unwrap();
    for (kind, value) in nets {
        s.add_network(
            "test",
            o.id,
            &NewNetwork {
                kind: (*kind).into(),
                value: (*value).into(),
            },
        )
        .await
        .unwrap();
    }
    o.id
}

async fn org_of(s: &Store, ip: &str) -> Option<i64> {
    let h = s
        .list_hosts(
            &admin(),
            &HostFilter {
                q: Some(ip.into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(h.len(), 1, "one host {ip}");
    h[0].org_id
}

const TABLE: &str = "192.0.2.0\t192.0.2.127\t64500\tXY\tEXAMPLE-A\n\
192.0.2.128\t192.0.2.255\t64501\tXY\tEXAMPLE-B\n\
198.51.100.0\t198.51.100.255\t0\tNone\tNot routed\n\
2001:db8::\t2001:db8::ffff\t64500\tXY\tEXAMPLE-A\n";

#[tokio::test]
async fn asn_attribution_comes_after_cidr_and_before_domain_and_follows_reimport() {
    let dir = tempfile::tempdir().unwrap();
    for url in test_databases(dir.path(), "asn").await {
        let s = Store::open(&url).await.unwrap();
        let out = s
            .import_asn_table("test", std::io::Cursor::new(TABLE))
            .await
            .unwrap();
        assert_eq!(
            (out.ranges, out.ipv4, out.ipv6, out.not_routed),
            (4, 3, 1, 1)
        );
        let a = org(&s, "A", &[("asn", "AS64500")]).await;
        let c = org(&s, "C", &[("cidr", "192.0.2.64/26")]).await;
        let d = org(&s, "D", &[("domain", "example.org"), ("asn", "AS0")]).await;
        let t = Utc.with_ymd_and_hms(2021, 3, 10, 0, 0, 0).unwrap();
        let mut r1 = scan_result("192.0.2.10", None, ScanVerdict::Vulnerable, t);
        r1.hostname = Some("mail.example.org".into());
        let r = scan_report(
            vec![
                r1,
                scan_result("192.0.2.70", None, ScanVerdict::Vulnerable, t),
                scan_result("2001:db8::5", None, ScanVerdict::Vulnerable, t),
                scan_result("192.0.2.200", None, ScanVerdict::Vulnerable, t),
                {
                    let mut x = scan_result("198.51.100.7", None, ScanVerdict::Vulnerable, t);
                    x.hostname = Some("owa.example.org".into());
                    x
                },
            ],
            t,
        );
        let o = s.ingest(&admin(), &to_json(&r)).await.unwrap();
        assert_eq!((o.attributed, o.unattributed), (4, 1));
        // ASN before domain; CIDR before ASN; ASN for IPv6; unclaimed AS: nobody; AS 0 (not
        // routed) is never attributed, so the domain decides.
        assert_eq!(org_of(&s, "192.0.2.10").await, Some(a));
        assert_eq!(org_of(&s, "192.0.2.70").await, Some(c));
        assert_eq!(org_of(&s, "2001:db8::5").await, Some(a));
        assert_eq!(org_of(&s, "192.0.2.200").await, None);
        assert_eq!(org_of(&s, "198.51.100.7").await, Some(d));
        // Re-import: 192.0.2.128/25 now belongs to AS64500 as well; new hosts follow.
        let table2 = TABLE.replace("64501", "64500");
        s.import_asn_table("test", std::io::Cursor::new(table2))
            .await
            .unwrap();
        let r = scan_report(
            vec![scan_result("192.0.2.201", None, ScanVerdict::Vulnerable, t)],
            t,
        );
        s.ingest(&admin(), &to_json(&r)).await.unwrap();
        assert_eq!(org_of(&s, "192.0.2.201").await, Some(a));
        // A bad table is refused whole, with its line, and the stored table stays.
        let e = s
            .import_asn_table(
                "test",
                std::io::Cursor::new(
                    "10.0.0.0\t10.0.0.9\t1\tXY\tx\n10.0.0.5\t10.0.0.20\t2\tXY\ty\n",
                ),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with("line 2:"), "{e}");
        let r = scan_report(
            vec![scan_result("192.0.2.202", None, ScanVerdict::Vulnerable, t)],
            t,
        );
        s.ingest(&admin(), &to_json(&r)).await.unwrap();
        assert_eq!(org_of(&s, "192.0.2.202").await, Some(a));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_one_million_ranges() {
    let n: u64 = std::env::var("EXRAY_ASN_BENCH_RANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("ip2asn.tsv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tsv).unwrap());
        exray_gen::feeds::write_ip2asn(&mut w, n, 13).unwrap();
        std::io::Write::flush(&mut w).unwrap();
    }
    let s = Store::open(dir.path().join("asn.db").to_str().unwrap())
        .await
        .unwrap();
    let t0 = std::time::Instant::now();
    let out = s
        .import_asn_table(
            "bench",
            std::io::BufReader::new(std::fs::File::open(&tsv).unwrap()),
        )
        .await
        .unwrap();
    let import_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let table = s.asn_table_for_bench().await.unwrap();
    let load_s = t1.elapsed().as_secs_f64();
    let lookups = 2_000_000u64;
    let mut rng = exray_gen::Rng::new(7);
    let t2 = std::time::Instant::now();
    let mut hits = 0u64;
    for i in 0..lookups {
        let ip = exray_gen::feeds::feed_address(rng.below(1 << 22) + (i & 15));
        hits += u64::from(table.lookup(ip.parse().unwrap()).is_some());
    }
    let lookup_s = t2.elapsed().as_secs_f64();
    println!(
        "{{\"ranges\":{},\"import_s\":{import_s:.1},\"load_s\":{load_s:.2},\"table_mib\":{:.1},\"lookups\":{lookups},\"lookups_per_s\":{:.0},\"hits\":{hits}}}",
        out.ranges,
        table.heap_bytes() as f64 / 1048576.0,
        lookups as f64 / lookup_s
    );
    assert_eq!(out.ranges, n);
    assert_eq!(table.len() as u64, n);
}
