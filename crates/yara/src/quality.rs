//! Detection quality of the content rules: recall over a web-shell corpus (by unique SHA-256,
//! one-liners separately) and false positives over a benign corpus.
//!
//! *One-liner*: a sample whose content has at most 3 non-empty lines, or is under 1 KiB
//! (1,024 bytes) in total. Documentation files inside the web-shell corpus (`LICENSE*`,
//! `COPYRIGHT*`, `COPYING*`, `README*`, `*.md`) are not samples and are skipped. Recall is measured on content only:
//! the rules never see a file name.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::YaraRules;

/// The shared public data folder, located relative to this crate (workspace root `..`).
pub fn shared_data_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
}

/// Files are read up to this size; larger files are scanned on their first bytes only.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Every regular file under `dir`, recursively, sorted.
pub fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Read a file, bounded by [`MAX_FILE`].
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Licence and readme files that ship with a corpus are not samples. A name that ends in a
/// server page's extension is a page whatever it starts with (`README.md.aspx`: a shell pulled
/// out of a readme and named after it).
pub fn is_documentation(path: &Path) -> bool {
    const PAGE: &[&str] = &[
        "asp", "aspx", "ashx", "asmx", "asa", "asax", "ascx", "cer", "cdx", "soap", "xamlx",
        "cshtml", "vbhtml", "config",
    ];
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| PAGE.contains(&ext))
    {
        return false;
    }
    let name = name.trim_start_matches('_');
    name.starts_with("license")
        || name.starts_with("licence")
        || name.starts_with("copyright")
        || name.starts_with("copying")
        || name.starts_with("readme")
        || name.ends_with(".md")
}

/// At most 3 non-empty lines, or under 1 KiB.
pub fn is_one_liner(data: &[u8]) -> bool {
    if data.len() < 1024 {
        return true;
    }
    data.split(|&b| b == b'\n')
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .count()
        <= 3
}

/// The corpus a file belongs to: the first folder under the corpus root (`tennc`, `mojoportal`).
pub fn source_of(rel: &str) -> String {
    rel.split(['/', '\\'])
        .next()
        .filter(|_| rel.contains(['/', '\\']))
        .unwrap_or("(root)")
        .to_string()
}

/// Script extensions of the ASP family, as IIS maps them.
const ASP_EXTS: &[&str] = &[
    "asp", "aspx", "ashx", "asmx", "asa", "asax", "cer", "cdx", "soap", "xamlx", "config",
];

