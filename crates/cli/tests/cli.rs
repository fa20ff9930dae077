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
    // The response plan: ordered, with the shell's path and hash in an evict step.
    let plan = r["plan"].as_array().expect("a plan");
    assert_eq!(plan[0]["phase"], "contain");
    assert_eq!(plan.last().unwrap()["phase"], "verify");
    assert!(plan.iter().any(|s| s["phase"] == "evict"
        && s["items"].as_array().unwrap().iter().any(|i| i["value"]
            .as_str()
            .unwrap()
            .ends_with("discover.aspx")
            && i["sha256"].as_str().is_some_and(|h| h.len() == 64))));
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
    assert!(lines.iter().any(|l| l["type"] == "plan_step"));
    let out = exray().args(["hunt"]).arg(&sample).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("RESPONSE PLAN ("));
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

/// The compiled-page fixture `crates/files/tests/fixtures/compiled/<name>.cs`, compiled by
/// mono's `mcs` against the stand-ins there; `None`, with a message, where `mcs` is absent.
fn compiled_fixture(name: &str) -> Option<Vec<u8>> {
    let src = root().join("crates/files/tests/fixtures/compiled");
    let d = tempfile::tempdir().unwrap();
    let s = |f: &str| src.join(f).to_string_lossy().into_owned();
    let steps: [Vec<String>; 3] = [
        vec!["-out:System.Web.dll".into(), s("stubs_web.cs")],
        vec!["-out:Microsoft.JScript.dll".into(), s("stubs_jscript.cs")],
        vec![
            "-r:./System.Web.dll".into(),
            "-r:./Microsoft.JScript.dll".into(),
            "-out:page.dll".into(),
            s(&format!("{name}.cs")),
        ],
    ];
    for args in steps {
        let out = match Command::new("mcs")
            .current_dir(d.path())
            .args(["-nologo", "-target:library"])
            .args(&args)
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                eprintln!("SKIP: mono's mcs is not installed (apt-get install mono-mcs): no compiled-page fixture");
                return None;
            }
        };
        assert!(
            out.status.success(),
            "mcs {args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Some(std::fs::read(d.path().join("page.dll")).unwrap())
}

/// A hunt of a system root sweeps Temporary ASP.NET Files (here Framework64 v4 and Framework v2)
/// and reports a compiled page whose .aspx is gone: the source page, the DLL's SHA-256, and what
/// its code does.
#[test]
fn hunt_names_the_source_page_of_a_compiled_shell() {
    use sha2::Digest;
    let (Some(eval), Some(cmd)) = (compiled_fixture("owa_eval"), compiled_fixture("root_cmd"))
    else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let c = d.path().join("C");
    for dir in ["Windows/System32", "inetpub/wwwroot", "Program Files"] {
        std::fs::create_dir_all(c.join(dir)).unwrap();
    }
    let put = |rel: &str, data: &[u8]| {
        let p = c.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    put(
        "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/1a2b3c4d/5e6f7a8b/App_Web_k3j2h1g0.dll",
        &eval,
    );
    put(
        "Windows/Microsoft.NET/Framework/v2.0.50727/Temporary ASP.NET Files/root/0f0f0f0f/1e1e1e1e/App_Web_q8w7e6r5.dll",
        &cmd,
    );
    let out = exray()
        .args(["hunt", "-f", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings → exit 1; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = r["findings"].as_array().unwrap();
    let find = |rule: &str, dll: &str| {
        findings
            .iter()
            .find(|f| {
                f["rule_id"] == rule
                    && f["evidence"][0]["file"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(dll))
            })
            .unwrap_or_else(|| panic!("no {rule} on {dll} in {}", r["findings"]))
    };
    let trace = find("EXRAY-FS-040", "App_Web_k3j2h1g0.dll");
    let ev = &trace["evidence"][0];
    assert!(ev["file"].as_str().unwrap().starts_with(
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\"
    ));
    assert_eq!(ev["fields"]["page"], "/owa/auth/outlooken.aspx");
    assert_eq!(
        ev["file_info"]["sha256"],
        hex::encode(sha2::Sha256::digest(&eval))
    );
    let code = find("EXRAY-FS-041", "App_Web_k3j2h1g0.dll");
    assert_eq!(code["severity"], "critical");
    assert_eq!(
        code["evidence"][0]["fields"]["code"],
        "JScript eval of a string"
    );
    let v2 = find("EXRAY-FS-040", "App_Web_q8w7e6r5.dll");
    assert_eq!(
        v2["evidence"][0]["fields"]["page"],
        "/aspnet_client/system_web/log.aspx"
    );

    // The text report shows the source page too.
    let out = exray().arg("hunt").arg(d.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/owa/auth/outlooken.aspx"), "{text}");
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
