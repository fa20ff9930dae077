//! Tunnels and web-shell clients in IIS logs, wherever their page lives (issue 14): each family's
//! session, generated from what its server page reads and embedded in days of benign Exchange
//! front-end traffic, is found with its client and its page; benign traffic (load-balancer
//! checks, managed-availability probes, an intranet app's AJAX handler) yields nothing above low.

use std::path::{Path, PathBuf};

use exray_core::{Report, Severity};
use exray_gen::tunnels::{write_case, FAMILIES};
use exray_hunt::{run, HuntOptions};

fn hunt(path: &Path) -> Report {
    run(
        &HuntOptions {
            path: path.to_path_buf(),
            threads: 2,
            no_files: true,
            ..Default::default()
        },
        None,
    )
    .expect("hunt runs")
}

fn above_low(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .map(|f| format!("{} {:?} {:?}", f.rule_id, f.client_ips, f.artifacts))
        .collect()
}

/// Tunnel families the issue names: each must be a finding of medium or more.
const TUNNELS: &[&str] = &[
    "tunna",
    "regeorg",
    "neo-regeorg",
    "suo5",
    "abptts",
    "pystinger",
];

#[test]
fn every_family_is_found_with_its_client_and_page() {
    let mut missed = Vec::new();
    for (i, family) in FAMILIES.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ip, page) = write_case(dir.path(), family, 3, 3000, 1000 + i as u64).unwrap();
        let r = hunt(dir.path());
        let found: Vec<_> = r
            .findings
            .iter()
            .filter(|f| {
                f.severity >= Severity::Medium
                    && f.client_ips.contains(&ip)
                    && f.artifacts.iter().any(|a| a == &page)
            })
            .map(|f| f.rule_id.as_str())
            .collect();
        let lead = r.leads.iter().any(|l| l.page == page);
        eprintln!("{family:<12} {page:<45} {ip:<15} findings {found:?} lead {lead}");
        if found.is_empty() {
            // A family found by neither behaviour nor trait must at least be a lead.
            assert!(lead, "{family}: neither a finding nor a lead");
            missed.push(*family);
        }
        // The stacking is reported in the coverage.
        assert!(
            r.coverage
                .iter()
                .any(|c| c.notes.iter().any(|n| n.starts_with("stacked "))),
            "{family}: coverage does not say what was stacked"
        );
    }
    let missed_tunnels: Vec<_> = missed.iter().filter(|f| TUNNELS.contains(f)).collect();
    assert!(
        missed_tunnels.is_empty(),
        "tunnels missed: {missed_tunnels:?}"
    );
    eprintln!("families found only as leads: {missed:?}");
}

#[test]
fn benign_days_give_nothing_above_low() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), "benign", 4, 5000, 7).unwrap();
    let r = hunt(dir.path());
    assert!(above_low(&r).is_empty(), "{:?}", above_low(&r));
    // The probe page and the intranet handler are rare: leads, not findings.
    let pages: Vec<&str> = r.leads.iter().map(|l| l.page.as_str()).collect();
    assert!(pages.contains(&"/lbprobe/health.aspx"), "{pages:?}");
    assert!(pages.contains(&"/timesheet/save.ashx"), "{pages:?}");
}

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

#[test]
fn real_format_benign_logs_give_nothing_above_low() {
    let Some(dir) = shared("logs") else { return };
    let r = hunt(&dir);
    assert!(above_low(&r).is_empty(), "{:?}", above_low(&r));
    for l in &r.leads {
        eprintln!("lead: {} {} requests {:?}", l.page, l.requests, l.reasons);
    }
}
