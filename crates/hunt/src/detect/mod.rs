//! Detectors: each reads one kind of source and turns records into rule hits in a [`Ctx`].

pub mod ecp;
pub mod events;
pub mod httpproxy;
pub mod iis;
pub mod oab;
pub mod pages;
pub mod zipped;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use exray_core::aggregate::Aggregator;
use exray_core::{Evidence, InputError, RuleMeta, SourceCoverage, SourceKind, ERROR_CAP};
use exray_files::evidence;
use exray_parse::lines::Regex;
use exray_parse::prefilter::{OwnedPat, Pat, Prefilter};

/// A built prefilter, by its needle set (address and length of the static set) and run-time
/// needles.
type CachedPrefilter = ((usize, usize), Vec<OwnedPat>, Prefilter);

thread_local! {
    /// Prefilters built on this worker thread.
    static PREFILTERS: std::cell::RefCell<Vec<CachedPrefilter>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The prefilter for a needle set, built once per worker thread from the sample of the first
/// file it reads with that set (building costs a fraction of a millisecond, which would dwarf
/// the search of a small log; the files of one kind look alike).
pub(crate) fn prefilter_for(pats: &'static [Pat], iocs: &[OwnedPat], sample: &[u8]) -> Prefilter {
    let key = (pats.as_ptr() as usize, pats.len());
    PREFILTERS.with(|c| {
        let mut cache = c.borrow_mut();
        if let Some((_, _, p)) = cache.iter().find(|(k, i, _)| *k == key && i == iocs) {
            return p.clone();
        }
        let p = Prefilter::new(pats, iocs, sample);
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((key, iocs.to_vec(), p.clone()));
        p
    })
}

/// Which lines of a request log reach the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Lines with a needle (the product).
    Prefiltered,
    /// Every line (the reference the prefilter is tested against).
    Every,
}

/// Where a request log's bytes come from: an evidence file (opened here, mapped when large), or
/// a reader the caller opened within its caps (an entry of a zip).
pub enum LogSource<'a> {
    Path(&'a std::path::Path),
    Reader(Box<dyn std::io::Read + 'a>),
}

/// A request log opened for its detector: the file, or the reader it was handed.
pub(crate) enum LogInput<'a> {
    File(std::fs::File),
    Reader(Box<dyn std::io::Read + 'a>),
}

impl<'a> LogInput<'a> {
    /// Open `src` (a file through the evidence module; None, with the error recorded, when it
    /// cannot be read).
    pub(crate) fn open(src: LogSource<'a>, ctx: &mut Ctx<'_>, display: &str) -> Option<Self> {
        match src {
            LogSource::Path(p) => open(ctx, p, display).map(LogInput::File),
            LogSource::Reader(r) => Some(LogInput::Reader(r)),
        }
    }

    /// Scan it line by line: a file mapped a window at a time, a reader in chunks; the matcher
    /// from a sample of its start (`Prefiltered`) or every line (`Every`).
    pub(crate) fn scan<N, M, F>(
        self,
        delivery: Delivery,
        make: M,
        on_line: F,
    ) -> std::io::Result<exray_parse::lines::ScanSummary>
    where
        N: exray_parse::lines::Needles,
        M: FnOnce(&[u8]) -> N,
        F: FnMut(exray_parse::lines::Line<'_>) -> std::io::Result<()>,
    {
        use exray_parse::lines::{scan, scan_file_with, scan_with, EveryLine};
        match (self, delivery) {
            (LogInput::File(f), Delivery::Prefiltered) => scan_file_with(&f, make, on_line),
            (LogInput::File(f), Delivery::Every) => scan(f, &EveryLine, on_line),
            (LogInput::Reader(r), Delivery::Prefiltered) => scan_with(r, make, on_line),
            (LogInput::Reader(r), Delivery::Every) => scan(r, &EveryLine, on_line),
        }
    }
}

/// The time window findings are kept for (`--since`/`--until`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, t: Option<DateTime<Utc>>) -> bool {
        match t {
            None => true,
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u),
        }
    }
}

/// Timestamps before 2000 are placeholders (zero FILETIMEs, broken clocks), and timestamps more
/// than two days after the hunt started are forged or broken: neither is coverage (a forged
/// year 9999 must not stretch what the logs are said to cover).
fn plausible(t: DateTime<Utc>) -> bool {
    static HORIZON: std::sync::LazyLock<i64> =
        std::sync::LazyLock::new(|| Utc::now().timestamp() + 2 * 86_400);
    t.timestamp() > 946_684_800 && t.timestamp() <= *HORIZON
}

