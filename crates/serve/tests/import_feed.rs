//! Feed import into the store: correctness at test size (every row accounted for, re-import is a
//! duplicate, members confined to their organisation), and the benchmark of the issue's bar
//! (`--ignored`): a generated 1-million-row Shadowserver-format file into SQLite at ≥ 20,000
//! rows/s with peak memory < 300 MB.
//!
//! ```sh
//! CARGO_TARGET_DIR=… cargo test --release -p exray-serve --test import_feed -- --ignored --nocapture
//! ```
//! (`EXRAY_IMPORT_BENCH_ROWS=N` changes the size.)

use exray_import::Format;
use exray_serve::feedimport::import_feed;
use exray_store::orgs::{NewNetwork, NewOrg};
use exray_store::{Principal, Role, Store};

fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "test-admin".into(),
        role: Role::Admin,
        org_id: None,
    }
}

async fn org(s: &Store, name: &str, kind: &str, value: &str) -> i64 {
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
    s.add_network(
        "test",
        o.id,
        &NewNetwork {
            kind: kind.into(),
            value: value.into(),
        },
    )
    .await
    .unwrap();
    o.id
}

/// Hosts of `org` (all hosts when None), counted page by page.
async fn count_hosts(s: &Store, org: Option<i64>) -> usize {
    let mut n = 0;
    loop {
        let page = s
            .list_hosts(
                &admin(),
                &exray_store::query::HostFilter {
                    org_id: org,
                    ..Default::default()
                },
                exray_store::Page::new(Some(500), Some(n as i64)),
            )
            .await
            .unwrap();
        n += page.len();
        if page.len() < 500 {
            return n;
        }
    }
}

fn feed(rows: u64) -> Vec<u8> {
    let mut v = Vec::new();
    exray_gen::feeds::write_shadowserver_exchange(&mut v, rows, 7).unwrap();
    v
}

async fn stores(tag: &str) -> (tempfile::TempDir, Vec<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    for url in exray_store::synth::test_databases(dir.path(), tag).await {
        v.push(Store::open(&url).await.unwrap());
    }
    (dir, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_is_accounted_for_and_reimport_is_a_duplicate() {
    let (_d, stores) = stores("feed").await;
    let rows = 3000u64;
    for s in &stores {
        // 100.64.0.0/10 is the generator's IPv4 space: one /12 of it is an organisation's.
        let a = org(s, "A", "cidr", "100.64.0.0/12").await;
        let out = import_feed(
            s,
            &admin(),
            std::io::Cursor::new(feed(rows)),
            Format::Shadowserver,
            "gen.csv".into(),
            700,
        )
        .await
        .unwrap();
        let st = &out.import;
        assert_eq!(st.rows, rows);
        assert_eq!(st.results + st.rejected, rows, "{st:?}");
        assert!(st.rejected > 0 && st.reasons["bad_ip"] == st.rejected);
        for reason in ["no_build", "bad_build", "build_undecided"] {
            assert!(
                st.reasons.get(reason).is_some_and(|&n| n > 0),
                "{reason}: {st:?}"
            );
        }
        assert_eq!(
            st.unjudged,
            st.reasons["no_build"] + st.reasons["bad_build"] + st.reasons["build_undecided"]
        );
        assert_eq!(out.reports, rows.div_ceil(700).max(st.reports));
        assert_eq!(out.received, st.results);
        let t = out.ingest.as_ref().unwrap();
        // Every result is on a host that is attributed or counted as unattributed.
        assert_eq!(t.attributed + t.unattributed + t.skipped, st.results);
        assert_eq!(t.skipped, 0);
        assert!(t.attributed > 0 && t.unattributed > 0);
        assert_eq!(count_hosts(s, Some(a)).await as u64, t.attributed);
        assert_eq!(count_hosts(s, None).await as u64, t.hosts);
        // The same file again: the same reports, stored once.
        let again = import_feed(
            s,
            &admin(),
            std::io::Cursor::new(feed(rows)),
            Format::Shadowserver,
            "gen.csv".into(),
            700,
        )
        .await
        .unwrap();
        assert_eq!(again.duplicates, again.reports);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_import_writes_only_its_own_organisation() {
    let (_d, stores) = stores("feedscope").await;
    for s in &stores {
        let a = org(s, "A", "cidr", "100.64.0.0/24").await;
        let b = org(s, "B", "cidr", "100.64.1.0/24").await;
        let (tok, _) = s
            .create_token("t", "a-member", Role::OrgMember, Some(a))
            .await
            .unwrap();
        let member = Principal {
            token_id: tok.id,
            name: tok.name.clone(),
            role: Role::OrgMember,
            org_id: Some(a),
        };
        // Rows 0..255 are A's addresses, 256..511 B's, the rest nobody's.
        let out = import_feed(
            s,
            &member,
            std::io::Cursor::new(feed(600)),
            Format::Shadowserver,
            "member.csv".into(),
            1000,
        )
        .await
        .unwrap();
        assert!(out.ingest.is_none(), "a member sees no ingest counters");
        assert!(
            count_hosts(s, Some(a)).await > 200,
            "its own hosts are written"
        );
        assert_eq!(count_hosts(s, Some(b)).await, 0, "nothing written into B");
        // Addresses of nobody are claimed by the member's organisation (as for an upload),
        // never by B.
        assert_eq!(count_hosts(s, None).await, count_hosts(s, Some(a)).await);
    }
}

fn peak_rss_mib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_import_one_million_rows_into_sqlite() {
    let rows: u64 = std::env::var("EXRAY_IMPORT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("shadowserver.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        exray_gen::feeds::write_shadowserver_exchange(&mut w, rows, 13).unwrap();
        std::io::Write::flush(&mut w).unwrap();
    }
    let size = std::fs::metadata(&csv).unwrap().len();
    let db = dir.path().join("bench.db");
    let s = Store::open(db.to_str().unwrap()).await.unwrap();
    // 32 organisations with every other /16 of 100.64.0.0/10 (half the space), so that both
    // attributed and unattributed rows occur.
    for i in (0..64u32).step_by(2) {
        let net = std::net::Ipv4Addr::from(0x6440_0000u32 + (i << 16));
        org(&s, &format!("org{i}"), "cidr", &format!("{net}/16")).await;
    }
    let rss_before = peak_rss_mib();
    let t0 = std::time::Instant::now();
    let out = import_feed(
        &s,
        &admin(),
        std::fs::File::open(&csv).unwrap(),
        Format::Shadowserver,
        "shadowserver.csv".into(),
        exray_import::DEFAULT_CHUNK_ROWS,
    )
    .await
    .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let t = out.ingest.clone().unwrap();
    let st = &out.import;
    println!(
        "{{\"rows\":{rows},\"file_mib\":{:.1},\"seconds\":{secs:.1},\"rows_per_s\":{:.0},\"peak_rss_mib\":{},\"rss_before_mib\":{rss_before},\"results\":{},\"rejected\":{},\"unjudged\":{},\"attributed\":{},\"unattributed\":{},\"skipped\":{},\"reports\":{}}}",
        size as f64 / 1048576.0,
        rows as f64 / secs,
        peak_rss_mib(),
        st.results,
        st.rejected,
        st.unjudged,
        t.attributed,
        t.unattributed,
        t.skipped,
        out.reports,
    );
    assert_eq!(st.results + st.rejected, rows);
    assert_eq!(t.attributed + t.unattributed + t.skipped, st.results);
}
