//! exray-yara: web-shell content rules on [yara-x](https://virustotal.github.io/yara-x/).
//!
//! * [`builtin`] compiles exray's own rules (`rules/*.yar`, written for the behaviours of the web
//!   shells seen on Exchange: request data into `eval`/`Execute`, reflective assembly loaders,
//!   command runners, file managers, OAB-settings shells, `web.config` handler hijacks, and the
//!   common obfuscations of all of them).
//! * [`with_user_packs`] adds user YARA files or folders (`--rules PATH`); a pack that is missing,
//!   empty or does not compile is an error that names the file and line, never "no IOCs".
//! * [`YaraRules`] implements [`exray_core::content::ContentRules`]: the file sweep creates one
//!   scanner per worker thread and reuses it for every file.
//!
//! The built-in rules stay inside the syntax that both yara-x and YARA 4 accept, so that the
//! benchmark can run the same rules through the `yara` command-line tool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use exray_core::content::{ContentHit, ContentRules, ContentScanner, FileContext};
use exray_core::{Confidence, ContentMatch, Family, RuleMeta, Severity, Stage};

pub mod cache;
pub mod externals;
pub mod flow;
pub mod joined;
pub mod quality;
pub mod wide;

/// The built-in rule files, by file name, in the order they are compiled.
pub const BUILTIN_SOURCES: &[(&str, &str)] = &[
    ("eval.yar", include_str!("../rules/eval.yar")),
    ("obfuscation.yar", include_str!("../rules/obfuscation.yar")),
    ("loaders.yar", include_str!("../rules/loaders.yar")),
    ("commands.yar", include_str!("../rules/commands.yar")),
    ("files.yar", include_str!("../rules/files.yar")),
    ("exchange.yar", include_str!("../rules/exchange.yar")),
    ("behaviour.yar", include_str!("../rules/behaviour.yar")),
];

/// Namespace of the built-in rules.
pub const BUILTIN_NAMESPACE: &str = "exray";

/// Default per-file scan timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Modules that exray's engine does not carry (they describe binaries that do not belong in an
/// Exchange web root). User rules that use them are skipped with a warning, not fatal: the rest
/// of the pack still loads. `pe`, `dotnet`, `hash`, `math`, `string`, `time` and `console` are
/// available.
pub const IGNORED_MODULES: &[&str] = &[
    "elf",
    "macho",
    "dex",
    "lnk",
    "cuckoo",
    "magic",
    "vt",
    "crx",
    "androguard",
];

/// Matches kept per rule hit (the rest are counted by the engine but not reported).
pub const MAX_MATCHES_PER_HIT: usize = 16;

/// Bytes of a match kept in an excerpt (before escaping).
pub const EXCERPT_CAP: usize = 120;

/// All built-in rules as one YARA source, e.g. to run them through the `yara` CLI.
pub fn builtin_source() -> String {
    let mut s = String::new();
    for (name, src) in BUILTIN_SOURCES {
        s.push_str(&format!("// ---- {name} ----\n"));
        s.push_str(src);
        s.push('\n');
    }
    s
}

/// Why rules could not be loaded. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: rule pack not found")]
    Missing { path: PathBuf },
    #[error("{path}: cannot read rule pack: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: folder holds no .yar or .yara files")]
    EmptyFolder { path: PathBuf },
    #[error("{path}: file holds no rules")]
    NoRules { path: PathBuf },
    #[error("{path}:{line}:{column}: {message}")]
    Compile {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// The compiler's full report, with the offending source line.
        detail: String,
    },
    #[error("{0} (--strict-rules)")]
    Skipped(SkippedRule),
    #[error("built-in rules failed to compile (a bug in exray): {0}")]
    Builtin(String),
}

/// A user rule (or a whole rule file) that was left out, and why. The hunt lists these among
/// its input errors; `--strict-rules` turns them into a load failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRule {
    pub file: PathBuf,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// The rule's name; `None` when the whole file was skipped.
    pub rule: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for SkippedRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        match &self.rule {
            Some(r) => write!(f, ": rule {r} skipped: {}", self.reason),
            None => write!(f, ": file skipped: {}", self.reason),
        }
    }
}

