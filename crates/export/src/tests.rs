//! Unit tests over reports built in code: each asserts what a consumer relies on.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use exray_core::*;
use serde_json::Value;

use crate::{csv, intelmq, misp, stix, Options, Tlp};

const SHELL_SHA256: &str = "bb80c7835898a0fb695cfe363133b26721e07456b4914fb79416b761e4fb5016";
const HOSTILE_UA: &str = "\"><script>alert(1)</script>'; DROP TABLE x;--\u{1b}[31m";
const HOSTILE_PATH: &str = "C:\\inetpub\\wwwroot\\aspnet_client\\a'b\"c<x>.aspx";
const HOSTILE_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn at(h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 3, h, m, 0).unwrap()
}

fn finding(id: &str, rule: &str, stage: Stage, family: Family, cves: &[&str]) -> Finding {
    Finding {
        id: id.into(),
        rule_id: rule.into(),
        title: format!("title of {rule}"),
        description: String::new(),
        family,
        stage,
        cves: cves.iter().map(|c| c.to_string()).collect(),
        attack: vec![],
        severity: Severity::High,
        confidence: Confidence::High,
        first_seen: Some(at(4, 12)),
        last_seen: Some(at(4, 20)),
        client_ips: vec![],
        user_agents: vec![],
        request_ids: vec![],
        artifacts: vec![],
        count: 2,
        evidence: vec![],
        incident: None,
    }
}

fn request(ip: &str, ua: &str) -> Evidence {
    let mut e = Evidence::new(
        SourceKind::Iis,
        "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log",
    );
    e.client_ip = Some(ip.into());
    e.user_agent = Some(ua.into());
    e.raw = Some(format!(
        "2021-03-03 04:19:07 POST /aspnet_client/discover.aspx {ip} {ua}"
    ));
    e
}

fn file(path: &str, sha256: &str) -> Evidence {
    let mut e = Evidence::new(SourceKind::FileSystem, path);
    e.file_info = Some(FileInfo {
        size: 649,
        sha256: Some(sha256.into()),
        sha1: Some("ab42fda95fce2b96fb65ceeab84e1fb7da10db81".into()),
        md5: Some("c49924049074875f71e93cd855e0376a".into()),
        ..Default::default()
    });
    e
}

