//! Property test of tenant isolation, on SQLite and (when EXRAY_TEST_POSTGRES_URL is set)
//! PostgreSQL: random sequences of organisations, networks, tokens, scans, hunts, deletions and
//! notification rounds, from random roles. After every step:
//!
//! - no host of organisation X (or of none) has an observation, finding or transition caused by
//!   a report of a member of organisation Y ≠ X;
//! - every read a member can make (hosts, host detail, findings, latest scans, notifications,
//!   organisations, funnel) answers only with its own organisation's rows.
//!
//! Fixed seed; `EXRAY_PROPTEST_CASES` (default 4) sequences of 250–400 steps per engine.

use chrono::{Duration, TimeZone, Utc};
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_store::notify::NoticeSettings;
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::query::{FindingFilter, HostFilter};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, test_databases, to_json};
use exray_store::{Page, Principal, Role, Store, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sqlx::Row;

const IPS: usize = 40;
const NAMES: usize = 8;
const DOMAINS: [&str; 3] = ["a.example", "b.example", "c.example"];

fn ip(i: usize) -> String {
    if i < 32 {
        format!("192.0.2.{i}")
    } else {
        format!("198.51.100.{}", i - 32)
    }
}

fn hostname(i: usize, d: usize) -> String {
    let dom = DOMAINS.get(d).copied().unwrap_or("z.example");
    format!("h{i}.{dom}")
}

#[derive(Clone, Debug)]
enum Net {
    Cidr(usize),
    Domain(usize),
}

impl Net {
    fn network(&self) -> NewNetwork {
        match self {
            // /29 blocks over the pool of addresses.
            Net::Cidr(b) => NewNetwork {
                kind: "cidr".into(),
                value: format!("{}/29", ip(b * 8 % IPS)),
            },
            Net::Domain(d) => NewNetwork {
                kind: "domain".into(),
                value: DOMAINS[*d].into(),
            },
        }
    }
}

/// One scan result: address index (or hostname only), (hostname, domain), verdict, day.
type ResultSpec = (Option<usize>, Option<(usize, usize)>, u8, i64);

#[derive(Clone, Debug)]
enum Step {
    Org(Option<Net>),
    Network(usize, Net),
    DeleteOrg(usize),
    /// A token: role (0 admin, 1 analyst, 2+ member) of org index.
    Token(u8, usize),
    /// A scan from token index: (ip index or hostname-only, hostname, verdict, day).
    Scan(usize, Vec<ResultSpec>),
    /// A hunt from token index: hostname, verdict, findings, day, the host's addresses
    /// (indexes; past the pool, private addresses every organisation may have), and how it
    /// names itself (0: a dotted `hostname`, as reports before `fqdn`; 1: a bare `hostname`
    /// and an `fqdn`; 2: a bare `hostname` only).
    Hunt(usize, (usize, usize), bool, usize, i64, Vec<usize>, u8),
    Notify,
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        (0usize..IPS / 8).prop_map(Net::Cidr),
        (0usize..DOMAINS.len()).prop_map(Net::Domain)
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let result = (
        prop::option::weighted(0.85, 0usize..IPS),
        prop::option::of((0usize..NAMES, 0usize..4)),
        0u8..5,
        0i64..40,
    );
    prop_oneof![
        2 => prop::option::of(net()).prop_map(Step::Org),
        2 => (0usize..8, net()).prop_map(|(o, n)| Step::Network(o, n)),
        1 => (0usize..8).prop_map(Step::DeleteOrg),
        3 => (0u8..5, 0usize..8).prop_map(|(r, o)| Step::Token(r, o)),
        10 => (0usize..16, prop::collection::vec(result, 1..6)).prop_map(|(t, r)| Step::Scan(t, r)),
        5 => (
            (0usize..16, (0usize..NAMES, 0usize..4), any::<bool>(), 0usize..3, 0i64..40),
            prop::collection::vec(0usize..IPS + 4, 0..3),
            0u8..3,
        )
            .prop_map(|((t, h, v, f, d), ips, naming)| Step::Hunt(t, h, v, f, d, ips, naming)),
        1 => Just(Step::Notify),
    ]
}

fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "prop-admin".into(),
        role: Role::Admin,
        org_id: None,
    }
}