impl SkippedRule {
    /// One tab-separated line (for the rule cache).
    fn to_record(&self) -> String {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        format!(
            "{}\t{}\t{}\t{}",
            clean(&self.file.to_string_lossy()),
            self.line.map(|l| l.to_string()).unwrap_or_default(),
            self.rule.as_deref().map(clean).unwrap_or_default(),
            clean(&self.reason)
        )
    }

    fn from_record(line: &str) -> Option<SkippedRule> {
        let mut it = line.splitn(4, '\t');
        let file = PathBuf::from(it.next()?);
        let l = it.next()?;
        let rule = it.next()?;
        Some(SkippedRule {
            file,
            line: if l.is_empty() {
                None
            } else {
                Some(l.parse().ok()?)
            },
            rule: (!rule.is_empty()).then(|| rule.to_string()),
            reason: it.next()?.to_string(),
        })
    }
}

/// How user packs are loaded.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Any skipped rule or rule file is a [`LoadError`] (`--strict-rules`). Default: skip it
    /// with a warning and keep the rest.
    pub strict: bool,
    /// Folder of the compiled-rule cache ([`cache::default_dir`]); `None` = no cache.
    pub cache_dir: Option<PathBuf>,
}

/// Compiled content rules: exray's built-in rules plus any user packs.
pub struct YaraRules {
    rules: yara_x::Rules,
    metas: HashMap<(String, String), RuleMeta>,
    /// Built-in rules whose hits stand only when a data-flow check holds ([`flow`]).
    checks: HashMap<(String, String), flow::Check>,
    count: usize,
    user_files: Vec<PathBuf>,
    skipped: Vec<SkippedRule>,
    from_cache: bool,
    timeout: Duration,
}

impl std::fmt::Debug for YaraRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraRules")
            .field("count", &self.count)
            .field("user_files", &self.user_files)
            .field("skipped", &self.skipped.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Compile exray's built-in rules.
pub fn builtin() -> anyhow::Result<YaraRules> {
    Ok(with_user_packs(&[])?)
}

/// Compile the built-in rules plus user packs (no cache, not strict): each path is a YARA file
/// (any extension) or a folder searched recursively for `.yar`/`.yara` files.
pub fn with_user_packs(paths: &[PathBuf]) -> Result<YaraRules, LoadError> {
    load(paths, &LoadOptions::default())
}

/// Compile (or load from the cache) the built-in rules plus user packs. A missing path or a
/// folder without rule files is an error. A file that is not UTF-8, holds no rules, or whose
/// rules yara-x cannot take is skipped rule by rule (file, line, rule, reason in
/// [`YaraRules::skipped`]) unless `opts.strict`, where the first one is the error.
pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> Result<YaraRules, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        collect_pack(p, &mut files)?;
    }
    let mut sources: Vec<(PathBuf, Vec<u8>)> = Vec::with_capacity(files.len());
    for f in &files {
        let bytes = std::fs::read(f).map_err(|source| LoadError::Io {
            path: f.clone(),
            source,
        })?;
        sources.push((f.clone(), bytes));
    }
    let key = opts
        .cache_dir
        .as_ref()
        .map(|d| (d, cache::key(&sources, externals::STRING_VARS)));
    if let Some((dir, key)) = &key {
        if let Some(c) = cache::load(dir, key) {
            tracing::debug!(key = key.as_str(), "compiled rules loaded from the cache");
            if opts.strict {
                if let Some(s) = c.skipped.first() {
                    return Err(LoadError::Skipped(s.clone()));
                }
            }
            return finish(c.rules, files, c.skipped, true);
        }
    }
    let (rules, skipped) = compile(&sources, opts.strict)?;
    if let Some((dir, key)) = &key {
        cache::store(dir, key, &rules, &skipped);
    }
    finish(rules, files, skipped, false)
}

fn new_compiler<'a>() -> Result<yara_x::Compiler<'a>, LoadError> {
    let mut compiler = yara_x::Compiler::new();
    compiler.colorize_errors(false);
    for m in IGNORED_MODULES {
        compiler.ignore_module(*m);
    }
    for v in externals::STRING_VARS {
        compiler
            .define_global(v, "")
            .map_err(|e| LoadError::Builtin(e.to_string()))?;
    }
    compiler
        .define_global(externals::INT_VAR, 0i64)
        .map_err(|e| LoadError::Builtin(e.to_string()))?;
    compiler.new_namespace(BUILTIN_NAMESPACE);
    for (name, src) in BUILTIN_SOURCES {
        let origin = format!("builtin:{name}");
        compiler
            .add_source(yara_x::SourceCode::from(*src).with_origin(origin.as_str()))
            .map_err(|e| LoadError::Builtin(e.to_string()))?;
    }
    Ok(compiler)
}

