//! `exray export` end to end on what exray itself writes: the README's sample hunt saved as JSON,
//! the JSON lines of `exray import`, and the errors that name the file. Each export is also read
//! back by the ecosystem's tools (crates/export/tests/validate/) when `$EXRAY_PYTHON` (default
//! `python3`) has them; without them those checks skip with a message, unless EXRAY_PYTHON is
//! set.

use std::path::Path;
use std::process::Command;

fn exray() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exray"))
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run one of crates/export/tests/validate's scripts on `file`.
fn validate(script: &str, file: &Path, args: &[&str]) {
    let required = std::env::var_os("EXRAY_PYTHON").is_some();
    let python = std::env::var_os("EXRAY_PYTHON").unwrap_or_else(|| "python3".into());
    let script_path = root().join("crates/export/tests/validate").join(script);
    let out = match Command::new(&python)
        .arg(&script_path)
        .arg(file)
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) if !required => return eprintln!("SKIP {script}: no {python:?} ({e})"),
        Err(e) => panic!("{python:?}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    match out.status.code() {
        Some(0) => eprintln!("{script}: {}", stdout.trim()),
        Some(77) if !required => eprintln!("{script}: {}", stdout.trim()),
        _ => panic!(
            "{script} rejected {}:\n{stdout}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn the_sample_hunt_exports_to_all_four_formats() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("ex01.json");
    let hunt = exray()
        .args(["hunt", "--format", "json", "-o"])
        .arg(&report)
        .arg(root().join("samples/compromised-exchange"))
        .output()
        .unwrap();
    assert_eq!(hunt.status.code(), Some(1), "findings → exit 1");
    let export = |format: &str, extra: &[&str]| {
        let out = dir.path().join(format!("ex01.{format}"));
        run(exray()
            .args(["export", "--format", format])
            .args(extra)
            .arg(&report)
            .arg("-o")
            .arg(&out));
        let text = std::fs::read_to_string(&out).unwrap();
        (out, text)
    };

    // MISP: one event per incident, one for the findings outside them; the attacker, the shell's hash and the CVEs in the
    // incident's event; the TLP tag asked for.
    let (misp, text) = export("misp", &["--tlp", "amber+strict", "--producer", "CERT-X"]);
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        events.len(),
        3,
        "two incidents, and the findings outside them: {text}"
    );
    let outside = &events[2]["Event"];
    assert!(outside["info"]
        .as_str()
        .unwrap()
        .ends_with("findings outside any incident"));
    assert!(outside["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["type"] == "ip-src" && a["value"] == "198.51.100.23"));
    let attacker = events
        .iter()
        .find(|e| e["Event"]["info"].as_str().unwrap().contains("203.0.113.7"))
        .expect("the attacker's incident");
    let values: Vec<(&str, &str)> = attacker["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap(), a["value"].as_str().unwrap()))
        .collect();
    assert!(values.contains(&("ip-src", "203.0.113.7")), "{values:?}");
    assert!(values.iter().any(|(t, v)| *t == "filename|sha256"
        && v.ends_with(
            "discover.aspx|bb80c7835898a0fb695cfe363133b26721e07456b4914fb79416b761e4fb5016"
        )));
    assert!(values.contains(&("vulnerability", "CVE-2021-26855")));
    assert!(values.contains(&("uri", "/aspnet_client/discover.aspx")));
    for e in &events {
        assert_eq!(e["Event"]["Tag"][0]["name"], "tlp:amber+strict");
        assert_eq!(e["Event"]["Orgc"]["name"], "CERT-X");
    }
    validate("check_misp.py", &misp, &["amber+strict"]);

    // STIX: one bundle, indicators of the attacker and the shell.
    let (stix, text) = export("stix", &["--tlp", "red"]);
    let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bundle["type"], "bundle");
    let patterns: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    assert!(
        patterns.contains(&"[ipv4-addr:value = '203.0.113.7']"),
        "{patterns:?}"
    );
    assert!(patterns.contains(
        &"[file:hashes.'SHA-256' = 'bb80c7835898a0fb695cfe363133b26721e07456b4914fb79416b761e4fb5016']"
    ));
    validate("check_stix.py", &stix, &[]);

    // exray reads its own bundle back as an IOC pack: hunting the sample with it matches the
    // web shell's hash and the attacker's address.
    let pack = dir.path().join("ex01.stix.json");
    std::fs::copy(&stix, &pack).unwrap();
    let again = exray()
        .args(["hunt", "--format", "json", "--iocs"])
        .arg(&pack)
        .arg(root().join("samples/compromised-exchange"))
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let hunted: exray_core::Report = serde_json::from_slice(&again.stdout).unwrap();
    let ioc: Vec<&exray_core::Finding> = hunted
        .findings
        .iter()
        .filter(|f| f.family == exray_core::Family::Ioc)
        .collect();
    assert!(ioc.iter().any(|f| f.rule_id == "EXRAY-FS-051"), "hash IOC");
    assert!(
        ioc.iter()
            .any(|f| f.client_ips.iter().any(|ip| ip == "203.0.113.7")),
        "IP IOC"
    );

    // IntelMQ: the attacker as a system compromise by ProxyLogon, the shell as a web shell.
    let (intelmq, text) = export("intelmq", &["--organisation", "Contoso"]);
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.iter().any(|e| e["source.ip"] == "203.0.113.7"
        && e["classification.taxonomy"] == "intrusions"
        && e["classification.type"] == "system-compromise"
        && e["classification.identifier"] == "proxylogon"));
    assert!(events.iter().any(
        |e| e["classification.identifier"] == "exchange-server-webshell"
            && e["malware.hash.sha256"]
                == "bb80c7835898a0fb695cfe363133b26721e07456b4914fb79416b761e4fb5016"
    ));
    assert!(events.iter().all(|e| e["extra.organisation"] == "Contoso"));
    validate("check_intelmq.py", &intelmq, &[]);

    // CSV: the header, then rows naming the organisation.
    let (_, text) = export("csv", &["--organisation", "Contoso"]);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("organisation,report_id,"));
    assert!(text.contains(",attacker_ip,203.0.113.7,"), "{text}");
    assert!(lines.all(|l| l.starts_with("Contoso,")));

    // The same report exported twice gives the same bytes.
    let again = run(exray()
        .args(["export", "--format", "stix", "--tlp", "red"])
        .arg(&report));
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text_of(&stix));
}

