//! User IOC packs: signature-base-style `filename-iocs.txt`, `hash-iocs.txt` and `c2-iocs.txt`,
//! and STIX 2.1 bundles of file-hash, file-name and IP indicators.
//!
//! Formats:
//! - `hash-iocs.txt`: `hash;description` (MD5, SHA-1 or SHA-256 in hex; the description may be
//!   empty), `#` comments and blank lines ignored.
//! - `filename-iocs.txt`: `regex;score` or `regex;score;false-positive-regex`, matched
//!   case-insensitively against the file's Windows path (`C:\inetpub\…`). Regexes are Python-style
//!   as in signature-base: look-around is supported.
//! - `c2-iocs.txt`: `value;description`; IP addresses (and CIDR networks) feed [`Iocs::ips`],
//!   domain names are counted and otherwise ignored (the file sweep has no use for them).
//! - `*.json`: a STIX 2.1 bundle; `indicator` objects with `pattern_type` `stix` and patterns
//!   such as `[file:hashes.'SHA-256' = '…']`, `[file:name = '…']`, `[ipv4-addr:value = '…']`,
//!   joined by `OR` (in an `AND`, the most specific comparison is kept). Revoked indicators and
//!   other pattern types are skipped and counted.
//!
//! A folder loads every such file in it (recursively) and skips YARA files (`.yar`, `.yara`:
//! the content-rule engine's part). A missing path, an unreadable file, an unknown file type given
//! by name, a folder without any rule file, or a bad line is an error naming the file and line.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A failure to load an IOC pack: the file, the line when there is one, and why.
#[derive(Debug, thiserror::Error)]
pub struct IocError {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for IocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file.display(), l, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

fn err(file: &Path, line: Option<u64>, message: impl Into<String>) -> IocError {
    IocError {
        file: file.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Where an IOC came from and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IocInfo {
    pub description: String,
    /// `file:line` (or `file#indicator-id` for STIX).
    pub source: String,
    /// signature-base score, when the format has one.
    pub score: Option<u32>,
}

enum NameRegex {
    Fast(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

impl NameRegex {
    fn is_match(&self, s: &str) -> bool {
        match self {
            NameRegex::Fast(r) => r.is_match(s),
            // A regex that runs out of backtracking budget does not match.
            NameRegex::Fancy(r) => r.is_match(s).unwrap_or(false),
        }
    }
}

struct NameIoc {
    regex: NameRegex,
    false_positive: Option<NameRegex>,
    info: IocInfo,
}

/// Loaded IOCs. Cheap to share between threads (read-only after loading).
#[derive(Default)]
pub struct Iocs {
    md5: HashMap<String, IocInfo>,
    sha1: HashMap<String, IocInfo>,
    sha256: HashMap<String, IocInfo>,
    /// Exact file names (lower case) from STIX `file:name`.
    names: HashMap<String, IocInfo>,
    name_regexes: Vec<NameIoc>,
    ips: HashSet<String>,
    ip_info: HashMap<String, IocInfo>,
    networks: Vec<(IpAddr, u8, IocInfo)>,
    /// Indicators or lines read but not usable by exray (domains, URLs, other pattern types).
    skipped: u64,
    files: Vec<PathBuf>,
}

impl fmt::Debug for Iocs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iocs")
            .field("md5", &self.md5.len())
            .field("sha1", &self.sha1.len())
            .field("sha256", &self.sha256.len())
            .field("names", &self.names.len())
            .field("name_regexes", &self.name_regexes.len())
            .field("ips", &self.ips.len())
            .field("networks", &self.networks.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Which hash kinds an IOC set needs computed for every file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashNeeds {
    pub md5: bool,
    pub sha1: bool,
    pub sha256: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hash,
    Filename,
    C2,
    Stix,
    Yara,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "yar" | "yara" => Some(Kind::Yara),
        "json" => Some(Kind::Stix),
        "txt" | "ioc" | "csv" if name.contains("hash") => Some(Kind::Hash),
        "txt" | "ioc" | "csv" if name.contains("filename") => Some(Kind::Filename),
        "txt" | "ioc" | "csv" if name.contains("c2") => Some(Kind::C2),
        _ => None,
    }
}

impl Iocs {
    /// Load IOC files and folders. YARA files are accepted and left to the content rules.
    pub fn load(paths: &[PathBuf]) -> Result<Iocs, IocError> {
        let mut iocs = Iocs::default();
        for p in paths {
            let md = std::fs::metadata(p)
                .map_err(|e| err(p, None, format!("cannot open rule or IOC pack: {e}")))?;
            if md.is_dir() {
                let mut files = Vec::new();
                collect_dir(p, &mut files, 0)?;
                files.sort();
                if !files.iter().any(|f| kind_of(f).is_some()) {
                    return Err(err(
                        p,
                        None,
                        "folder holds no rule or IOC file (*hash*.txt, *filename*.txt, *c2*.txt, \
                         *.json STIX bundle, *.yar)",
                    ));
                }
                for f in files {
                    if let Some(k) = kind_of(&f) {
                        iocs.load_file(&f, k, true)?;
                    }
                }
            } else {
                let k = kind_of(p).ok_or_else(|| {
                    err(
                        p,
                        None,
                        "unknown rule or IOC file type (expected a name containing hash, filename \
                         or c2 with .txt, a .json STIX 2.1 bundle, or a .yar/.yara file)",
                    )
                })?;
                iocs.load_file(p, k, false)?;
            }
        }
        Ok(iocs)
    }

    /// Load one file; `in_folder` files that are JSON but not STIX are skipped with a warning
    /// (packs ship other JSON), given by name they are an error.
    fn load_file(&mut self, path: &Path, kind: Kind, in_folder: bool) -> Result<(), IocError> {
        if kind == Kind::Yara {
            return Ok(());
        }
        let bytes =
            std::fs::read(path).map_err(|e| err(path, None, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| err(path, None, format!("not UTF-8 text: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        match kind {
            Kind::Hash => self.load_hashes(path, text)?,
            Kind::Filename => self.load_filenames(path, text)?,
            Kind::C2 => self.load_c2(path, text)?,
            Kind::Stix => {
                if !self.load_stix(path, text, in_folder)? {
                    tracing::warn!(file = %path.display(), "not a STIX bundle: skipped");
                    return Ok(());
                }
            }
            Kind::Yara => {}
        }
        self.files.push(path.to_path_buf());
        tracing::debug!(file = %path.display(), "loaded IOC file");
        Ok(())
    }

    fn load_hashes(&mut self, path: &Path, text: &str) -> Result<(), IocError> {
        for (i, line) in lines(text) {
            let (hash, desc) = line.split_once(';').unwrap_or((line, ""));
            let info = IocInfo {
                description: desc.trim().to_string(),
                source: format!("{}:{}", path.display(), i),
                score: None,
            };
            self.add_hash(hash.trim(), info)
                .map_err(|m| err(path, Some(i), m))?;
        }
        Ok(())
    }

    fn add_hash(&mut self, hash: &str, info: IocInfo) -> Result<(), String> {
        let h = hash.to_ascii_lowercase();
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("not a hex hash: {hash:?}"));
        }
        let map = match h.len() {
            32 => &mut self.md5,
            40 => &mut self.sha1,
            64 => &mut self.sha256,
            n => {
                return Err(format!(
                    "hash of {n} hex digits (expected MD5 32, SHA-1 40, SHA-256 64)"
                ))
            }
        };
        map.entry(h).or_insert(info);
        Ok(())
    }

    fn load_filenames(&mut self, path: &Path, text: &str) -> Result<(), IocError> {
        for (i, line) in lines(text) {
            let mut parts = line.split(';');
            let re = parts.next().unwrap_or("").trim();
            if re.is_empty() {
                return Err(err(path, Some(i), "empty regex"));
            }
            let score = match parts.next().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(
                    s.parse::<u32>()
                        .map_err(|_| err(path, Some(i), format!("score {s:?} is not a number")))?,
                ),
            };
            let false_positive = match parts.next().map(str::trim) {
                None | Some("") => None,
                Some(fp) => Some(compile(fp).map_err(|m| err(path, Some(i), m))?),
            };
            let regex = compile(re).map_err(|m| err(path, Some(i), m))?;
            self.name_regexes.push(NameIoc {
                regex,
                false_positive,
                info: IocInfo {
                    description: re.to_string(),
                    source: format!("{}:{}", path.display(), i),
                    score,
                },
            });
        }
        Ok(())
    }

    fn load_c2(&mut self, path: &Path, text: &str) -> Result<(), IocError> {
        for (i, line) in lines(text) {
            let (value, desc) = line.split_once(';').unwrap_or((line, ""));
            let info = IocInfo {
                description: desc.trim().to_string(),
                source: format!("{}:{}", path.display(), i),
                score: None,
            };
            let value = value.trim();
            if value.is_empty() {
                return Err(err(path, Some(i), "empty value"));
            }
            if !self.add_ip(value, info) {
                self.skipped += 1;
            }
        }
        Ok(())
    }

    /// Add an IP or CIDR network; false when `value` is neither.
    fn add_ip(&mut self, value: &str, info: IocInfo) -> bool {
        if let Ok(ip) = value.parse::<IpAddr>() {
            let s = ip.to_string();
            self.ips.insert(s.clone());
            self.ip_info.entry(s).or_insert(info);
            return true;
        }
        if let Some((a, b)) = value.split_once('/') {
            if let (Ok(ip), Ok(bits)) = (a.parse::<IpAddr>(), b.parse::<u8>()) {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                if bits <= max {
                    if bits == max {
                        return self.add_ip(a, info);
                    }
                    self.networks.push((ip, bits, info));
                    return true;
                }
            }
        }
        false
    }

    /// Returns false when the JSON is not STIX and `lenient` is set.
    fn load_stix(&mut self, path: &Path, text: &str, lenient: bool) -> Result<bool, IocError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| err(path, Some(e.line() as u64), format!("invalid JSON: {e}")))?;
        let objects: Vec<&Value> = match v.get("type").and_then(Value::as_str) {
            Some("bundle") => v
                .get("objects")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            Some("indicator") => vec![&v],
            _ if lenient => return Ok(false),
            _ => {
                return Err(err(
                    path,
                    Some(1),
                    "not a STIX 2.1 bundle (top-level \"type\" must be \"bundle\")",
                ))
            }
        };
        for (n, obj) in objects.iter().enumerate() {
            if obj.get("type").and_then(Value::as_str) != Some("indicator") {
                continue;
            }
            let id = obj.get("id").and_then(Value::as_str).unwrap_or("");
            let line = line_of(text, id);
            if obj.get("revoked").and_then(Value::as_bool) == Some(true)
                || obj
                    .get("pattern_type")
                    .and_then(Value::as_str)
                    .unwrap_or("stix")
                    != "stix"
            {
                self.skipped += 1;
                continue;
            }
            let Some(pattern) = obj.get("pattern").and_then(Value::as_str) else {
                return Err(err(
                    path,
                    line,
                    format!("indicator #{n} {id} has no pattern"),
                ));
            };
            let description = obj
                .get("name")
                .or_else(|| obj.get("description"))
                .and_then(Value::as_str)
                .unwrap_or(id)
                .to_string();
            let comparisons = parse_pattern(pattern).map_err(|m| {
                err(
                    path,
                    line,
                    format!("indicator {id}: {m} in pattern {pattern:?}"),
                )
            })?;
            for group in comparisons {
                // In an AND group keep the most specific comparison: hash, then name, then IP.
                let best = group
                    .iter()
                    .filter_map(|c| Some((usable(c)?, c)))
                    .min_by_key(|(rank, _)| *rank);
                let Some((_, c)) = best else {
                    self.skipped += 1;
                    continue;
                };
                let info = IocInfo {
                    description: description.clone(),
                    source: format!("{}#{}", path.display(), id),
                    score: None,
                };
                self.add_comparison(c, info)
                    .map_err(|m| err(path, line, format!("indicator {id}: {m}")))?;
            }
        }
        Ok(true)
    }

    fn add_comparison(&mut self, c: &Comparison, info: IocInfo) -> Result<(), String> {
        let p = c.path.to_ascii_lowercase().replace(['\'', '"'], "");
        if p.starts_with("file:hashes.") {
            return self.add_hash(&c.value, info);
        }
        if p == "file:name" {
            self.names.insert(c.value.to_lowercase(), info);
            return Ok(());
        }
        if !self.add_ip(&c.value, info) {
            return Err(format!("{:?} is not an IP address or network", c.value));
        }
        Ok(())
    }

    /// IP addresses from STIX `ipv4-addr`/`ipv6-addr` indicators and `c2-iocs.txt`, in their
    /// canonical text form (`::1`, `203.0.113.7`).
    pub fn ips(&self) -> &HashSet<String> {
        &self.ips
    }

    /// What the IOC pack says of an IP (exact address or a listed network).
    pub fn ip_info(&self, ip: &IpAddr) -> Option<&IocInfo> {
        if let Some(i) = self.ip_info.get(&ip.to_string()) {
            return Some(i);
        }
        self.networks
            .iter()
            .find(|(net, bits, _)| in_network(ip, net, *bits))
            .map(|(_, _, i)| i)
    }

    /// The description of an IP listed in the packs (text form as in the logs).
    pub fn ip_description(&self, ip: &str) -> Option<&str> {
        let ip: IpAddr = ip.trim().parse().ok()?;
        self.ip_info(&ip).map(|i| i.description.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of usable indicators (hashes, names, name regexes, IPs, networks).
    pub fn len(&self) -> usize {
        self.md5.len()
            + self.sha1.len()
            + self.sha256.len()
            + self.names.len()
            + self.name_regexes.len()
            + self.ips.len()
            + self.networks.len()
    }

    /// Indicators read but not usable (domains, URLs, other pattern types, revoked).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The IOC files loaded.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Which hashes every swept file needs for the hash IOCs.
    pub fn hash_needs(&self) -> HashNeeds {
        HashNeeds {
            md5: !self.md5.is_empty(),
            sha1: !self.sha1.is_empty(),
            sha256: !self.sha256.is_empty(),
        }
    }

    pub fn has_name_iocs(&self) -> bool {
        !self.names.is_empty() || !self.name_regexes.is_empty()
    }

    /// The hash IOC matching any of the given hashes (lower-case hex).
    pub fn match_hash(
        &self,
        md5: Option<&str>,
        sha1: Option<&str>,
        sha256: Option<&str>,
    ) -> Option<(&'static str, &IocInfo)> {
        if let Some(i) = sha256.and_then(|h| self.sha256.get(h)) {
            return Some(("sha256", i));
        }
        if let Some(i) = sha1.and_then(|h| self.sha1.get(h)) {
            return Some(("sha1", i));
        }
        md5.and_then(|h| self.md5.get(h)).map(|i| ("md5", i))
    }

    /// The first name IOC matching a file: STIX names against the file name, regexes against the
    /// Windows path.
    pub fn match_name(&self, file_name: &str, windows_path: &str) -> Option<&IocInfo> {
        if let Some(i) = self.names.get(&file_name.to_lowercase()) {
            return Some(i);
        }
        self.name_regexes
            .iter()
            .find(|n| {
                n.regex.is_match(windows_path)
                    && !n
                        .false_positive
                        .as_ref()
                        .is_some_and(|fp| fp.is_match(windows_path))
            })
            .map(|n| &n.info)
    }
}

fn in_network(ip: &IpAddr, net: &IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(*a) & mask) == (u32::from(*n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(*a) & mask) == (u128::from(*n) & mask)
        }
        _ => false,
    }
}

fn compile(re: &str) -> Result<NameRegex, String> {
    let ci = format!("(?i){re}");
    match regex::RegexBuilder::new(&ci).size_limit(1 << 22).build() {
        Ok(r) => Ok(NameRegex::Fast(r)),
        Err(fast_err) => match fancy_regex::Regex::new(&ci) {
            Ok(r) => Ok(NameRegex::Fancy(Box::new(r))),
            Err(_) => Err(format!("invalid regex {re:?}: {fast_err}")),
        },
    }
}

/// Non-comment, non-blank lines with their 1-based numbers, trimmed.
fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// The line on which `"id"` first appears in a JSON text.
fn line_of(text: &str, id: &str) -> Option<u64> {
    if id.is_empty() {
        return None;
    }
    let pos = text.find(&format!("\"{id}\""))?;
    Some(memchr::memchr_iter(b'\n', &text.as_bytes()[..pos]).count() as u64 + 1)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), IocError> {
    if depth > 16 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| err(dir, None, format!("cannot list: {e}")))?;
    for e in rd {
        let e = e.map_err(|e| err(dir, None, format!("cannot list: {e}")))?;
        let ft = e
            .file_type()
            .map_err(|x| err(&e.path(), None, x.to_string()))?;
        if ft.is_dir() {
            collect_dir(&e.path(), out, depth + 1)?;
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}

/// One `object-path = 'value'` comparison of a STIX pattern.
#[derive(Debug, PartialEq, Eq)]
struct Comparison {
    path: String,
    op: String,
    value: String,
}

/// Rank of a comparison exray can use (lower = more specific), `None` when unusable.
fn usable(c: &Comparison) -> Option<u8> {
    if c.op != "=" {
        return None;
    }
    let p = c.path.to_ascii_lowercase().replace(['\'', '"'], "");
    if let Some(algo) = p.strip_prefix("file:hashes.") {
        return matches!(algo, "md5" | "sha-1" | "sha1" | "sha-256" | "sha256").then_some(0);
    }
    match p.as_str() {
        "file:name" => Some(1),
        "ipv4-addr:value" | "ipv6-addr:value" => Some(2),
        _ => None,
    }
}

/// Parse a STIX pattern into OR-groups of AND-ed comparisons. Observation operators
/// (`FOLLOWEDBY`, qualifiers) are treated like `OR` of their observations.
fn parse_pattern(p: &str) -> Result<Vec<Vec<Comparison>>, String> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut groups: Vec<Vec<Comparison>> = vec![Vec::new()];
    let mut depth = 0i32;
    let mut brackets = 0i32;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'[' => {
                brackets += 1;
                i += 1;
            }
            b']' => {
                brackets -= 1;
                if brackets < 0 {
                    return Err("unbalanced ']'".into());
                }
                i += 1;
            }
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced ')'".into());
                }
                i += 1;
            }
            _ => {
                let word_end = |mut j: usize| {
                    while j < b.len()
                        && !matches!(
                            b[j],
                            b' ' | b'\t' | b'\r' | b'\n' | b'[' | b']' | b'(' | b')'
                        )
                    {
                        j += 1;
                    }
                    j
                };
                let end = word_end(i);
                let word = &p[i..end];
                let upper = word.to_ascii_uppercase();
                match upper.as_str() {
                    "OR" | "FOLLOWEDBY" => {
                        if !groups.last().is_some_and(Vec::is_empty) {
                            groups.push(Vec::new());
                        }
                        i = end;
                    }
                    "AND" | "NOT" | "WITHIN" | "REPEATS" | "TIMES" | "SECONDS" | "START"
                    | "STOP" => {
                        i = end;
                    }
                    _ if brackets == 0 => {
                        // Qualifier arguments outside the brackets (numbers, timestamps).
                        i = end;
                        if i < b.len() && b[i] == b'\'' {
                            i = skip_string(p, i)?.1;
                        }
                    }
                    _ => {
                        // object path, operator, value
                        let path = word.to_string();
                        if !path.contains(':') {
                            return Err(format!("expected an object path, found {word:?}"));
                        }
                        let mut j = end;
                        while j < b.len() && b[j] == b' ' {
                            j += 1;
                        }
                        let op_end = word_end(j);
                        let mut op = p[j..op_end].to_string();
                        if op.is_empty() {
                            return Err(format!("missing operator after {path}"));
                        }
                        j = op_end;
                        // `NOT =`, `NOT LIKE`
                        if op.eq_ignore_ascii_case("NOT") {
                            while j < b.len() && b[j] == b' ' {
                                j += 1;
                            }
                            let e2 = word_end(j);
                            op = format!("NOT {}", &p[j..e2]);
                            j = e2;
                        }
                        while j < b.len() && b[j] == b' ' {
                            j += 1;
                        }
                        let (value, next) = if j < b.len() && b[j] == b'\'' {
                            skip_string(p, j)?
                        } else {
                            let e = word_end(j);
                            if e == j {
                                return Err(format!("missing value after {path} {op}"));
                            }
                            (p[j..e].to_string(), e)
                        };
                        groups.last_mut().expect("one group").push(Comparison {
                            path,
                            op: op.to_ascii_uppercase(),
                            value,
                        });
                        i = next;
                    }
                }
            }
        }
    }
    if brackets != 0 {
        return Err("unbalanced '['".into());
    }
    if depth != 0 {
        return Err("unbalanced '('".into());
    }
    groups.retain(|g| !g.is_empty());
    if groups.is_empty() {
        return Err("no comparison".into());
    }
    Ok(groups)
}

