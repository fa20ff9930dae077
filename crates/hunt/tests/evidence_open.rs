//! Evidence is opened one way only (`exray_files::evidence`: read-only, no atime, no link, never
//! blocking, size caps): no other module of the crates that read evidence opens, reads or lists
//! files by itself. Test code (after `#[cfg(test)]`) is not looked at.

use std::path::{Path, PathBuf};

/// Files allowed to open files themselves, and why.
const ALLOWED: &[(&str, &str)] = &[
    ("files/src/evidence.rs", "the one way evidence is opened"),
    ("files/src/ioc.rs", "IOC packs the user names, not evidence"),
    (
        "files/src/baseline.rs",
        "baselines the user names, not evidence",
    ),
    ("files/src/cli.rs", "writes the user's output file"),
    ("cli/src/main.rs", "reports the user uploads, not evidence"),
    (
        "cli/src/hunt_cmd.rs",
        "rule files the user names; the report it writes",
    ),
    (
        "cli/src/import_cmd.rs",
        "third-party feeds the user imports (not evidence); the reports it writes",
    ),
    (
        "cli/src/export_cmd.rs",
        "reports the user names (exray's own output, not evidence); the export it writes",
    ),
];

const FORBIDDEN: &[&str] = &[
    "File::open",
    "File::create",
    "fs::read(",
    "fs::read_to_string",
    "fs::read_dir",
    "read_dir(",
    "OpenOptions",
    "from_path(",
    "fs::copy",
    "libc::open",
    "libc::mmap(",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn evidence_is_opened_only_through_the_evidence_module() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for c in ["hunt", "parse", "files", "core", "cli"] {
        rust_files(&crates.join(c).join("src"), &mut files);
    }
    assert!(files.len() > 20, "the source tree was not found");
    let mut bad = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&crates)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.iter().any(|(a, _)| *a == rel) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let product = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in product.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for pat in FORBIDDEN {
                // mapped.rs maps a file it is handed (opened by the evidence module).
                if *pat == "libc::mmap(" && rel == "parse/src/mapped.rs" {
                    continue;
                }
                if code.contains(pat) {
                    bad.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "evidence read outside exray_files::evidence:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scanner_cap_is_the_text_log_cap() {
    assert_eq!(
        exray_parse::lines::READ_CAP,
        exray_files::evidence::Kind::TextLog.cap()
    );
}