fn text_of(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn imported_feeds_export_their_vulnerable_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports.jsonl");
    run(exray()
        .args([
            "import",
            "--format",
            "shadowserver",
            "--chunk-rows",
            "2",
            "-o",
        ])
        .arg(&reports)
        .arg(root().join("crates/import/tests/fixtures/shadowserver-vulnerable-exchange.csv")));
    let out = run(exray().args(["export", "-f", "intelmq"]).arg(&reports));
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        events.len(),
        4,
        "the four vulnerable hosts of three reports"
    );
    assert!(events
        .iter()
        .all(|e| e["classification.type"] == "vulnerable-system"));
    assert!(events
        .iter()
        .any(|e| e["source.ip"] == "192.0.2.10" && e["source.asn"] == 64500));
    let csv = run(exray().args(["export", "-f", "csv"]).arg(&reports));
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("organisation,"))
            .count(),
        1
    );
    assert_eq!(csv.lines().count(), 5);
    // The same hosts as JSON lines of scan results (`exray scan --format jsonl`).
    let results = dir.path().join("results.jsonl");
    let lines: String = std::fs::read_to_string(&reports)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<exray_core::Report>(l).unwrap())
        .flat_map(|r| r.scan_results)
        .map(|s| serde_json::to_string(&s).unwrap() + "\n")
        .collect();
    std::fs::write(&results, lines).unwrap();
    let out = run(exray().args(["export", "-f", "misp"]).arg(&results));
    let events: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(events.len(), 1, "one event for the scan");
    let ips = events[0]["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "ip-dst")
        .count();
    assert_eq!(ips, 4);
    let again = run(exray().args(["export", "-f", "misp"]).arg(&results));
    assert_eq!(again.stdout, out.stdout, "ids derive from the results");
    let stix = dir.path().join("feed.stix.json");
    run(exray()
        .args(["export", "-f", "stix", "-o"])
        .arg(&stix)
        .arg(&reports));
    validate("check_stix.py", &stix, &[]);
}

#[test]
fn export_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let o = exray()
        .args(["export", "-f", "misp"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.json"));
    let lines = dir.path().join("findings.jsonl");
    std::fs::write(&lines, "{\"type\":\"finding\",\"report_id\":\"r\"}\n").unwrap();
    let o = exray()
        .args(["export", "-f", "stix"])
        .arg(&lines)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("findings.jsonl") && err.contains("--format json"),
        "{err}"
    );
    let o = exray()
        .args(["export", "-f", "misp", "--tlp", "yellow"])
        .arg(&lines)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a TLP level"));
}