/// A hunt: one incident from 203.0.113.7 (ProxyLogon SSRF, web shell requested and on disk, a
/// shell path named by the OAB generator log), and outside it a scanner at 198.51.100.23 and a
/// hostile client (IPv6, forged user agent, a file whose name holds quotes and markup).
pub(crate) fn hunt_report() -> Report {
    let mut r = Report::new(ReportKind::Hunt, "/evidence/ex01");
    r.report_id = "9a1e4c1e-0000-4000-8000-000000000001".into();
    r.started_at = at(10, 0);
    r.finished_at = at(10, 5);
    r.host.hostname = Some("EX01.contoso.local".into());
    r.verdict = Verdict::IndicatorsFound;

    let mut ssrf = finding(
        "F-1",
        "EXRAY-PL-002",
        Stage::Exploitation,
        Family::ProxyLogon,
        &["CVE-2021-26855"],
    );
    ssrf.client_ips = vec!["203.0.113.7".into()];
    ssrf.evidence = vec![request("203.0.113.7", "python-requests/2.25.1")];
    let mut used = finding("F-2", "EXRAY-WS-001", Stage::Foothold, Family::Generic, &[]);
    used.client_ips = vec!["203.0.113.7".into()];
    used.artifacts = vec!["/aspnet_client/discover.aspx".into()];
    used.evidence = vec![request("203.0.113.7", "antSword/v2.1")];
    let mut shell = finding("F-3", "EXRAY-FS-001", Stage::Foothold, Family::Generic, &[]);
    shell.artifacts = vec![
        "/aspnet_client/discover.aspx".into(),
        "C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx".into(),
        SHELL_SHA256.into(),
    ];
    shell.evidence = vec![file(
        "C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx",
        SHELL_SHA256,
    )];
    let mut oab = finding(
        "F-4",
        "EXRAY-PL-008",
        Stage::Exploitation,
        Family::ProxyLogon,
        &["CVE-2021-26858"],
    );
    oab.artifacts = vec!["c:\\inetpub\\wwwroot\\aspnet_client\\system_web\\2xjhwn19.aspx".into()];
    let mut dump = finding(
        "F-5",
        "EXRAY-FS-020",
        Stage::PostExploitation,
        Family::Generic,
        &[],
    );
    dump.evidence = vec![file("C:\\root\\lsass.dmp", &"9e".repeat(32))];
    let incident_findings = [&ssrf, &used, &shell, &oab, &dump];
    let incident = Incident {
        id: "I-1".into(),
        title: "from 203.0.113.7 reached post-exploitation".into(),
        severity: Severity::Critical,
        stage: Stage::PostExploitation,
        families: vec![Family::ProxyLogon, Family::Generic],
        cves: vec!["CVE-2021-26855".into(), "CVE-2021-26858".into()],
        client_ips: vec!["203.0.113.7".into()],
        first_seen: Some(at(4, 12)),
        last_seen: Some(at(4, 20)),
        findings: incident_findings.iter().map(|f| f.id.clone()).collect(),
        story: vec![],
        summary: "from 203.0.113.7 on 2021-03-03 04:12 UTC: SSRF → web shell".into(),
    };
    let mut attached: Vec<Finding> = incident_findings.into_iter().cloned().collect();
    for f in &mut attached {
        f.incident = Some("I-1".into());
    }

    let mut scanner = finding(
        "F-6",
        "EXRAY-PL-001",
        Stage::Attempt,
        Family::ProxyLogon,
        &["CVE-2021-26855"],
    );
    scanner.client_ips = vec!["198.51.100.23".into()];
    scanner.severity = Severity::Medium;
    let mut hostile = finding("F-7", "EXRAY-WS-002", Stage::Foothold, Family::Generic, &[]);
    hostile.client_ips = vec!["2001:db8::bad".into(), "not an ip'\"<>".into()];
    hostile.evidence = vec![
        request("2001:db8::bad", HOSTILE_UA),
        file(HOSTILE_PATH, HOSTILE_SHA256),
    ];
    hostile.artifacts = vec!["/aspnet_client/<script>.aspx".into()];

    r.incidents = vec![incident];
    r.findings = attached;
    r.findings.push(scanner);
    r.findings.push(hostile);
    r
}

