//! The registry facts of a hunt, from exported registry files (`*.reg`) and from binary hives
//! (`Windows\System32\config\SOFTWARE|SYSTEM` under each system root, and any file in the hunted
//! folder that is a primary hive by its `regf` base block, whatever its name): installed Exchange
//! updates, service start types, Exchange's install path and the host's names and addresses.

use std::path::{Path, PathBuf};

use exray_core::InputError;
use exray_files::evidence::{self, Kind};
use exray_parse::regexport::{IdentityValue, InstalledUpdate};

use crate::discover::SystemRoot;

/// What the registry says, each fact with the file it came from.
#[derive(Debug, Default)]
pub struct RegistryFacts {
    pub updates: Vec<(String, InstalledUpdate)>,
    pub service_starts: Vec<(String, u32)>,
    /// (file, key, `MsiInstallPath` as written, e.g. `D:\Exchange Server\V15\`).
    pub install_paths: Vec<(String, String, String)>,
    /// Where the service start types came from, for the mitigation's evidence.
    pub service_sources: Vec<String>,
    /// (file, name or address of the host): `SYSTEM` hives and exports, in the order read.
    pub identity: Vec<(String, IdentityValue)>,
}

/// Extensions never sniffed for a hive (a speed shortcut over large folders: none of them is a
/// name a collector gives a hive copy).
const NOT_HIVES: &[&str] = &[
    "dll", "exe", "sys", "mui", "evtx", "log", "etl", "cat", "aspx", "ascx", "ashx", "asmx", "js",
    "css", "png", "jpg", "gif", "xml", "config", "txt", "json", "jsonl", "zip", "7z", "msi", "cab",
    "pdb", "manifest", "nls", "ttf", "ico", "reg", "html", "htm", "csv", "pst", "dmp", "edb",
];

/// The smallest primary hive: the base block and one hive bin.
const MIN_HIVE: u64 = 8192;

/// Is this a primary hive (not a transaction log, which carries the same signature)?
fn is_primary_hive(path: &Path) -> bool {
    evidence::head(path, 0x20).is_some_and(|h| {
        h.len() >= 0x20 && h.starts_with(exray_parse::hive::MAGIC) && h[0x1C..0x20] == [0, 0, 0, 0]
    })
}

/// Read every registry export and hive of the hunt.
pub fn read(path: &Path, roots: &[SystemRoot], errors: &mut Vec<InputError>) -> RegistryFacts {
    let mut facts = RegistryFacts::default();
    let files = if path.is_file() {
        vec![(path.to_path_buf(), crate::discover::file_size(path))]
    } else {
        crate::discover::walk(path, 4)
    };
    let mut hives: Vec<(PathBuf, String)> = Vec::new();
    for r in roots {
        for name in ["SOFTWARE", "SYSTEM"] {
            if let Some(p) = exray_files::winpath::resolve_ci(
                &r.path,
                &format!(r"Windows\System32\config\{name}"),
            ) {
                let shown = exray_files::winpath::display_windows(&r.path, r.drive, &p);
                hives.push((p, shown));
            }
        }
    }
    let mut total = 0u64;
    for (p, size) in &files {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext == "reg" {
            if let Some(text) = export(p, *size, &mut total, errors) {
                let shown = p.display().to_string();
                for u in exray_parse::regexport::exchange_updates(&text) {
                    facts.updates.push((shown.clone(), u));
                }
                let starts = exray_parse::regexport::service_starts(&text);
                if !starts.is_empty() {
                    facts.service_sources.push(shown.clone());
                }
                facts.service_starts.extend(starts);
                for v in exray_parse::regexport::host_identity(&text) {
                    facts.identity.push((shown.clone(), v));
                }
            }
        } else if *size >= MIN_HIVE
            && !NOT_HIVES.contains(&ext.as_str())
            && !hives.iter().any(|(h, _)| h == p)
            && is_primary_hive(p)
        {
            hives.push((p.clone(), p.display().to_string()));
        }
    }
    for (p, shown) in hives {
        hive(&p, &shown, &mut facts, errors);
    }
    facts
}

/// One registry export's text, within the per-file and per-hunt caps.
fn export(p: &Path, size: u64, total: &mut u64, errors: &mut Vec<InputError>) -> Option<String> {
    let shown = p.display().to_string();
    let take = size.min(Kind::Registry.cap());
    if *total + take > evidence::REGISTRY_TOTAL_CAP {
        errors.push(InputError {
            file: shown,
            line: None,
            record: None,
            message: format!(
                "not read: registry exports are read up to {} per hunt",
                evidence::human(evidence::REGISTRY_TOTAL_CAP)
            ),
        });
        return None;
    }
    let b = crate::hunt::read_small(p, Kind::Registry, &shown, errors)?;
    *total += b.len() as u64;
    Some(exray_parse::regexport::decode(&b))
}

/// One hive: read whole (up to its cap; a larger one is an input error, not read), then its facts.
fn hive(p: &Path, shown: &str, facts: &mut RegistryFacts, errors: &mut Vec<InputError>) {
    let mut err = |message: String| {
        errors.push(InputError {
            file: shown.to_string(),
            line: None,
            record: None,
            message,
        })
    };
    let mut ev = match evidence::open(p, Kind::Hive) {
        Ok(ev) => ev,
        Err(e) => return err(e.to_string()),
    };
    if ev.over_cap() {
        return err(format!(
            "registry hive of {} not read: larger than the {} cap for registry hives",
            evidence::human(ev.size),
            evidence::human(Kind::Hive.cap())
        ));
    }
    let data = match ev.read_capped() {
        Ok(d) => d,
        Err(e) => return err(format!("read error: {e}")),
    };
    match exray_parse::hive::read_hive(data) {
        Ok(h) => {
            for u in h.updates {
                facts.updates.push((shown.to_string(), u));
            }
            if !h.service_starts.is_empty() {
                facts.service_sources.push(shown.to_string());
            }
            facts.service_starts.extend(h.service_starts);
            for (key, path) in h.install_paths {
                facts.install_paths.push((shown.to_string(), key, path));
            }
            for v in h.identity {
                facts.identity.push((shown.to_string(), v));
            }
        }
        Err(e) => err(e.to_string()),
    }
}

/// Exchange install folders the registry names that discovery did not find: resolved under the
/// system root of their drive (to add as install roots), or said to be outside the collection.
pub fn missing_install_roots(
    facts: &RegistryFacts,
    roots: &[SystemRoot],
    known: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for (file, key, win) in &facts.install_paths {
        let trimmed = win.trim().trim_end_matches('\\');
        let mut chars = trimmed.chars();
        let (Some(letter), Some(':')) = (chars.next(), chars.next()) else {
            continue;
        };
        let rel = trimmed[2..].trim_start_matches('\\');
        let found = roots
            .iter()
            .filter(|r| r.drive.eq_ignore_ascii_case(&letter))
            .find_map(|r| exray_files::winpath::resolve_ci(&r.path, rel));
        match found {
            Some(p) if known.contains(&p) || out.contains(&p) => {}
            Some(p) => out.push(p),
            None if roots.is_empty() => {}
            None => warnings.push(format!(
                "{file}: {key} says Exchange is installed at {win}, which is not in the hunted folders: its logs were not read (add them with --exchange-root)"
            )),
        }
    }
    out
}