/// A covered period: first and last record time of one file.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Per-worker state: hits, coverage and errors. Workers' contexts are merged at the end.
pub struct Ctx<'a> {
    pub agg: Aggregator,
    pub event_rules: &'a crate::eventrules::EventRules,
    pub window: Window,
    pub ioc_ips: &'a HashSet<String>,
    pub errors: Vec<InputError>,
    pub error_count: u64,
    pub coverage: HashMap<(SourceKind, String), SourceCoverage>,
    /// Script pages requested in web-shell locations: url path (lower case) → client IPs,
    /// for correlation with the files found on disk.
    pub requested_pages: HashMap<String, HashSet<String>>,
    /// Per source and folder, the period each file covers: gaps between them are reported.
    pub intervals: HashMap<(SourceKind, String), Vec<Span>>,
    /// Script pages stacked over the request logs (rarity and behaviour).
    pub pages: pages::PageTable,
    /// The kind of the file being read (set by the runner).
    pub current_kind: Option<SourceKind>,
    /// Bytes read out of zip archives by every worker of the hunt (capped per hunt).
    pub zip_bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The server's own names and addresses as the request logs write them (bounded).
    pub names: crate::identity::LogNames,
}

impl<'a> Ctx<'a> {
    pub fn new(
        window: Window,
        ioc_ips: &'a HashSet<String>,
        event_rules: &'a crate::eventrules::EventRules,
    ) -> Self {
        Ctx {
            agg: Aggregator::new(),
            event_rules,
            window,
            ioc_ips,
            errors: Vec::new(),
            error_count: 0,
            coverage: HashMap::new(),
            requested_pages: HashMap::new(),
            intervals: HashMap::new(),
            pages: pages::PageTable::default(),
            current_kind: None,
            zip_bytes: Default::default(),
            names: Default::default(),
        }
    }

    /// Record a hit if it falls in the window.
    pub fn hit(&mut self, rule: &RuleMeta, key: &str, ev: Evidence) {
        if self.window.contains(ev.timestamp) {
            self.agg.add(rule, key, ev);
        }
    }

    pub fn hit_with_artifacts(
        &mut self,
        rule: &RuleMeta,
        key: &str,
        ev: Evidence,
        artifacts: &[&str],
    ) {
        if self.window.contains(ev.timestamp) {
            self.agg.add_with_artifacts(rule, key, ev, artifacts);
        }
    }

    pub fn error(
        &mut self,
        file: &str,
        line: Option<u64>,
        record: Option<u64>,
        message: impl Into<String>,
    ) {
        self.error_count += 1;
        if self.errors.len() < ERROR_CAP {
            self.errors.push(InputError {
                file: file.to_string(),
                line,
                record,
                message: message.into(),
            });
        }
    }

    /// The coverage entry of a source at a location (created on first use).
    pub fn cov(&mut self, kind: SourceKind, location: &str) -> &mut SourceCoverage {
        self.coverage
            .entry((kind, location.to_string()))
            .or_insert_with(|| SourceCoverage::new(kind, location))
    }

    /// Record the period one file covers (its first and last record times).
    pub fn file_span(
        &mut self,
        kind: SourceKind,
        location: &str,
        first: Option<DateTime<Utc>>,
        last: Option<DateTime<Utc>>,
    ) {
        self.observe(kind, location, first);
        self.observe(kind, location, last);
        if let (Some(a), Some(b)) = (
            first.filter(|t| plausible(*t)),
            last.filter(|t| plausible(*t)),
        ) {
            self.intervals
                .entry((kind, location.to_string()))
                .or_default()
                .push((a.min(b), a.max(b)));
        }
    }

    pub fn observe(&mut self, kind: SourceKind, location: &str, t: Option<DateTime<Utc>>) {
        if let Some(t) = t.filter(|t| plausible(*t)) {
            self.cov(kind, location).observe(t);
        }
    }

    /// Fold another worker's context into this one.
    pub fn merge(&mut self, other: Ctx<'_>) {
        self.agg.merge(other.agg);
        self.error_count += other.error_count;
        for e in other.errors {
            if self.errors.len() < ERROR_CAP {
                self.errors.push(e);
            }
        }
        for (k, c) in other.coverage {
            match self.coverage.get_mut(&k) {
                Some(mine) => mine.merge(&c),
                None => {
                    self.coverage.insert(k, c);
                }
            }
        }
        for (k, v) in other.requested_pages {
            self.requested_pages.entry(k).or_default().extend(v);
        }
        for (k, v) in other.intervals {
            self.intervals.entry(k).or_default().extend(v);
        }
        self.pages.merge(other.pages);
        self.names.merge(other.names);
    }
}

/// The coverage location of a log file: its folder.
pub fn location_of(display: &str) -> String {
    match display.rfind(['\\', '/']) {
        Some(i) => display[..i].to_string(),
        None => display.to_string(),
    }
}