/// The extension a sample is reported under: the last one, lower case; a renamed copy
/// (`x.asp.txt`, `x.aspx(2013)`) is reported as `asp (renamed)`.
pub fn extension_of(rel: &str) -> String {
    let name = rel
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(rel)
        .to_ascii_lowercase();
    let parts: Vec<&str> = name.split('.').skip(1).collect();
    match parts.last() {
        None => "(none)".to_string(),
        Some(last) if ASP_EXTS.contains(last) => last.to_string(),
        Some(_) => parts
            .iter()
            .rev()
            .skip(1)
            .find_map(|p| {
                let stem: String = p
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                ASP_EXTS
                    .contains(&stem.as_str())
                    .then(|| format!("{stem} (renamed)"))
            })
            .or_else(|| {
                let last = parts.last().copied().unwrap_or_default();
                let stem: String = last
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                (ASP_EXTS.contains(&stem.as_str()) && stem != last)
                    .then(|| format!("{stem} (renamed)"))
            })
            .unwrap_or_else(|| parts.last().copied().unwrap_or_default().to_string()),
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// One unique web-shell sample.
#[derive(Clone, Debug)]
pub struct Sample {
    pub sha256: String,
    /// Every path with this content, relative to the corpus root.
    pub paths: Vec<String>,
    /// Corpus folder of the first path ([`source_of`]).
    pub source: String,
    /// Extension of the first path ([`extension_of`]).
    pub ext: String,
    pub size: usize,
    pub one_liner: bool,
    /// Rules that matched (empty = missed).
    pub rules: Vec<String>,
    pub error: Option<String>,
    /// Why this file is not a shell by its content ([`not_a_shell`]); such files are counted
    /// apart, never in the recall.
    pub not_shell: Option<String>,
}

impl Sample {
    pub fn is_shell(&self) -> bool {
        self.not_shell.is_none()
    }
}

/// A benign file that matched.
#[derive(Clone, Debug)]
pub struct FalsePositive {
    pub path: String,
    pub rules: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct QualityReport {
    pub samples: Vec<Sample>,
    pub skipped_docs: usize,
    pub benign_files: usize,
    pub benign_unique: usize,
    pub false_positives: Vec<FalsePositive>,
    /// Benign files per application (first folder of the benign corpus).
    pub benign_per_app: BTreeMap<String, usize>,
    pub errors: Vec<String>,
    /// Hits per rule over the web-shell samples (unique).
    pub rule_hits: BTreeMap<String, usize>,
}

impl QualityReport {
    /// The samples that are shells by content (the recall counts these only).
    pub fn shells(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(|s| s.is_shell())
    }
    /// The files of the web-shell set that are not shells by content, with the reason.
    pub fn not_shells(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(|s| !s.is_shell())
    }
    pub fn unique(&self) -> usize {
        self.shells().count()
    }
    pub fn detected(&self) -> usize {
        self.shells().filter(|s| !s.rules.is_empty()).count()
    }
    pub fn one_liners(&self) -> usize {
        self.shells().filter(|s| s.one_liner).count()
    }
    pub fn one_liners_detected(&self) -> usize {
        self.shells()
            .filter(|s| s.one_liner && !s.rules.is_empty())
            .count()
    }
    pub fn recall(&self) -> f64 {
        ratio(self.detected(), self.unique())
    }
    pub fn recall_one_liners(&self) -> f64 {
        ratio(self.one_liners_detected(), self.one_liners())
    }
    pub fn fp_per_1000(&self) -> f64 {
        if self.benign_files == 0 {
            0.0
        } else {
            self.false_positives.len() as f64 * 1000.0 / self.benign_files as f64
        }
    }
    /// Recall counters grouped by `key`: (unique, detected, one-liners, one-liners detected).
    pub fn grouped(&self, key: impl Fn(&Sample) -> String) -> BTreeMap<String, Counts> {
        let mut m: BTreeMap<String, Counts> = BTreeMap::new();
        for s in self.shells() {
            let c = m.entry(key(s)).or_default();
            let hit = !s.rules.is_empty();
            c.unique += 1;
            c.detected += usize::from(hit);
            if s.one_liner {
                c.one_liners += 1;
                c.one_liners_detected += usize::from(hit);
            }
        }
        m
    }

    /// False positives per benign application: (files, files flagged).
    pub fn fp_per_app(&self) -> BTreeMap<String, (usize, usize)> {
        let mut m: BTreeMap<String, (usize, usize)> = self
            .benign_per_app
            .iter()
            .map(|(k, v)| (k.clone(), (*v, 0)))
            .collect();
        for fp in &self.false_positives {
            m.entry(source_of(&fp.path)).or_default().1 += 1;
        }
        m
    }

    pub fn misses(&self) -> impl Iterator<Item = &Sample> {
        self.shells().filter(|s| s.rules.is_empty())
    }

    /// The quality table and the lists of misses and false positives, as markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        s.push_str("| set | unique SHA-256 | detected | recall |\n|---|---:|---:|---:|\n");
        s.push_str(&format!(
            "| web shells, all | {} | {} | {:.1}% |\n",
            self.unique(),
            self.detected(),
            self.recall() * 100.0
        ));
        s.push_str(&format!(
            "| web shells, one-liners (≤3 non-empty lines or <1 KiB) | {} | {} | {:.1}% |\n",
            self.one_liners(),
            self.one_liners_detected(),
            self.recall_one_liners() * 100.0
        ));
        let all_ol = self.samples.iter().filter(|x| x.one_liner).count();
        let all_ol_hit = self
            .samples
            .iter()
            .filter(|x| x.one_liner && !x.rules.is_empty())
            .count();
        s.push_str(&format!(
            "| every file of the web-shell set, not-shells included ({} not shells by content) | {} | {} | {:.1}% |\n",
            self.samples.len() - self.unique(),
            self.samples.len(),
            self.samples.iter().filter(|x| !x.rules.is_empty()).count(),
            ratio(
                self.samples.iter().filter(|x| !x.rules.is_empty()).count(),
                self.samples.len()
            ) * 100.0
        ));
        s.push_str(&format!(
            "| every one-liner file, not-shells included | {all_ol} | {all_ol_hit} | {:.1}% |\n",
            ratio(all_ol_hit, all_ol) * 100.0
        ));
        s.push_str(&format!(
            "| web shells, larger | {} | {} | {:.1}% |\n\n",
            self.unique() - self.one_liners(),
            self.detected() - self.one_liners_detected(),
            ratio(
                self.detected() - self.one_liners_detected(),
                self.unique() - self.one_liners()
            ) * 100.0
        ));
        s.push_str(&Counts::table(
            "source",
            &self.grouped(|x| x.source.clone()),
        ));
        s.push_str(&Counts::table(
            "extension",
            &self.grouped(|x| x.ext.clone()),
        ));
        s.push_str("| benign application | files | false positives |\n|---|---:|---:|\n");
        for (app, (files, fps)) in self.fp_per_app() {
            s.push_str(&format!("| {app} | {files} | {fps} |\n"));
        }
        s.push('\n');
        s.push_str("| benign files | unique SHA-256 | false positives | FP per 1,000 files |\n|---:|---:|---:|---:|\n");
        s.push_str(&format!(
            "| {} | {} | {} | {:.2} |\n\n",
            self.benign_files,
            self.benign_unique,
            self.false_positives.len(),
            self.fp_per_1000()
        ));
        s.push_str(&format!(
            "Documentation files skipped in the web-shell set: {}\n\n",
            self.skipped_docs
        ));
        s.push_str("### Misses\n\n");
        let mut any = false;
        for m in self.misses() {
            any = true;
            s.push_str(&format!(
                "- `{}` ({} bytes{}){}\n",
                m.paths.join("`, `"),
                m.size,
                if m.one_liner { ", one-liner" } else { "" },
                m.error
                    .as_ref()
                    .map(|e| format!(" error: {e}"))
                    .unwrap_or_default()
            ));
        }
        if !any {
            s.push_str("- none\n");
        }
        let not: Vec<&Sample> = self.not_shells().collect();
        s.push_str(&format!(
            "\n### Not shells by content ({} unique files, counted apart from the recall)\n\n",
            not.len()
        ));
        if not.is_empty() {
            s.push_str("- none\n");
        }
        for m in not {
            s.push_str(&format!(
                "- `{}` ({} bytes{}): {}{}\n",
                m.paths.join("`, `"),
                m.size,
                if m.one_liner { ", one-liner" } else { "" },
                m.not_shell.as_deref().unwrap_or_default(),
                if m.rules.is_empty() {
                    String::new()
                } else {
                    format!(" (rules fired all the same: {})", m.rules.join(", "))
                }
            ));
        }
        s.push_str("\n### False positives\n\n");
        if self.false_positives.is_empty() {
            s.push_str("- none\n");
        }
        for fp in &self.false_positives {
            s.push_str(&format!("- `{}`: {}\n", fp.path, fp.rules.join(", ")));
        }
        s.push_str("\n### Hits per rule (unique web-shell samples)\n\n");
        for (r, n) in &self.rule_hits {
            s.push_str(&format!("- {r}: {n}\n"));
        }
        if !self.errors.is_empty() {
            s.push_str("\n### Errors\n\n");
            for e in &self.errors {
                s.push_str(&format!("- {e}\n"));
            }
        }
        s
    }
}

/// Recall counters of one group of samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub unique: usize,
    pub detected: usize,
    pub one_liners: usize,
    pub one_liners_detected: usize,
}

impl Counts {
    pub fn recall(&self) -> f64 {
        ratio(self.detected, self.unique)
    }

    /// A markdown table, one row per group, with a total row.
    pub fn table(title: &str, groups: &BTreeMap<String, Counts>) -> String {
        let mut s = format!(
            "| {title} | unique | detected | recall | one-liners detected |\n|---|---:|---:|---:|---:|\n"
        );
        let mut total = Counts::default();
        for (k, c) in groups {
            s.push_str(&c.row(k));
            total.unique += c.unique;
            total.detected += c.detected;
            total.one_liners += c.one_liners;
            total.one_liners_detected += c.one_liners_detected;
        }
        s.push_str(&total.row("**all**"));
        s.push('\n');
        s
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {:.1}% | {} / {} |\n",
            self.unique,
            self.detected,
            self.recall() * 100.0,
            self.one_liners_detected,
            self.one_liners
        )
    }
}