/// A quoted STIX string starting at `start` (the quote): its unescaped value and the index after
/// the closing quote.
fn skip_string(p: &str, start: usize) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut chars = p[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            '\'' => return Ok((out, start + 1 + k + 1)),
            _ => out.push(c),
        }
    }
    Err("unterminated string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_patterns() {
        let g = parse_pattern("[file:hashes.'SHA-256' = 'AB\\'c']").unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0][0].path, "file:hashes.'SHA-256'");
        assert_eq!(g[0][0].value, "AB'c");
        let g = parse_pattern(
            "[file:name = 'a.aspx' OR file:hashes.MD5 = 'x'] OR [ipv4-addr:value = '1.2.3.4']",
        )
        .unwrap();
        assert_eq!(g.len(), 3);
        let g = parse_pattern("[file:name = 'a.aspx' AND file:hashes.MD5 = 'x']").unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].len(), 2);
        assert_eq!(usable(&g[0][1]), Some(0));
        let g = parse_pattern("[domain-name:value = 'evil.example'] WITHIN 300 SECONDS").unwrap();
        assert_eq!(usable(&g[0][0]), None);
        assert!(parse_pattern("[file:name = 'a.aspx'").is_err());
        assert!(parse_pattern("[file:name = 'a.aspx]").is_err());
        assert!(parse_pattern("[]").is_err());
        assert!(parse_pattern("[file:name]").is_err());
    }

    #[test]
    fn networks() {
        let mut i = Iocs::default();
        let info = IocInfo {
            description: "d".into(),
            source: "s".into(),
            score: None,
        };
        assert!(i.add_ip("198.51.100.0/24", info.clone()));
        assert!(i.add_ip("2001:db8::/32", info.clone()));
        assert!(i.add_ip("203.0.113.7/32", info.clone()));
        assert!(!i.add_ip("evil.example", info));
        assert_eq!(i.ip_description("198.51.100.9"), Some("d"));
        assert_eq!(i.ip_description("2001:db8::1"), Some("d"));
        assert_eq!(i.ip_description("198.51.101.9"), None);
        assert!(i.ips().contains("203.0.113.7"));
    }
}