/// Open an evidence file for a detector (read-only, no atime, no link, never blocking; see
/// [`exray_files::evidence`]), reporting failure, and a size past the kind's cap, as input
/// errors.
pub fn open_evidence(
    ctx: &mut Ctx<'_>,
    path: &Path,
    display: &str,
    kind: evidence::Kind,
) -> Option<evidence::Evidence> {
    match evidence::open(path, kind) {
        Ok(ev) => {
            if let Some(note) = ev.size_note() {
                ctx.error(display, None, None, note);
            }
            Some(ev)
        }
        Err(e) => {
            ctx.error(display, None, None, e.to_string());
            None
        }
    }
}

/// Open a text log for a detector (see [`open_evidence`]). The line scanner reads at most
/// [`exray_parse::lines::READ_CAP`] bytes of it, the cap of text logs. A log in an encoding the
/// scanners do not read (UTF-16, CR-only line ends) is named and skipped. A request log that
/// cannot be read marks its folder unreadable: the verdict cannot rest on that folder.
pub fn open(ctx: &mut Ctx<'_>, path: &Path, display: &str) -> Option<std::fs::File> {
    let ev = open_evidence(ctx, path, display, evidence::Kind::TextLog);
    let problem = match &ev {
        None => Some("could not be opened".to_string()),
        Some(ev) => unreadable_encoding(&ev.file).inspect(|why| {
            ctx.error(display, None, None, why.clone());
        }),
    };
    if let Some(why) = problem {
        if let Some(kind) = ctx.current_kind.filter(|k| k.is_request_log()) {
            let c = ctx.cov(kind, &location_of(display));
            c.unreadable = true;
            c.errors += 1;
            let note = format!("{display}: {why}");
            if c.notes.len() < 5 && !c.notes.contains(&note) {
                c.notes.push(note);
            }
        }
        return None;
    }
    ev.map(|ev| ev.file)
}

/// Encodings the line scanners do not read, from the first 4 KiB: UTF-16 (a byte-order mark, or
/// every other byte NUL) and line ends that are CR only.
fn unreadable_encoding(file: &std::fs::File) -> Option<String> {
    let mut head = [0u8; 4096];
    #[cfg(unix)]
    let n = std::os::unix::fs::FileExt::read_at(file, &mut head, 0).ok()?;
    #[cfg(not(unix))]
    let n = 0;
    encoding_problem(&head[..n])
}

/// Why a text log whose first bytes are `head` cannot be read line by line (UTF-16, CR-only
/// line ends), if it cannot.
pub(crate) fn encoding_problem(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16 text (byte-order mark): request logs are read as UTF-8/ASCII; this file was not read (convert it: iconv -f UTF-16 -t UTF-8)".into());
    }
    let nul = head.iter().filter(|b| **b == 0).count();
    if head.len() >= 64 && nul * 3 > head.len() && nul * 3 < head.len() * 2 {
        return Some("UTF-16 text (no byte-order mark: every other byte is NUL): request logs are read as UTF-8/ASCII; this file was not read (convert it: iconv -f UTF-16LE -t UTF-8)".into());
    }
    if !head.contains(&b'\n') && memchr::memchr_iter(b'\r', head).nth(1).is_some() {
        return Some(
            "line ends are CR only: this file was not read (convert it: tr '\\r' '\\n')".into(),
        );
    }
    None
}

// --- Shared by the request-log detectors (HttpProxy, IIS) and the needle sets of all text logs.

/// Case-insensitive needles (a regex alternation keeps a vectorised literal prefilter where a
/// case-insensitive Aho-Corasick automaton does not).
pub(crate) fn build_needles(extra: &[&str], base: &[&str]) -> Regex {
    let mut pats: Vec<&str> = base.to_vec();
    pats.extend_from_slice(extra);
    exray_parse::lines::needles_ci(&pats)
}

/// The four autodiscover path-confusion rules, graded by date (ProxyShell or ProxyNotShell) and
/// by the answer (exploitation or attempt). One set, shared by the IIS and HttpProxy detectors.
pub(crate) struct AutodiscoverRules {
    ps: RuleMeta,
    pns: RuleMeta,
    ps_try: RuleMeta,
    pns_try: RuleMeta,
}

impl AutodiscoverRules {
    pub(crate) fn new() -> Self {
        use exray_core::Family;
        AutodiscoverRules {
            ps: crate::rules::proxyshell_like(Family::ProxyShell),
            pns: crate::rules::proxyshell_like(Family::ProxyNotShell),
            ps_try: crate::rules::proxyshell_like_attempt(Family::ProxyShell),
            pns_try: crate::rules::proxyshell_like_attempt(Family::ProxyNotShell),
        }
    }

