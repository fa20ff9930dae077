//! The exports read back by the ecosystem's own tools: PyMISP, OASIS's stix2-validator and
//! stix2, IntelMQ's event model, Python's csv module (scripts in `tests/validate/`). The
//! interpreter is `$EXRAY_PYTHON` (default `python3`); a missing module makes a test skip with a
//! message, unless `EXRAY_PYTHON` is set: then the validators are expected and their absence
//! fails the test. `.ci/run` installs them into a virtual environment and sets `EXRAY_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tests::{hunt_report, scan_report};
use crate::{csv, intelmq, misp, stix, Options, Tlp};

/// Run `tests/validate/<script>` on `file` with `args`: `Some(true)` if it accepts the file,
/// `Some(false)` if it rejects it (its output on stderr), `None` if it cannot run (no
/// interpreter, module missing) and that is allowed (`EXRAY_PYTHON` unset).
fn run_script(script: &str, file: &Path, args: &[&str]) -> Option<bool> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate");
    let required = std::env::var_os("EXRAY_PYTHON").is_some();
    let python = std::env::var_os("EXRAY_PYTHON").unwrap_or_else(|| "python3".into());
    let out = match Command::new(&python)
        .arg(dir.join(script))
        .arg(file)
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) if !required => {
            eprintln!("SKIP {script}: no Python interpreter {python:?} ({e})");
            return None;
        }
        Err(e) => panic!("{python:?}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    match out.status.code() {
        Some(0) => {
            eprintln!("{script}: {}", stdout.trim());
            Some(true)
        }
        Some(77) if !required => {
            eprintln!(
                "{script}: {} (pip install pymisp stix2-validator stix2 intelmq, then set EXRAY_PYTHON)",
                stdout.trim()
            );
            None
        }
        _ => {
            eprintln!(
                "{script} on {}:\n{stdout}\n{}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            Some(false)
        }
    }
}

/// Run `tests/validate/<script>` on `file`; panic if it rejects the file.
fn validate(script: &str, file: &Path, args: &[&str]) {
    if run_script(script, file, args) == Some(false) {
        panic!("{script} rejected {}", file.display());
    }
}

/// `body` in a file named `name` (the folder goes when the returned guard drops).
fn temp(name: &str, body: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    (dir, p)
}

const LEVELS: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::AmberStrict,
    Tlp::Red,
];

#[test]
fn pymisp_loads_the_misp_events() {
    for (name, report) in [("hunt", hunt_report()), ("scan", scan_report())] {
        for tlp in LEVELS {
            let o = Options {
                tlp,
                ..Options::default()
            };
            let events = misp(&report, &o);
            assert!(!events.is_empty());
            let (_dir, f) = temp(
                &format!("misp-{name}-{}.json", tlp.as_str()),
                &serde_json::to_vec(&events).unwrap(),
            );
            validate("check_misp.py", &f, &[tlp.as_str()]);
        }
    }
}

#[test]
fn stix2_validator_accepts_the_bundles() {
    for (name, report) in [("hunt", hunt_report()), ("scan", scan_report())] {
        for tlp in LEVELS {
            let o = Options {
                tlp,
                organisation: (tlp == Tlp::Red).then(|| "Contoso".into()),
                ..Options::default()
            };
            let (_dir, f) = temp(
                &format!("stix-{name}-{}.json", tlp.as_str()),
                &serde_json::to_vec(&stix(&report, &o)).unwrap(),
            );
            validate("check_stix.py", &f, &[]);
        }
    }
}

#[test]
fn intelmq_accepts_the_events() {
    for (name, report) in [("hunt", hunt_report()), ("scan", scan_report())] {
        for tlp in LEVELS {
            let o = Options {
                tlp,
                organisation: Some("Contoso".into()),
                ..Options::default()
            };
            let mut out = Vec::new();
            intelmq(&report, &o, &mut out).unwrap();
            assert!(!out.is_empty());
            let (_dir, f) = temp(&format!("intelmq-{name}-{}.jsonl", tlp.as_str()), &out);
            validate("check_intelmq.py", &f, &[]);
        }
    }
}

#[test]
fn python_csv_reads_the_csv() {
    let o = Options {
        organisation: Some("-Contoso".into()),
        ..Options::default()
    };
    let mut hunt = Vec::new();
    csv(&hunt_report(), &o, &mut hunt).unwrap();
    let (_dir, f) = temp("hunt.csv", &hunt);
    validate(
        "check_csv.py",
        &f,
        &[
            "value=C:\\inetpub\\wwwroot\\aspnet_client\\a'b\"c<x>.aspx",
            "value=203.0.113.7",
            "organisation='-Contoso",
        ],
    );
    let mut scan = Vec::new();
    csv(&scan_report(), &o, &mut scan).unwrap();
    let (_dir, f) = temp("scan.csv", &scan);
    validate(
        "check_csv.py",
        &f,
        &["type=vulnerable_host", "value=192.0.2.10"],
    );
}

/// The checks are not vacuous: each script rejects an export broken the way a bug would break it.
#[test]
fn validators_reject_broken_exports() {
    fn rejects(script: &str, name: &str, body: &[u8], args: &[&str]) {
        let (_dir, f) = temp(name, body);
        assert_ne!(
            run_script(script, &f, args),
            Some(true),
            "{script} accepted {name}"
        );
    }
    let o = Options::default();
    let mut events = misp(&hunt_report(), &o);
    events[0]["Event"]["Attribute"][0]["category"] = "Financial fraud".into();
    rejects(
        "check_misp.py",
        "category.json",
        &serde_json::to_vec(&events).unwrap(),
        &[],
    );
    let events = misp(&hunt_report(), &o);
    rejects(
        "check_misp.py",
        "tlp.json",
        &serde_json::to_vec(&events).unwrap(),
        &["red"],
    );

    let mut bundle = stix(&hunt_report(), &o);
    for x in bundle["objects"].as_array_mut().unwrap() {
        if x["type"] == "indicator" {
            x["pattern"] = "[ipv4-addr:value = '203.0.113.7'".into();
        }
    }
    rejects(
        "check_stix.py",
        "pattern.json",
        &serde_json::to_vec(&bundle).unwrap(),
        &[],
    );
    let mut bundle = stix(&hunt_report(), &o);
    for x in bundle["objects"].as_array_mut().unwrap() {
        if x["type"] == "file" {
            x["name"] = "renamed.aspx".into();
        }
    }
    rejects(
        "check_stix.py",
        "sco-id.json",
        &serde_json::to_vec(&bundle).unwrap(),
        &[],
    );

    let mut out = Vec::new();
    intelmq(&hunt_report(), &o, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let wrong_type = text.replacen("\"system-compromise\"", "\"compromised\"", 1);
    rejects("check_intelmq.py", "type.jsonl", wrong_type.as_bytes(), &[]);
    let wrong_taxonomy = text.replacen("\"intrusions\"", "\"vulnerable\"", 1);
    rejects(
        "check_intelmq.py",
        "taxonomy.jsonl",
        wrong_taxonomy.as_bytes(),
        &[],
    );
    let unknown_key = text.replacen("\"source.ip\"", "\"source.address\"", 1);
    rejects("check_intelmq.py", "key.jsonl", unknown_key.as_bytes(), &[]);

    let mut out = Vec::new();
    csv(&hunt_report(), &o, &mut out).unwrap();
    let mut text = String::from_utf8(out).unwrap();
    text.push_str("one,two\n");
    rejects("check_csv.py", "width.csv", text.as_bytes(), &[]);
}
