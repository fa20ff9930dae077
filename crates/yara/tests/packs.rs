//! User YARA packs: files and folders load, errors name the file and line, a missing or empty
//! pack is an error (never "no IOCs").

use std::path::PathBuf;

use exray_core::content::ContentRules;
use exray_core::{Confidence, Family, Severity, Stage};
use exray_yara::{with_user_packs, LoadError};

const GOOD: &str = r#"
rule Corp_Shell_Marker
{
    strings:
        $a = "corp-ir-marker-7f3a"
    condition:
        $a
}

rule Corp_Shell_With_Meta
{
    meta:
        description = "Case 2024-17 dropper"
        severity = "critical"
        confidence = "high"
        attack = "T1505.003, T1105"
        cve = "CVE-2021-27065"
    strings:
        $b = { 43 4F 52 50 2D 44 52 4F 50 }
    condition:
        $b
}
"#;

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn good_file_adds_rules_with_meta_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "corp.yar", GOOD);
    let builtin = exray_yara::builtin().unwrap().rule_count();
    let rules = with_user_packs(std::slice::from_ref(&f)).unwrap();
    assert_eq!(rules.rule_count(), builtin + 2);
    assert_eq!(rules.user_files(), std::slice::from_ref(&f));

    let mut s = rules.scanner();
    let hits = s
        .scan("a.aspx", b"<html>corp-ir-marker-7f3a and CORP-DROP</html>")
        .unwrap();
    let plain = hits
        .iter()
        .find(|h| h.meta.id == "Corp_Shell_Marker")
        .unwrap();
    assert_eq!(plain.meta.family, Family::Ioc);
    assert_eq!(plain.meta.stage, Stage::Foothold);
    assert_eq!(plain.meta.severity, Severity::High);
    assert_eq!(plain.meta.confidence, Confidence::Medium);
    assert!(plain.meta.description.contains("corp.yar"));
    assert_eq!(plain.matches[0].offset, 6);
    assert_eq!(plain.matches[0].excerpt, "corp-ir-marker-7f3a");

    let meta = hits
        .iter()
        .find(|h| h.meta.id == "Corp_Shell_With_Meta")
        .unwrap();
    assert_eq!(meta.meta.family, Family::Ioc);
    assert_eq!(meta.meta.severity, Severity::Critical);
    assert_eq!(meta.meta.confidence, Confidence::High);
    assert_eq!(meta.meta.attack, vec!["T1505.003", "T1105"]);
    assert_eq!(meta.meta.cves, vec!["CVE-2021-27065"]);
    assert_eq!(meta.meta.description, "Case 2024-17 dropper");
}

#[test]
fn folder_is_searched_recursively_for_yar_and_yara() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yar",
        "rule A_One { strings: $a = \"alpha-ioc-1\" condition: $a }",
    );
    write(
        dir.path(),
        "sub/b.YARA",
        "rule B_Two { strings: $a = \"beta-ioc-2\" condition: $a }",
    );
    write(dir.path(), "notes.txt", "this is not a rule file {");
    // Same identifier in two files: each file has its own namespace.
    write(
        dir.path(),
        "sub/c.yar",
        "rule A_One { strings: $a = \"gamma-ioc-3\" condition: $a }",
    );
    let rules = with_user_packs(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(rules.user_files().len(), 3);
    let mut s = rules.scanner();
    let ids: Vec<String> = s
        .scan("x", b"beta-ioc-2 gamma-ioc-3")
        .unwrap()
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    assert_eq!(ids, vec!["B_Two".to_string(), "A_One".to_string()]);
}

#[test]
fn syntax_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "broken.yar",
        "rule Ok_Rule { condition: true }\n\nrule Broken\n{\n    strings:\n        $a = \"x\n    condition:\n        $a\n}\n",
    );
    let err = with_user_packs(std::slice::from_ref(&f)).unwrap_err();
    match &err {
        LoadError::Compile { path, line, .. } => {
            assert_eq!(path, &f);
            assert_eq!(*line, 6, "{err}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("broken.yar:6:"), "{msg}");
}

#[test]
fn semantic_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "undef.yar",
        "rule R\n{\n    strings:\n        $a = \"x\"\n    condition:\n        $a and $b\n}\n",
    );
    let err = with_user_packs(std::slice::from_ref(&f)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("undef.yar:6:"), "{msg}");
}

#[test]
fn missing_path_is_an_error() {
    let p = PathBuf::from("/nonexistent/exray/rules.yar");
    let err = with_user_packs(std::slice::from_ref(&p)).unwrap_err();
    assert!(matches!(err, LoadError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/exray/rules.yar"));
}

#[test]
fn empty_folder_and_empty_file_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "readme.txt", "no rules here");
    let err = with_user_packs(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, LoadError::EmptyFolder { .. }), "{err:?}");

    let f = write(dir.path(), "empty.yar", "// nothing yet\n");
    let err = with_user_packs(&[f]).unwrap_err();
    assert!(matches!(err, LoadError::NoRules { .. }), "{err:?}");
}

#[test]
fn non_utf8_rule_file_is_reported_with_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bin.yar");
    std::fs::write(&p, b"rule A { condition: true }\n\xff\xfe").unwrap();
    let err = with_user_packs(std::slice::from_ref(&p)).unwrap_err();
    assert!(err.to_string().contains("bin.yar:2:1"), "{err}");
}

#[test]
fn builtin_rules_are_accepted_by_the_yara_cli() {
    // The benchmark runs the same rules through YARA 4: they must stay in the common subset.
    let Ok(out) = std::process::Command::new("yara").arg("--version").output() else {
        println!("SKIP: `yara` command-line tool not installed");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "all.yar", &exray_yara::builtin_source());
    let sample = write(
        dir.path(),
        "s.aspx",
        "<%@ Page Language=\"JScript\"%><%eval(Request.Item[\"z\"],\"unsafe\");%>",
    );
    let out = std::process::Command::new("yara")
        .arg(&rules)
        .arg(&sample)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "yara rejected the built-in rules: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("EXRAY_Eval_Request_Direct"), "{stdout}");
    assert!(stdout.contains("EXRAY_JScript_Eval_Unsafe"), "{stdout}");
}

#[test]
fn rules_for_unsupported_modules_are_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "mixed.yar",
        "import \"elf\"\nrule Elf_Only { condition: elf.type == elf.ET_EXEC }\nrule Text_Ioc { strings: $a = \"delta-ioc-4\" condition: $a }\n",
    );
    let rules = with_user_packs(std::slice::from_ref(&f)).unwrap();
    assert_eq!(
        rules.ignored_rules().len(),
        1,
        "{:?}",
        rules.ignored_rules()
    );
    assert!(rules.ignored_rules()[0].contains("mixed.yar"));
    assert!(rules.ignored_rules()[0].contains("Elf_Only"));
    let mut s = rules.scanner();
    assert_eq!(s.scan("x", b"delta-ioc-4").unwrap().len(), 1);
}

#[test]
fn pe_and_dotnet_modules_are_available_to_user_packs() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bin.yar",
        "import \"pe\"\nimport \"dotnet\"\nrule Compiled_Page { condition: pe.is_dll() and dotnet.is_dotnet }\n",
    );
    let rules = with_user_packs(std::slice::from_ref(&f)).unwrap();
    assert!(rules.ignored_rules().is_empty());
    let mut s = rules.scanner();
    assert!(s.scan("x", b"MZ not really a dll").unwrap().is_empty());
}
