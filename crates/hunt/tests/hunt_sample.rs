//! End-to-end hunts over generated evidence: every log rule fires on the intrusion, nothing
//! above attempt level fires on benign traffic, and bad input is reported, not fatal.

use std::collections::HashSet;
use std::path::Path;

use exray_core::{Stage, Verdict};
use exray_hunt::{run, HuntOptions};

fn hunt(path: &Path) -> exray_core::Report {
    let opts = HuntOptions {
        path: path.to_path_buf(),
        threads: 2,
        ..Default::default()
    };
    run(&opts, None).expect("hunt runs")
}

#[test]
fn the_sample_intrusion_is_found_and_told_as_one_story() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let r = hunt(dir.path());
    let ids: HashSet<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
    for want in [
        "EXRAY-PL-001", // scanner SSRF to autodiscover
        "EXRAY-PL-002", // SSRF to /mapi/emsmdb, proxyLogon.ecp
        "EXRAY-PL-003", // ResetOABVirtualDirectory through the SSRF
        "EXRAY-PL-004", // tooling traits
        "EXRAY-PL-005", // /ecp/y.js in IIS
        "EXRAY-PL-006", // Set-OabVirtualDirectory with script (ECP log)
        "EXRAY-PL-007", // Reset-OabVirtualDirectory
        "EXRAY-PL-008", // OAB generator write outside OAB
        "EXRAY-WS-001", // shell requested, 200
        "EXRAY-WS-002", // probe for a shell, 404
        "EXRAY-WS-003", // whoami in query
    ] {
        assert!(ids.contains(want), "{want} missing; got {ids:?}");
    }
    assert_eq!(r.verdict, Verdict::IndicatorsFound);
    let inc = r
        .incidents
        .iter()
        .find(|i| i.client_ips.iter().any(|ip| ip == exray_gen::ATTACKER))
        .expect("an incident for the attacker");
    assert!(inc.stage >= Stage::PostExploitation, "{:?}", inc.stage);
    assert!(
        inc.summary
            .starts_with("from 203.0.113.7 on 2021-03-03 04:12 UTC:"),
        "{}",
        inc.summary
    );
    // The scanner's attempts are findings, not an incident.
    assert!(!r
        .incidents
        .iter()
        .any(|i| i.client_ips.iter().any(|ip| ip == exray_gen::SCANNER)));
    // The installed build, from Bin\ExSetup.exe, judged by the catalogue.
    let b = r.host.build.as_ref().expect("installed build read");
    assert_eq!(b.build, "15.1.2176.2");
    let pl = b
        .exposures
        .iter()
        .find(|e| e.family == "proxylogon")
        .expect("proxylogon exposure");
    assert_eq!(pl.status, exray_core::ExposureStatus::Vulnerable);
    // Evidence names file and line.
    let ssrf = r
        .findings
        .iter()
        .find(|f| f.rule_id == "EXRAY-PL-002")
        .unwrap();
    let e = &ssrf.evidence[0];
    assert!(
        e.file
            .starts_with(r"C:\Program Files\Microsoft\Exchange Server\V15\Logging\HttpProxy\Ecp\"),
        "{}",
        e.file
    );
    assert!(e.line.unwrap() > 5);
    assert!(ssrf
        .evidence
        .iter()
        .any(|e| e.raw.as_deref().unwrap().contains("proxyLogon.ecp")));
    // Coverage per source, with times.
    for kind in ["httpproxy", "iis", "ecp_server", "oab_generator"] {
        let c = r
            .coverage
            .iter()
            .find(|c| c.source.as_str() == kind)
            .unwrap_or_else(|| panic!("{kind} coverage"));
        assert!(
            c.records > 0 && c.first.is_some() && c.last.is_some(),
            "{kind}: {c:?}"
        );
    }
    // Coverage starts after 2021-01-01: the report says so.
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("logs start 2021-02-26")),
        "{:?}",
        r.warnings
    );
    // Window filtering drops everything before the attack day.
    let opts = HuntOptions {
        path: dir.path().to_path_buf(),
        since: Some("2021-03-03T04:00:00Z".parse().unwrap()),
        until: Some("2021-03-03T05:00:00Z".parse().unwrap()),
        no_files: true,
        ..Default::default()
    };
    let w = run(&opts, None).unwrap();
    assert!(!w
        .findings
        .iter()
        .any(|f| f.rule_id == "EXRAY-PL-001"
            && f.client_ips.contains(&exray_gen::SCANNER.to_string())));
    assert!(w
        .findings
        .iter()
        .all(|f| f.first_seen.is_none_or(|t| t >= opts.since.unwrap())));
}