/// Files of the shared development set that hold some server code but, on review, no shell
/// capability of their own (SHA-256, reason). A human judgement, listed in QUALITY.md and
/// reported apart with its reason; never used by any rule.
pub const REVIEWED_NOT_SHELLS: &[(&str, &str)] = &[
    (
        "c78062956e1ec9934f30391fd0bed33786d011672b7ae8c86d94b179dca0a018",
        "reviewed: start page of a web SQL-admin tool kit whose only statement is a redirect to its index page",
    ),
    (
        "0013677fa93ed71d57fb4f3df4f64aecf5da5c256c9847e7b821bcf0cda4e6a1",
        "reviewed: logout page of a web SQL-admin tool kit (clears its cookies, redirects); no shell capability",
    ),
    (
        "1eb3d0d4e933138cdc14f458cb16fedd485346d3ac56695eb277a78ed439051d",
        "reviewed: instructions and two helper functions (system drive, own URL) cut out of a Serv-U escalation script; the exploit code is not in the file",
    ),
];

/// The code of a generator template stands as a placeholder (`<%{code}%>`, `{code}` on a line
/// of its own): the client writes the shell's code there when it generates one.
const TEMPLATE: &str =
    "no server-side code: generator template whose code is a placeholder ({code})";
/// Every server block is empty or a comment.
const NO_CODE: &str =
    "no server-side code: its <% %> / runat=server blocks hold only whitespace or comments";

