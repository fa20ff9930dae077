//! User YARA packs: files and folders load, errors name the file and line, a missing or empty
//! pack is an error (never "no IOCs").

use std::path::PathBuf;

use exray_core::content::ContentRules;
use exray_core::{Confidence, Family, Severity, Stage};
use exray_yara::{load, with_user_packs, LoadError, LoadOptions};

fn strict(paths: &[PathBuf]) -> Result<exray_yara::YaraRules, LoadError> {
    load(
        paths,
        &LoadOptions {
            strict: true,
            cache_dir: None,
        },
    )
}

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
    let err = strict(std::slice::from_ref(&f)).unwrap_err();
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
    let err = strict(std::slice::from_ref(&f)).unwrap_err();
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
    let err = strict(std::slice::from_ref(&f)).unwrap_err();
    assert!(matches!(err, LoadError::NoRules { .. }), "{err:?}");
    // Not strict: the empty file is skipped and named, the hunt goes on.
    let rules = with_user_packs(&[f]).unwrap();
    assert_eq!(rules.skipped().len(), 1);
    assert!(rules.ignored_rules()[0].contains("empty.yar: file skipped: file holds no rules"));
}

#[test]
fn non_utf8_rule_file_is_reported_with_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bin.yar");
    std::fs::write(&p, b"rule A { condition: true }\n\xff\xfe").unwrap();
    let err = strict(std::slice::from_ref(&p)).unwrap_err();
    assert!(err.to_string().contains("bin.yar:2:1"), "{err}");
    let rules = with_user_packs(std::slice::from_ref(&p)).unwrap();
    assert_eq!(rules.skipped()[0].line, Some(2));
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
    assert!(
        strict(std::slice::from_ref(&f)).is_err(),
        "strict: skipped rules are fatal"
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

/// Not strict: a rule yara-x cannot take is skipped and named (file, line, rule, reason); the
/// other rules of the same file and of other files still load and match.
#[test]
fn bad_rules_are_skipped_with_file_line_rule_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a_mixed.yar",
        "rule Good_One { strings: $a = \"good-ioc-1\" condition: $a }\n\nrule Uses_Undefined\n{\n    condition:\n        not_a_variable == 3\n}\n\nrule Good_Two { strings: $a = \"good-ioc-2\" condition: $a }\n",
    );
    write(dir.path(), "b_empty.yar", "/* all rules commented out */\n");
    write(
        dir.path(),
        "c_other.yar",
        "rule Good_Three { strings: $a = \"good-ioc-3\" condition: $a }",
    );
    let rules = with_user_packs(&[dir.path().to_path_buf()]).unwrap();
    let skipped = rules.skipped();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    let bad = skipped
        .iter()
        .find(|s| s.rule.as_deref() == Some("Uses_Undefined"))
        .unwrap_or_else(|| panic!("{skipped:?}"));
    assert!(bad.file.ends_with("a_mixed.yar"));
    assert_eq!(bad.line, Some(6));
    assert!(bad.reason.contains("unknown identifier"), "{}", bad.reason);
    assert!(bad
        .to_string()
        .contains("a_mixed.yar:6: rule Uses_Undefined skipped"));
    assert!(skipped
        .iter()
        .any(|s| s.file.ends_with("b_empty.yar") && s.rule.is_none()));
    let mut s = rules.scanner();
    let ids: Vec<String> = s
        .scan("x", b"good-ioc-1 good-ioc-2 good-ioc-3")
        .unwrap()
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let err = strict(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(err.to_string().contains("a_mixed.yar:6:"), "{err}");
}

/// The Loki/THOR external variables are declared and filled per file.
#[test]
fn loki_thor_external_variables_are_filled_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "ext.yar",
        r#"
