//! The sweep: every planned file read once (size-capped) into a per-worker buffer; hashes, the
//! content rules and the built-in checks all run over that buffer; hits become findings.

use std::fmt;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use exray_core::aggregate::Aggregator;
use exray_core::content::{ContentRules, ContentScanner, FileContext};
use exray_core::{
    Confidence, ContentMatch, Evidence, FileInfo, InputError, RuleMeta, Severity, SourceCoverage,
    SourceKind, ERROR_CAP,
};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::artefacts::{self, FileAt, Magic};
use crate::baseline::{Baseline, BaselineCheck};
use crate::dotnet;
use crate::ioc::{HashNeeds, Iocs};
use crate::plan::{Location, SweepRoot};
use crate::rules::{self, *};
use crate::walk::{self, Job, Visit, WalkStats};

/// Default size cap: larger files are not hashed or content-scanned (their header still is
/// checked for dumps, archives and PST files) and are counted as skipped.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// How the sweep runs.
pub struct SweepOptions {
    /// Files above this size are skipped (counted; header still checked). Default 64 MiB.
    pub max_file_size: u64,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Exploitation window: files created or modified inside it are graded up.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Called now and then with the files and bytes read so far (and once at the end).
    pub progress: Option<Box<dyn Fn(u64, u64) + Send + Sync>>,
    /// The last log or event record the hunt read: file times later than it are the
    /// collection's, not the server's, and do not count for the window ([`crate::times`]).
    pub last_record: Option<DateTime<Utc>>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            window: None,
            progress: None,
            last_record: None,
        }
    }
}

impl fmt::Debug for SweepOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SweepOptions")
            .field("max_file_size", &self.max_file_size)
            .field("threads", &self.threads)
            .field("window", &self.window)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A script page in a web folder, for the log hunt to join with requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebFile {
    /// Lower-case URL path it is served at, e.g. `/owa/auth/xx.aspx`.
    pub url_path: String,
    pub display: String,
    /// SHA-256, or empty when the file was above the size cap or unreadable.
    pub sha256: String,
    /// True when no sweep rule (other than the window rule) flagged the file: a stock or unknown
    /// but unremarkable page. False for every flagged page.
    pub stock: bool,
}

/// Everything the sweep found and read.
#[derive(Debug, Default)]
pub struct SweepOutput {
    pub findings: Aggregator,
    /// One per swept root, source `FileSystem`; skipped files are explained in `notes`.
    pub coverage: Vec<SourceCoverage>,
    /// The first [`ERROR_CAP`] input errors.
    pub errors: Vec<InputError>,
    pub error_count: u64,
    /// Files read (hashed/scanned) and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Files not read in full: above the size cap, special files, links, too deep.
    pub skipped: u64,
    pub web_files: Vec<WebFile>,
    /// Per plan root (same order as the plan), the modification time (seconds since the epoch)
    /// of every file read: what [`crate::times`] judges the collection's times by.
    pub mtimes: Vec<Vec<i64>>,
}

/// Per-root counters kept by a worker.
#[derive(Clone, Debug, Default)]
struct RootCounts {
    files: u64,
    bytes: u64,
    errors: u64,
    huge: u64,
    special: u64,
    changed: u64,
    scan_errors: u64,
    mtimes: Vec<i64>,
}

struct Shared<'a> {
    plan: &'a [SweepRoot],
    opts: &'a SweepOptions,
    iocs: &'a Iocs,
    baseline: Option<&'a Baseline>,
    needs: HashNeeds,
    files: AtomicU64,
    bytes: AtomicU64,
}

struct Worker<'a> {
    sh: &'a Shared<'a>,
    scanner: Option<Box<dyn ContentScanner + 'a>>,
    buf: Vec<u8>,
    agg: Aggregator,
    errors: Vec<InputError>,
    error_count: u64,
    counts: Vec<RootCounts>,
    web_files: Vec<WebFile>,
}

