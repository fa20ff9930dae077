//! Find the evidence under a hunted path: a live or mounted system root, a triage folder that
//! keeps Windows paths under a drive folder (`C/`, `C%3A/`), or a loose folder of collected logs.
//! Names are matched case-insensitively; links are never followed.

use std::path::{Path, PathBuf};

use exray_core::SourceKind;
use exray_files::evidence::{self, EntryType};
use exray_files::winpath::{child_ci, display_windows, drive_letter, resolve_ci};

/// One evidence file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Windows-style path where known (`C:\Program Files\…`), else relative to the hunted path.
    pub display: String,
    pub kind: SourceKind,
    pub size: u64,
}

/// A folder that stands for a Windows drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRoot {
    pub path: PathBuf,
    pub drive: char,
}

#[derive(Debug, Default, Clone)]
pub struct Discovery {
    pub system_roots: Vec<SystemRoot>,
    pub exchange_roots: Vec<PathBuf>,
    pub sources: Vec<SourceFile>,
    /// Files seen in loose mode that are no known evidence.
    pub unrecognised: u64,
    /// The first of them (as shown in the report), for the warning that says they were skipped.
    pub unrecognised_examples: Vec<String>,
    pub notes: Vec<String>,
    /// Folders that could not be listed and special files where evidence was looked for.
    pub problems: Vec<Problem>,
}

/// Something discovery could not read, with the path as shown in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub display: String,
    pub message: String,
    /// The request-log source the folder would have held (the verdict cannot rest on it).
    pub request_log: Option<SourceKind>,
}

/// Where the user pointed exray besides the hunted path.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub exchange_roots: Vec<PathBuf>,
    pub iis_logs: Vec<PathBuf>,
    pub evtx: Vec<PathBuf>,
}

const INSTALL_ROOTS: &[&str] = &[
    r"Program Files\Microsoft\Exchange Server\V15",
    r"Program Files\Microsoft\Exchange Server\V14",
];

/// A drive root has `Windows\System32`, or two of `Program Files`, `inetpub`, `Windows`; a single
/// folder named `inetpub` in a log collection does not make one.
fn looks_like_system_root(p: &Path) -> bool {
    if resolve_ci(p, r"Windows\System32").is_some_and(|c| c.is_dir()) {
        return true;
    }
    ["Program Files", "inetpub", "Windows"]
        .iter()
        .filter(|n| child_ci(p, n).is_some_and(|c| c.is_dir()))
        .count()
        >= 2
}

