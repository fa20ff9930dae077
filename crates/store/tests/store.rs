//! The store's behaviour, run on SQLite and (when EXRAY_TEST_POSTGRES_URL is set) PostgreSQL.

use chrono::{Duration, TimeZone, Utc};
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_store::notify::NoticeSettings;
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::query::{FindingFilter, HostFilter};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, test_databases, to_json};
use exray_store::{Page, Principal, Role, Store, StoreError};

fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "test-admin".into(),
        role: Role::Admin,
        org_id: None,
    }
}

async fn stores(tag: &str) -> (tempfile::TempDir, Vec<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    for url in test_databases(dir.path(), tag).await {
        v.push(
            Store::open(&url)
                .await
                .unwrap_or_else(|e| panic!("open {url}: {e}")),
        );
    }
    (dir, v)
}

async fn org_with_net(s: &Store, name: &str, cidr: &str) -> i64 {
    let o = s
        .create_org(
            "test",
            &NewOrg {
                name: name.into(),
                sector: "energy".into(),
                country: "NL".into(),
            },
        )
        .await
        .unwrap();
    s.add_network(
        "test",
        o.id,
        &NewNetwork {
            kind: "cidr".into(),
            value: cidr.into(),
        },
    )
    .await
    .unwrap();
    o.id
}

