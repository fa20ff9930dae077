//! Baselines: create from a known-good tree, save, load, and find new and changed scripts.

mod common;

use common::*;
use exray_files::{sweep, Baseline, BaselineCheck, SweepOptions};

#[test]
fn baseline_round_trip_and_drift() {
    let t = Tree::new();
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/logon.aspx",
        b"<%@ Page %>logon",
    );
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/15.1.2176/themes/x.aspx",
        b"stock page in build folder",
    );
    t.write_x("FrontEnd/HttpProxy/web.config", b"<configuration/>");
    t.write(
        "inetpub/wwwroot/web.config",
        b"<configuration>root</configuration>",
    );
    t.write(
        "ProgramData/app/settings.config",
        b"staging is never baselined",
    );
    let opts = SweepOptions {
        threads: 2,
        ..SweepOptions::default()
    };
    let b = Baseline::create(&t.plan(), &opts);
    assert_eq!(b.len(), 4, "{:#?}", b.entries);
    assert!(b
        .entries
        .iter()
        .any(|e| e.key == "httpproxy:/owa/auth/logon.aspx"));
    assert!(b.entries.iter().any(|e| e.key == "wwwroot:/web.config"));

    let file = t.dir.path().join("baseline.json");
    b.save(std::fs::File::create(&file).unwrap()).unwrap();
    let loaded = Baseline::load(&file).unwrap();
    assert_eq!(loaded.entries, b.entries);
    assert_eq!(loaded.roots, b.roots);
    assert_eq!(
        loaded.check(
            r"D:\Exchange\FrontEnd\HttpProxy\owa\auth\LOGON.aspx",
            &b.entries
                .iter()
                .find(|e| e.key == "httpproxy:/owa/auth/logon.aspx")
                .unwrap()
                .sha256
        ),
        BaselineCheck::Known,
        "keyed by served path: another install drive still matches"
    );

    // Drift: a changed stock page, a new shell, a stock page in a renamed build folder.
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/logon.aspx",
        b"<%@ Page %>logon<% eval(x) %>",
    );
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/errorFE.aspx",
        b"<%@ Page %>new",
    );
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/15.1.2242/themes/x.aspx",
        b"stock page in build folder",
    );
    t.write("ProgramData/app/other.config", b"not baselined");
    let out = sweep(&t.plan(), &opts, None, &no_iocs(), Some(&loaded));
    let (f, _) = findings(out);
    let c = finding(&f, "EXRAY-FS-061", r"auth\logon.aspx");
    assert_eq!(c.evidence[0].fields["baseline_sha256"].len(), 64);
    assert_eq!(rules_for(&f, "errorFE.aspx"), ["EXRAY-FS-060"]);
    assert!(!rules_for(&f, r"15.1.2242\themes\x.aspx").contains(&"EXRAY-FS-060".to_string()));
    assert!(rules_for(&f, "web.config").is_empty());
    assert!(rules_for(&f, "other.config").is_empty());
}

#[test]
fn bad_baseline_files_are_errors_with_location() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("b.json");
    std::fs::write(
        &p,
        "{\n \"format\": \"exray.baseline/v1\",\n \"created\": 5\n}",
    )
    .unwrap();
    let e = Baseline::load(&p).unwrap_err().to_string();
    assert!(e.contains("b.json:3:"), "{e}");
    std::fs::write(
        &p,
        r#"{"format":"other","created":"2021-01-01T00:00:00Z","roots":[],"entries":[]}"#,
    )
    .unwrap();
    assert!(Baseline::load(&p)
        .unwrap_err()
        .to_string()
        .contains("format"));
    assert!(Baseline::load(&d.path().join("missing.json"))
        .unwrap_err()
        .to_string()
        .contains("missing.json"));
}

#[test]
fn cli_writes_a_baseline() {
    let t = Tree::new();
    t.write_x("FrontEnd/HttpProxy/owa/auth/logon.aspx", b"<%@ Page %>");
    let out = t.dir.path().join("known-good.json");
    let args = exray_files::cli::BaselineArgs {
        path: t.root(),
        output: out.clone(),
    };
    assert_eq!(exray_files::cli::run_baseline(&args).unwrap(), 0);
    let b = Baseline::load(&out).unwrap();
    assert_eq!(b.len(), 1);
    let empty = tempfile::tempdir().unwrap();
    let args = exray_files::cli::BaselineArgs {
        path: empty.path().to_path_buf(),
        output: out,
    };
    assert_eq!(exray_files::cli::run_baseline(&args).unwrap(), 2);
    let args = exray_files::cli::BaselineArgs {
        path: empty.path().join("nope"),
        output: empty.path().join("o"),
    };
    assert!(exray_files::cli::run_baseline(&args).is_err());
}