/// System roots at `path` or up to four levels below it (triage layouts nest the drive folder:
/// `uploads/auto/C%3A/`, `Target/C/`).
pub fn find_system_roots(path: &Path) -> Vec<SystemRoot> {
    let own_letter = path
        .file_name()
        .and_then(|n| drive_letter(&n.to_string_lossy()))
        .unwrap_or('c');
    if looks_like_system_root(path) {
        return vec![SystemRoot {
            path: path.to_path_buf(),
            drive: own_letter,
        }];
    }
    let mut out = Vec::new();
    let mut frontier = vec![path.to_path_buf()];
    for _depth in 0..4 {
        let mut next = Vec::new();
        for dir in frontier {
            let Ok(rd) = evidence::list_dir(&dir) else {
                continue;
            };
            for e in rd {
                if e.kind != EntryType::Dir {
                    continue;
                }
                let p = e.path;
                let name = e.name.to_string_lossy().to_string();
                if let Some(letter) = drive_letter(&name) {
                    if looks_like_system_root(&p) {
                        out.push(SystemRoot {
                            path: p,
                            drive: letter,
                        });
                        continue;
                    }
                }
                next.push(p);
            }
        }
        if !out.is_empty() {
            break;
        }
        frontier = next;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn ext_is(p: &Path, ext: &str) -> bool {
    p.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// Files under `dir` (depth-limited, links skipped), in a stable order.
pub fn walk(dir: &Path, max_depth: usize) -> Vec<(PathBuf, u64)> {
    evidence::walk(dir, max_depth).files
}

/// The request-log source a folder's path suggests (for a folder that could not be read).
fn request_log_hint(path: &Path) -> Option<SourceKind> {
    let lower = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .replace('\\', "/");
    if lower.contains("httpproxy") {
        Some(SourceKind::HttpProxy)
    } else if lower.contains("w3svc") || lower.contains("/logfiles") || lower.contains("inetpub") {
        Some(SourceKind::Iis)
    } else {
        None
    }
}

impl Discovery {
    /// Walk an evidence folder, keeping what could not be read as problems (folders not listed,
    /// special files) and folders too deep as notes. `shown` renders a path for the report;
    /// `request_log` is the request-log source the folder holds, if it is one.
    fn walk_noting(
        &mut self,
        dir: &Path,
        max_depth: usize,
        shown: &dyn Fn(&Path) -> String,
        request_log: Option<SourceKind>,
    ) -> Vec<(PathBuf, u64)> {
        let w = evidence::walk(dir, max_depth);
        for (p, e) in &w.errors {
            self.problems.push(Problem {
                display: shown(p),
                message: format!("cannot list folder: {e}"),
                request_log: request_log.or_else(|| request_log_hint(p)),
            });
        }
        for p in &w.special {
            self.problems.push(Problem {
                display: shown(p),
                message: "not a regular file (FIFO, socket or device): skipped".into(),
                // In a request-log folder it stands where a log could be: not read.
                request_log: request_log.filter(|_| ext_is(p, "log")),
            });
        }
        if !w.too_deep.is_empty() && max_depth > 0 {
            self.notes.push(format!(
                "{} folder(s) nested deeper than {max_depth} levels below {} not entered, e.g. {}",
                w.too_deep.len(),
                shown(dir),
                shown(&w.too_deep[0])
            ));
        }
        w.files
    }
}

/// What kind of evidence a file is, from its path below the hunted folder (case-insensitive), in
/// loose mode; `real` is the file itself, for sniffing JSON exports.
pub fn classify(rel: &Path, real: &Path) -> Option<SourceKind> {
    let lower = format!(
        "/{}",
        rel.to_string_lossy()
            .replace('\\', "/")
            .to_ascii_lowercase()
    );
    let name = lower.rsplit('/').next().unwrap_or("");
    if name.ends_with(".evtx") {
        return Some(SourceKind::Evtx);
    }
    if [".json", ".jsonl", ".ndjson", ".zip"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return sniff_json(real);
    }
    if !name.ends_with(".log") {
        return None;
    }
    if lower.contains("/httpproxy/")
        || name.contains("_httpproxy_")
        || name.starts_with("httpproxy_")
    {
        return Some(SourceKind::HttpProxy);
    }
    if lower.contains("/ecp/server/") || name.starts_with("ecpserver") {
        return Some(SourceKind::EcpServer);
    }
    if lower.contains("/oabgeneratorlog/") || name.starts_with("oabgenerator") {
        return Some(SourceKind::OabGenerator);
    }
    if name.starts_with("u_ex") || lower.contains("/w3svc") {
        return Some(SourceKind::Iis);
    }
    None
}

/// A JSON-lines export of Windows events (or a zip of them), by its first bytes.
fn sniff_json(path: &Path) -> Option<SourceKind> {
    let head = evidence::head(path, 4096)?;
    let head = &head[..];
    if head.starts_with(b"PK\x03\x04") {
        return Some(SourceKind::EventJson);
    }
    let text = String::from_utf8_lossy(head);
    (text.trim_start().starts_with('{')
        && ["\"EventID\"", "\"winlog\"", "\"EventRecordID\""]
            .iter()
            .any(|k| text.contains(k)))
    .then_some(SourceKind::EventJson)
}

/// Classify a `.log` file by its first bytes when its name and folder do not tell.
pub fn sniff(path: &Path) -> Option<SourceKind> {
    if !ext_is(path, "log") {
        return None;
    }
    sniff_head(&evidence::head(path, 1024)?)
}

/// Classify a text log by its first bytes (up to 1 KiB): HttpProxy, ECP server or IIS W3C.
pub fn sniff_head(head: &[u8]) -> Option<SourceKind> {
    let head = &head[..head.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if head.contains("#log-type: httpproxy logs") {
        return Some(SourceKind::HttpProxy);
    }
    if head.contains("#log-type: ecp server log") {
        return Some(SourceKind::EcpServer);
    }
    if head.contains("#log-type:") {
        return None; // another Exchange log (EWS, message tracking, …)
    }
    if head.starts_with("datetime,requestid,") {
        return Some(SourceKind::HttpProxy); // older builds: a plain header row
    }
    let first = head.lines().next().unwrap_or("");
    let iis_native = first.split(", ").count() > 8 && first.contains("w3svc");
    if head.contains("#software: microsoft internet information services")
        || head.contains("#fields:")
        || iis_native
    {
        return Some(SourceKind::Iis);
    }
    None
}

/// The size of a file the user named (0 when it cannot be read: opening it says why).
pub(crate) fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn rel_display(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

pub fn discover(path: &Path, ov: &Overrides) -> Discovery {
    let mut d = Discovery {
        system_roots: find_system_roots(path),
        ..Default::default()
    };
    // Each file once, however many ways it was reached (a set: collections have many files).
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let mut push = |d: &mut Discovery, p: PathBuf, size: u64, display: String, kind: SourceKind| {
        if seen.insert(p.clone()) {
            d.sources.push(SourceFile {
                path: p,
                display,
                kind,
                size,
            });
        }
    };
    for root in d.system_roots.clone() {
        let disp = |p: &Path| display_windows(&root.path, root.drive, p);
        for rel in INSTALL_ROOTS {
            if let Some(ex) = resolve_ci(&root.path, rel) {
                d.exchange_roots.push(ex);
            }
        }
        if let Some(iis) = resolve_ci(&root.path, r"inetpub\logs\LogFiles") {
            for (p, size) in d.walk_noting(&iis, 3, &disp, Some(SourceKind::Iis)) {
                if ext_is(&p, "log") {
                    let s = disp(&p);
                    push(&mut d, p, size, s, SourceKind::Iis);
                }
            }
        }
        if let Some(ev) = resolve_ci(&root.path, r"Windows\System32\winevt\Logs") {
            // Every EVTX file, whatever a collector renamed it to: the detector reads its
            // channel from its first records and skips (and lists) channels no rule reads.
            for (p, size) in d.walk_noting(&ev, 0, &disp, None) {
                if ext_is(&p, "evtx") {
                    let s = disp(&p);
                    push(&mut d, p, size, s, SourceKind::Evtx);
                }
            }
        }
        let exroots: Vec<PathBuf> = d
            .exchange_roots
            .iter()
            .filter(|e| e.starts_with(&root.path))
            .cloned()
            .collect();
        for ex in exroots {
            for (rel, kind) in [
                (r"Logging\HttpProxy", SourceKind::HttpProxy),
                (r"Logging\ECP\Server", SourceKind::EcpServer),
                (r"Logging\OABGeneratorLog", SourceKind::OabGenerator),
            ] {
                if let Some(dir) = resolve_ci(&ex, rel) {
                    let hint = kind.is_request_log().then_some(kind);
                    for (p, size) in d.walk_noting(&dir, 2, &disp, hint) {
                        if ext_is(&p, "log") {
                            let s = disp(&p);
                            push(&mut d, p, size, s, kind);
                        }
                    }
                }
            }
        }
    }
    // Overrides.
    for ex in &ov.exchange_roots {
        if !d.exchange_roots.contains(ex) {
            d.exchange_roots.push(ex.clone());
        }
        let shown = |p: &Path| format!("{}/{}", ex.display(), rel_display(ex, p));
        for (p, size) in d.walk_noting(ex, 6, &shown, None) {
            let rel = rel_display(ex, &p);
            if let Some(kind) = classify(Path::new(&rel), &p) {
                if kind != SourceKind::Evtx {
                    let s = format!("{}/{}", ex.display(), rel);
                    push(&mut d, p, size, s, kind);
                }
            }
        }
    }
    let plain = |p: &Path| p.display().to_string();
    for dir in &ov.iis_logs {
        for (p, size) in if dir.is_file() {
            vec![(dir.clone(), file_size(dir))]
        } else {
            d.walk_noting(dir, 3, &plain, Some(SourceKind::Iis))
        } {
            if ext_is(&p, "log") {
                let s = p.display().to_string();
                push(&mut d, p, size, s, SourceKind::Iis);
            }
        }
    }
    for e in &ov.evtx {
        for (p, size) in if e.is_file() {
            vec![(e.clone(), file_size(e))]
        } else {
            d.walk_noting(e, 3, &plain, None)
        } {
            let kind = if ext_is(&p, "evtx") {
                Some(SourceKind::Evtx)
            } else {
                sniff_json(&p)
            };
            if let Some(kind) = kind {
                let s = p.display().to_string();
                push(&mut d, p, size, s, kind);
            }
        }
    }
    // Loose mode: no system root, no overrides: classify every file below the path.
    if d.system_roots.is_empty()
        && ov.exchange_roots.is_empty()
        && ov.iis_logs.is_empty()
        && ov.evtx.is_empty()
    {
        d.notes.push(format!(
            "no Windows system root (Program Files, inetpub, Windows) under {}: reading it as a folder of collected logs",
            path.display()
        ));
        let shown = |p: &Path| {
            let r = rel_display(path, p);
            if r.is_empty() {
                path.display().to_string()
            } else {
                r
            }
        };
        // A single file is classified as it would be in a folder holding only it: by its name
        // and its content.
        let single = path.is_file();
        let files = if single {
            vec![(path.to_path_buf(), file_size(path))]
        } else {
            d.walk_noting(path, 12, &shown, None)
        };
        for (p, size) in files {
            let rel = if single {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                rel_display(path, &p)
            };
            // Classify by the path below the hunted folder: names above it must not count.
            match classify(Path::new(&rel), &p).or_else(|| sniff(&p)) {
                Some(kind) => push(
                    &mut d,
                    p,
                    size,
                    if rel.is_empty() {
                        path.display().to_string()
                    } else {
                        rel
                    },
                    kind,
                ),
                // Registry exports are read by the hunt itself.
                None if ext_is(&p, "reg") => {}
                None => {
                    d.unrecognised += 1;
                    if d.unrecognised_examples.len() < 5 {
                        d.unrecognised_examples.push(if rel.is_empty() {
                            path.display().to_string()
                        } else {
                            rel
                        });
                    }
                }
            }
        }
    } else if d.exchange_roots.is_empty() {
        d.notes.push("no Exchange install root found (Program Files\\Microsoft\\Exchange Server\\V15); use --exchange-root".into());
    }
    d.sources.sort_by(|a, b| a.display.cmp(&b.display));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"x\n").unwrap();
    }

    #[test]
    fn triage_layout_with_drive_folder() {
        let t = tempfile::tempdir().unwrap();
        let c = t.path().join("uploads/auto/C%3A");
        touch(&c.join("program files/microsoft/exchange server/v15/logging/HttpProxy/Ecp/HttpProxy_2021030304-1.LOG"));
        touch(&c.join("program files/microsoft/exchange server/v15/logging/ecp/Server/ECPServer20210303-1.LOG"));
        touch(&c.join("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"));
        touch(&c.join("Windows/System32/winevt/Logs/MSExchange Management.evtx"));
        touch(&c.join("Windows/System32/winevt/Logs/Setup.evtx"));
        let d = discover(t.path(), &Overrides::default());
        assert_eq!(d.system_roots.len(), 1);
        assert_eq!(d.system_roots[0].drive, 'c');
        assert_eq!(d.exchange_roots.len(), 1);
        let kinds: Vec<SourceKind> = d.sources.iter().map(|s| s.kind).collect();
        // Every EVTX file is a candidate: its channel, not its name, decides whether it is read.
        assert_eq!(d.sources.len(), 5, "{:?}", d.sources);
        assert!(kinds.contains(&SourceKind::HttpProxy));
        assert!(kinds.contains(&SourceKind::EcpServer));
        assert!(kinds.contains(&SourceKind::Iis));
        assert!(kinds.contains(&SourceKind::Evtx));
        assert!(d
            .sources
            .iter()
            .any(|s| s.display == r"C:\inetpub\logs\LogFiles\W3SVC1\u_ex210303.log"));
    }

    #[test]
    fn loose_folder_is_classified() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("logs/HttpProxy/Owa/HttpProxy_1.log"));
        touch(&t.path().join("iis/u_ex210303.log"));
        touch(&t.path().join("notes.txt"));
        let d = discover(t.path(), &Overrides::default());
        assert!(d.system_roots.is_empty());
        assert_eq!(d.sources.len(), 2);
        assert_eq!(d.unrecognised, 1);
        assert!(!d.notes.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        touch(&outside.path().join("HttpProxy/Owa/x.log"));
        std::os::unix::fs::symlink(outside.path(), t.path().join("link")).unwrap();
        let d = discover(t.path(), &Overrides::default());
        assert!(d.sources.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn special_files_and_deep_folders_are_reported() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("logs/HttpProxy/Owa/HttpProxy_1.log"));
        let fifo = t.path().join("logs/HttpProxy/Owa/HttpProxy_2.log");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let mut deep = t.path().join("deep");
        for i in 0..13 {
            deep = deep.join(format!("d{i}"));
        }
        touch(&deep.join("u_ex210303.log"));
        let d = discover(t.path(), &Overrides::default());
        assert_eq!(d.sources.len(), 1, "{:?}", d.sources);
        assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
        assert!(d.problems[0].display.ends_with("HttpProxy_2.log"));
        assert!(d.problems[0].message.contains("not a regular file"));
        assert!(
            d.notes.iter().any(|n| n.contains("deeper than 12 levels")),
            "{:?}",
            d.notes
        );
    }
}
