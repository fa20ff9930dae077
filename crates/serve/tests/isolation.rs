//! Tenant isolation over HTTP, on SQLite and (when EXRAY_TEST_POSTGRES_URL is set) PostgreSQL:
//! the reproductions of issue 11 (cross-tenant write, host takeover, the "skipped" oracle,
//! timestamps out of range) as regression tests.

mod common;

use chrono::{TimeZone, Utc};
use common::{day, start, Srv, ADMIN_SECRET};
use exray_core::ScanVerdict;
use exray_store::synth::{assessment, scan_report, scan_result, test_databases, to_json};
use serde_json::{json, Value};

async fn org(s: &Srv, name: &str, network: Option<(&str, &str)>, contact: &str) -> i64 {
    let (st, v) = s
        .json(
            "POST",
            "/api/v1/orgs",
            ADMIN_SECRET,
            json!({"name": name, "sector": "", "country": ""}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    if let Some((kind, value)) = network {
        let (st, v) = s
            .json(
                "POST",
                &format!("/api/v1/orgs/{id}/networks"),
                ADMIN_SECRET,
                json!({"kind": kind, "value": value}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
    }
    let (st, v) = s
        .json(
            "POST",
            &format!("/api/v1/orgs/{id}/contacts"),
            ADMIN_SECRET,
            json!({"name": "soc", "email": contact}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    id
}

async fn member(s: &Srv, org: i64) -> String {
    let (st, v) = s
        .json(
            "POST",
            "/api/v1/tokens",
            ADMIN_SECRET,
            json!({"name": format!("member-{org}"), "role": "org_member", "org_id": org}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v["secret"].as_str().unwrap().to_string()
}

fn scan(
    ip: &str,
    hostname: Option<&str>,
    verdict: ScanVerdict,
    build: &str,
    at: chrono::DateTime<Utc>,
) -> Vec<u8> {
    let mut res = scan_result(ip, hostname, verdict, at);
    res.assessment = Some(assessment(build, verdict == ScanVerdict::Vulnerable));
    to_json(&scan_report(vec![res], at.min(Utc::now())))
}

async fn upload(s: &Srv, token: &str, body: Vec<u8>) -> (u16, Value) {
    let (st, t) = s
        .req("POST", "/api/v1/reports", Some(token), Some(body))
        .await;
    (st, serde_json::from_str(&t).unwrap_or(Value::Null))
}

async fn host_by_ip(s: &Srv, ip: &str) -> Value {
    let (st, v) = s
        .json(
            "GET",
            &format!("/api/v1/hosts?q={ip}"),
            ADMIN_SECRET,
            json!(null),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{v}");
    hosts[0].clone()
}

async fn history(s: &Srv, id: i64) -> Value {
    let (st, v) = s
        .json(
            "GET",
            &format!("/api/v1/hosts/{id}"),
            ADMIN_SECRET,
            json!(null),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

/// Issue 11, item 1, step by step: a member of A uploads a scan of B's address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_move_another_organisations_host() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "isorepro").await {
        let s = start(&db, |_| {}).await;
        let a = org(&s, "A", None, "soc@org-a.example").await;
        let _b = org(
            &s,
            "B",
            Some(("domain", "org-b.example")),
            "soc@org-b.example",
        )
        .await;
        let token_a = member(&s, a).await;
        let t0 = Utc::now() - chrono::Duration::days(2);
        let (st, v) = upload(
            &s,
            ADMIN_SECRET,
            scan(
                "203.0.113.9",
                Some("mail.org-b.example"),
                ScanVerdict::Vulnerable,
                "15.1.2106.2",
                t0,
            ),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        let before = host_by_ip(&s, "203.0.113.9").await;
        assert_eq!(before["state"], "vulnerable");
        assert_eq!(before["org_name"], "B", "{before}");
        let hid = before["id"].as_i64().unwrap();
        let hist_before = history(&s, hid).await;

        // The year-9999 freeze is refused outright, naming the field.
        let far = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
        let (st, v) = upload(
            &s,
            &token_a,
            scan(
                "203.0.113.9",
                None,
                ScanVerdict::Patched,
                "15.1.2507.66",
                far,
            ),
        )
        .await;
        assert_eq!(st, 400, "{v}");
        assert!(v["error"].as_str().unwrap().contains("scanned_at"), "{v}");
        // With a plausible time it is accepted but changes nothing of B's.
        let (st, v) = upload(
            &s,
            &token_a,
            scan(
                "203.0.113.9",
                None,
                ScanVerdict::Patched,
                "15.1.2507.66",
                Utc::now() - chrono::Duration::hours(1),
            ),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        assert!(
            v.get("skipped").is_none() && v.get("transitions").is_none(),
            "{v}"
        );
        let after = host_by_ip(&s, "203.0.113.9").await;
        assert_eq!(after["state"], "vulnerable", "{after}");
        assert_eq!(after["build"], before["build"]);
        assert_eq!(after["org_name"], "B");
        let hist_after = history(&s, hid).await;
        assert_eq!(hist_after["observations"], hist_before["observations"]);
        assert_eq!(hist_after["transitions"], hist_before["transitions"]);

        // B's own later rescan is not "older" than anything A sent; the queue notifies B.
        let (st, v) = upload(
            &s,
            ADMIN_SECRET,
            scan(
                "203.0.113.9",
                Some("mail.org-b.example"),
                ScanVerdict::Vulnerable,
                "15.1.2106.2",
                Utc::now() - chrono::Duration::minutes(5),
            ),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        let (st, v) = s
            .json(
                "POST",
                "/api/v1/notifications/queue",
                ADMIN_SECRET,
                json!({}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["notifications"], 1, "B is told: {v}");
        assert_eq!(v["host_items"], 1, "{v}");
    }
}

/// Issue 11, item 2: an address that no network covers, or whose organisation was deleted,
/// is not claimed by the first member who scans it, and its history stays unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_claim_an_unattributed_host() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "isoclaim").await {
        let s = start(&db, |_| {}).await;
        let a = org(&s, "A", None, "soc@org-a.example").await;
        let c = org(&s, "C", Some(("cidr", "198.51.100.0/24")), "soc@c.example").await;
        let token_a = member(&s, a).await;
        // A host no network covers (staff scan), and one whose organisation is then deleted.
        for ip in ["192.0.2.77", "198.51.100.7"] {
            let (st, v) = upload(
                &s,
                ADMIN_SECRET,
                scan(ip, None, ScanVerdict::Vulnerable, "15.1.2106.2", day(0)),
            )
            .await;
            assert_eq!(st, 201, "{v}");
        }
        let (st, _) = s
            .json(
                "DELETE",
                &format!("/api/v1/orgs/{c}"),
                ADMIN_SECRET,
                json!(null),
            )
            .await;
        assert_eq!(st, 200);
        for ip in ["192.0.2.77", "198.51.100.7"] {
            let before = host_by_ip(&s, ip).await;
            assert!(before["org_id"].is_null(), "{before}");
            let (st, v) = upload(
                &s,
                &token_a,
                scan(ip, None, ScanVerdict::Patched, "15.1.2507.66", day(1)),
            )
            .await;
            assert_eq!(st, 201, "{v}");
            let after = host_by_ip(&s, ip).await;
            assert!(after["org_id"].is_null(), "not claimed: {after}");
            assert_eq!(after["state"], "vulnerable");
            let id = after["id"].as_i64().unwrap();
            let (st, _) = s
                .json("GET", &format!("/api/v1/hosts/{id}"), &token_a, json!(null))
                .await;
            assert_eq!(st, 404, "the member cannot read it");
        }
        // A's own new address is created in A.
        let (st, v) = upload(
            &s,
            &token_a,
            scan(
                "192.0.2.200",
                None,
                ScanVerdict::Vulnerable,
                "15.1.2106.2",
                day(1),
            ),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(host_by_ip(&s, "192.0.2.200").await["org_id"], a);
    }
}

/// Issue 11, item 3: the member's answer is the same whether an address is someone else's,
/// its own, or new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingest_answer_does_not_tell_who_owns_an_address() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "isooracle").await {
        let s = start(&db, |_| {}).await;
        let a = org(&s, "A", Some(("cidr", "192.0.2.0/25")), "soc@a.example").await;
        let _b = org(&s, "B", Some(("cidr", "192.0.2.128/25")), "soc@b.example").await;
        let token_a = member(&s, a).await;
        let mut answers = Vec::new();
        for (i, ip) in ["192.0.2.200", "192.0.2.10", "203.0.113.50"]
            .into_iter()
            .enumerate()
        {
            let (st, mut v) = upload(
                &s,
                &token_a,
                scan(
                    ip,
                    None,
                    ScanVerdict::Vulnerable,
                    "15.1.2106.2",
                    day(i as i64),
                ),
            )
            .await;
            assert_eq!(st, 201, "{v}");
            v.as_object_mut().unwrap().remove("report_id");
            answers.push(v);
        }
        assert_eq!(answers[0], answers[1], "foreign vs own");
        assert_eq!(answers[0], answers[2], "foreign vs new");
        assert_eq!(answers[0]["received"], 1);
        // Staff still see every counter.
        let (st, v) = upload(
            &s,
            ADMIN_SECRET,
            scan(
                "192.0.2.201",
                None,
                ScanVerdict::Vulnerable,
                "15.1.2106.2",
                day(3),
            ),
        )
        .await;
        assert_eq!(st, 201);
        assert_eq!(
            (v["hosts"].as_u64(), v["skipped"].as_u64()),
            (Some(1), Some(0))
        );
    }
}

/// Issue 11, item 5: evidence times before 2000 or after now + 1 day are refused with the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_times_out_of_range_are_refused_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "isotime").await {
        let s = start(&db, |_| {}).await;
        let year0 = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        let y1999 = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap();
        let tomorrow2 = Utc::now() + chrono::Duration::hours(49);
        let far = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
        for bad in [year0, y1999, tomorrow2, far] {
            let good = day(0);
            // The scan time.
            let mut r = scan_report(
                vec![scan_result("192.0.2.1", None, ScanVerdict::Vulnerable, bad)],
                good,
            );
            r.report_id = uuid_like();
            let (st, v) = upload(&s, ADMIN_SECRET, to_json(&r)).await;
            assert_eq!(st, 400, "{bad}: {v}");
            assert!(
                v["error"]
                    .as_str()
                    .unwrap()
                    .contains("scan_results[0].scanned_at"),
                "{v}"
            );
            // The report's finish time.
            let mut r = scan_report(
                vec![scan_result(
                    "192.0.2.1",
                    None,
                    ScanVerdict::Vulnerable,
                    good,
                )],
                good,
            );
            r.finished_at = bad;
            let (st, v) = upload(&s, ADMIN_SECRET, to_json(&r)).await;
            assert_eq!(st, 400, "{bad}: {v}");
            assert!(v["error"].as_str().unwrap().contains("finished_at"), "{v}");
        }
        assert_eq!(s.store.count("hosts").await.unwrap(), 0);
        // The edges are accepted: 2000-01-01 and now + 23 h.
        for ok in [
            Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(),
            Utc::now() + chrono::Duration::hours(23),
        ] {
            let r = scan_report(
                vec![scan_result("192.0.2.1", None, ScanVerdict::Vulnerable, ok)],
                ok,
            );
            let (st, v) = upload(&s, ADMIN_SECRET, to_json(&r)).await;
            assert_eq!(st, 201, "{ok}: {v}");
        }
    }
}

fn uuid_like() -> String {
    format!("r-{}", Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

/// What one organisation's evidence is marked with in the export test: a scanned vulnerable
/// address, an attacker address and a web shell (path and hash) found by a hunt.
struct Marks {
    name: &'static str,
    cidr: &'static str,
    domain: &'static str,
    scanned_ip: &'static str,
    attacker_ip: &'static str,
    sha256: String,
    shell: &'static str,
}

impl Marks {
    fn all(&self) -> Vec<String> {
        vec![
            self.name.to_string(),
            self.scanned_ip.to_string(),
            self.attacker_ip.to_string(),
            self.sha256.clone(),
            self.shell.to_string(),
        ]
    }
}

/// A hunt of `host` that found a web shell on disk, requested from `attacker_ip`.
fn shell_hunt(host: &str, m: &Marks, at: chrono::DateTime<Utc>) -> Vec<u8> {
    use exray_core::{Evidence, FileInfo, SourceKind, Stage, Verdict};
    let mut f = exray_store::synth::finding(&format!("shell-{}", m.name), Stage::Foothold, "x");
    f.client_ips = vec![m.attacker_ip.to_string()];
    f.artifacts = vec![format!("C:\\inetpub\\wwwroot\\aspnet_client\\{}", m.shell)];
    let mut ev = Evidence::new(
        SourceKind::FileSystem,
        format!("C:\\inetpub\\wwwroot\\aspnet_client\\{}", m.shell),
    );
    ev.file_info = Some(FileInfo {
        size: 1234,
        sha256: Some(m.sha256.clone()),
        sha1: None,
        md5: None,
        modified: None,
        created: None,
        times: None,
    });
    f.evidence.push(ev);
    for e in &mut f.evidence {
        e.client_ip = Some(m.attacker_ip.to_string());
    }
    to_json(&exray_store::synth::hunt_report(
        host,
        Verdict::IndicatorsFound,
        vec![f],
        at,
    ))
}

/// Issue 13, item 5: a member's export, in every format, of its organisation or of one of its
/// hosts, holds none of another organisation's addresses, hashes or names (nor of an
/// unattributed host), and another organisation's export answers 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_export_holds_only_its_organisation() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "export_iso").await {
        let s = start(&db, |_| {}).await;
        let marks = [
            Marks {
                name: "OrgA-export-marker",
                cidr: "198.51.100.0/24",
                domain: "orga.example",
                scanned_ip: "198.51.100.10",
                attacker_ip: "192.0.2.66",
                sha256: "a1".repeat(32),
                shell: "shellA.aspx",
            },
            Marks {
                name: "OrgB-export-marker",
                cidr: "203.0.113.0/24",
                domain: "orgb.example",
                scanned_ip: "203.0.113.10",
                attacker_ip: "192.0.2.77",
                sha256: "b2".repeat(32),
                shell: "shellB.aspx",
            },
        ];
        let mut orgs = Vec::new();
        for m in &marks {
            let id = org(
                &s,
                m.name,
                Some(("cidr", m.cidr)),
                &format!("soc@{}", m.domain),
            )
            .await;
            let (st, v) = s
                .json(
                    "POST",
                    &format!("/api/v1/orgs/{id}/networks"),
                    ADMIN_SECRET,
                    json!({"kind": "domain", "value": m.domain}),
                )
                .await;
            assert_eq!(st, 201, "{v}");
            let (st, v) = upload(
                &s,
                ADMIN_SECRET,
                scan(
                    m.scanned_ip,
                    None,
                    ScanVerdict::Vulnerable,
                    "15.1.2176.2",
                    day(0),
                ),
            )
            .await;
            assert_eq!(st, 201, "{v}");
            let (st, v) = upload(
                &s,
                ADMIN_SECRET,
                shell_hunt(&format!("ex01.{}", m.domain), m, day(1)),
            )
            .await;
            assert_eq!(st, 201, "{v}");
            orgs.push((id, member(&s, id).await));
        }
        // An address no organisation claims: staff only.
        let (st, v) = upload(
            &s,
            ADMIN_SECRET,
            scan(
                "100.64.0.9",
                None,
                ScanVerdict::Vulnerable,
                "15.1.2176.2",
                day(0),
            ),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        let unattributed = host_by_ip(&s, "100.64.0.9").await["id"].as_i64().unwrap();

        for (me, (org_id, token)) in orgs.iter().enumerate() {
            let other = 1 - me;
            let (other_org, _) = orgs[other];
            let own_hosts = s
                .json(
                    "GET",
                    &format!("/api/v1/hosts?org_id={org_id}"),
                    token,
                    json!(null),
                )
                .await
                .1["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_i64().unwrap())
                .collect::<Vec<_>>();
            assert_eq!(own_hosts.len(), 2, "a scanned and a hunted host");
            let other_hosts = s
                .json(
                    "GET",
                    &format!("/api/v1/hosts?org_id={other_org}"),
                    ADMIN_SECRET,
                    json!(null),
                )
                .await
                .1["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_i64().unwrap())
                .collect::<Vec<_>>();
            for format in ["misp", "stix", "intelmq", "csv"] {
                let mut bodies = Vec::new();
                let (st, body) = s
                    .req(
                        "GET",
                        &format!("/api/v1/orgs/{org_id}/export?format={format}"),
                        Some(token),
                        None,
                    )
                    .await;
                assert_eq!(st, 200, "{format}: {body}");
                // Not vacuous: its own evidence is there.
                for own in [marks[me].scanned_ip, marks[me].attacker_ip] {
                    assert!(
                        body.contains(own),
                        "{db} {format}: {own} missing from\n{body}"
                    );
                }
                bodies.push(body);
                for h in &own_hosts {
                    let (st, body) = s
                        .req(
                            "GET",
                            &format!("/api/v1/hosts/{h}/export?format={format}"),
                            Some(token),
                            None,
                        )
                        .await;
                    assert_eq!(st, 200, "{format}: {body}");
                    bodies.push(body);
                }
                // Staff exports of the same organisation hold no more of the others either.
                let (st, body) = s
                    .req(
                        "GET",
                        &format!("/api/v1/orgs/{org_id}/export?format={format}"),
                        Some(ADMIN_SECRET),
                        None,
                    )
                    .await;
                assert_eq!(st, 200, "{format}: {body}");
                bodies.push(body);
                for body in &bodies {
                    for theirs in marks[other]
                        .all()
                        .iter()
                        .chain(["100.64.0.9".to_string()].iter())
                    {
                        assert!(
                            !body.contains(theirs.as_str()),
                            "{db} {format}: organisation {me}'s export holds {theirs}:\n{body}"
                        );
                    }
                }
                // The other organisation's exports, and the unattributed host's: not found.
                let mut foreign = vec![format!("/api/v1/orgs/{other_org}/export?format={format}")];
                for h in other_hosts.iter().chain([unattributed].iter()) {
                    foreign.push(format!("/api/v1/hosts/{h}/export?format={format}"));
                }
                for path in foreign {
                    let (st, body) = s.req("GET", &path, Some(token), None).await;
                    assert_eq!(st, 404, "{path}: {body}");
                    for theirs in marks[other].all() {
                        assert!(!body.contains(theirs.as_str()), "{path}: {body}");
                    }
                }
            }
        }
    }
}