/// Compile every source; collect what had to be left out.
fn compile(
    sources: &[(PathBuf, Vec<u8>)],
    strict: bool,
) -> Result<(yara_x::Rules, Vec<SkippedRule>), LoadError> {
    let mut compiler = new_compiler()?;
    let mut skipped: Vec<SkippedRule> = Vec::new();
    let mut ignored_seen = 0usize;
    for (i, (path, bytes)) in sources.iter().enumerate() {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let off = e.valid_up_to();
                let (line, column) = line_col(&String::from_utf8_lossy(bytes), off);
                if strict {
                    return Err(LoadError::Compile {
                        path: path.clone(),
                        line,
                        column,
                        message: "rule file is not valid UTF-8".into(),
                        detail: String::new(),
                    });
                }
                skipped.push(SkippedRule {
                    file: path.clone(),
                    line: Some(line),
                    rule: None,
                    reason: format!("not valid UTF-8 at column {column}"),
                });
                continue;
            }
        };
        compiler.new_namespace(&format!("user{i}"));
        let before_errors = compiler.errors().len();
        let origin = path.display().to_string();
        if let Err(e) =
            compiler.add_source(yara_x::SourceCode::from(text).with_origin(origin.as_str()))
        {
            if strict {
                return Err(compile_error(path, text, &e));
            }
            for e in &compiler.errors()[before_errors..] {
                skipped.push(skipped_for_error(path, text, e));
            }
        }
        let ignored: Vec<(String, String)> = compiler
            .ignored_rules()
            .skip(ignored_seen)
            .map(|(rule, reason)| {
                let why = match reason {
                    yara_x::IgnoredRuleReason::IgnoredModule(m) => format!("uses module `{m}`"),
                    yara_x::IgnoredRuleReason::IgnoredRule(r) => {
                        format!("depends on skipped rule {r}")
                    }
                    yara_x::IgnoredRuleReason::CompileError(e) => {
                        format!("does not compile: {}", e.title())
                    }
                };
                (rule.to_string(), why)
            })
            .collect();
        ignored_seen += ignored.len();
        for (rule, why) in ignored {
            // A rule that failed to compile is already listed with its error's line.
            if skipped
                .iter()
                .any(|s| &s.file == path && s.rule.as_deref() == Some(rule.as_str()))
            {
                continue;
            }
            skipped.push(SkippedRule {
                file: path.clone(),
                line: rule_line(text, &rule),
                rule: Some(rule),
                reason: why,
            });
        }
    }
    let rules = compiler.build();
    // A user file that compiled to nothing (and skipped nothing) holds no rules.
    let mut per_ns: HashMap<&str, usize> = HashMap::new();
    for rule in rules.iter() {
        *per_ns.entry(rule.namespace()).or_default() += 1;
    }
    for (i, (path, _)) in sources.iter().enumerate() {
        let ns = format!("user{i}");
        let empty = per_ns.get(ns.as_str()).copied().unwrap_or(0) == 0;
        if empty && !skipped.iter().any(|s| &s.file == path) {
            if strict {
                return Err(LoadError::NoRules { path: path.clone() });
            }
            skipped.push(SkippedRule {
                file: path.clone(),
                line: None,
                rule: None,
                reason: "file holds no rules".into(),
            });
        }
    }
    if strict {
        if let Some(s) = skipped.first() {
            return Err(LoadError::Skipped(s.clone()));
        }
    }
    for s in &skipped {
        tracing::warn!("{s}");
    }
    Ok((rules, skipped))
}

/// The rule a compile error points into, from the error's first label.
fn skipped_for_error(path: &Path, text: &str, e: &yara_x::errors::CompileError) -> SkippedRule {
    let start = e
        .labels()
        .next()
        .filter(|l| l.origin().is_none_or(|o| o == path.display().to_string()))
        .map(|l| l.span().range().start);
    let label = e.labels().next().map(|l| l.text().to_string());
    let reason = match label {
        Some(t) if !t.is_empty() && t != e.title() => format!("{}: {t}", e.title()),
        _ => e.title().to_string(),
    };
    match start {
        Some(off) => SkippedRule {
            file: path.to_path_buf(),
            line: Some(line_col(text, off).0),
            rule: rule_at(text, off),
            reason,
        },
        None => SkippedRule {
            file: path.to_path_buf(),
            line: None,
            rule: None,
            reason,
        },
    }
}

