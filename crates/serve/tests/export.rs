//! Exports from the API and the dashboard (issue 13, item 5): formats, the organisation's TLP
//! setting, the caps, the audit log, incidents, reproducibility. Tenant isolation of exports is
//! in `isolation.rs`.

mod common;

use common::{admin, day, start, Srv, ADMIN_SECRET};
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, test_databases, to_json};
use serde_json::{json, Value};

/// An organisation "Export-Org" (192.0.2.0/24, victim.example) with two vulnerable hosts, a
/// patched one, and a hunted host with two findings from one attacker address (one incident)
/// and one from another; returns (org id, hunted host id, member token).
async fn world(s: &Srv) -> (i64, i64, String) {
    let (st, v) = s
        .json(
            "POST",
            "/api/v1/orgs",
            ADMIN_SECRET,
            json!({"name": "Export-Org"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["tlp"], "amber", "the default setting");
    let org = v["id"].as_i64().unwrap();
    for (kind, value) in [("cidr", "192.0.2.0/24"), ("domain", "victim.example")] {
        let (st, v) = s
            .json(
                "POST",
                &format!("/api/v1/orgs/{org}/networks"),
                ADMIN_SECRET,
                json!({"kind": kind, "value": value}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
    }
    let r = scan_report(
        vec![
            scan_result(
                "192.0.2.1",
                Some("mail.victim.example"),
                ScanVerdict::Vulnerable,
                day(0),
            ),
            scan_result("192.0.2.2", None, ScanVerdict::Vulnerable, day(0)),
            scan_result("192.0.2.3", None, ScanVerdict::Patched, day(0)),
        ],
        day(0),
    );
    let (st, t) = s
        .req(
            "POST",
            "/api/v1/reports",
            Some(ADMIN_SECRET),
            Some(to_json(&r)),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let mut f1 = finding("f1", Stage::Exploitation, "one");
    let mut f2 = finding("f2", Stage::Foothold, "two");
    let mut f3 = finding("f3", Stage::Exploitation, "three");
    f1.client_ips = vec!["198.51.100.66".into()];
    f2.client_ips = vec!["198.51.100.66".into()];
    f3.client_ips = vec!["203.0.113.99".into()];
    for f in [&mut f1, &mut f2, &mut f3] {
        let ip = f.client_ips[0].clone();
        for e in &mut f.evidence {
            e.client_ip = Some(ip.clone());
        }
    }
    f3.evidence[0].timestamp = Some(day(20));
    f3.first_seen = Some(day(20));
    f3.last_seen = Some(day(20));
    let h = hunt_report(
        "ex01.victim.example",
        Verdict::IndicatorsFound,
        vec![f1, f2, f3],
        day(2),
    );
    let (st, t) = s
        .req(
            "POST",
            "/api/v1/reports",
            Some(ADMIN_SECRET),
            Some(to_json(&h)),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let (_, v) = s
        .json(
            "GET",
            "/api/v1/hosts?q=ex01.victim.example",
            ADMIN_SECRET,
            json!(null),
        )
        .await;
    let hunted = v["hosts"][0]["id"].as_i64().unwrap();
    let (st, v) = s
        .json(
            "POST",
            "/api/v1/tokens",
            ADMIN_SECRET,
            json!({"name": "member", "role": "org_member", "org_id": org}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    (org, hunted, v["secret"].as_str().unwrap().to_string())
}

async fn get(s: &Srv, path: &str, token: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.text().await.unwrap(), headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_exports_the_organisations_evidence() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "export_fmt").await {
        let s = start(&db, |_| {}).await;
        let (org, hunted, member) = world(&s).await;
        let path = |f: &str| format!("/api/v1/orgs/{org}/export?format={f}");

        // MISP: one event for the scan report, one per incident of the hunt.
        let (st, body, h) = get(&s, &path("misp"), &member).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(
            h["content-disposition"],
            format!("attachment; filename=\"exray-org-{org}-tlp-amber.misp.json\"")
        );
        let events: Vec<Value> = serde_json::from_str(&body).unwrap();
        // The scan report, then the two incidents the hunt's correlation finds again (f1 and
        // f2 share an attacker; f3 is another).
        assert_eq!(events.len(), 3, "{body}");
        assert!(events[0]["Event"]["info"]
            .as_str()
            .unwrap()
            .contains("2 vulnerable"));
        assert!(events[1..].iter().all(|e| e["Event"]["info"]
            .as_str()
            .unwrap()
            .contains("ex01.victim.example")));
        for e in &events {
            let tags: Vec<&str> = e["Event"]["Tag"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["name"].as_str())
                .collect();
            assert!(tags.contains(&"tlp:amber"), "{tags:?}");
        }
        for ip in ["192.0.2.1", "192.0.2.2", "198.51.100.66", "203.0.113.99"] {
            assert!(body.contains(ip), "{ip} missing");
        }
        assert!(
            !body.contains("192.0.2.3"),
            "a patched host is not exported"
        );

        // STIX: one bundle, TLP marking.
        let (st, body, h) = get(&s, &path("stix"), &member).await;
        assert_eq!(st, 200, "{body}");
        assert!(h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/stix+json"));
        let bundle: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(bundle["type"], "bundle");
        assert!(body.contains(exray_export::Tlp::Amber.stix_tlp2_id()));
        for ip in ["192.0.2.1", "198.51.100.66"] {
            assert!(body.contains(ip), "{ip} missing");
        }

        // IntelMQ: one JSON object per line.
        let (st, body, h) = get(&s, &path("intelmq"), &member).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(h["content-type"], "application/x-ndjson");
        let lines: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(
            lines
                .iter()
                .any(|e| e["source.ip"] == "192.0.2.1"
                    && e["classification.taxonomy"] == "vulnerable")
        );
        assert!(lines.iter().any(|e| e["source.ip"] == "198.51.100.66"));
        assert!(lines.iter().all(|e| e["tlp"] == "AMBER"));

        // CSV: the header once, one row per indicator, with the organisation.
        let (st, body, h) = get(&s, &path("csv"), &member).await;
        assert_eq!(st, 200, "{body}");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
        let mut rows = body.lines();
        assert_eq!(rows.next(), Some(exray_export::CSV_HEADER));
        assert_eq!(body.matches(exray_export::CSV_HEADER).count(), 1);
        assert!(rows.clone().all(|r| r.contains("Export-Org")), "{body}");
        assert!(rows.any(|r| r.contains("198.51.100.66")));

        // One host: its own evidence only.
        let (st, body, _) = get(
            &s,
            &format!("/api/v1/hosts/{hunted}/export?format=csv"),
            &member,
        )
        .await;
        assert_eq!(st, 200, "{body}");
        assert!(
            body.contains("198.51.100.66") && !body.contains("192.0.2.1"),
            "{body}"
        );

        // The same evidence gives the same bytes.
        for f in ["misp", "stix", "intelmq", "csv"] {
            let a = get(&s, &path(f), &member).await.1;
            let b = get(&s, &path(f), ADMIN_SECRET).await.1;
            assert_eq!(a, b, "{f}: not reproducible");
        }

        // A format that is not one: 400.
        for bad in ["?format=pdf", ""] {
            let (st, body, _) = get(&s, &format!("/api/v1/orgs/{org}/export{bad}"), &member).await;
            assert_eq!(st, 400, "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisations_tlp_setting_marks_its_exports() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "export_tlp").await {
        let s = start(&db, |_| {}).await;
        let (org, hunted, member) = world(&s).await;
        let misp = |q: &str| format!("/api/v1/orgs/{org}/export?format=misp{q}");
        // Stricter than the setting (amber): yes. Laxer: no. Not a level: no.
        let (st, body, _) = get(&s, &misp("&tlp=red"), &member).await;
        assert_eq!(st, 200, "{body}");
        assert!(
            body.contains("\"tlp:red\"") && !body.contains("tlp:amber"),
            "{body}"
        );
        for (q, want) in [
            ("&tlp=green", 400),
            ("&tlp=clear", 400),
            ("&tlp=purple", 400),
            ("&tlp=amber", 200),
        ] {
            let (st, body, _) = get(&s, &misp(q), &member).await;
            assert_eq!(st, want, "{q}: {body}");
        }
        // A member cannot change the setting; an admin can (a bad level is refused).
        let (st, _) = s
            .json(
                "PUT",
                &format!("/api/v1/orgs/{org}"),
                &member,
                json!({"name": "Export-Org", "tlp": "clear"}),
            )
            .await;
        assert_eq!(st, 403);
        let (st, v) = s
            .json(
                "PUT",
                &format!("/api/v1/orgs/{org}"),
                ADMIN_SECRET,
                json!({"name": "Export-Org", "tlp": "chartreuse"}),
            )
            .await;
        assert_eq!(st, 400, "{v}");
        let (st, v) = s
            .json(
                "PUT",
                &format!("/api/v1/orgs/{org}"),
                ADMIN_SECRET,
                json!({"name": "Export-Org", "tlp": "TLP:AMBER+STRICT"}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let (_, v) = s
            .json("GET", &format!("/api/v1/orgs/{org}"), &member, json!(null))
            .await;
        assert_eq!(v["org"]["tlp"], "amber+strict");
        // An update without `tlp` keeps it.
        let (st, v) = s
            .json(
                "PUT",
                &format!("/api/v1/orgs/{org}"),
                ADMIN_SECRET,
                json!({"name": "Export-Org", "sector": "water"}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let (_, v) = s
            .json(
                "GET",
                &format!("/api/v1/orgs/{org}"),
                ADMIN_SECRET,
                json!(null),
            )
            .await;
        assert_eq!(v["org"]["tlp"], "amber+strict");
        // Every format, organisation and host, is now marked AMBER+STRICT by default.
        let (_, body, _) = get(&s, &misp(""), &member).await;
        assert!(body.contains("tlp:amber+strict"), "{body}");
        // CSV has no TLP column: the file name carries it.
        let (st, _, h) = get(
            &s,
            &format!("/api/v1/orgs/{org}/export?format=csv"),
            &member,
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(
            h["content-disposition"],
            format!("attachment; filename=\"exray-org-{org}-tlp-amber-strict.csv\"")
        );
        let (_, body, _) = get(
            &s,
            &format!("/api/v1/hosts/{hunted}/export?format=stix"),
            &member,
        )
        .await;
        assert!(
            body.contains(exray_export::Tlp::AmberStrict.stix_tlp2_id()),
            "{body}"
        );
        let (_, body, _) = get(
            &s,
            &format!("/api/v1/orgs/{org}/export?format=intelmq"),
            &member,
        )
        .await;
        assert!(
            body.lines().all(|l| l.contains("\"amber+strict\"")),
            "{body}"
        );
        let (st, body, _) = get(
            &s,
            &format!("/api/v1/orgs/{org}/export?format=csv&tlp=amber"),
            &member,
        )
        .await;
        assert_eq!(st, 400, "{body}");
        assert!(
            body.contains("laxer than the organisation's setting (amber+strict)"),
            "{body}"
        );
        // Created with a setting.
        let (st, v) = s
            .json(
                "POST",
                "/api/v1/orgs",
                ADMIN_SECRET,
                json!({"name": "Green-Org", "tlp": "green"}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["tlp"], "green");
        // Exports and setting changes are in the audit log, with who, what and how.
        let audit = s
            .store
            .list_audit(&admin(), exray_store::Page::new(Some(500), None))
            .await
            .unwrap();
        let export = audit
            .iter()
            .find(|a| a.action == "export" && a.object == format!("org:{org}"))
            .expect("an export audit entry");
        assert!(export.actor.contains("member"), "{export:?}");
        let detail: Value = serde_json::from_str(&export.detail).unwrap();
        assert!(
            detail["format"].is_string() && detail["tlp"].is_string(),
            "{detail}"
        );
        assert!(audit
            .iter()
            .any(|a| a.action == "export" && a.object == format!("host:{hunted}")));
        assert!(audit
            .iter()
            .any(|a| a.action == "org.tlp" && a.detail.contains("amber+strict")));
        // A refused export is not recorded as one.
        let n = audit.iter().filter(|a| a.action == "export").count();
        let _ = get(&s, &misp("&tlp=clear"), &member).await;
        let audit = s
            .store
            .list_audit(&admin(), exray_store::Page::new(Some(500), None))
            .await
            .unwrap();
        assert_eq!(audit.iter().filter(|a| a.action == "export").count(), n);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_over_the_caps_is_refused_not_built() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "export_cap").await {
        // Two vulnerable hosts and three findings against caps of 1 and 2.
        let s = start(&db, |c| {
            c.max_export_hosts = 1;
            c.max_export_findings = 2;
        })
        .await;
        let (org, hunted, member) = world(&s).await;
        for f in ["misp", "csv"] {
            let (st, body, _) = get(
                &s,
                &format!("/api/v1/orgs/{org}/export?format={f}"),
                &member,
            )
            .await;
            assert_eq!(st, 413, "{body}");
            assert!(body.contains("more than 1 hosts"), "{body}");
        }
        // One host is under the host cap, but its three findings are over the findings cap.
        let (st, body, _) = get(
            &s,
            &format!("/api/v1/hosts/{hunted}/export?format=csv"),
            &member,
        )
        .await;
        assert_eq!(st, 413, "{body}");
        assert!(body.contains("more than 2 findings"), "{body}");
        // A scanned host alone fits.
        let (_, v) = s
            .json("GET", "/api/v1/hosts?q=192.0.2.1", &member, json!(null))
            .await;
        let scanned = v["hosts"][0]["id"].as_i64().unwrap();
        let (st, body, _) = get(
            &s,
            &format!("/api/v1/hosts/{scanned}/export?format=csv"),
            &member,
        )
        .await;
        assert_eq!(st, 200, "{body}");
        assert!(body.contains("192.0.2.1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_links_the_downloads() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "export_web").await {
        let s = start(&db, |_| {}).await;
        let (org, hunted, member) = world(&s).await;
        let (st, v) = s
            .json(
                "POST",
                "/api/v1/orgs",
                ADMIN_SECRET,
                json!({"name": "Other-Org"}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let other = v["id"].as_i64().unwrap();
        let (cookie, csrf) = s.session(&member).await;
        let (st, page) = s.page(&cookie, &format!("/orgs/{org}")).await;
        assert_eq!(st, 200);
        let (_, host_page) = s.page(&cookie, &format!("/hosts/{hunted}")).await;
        for f in ["misp", "stix", "intelmq", "csv"] {
            let link = format!("/orgs/{org}/export?format={f}");
            assert!(
                page.contains(&format!("href=\"{link}\"")),
                "{f} link missing"
            );
            assert!(host_page.contains(&format!("href=\"/hosts/{hunted}/export?format={f}\"")));
            let res = s
                .http
                .get(format!("{}{link}", s.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            assert!(res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;"));
            assert!(res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"));
            let body = res.text().await.unwrap();
            let api = get(
                &s,
                &format!("/api/v1/orgs/{org}/export?format={f}"),
                &member,
            )
            .await
            .1;
            assert_eq!(body, api, "{f}: the dashboard and the API differ");
        }
        assert!(page.contains("TLP:AMBER"));
        // A member sees no setting form, and its session cannot set one.
        assert!(!page.contains("/tlp\""));
        assert_eq!(
            s.form(
                &cookie,
                &format!("/orgs/{org}/tlp"),
                &[("csrf", &csrf), ("tlp", "clear")]
            )
            .await,
            403
        );
        // Another organisation's download: not found; no session: to the login page.
        let (st, _) = s
            .page(&cookie, &format!("/orgs/{other}/export?format=csv"))
            .await;
        assert_eq!(st, 404);
        let (st, _) = s.page("", &format!("/orgs/{org}/export?format=csv")).await;
        assert_eq!(st, 303);
        // An admin sets the level from the organisation page (CSRF checked).
        let (admin_cookie, admin_csrf) = s.session(ADMIN_SECRET).await;
        let (_, admin_page) = s.page(&admin_cookie, &format!("/orgs/{org}")).await;
        assert!(admin_page.contains(&format!("action=\"/orgs/{org}/tlp\"")));
        let path = format!("/orgs/{org}/tlp");
        assert_eq!(
            s.form(&admin_cookie, &path, &[("csrf", "forged"), ("tlp", "red")])
                .await,
            403
        );
        assert_eq!(
            s.form(
                &admin_cookie,
                &path,
                &[("csrf", &admin_csrf), ("tlp", "red")]
            )
            .await,
            303
        );
        let (_, page) = s.page(&cookie, &format!("/orgs/{org}")).await;
        assert!(page.contains("TLP:RED"));
        let (_, body) = s
            .page(&cookie, &format!("/orgs/{org}/export?format=misp"))
            .await;
        assert!(body.contains("tlp:red"), "{body}");
    }
}

/// Hostile strings everywhere (organisation, host names, evidence): every export is still
/// well-formed, and the download's name is built from ids only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_evidence_exports_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("hostile.db").to_string_lossy(), |_| {}).await;
    let host = common::hostile_world(&s).await;
    let (_, v) = s
        .json("GET", "/api/v1/orgs", ADMIN_SECRET, json!(null))
        .await;
    let org = v["orgs"][0]["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/orgs/{org}/export"),
        format!("/api/v1/hosts/{host}/export"),
    ] {
        for f in ["misp", "stix", "intelmq", "csv"] {
            let (st, body, h) = get(&s, &format!("{path}?format={f}"), ADMIN_SECRET).await;
            assert_eq!(st, 200, "{path} {f}: {body}");
            let name = h["content-disposition"].to_str().unwrap();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || " ;=\"-.".contains(c)),
                "{name}"
            );
            match f {
                "misp" | "stix" => {
                    serde_json::from_str::<Value>(&body).unwrap();
                }
                "intelmq" => {
                    for l in body.lines() {
                        serde_json::from_str::<Value>(l).unwrap();
                    }
                }
                _ => {
                    // No field starts a formula.
                    assert!(
                        !body
                            .lines()
                            .skip(1)
                            .any(|l| l.starts_with(['=', '+', '-', '@'])),
                        "{body}"
                    );
                }
            }
        }
    }
}