/// Why a file of the web-shell set is not a shell by its content, if it is not: a reviewed file
/// ([`REVIEWED_NOT_SHELLS`]), or a file without server-side code ([`no_server_code`]).
pub fn not_a_shell(sha256: &str, data: &[u8]) -> Option<String> {
    REVIEWED_NOT_SHELLS
        .iter()
        .find(|(h, _)| *h == sha256)
        .map(|(_, r)| (*r).to_string())
        .or_else(|| no_server_code(data).map(str::to_string))
}

/// A file holds no server-side code when its code is a generator placeholder, or when it has
/// server blocks (`<% … %>` other than `<%@ … %>` directives and `<%-- --%>` comments,
/// `<script runat="server">` bodies) and every one of them is whitespace or comment lines.
/// A file without server blocks (a payload module, a handler whose code follows its directive)
/// is all code and never classified here; neither is a block with any statement in it.
pub fn no_server_code(data: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(data);
    let lower = text.to_ascii_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if lower.lines().any(|l| l.trim() == "{code}") || squeezed.contains("<%{code}%>") {
        return Some(TEMPLATE);
    }
    let mut blocks = 0usize;
    let mut i = 0;
    while let Some(j) = lower[i..].find("<%") {
        let start = i + j + 2;
        let end = lower[start..].find("%>").map_or(lower.len(), |e| start + e);
        let body = &lower[start..end];
        i = (end + 2).min(lower.len());
        if body.starts_with('@') {
            // A handler or service directive: the code follows it, outside any block.
            if body.contains("webhandler") || body.contains("webservice") || body.contains("class")
            {
                return None;
            }
            continue;
        }
        if body.starts_with("--") {
            continue;
        }
        blocks += 1;
        if has_statement(body.trim_start_matches(['=', ':', '#'])) {
            return None;
        }
    }
    let mut i = 0;
    while let Some(j) = lower[i..].find("<script") {
        let tag_start = i + j;
        let Some(tag_len) = lower[tag_start..].find('>') else {
            break;
        };
        let tag = &lower[tag_start..tag_start + tag_len];
        let body_start = tag_start + tag_len + 1;
        let end = lower[body_start..]
            .find("</script")
            .map_or(lower.len(), |e| body_start + e);
        i = end;
        if tag.contains("runat") && tag.contains("server") {
            blocks += 1;
            if has_statement(&lower[body_start..end]) {
                return None;
            }
        }
    }
    (blocks > 0).then_some(NO_CODE)
}