/// The name of the rule declared last before byte `offset` (`[private|global] rule NAME`).
fn rule_at(text: &str, offset: usize) -> Option<String> {
    let head = &text[..offset.min(text.len())];
    head.lines().rev().find_map(rule_decl)
}

/// 1-based line of the declaration of rule `name`.
fn rule_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| rule_decl(l).as_deref() == Some(name))
        .map(|i| i + 1)
}

fn rule_decl(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    while let Some(r) = rest
        .strip_prefix("private ")
        .or(rest.strip_prefix("global "))
    {
        rest = r.trim_start();
    }
    let r = rest.strip_prefix("rule")?;
    if !r.starts_with(char::is_whitespace) {
        return None;
    }
    let name: String = r
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Metadata of every public rule, and the rule set ready for scanning.
fn finish(
    rules: yara_x::Rules,
    files: Vec<PathBuf>,
    skipped: Vec<SkippedRule>,
    from_cache: bool,
) -> Result<YaraRules, LoadError> {
    let mut metas = HashMap::new();
    let mut checks = HashMap::new();
    let mut count = 0usize;
    for rule in rules.iter() {
        if rule.is_private() {
            continue;
        }
        count += 1;
        let pairs: Vec<(String, MetaVal)> = rule
            .metadata()
            .map(|(k, v)| (k.to_string(), MetaVal::from(v)))
            .collect();
        let meta = if rule.namespace() == BUILTIN_NAMESPACE {
            if let Some(v) = get_str(&pairs, "verify") {
                let check = flow::Check::parse(v).ok_or_else(|| {
                    LoadError::Builtin(format!(
                        "rule {}: meta `verify` has invalid value {v:?}",
                        rule.identifier()
                    ))
                })?;
                checks.insert(
                    (rule.namespace().to_string(), rule.identifier().to_string()),
                    check,
                );
            }
            builtin_meta(rule.identifier(), &pairs).map_err(LoadError::Builtin)?
        } else {
            let file = rule
                .namespace()
                .strip_prefix("user")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| files.get(i))
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            user_meta(rule.identifier(), &file, &pairs)
        };
        metas.insert(
            (rule.namespace().to_string(), rule.identifier().to_string()),
            meta,
        );
    }
    tracing::debug!(
        rules = count,
        user_files = files.len(),
        skipped = skipped.len(),
        from_cache,
        "yara rules ready"
    );
    Ok(YaraRules {
        rules,
        metas,
        checks,
        count,
        user_files: files,
        skipped,
        from_cache,
        timeout: DEFAULT_TIMEOUT,
    })
}

fn collect_pack(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let md = std::fs::metadata(p).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LoadError::Missing {
                path: p.to_path_buf(),
            }
        } else {
            LoadError::Io {
                path: p.to_path_buf(),
                source,
            }
        }
    })?;
    if md.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let before = out.len();
    walk_rule_dir(p, out)?;
    if out.len() == before {
        return Err(LoadError::EmptyFolder {
            path: p.to_path_buf(),
        });
    }
    out[before..].sort();
    Ok(())
}