fn day(d: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 1, 6, 0, 0).unwrap() + Duration::days(d)
}

fn verdict(v: u8) -> ScanVerdict {
    match v {
        0 => ScanVerdict::Vulnerable,
        1 => ScanVerdict::Patched,
        2 => ScanVerdict::SuUnknown,
        3 => ScanVerdict::NotExchange,
        _ => ScanVerdict::Unreachable,
    }
}

struct World {
    orgs: Vec<i64>,
    /// Organisations created so far (for unique names).
    orgs_made: usize,
    tokens: Vec<Principal>,
    reports: u64,
    /// Report id → organisation of the member who sent it (members' reports only).
    by_member: std::collections::HashMap<String, i64>,
}

async fn run_step(s: &Store, w: &mut World, st: &Step) {
    let pick = |v: &Vec<i64>, i: usize| (!v.is_empty()).then(|| v[i % v.len()]);
    match st {
        Step::Org(n) => {
            let o = s
                .create_org(
                    "prop",
                    &NewOrg {
                        // Unique even after deletions (a count of live organisations is not).
                        name: format!("org-{}", w.orgs_made),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            s.add_contact(
                "prop",
                o.id,
                &NewContact {
                    name: "soc".into(),
                    email: format!("soc{}@example.org", o.id),
                },
            )
            .await
            .unwrap();
            if let Some(n) = n {
                let _ = s.add_network("prop", o.id, &n.network()).await;
            }
            w.orgs.push(o.id);
            w.orgs_made += 1;
        }
        Step::Network(o, n) => {
            if let Some(o) = pick(&w.orgs, *o) {
                // A network already taken is refused (unique); that is fine.
                let _ = s.add_network("prop", o, &n.network()).await;
            }
        }
        Step::DeleteOrg(o) => {
            if let Some(o) = pick(&w.orgs, *o) {
                s.delete_org("prop", o).await.unwrap();
                w.orgs.retain(|x| *x != o);
                w.tokens.retain(|t| t.org_id != Some(o));
                // Its hosts are now of no organisation, and its members are gone.
                w.by_member.retain(|_, org| *org != o);
            }
        }
        Step::Token(r, o) => {
            let (role, org) = match r {
                0 => (Role::Admin, None),
                1 => (Role::Analyst, None),
                _ => match pick(&w.orgs, *o) {
                    Some(o) => (Role::OrgMember, Some(o)),
                    None => return,
                },
            };
            let (_row, secret) = s
                .create_token("prop", &format!("t{}", w.tokens.len()), role, org)
                .await
                .unwrap();
            w.tokens
                .push(s.authenticate(&secret).await.unwrap().unwrap());
        }
        Step::Scan(t, results) => {
            let p = w
                .tokens
                .get(t % w.tokens.len().max(1))
                .cloned()
                .unwrap_or_else(admin);
            let res = results
                .iter()
                .map(|(i, h, v, d)| {
                    let name = h.map(|(n, dom)| hostname(n, dom));
                    let addr = i.map(ip);
                    let mut r = scan_result(
                        addr.as_deref().unwrap_or("0.0.0.0"),
                        name.as_deref(),
                        verdict(*v),
                        day(*d),
                    );
                    if addr.is_none() {
                        r.ip = None;
                        r.target = format!("https://{}/", name.as_deref().unwrap_or("h.example"));
                    }
                    r
                })
                .collect();
            w.reports += 1;
            let mut r = scan_report(res, day(results[0].3));
            r.report_id = format!("scan-{}", w.reports);
            s.ingest(&p, &to_json(&r)).await.unwrap();
            if let Some(o) = p.scope() {
                w.by_member.insert(r.report_id, o);
            }
        }
        Step::Hunt(t, (n, dom), dirty, nf, d, ips, naming) => {
            let p = w
                .tokens
                .get(t % w.tokens.len().max(1))
                .cloned()
                .unwrap_or_else(admin);
            let fs = if *dirty {
                (0..*nf + 1)
                    .map(|i| finding(&format!("f{i}"), Stage::Foothold, "x"))
                    .collect()
            } else {
                vec![]
            };
            let v = if *dirty {
                Verdict::IndicatorsFound
            } else {
                Verdict::NoIndicatorsFound
            };
            w.reports += 1;
            let fqdn = hostname(*n, *dom);
            let mut r = hunt_report(&fqdn, v, fs, day(*d));
            r.report_id = format!("hunt-{}", w.reports);
            if *naming > 0 {
                r.host.hostname = Some(format!("H{n}"));
            }
            if *naming == 1 {
                r.host.fqdn = Some(fqdn.to_ascii_uppercase());
            }
            r.host.ips = ips
                .iter()
                .map(|i| {
                    if *i < IPS {
                        ip(*i)
                    } else {
                        format!("10.0.0.{}", i - IPS)
                    }
                })
                .collect();
            s.ingest(&p, &to_json(&r)).await.unwrap();
            if let Some(o) = p.scope() {
                w.by_member.insert(r.report_id, o);
            }
        }
        Step::Notify => {
            let settings = NoticeSettings {
                sender: "CERT".into(),
                base_url: "http://127.0.0.1".into(),
                renotify_secs: 0,
            };
            s.queue_notifications(&admin(), &settings).await.unwrap();
            for n in s.queued_notifications(50).await.unwrap() {
                if s.claim_notification(n.id).await.unwrap() {
                    s.mark_sent("prop", n.id, "test").await.unwrap();
                }
            }
        }
    }
}

/// (report id, organisation of the host) of every row of `table` (with `host_id` and
/// `report_id`).
async fn written(s: &Store, table: &str) -> Vec<(String, Option<i64>)> {
    sqlx::query(&format!(
        "SELECT DISTINCT r.report_id, h.org_id FROM {table} x JOIN hosts h ON h.id = x.host_id \
         JOIN reports r ON r.id = x.report_id"
    ))
    .fetch_all(s.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect()
}

async fn invariant(s: &Store, w: &World, after: &Step) -> Result<(), String> {
    for table in ["observations", "findings", "transitions"] {
        for (report, host_org) in written(s, table).await {
            if let Some(member_org) = w.by_member.get(&report) {
                if host_org != Some(*member_org) {
                    return Err(format!(
                        "{table}: report {report} of a member of org {member_org} wrote a host of \
                         {host_org:?}, after {after:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn check_reads(s: &Store, w: &World, after: &Step) -> Result<(), String> {
    let all_hosts = s
        .list_hosts(&admin(), &HostFilter::default(), Page::new(Some(500), None))
        .await
        .unwrap();
    for p in w.tokens.iter().filter(|p| p.role == Role::OrgMember) {
        let own = p.org_id;
        let bad = |what: &str| Err(format!("{what} leaks to member of {own:?} after {after:?}"));
        for f in [None, w.orgs.first().copied(), w.orgs.last().copied()] {
            let filter = HostFilter {
                org_id: f,
                ..Default::default()
            };
            let hosts = s
                .list_hosts(p, &filter, Page::new(Some(500), None))
                .await
                .unwrap();
            if hosts.iter().any(|h| h.org_id != own) {
                return bad("list_hosts");
            }
            let fs = s
                .list_findings(
                    p,
                    &FindingFilter {
                        org_id: f,
                        ..Default::default()
                    },
                    Page::new(Some(500), None),
                )
                .await
                .unwrap();
            if fs.iter().any(|x| x.org_id != own) {
                return bad("list_findings");
            }
            if let Some(o) = f {
                let fun = s.funnel(p, Some(o)).await.unwrap();
                if fun.org_id != own {
                    return bad("funnel");
                }
                match s.get_org(p, o).await {
                    Ok(org) if Some(org.id) != own => return bad("get_org"),
                    Err(StoreError::NotFound) if Some(o) == own => return bad("own org hidden"),
                    _ => {}
                }
            }
        }
        // Host detail of some of its own hosts and some of everyone else's.
        let mine = all_hosts.iter().filter(|h| h.org_id == own).take(4);
        let theirs = all_hosts.iter().filter(|h| h.org_id != own).take(8);
        for h in mine.chain(theirs) {
            match s.host_detail(p, h.id).await {
                Ok(d) if d.host.org_id != own => return bad("host_detail"),
                Err(StoreError::NotFound) if h.org_id == own => return bad("own host hidden"),
                Ok(d) if d.findings.iter().any(|f| f.org_id != own) => {
                    return bad("host_detail findings")
                }
                _ => {}
            }
        }
        // The export's read of the latest scans, asked for every host (issue 13, item 5).
        let ids: Vec<i64> = all_hosts.iter().map(|h| h.id).collect();
        for (id, _) in s.latest_scans(p, &ids).await.unwrap() {
            if all_hosts.iter().find(|h| h.id == id).map(|h| h.org_id) != Some(own) {
                return bad("latest_scans");
            }
        }
        let ns = s
            .list_notifications(p, None, Page::new(Some(500), None))
            .await
            .unwrap();
        if ns.iter().any(|n| Some(n.org_id) != own) {
            return bad("list_notifications");
        }
        let orgs = s.list_orgs(p, None, Page::default()).await.unwrap();
        if orgs.iter().any(|o| Some(o.id) != own) {
            return bad("list_orgs");
        }
    }
    Ok(())
}

#[test]
fn members_never_touch_or_see_another_organisation() {
    let cases: u32 = std::env::var("EXRAY_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engines = rt.block_on(test_databases(dir.path(), "propiso"));
    let mut total_steps = 0usize;
    for (e, base) in engines.iter().enumerate() {
        let cfg = Config {
            cases,
            max_shrink_iters: 16,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]));
        let case = std::cell::Cell::new(0usize);
        let steps_seen = std::cell::Cell::new(0usize);
        let result = runner.run(&prop::collection::vec(step(), 250..400), |steps| {
            case.set(case.get() + 1);
            let case = case.get();
            steps_seen.set(steps_seen.get() + steps.len());
            let res: Result<(), String> = rt.block_on(async {
                // A fresh database per sequence: a SQLite file, or a PostgreSQL database.
                let url = if e == 0 {
                    dir.path()
                        .join(format!("prop-{case}.db"))
                        .to_string_lossy()
                        .into_owned()
                } else {
                    test_databases(dir.path(), &format!("propiso{case}"))
                        .await
                        .pop()
                        .unwrap()
                };
                let s = Store::open(&url).await.unwrap();
                let mut w = World {
                    orgs: vec![],
                    orgs_made: 0,
                    tokens: vec![],
                    reports: 0,
                    by_member: Default::default(),
                };
                for (i, st) in steps.iter().enumerate() {
                    run_step(&s, &mut w, st).await;
                    invariant(&s, &w, st).await?;
                    // Every read of every member: every 10th step and after the last.
                    if i % 10 == 9 || i + 1 == steps.len() {
                        check_reads(&s, &w, st).await?;
                    }
                }
                s.close().await;
                Ok(())
            });
            res.map_err(TestCaseError::fail)
        });
        total_steps += steps_seen.get();
        if let Err(e) = result {
            panic!("engine {base}: {e}");
        }
    }
    println!(
        "isolation held over {total_steps} steps on {} engine(s)",
        engines.len()
    );
    assert!(total_steps >= 1000 * engines.len() || cases < 4);
}