/// Does a block of server code hold a line that is not blank or a comment (VBScript `'`/`REM`,
/// C-family `//` and `/* */`)?
fn has_statement(code: &str) -> bool {
    let mut in_comment = false;
    for line in code.lines() {
        let mut l = line.trim();
        if in_comment {
            match l.find("*/") {
                Some(e) => {
                    in_comment = false;
                    l = l[e + 2..].trim();
                }
                None => continue,
            }
        }
        if let Some(rest) = l.strip_prefix("/*") {
            match rest.find("*/") {
                Some(e) => l = rest[e + 2..].trim(),
                None => {
                    in_comment = true;
                    continue;
                }
            }
        }
        let comment = l.starts_with('\'')
            || l.starts_with("//")
            || l == "rem"
            || l.starts_with("rem ")
            || l.starts_with("rem\t");
        if !l.is_empty() && !comment {
            return true;
        }
    }
    false
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Scan both corpora with `rules` and measure recall and false positives.
pub fn evaluate(rules: &YaraRules, shells: &Path, benign: &Path) -> anyhow::Result<QualityReport> {
    let mut scanner = rules.yara_scanner();
    let mut rep = QualityReport::default();
    let mut by_hash: BTreeMap<String, usize> = BTreeMap::new();
    let shell_files = walk(shells)
        .map_err(|e| anyhow::anyhow!("{}: cannot walk web-shell corpus: {e}", shells.display()))?;
    for path in shell_files {
        if is_documentation(&path) {
            rep.skipped_docs += 1;
            continue;
        }
        let data = match read_bounded(&path) {
            Ok(d) => d,
            Err(e) => {
                rep.errors.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let sha = sha256_hex(&data);
        if let Some(&i) = by_hash.get(&sha) {
            rep.samples[i].paths.push(rel(shells, &path));
            continue;
        }
        let (rules_hit, error) = match scanner.matching_ids(&data) {
            Ok(r) => (r, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        for r in &rules_hit {
            *rep.rule_hits.entry(r.clone()).or_default() += 1;
        }
        by_hash.insert(sha.clone(), rep.samples.len());
        let r = rel(shells, &path);
        let not_shell = not_a_shell(&sha, &data);
        rep.samples.push(Sample {
            sha256: sha,
            source: source_of(&r),
            ext: extension_of(&r),
            paths: vec![r],
            size: data.len(),
            one_liner: is_one_liner(&data),
            not_shell,
            rules: rules_hit,
            error,
        });
    }
    let benign_files = walk(benign)
        .map_err(|e| anyhow::anyhow!("{}: cannot walk benign corpus: {e}", benign.display()))?;
    let mut benign_hashes = std::collections::HashSet::new();
    for path in benign_files {
        let data = match read_bounded(&path) {
            Ok(d) => d,
            Err(e) => {
                rep.errors.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        rep.benign_files += 1;
        *rep.benign_per_app
            .entry(source_of(&rel(benign, &path)))
            .or_default() += 1;
        benign_hashes.insert(sha256_hex(&data));
        match scanner.matching_ids(&data) {
            Ok(r) if !r.is_empty() => rep.false_positives.push(FalsePositive {
                path: rel(benign, &path),
                rules: r,
            }),
            Ok(_) => {}
            Err(e) => rep.errors.push(format!("{}: {e}", path.display())),
        }
    }
    rep.benign_unique = benign_hashes.len();
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_liner_definition() {
        assert!(is_one_liner(b"<%eval request(\"x\")%>"));
        let mut big = b"<%\n".to_vec();
        big.extend(std::iter::repeat_n(b'a', 2000));
        big.extend(b"\n%>\n\n\n");
        assert!(is_one_liner(&big), "3 non-empty lines, large");
        let many = "line of code here\n".repeat(100);
        assert!(!is_one_liner(many.as_bytes()));
    }

    #[test]
    fn source_and_extension() {
        assert_eq!(source_of("tennc/aspx/x.aspx"), "tennc");
        assert_eq!(source_of("x.aspx"), "(root)");
        assert_eq!(extension_of("a/b/Shell.ASPX"), "aspx");
        assert_eq!(extension_of("a/x.asp.txt"), "asp (renamed)");
        assert_eq!(extension_of("a/x.asp.jpg"), "asp (renamed)");
        assert_eq!(
            extension_of("a/ExpiredPassword.aspx(2013)(HyperShell)"),
            "aspx (renamed)"
        );
        assert_eq!(extension_of("a/notes.txt"), "txt");
        assert_eq!(extension_of("a/global.asa"), "asa");
    }

    #[test]
    fn files_without_server_code() {
        assert_eq!(
            no_server_code(b"<%@ Page Language=\"C#\"%><%{code}%>"),
            Some(TEMPLATE)
        );
        assert_eq!(
            no_server_code(b"public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n    {code}\n  }\n}"),
            Some(TEMPLATE)
        );
        // An array initialiser named code is code, not a placeholder.
        assert_eq!(no_server_code(b"<% var a = new object[]{code}; %>"), None);
        assert_eq!(no_server_code(b"<%\n   \n%></body></html>"), Some(NO_CODE));
        assert_eq!(
            no_server_code(b"<%@LANGUAGE=VBScript.encode%><%\n\n   %>"),
            Some(NO_CODE)
        );
        assert_eq!(
            no_server_code(b"<%\n' (c) someone\nREM notes\n%>\n<html><frameset></frameset></html>"),
            Some(NO_CODE)
        );
        assert_eq!(
            no_server_code(
                b"<script runat=\"server\">\n/* nothing\n here */\n// at all\n</script>"
            ),
            Some(NO_CODE)
        );
        // Statements, payload modules without blocks, handlers: code.
        assert_eq!(no_server_code(b"<% Response.Redirect \"i.asp\" %>"), None);
        assert_eq!(no_server_code(b"<%\n' c\neval request(\"x\")\n%>"), None);
        assert_eq!(no_server_code(b"Sub Scan()\nEnd Sub"), None);
        assert_eq!(
            no_server_code(b"<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H {}"),
            None
        );
        assert_eq!(no_server_code(b"<html><body>static</body></html>"), None);
        assert_eq!(
            no_server_code(b"<script runat=server>eval(Request.Item['x'])</script>"),
            None
        );
    }

    #[test]
    fn documentation_is_skipped() {
        assert!(is_documentation(Path::new("x/LICENSE")));
        assert!(is_documentation(Path::new("x/README.txt")));
        assert!(is_documentation(Path::new("x/_copyright.txt")));
        assert!(!is_documentation(Path::new("x/shell.aspx")));
        // a shell pulled out of a readme and named after it is a page
        assert!(!is_documentation(Path::new("x/README.md.1.aspx")));
        assert!(!is_documentation(Path::new("x/license.asp")));
        assert!(is_documentation(Path::new("x/README.aspx.md")));
    }
}