fn walk_rule_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in rd {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        if ft.is_dir() {
            walk_rule_dir(&path, out)?;
        } else if ft.is_file() || ft.is_symlink() {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase());
            if matches!(ext.as_deref(), Some("yar") | Some("yara")) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

fn compile_error(path: &Path, text: &str, e: &yara_x::errors::CompileError) -> LoadError {
    let mut line = 0;
    let mut column = 0;
    let mut err_path = path.to_path_buf();
    if let Some(label) = e.labels().next() {
        let start = label.span().range().start;
        match label.origin() {
            Some(o) if o != path.display().to_string() => {
                // The error is in an included file.
                err_path = PathBuf::from(o);
                if let Ok(t) = std::fs::read_to_string(&err_path) {
                    (line, column) = line_col(&t, start);
                }
            }
            _ => (line, column) = line_col(text, start),
        }
    }
    let label_text = e.labels().next().map(|l| l.text().to_string());
    let message = match label_text {
        Some(t) if !t.is_empty() && t != e.title() => format!("{}: {t}", e.title()),
        _ => e.title().to_string(),
    };
    LoadError::Compile {
        path: err_path,
        line,
        column,
        message,
        detail: e.to_string(),
    }
}

/// A metadata value, detached from the compiled rules.
#[derive(Clone, Debug)]
enum MetaVal {
    Int(i64),
    Str(String),
    Other,
}

impl From<yara_x::MetaValue<'_>> for MetaVal {
    fn from(v: yara_x::MetaValue<'_>) -> Self {
        match v {
            yara_x::MetaValue::Integer(i) => MetaVal::Int(i),
            yara_x::MetaValue::String(s) => MetaVal::Str(s.to_string()),
            yara_x::MetaValue::Bytes(b) => MetaVal::Str(String::from_utf8_lossy(b).into_owned()),
            yara_x::MetaValue::Float(_) => MetaVal::Other,
            yara_x::MetaValue::Bool(_) => MetaVal::Other,
        }
    }
}