fn day(d: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 1, 6, 0, 0).unwrap() + Duration::days(d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_recorded_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for url in test_databases(dir.path(), "migr").await {
        let s = Store::open(&url).await.unwrap();
        let first = s.applied_migrations().await.unwrap();
        assert_eq!(
            first,
            exray_store::schema::MIGRATIONS
                .iter()
                .map(|m| m.0)
                .collect::<Vec<_>>()
        );
        s.close().await;
        let s = Store::open(&url).await.unwrap();
        assert_eq!(s.applied_migrations().await.unwrap(), first);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_is_idempotent_and_attributes_by_cidr() {
    let (_d, stores) = stores("idem").await;
    for s in &stores {
        let acme = org_with_net(s, "ACME", "198.51.100.0/24").await;
        let sub = org_with_net(s, "ACME-branch", "198.51.100.128/25").await;
        let r = scan_report(
            vec![
                scan_result(
                    "198.51.100.7",
                    Some("mail.acme.example"),
                    ScanVerdict::Vulnerable,
                    day(0),
                ),
                scan_result("198.51.100.200", None, ScanVerdict::Patched, day(0)),
                scan_result("192.0.2.1", None, ScanVerdict::NotExchange, day(0)),
                scan_result("192.0.2.2", None, ScanVerdict::SuUnknown, day(0)),
            ],
            day(0),
        );
        let body = to_json(&r);
        let out = s.ingest(&admin(), &body).await.unwrap();
        assert!(!out.duplicate);
        assert_eq!((out.hosts, out.skipped, out.transitions), (3, 1, 3));
        let again = s.ingest(&admin(), &body).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(s.count("hosts").await.unwrap(), 3);
        assert_eq!(s.count("reports").await.unwrap(), 1);
        // Same id, different content: refused, nothing overwritten.
        let mut other = r.clone();
        other.scope = "tampered".into();
        assert!(matches!(
            s.ingest(&admin(), &to_json(&other)).await,
            Err(StoreError::Conflict(_))
        ));
        let hosts = s
            .list_hosts(&admin(), &HostFilter::default(), Page::default())
            .await
            .unwrap();
        let by_ip = |ip: &str| {
            hosts
                .iter()
                .find(|h| h.ip.as_deref() == Some(ip))
                .unwrap()
                .clone()
        };
        assert_eq!(by_ip("198.51.100.7").org_id, Some(acme));
        assert_eq!(by_ip("198.51.100.7").state, "vulnerable");
        assert_eq!(
            by_ip("198.51.100.200").org_id,
            Some(sub),
            "longest prefix wins"
        );
        assert_eq!(by_ip("198.51.100.200").state, "patched");
        assert_eq!(by_ip("192.0.2.2").org_id, None);
        assert_eq!(by_ip("192.0.2.2").state, "exposed");
        assert!(by_ip("198.51.100.7")
            .fix
            .as_deref()
            .unwrap()
            .contains("KB5019758"));
        // Bad input: a clear error with line and column, no panic.
        match s.ingest(&admin(), b"{\n  \"schema\": 5,\n").await {
            Err(StoreError::BadRequest(m)) => assert!(m.contains("line 2"), "{m}"),
            other => panic!("{other:?}"),
        }
        // The audit log has the ingest.
        let audit = s.list_audit(&admin(), Page::default()).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.action == "report.ingest" && a.object.contains(&r.report_id)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_lifecycle_with_causes_and_funnel() {
    let (_d, stores) = stores("life").await;
    for s in &stores {
        let org = org_with_net(s, "Gemeente", "203.0.113.0/24").await;
        s.add_network(
            "t",
            org,
            &NewNetwork {
                kind: "domain".into(),
                value: "gemeente.example".into(),
            },
        )
        .await
        .unwrap();
        s.add_contact(
            "t",
            org,
            &NewContact {
                name: "SOC".into(),
                email: "soc@gemeente.example".into(),
            },
        )
        .await
        .unwrap();
        let ip = "203.0.113.10";
        let host = "owa.gemeente.example";
        s.ingest(
            &admin(),
            &to_json(&scan_report(
                vec![scan_result(ip, Some(host), ScanVerdict::SuUnknown, day(0))],
                day(0),
            )),
        )
        .await
        .unwrap();
        s.ingest(
            &admin(),
            &to_json(&scan_report(
                vec![scan_result(ip, Some(host), ScanVerdict::Vulnerable, day(1))],
                day(1),
            )),
        )
        .await
        .unwrap();
        let settings = NoticeSettings {
            sender: "CERT-T".into(),
            base_url: "http://127.0.0.1".into(),
            renotify_secs: 7 * 86400,
        };
        let q = s.queue_notifications(&admin(), &settings).await.unwrap();
        assert_eq!((q.notifications, q.host_items), (1, 1));
        let again = s.queue_notifications(&admin(), &settings).await.unwrap();
        assert_eq!(
            (again.notifications, again.deduplicated),
            (0, 1),
            "no second notice within the interval"
        );
        let n = &s.queued_notifications(10).await.unwrap()[0];
        assert!(
            n.body.contains(ip) && n.body.contains("KB5019758") && n.body.contains("exray hunt"),
            "{}",
            n.body
        );
        s.mark_sent("t", n.id, "eml").await.unwrap();
        // Older scan arriving late changes nothing.
        s.ingest(
            &admin(),
            &to_json(&scan_report(
                vec![scan_result(ip, Some(host), ScanVerdict::Patched, day(-5))],
                day(-5),
            )),
        )
        .await
        .unwrap();
        s.ingest(
            &admin(),
            &to_json(&scan_report(
                vec![scan_result(ip, Some(host), ScanVerdict::Patched, day(3))],
                day(3),
            )),
        )
        .await
        .unwrap();
        let evil = vec![finding("f1", Stage::Foothold, "shell")];
        s.ingest(
            &admin(),
            &to_json(&hunt_report(host, Verdict::IndicatorsFound, evil, day(4))),
        )
        .await
        .unwrap();
        s.ingest(
            &admin(),
            &to_json(&hunt_report(
                host,
                Verdict::NoIndicatorsFound,
                vec![],
                day(9),
            )),
        )
        .await
        .unwrap();
        let hosts = s
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
        assert_eq!(
            hosts.len(),
            1,
            "hunt joined the scanned host by hostname within the org"
        );
        let d = s.host_detail(&admin(), hosts[0].id).await.unwrap();
        let path: Vec<&str> = d.transitions.iter().map(|t| t.to_state.as_str()).collect();
        assert_eq!(
            path,
            [
                "exposed",
                "vulnerable",
                "notified",
                "patched",
                "compromised",
                "remediated"
            ]
        );
        assert!(d.transitions.iter().all(|t| !t.cause.is_empty()));
        assert_eq!(d.transitions[2].notification_id, Some(n.id));
        assert!(d.transitions[4].cause.contains("furthest stage foothold"));
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].finding["evidence"][0]["line"], 42);
        // Reopened by new evidence.
        s.ingest(
            &admin(),
            &to_json(&hunt_report(
                host,
                Verdict::IndicatorsFound,
                vec![finding("f2", Stage::PostExploitation, "x")],
                day(12),
            )),
        )
        .await
        .unwrap();
        let d = s.host_detail(&admin(), hosts[0].id).await.unwrap();
        assert!(d.transitions.last().unwrap().reopened);
        let f = s.funnel(&admin(), None).await.unwrap();
        let reached = |st: &str| f.stages.iter().find(|x| x.stage == st).unwrap().reached;
        for st in [
            "exposed",
            "vulnerable",
            "notified",
            "patched",
            "hunted",
            "compromised",
            "remediated",
        ] {
            assert_eq!(reached(st), 1, "{st}");
        }
        assert_eq!(f.states["compromised"], 1);
        assert_eq!(f.hosts, 1);
        // Per-org funnel (computed from hosts) agrees with the maintained counters.
        let fo = s.funnel(&admin(), Some(org)).await.unwrap();
        assert_eq!(fo.stages, f.stages);
        let trend = s.trend(&admin(), 60).await.unwrap();
        assert!(trend.len() >= 4);
        assert!(trend.windows(2).all(|w| w[0].day < w[1].day));
        // Snapshots are keyed by event day (the notice was sent "today", the scans are from 2021).
        let d12 = trend
            .iter()
            .find(|t| t.day == "2021-03-13")
            .expect("a snapshot for the last hunt's day");
        assert_eq!(
            (
                d12.reached["compromised"],
                d12.reached["remediated"],
                d12.reached["notified"]
            ),
            (1, 1, 1)
        );
        let d1 = trend.iter().find(|t| t.day == "2021-03-02").unwrap();
        assert_eq!(
            (d1.reached["vulnerable"], d1.reached["compromised"]),
            (1, 0)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_members_are_confined() {
    let (_d, stores) = stores("scope").await;
    for s in &stores {
        let a = org_with_net(s, "A", "10.1.0.0/16").await;
        let b = org_with_net(s, "B", "10.2.0.0/16").await;
        let (tok, _secret) = s
            .create_token("t", "a-member", Role::OrgMember, Some(a))
            .await
            .unwrap();
        let member = Principal {
            token_id: tok.id,
            name: tok.name.clone(),
            role: Role::OrgMember,
            org_id: Some(a),
        };
        let r = scan_report(
            vec![
                scan_result("10.1.0.5", None, ScanVerdict::Vulnerable, day(0)),
                scan_result("10.2.0.5", None, ScanVerdict::Vulnerable, day(0)),
            ],
            day(0),
        );
        let out = s.ingest(&member, &to_json(&r)).await.unwrap();
        assert_eq!(
            (out.hosts, out.skipped),
            (1, 1),
            "a member cannot write about another organisation"
        );
        s.ingest(
            &admin(),
            &to_json(&scan_report(
                vec![scan_result(
                    "10.2.0.6",
                    None,
                    ScanVerdict::Vulnerable,
                    day(0),
                )],
                day(0),
            )),
        )
        .await
        .unwrap();
        let mine = s
            .list_hosts(
                &member,
                &HostFilter {
                    org_id: Some(b),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert!(mine.iter().all(|h| h.org_id == Some(a)) && mine.len() == 1);
        let all = s
            .list_hosts(&admin(), &HostFilter::default(), Page::default())
            .await
            .unwrap();
        let other = all.iter().find(|h| h.org_id == Some(b)).unwrap();
        assert!(matches!(
            s.host_detail(&member, other.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.get_org(&member, b).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.list_orgs(&member, None, Page::default())
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s
            .list_findings(&member, &FindingFilter::default(), Page::default())
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            s.trend(&member, 10).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            s.list_audit(&member, Page::default()).await,
            Err(StoreError::Forbidden)
        ));
        // Tokens authenticate by hash; revocation works.
        let (t2, secret) = s
            .create_token("t", "analyst", Role::Analyst, None)
            .await
            .unwrap();
        assert_eq!(
            s.authenticate(&secret).await.unwrap().unwrap().role,
            Role::Analyst
        );
        assert!(s.authenticate("exr_wrong").await.unwrap().is_none());
        s.revoke_token("t", t2.id).await.unwrap();
        assert!(s.authenticate(&secret).await.unwrap().is_none());
        assert!(s
            .create_token("t", "bad", Role::OrgMember, None)
            .await
            .is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_are_stored_verbatim() {
    let (_d, stores) = stores("hostile").await;
    let payloads = [
        "'; DROP TABLE hosts; --",
        "\" OR 1=1 --",
        "<script>alert(1)</script>",
        "Robert'); DELETE FROM reports; --",
        "\\'; SELECT pg_sleep(5); --",
    ];
    for s in &stores {
        for (i, p) in payloads.iter().enumerate() {
            let hostname = format!("h{i}{p}");
            let r = hunt_report(
                &hostname,
                Verdict::IndicatorsFound,
                vec![finding(p, Stage::Foothold, p)],
                day(i as i64),
            );
            s.ingest(&admin(), &to_json(&r)).await.unwrap();
        }
        assert_eq!(s.count("hosts").await.unwrap(), payloads.len() as i64);
        assert_eq!(s.count("reports").await.unwrap(), payloads.len() as i64);
        let f = s
            .list_findings(&admin(), &FindingFilter::default(), Page::default())
            .await
            .unwrap();
        for p in payloads {
            assert!(
                f.iter().any(|x| x.title == format!("ProxyLogon SSRF {p}")),
                "{p}"
            );
        }
        let orgs = s
            .list_orgs(&admin(), Some("%' OR '1'='1"), Page::default())
            .await
            .unwrap();
        assert!(orgs.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattributed_hunts_join_only_an_unambiguous_host() {
    let (_d, stores) = stores("join").await;
    for s in &stores {
        org_with_net(s, "X", "192.0.2.0/25").await;
        org_with_net(s, "Y", "192.0.2.128/25").await;
        let r = scan_report(
            vec![
                scan_result(
                    "192.0.2.1",
                    Some("mail.unique.example"),
                    ScanVerdict::Vulnerable,
                    day(0),
                ),
                scan_result("192.0.2.2", Some("exch01"), ScanVerdict::Vulnerable, day(0)),
                scan_result(
                    "192.0.2.200",
                    Some("exch01"),
                    ScanVerdict::Vulnerable,
                    day(0),
                ),
            ],
            day(0),
        );
        s.ingest(&admin(), &to_json(&r)).await.unwrap();
        s.ingest(
            &admin(),
            &to_json(&hunt_report(
                "MAIL.unique.example",
                Verdict::NoIndicatorsFound,
                vec![],
                day(1),
            )),
        )
        .await
        .unwrap();
        s.ingest(
            &admin(),
            &to_json(&hunt_report(
                "exch01",
                Verdict::NoIndicatorsFound,
                vec![],
                day(1),
            )),
        )
        .await
        .unwrap();
        let hosts = s
            .list_hosts(&admin(), &HostFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(hosts.len(), 4, "the ambiguous hunt made its own host");
        let joined = hosts
            .iter()
            .find(|h| h.ip.as_deref() == Some("192.0.2.1"))
            .unwrap();
        assert_eq!(
            (joined.state.as_str(), joined.hunt_verdict.as_deref()),
            ("clean", Some("no_indicators_found"))
        );
        assert!(hosts
            .iter()
            .filter(|h| h.hostname.as_deref() == Some("exch01"))
            .all(|h| h.state == "vulnerable" || h.ip.is_none()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_ingests_commit_in_groups_and_fail_alone() {
    let (_d, stores) = stores("group").await;
    for s in stores {
        let s = std::sync::Arc::new(s);
        let base = scan_report(
            vec![scan_result(
                "192.0.2.50",
                None,
                ScanVerdict::Vulnerable,
                day(0),
            )],
            day(0),
        );
        let mut conflicting = base.clone();
        conflicting.scope = "different content, same id".into();
        let mut bodies: Vec<Vec<u8>> = (0..24)
            .map(|i| {
                to_json(&scan_report(
                    vec![scan_result(
                        &format!("192.0.2.{}", 60 + i),
                        None,
                        ScanVerdict::Vulnerable,
                        day(i),
                    )],
                    day(i),
                ))
            })
            .collect();
        bodies.push(to_json(&base));
        bodies.push(to_json(&base));
        bodies.push(to_json(&conflicting));
        let tasks: Vec<_> = bodies
            .into_iter()
            .map(|b| {
                let s = s.clone();
                tokio::spawn(async move { s.ingest(&admin(), &b).await })
            })
            .collect();
        let mut ok = 0;
        let mut dup = 0;
        let mut conflict = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(o) if o.duplicate => dup += 1,
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(_)) => conflict += 1,
                Err(e) => panic!("{e}"),
            }
        }
        // One of the two identical copies and the conflicting one lose to whichever came first.
        assert_eq!(ok + dup + conflict, 27);
        assert_eq!(ok, 25, "24 distinct reports and one copy of the shared id");
        assert_eq!(dup + conflict, 2);
        assert_eq!(s.count("reports").await.unwrap(), 25);
        assert_eq!(s.count("hosts").await.unwrap(), 25);
        assert_eq!(
            s.funnel(&admin(), None).await.unwrap().hosts,
            25,
            "counters of rolled-back savepoints are not kept"
        );
    }
}

/// Issue 11, item 8: raw reports are kept compressed, read back byte for byte, and cleared by
/// the retention while the parsed evidence stays; names that are not names are refused, and a
/// NUL character never reaches the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_reports_are_compressed_and_expire_and_names_are_checked() {
    let (_d, stores) = stores("raw").await;
    for s in &stores {
        let results: Vec<_> = (0..200)
            .map(|i| {
                scan_result(
                    &format!("10.9.{}.{}", i / 200, i % 200),
                    None,
                    ScanVerdict::Vulnerable,
                    day(0),
                )
            })
            .collect();
        let r = scan_report(results, day(0));
        let body = to_json(&r);
        s.ingest(&admin(), &body).await.unwrap();
        let stored: i64 = sqlx::query(
            "SELECT CAST(LENGTH(body_zstd) + LENGTH(body) AS BIGINT) FROM reports WHERE report_id = $1",
        )
        .bind(&r.report_id)
        .fetch_one(s.pool())
        .await
        .map(|row| sqlx::Row::try_get(&row, 0).unwrap())
        .unwrap();
        assert!(
            (stored as usize) * 5 < body.len(),
            "stored {stored} bytes for a {} byte report",
            body.len()
        );
        assert_eq!(
            s.raw_report(&admin(), &r.report_id).await.unwrap().unwrap(),
            body
        );
        let member = Principal {
            token_id: 0,
            name: "m".into(),
            role: Role::OrgMember,
            org_id: Some(1),
        };
        assert!(matches!(
            s.raw_report(&member, &r.report_id).await,
            Err(StoreError::Forbidden)
        ));
        // Retention: nothing is younger than "now - 1 day" … except this report.
        let now = chrono::Utc::now().timestamp();
        assert_eq!(s.purge_raw_reports("t", now - 86400).await.unwrap(), 0);
        assert_eq!(s.purge_raw_reports("t", now + 1).await.unwrap(), 1);
        assert!(s
            .raw_report(&admin(), &r.report_id)
            .await
            .unwrap()
            .is_none());
        assert_eq!(s.count("observations").await.unwrap(), 200);
        // A 1 MB hostname, a hostname with a NUL or an escape character: 400 naming the field.
        for bad in [
            "a".repeat(1 << 20),
            "mail\0.example".into(),
            "mail\u{1b}[2J.example".into(),
        ] {
            let mut res = scan_result("10.9.9.9", None, ScanVerdict::Vulnerable, day(1));
            res.hostname = Some(bad);
            let err = s
                .ingest(&admin(), &to_json(&scan_report(vec![res], day(1))))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, StoreError::BadRequest(m) if m.contains("scan_results[0].hostname")),
                "{err}"
            );
        }
        // A hunt's FQDN and addresses are names too; and a host lists a handful of addresses.
        let mut r = hunt_report("ex01", Verdict::NoIndicatorsFound, vec![], day(1));
        r.host.fqdn = Some("ex01\u{1b}[2J.example".into());
        let err = s.ingest(&admin(), &to_json(&r)).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::BadRequest(m) if m.contains("host.fqdn")),
            "{err}"
        );
        r.host.fqdn = None;
        r.host.ips = (0..300)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        let err = s.ingest(&admin(), &to_json(&r)).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::BadRequest(m) if m.contains("host.ips")),
            "{err}"
        );
        // A NUL elsewhere (evidence text) is kept as U+FFFD (PostgreSQL cannot store NUL).
        let mut res = scan_result("10.9.9.10", None, ScanVerdict::Vulnerable, day(1));
        res.evidence[0].value = "15.1\0.2176".into();
        s.ingest(&admin(), &to_json(&scan_report(vec![res], day(1))))
            .await
            .unwrap();
        let h = s
            .list_hosts(
                &admin(),
                &HostFilter {
                    q: Some("10.9.9.10".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        let d = s.host_detail(&admin(), h[0].id).await.unwrap();
        let shown = d.observations[0].detail.to_string();
        assert!(shown.contains("15.1\u{fffd}.2176"), "{shown}");
    }
}

/// A dashboard login (login link, session, session check, logout) and the audit listing never
/// wait for the main database's writer. On SQLite a large report holds that writer for seconds
/// (one transaction); here a second connection holds it (`BEGIN IMMEDIATE`) while an ingest
/// waits behind it holding the store's in-process writer, exactly the state during a long
/// ingest. Before the login tables had their own file, the login waited for the writer (30 s
/// busy timeout, then an error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_login_does_not_wait_for_the_main_writer() {
    use sqlx::{Connection, Executor};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("login.db");
    let s = std::sync::Arc::new(Store::open(path.to_str().unwrap()).await.unwrap());
    let (tok, _secret) = s
        .create_token("test", "analyst", Role::Admin, None)
        .await
        .unwrap();
    let p = Principal {
        token_id: tok.id,
        name: tok.name.clone(),
        role: Role::Admin,
        org_id: None,
    };

    // Another writer holds the main database.
    let mut blocker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    blocker.execute("BEGIN IMMEDIATE").await.unwrap();
    blocker
        .execute("INSERT INTO audit (at, actor, action, object, detail) VALUES (0, 'blocker', 'hold', '', '')")
        .await
        .unwrap();
    // An ingest starts and waits behind it, holding the store's writer.
    let now = Utc::now();
    let body = to_json(&scan_report(
        vec![scan_result(
            "198.51.100.7",
            None,
            ScanVerdict::Vulnerable,
            now,
        )],
        now,
    ));
    let ingest = {
        let s = s.clone();
        tokio::spawn(async move { s.ingest(&admin(), &body).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !ingest.is_finished(),
        "the ingest should be waiting for the main writer"
    );

    let t0 = std::time::Instant::now();
    let login = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let ticket = s.create_login_link(&p).await.unwrap();
        let who = s
            .consume_login_link(&ticket)
            .await
            .unwrap()
            .expect("live ticket");
        assert_eq!(who.token_id, tok.id);
        assert!(
            s.consume_login_link(&ticket).await.unwrap().is_none(),
            "a ticket works once"
        );
        let (sid, csrf) = s.create_session(&who).await.unwrap();
        let (again, c2) = s.session(&sid).await.unwrap().expect("live session");
        assert_eq!((again.token_id, c2), (tok.id, csrf));
        let audit = s.list_audit(&admin(), Page::default()).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert!(actions.contains(&"session.create"), "{actions:?}");
        assert!(actions.contains(&"login_link.create"), "{actions:?}");
        s.delete_session(&sid).await.unwrap();
        assert!(s.session(&sid).await.unwrap().is_none());
    })
    .await;
    let took = t0.elapsed();
    assert!(
        login.is_ok(),
        "the login waited for the main writer ({took:?})"
    );
    assert!(
        took < std::time::Duration::from_secs(1),
        "login took {took:?}"
    );

    // The writer lets go: the ingest completes, and every audit row (main and login) is listed
    // with distinct ids.
    blocker.execute("ROLLBACK").await.unwrap();
    let out = ingest.await.unwrap().unwrap();
    assert!(!out.duplicate);
    let audit = s.list_audit(&admin(), Page::default()).await.unwrap();
    let mut ids: Vec<i64> = audit.iter().map(|a| a.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), audit.len(), "audit ids are unique");
    assert!(audit.iter().any(|a| a.action == "token.create"));
    assert!(audit.iter().all(|a| a.actor != "blocker"));

    // A revoked token's sessions end, and the login file survives a reopen.
    let (sid, _) = s.create_session(&p).await.unwrap();
    s.close().await;
    let s = Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(
        s.session(&sid).await.unwrap().is_some(),
        "sessions are durable"
    );
    s.revoke_token("test", tok.id).await.unwrap();
    assert!(s.session(&sid).await.unwrap().is_none());
    assert!(path.with_file_name("login.db.logins").exists());
}

/// A build's assessment is stored once however many hosts carry it (a million-row feed holds a
/// few hundred builds), and every host's detail still shows its observation's whole assessment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessments_are_stored_once_per_build_and_shown_whole() {
    let (_d, stores) = stores("assess").await;
    for s in &stores {
        let results: Vec<_> = (0..300)
            .map(|i| {
                let verdict = if i % 3 == 0 {
                    ScanVerdict::Patched
                } else {
                    ScanVerdict::Vulnerable
                };
                scan_result(
                    &format!("10.7.{}.{}", i / 200, i % 200),
                    None,
                    verdict,
                    day(0),
                )
            })
            .collect();
        let expected: std::collections::HashMap<String, serde_json::Value> = results
            .iter()
            .map(|r| {
                (
                    r.ip.clone().unwrap(),
                    serde_json::to_value(r.assessment.as_ref().unwrap()).unwrap(),
                )
            })
            .collect();
        // Two reports (the second a day later): the same two builds again.
        s.ingest(&admin(), &to_json(&scan_report(results.clone(), day(0))))
            .await
            .unwrap();
        let later: Vec<_> = results
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.scanned_at = day(1);
                r
            })
            .collect();
        s.ingest(&admin(), &to_json(&scan_report(later, day(1))))
            .await
            .unwrap();
        let stored: i64 = sqlx::query("SELECT COUNT(*) FROM assessments")
            .fetch_one(s.pool())
            .await
            .map(|row| sqlx::Row::try_get(&row, 0).unwrap())
            .unwrap();
        assert_eq!(stored, 2, "one row per distinct assessment");
        let hosts = s
            .list_hosts(&admin(), &HostFilter::default(), Page::new(Some(500), None))
            .await
            .unwrap();
        assert_eq!(hosts.len(), 300);
        for h in hosts.iter().step_by(37) {
            let d = s.host_detail(&admin(), h.id).await.unwrap();
            let ip = h.ip.clone().unwrap();
            assert_eq!(d.observations.len(), 2);
            for o in &d.observations {
                assert_eq!(o.detail["assessment"], expected[&ip], "{ip}");
                assert_eq!(o.detail["evidence"][0]["what"], "header:X-OWA-Version");
            }
        }
    }
}

/// A hunt report of the host `hostname` with the addresses and FQDN its registry and logs give.
fn hunt_with(
    id: &str,
    hostname: &str,
    fqdn: Option<&str>,
    ips: &[&str],
    verdict: Verdict,
    at: chrono::DateTime<Utc>,
) -> exray_core::Report {
    let findings = if verdict == Verdict::IndicatorsFound {
        vec![finding(id, Stage::Foothold, "shell")]
    } else {
        vec![]
    };
    let mut r = hunt_report(hostname, verdict, findings, at);
    r.report_id = id.into();
    r.host.fqdn = fqdn.map(str::to_string);
    r.host.ips = ips.iter().map(|s| s.to_string()).collect();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hunts_join_by_address_or_fqdn_never_by_a_bare_name() {
    let (_d, stores) = stores("identity").await;
    for s in &stores {
        let a = org_with_net(s, "A", "198.51.100.0/24").await;
        for (kind, value) in [("domain", "a.example"), ("cidr", "10.1.0.0/16")] {
            s.add_network(
                "t",
                a,
                &NewNetwork {
                    kind: kind.into(),
                    value: value.into(),
                },
            )
            .await
            .unwrap();
        }
        let b = org_with_net(s, "B", "203.0.113.0/24").await;
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
        let scanned = [
            ("198.51.100.7", Some("mail.a.example")),
            ("198.51.100.8", Some("ex01")),
            ("198.51.100.20", Some("mail2.a.example")),
            ("203.0.113.9", Some("exch01.b.example")),
            ("10.1.0.5", None),
            ("10.2.0.5", None),
        ];
        let r = scan_report(
            scanned
                .iter()
                .map(|(ip, h)| scan_result(ip, *h, ScanVerdict::Vulnerable, day(0)))
                .collect(),
            day(0),
        );
        s.ingest(&admin(), &to_json(&r)).await.unwrap();
        let ingest = |p: Principal, r: exray_core::Report| async move {
            s.ingest(&p, &to_json(&r)).await.unwrap();
        };
        let hosts = || async {
            s.list_hosts(&admin(), &HostFilter::default(), Page::default())
                .await
                .unwrap()
        };
        let by_ip = |hs: &[exray_store::query::HostRow], ip: &str| {
            hs.iter()
                .find(|h| h.ip.as_deref() == Some(ip))
                .unwrap_or_else(|| panic!("no host {ip}"))
                .clone()
        };
        let observed_by = |id: i64| async move {
            s.host_detail(&admin(), id)
                .await
                .unwrap()
                .observations
                .into_iter()
                .filter(|o| o.kind == "hunt")
                .map(|o| (o.report_id, o.detail["joined_by"].clone()))
                .collect::<Vec<_>>()
        };

        // By address: the registry's private address first, then the scanned public one.
        ingest(
            admin(),
            hunt_with(
                "h-ip",
                "EX01",
                None,
                &["10.0.0.5", "198.51.100.7"],
                Verdict::IndicatorsFound,
                day(1),
            ),
        )
        .await;
        let hs = hosts().await;
        assert_eq!(hs.len(), scanned.len(), "joined, no new host");
        let h = by_ip(&hs, "198.51.100.7");
        assert_eq!(h.hunt_verdict.as_deref(), Some("indicators_found"));
        assert_eq!(
            observed_by(h.id).await,
            [("h-ip".to_string(), serde_json::json!("ip 198.51.100.7"))]
        );

        // By FQDN (any case, the whole name), attributed by its domain.
        ingest(
            admin(),
            hunt_with(
                "h-fqdn",
                "MAIL2",
                Some("Mail2.A.Example"),
                &["10.9.9.9"],
                Verdict::NoIndicatorsFound,
                day(1),
            ),
        )
        .await;
        let hs = hosts().await;
        assert_eq!(hs.len(), scanned.len());
        let h = by_ip(&hs, "198.51.100.20");
        assert_eq!(h.hunt_verdict.as_deref(), Some("no_indicators_found"));
        assert_eq!(
            observed_by(h.id).await[0].1,
            serde_json::json!("fqdn mail2.a.example")
        );
        // A name that only starts like it is not it.
        ingest(
            admin(),
            hunt_with(
                "h-prefix",
                "mail2",
                Some("mail2.a.example.org"),
                &[],
                Verdict::NoIndicatorsFound,
                day(1),
            ),
        )
        .await;
        assert_eq!(hosts().await.len(), scanned.len() + 1);

        // A bare name never joins the scanned host of that name: a host of its own.
        ingest(
            admin(),
            hunt_with(
                "h-bare",
                "ex01",
                None,
                &[],
                Verdict::NoIndicatorsFound,
                day(2),
            ),
        )
        .await;
        let hs = hosts().await;
        assert_eq!(hs.len(), scanned.len() + 2);
        assert_eq!(by_ip(&hs, "198.51.100.8").hunt_verdict, None);
        // A member's hunts of a bare name: the second joins the first (same organisation, a
        // host with no address), never the unattributed one above nor the scanned one.
        for id in ["m-bare-1", "m-bare-2"] {
            ingest(
                member.clone(),
                hunt_with(id, "EX01", None, &[], Verdict::NoIndicatorsFound, day(3)),
            )
            .await;
        }
        let hs = hosts().await;
        assert_eq!(hs.len(), scanned.len() + 3);
        let mine: Vec<_> = hs
            .iter()
            .filter(|h| h.org_id == Some(a) && h.ip.is_none())
            .collect();
        assert_eq!(mine.len(), 1, "{hs:?}");
        assert_eq!(observed_by(mine[0].id).await.len(), 2);

        // A member's hunt naming another organisation's address (and FQDN) does not touch
        // that host: the member gets a host of its own, without that address.
        let theirs = by_ip(&hs, "203.0.113.9");
        ingest(
            member.clone(),
            hunt_with(
                "m-cross",
                "exch01",
                Some("exch01.b.example"),
                &["203.0.113.9"],
                Verdict::IndicatorsFound,
                day(4),
            ),
        )
        .await;
        let hs = hosts().await;
        assert_eq!(hs.len(), scanned.len() + 4);
        let after = by_ip(&hs, "203.0.113.9");
        assert_eq!((after.org_id, after.hunt_verdict.clone()), (Some(b), None));
        assert_eq!(after.state, theirs.state);
        assert!(observed_by(after.id).await.is_empty());
        let own = hs
            .iter()
            .find(|h| h.hostname.as_deref() == Some("exch01.b.example") && h.org_id == Some(a))
            .unwrap();
        assert_eq!(own.ip, None);

        // A private address joins only within the hunt's organisation: 10.1.0.5 is A's
        // (attributed by A's network), 10.2.0.5 is no one's and joins nothing.
        ingest(
            admin(),
            hunt_with(
                "h-private-a",
                "ex05",
                None,
                &["10.1.0.5"],
                Verdict::NoIndicatorsFound,
                day(5),
            ),
        )
        .await;
        ingest(
            admin(),
            hunt_with(
                "h-private-none",
                "ex06",
                None,
                &["10.2.0.5"],
                Verdict::NoIndicatorsFound,
                day(5),
            ),
        )
        .await;
        let hs = hosts().await;
        assert_eq!(
            hs.len(),
            scanned.len() + 5,
            "10.2.0.5's hunt made its own host"
        );
        assert_eq!(
            by_ip(&hs, "10.1.0.5").hunt_verdict.as_deref(),
            Some("no_indicators_found")
        );
        assert_eq!(by_ip(&hs, "10.2.0.5").hunt_verdict, None);

        // A new host takes the hunt's first free global address; a later scan of it joins it.
        ingest(
            admin(),
            hunt_with(
                "h-new",
                "ex07",
                Some("ex07.c.example"),
                &["10.3.0.7", "192.0.2.77"],
                Verdict::NoIndicatorsFound,
                day(6),
            ),
        )
        .await;
        let hs = hosts().await;
        let new = by_ip(&hs, "192.0.2.77");
        assert_eq!(new.hostname.as_deref(), Some("ex07.c.example"));
        let r = scan_report(
            vec![scan_result(
                "192.0.2.77",
                None,
                ScanVerdict::Patched,
                day(7),
            )],
            day(7),
        );
        s.ingest(&admin(), &to_json(&r)).await.unwrap();
        assert_eq!(hosts().await.len(), hs.len());
    }
}