/// One rule hit on the current file.
struct Hit {
    meta: RuleMeta,
    fields: Vec<(&'static str, String)>,
    matches: Vec<ContentMatch>,
    artifacts: Vec<String>,
    /// One line that says what was read from the file (shown in the text report).
    raw: Option<String>,
}

impl Hit {
    fn new(id: &str) -> Hit {
        Hit {
            meta: rules::get(id),
            fields: Vec::new(),
            matches: Vec::new(),
            artifacts: Vec::new(),
            raw: None,
        }
    }
    fn raw(mut self, line: String) -> Hit {
        self.raw = Some(line);
        self
    }
    fn field(mut self, k: &'static str, v: impl Into<String>) -> Hit {
        self.fields.push((k, v.into()));
        self
    }
    fn severity(mut self, s: Severity) -> Hit {
        self.meta.severity = s;
        self
    }
    fn confidence(mut self, c: Confidence) -> Hit {
        self.meta.confidence = c;
        self
    }
}

#[derive(Default)]
struct Hashes {
    md5: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
}

impl Hashes {
    fn ensure(&mut self, data: &[u8], need: HashNeeds) {
        if need.sha256 && self.sha256.is_none() {
            self.sha256 = Some(hex::encode(Sha256::digest(data)));
        }
        if need.sha1 && self.sha1.is_none() {
            self.sha1 = Some(hex::encode(Sha1::digest(data)));
        }
        if need.md5 && self.md5.is_none() {
            self.md5 = Some(hex::encode(Md5::digest(data)));
        }
    }
}

const ALL_HASHES: HashNeeds = HashNeeds {
    md5: true,
    sha1: true,
    sha256: true,
};

fn to_utc(t: std::io::Result<SystemTime>) -> Option<DateTime<Utc>> {
    t.ok().map(DateTime::<Utc>::from)
}

/// The location rules apply by: the root's, or for a user path, what its Windows path shows.
fn effective_location(root: &SweepRoot, display_lower: &str) -> (Location, bool) {
    if root.location != Location::UserPath {
        return (root.location, false);
    }
    const MARKERS: &[(&str, Location)] = &[
        (r"\inetpub\wwwroot\aspnet_client\", Location::AspnetClient),
        (r"\frontend\httpproxy\owa\auth\", Location::OwaAuth),
        (r"\frontend\httpproxy\ecp\auth\", Location::EcpAuth),
        (r"\frontend\httpproxy\oab\", Location::FrontEndOab),
        (r"\clientaccess\oab\", Location::ClientAccessOab),
        (r"\inetpub\wwwroot\", Location::WebRoot),
        (r"\frontend\httpproxy\", Location::WebRoot),
        (r"\temporary asp.net files\", Location::AspNetTemp),
    ];
    for (m, l) in MARKERS {
        if display_lower.contains(m) {
            return (*l, true);
        }
    }
    (Location::UserPath, false)
}

/// Path below the shell folder of a location (for "top level of owa\auth" checks).
fn rel_in_location(display_lower: &str, loc: Location) -> Option<&str> {
    let marker = match loc {
        Location::AspnetClient => r"\aspnet_client\",
        Location::OwaAuth => r"\owa\auth\",
        Location::EcpAuth => r"\ecp\auth\",
        Location::FrontEndOab | Location::ClientAccessOab => r"\oab\",
        _ => return None,
    };
    display_lower
        .rfind(marker)
        .map(|i| &display_lower[i + marker.len()..])
}

/// The URL path a file in a web folder is served at, from its Windows path.
pub fn url_path(display: &str) -> Option<String> {
    let lower = display.to_lowercase().replace('/', "\\");
    for m in [
        r"\inetpub\wwwroot\",
        r"\frontend\httpproxy\",
        r"\clientaccess\",
    ] {
        if let Some(i) = lower.find(m) {
            return Some(format!("/{}", lower[i + m.len()..].replace('\\', "/")));
        }
    }
    None
}

/// Is a compiled page's virtual path a shell?
fn compiled_reason(vp: &str) -> Option<&'static str> {
    let name = vp.rsplit('/').next().unwrap_or(vp);
    if let Some(rest) = vp.strip_prefix("/owa/auth/") {
        if !(rest == name && rules::is_stock_owa_auth(name)) {
            return Some("page in /owa/auth/ that Exchange does not ship");
        }
        return None;
    }
    if let Some(rest) = vp.strip_prefix("/ecp/auth/") {
        return (rest != rules::STOCK_ECP_AUTH)
            .then_some("page in /ecp/auth/ other than TimeoutLogoff.aspx");
    }
    if vp.starts_with("/aspnet_client/") {
        return Some("page in /aspnet_client/");
    }
    if vp.starts_with("/oab/") {
        return Some("page in the OAB virtual directory");
    }
    rules::shell_name_reason(name, false)
}

/// Is a file under `Temporary ASP.NET Files` an assembly ASP.NET compiled from pages?
fn is_compiled_page_assembly(lower_name: &str) -> bool {
    lower_name.ends_with(".dll")
        && (lower_name.starts_with("app_web_") || lower_name.starts_with("app_global.asax"))
}

/// Findings on a compiled page assembly (`App_Web_*.dll`, `App_global.asax.*.dll`): the source
/// pages that lie in shell folders (EXRAY-FS-040) and shell behaviours of its code
/// (EXRAY-FS-041), read from the .NET metadata; without readable metadata, the page that
/// non-batch compilation names the assembly after (`App_Web_<page>.aspx.<hash>.….dll`).
fn compiled_assembly_hits(name: &str, display_lower: &str, data: Option<&[u8]>) -> Vec<Hit> {
    let lower = name.to_ascii_lowercase();
    if !is_compiled_page_assembly(&lower) {
        return Vec::new();
    }
    let app = dotnet::temp_app_folder(display_lower);
    let Some(p) = data.and_then(dotnet::compiled_pages) else {
        return name_only_hit(&lower).into_iter().collect();
    };
    let pages: Vec<String> = p
        .virtual_paths
        .iter()
        .filter_map(|vp| dotnet::absolute_virtual_path(app, vp))
        .fold(Vec::new(), |mut v, a| {
            if !v.contains(&a) {
                v.push(a);
            }
            v
        });
    let shell_pages: Vec<(&String, &str)> = pages
        .iter()
        .filter_map(|a| compiled_reason(a).map(|r| (a, r)))
        .collect();
    let describe = |h: Hit| {
        let mut h = h
            .field("source_pages", pages.join("\n"))
            .field("virtual_paths", p.virtual_paths.join("\n"))
            .field("page_classes", p.classes.join("\n"));
        if let Some(a) = app {
            h = h.field("application", a);
        }
        if !p.behaviours.is_empty() {
            let b: Vec<&str> = p.behaviours.iter().map(|b| b.as_str()).collect();
            h = h.field("code", b.join(", "));
        }
        if !p.calls.is_empty() {
            h = h.field("calls", p.calls.join("\n"));
        }
        let mut line = format!("compiled from {}", or_none(&pages.join(", ")));
        if !p.classes.is_empty() {
            line.push_str(&format!(" ({})", p.classes.join(", ")));
        }
        if !p.behaviours.is_empty() {
            let b: Vec<&str> = p.behaviours.iter().map(|b| b.as_str()).collect();
            line.push_str(&format!("; code: {}", b.join(", ")));
            if p.reads_request {
                line.push_str(", reads request data");
            }
        }
        h.raw(line)
    };
    let mut hits = Vec::new();
    if let Some((page, reason)) = shell_pages.first() {
        let mut h = describe(Hit::new(COMPILED_SHELL_TRACE))
            .field("page", page.as_str())
            .field("reason", *reason);
        h.artifacts
            .extend(shell_pages.iter().map(|(a, _)| (*a).clone()));
        hits.push(h);
    } else if pages.is_empty() {
        // An assembly without page paths (a handler, Global.asax): the name may still tell.
        hits.extend(name_only_hit(&lower));
    }
    if let Some((sev, conf, reason)) = code_grade(&p, !shell_pages.is_empty()) {
        let mut h = describe(Hit::new(COMPILED_SHELL_CODE))
            .field("reason", reason)
            .severity(sev)
            .confidence(conf);
        if let Some(first) = pages.first() {
            h = h.field("page", first.as_str());
        }
        h.artifacts.extend(pages.iter().cloned());
        hits.push(h);
    }
    hits
}

/// A `.dll` inside a `bin` folder.
fn is_bin_assembly(display_lower: &str) -> bool {
    display_lower.ends_with(".dll") && display_lower.contains("\\bin\\")
}

/// EXRAY-FS-042 on an unsigned bin assembly whose page or handler classes run request data.
fn bin_assembly_hit(data: &[u8]) -> Option<Hit> {
    use dotnet::Behaviour as B;
    let b = dotnet::bin_assembly(data)?;
    if b.signed || b.web_classes.is_empty() || !b.code.reads_request {
        return None;
    }
    let strong = b
        .code
        .behaviours
        .iter()
        .any(|x| matches!(x, B::Eval | B::AssemblyLoad | B::RuntimeCompile));
    let (sev, reason) = if strong {
        (
            Severity::High,
            "reads request data and evaluates, loads or compiles code",
        )
    } else if b.code.behaviours.contains(&B::ProcessStart) {
        (Severity::Medium, "reads request data and starts a process")
    } else {
        return None;
    };
    let code: Vec<&str> = b.code.behaviours.iter().map(|x| x.as_str()).collect();
    Some(
        Hit::new(BIN_ASSEMBLY_SHELL_CODE)
            .field("classes", b.web_classes.join("\n"))
            .field("code", code.join(", "))
            .field("calls", b.code.calls.join("\n"))
            .field("signed", "no")
            .field("reason", reason)
            .severity(sev)
            .confidence(Confidence::Medium)
            .raw(format!(
                "unsigned assembly; classes {}; code: {}, reads request data",
                b.web_classes.join(", "),
                code.join(", ")
            )),
    )
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "no page path stored"
    } else {
        s
    }
}

/// How strong the code of a compiled page is as a shell: request data and eval, assembly load
/// or run-time compilation is the shell chain; a process start with request data is what cmd
/// pages do but also what admin tools do; a process start alone is not reported.
fn code_grade(
    p: &dotnet::CompiledPages,
    in_shell_folder: bool,
) -> Option<(Severity, Confidence, &'static str)> {
    use dotnet::Behaviour as B;
    let strong = p
        .behaviours
        .iter()
        .any(|b| matches!(b, B::Eval | B::AssemblyLoad | B::RuntimeCompile));
    let process = p.behaviours.contains(&B::ProcessStart);
    let (sev, conf, reason) = match (strong, process, p.reads_request) {
        (true, _, true) => (
            Severity::Critical,
            Confidence::High,
            "reads request data and evaluates, loads or compiles code",
        ),
        (true, _, false) => (
            Severity::High,
            Confidence::Medium,
            "evaluates, loads or compiles code (no request read seen in its own references)",
        ),
        (false, true, true) => (
            Severity::High,
            Confidence::Medium,
            "reads request data and starts a process",
        ),
        _ => return None,
    };
    if in_shell_folder {
        return Some((Severity::Critical, Confidence::High, reason));
    }
    Some((sev, conf, reason))
}

/// Non-batch compilation names the assembly after the page: `App_Web_<page>.aspx.<hash>.….dll`.
fn name_only_hit(lower_name: &str) -> Option<Hit> {
    let rest = lower_name.strip_prefix("app_web_")?;
    let i = rest.find(".aspx.")?;
    let page = &rest[..i + 5];
    let r = rules::shell_name_reason(page, false)?;
    let mut h = Hit::new(COMPILED_SHELL_TRACE)
        .field("page", page)
        .field("reason", r)
        .confidence(Confidence::Medium)
        .raw(format!("assembly named after {page}: {r}"));
    h.artifacts.push(page.to_string());
    Some(h)
}

/// The owner (numeric user id) and permission bits, where the platform has them.
fn owner_and_mode(md: &std::fs::Metadata) -> (Option<String>, Option<u32>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (Some(md.uid().to_string()), Some(md.mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = md;
        (None, None)
    }
}

fn escape_excerpt(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b.iter().take(120) {
        if c.is_ascii_graphic() || c == b' ' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\x{c:02x}"));
        }
    }
    s
}

fn bump(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

fn bump_conf(c: Confidence) -> Confidence {
    match c {
        Confidence::Low => Confidence::Medium,
        _ => Confidence::High,
    }
}

impl<'a> Worker<'a> {
    fn error(&mut self, root: usize, file: String, message: String) {
        self.error_count += 1;
        self.counts[root].errors += 1;
        if self.errors.len() < ERROR_CAP {
            self.errors.push(InputError {
                file,
                line: None,
                record: None,
                message,
            });
        }
    }

    fn progress(&self, bytes: u64) {
        let f = self.sh.files.fetch_add(1, Ordering::Relaxed) + 1;
        let b = self.sh.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if f.is_multiple_of(256) {
            if let Some(p) = &self.sh.opts.progress {
                p(f, b);
            }
        }
    }

    fn process(&mut self, job: Job) {
        let root = &self.sh.plan[job.root];
        let display = job.display(root);
        let mut file = match walk::open_readonly(&job.path) {
            Ok(f) => f,
            Err(e) => {
                self.error(job.root, display, format!("cannot open: {e}"));
                return;
            }
        };
        let md = match file.metadata() {
            Ok(m) => m,
            Err(e) => {
                self.error(job.root, display, format!("cannot stat: {e}"));
                return;
            }
        };
        if !md.is_file() {
            self.counts[job.root].special += 1;
            return;
        }
        let size = md.len();
        let mut info = FileInfo {
            size,
            modified: to_utc(md.modified()),
            created: to_utc(md.created()),
            ..FileInfo::default()
        };
        if let Some(m) = info.modified {
            self.counts[job.root].mtimes.push(m.timestamp());
        }
        let cap = self.sh.opts.max_file_size;
        let mut hashes = Hashes::default();
        let mut huge = size > cap;
        let mut read_whole = false;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if huge {
            self.counts[job.root].huge += 1;
        } else {
            buf.reserve(size as usize + 1);
            if let Err(e) = (&mut file).take(cap + 1).read_to_end(&mut buf) {
                self.buf = buf;
                self.error(job.root, display, format!("read error: {e}"));
                return;
            }
            if buf.len() as u64 > cap {
                // Grew past the cap while being read.
                self.counts[job.root].huge += 1;
                huge = true;
                buf.clear();
            } else {
                if buf.len() as u64 != size {
                    self.counts[job.root].changed += 1;
                    info.size = buf.len() as u64;
                }
                self.counts[job.root].files += 1;
                self.counts[job.root].bytes += buf.len() as u64;
                self.progress(buf.len() as u64);
                read_whole = true;
            }
        }
        let data: &[u8] = &buf;

        // Windows separators and lower case, also for user paths shown as POSIX paths.
        let display_lower = display.to_lowercase().replace('/', "\\");
        let name = job.name().to_string();
        let (loc, derived) = effective_location(root, &display_lower);
        let rel_lower = if derived {
            rel_in_location(&display_lower, loc)
                .unwrap_or("")
                .to_string()
        } else {
            job.rel.to_lowercase()
        };
        let top_level = !rel_lower.contains('\\');
        let is_page = rules::is_script_page(&name);
        let web = loc.is_web();
        let mut hits: Vec<Hit> = Vec::new();

        // Where: script files that do not belong where they lie.
        match loc {
            Location::AspnetClient if rules::is_script_or_config(&name) => {
                hits.push(Hit::new(SCRIPT_PAGE_IN_ASPNET_CLIENT));
            }
            Location::EcpAuth if !(top_level && rel_lower == rules::STOCK_ECP_AUTH) => {
                hits.push(Hit::new(FILE_IN_ECP_AUTH));
            }
            Location::OwaAuth if is_page => {
                if let Some(r) = rules::shell_name_reason(&name, true) {
                    hits.push(Hit::new(SHELL_NAME).field("reason", r));
                } else if !(top_level && rules::is_stock_owa_auth(&name)) {
                    hits.push(Hit::new(UNEXPECTED_OWA_AUTH_PAGE));
                }
            }
            Location::FrontEndOab | Location::ClientAccessOab if is_page => {
                if let Some(r) = rules::shell_name_reason(&name, true) {
                    hits.push(Hit::new(SHELL_NAME).field("reason", r));
                } else {
                    hits.push(Hit::new(SCRIPT_PAGE_IN_OAB));
                }
            }
            Location::WebRoot | Location::AspnetClient if is_page => {
                if let Some(r) = rules::shell_name_reason(&name, false) {
                    hits.push(Hit::new(SHELL_NAME).field("reason", r));
                }
            }
            _ => {}
        }

        // What: the virtual-directory-settings shell, without any rule engine.
        if is_page {
            if let Some((k, s)) = artefacts::oab_settings_shell(data) {
                let mut h = Hit::new(OAB_SETTINGS_IN_PAGE);
                for (off, ident) in [(k, "$settings"), (s, "$script")] {
                    let end = (off + 64).min(data.len());
                    h.matches.push(ContentMatch {
                        rule: OAB_SETTINGS_IN_PAGE.to_string(),
                        identifier: Some(ident.to_string()),
                        offset: off as u64,
                        length: (end - off) as u64,
                        excerpt: escape_excerpt(&data[off..end]),
                    });
                }
                hits.push(h);
            }
        }

        // Content rules over the same buffer, with the file's facts for the external
        // variables of Loki/THOR packs (filename, filepath, extension, filetype, owner, filemode).
        if read_whole {
            if let Some(sc) = self.scanner.as_mut() {
                let (owner, mode) = owner_and_mode(&md);
                let ctx = FileContext {
                    path: &display,
                    owner: owner.as_deref(),
                    mode,
                };
                match catch_unwind(AssertUnwindSafe(|| sc.scan_file(&ctx, data))) {
                    Ok(Ok(content_hits)) => {
                        for ch in content_hits {
                            hits.push(Hit {
                                meta: ch.meta,
                                fields: Vec::new(),
                                matches: ch.matches,
                                artifacts: Vec::new(),
                                raw: None,
                            });
                        }
                    }
                    Ok(Err(e)) => {
                        self.counts[job.root].scan_errors += 1;
                        self.error(job.root, display.clone(), format!("content scan: {e}"));
                    }
                    Err(_) => {
                        self.counts[job.root].scan_errors += 1;
                        self.error(
                            job.root,
                            display.clone(),
                            "content scan: the rule engine panicked on this file".into(),
                        );
                    }
                }
            }
        }

        // Artefacts by magic.
        let head: Vec<u8> = if read_whole {
            data[..data.len().min(artefacts::HEAD_LEN)].to_vec()
        } else {
            let mut h = Vec::with_capacity(artefacts::HEAD_LEN);
            use std::io::{Seek, SeekFrom};
            let _ = file.seek(SeekFrom::Start(0));
            let _ = (&mut file)
                .take(artefacts::HEAD_LEN as u64)
                .read_to_end(&mut h);
            h
        };
        if let Some(m) = artefacts::magic(&head) {
            let mut reader_mem: &[u8] = data;
            let mut reader_file;
            let reader: &mut dyn artefacts::ReadAt = if read_whole {
                &mut reader_mem
            } else {
                reader_file = FileAt(&mut file, size);
                &mut reader_file
            };
            let staging = matches!(loc, Location::Staging);
            match m {
                Magic::Minidump => {
                    let process = artefacts::minidump_process(reader);
                    let h = match &process {
                        Some(p) if !artefacts::is_lsass(p) => {
                            let wer = display_lower.contains(r"\microsoft\windows\wer\");
                            let h = Hit::new(PROCESS_DUMP).field("process", p.clone());
                            if wer {
                                h.severity(Severity::Low).confidence(Confidence::Low)
                            } else {
                                h
                            }
                        }
                        Some(p) => Hit::new(LSASS_DUMP).field("process", p.clone()),
                        None => Hit::new(LSASS_DUMP)
                            .field("process", "unknown (module list missing or truncated)")
                            .confidence(Confidence::Medium),
                    };
                    hits.push(h.field("magic", "MDMP"));
                }
                _ if m.is_archive() && (web || staging) => {
                    let mut h = Hit::new(STAGED_ARCHIVE).field("format", m.as_str());
                    let mut package = false;
                    if m == Magic::Zip {
                        let l = artefacts::zip_listing(reader);
                        package = staging && artefacts::is_package_zip(&l.names);
                        if let Some(s) = artefacts::sensitive_entry(&l.names) {
                            h = h.field("sensitive_entry", s).severity(Severity::High);
                        }
                        h = h
                            .field("entries", l.entries.to_string())
                            .field("entry_names", l.names.join("\n"));
                        if l.truncated {
                            h = h.field("note", "central directory truncated or damaged");
                        }
                    }
                    if web {
                        h = h.severity(Severity::High);
                    }
                    if !package {
                        hits.push(h);
                    }
                }
                Magic::Pst if web || staging || loc == Location::UserPath => {
                    let h = Hit::new(PST_FILE).field("magic", "!BDN");
                    hits.push(if web {
                        h
                    } else {
                        h.severity(Severity::Medium).confidence(Confidence::Medium)
                    });
                }
                _ => {}
            }
        }

        // Compiled traces of pages.
        if read_whole && name.to_ascii_lowercase().ends_with(".compiled") {
            if let Some((vp, asm)) = artefacts::compiled_virtual_path(data) {
                if let Some(r) = compiled_reason(&vp) {
                    let mut h = Hit::new(COMPILED_SHELL_TRACE)
                        .field("virtual_path", vp.clone())
                        .field("reason", r)
                        .raw(format!("compiled from {vp}: {r}"));
                    if let Some(a) = asm {
                        h = h.field("assembly", a);
                    }
                    h.artifacts.push(vp);
                    hits.push(h);
                }
            }
        }

        // Compiled page assemblies: the source pages and what their code does, from the
        // metadata; else (damaged, or not read) the page the assembly name carries.
        if loc == Location::AspNetTemp {
            let page_data = read_whole.then_some(data);
            hits.extend(compiled_assembly_hits(&name, &display_lower, page_data));
        }

        // Assemblies in a web application's bin folder: where a stub page's code lives.
        if web && read_whole && is_bin_assembly(&display_lower) {
            hits.extend(bin_assembly_hit(data));
        }

        // IOCs.
        let name_ioc = if self.sh.iocs.has_name_iocs() {
            self.sh.iocs.match_name(&name, &display.replace('/', "\\"))
        } else {
            None
        };
        if let Some(i) = name_ioc {
            let sev = match i.score {
                Some(s) if s < 40 => Severity::Low,
                Some(s) if s < 60 => Severity::Medium,
                _ => Severity::Critical,
            };
            let mut h = Hit::new(FILENAME_IOC)
                .field("ioc", i.description.clone())
                .field("ioc_source", i.source.clone())
                .severity(sev);
            if let Some(s) = i.score {
                h = h.field("ioc_score", s.to_string());
            }
            hits.push(h);
        }
        let baseline_eligible =
            (web || loc == Location::UserPath) && rules::is_script_or_config(&name);
        if read_whole {
            let mut need = self.sh.needs;
            need.sha256 |= (web && is_page) || (self.sh.baseline.is_some() && baseline_eligible);
            hashes.ensure(data, need);
            if let Some((kind, i)) = self.sh.iocs.match_hash(
                hashes.md5.as_deref(),
                hashes.sha1.as_deref(),
                hashes.sha256.as_deref(),
            ) {
                hits.push(
                    Hit::new(HASH_IOC)
                        .field("ioc", i.description.clone())
                        .field("ioc_source", i.source.clone())
                        .field("ioc_hash", kind),
                );
            }
            if let (Some(b), true) = (self.sh.baseline, baseline_eligible) {
                let sha = hashes.sha256.as_deref().unwrap_or_default();
                match b.check(&display, sha) {
                    BaselineCheck::Known => {}
                    BaselineCheck::New => hits.push(Hit::new(BASELINE_NEW)),
                    BaselineCheck::Changed(old) => {
                        hits.push(Hit::new(BASELINE_CHANGED).field("baseline_sha256", old))
                    }
                }
            }
        }

        // When: written inside the exploitation window, by the times that pass the file's own
        // checks (a copy's time counts for nothing).
        let kept = crate::times::kept_times(
            info.modified,
            info.created,
            &crate::times::Collection::TooFew { files: 0 },
            self.sh.opts.last_record,
            Utc::now(),
        );
        let in_window = self
            .sh
            .opts
            .window
            .is_some_and(|(a, b)| kept.iter().flatten().any(|t| *t >= a && *t <= b));
        if in_window {
            // Stock pages are rewritten by every update installed in the window: not telling.
            let stock_page = match loc {
                Location::OwaAuth => top_level && rules::is_stock_owa_auth(&name),
                Location::EcpAuth => top_level && rel_lower == rules::STOCK_ECP_AUTH,
                _ => false,
            };
            if hits.is_empty() {
                if web && is_page && !stock_page {
                    hits.push(Hit::new(WRITTEN_IN_WINDOW));
                }
            } else {
                for h in &mut hits {
                    // Raise what is already suspicious; a low-graded hit (a crash dump in WER)
                    // gains confidence, never an indicator's severity.
                    if h.meta.severity >= Severity::Medium {
                        h.meta.severity = bump(h.meta.severity);
                    }
                    h.meta.confidence = bump_conf(h.meta.confidence);
                    h.fields.push(("written_in_window", "true".into()));
                }
            }
        }

        let url = if web && is_page {
            url_path(&display)
        } else {
            None
        };
        if !hits.is_empty() {
            if read_whole {
                hashes.ensure(data, ALL_HASHES);
            }
            info.sha256 = hashes.sha256.clone();
            info.sha1 = hashes.sha1.clone();
            info.md5 = hashes.md5.clone();
            let ts = match (info.created, info.modified) {
                (Some(c), Some(m)) => Some(c.min(m)),
                (c, m) => c.or(m),
            };
            for h in hits.iter() {
                let mut ev = Evidence::new(SourceKind::FileSystem, display.clone())
                    .field("path", job.path.to_string_lossy())
                    .field("location", loc.as_str());
                ev.timestamp = ts;
                ev.file_info = Some(info.clone());
                if let Some(u) = &url {
                    ev = ev.field("url_path", u.clone());
                }
                if !read_whole {
                    ev = ev.field(
                        "hashes",
                        if huge {
                            "not computed: file larger than the size cap"
                        } else {
                            "not computed: file could not be read in full"
                        },
                    );
                }
                for (k, v) in &h.fields {
                    ev = ev.field(k, v.clone());
                }
                ev.matches = h.matches.clone();
                ev.raw = h.raw.clone();
                let mut arts: Vec<&str> = vec![display.as_str()];
                if let Some(u) = &url {
                    arts.push(u);
                }
                if let Some(s) = &info.sha256 {
                    arts.push(s);
                }
                arts.extend(h.artifacts.iter().map(String::as_str));
                self.agg.add_with_artifacts(&h.meta, &display, ev, &arts);
            }
        }
        if let Some(u) = url {
            self.web_files.push(WebFile {
                url_path: u,
                display: display.clone(),
                sha256: hashes.sha256.clone().unwrap_or_default(),
                stock: !hits.iter().any(|h| h.meta.id != WRITTEN_IN_WINDOW),
            });
        }
        self.buf = buf;
        // Do not keep a huge buffer alive for the rest of the sweep.
        if self.buf.capacity() > 16 << 20 {
            self.buf = Vec::new();
        }
    }
}

/// What a worker hands back.
struct WorkerOut {
    agg: Aggregator,
    errors: Vec<InputError>,
    error_count: u64,
    counts: Vec<RootCounts>,
    web_files: Vec<WebFile>,
}

impl Visit for Worker<'_> {
    type Output = WorkerOut;
    fn finish(self) -> WorkerOut {
        WorkerOut {
            agg: self.agg,
            errors: self.errors,
            error_count: self.error_count,
            counts: self.counts,
            web_files: self.web_files,
        }
    }
    fn visit(&mut self, job: Job) {
        let root = job.root;
        let display = job.display(&self.sh.plan[root]);
        if catch_unwind(AssertUnwindSafe(|| self.process(job))).is_err() {
            self.error(
                root,
                display,
                "internal error while sweeping this file".into(),
            );
        }
    }
}

/// Sweep the planned folders. Never fails: unreadable files are input errors, oversized and
/// special files are counted in the coverage notes.
pub fn sweep(
    plan: &[SweepRoot],
    opts: &SweepOptions,
    rules: Option<&dyn ContentRules>,
    iocs: &Iocs,
    baseline: Option<&Baseline>,
) -> SweepOutput {
    let sh = Shared {
        plan,
        opts,
        iocs,
        baseline,
        needs: iocs.hash_needs(),
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    };
    let started = std::time::Instant::now();
    let (workers, walk_stats, walk_errors) = walk::run(
        plan,
        |_| true,
        opts.threads,
        || Worker {
            sh: &sh,
            scanner: rules.map(|r| r.scanner()),
            buf: Vec::new(),
            agg: Aggregator::new(),
            errors: Vec::new(),
            error_count: 0,
            counts: vec![RootCounts::default(); plan.len()],
            web_files: Vec::new(),
        },
    );
    let mut out = SweepOutput::default();
    let mut counts = vec![RootCounts::default(); plan.len()];
    for e in walk_errors {
        out.error_count += 1;
        if out.errors.len() < ERROR_CAP {
            out.errors.push(e);
        }
    }
    for w in workers {
        out.findings.merge(w.agg);
        out.error_count += w.error_count;
        for e in w.errors {
            if out.errors.len() < ERROR_CAP {
                out.errors.push(e);
            }
        }
        out.web_files.extend(w.web_files);
        for (c, wc) in counts.iter_mut().zip(w.counts) {
            c.files += wc.files;
            c.bytes += wc.bytes;
            c.errors += wc.errors;
            c.huge += wc.huge;
            c.special += wc.special;
            c.changed += wc.changed;
            c.scan_errors += wc.scan_errors;
            c.mtimes.extend(wc.mtimes);
        }
    }
    out.errors.sort_by(|a, b| a.file.cmp(&b.file));
    out.web_files.sort_by(|a, b| a.display.cmp(&b.display));
    let mut seen_paths = std::collections::HashSet::new();
    out.mtimes = counts
        .iter_mut()
        .map(|c| std::mem::take(&mut c.mtimes))
        .collect();
    for ((root, c), ws) in plan.iter().zip(&counts).zip(&walk_stats) {
        if !seen_paths.insert(&root.path) {
            continue;
        }
        out.coverage.push(coverage(root, c, ws, opts.max_file_size));
        out.files += c.files;
        out.bytes += c.bytes;
        out.skipped += c.huge + c.special + ws.special + ws.links + ws.too_deep;
    }
    if let Some(p) = &opts.progress {
        p(out.files, out.bytes);
    }
    tracing::info!(
        files = out.files,
        bytes = out.bytes,
        skipped = out.skipped,
        errors = out.error_count,
        findings = out.findings.len(),
        secs = started.elapsed().as_secs_f64(),
        "file sweep done"
    );
    out
}

fn coverage(root: &SweepRoot, c: &RootCounts, ws: &WalkStats, cap: u64) -> SourceCoverage {
    let mut cov = SourceCoverage::new(SourceKind::FileSystem, root.display.clone());
    cov.files = c.files;
    cov.records = c.files;
    cov.bytes = c.bytes;
    cov.errors = c.errors + ws.list_errors;
    cov.notes
        .push(format!("location: {}", root.location.as_str()));
    let mut note = |n: u64, text: String| {
        if n > 0 {
            cov.notes.push(format!("{n} {text}"));
        }
    };
    note(
        c.huge,
        format!(
            "files larger than {} skipped (not hashed or content-scanned; header checked for dumps, archives, PST)",
            if cap >= 1 << 20 && cap.is_multiple_of(1 << 20) {
                format!("{} MiB", cap >> 20)
            } else {
                format!("{cap} bytes")
            }
        ),
    );
    note(
        c.special + ws.special,
        "special files (fifo, socket, device) skipped".into(),
    );
    note(ws.links, "links not followed".into());
    note(
        ws.too_deep,
        format!("folders deeper than {} levels not entered", walk::MAX_DEPTH),
    );
    note(ws.nested, "nested folders swept as their own root".into());
    note(
        ws.seen_dirs,
        "folders already swept through another path".into(),
    );
    note(ws.list_errors, "folders that could not be listed".into());
    note(c.changed, "files that changed size while being read".into());
    note(
        c.scan_errors,
        "files the content rules could not scan".into(),
    );
    cov
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;

    /// Files that vanish between listing and opening, and folders handed over as files, are
    /// counted, never fatal; the next file is still read.
    #[test]
    fn dangling_paths_and_dirs_as_files() {
        let d = tempfile::tempdir().unwrap();
        let c = d.path().join("C");
        std::fs::create_dir_all(c.join("ProgramData/sub")).unwrap();
        std::fs::write(c.join("ProgramData/ok.bin"), b"MDMP\x93\xa7").unwrap();
        let p = plan(&c, 'C', &[], &[]);
        let opts = SweepOptions::default();
        let iocs = Iocs::default();
        let sh = Shared {
            plan: &p,
            opts: &opts,
            iocs: &iocs,
            baseline: None,
            needs: HashNeeds::default(),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        };
        let mut w = Worker {
            sh: &sh,
            scanner: None,
            buf: Vec::new(),
            agg: Aggregator::new(),
            errors: Vec::new(),
            error_count: 0,
            counts: vec![RootCounts::default(); p.len()],
            web_files: Vec::new(),
        };
        let job = |rel: &str| Job {
            root: 0,
            path: c.join("ProgramData").join(rel),
            rel: rel.to_string(),
            depth: 1,
        };
        w.visit(job("gone.aspx"));
        w.visit(job("sub"));
        w.visit(job("ok.bin"));
        let out = w.finish();
        assert_eq!(out.error_count, 1);
        assert_eq!(out.errors[0].file, r"C:\ProgramData\gone.aspx");
        assert!(out.errors[0].message.contains("cannot open"));
        assert_eq!(out.counts[0].special, 1);
        assert_eq!(out.counts[0].files, 1);
        let f = out.agg.into_findings();
        assert_eq!(
            f[0].rule_id, LSASS_DUMP,
            "truncated dump of an unknown process"
        );
    }

    #[test]
    fn url_paths() {
        assert_eq!(
            url_path(
                r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\X.aspx"
            )
            .as_deref(),
            Some("/owa/auth/x.aspx")
        );
        assert_eq!(
            url_path(r"C:\inetpub\wwwroot\aspnet_client\system_web\a.aspx").as_deref(),
            Some("/aspnet_client/system_web/a.aspx")
        );
        assert_eq!(url_path(r"C:\ProgramData\a.aspx"), None);
    }
}