rule Ext_Name { condition: filename == "OutlookEN.aspx" and extension == ".aspx" and filetype == "ASP" }
rule Ext_Path { condition: filepath contains "\\owa\\auth" }
rule Ext_Owner { condition: owner == "1000" and filemode == 420 }
rule Ext_Exe { condition: filetype == "EXE" }
"#,
    );
    let rules = with_user_packs(std::slice::from_ref(&f)).unwrap();
    assert!(rules.skipped().is_empty(), "{:?}", rules.skipped());
    let mut s = rules.yara_scanner();
    let ids = |hits: Vec<exray_core::content::ContentHit>| -> Vec<String> {
        let mut v: Vec<String> = hits.into_iter().map(|h| h.meta.id).collect();
        v.sort();
        v
    };
    let ctx = exray_core::content::FileContext {
        path: r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\OutlookEN.aspx",
        owner: Some("1000"),
        mode: Some(0o644),
    };
    use exray_core::content::ContentScanner;
    assert_eq!(
        ids(s.scan_file(&ctx, b"<% x %>").unwrap()),
        vec!["Ext_Name", "Ext_Owner", "Ext_Path"]
    );
    // The next file gets its own values, nothing carries over.
    assert_eq!(
        ids(s.scan("/tmp/x/tool.bin", b"MZ\x90\x00").unwrap()),
        vec!["Ext_Exe"]
    );
}

/// The compiled rules are cached by content: the second load comes from the cache with the
/// same rules and the same skipped list; a changed pack is compiled again.
#[test]
fn compiled_packs_are_cached_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let f = write(
        dir.path(),
        "p.yar",
        "rule Cached_A { strings: $a = \"cache-ioc-1\" condition: $a }\nrule Bad { condition: nope }\n",
    );
    let opts = LoadOptions {
        strict: false,
        cache_dir: Some(cache.clone()),
    };
    let first = load(std::slice::from_ref(&f), &opts).unwrap();
    assert!(!first.from_cache());
    let second = load(std::slice::from_ref(&f), &opts).unwrap();
    assert!(second.from_cache());
    assert_eq!(first.skipped(), second.skipped());
    assert_eq!(first.rule_count(), second.rule_count());
    let mut s = second.scanner();
    let hits = s.scan("x", b"cache-ioc-1").unwrap();
    assert_eq!(hits[0].meta.id, "Cached_A");
    assert!(hits[0].meta.description.contains("p.yar"));
    // Strict mode still refuses a cached pack with skipped rules.
    let strict_cached = LoadOptions {
        strict: true,
        cache_dir: Some(cache.clone()),
    };
    assert!(load(std::slice::from_ref(&f), &strict_cached).is_err());
    std::fs::write(
        &f,
        "rule Cached_B { strings: $a = \"cache-ioc-2\" condition: $a }\n",
    )
    .unwrap();
    let third = load(std::slice::from_ref(&f), &opts).unwrap();
    assert!(!third.from_cache());
    assert!(third.skipped().is_empty());
    // A damaged entry is compiled again, never an error.
    for e in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(e.unwrap().path(), b"EXRAYRC1 damaged").unwrap();
    }
    let fourth = load(std::slice::from_ref(&f), &opts).unwrap();
    assert!(!fourth.from_cache());
}

/// The whole of signature-base loads (skipping only what yara-x cannot take, each named) and
/// sweeps a folder. Skipped when the shared data is absent.
#[test]
fn whole_signature_base_loads_and_scans() {
    let base = exray_yara::quality::shared_data_dir().join("rulepacks/signature-base/yara");
    let shells = exray_yara::quality::shared_data_dir().join("webshells/tennc");
    if !base.is_dir() || !shells.is_dir() {
        println!("SKIP: {} or {} absent", base.display(), shells.display());
        return;
    }
    let rules = with_user_packs(std::slice::from_ref(&base)).unwrap_or_else(|e| panic!("{e}"));
    let files = rules.user_files().len();
    println!(
        "signature-base: {files} files, {} rules, {} skipped",
        rules.rule_count(),
        rules.skipped().len()
    );
    for s in rules.skipped() {
        println!("  {s}");
        assert!(s.file.starts_with(&base));
        assert!(!s.reason.is_empty());
    }
    assert!(files > 700);
    assert!(rules.rule_count() > 3000);
    let mut s = rules.scanner();
    let mut flagged = 0;
    let mut scanned = 0;
    for p in exray_yara::quality::walk(&shells).unwrap() {
        let data = exray_yara::quality::read_bounded(&p).unwrap();
        let hits = s.scan(&p.display().to_string(), &data).unwrap();
        scanned += 1;
        flagged += usize::from(hits.iter().any(|h| !h.meta.id.starts_with("EXRAY_")));
    }
    println!("signature-base flagged {flagged} of {scanned} files in tennc");
    assert!(
        flagged * 2 > scanned,
        "signature-base matched only {flagged} of {scanned}"
    );
}