#[test]
fn benign_traffic_gives_nothing_above_attempt() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_bench(dir.path(), 4 << 20, 1 << 20).unwrap();
    // The bench writer plants one attack line per 100,000: with 4 MB there are none.
    let r = hunt(dir.path());
    assert!(
        r.findings.is_empty(),
        "{:#?}",
        r.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
    );
    assert_eq!(r.verdict, Verdict::NoIndicatorsFound);
}

#[test]
fn real_format_samples_are_benign() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    if !base.exists() {
        eprintln!("skipping: {} absent", base.display());
        return;
    }
    let r = hunt(&base);
    let high: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.stage > Stage::Attempt)
        .map(|f| &f.rule_id)
        .collect();
    assert!(high.is_empty(), "benign samples gave {high:?}");
    assert!(r
        .coverage
        .iter()
        .any(|c| c.source.as_str() == "httpproxy" && c.records > 0));
    assert!(r
        .coverage
        .iter()
        .any(|c| c.source.as_str() == "iis" && c.records > 0));
    // The IIS native-format and firewall logs are reported as input errors with file and line.
    assert!(
        r.errors
            .iter()
            .any(|e| e.file.ends_with("ex010320.log") && e.line == Some(1)),
        "{:?}",
        r.errors
    );
    assert!(r.errors.iter().any(|e| e.file.ends_with("pf040903.log")));
}

#[test]
fn bad_input_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let hp = dir.path().join("HttpProxy/Ecp");
    std::fs::create_dir_all(&hp).unwrap();
    let mut bytes =
        exray_gen::httpproxy_preamble("2021-03-03T00:00:00Z".parse().unwrap()).into_bytes();
    bytes.extend_from_slice(b"\xff\xfe garbage ServerInfo~ \x00\x01\r\n");
    bytes.extend_from_slice(b"2021-03-03T04:00:00.000Z,r1,15,1,2176,2,,Ecp,h,/ecp/y.js,,,false,,,ServerInfo~a]@x:444/ecp/proxyLogon.ecp?#,python-requests/2.25.1,203.0.113.9,EX01,241\r\n");
    std::fs::write(hp.join("HttpProxy_1.log"), bytes).unwrap();
    std::fs::write(dir.path().join("HttpProxy/Ecp/HttpProxy_2.log"), b"").unwrap();
    std::fs::create_dir_all(dir.path().join("evtx")).unwrap();
    std::fs::write(
        dir.path().join("evtx/Application.evtx"),
        b"ElfFile\x00truncated",
    )
    .unwrap();
    let r = hunt(dir.path());
    assert!(
        r.findings.iter().any(|f| f.rule_id == "EXRAY-PL-002"),
        "the good line after the bad one is read"
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.file.ends_with("HttpProxy_1.log") && e.line == Some(6)),
        "{:?}",
        r.errors
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.file.ends_with("Application.evtx")),
        "{:?}",
        r.errors
    );
}

#[test]
fn a_registered_but_incomplete_update_is_called_out() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Exchange 2016\\SP1\\KB5000871]\r\n\"PackageName\"=\"Security Update For Exchange Server 2016 CU19 (KB5000871)\"\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in reg.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(dir.path().join("software-updates.reg"), bytes).unwrap();
    let opts = HuntOptions {
        path: dir.path().to_path_buf(),
        no_files: true,
        ..Default::default()
    };
    let r = run(&opts, None).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("KB5000871") && w.contains("did not complete")),
        "{:?}",
        r.warnings
    );
    assert!(r
        .host
        .build
        .unwrap()
        .notes
        .iter()
        .any(|n| n.contains("KB5000871")));
}

/// Without a registry, the request logs name the server: HttpProxy's `ServerHostName` the host,
/// IIS's `s-ip` its address, each with the files it was seen in; no FQDN is made up.
#[test]
fn the_request_logs_name_the_server() {
    use exray_core::{IdentityField, IdentitySource};
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let r = hunt(dir.path());
    assert_eq!(r.host.hostname.as_deref(), Some("EX01"));
    assert_eq!(r.host.fqdn, None, "ServerHostName is a bare name");
    assert_eq!(r.host.ips, ["10.0.0.5"]);
    let proxy = r
        .host
        .identity
        .iter()
        .find(|e| e.source == IdentitySource::HttpProxy)
        .unwrap();
    assert_eq!(
        (proxy.field, proxy.location.as_str()),
        (IdentityField::Hostname, "ServerHostName")
    );
    assert!(proxy.file.contains(r"Logging\HttpProxy\"), "{proxy:?}");
    assert!(proxy.files.unwrap() > 1);
}
