//! `exray build VERSION` as the CLI crate will call it.

use clap::Parser;
use exray_catalog::cli::{run, BuildArgs, Format};
use exray_core::{BuildAssessment, ExposureStatus};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: BuildArgs,
}

fn call(argv: &[&str]) -> (i32, String) {
    let cli = Cli::try_parse_from(std::iter::once("exray-build").chain(argv.iter().copied()))
        .expect("arguments parse");
    let mut out = Vec::new();
    let code = run(&cli.args, &mut out).expect("run");
    (code, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn text_output_names_release_exposures_and_update() {
    let (code, out) = call(&["15.1.2176.2"]);
    assert_eq!(code, 0);
    assert!(out.contains("Product:   Exchange Server 2016"), "{out}");
    assert!(
        out.contains("Release:   Exchange Server 2016 CU19\n"),
        "{out}"
    );
    assert!(out.contains("Released:  2020-12-15"), "{out}");
    let pl = out
        .lines()
        .find(|l| l.trim_start().starts_with("proxylogon"))
        .expect("proxylogon line");
    assert!(
        pl.contains("VULNERABLE") && pl.contains("CVE-2021-26855"),
        "{pl}"
    );
    assert!(
        out.contains("fixed by Exchange Server 2016 CU19 Mar21SU (build 15.1.2176.9, KB5000871"),
        "{out}"
    );
    assert!(
        out.contains("Install:   Exchange Server 2016 CU23"),
        "{out}"
    );
}

#[test]
fn text_output_for_cu_only_says_su_unknown() {
    let (code, out) = call(&["15.2.792"]);
    assert_eq!(code, 0);
    assert!(out.contains("CU only"), "{out}");
    let pl = out
        .lines()
        .find(|l| l.trim_start().starts_with("proxylogon"))
        .unwrap();
    assert!(pl.contains("SU unknown"), "{pl}");
}

#[test]
fn json_output_is_the_build_assessment() {
    let (code, out) = call(&["15.2.858.10", "--format", "json"]);
    assert_eq!(code, 0);
    let a: BuildAssessment = serde_json::from_str(&out).expect("valid BuildAssessment JSON");
    assert_eq!(
        a.release.as_deref(),
        Some("Exchange Server 2019 CU9 Apr21SU")
    );
    let ps = a
        .exposures
        .iter()
        .find(|e| e.family == "proxyshell")
        .unwrap();
    assert_eq!(ps.status, ExposureStatus::Vulnerable);
    assert_eq!(ps.cves, vec!["CVE-2021-31207"]);
    assert_eq!(
        a,
        exray_catalog::Catalog::embedded()
            .assess("15.2.858.10")
            .unwrap()
    );
}

#[test]
fn malformed_version_exits_2_without_output() {
    for bad in ["15", "fifteen.one", "15.1.2176.2.9"] {
        let (code, out) = call(&[bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(out.is_empty(), "{out}");
    }
    let (code, _) = call(&["nope", "--format", "json"]);
    assert_eq!(code, 2);
}

#[test]
fn format_flag_parses() {
    let cli = Cli::try_parse_from(["x", "15.1", "--format", "json"]).unwrap();
    assert_eq!(cli.args.format, Format::Json);
    assert!(Cli::try_parse_from(["x", "15.1", "--format", "xml"]).is_err());
}