/// A scan: one vulnerable host (with an ASN from a feed), one patched, one possible web shell.
pub(crate) fn scan_report() -> Report {
    let mut r = Report::new(ReportKind::Scan, "targets.txt");
    r.report_id = "9a1e4c1e-0000-4000-8000-000000000002".into();
    r.started_at = at(10, 0);
    r.finished_at = at(11, 0);
    let result = |target: &str, ip: &str, verdict: ScanVerdict, build: &str| ScanResult {
        target: target.into(),
        ip: Some(ip.into()),
        port: Some(443),
        hostname: Some("Mail.Example.ORG".into()),
        verdict,
        confidence: Confidence::High,
        assessment: Some(BuildAssessment {
            build: build.into(),
            precision: BuildPrecision::Full,
            product: Some("Exchange Server 2016".into()),
            release: Some("Exchange Server 2016 CU19".into()),
            release_date: None,
            exposures: vec![Exposure {
                family: "proxylogon".into(),
                cves: vec!["CVE-2021-26855".into(), "CVE-2021-27065".into()],
                status: if verdict == ScanVerdict::Vulnerable {
                    ExposureStatus::Vulnerable
                } else {
                    ExposureStatus::Patched
                },
                fixed_by: None,
                note: None,
            }],
            recommended_update: Some(UpdateRef {
                name: "Mar21SU".into(),
                build: "15.1.2176.9".into(),
                kb: Some("KB5000871".into()),
                date: None,
            }),
            notes: vec![],
            source: None,
            cpe: None,
        }),
        evidence: vec![ScanEvidence {
            method: "FEED".into(),
            url: String::new(),
            status: None,
            what: "feed:asn".into(),
            value: "64500".into(),
        }],
        error: None,
        scanned_at: at(10, 30),
        webshell_probes: vec![],
    };
    let vulnerable = result(
        "mail.example.org:443",
        "192.0.2.10",
        ScanVerdict::Vulnerable,
        "15.1.2176.2",
    );
    let patched = result(
        "ok.example.org:443",
        "192.0.2.11",
        ScanVerdict::Patched,
        "15.1.2176.9",
    );
    let mut probed = result(
        "shell.example.org:443",
        "192.0.2.12",
        ScanVerdict::Patched,
        "15.1.2176.9",
    );
    probed.evidence.push(ScanEvidence {
        method: "GET".into(),
        url: "https://192.0.2.12/aspnet_client/discover.aspx".into(),
        status: Some(200),
        what: "webshell-probe".into(),
        value: "answered differently from a random name in the same folder".into(),
    });
    r.scan_results = vec![vulnerable, patched, probed];
    r
}

fn events(r: &Report, o: &Options) -> Vec<Value> {
    misp(r, o)
}

fn attrs<'a>(event: &'a Value, kind: &str) -> Vec<&'a str> {
    event["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == kind)
        .map(|a| a["value"].as_str().unwrap())
        .collect()
}