    /// The rule for a request at `t` answered with HTTP `status` (2xx/3xx: it got through).
    pub(crate) fn pick(&self, t: Option<DateTime<Utc>>, status: &[u8]) -> &RuleMeta {
        let success = status.first().is_some_and(|c| *c == b'2' || *c == b'3');
        match (proxynotshell_era(t), success) {
            (false, true) => &self.ps,
            (true, true) => &self.pns,
            (false, false) => &self.ps_try,
            (true, false) => &self.pns_try,
        }
    }
}

/// ProxyNotShell was first exploited in August 2022: earlier autodiscover SSRF is ProxyShell.
pub(crate) fn proxynotshell_era(t: Option<DateTime<Utc>>) -> bool {
    let cut = Utc.with_ymd_and_hms(2022, 8, 1, 0, 0, 0).unwrap();
    t.is_some_and(|t| t >= cut)
}

/// `/autodiscover/autodiscover.json?@x/powershell…` style path confusion in a decoded URI:
/// PowerShell behind autodiscover.json (with or without the `@`, which later variants dropped),
/// or another back-end path behind an `@`.
pub(crate) fn is_autodiscover_confusion(uri_lower: &str) -> bool {
    let Some(at) = uri_lower.find("autodiscover.json") else {
        return false;
    };
    let rest = &uri_lower[at..];
    rest.contains("powershell")
        || (rest.contains('@')
            && ["/mapi/", "/ews/", "/owa/"]
                .iter()
                .any(|p| rest.contains(p)))
}

/// OWASSRF's request: a decoded, lower-cased URL path `/owa/<mailbox>/powershell`.
pub(crate) fn is_owa_powershell(stem_lower: &str) -> bool {
    stem_lower.starts_with("/owa/") && stem_lower.trim_end_matches('/').ends_with("/powershell")
}

/// Percent-decode (twice, for double encoding) and lower-case a URI for matching.
pub(crate) fn decode_lower(raw: &[u8]) -> String {
    fn once(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            if s[i] == b'%' && i + 2 < s.len() {
                let h = (s[i + 1] as char).to_digit(16);
                let l = (s[i + 2] as char).to_digit(16);
                if let (Some(h), Some(l)) = (h, l) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(if s[i] == b'+' { b' ' } else { s[i] });
            i += 1;
        }
        out
    }
    String::from_utf8_lossy(&once(&once(raw))).to_ascii_lowercase()
}

/// After a `%4`, `%5`, `%6` or `%7` needle: an encoded letter (nothing benign encodes letters),
/// or any encoded character in a URL path. Benign queries are full of `%40`, `%5C` and `%7B`.
pub(crate) fn encoded_letter_or_path(hay: &[u8], s: usize, e: usize) -> bool {
    let hi = hay.get(s + 1).and_then(|c| (*c as char).to_digit(16));
    let lo = hay.get(e).and_then(|c| (*c as char).to_digit(16));
    if let (Some(hi), Some(lo)) = (hi, lo) {
        if ((hi * 16 + lo) as u8).is_ascii_alphabetic() {
            return true;
        }
    }
    in_url_path(hay, s, e)
}

/// Whether `hay[s..]` lies in a URL path: the field it is in (after the last space, comma or
/// line start) starts with `/`. A prefilter check for encoded characters.
pub(crate) fn in_url_path(hay: &[u8], s: usize, _e: usize) -> bool {
    let from = s.saturating_sub(4096);
    match memchr::memrchr3(b' ', b',', b'\n', &hay[from..s]) {
        Some(i) => hay.get(from + i + 1) == Some(&b'/'),
        None => true, // a field longer than 4 KiB: look at it
    }
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// ASCII case-insensitive substring test; candidates found with `memchr2` on the first byte.
pub(crate) fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    let Some(&first) = n.first() else { return true };
    if hay.len() < n.len() {
        return false;
    }
    let last = hay.len() - n.len();
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &hay[..=last],
    )
    .any(|i| hay[i..i + n.len()].eq_ignore_ascii_case(n))
}

pub(crate) fn starts_with_ci(hay: &[u8], needle: &str) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle.as_bytes())
}

/// Paths of script pages named in free text (cmdlet parameters, log lines): correlation keys.
pub(crate) fn script_paths(text: &str) -> Vec<String> {
    text.split(|c: char| c == '\'' || c == '"' || c.is_whitespace() || c == '=')
        .filter(|t| {
            let l = t.to_ascii_lowercase();
            [".aspx", ".ashx", ".asmx"].iter().any(|e| l.ends_with(e))
        })
        .map(|t| t.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn contains_ci_edges() {
        assert!(super::contains_ci(b"GET /OWA/Auth/x", "/owa/auth/"));
        assert!(super::contains_ci(b"abc", ""));
        assert!(!super::contains_ci(b"ab", "abc"));
        assert!(super::contains_ci(b"xxAbC", "abc"));
        assert!(!super::contains_ci(b"xxAbD", "abc"));
    }
}
