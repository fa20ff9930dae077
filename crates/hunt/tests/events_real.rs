//! Event rules on real public EVTX files and JSON exports (`../shared/data`, skipped if absent):
//! the attacks in them are found, and their benign bulk yields nothing high.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use exray_core::{Severity, Verdict};
use exray_hunt::{run, HuntOptions};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} absent", p.display());
        None
    }
}

fn hunt(p: &Path) -> exray_core::Report {
    run(
        &HuntOptions {
            path: p.to_path_buf(),
            threads: 2,
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

fn fired_in<'a>(r: &'a exray_core::Report, file_part: &str) -> HashSet<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.evidence.iter().any(|e| e.file.contains(file_part)))
        .map(|f| f.rule_id.as_str())
        .collect()
}

#[test]
fn evtx_samples() {
    let Some(dir) = shared("evtx") else { return };
    let r = hunt(&dir);
    assert_eq!(r.summary.input_errors, 0, "{:?}", r.errors);
    assert!(
        fired_in(&r, "LM_typical_IIS_webshell").contains("EXRAY-EV-001"),
        "w3wp → cmd"
    );
    assert!(
        fired_in(&r, "memdump_comsvcs_minidump").contains("EXRAY-EV-002"),
        "comsvcs MiniDump"
    );
    assert!(fired_in(&r, "Powershell_4104_MiniDumpWriteDump").contains("EXRAY-EV-006"));
    // A user added to Exchange Windows Permissions / Exchange Trusted Subsystem (the DCSync
    // path) is critical; to Exchange role groups, medium.
    let sev = |file: &str, id: &str| -> Vec<Severity> {
        r.findings
            .iter()
            .filter(|f| f.rule_id == id && f.evidence.iter().any(|e| e.file.contains(file)))
            .map(|f| f.severity)
            .collect()
    };
    assert!(sev("critical group change (DCsync)", "EXRAY-EV-013").contains(&Severity::Critical));
    assert!(sev("Exchange admin group change", "EXRAY-EV-013")
        .iter()
        .all(|s| *s == Severity::Medium));
    // The failed transport-agent install is not among our rules.
    assert!(fired_in(&r, "Failed to install an Exchange transport agent").is_empty());
    assert_eq!(r.verdict, Verdict::IndicatorsFound);
    let ev = r
        .coverage
        .iter()
        .filter(|c| c.source.as_str() == "evtx")
        .map(|c| c.records)
        .sum::<u64>();
    assert!(ev > 200, "every record counted ({ev})");
}

#[test]
fn otrf_json_exports() {
    let Some(dir) = shared("events-json/otrf") else {
        return;
    };
    let r = hunt(&dir);
    let pl = fired_in(&r, "proxylogon_ssrf_rce_poc");
    for want in ["EXRAY-EV-001", "EXRAY-PL-006", "EXRAY-EV-005"] {
        assert!(
            pl.contains(want),
            "{want} missing in the ProxyLogon dataset: {pl:?}"
        );
    }
    // Thousands of benign events around the attack: nothing high beyond the attack itself.
    let high: HashSet<&str> = r
        .findings
        .iter()
        .filter(|f| {
            f.severity >= Severity::High
                && f.evidence
                    .iter()
                    .any(|e| e.file.contains("proxylogon_ssrf_rce_poc"))
        })
        .map(|f| f.rule_id.as_str())
        .collect();
    let allowed: HashSet<&str> = ["EXRAY-EV-001", "EXRAY-PL-006", "EXRAY-EV-005"]
        .into_iter()
        .collect();
    assert!(
        high.is_subset(&allowed),
        "unexpected high findings: {:?}",
        high.difference(&allowed)
    );
    assert!(fired_in(&r, "psh_lsass_memory_dump_comsvcs").contains("EXRAY-EV-002"));
    // The shell written under owa\auth is tied to the intrusion on the host.
    let shell = r
        .findings
        .iter()
        .find(|f| f.rule_id == "EXRAY-EV-005")
        .unwrap();
    assert!(shell.evidence[0]
        .fields
        .get("TargetFilename")
        .unwrap()
        .to_ascii_lowercase()
        .contains("\\owa\\auth\\"));
    let records: u64 = r
        .coverage
        .iter()
        .filter(|c| c.source.as_str() == "event_json")
        .map(|c| c.records)
        .sum();
    assert!(records > 10_000, "{records}");
}

/// An EVTX file names the host that wrote it (`Computer` of its first records): a public
/// sample of a domain-joined file server gives its FQDN, with the file as evidence.
#[test]
fn an_evtx_file_names_its_host() {
    let Some(p) = shared(
        "evtx/hayabusa-sample-evtx/EVTX-to-MITRE-Attack/TA0006-Credential Access/T1003-Credential dumping/ID10-Mimikatz LSASS process dump.evtx",
    ) else {
        return;
    };
    let r = hunt(&p);
    assert_eq!(r.host.fqdn.as_deref(), Some("fs03.offsec.lan"));
    assert_eq!(r.host.hostname.as_deref(), Some("FS03"));
    assert!(r.host.ips.is_empty(), "an event log gives no address");
    let e = &r.host.identity[0];
    assert_eq!(
        (e.source, e.location.as_str(), e.files),
        (exray_core::IdentitySource::Evtx, "Computer", Some(1))
    );
    assert!(e.file.ends_with("process dump.evtx"), "{e:?}");
}