#[test]
fn misp_one_event_per_incident_and_one_for_the_rest() {
    let r = hunt_report();
    let ev = events(&r, &Options::default());
    assert_eq!(ev.len(), 2, "{ev:#?}");
    let incident = &ev[0];
    assert!(incident["Event"]["info"]
        .as_str()
        .unwrap()
        .contains("203.0.113.7"));
    // Every attacker IP of the incident is an ip-src attribute; its CVEs are vulnerabilities.
    for ip in &r.incidents[0].client_ips {
        assert!(attrs(incident, "ip-src").contains(&ip.as_str()), "{ip}");
    }
    for cve in &r.incidents[0].cves {
        assert!(
            attrs(incident, "vulnerability").contains(&cve.as_str()),
            "{cve}"
        );
    }
    // The web shell's name and hash, to_ids; the dump's hash not to_ids.
    let shell = format!("C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx|{SHELL_SHA256}");
    assert_eq!(
        attrs(incident, "filename|sha256"),
        vec![
            shell.as_str(),
            &format!("C:\\root\\lsass.dmp|{}", "9e".repeat(32))
        ]
    );
    let a: Vec<&Value> = incident["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let of = |v: &str| a.iter().find(|x| x["value"] == v).unwrap();
    assert_eq!(of(&shell)["to_ids"], true);
    assert_eq!(of(&shell)["category"], "Payload installation");
    assert_eq!(
        of(&format!("C:\\root\\lsass.dmp|{}", "9e".repeat(32)))["to_ids"],
        false
    );
    assert!(attrs(incident, "uri").contains(&"/aspnet_client/discover.aspx"));
    assert!(attrs(incident, "filename")
        .contains(&"c:\\inetpub\\wwwroot\\aspnet_client\\system_web\\2xjhwn19.aspx"));
    // The scanner outside the incident is only in the second event.
    assert!(!attrs(incident, "ip-src").contains(&"198.51.100.23"));
    assert!(attrs(&ev[1], "ip-src").contains(&"198.51.100.23"));
    // Unique (type, value) per event, as MISP requires.
    for e in &ev {
        let list = e["Event"]["Attribute"].as_array().unwrap();
        let keys: BTreeSet<(String, String)> = list
            .iter()
            .map(|a| (a["type"].to_string(), a["value"].to_string()))
            .collect();
        assert_eq!(keys.len(), list.len());
    }
}

#[test]
fn misp_tlp_tag_follows_the_option() {
    let r = hunt_report();
    for (tlp, tag) in [
        (Tlp::Clear, "tlp:clear"),
        (Tlp::Amber, "tlp:amber"),
        (Tlp::AmberStrict, "tlp:amber+strict"),
        (Tlp::Red, "tlp:red"),
    ] {
        let o = Options {
            tlp,
            ..Options::default()
        };
        for e in misp(&r, &o) {
            assert_eq!(e["Event"]["Tag"][0]["name"], tag);
        }
    }
    assert_eq!("TLP:WHITE".parse::<Tlp>().unwrap(), Tlp::Clear);
    assert_eq!("amber+strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
    assert!("yellow".parse::<Tlp>().is_err());
}

#[test]
fn misp_scan_event_lists_the_vulnerable_hosts_only() {
    let ev = misp(&scan_report(), &Options::default());
    assert_eq!(ev.len(), 1);
    assert_eq!(attrs(&ev[0], "ip-dst"), vec!["192.0.2.10"]);
    assert_eq!(attrs(&ev[0], "hostname"), vec!["mail.example.org"]);
    assert_eq!(
        attrs(&ev[0], "vulnerability"),
        vec!["CVE-2021-26855", "CVE-2021-27065"]
    );
    assert_eq!(
        attrs(&ev[0], "url"),
        vec!["https://192.0.2.12/aspnet_client/discover.aspx"]
    );
    let mut clean = scan_report();
    clean
        .scan_results
        .retain(|s| s.target == "ok.example.org:443");
    assert!(misp(&clean, &Options::default()).is_empty());
}

#[test]
fn exports_are_deterministic_and_ids_depend_on_the_report() {
    let r = hunt_report();
    let o = Options::default();
    assert_eq!(misp(&r, &o), misp(&r, &o));
    assert_eq!(stix(&r, &o), stix(&r, &o));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    intelmq(&r, &o, &mut a).unwrap();
    intelmq(&r, &o, &mut b).unwrap();
    assert_eq!(a, b);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    csv(&r, &o, &mut a).unwrap();
    csv(&r, &o, &mut b).unwrap();
    assert_eq!(a, b);
    // Another report: other ids for its events and bundle, the same ids for observables.
    let mut other = r.clone();
    other.report_id = "another".into();
    assert_ne!(
        misp(&r, &o)[0]["Event"]["uuid"],
        misp(&other, &o)[0]["Event"]["uuid"]
    );
    let ids = |b: &Value| -> BTreeSet<String> {
        b["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (x, y) = (ids(&stix(&r, &o)), ids(&stix(&other, &o)));
    assert!(x
        .iter()
        .any(|i| i.starts_with("ipv4-addr--") && y.contains(i)));
    assert!(x
        .iter()
        .any(|i| i.starts_with("indicator--") && !y.contains(i)));
    // The creation time is the report's, or the override.
    assert_eq!(
        misp(&r, &o)[0]["Event"]["timestamp"],
        r.finished_at.timestamp().to_string()
    );
    let fixed = Options {
        timestamp: Some(at(12, 0)),
        ..Options::default()
    };
    let bundle = stix(&r, &fixed);
    assert!(bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["type"] == "indicator")
        .all(|x| x["created"] == "2021-03-03T12:00:00.000Z"));
}

fn objects<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == kind)
        .collect()
}

#[test]
fn stix_bundle_holds_indicators_sightings_and_vulnerabilities() {
    let r = hunt_report();
    let o = Options {
        tlp: Tlp::Red,
        producer: "CERT-X".into(),
        ..Options::default()
    };
    let b = stix(&r, &o);
    assert_eq!(b["type"], "bundle");
    let all = b["objects"].as_array().unwrap();
    let ids: BTreeSet<&str> = all.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "ids unique");
    let patterns: Vec<&str> = objects(&b, "indicator")
        .iter()
        .map(|i| i["pattern"].as_str().unwrap())
        .collect();
    for p in [
        "[ipv4-addr:value = '203.0.113.7']",
        "[ipv4-addr:value = '198.51.100.23']",
        "[ipv6-addr:value = '2001:db8::bad']",
    ] {
        assert!(patterns.contains(&p), "{p} in {patterns:?}");
    }
    assert!(patterns.contains(&format!("[file:hashes.'SHA-256' = '{SHELL_SHA256}']").as_str()));
    // Not an indicator: the lsass dump (observed only).
    assert!(!patterns.iter().any(|p| p.contains(&"9e".repeat(32))));
    let vulns: BTreeSet<&str> = objects(&b, "vulnerability")
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(vulns, BTreeSet::from(["CVE-2021-26855", "CVE-2021-26858"]));
    for v in objects(&b, "vulnerability") {
        assert_eq!(v["external_references"][0]["source_name"], "cve");
    }
    // Every reference points inside the bundle (the TLP marking definition included).
    let tlp = Tlp::Red.stix_tlp2_id();
    assert!(ids.contains(tlp));
    for x in all {
        for key in [
            "created_by_ref",
            "sighting_of_ref",
            "source_ref",
            "target_ref",
        ] {
            if let Some(r) = x[key].as_str() {
                assert!(ids.contains(r), "{key} {r}");
            }
        }
        for key in [
            "object_refs",
            "observed_data_refs",
            "where_sighted_refs",
            "object_marking_refs",
        ] {
            for r in x[key].as_array().into_iter().flatten() {
                assert!(ids.contains(r.as_str().unwrap()), "{key} {r}");
            }
        }
        if x["type"] != "marking-definition" {
            assert_eq!(x["object_marking_refs"][0], tlp, "{x}");
        }
    }
    // Each indicator is sighted at the hunted host.
    let host = objects(&b, "identity")
        .into_iter()
        .find(|i| i["identity_class"] == "system")
        .unwrap();
    assert_eq!(host["name"], "EX01.contoso.local");
    for i in objects(&b, "indicator") {
        assert!(objects(&b, "sighting")
            .iter()
            .any(|s| s["sighting_of_ref"] == i["id"] && s["where_sighted_refs"][0] == host["id"]));
    }
    let producer = objects(&b, "identity")
        .into_iter()
        .find(|i| i["name"] == "CERT-X")
        .unwrap();
    assert!(objects(&b, "indicator")
        .iter()
        .all(|i| i["created_by_ref"] == producer["id"]));
}

