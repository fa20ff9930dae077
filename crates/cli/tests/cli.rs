//! The `exray` binary end to end: the README's sample command, output formats, exit codes, and
//! docs/rules.md kept equal to `exray rules`.

use std::path::Path;
use std::process::Command;

fn exray() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exray"))
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_sample_hunt_finds_the_intrusion() {
    let out = exray()
        .arg("hunt")
        .arg(root().join("samples/compromised-exchange"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings → exit 1; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("VERDICT: indicators of compromise found"),
        "{text}"
    );
    assert!(
        text.contains("from 203.0.113.7 on 2021-03-03 04:12 UTC"),
        "{text}"
    );
    assert!(text.contains("Installed build: 15.1.2176.2"), "{text}");
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn machine_formats_parse_and_exit_codes_hold() {
    let sample = root().join("samples/compromised-exchange");
    let out = exray()
        .args(["hunt", "-f", "json"])
        .arg(&sample)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "exray.report/v1");
    assert_eq!(r["verdict"], "indicators_found");
    let out = exray()
        .args(["hunt", "-f", "jsonl"])
        .arg(&sample)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["type"], "summary");
    assert!(lines.iter().any(|l| l["type"] == "finding"));
    let out = exray()
        .args(["hunt", "-f", "csv"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("report_id,finding_id"));
    let out = exray()
        .args(["hunt", "-f", "timesketch"])
        .arg(&sample)
        .output()
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert!(first["datetime"].is_string() && first["timestamp_desc"].is_string());
    // An empty folder: nothing to assess, no findings → exit 0 and "not assessed".
    let empty = tempfile::tempdir().unwrap();
    let out = exray().arg("hunt").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("VERDICT: not assessed"));
    // A missing path is an error → exit 2.
    let out = exray()
        .args(["hunt", "/nonexistent/exray/path"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Output to a file, nothing written under the hunted path.
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("r.json");
    let out = exray()
        .args(["hunt", "-f", "json", "-o"])
        .arg(&o)
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(std::fs::metadata(&o).unwrap().len() > 1000);
}

#[test]
fn docs_rules_md_is_current() {
    let out = exray().arg("rules").output().unwrap();
    assert!(out.status.success());
    let doc = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    assert!(
        doc == String::from_utf8_lossy(&out.stdout),
        "docs/rules.md is stale: regenerate with `cargo run -- rules > docs/rules.md`"
    );
}

/// `exray import`: a Shadowserver fixture becomes JSON lines of exray scan reports (stdout or
/// `-o`), the counts go to stderr as one JSON line, and a header that is not Shadowserver's is
/// an error naming the file.
#[test]
fn import_writes_reports_as_json_lines() {
    let fixture = root().join("crates/import/tests/fixtures/shadowserver-vulnerable-exchange.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports.jsonl");
    let o = exray()
        .args([
            "import",
            "--format",
            "shadowserver",
            "--chunk-rows",
            "2",
            "-o",
        ])
        .arg(&out)
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stats: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stderr)
            .trim()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (stats["rows"].as_u64(), stats["results"].as_u64()),
        (Some(6), Some(5))
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let reports: Vec<exray_core::Report> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 3);
    let results: usize = reports.iter().map(|r| r.scan_results.len()).sum();
    assert_eq!(results, 5);
    let bad = dir.path().join("other.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    let o = exray()
        .args(["import", "--format", "shadowserver"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("other.csv") && err.contains("no column"),
        "{err}"
    );
}