impl MetaVal {
    fn as_str(&self) -> Option<&str> {
        match self {
            MetaVal::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn get<'a>(pairs: &'a [(String, MetaVal)], key: &str) -> Option<&'a MetaVal> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn get_str<'a>(pairs: &'a [(String, MetaVal)], key: &str) -> Option<&'a str> {
    get(pairs, key).and_then(MetaVal::as_str).map(str::trim)
}

fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parse a severity name.
pub fn parse_severity(s: &str) -> Option<Severity> {
    Some(match s.to_ascii_lowercase().as_str() {
        "info" | "informational" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

/// Parse a confidence name.
pub fn parse_confidence(s: &str) -> Option<Confidence> {
    Some(match s.to_ascii_lowercase().as_str() {
        "low" => Confidence::Low,
        "medium" => Confidence::Medium,
        "high" => Confidence::High,
        _ => return None,
    })
}

/// Parse a stage name.
pub fn parse_stage(s: &str) -> Option<Stage> {
    Some(match s.to_ascii_lowercase().replace('-', "_").as_str() {
        "attempt" => Stage::Attempt,
        "exploitation" => Stage::Exploitation,
        "foothold" => Stage::Foothold,
        "post_exploitation" => Stage::PostExploitation,
        "exfiltration" => Stage::Exfiltration,
        _ => return None,
    })
}

/// Parse a family name.
pub fn parse_family(s: &str) -> Option<Family> {
    Some(match s.to_ascii_lowercase().as_str() {
        "proxylogon" => Family::ProxyLogon,
        "proxyshell" => Family::ProxyShell,
        "proxynotshell" => Family::ProxyNotShell,
        "owassrf" => Family::Owassrf,
        "generic" => Family::Generic,
        "ioc" => Family::Ioc,
        _ => return None,
    })
}

/// Built-in rules must carry complete, valid metadata: a rule without it is a bug.
fn builtin_meta(id: &str, pairs: &[(String, MetaVal)]) -> Result<RuleMeta, String> {
    let need = |k: &str| get_str(pairs, k).ok_or_else(|| format!("rule {id}: meta `{k}` missing"));
    let bad = |k: &str, v: &str| format!("rule {id}: meta `{k}` has invalid value {v:?}");
    if !id.starts_with("EXRAY_") {
        return Err(format!("rule {id}: built-in rule names start with EXRAY_"));
    }
    let family = need("family")?;
    let stage = need("stage")?;
    let severity = need("severity")?;
    let confidence = need("confidence")?;
    Ok(RuleMeta {
        id: id.to_string(),
        title: need("title")?.to_string(),
        description: need("description")?.to_string(),
        family: parse_family(family).ok_or_else(|| bad("family", family))?,
        stage: parse_stage(stage).ok_or_else(|| bad("stage", stage))?,
        cves: get_str(pairs, "cves").map(split_list).unwrap_or_default(),
        attack: split_list(need("attack")?),
        severity: parse_severity(severity).ok_or_else(|| bad("severity", severity))?,
        confidence: parse_confidence(confidence).ok_or_else(|| bad("confidence", confidence))?,
    })
}

/// User rules: take what the metadata gives, default the rest (family `ioc`, stage
/// `foothold`, severity `high`, confidence `medium`). A Loki/THOR-style integer `score`
/// stands in for a missing severity.
fn user_meta(id: &str, file: &str, pairs: &[(String, MetaVal)]) -> RuleMeta {
    let severity = get_str(pairs, "severity")
        .and_then(parse_severity)
        .or_else(|| match get(pairs, "score") {
            Some(MetaVal::Int(s)) if *s >= 75 => Some(Severity::High),
            Some(MetaVal::Int(s)) if *s >= 50 => Some(Severity::Medium),
            Some(MetaVal::Int(s)) if *s >= 0 => Some(Severity::Low),
            _ => None,
        })
        .unwrap_or(Severity::High);
    let description = get_str(pairs, "description")
        .map(str::to_string)
        .unwrap_or_else(|| format!("User YARA rule {id} from {file} matched."));
    let mut attack = get_str(pairs, "attack")
        .or_else(|| get_str(pairs, "mitre_attack"))
        .map(split_list)
        .unwrap_or_default();
    if attack.is_empty() {
        attack.push("T1505.003".to_string());
    }
    RuleMeta {
        id: id.to_string(),
        title: get_str(pairs, "title")
            .map(str::to_string)
            .unwrap_or_else(|| format!("YARA rule {id}")),
        description,
        family: get_str(pairs, "family")
            .and_then(parse_family)
            .unwrap_or(Family::Ioc),
        stage: get_str(pairs, "stage")
            .and_then(parse_stage)
            .unwrap_or(Stage::Foothold),
        cves: get_str(pairs, "cves")
            .or_else(|| get_str(pairs, "cve"))
            .map(split_list)
            .unwrap_or_default(),
        attack,
        severity,
        confidence: get_str(pairs, "confidence")
            .and_then(parse_confidence)
            .unwrap_or(Confidence::Medium),
    }
}

/// Escape bytes for display: printable ASCII stays, `\` and control bytes become escapes,
/// everything else `\xNN`. At most [`EXCERPT_CAP`] input bytes are used; a cut is marked `…`.
pub fn excerpt(data: &[u8]) -> String {
    let cut = data.len() > EXCERPT_CAP;
    let mut s = String::with_capacity(data.len().min(EXCERPT_CAP) + 8);
    for &b in &data[..data.len().min(EXCERPT_CAP)] {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if cut {
        s.push('…');
    }
    s
}

impl YaraRules {
    /// Change the per-file scan timeout (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The user rule files that were loaded, in load order.
    pub fn user_files(&self) -> &[PathBuf] {
        &self.user_files
    }

    /// User rules and rule files that were left out (file, line, rule, reason).
    pub fn skipped(&self) -> &[SkippedRule] {
        &self.skipped
    }

    /// [`Self::skipped`] as messages, one each naming the file and rule.
    pub fn ignored_rules(&self) -> Vec<String> {
        self.skipped.iter().map(ToString::to_string).collect()
    }

    /// True when the compiled rules came from the cache.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// The metadata of every public rule, sorted by id.
    pub fn rule_metas(&self) -> Vec<&RuleMeta> {
        let mut v: Vec<&RuleMeta> = self.metas.values().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// A concrete scanner (the trait object from [`ContentRules::scanner`] wraps the same).
    pub fn yara_scanner(&self) -> YaraScanner<'_> {
        let mut scanner = yara_x::Scanner::new(&self.rules);
        scanner.set_timeout(self.timeout);
        scanner.max_matches_per_pattern(1000);
        YaraScanner {
            scanner,
            metas: &self.metas,
            checks: &self.checks,
        }
    }
}

impl ContentRules for YaraRules {
    fn scanner(&self) -> Box<dyn ContentScanner + '_> {
        Box::new(self.yara_scanner())
    }

    fn rule_count(&self) -> usize {
        self.count
    }
}

/// One per worker thread; reuse it for every file.
pub struct YaraScanner<'r> {
    scanner: yara_x::Scanner<'r>,
    metas: &'r HashMap<(String, String), RuleMeta>,
    checks: &'r HashMap<(String, String), flow::Check>,
}

impl YaraScanner<'_> {
    /// Identifiers of the rules that match `data` (no match details), for the quality harness
    /// and the benchmark.
    pub fn matching_ids(&mut self, data: &[u8]) -> Result<Vec<String>, String> {
        self.matching_ids_at("", data)
    }

    /// [`Self::matching_ids`] with the external variables filled from `path` and the bytes.
    pub fn matching_ids_at(&mut self, path: &str, data: &[u8]) -> Result<Vec<String>, String> {
        self.set_file(&externals::FileFacts::from_path(path, data))?;
        let checks = self.checks;
        let mut ids: Vec<String> = {
            let res = self.scanner.scan(data).map_err(|e| e.to_string())?;
            let mut reading = flow::Reading::new(data);
            res.matching_rules()
                .filter(|r| check_of(checks, r).is_none_or(|c| reading.holds(c)))
                .map(|r| r.identifier().to_string())
                .collect()
        };
        for view in other_views(data) {
            let res = self.scanner.scan(&view.text).map_err(|e| e.to_string())?;
            let mut reading = flow::Reading::new(&view.text);
            for r in res.matching_rules() {
                if !ids.iter().any(|i| i == r.identifier())
                    && check_of(checks, &r).is_none_or(|c| reading.holds(c))
                {
                    ids.push(r.identifier().to_string());
                }
            }
        }
        Ok(ids)
    }
}

/// Another reading of a file's bytes, scanned after the file itself.
struct View {
    text: Vec<u8>,
    /// For each byte of `text`, the offset in the file it came from.
    map: Vec<u32>,
    /// The bytes of the file one character of `text` stands for at least (2 in UTF-16).
    width: u32,
    /// How the view reads the file, for the identifier of a pattern matched only there.
    how: &'static str,
}

/// The views of `data` worth a second scan: the page with its split string literals joined
/// ([`joined::joined`]); and a UTF-16 page read as text ([`wide::narrow`]), and that text joined.
/// (The first hit of a rule is the one kept: plain views come before joined ones.)
fn other_views(data: &[u8]) -> Vec<View> {
    let mut views = Vec::new();
    if let Some((text, map)) = joined::joined(data) {
        views.push(View {
            text,
            map,
            width: 1,
            how: "split string literals joined",
        });
    }
    if let Some((text, map)) = wide::narrow(data) {
        let joined = joined::joined(&text).map(|(joined, inner)| View {
            text: joined,
            map: inner.iter().map(|&i| map[i as usize]).collect(),
            width: 2,
            how: "UTF-16 read as text, split string literals joined",
        });
        views.push(View {
            text,
            map,
            width: 2,
            how: "UTF-16 read as text",
        });
        views.extend(joined);
    }
    views
}

/// A byte range of a view as a range of the file (`map` and `width` of a [`View`]).
fn back_to_file(map: &[u32], width: u32, start: usize, end: usize) -> (u64, u64) {
    let s = map.get(start).copied().unwrap_or(0);
    let e = end
        .checked_sub(1)
        .and_then(|e| map.get(e))
        .map_or(s, |&e| e + width);
    (u64::from(s), u64::from(e.max(s)))
}

/// The data-flow check a rule names in its `verify` meta, if any: its hit stands only where
/// the check holds.
fn check_of(
    checks: &HashMap<(String, String), flow::Check>,
    rule: &yara_x::Rule<'_, '_>,
) -> Option<flow::Check> {
    if checks.is_empty() {
        return None;
    }
    checks
        .get(&(rule.namespace().to_string(), rule.identifier().to_string()))
        .copied()
}

impl YaraScanner<'_> {
    /// Fill the Loki/THOR external variables for one file.
    fn set_file(&mut self, facts: &externals::FileFacts) -> Result<(), String> {
        for v in externals::STRING_VARS {
            self.scanner
                .set_global(v, facts.string(v))
                .map_err(|e| format!("external variable {v}: {e}"))?;
        }
        self.scanner
            .set_global(externals::INT_VAR, facts.filemode)
            .map_err(|e| format!("external variable {}: {e}", externals::INT_VAR))?;
        Ok(())
    }

    fn scan_with(
        &mut self,
        path: &str,
        facts: &externals::FileFacts,
        data: &[u8],
    ) -> Result<Vec<ContentHit>, String> {
        self.set_file(facts).map_err(|e| format!("{path}: {e}"))?;
        let mut hits = self.hits_in(path, data, None)?;
        for view in other_views(data) {
            for h in self.hits_in(path, &view.text, Some(&view))? {
                if !hits.iter().any(|k| k.meta.id == h.meta.id) {
                    hits.push(h);
                }
            }
        }
        Ok(hits)
    }

    /// The hits of one scan of `data`; with `view`, `data` is a [`View`]'s text, its offsets are
    /// mapped back to the file and its patterns say how the view read the file.
    fn hits_in(
        &mut self,
        path: &str,
        data: &[u8],
        view: Option<&View>,
    ) -> Result<Vec<ContentHit>, String> {
        let res = self
            .scanner
            .scan(data)
            .map_err(|e| format!("{path}: yara scan failed: {e}"))?;
        let mut hits = Vec::new();
        let mut reading = flow::Reading::new(data);
        for rule in res.matching_rules() {
            let check = check_of(self.checks, &rule);
            if check.is_some_and(|c| !reading.holds(c)) {
                continue;
            }
            let key = (rule.namespace().to_string(), rule.identifier().to_string());
            let meta = match self.metas.get(&key) {
                Some(m) => m.clone(),
                None => user_meta(rule.identifier(), "", &[]),
            };
            let mut matches = Vec::new();
            'pat: for pat in rule.patterns() {
                for m in pat.matches() {
                    if matches.len() >= MAX_MATCHES_PER_HIT {
                        break 'pat;
                    }
                    let r = m.range();
                    let (offset, length, identifier) = match view {
                        None => (
                            r.start as u64,
                            (r.end - r.start) as u64,
                            pat.identifier().to_string(),
                        ),
                        Some(v) => {
                            let (start, end) = back_to_file(&v.map, v.width, r.start, r.end);
                            (
                                start,
                                end.saturating_sub(start),
                                format!("{} ({})", pat.identifier(), v.how),
                            )
                        }
                    };
                    matches.push(ContentMatch {
                        rule: meta.id.clone(),
                        identifier: Some(identifier),
                        offset,
                        length,
                        excerpt: excerpt(m.data()),
                    });
                }
            }
            // A hit a data-flow check confirmed also shows the statement the check found fed.
            if let Some(check) = check {
                if let Some(st) = reading.sink(check) {
                    let (start, end) = match view {
                        None => (st.start as u64, st.end as u64),
                        Some(v) => back_to_file(&v.map, v.width, st.start, st.end),
                    };
                    matches.push(ContentMatch {
                        rule: meta.id.clone(),
                        identifier: Some(check.describe().to_string()),
                        offset: start,
                        length: end.saturating_sub(start),
                        excerpt: excerpt(&data[st]),
                    });
                }
            }
            hits.push(ContentHit { meta, matches });
        }
        Ok(hits)
    }
}

impl ContentScanner for YaraScanner<'_> {
    fn scan(&mut self, path: &str, data: &[u8]) -> Result<Vec<ContentHit>, String> {
        let facts = externals::FileFacts::from_path(path, data);
        self.scan_with(path, &facts, data)
    }

    fn scan_file(
        &mut self,
        file: &FileContext<'_>,
        data: &[u8],
    ) -> Result<Vec<ContentHit>, String> {
        let mut facts = externals::FileFacts::from_path(file.path, data);
        facts.owner = file.owner.unwrap_or_default().to_string();
        facts.filemode = file.mode.map(i64::from).unwrap_or(0);
        self.scan_with(file.path, &facts, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_escapes_and_caps() {
        assert_eq!(excerpt(b"a\\b\n\x00\xff"), "a\\\\b\\n\\x00\\xff");
        let long = vec![b'x'; 500];
        let e = excerpt(&long);
        assert_eq!(e.chars().filter(|&c| c == 'x').count(), EXCERPT_CAP);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd\nef", 0), (1, 1));
        assert_eq!(line_col("ab\ncd\nef", 4), (2, 2));
        assert_eq!(line_col("ab\ncd\nef", 6), (3, 1));
    }

    #[test]
    fn user_meta_defaults_and_score() {
        let m = user_meta("X", "f.yar", &[]);
        assert_eq!(m.family, Family::Ioc);
        assert_eq!(m.stage, Stage::Foothold);
        assert_eq!(m.severity, Severity::High);
        assert_eq!(m.confidence, Confidence::Medium);
        let m = user_meta(
            "Y",
            "f.yar",
            &[
                ("score".into(), MetaVal::Int(60)),
                ("description".into(), MetaVal::Str("d".into())),
            ],
        );
        assert_eq!(m.severity, Severity::Medium);
        assert_eq!(m.description, "d");
    }
}