#[test]
fn stix_scan_bundle_sights_vulnerabilities_of_vulnerable_hosts() {
    let b = stix(&scan_report(), &Options::default());
    let od = objects(&b, "observed-data");
    let ips: Vec<&str> = objects(&b, "ipv4-addr")
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        ips,
        vec!["192.0.2.10"],
        "the patched hosts are not exported"
    );
    assert_eq!(objects(&b, "software")[0]["version"], "15.1.2176.2");
    assert_eq!(objects(&b, "sighting").len(), 2, "one per CVE");
    assert_eq!(
        objects(&b, "url")[0]["value"],
        "https://192.0.2.12/aspnet_client/discover.aspx"
    );
    assert_eq!(od.len(), 2);
}

fn intelmq_events(r: &Report, o: &Options) -> Vec<serde_json::Map<String, Value>> {
    let mut out = Vec::new();
    intelmq(r, o, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn intelmq_classifies_attackers_and_web_shells() {
    let ev = intelmq_events(&hunt_report(), &Options::default());
    let by_ip = |ip: &str| {
        ev.iter()
            .find(|e| e.get("source.ip").and_then(Value::as_str) == Some(ip))
            .unwrap()
    };
    let main = by_ip("203.0.113.7");
    assert_eq!(main["classification.taxonomy"], "intrusions");
    assert_eq!(main["classification.type"], "system-compromise");
    assert_eq!(main["classification.identifier"], "proxylogon");
    assert_eq!(main["destination.fqdn"], "ex01.contoso.local");
    assert_eq!(main["product.vulnerabilities"], "cve-2021-26855");
    assert_eq!(main["time.source"], "2021-03-03T04:12:00+00:00");
    assert_eq!(main["tlp"], "AMBER");
    let scanner = by_ip("198.51.100.23");
    assert_eq!(scanner["classification.taxonomy"], "intrusion-attempts");
    assert_eq!(scanner["classification.type"], "exploit");
    let shells: Vec<_> = ev
        .iter()
        .filter(|e| e.contains_key("malware.hash.sha256"))
        .collect();
    assert_eq!(
        shells.len(),
        2,
        "the shell and the hostile file; never the dump"
    );
    assert_eq!(
        shells[0]["classification.identifier"],
        "exchange-server-webshell"
    );
    assert_eq!(shells[0]["source.fqdn"], "ex01.contoso.local");
    // Only harmonization field names (or extra.*).
    for e in &ev {
        for k in e.keys() {
            assert!(
                k.starts_with("extra.") || KNOWN.contains(&k.as_str()),
                "{k}"
            );
        }
    }
    let strict = intelmq_events(
        &hunt_report(),
        &Options {
            tlp: Tlp::AmberStrict,
            ..Options::default()
        },
    );
    assert_eq!(strict[0]["tlp"], "AMBER");
    assert_eq!(strict[0]["extra.tlp"], "amber+strict");
}

const KNOWN: &[&str] = &[
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "source.ip",
    "source.port",
    "source.fqdn",
    "source.asn",
    "destination.fqdn",
    "time.source",
    "time.observation",
    "feed.name",
    "feed.provider",
    "severity",
    "tlp",
    "raw",
    "event_description.text",
    "product.vulnerabilities",
    "product.vendor",
    "product.name",
    "product.version",
    "malware.hash.sha256",
    "malware.hash.sha1",
    "malware.hash.md5",
];

#[test]
fn intelmq_scan_events_are_vulnerable_systems_with_their_asn() {
    let ev = intelmq_events(&scan_report(), &Options::default());
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert_eq!(ev[0]["classification.taxonomy"], "vulnerable");
    assert_eq!(ev[0]["classification.type"], "vulnerable-system");
    assert_eq!(
        ev[0]["classification.identifier"],
        "vulnerable-exchange-server"
    );
    assert_eq!(ev[0]["source.ip"], "192.0.2.10");
    assert_eq!(ev[0]["source.asn"], 64500);
    assert_eq!(ev[0]["source.port"], 443);
    assert_eq!(ev[0]["source.fqdn"], "mail.example.org");
    assert_eq!(
        ev[0]["product.vulnerabilities"],
        "cve-2021-26855;cve-2021-27065"
    );
    assert_eq!(
        ev[1]["classification.identifier"],
        "exchange-server-webshell"
    );
    assert_eq!(ev[1]["extra.confidence"], "low");
}

#[test]
fn csv_has_a_row_per_indicator_and_the_organisation() {
    let o = Options {
        organisation: Some("=Contoso, Ltd".into()),
        ..Options::default()
    };
    let mut out = Vec::new();
    csv(&hunt_report(), &o, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(crate::CSV_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().all(|r| r.starts_with("\"'=Contoso, Ltd\",")),
        "formula neutralised: {rows:#?}"
    );
    assert!(rows.iter().any(|r| r.contains(",attacker_ip,203.0.113.7,")));
    assert!(rows
        .iter()
        .any(|r| r.contains(",web_shell,") && r.contains(SHELL_SHA256)));
    assert!(rows
        .iter()
        .any(|r| r.contains(",vulnerability,CVE-2021-26858,")));
    // The hostile path is one quoted field, its quote doubled (RFC 4180).
    assert!(text.contains(",\"C:\\inetpub\\wwwroot\\aspnet_client\\a'b\"\"c<x>.aspx\","));
    let mut scan = Vec::new();
    csv(&scan_report(), &o, &mut scan).unwrap();
    let scan = String::from_utf8(scan).unwrap();
    assert_eq!(
        scan.lines().count(),
        3,
        "header, the vulnerable host, the possible web shell"
    );
    assert!(scan.contains(",vulnerable_host,192.0.2.10,") && scan.contains("KB5000871"));
}

#[test]
fn hostile_strings_survive_as_data() {
    let r = hunt_report();
    let o = Options::default();
    // MISP: the forged user agent and path come back byte for byte after a JSON round trip.
    let ev = misp(&r, &o);
    let text = serde_json::to_string(&ev).unwrap();
    let back: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(attrs(&back[1], "user-agent").contains(&HOSTILE_UA));
    assert!(attrs(&back[1], "filename|sha256")
        .contains(&format!("{HOSTILE_PATH}|{HOSTILE_SHA256}").as_str()));
    assert!(
        !text.contains('\u{1b}') && text.contains("\\u001b[31m"),
        "the escape character is written as \\u001b by serde"
    );
    // Strings that are no IP never become addresses or patterns.
    assert!(!text.contains("not an ip"));
    let b = stix(&r, &o);
    let s = serde_json::to_string(&b).unwrap();
    assert!(!s.contains("not an ip"));
    // The file SCO keeps the name as data; no pattern is built from it.
    let f = objects(&b, "file")
        .into_iter()
        .find(|f| f["hashes"]["SHA-256"] == HOSTILE_SHA256)
        .unwrap();
    assert_eq!(f["name"], "a'b\"c<x>.aspx");
    let mut out = Vec::new();
    intelmq(&r, &o, &mut out).unwrap();
    for line in String::from_utf8(out).unwrap().lines() {
        let e: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        assert!(!e.values().any(|v| v.as_str() == Some("not an ip'\"<>")));
    }
}

#[test]
fn stix_pattern_literals_are_escaped() {
    assert_eq!(crate::stix::literal_for_test("a'b\\c"), "'a\\'b\\\\c'");
}

#[test]
fn several_reports_make_one_bundle_with_shared_objects_once() {
    let a = scan_report();
    let mut b = scan_report();
    b.report_id = "another".into();
    let one = stix(&a, &Options::default());
    let both = crate::stix_many(&[a.clone(), b], &Options::default());
    let list = both["objects"].as_array().unwrap();
    let ids: BTreeSet<&str> = list.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), list.len());
    let markings = list
        .iter()
        .filter(|o| o["type"] == "marking-definition")
        .count();
    assert_eq!(markings, 1);
    assert_eq!(objects(&both, "ipv4-addr").len(), 1, "the same host, once");
    assert_eq!(
        objects(&both, "sighting").len(),
        2 * objects(&one, "sighting").len()
    );
    assert_eq!(
        crate::stix_many(std::slice::from_ref(&a), &Options::default()),
        one
    );
}

#[test]
fn scan_results_become_a_report_with_an_id_of_their_own() {
    let results = scan_report().scan_results;
    let r = crate::scan_report_from_results(results.clone(), "scan.jsonl");
    assert_eq!(
        r,
        crate::scan_report_from_results(results.clone(), "scan.jsonl")
    );
    assert_eq!(r.started_at, at(10, 30));
    assert_eq!(misp(&r, &Options::default()).len(), 1);
    let fewer = crate::scan_report_from_results(results[..1].to_vec(), "scan.jsonl");
    assert_ne!(r.report_id, fewer.report_id);
}
