//! The response plan: ordered steps derived from a report's findings, host facts and coverage by
//! the declarative plan rules (`rules/plan.toml`). A step names the evidence that called for it
//! (finding ids, paths, SHA-256) and what it cannot rest on (`limits`). New steps need no code;
//! new kinds of items (collectors) and limits do.

use std::collections::{BTreeMap, BTreeSet};

use exray_core::{
    ExposureStatus, Finding, MitigationStatus, PlanItem, PlanItemKind, PlanPhase, PlanStep, Report,
    Severity, SourceKind, Stage, Verdict,
};
use serde::Deserialize;

/// The built-in plan rules.
pub const BUILTIN: &str = include_str!("../rules/plan.toml");

/// Items listed per collector and step: a plan over 10,000 findings stays readable.
pub const ITEM_CAP: usize = 200;
/// Finding ids listed per step.
pub const FINDING_CAP: usize = 200;

/// A plan rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanRuleError {
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: step {id}: {message}")]
    Step {
        origin: String,
        id: String,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    step: Vec<StepDef>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Collector {
    EvidenceFiles,
    NamedFiles,
    Logs,
    VdirSettings,
    Accounts,
    MailboxExports,
    Update,
    Mitigations,
    Rerun,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Limit {
    Coverage,
    NoRequestLogs,
    NoEvents,
    NoFileSweep,
    BuildUnknown,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum BuildCond {
    Known,
    Unknown,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Missing {
    Events,
    RequestLogs,
    FileSweep,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
struct Selector {
    #[serde(default)]
    rules: Vec<String>,
    min_stage: Option<Stage>,
    max_stage: Option<Stage>,
    min_severity: Option<Severity>,
    #[serde(default)]
    sources: Vec<SourceKind>,
    field_contains: Option<FieldTest>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct FieldTest {
    fields: Vec<String>,
    values: Vec<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct FixedItem {
    kind: PlanItemKind,
    value: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct StepDef {
    id: String,
    phase: PlanPhase,
    title: String,
    action: String,
    reason: String,
    #[serde(default)]
    verdicts: Vec<Verdict>,
    findings: Option<Selector>,
    unless: Option<Selector>,
    #[serde(default)]
    mitigations: Vec<MitigationStatus>,
    #[serde(default)]
    exposures: Vec<ExposureStatus>,
    build: Option<BuildCond>,
    #[serde(default)]
    if_missing: Vec<Missing>,
    #[serde(default)]
    collect: Vec<Collector>,
    #[serde(default)]
    items: Vec<FixedItem>,
    #[serde(default)]
    limits: Vec<Limit>,
    /// The step is only given when its collectors found something; its evidence is then the
    /// findings that named the items.
    #[serde(default)]
    require_items: bool,
}

/// The compiled plan rules.
pub struct PlanRules {
    steps: Vec<StepDef>,
}

impl Selector {
    fn matches(&self, f: &Finding) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| rule_matches(r, &f.rule_id)))
            && self.min_stage.is_none_or(|s| f.stage >= s)
            && self.max_stage.is_none_or(|s| f.stage <= s)
            && self.min_severity.is_none_or(|s| f.severity >= s)
            && (self.sources.is_empty()
                || f.evidence.iter().any(|e| self.sources.contains(&e.source)))
            && self.field_contains.as_ref().is_none_or(|t| {
                f.evidence.iter().any(|e| {
                    t.fields.iter().any(|name| {
                        e.fields.get(name).is_some_and(|v| {
                            let v = v.to_lowercase();
                            t.values.iter().any(|x| v.contains(&x.to_lowercase()))
                        })
                    })
                })
            })
    }
}

fn rule_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => id == pattern,
    }
}

impl PlanRules {
    /// Parse plan rules from TOML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<PlanRules, PlanRuleError> {
        let file: File = toml::from_str(text).map_err(|e| PlanRuleError::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut seen = BTreeSet::new();
        for s in &file.step {
            let err = |message: &str| PlanRuleError::Step {
                origin: origin.to_string(),
                id: s.id.clone(),
                message: message.to_string(),
            };
            if !seen.insert(s.id.clone()) {
                return Err(err("duplicate step id"));
            }
            let conditioned = !s.verdicts.is_empty()
                || s.findings.is_some()
                || !s.mitigations.is_empty()
                || !s.exposures.is_empty()
                || s.build.is_some()
                || !s.if_missing.is_empty();
            if !conditioned {
                return Err(err(
                    "needs a condition (verdicts, findings, mitigations, exposures, build or if_missing)",
                ));
            }
        }
        Ok(PlanRules { steps: file.step })
    }

    /// The built-in rules (`rules/plan.toml`).
    pub fn builtin() -> PlanRules {
        Self::parse(BUILTIN, "rules/plan.toml").expect("the built-in plan rules parse (tested)")
    }

    /// The step ids, in file order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|s| s.id.as_str())
    }

    /// Id, phase and title of every step, in file order.
    pub fn steps(&self) -> impl Iterator<Item = (&str, PlanPhase, &str)> {
        self.steps
            .iter()
            .map(|s| (s.id.as_str(), s.phase, s.title.as_str()))
    }

    /// The plan for `r`: every step whose conditions hold, ordered by phase, then file order.
    pub fn derive(&self, r: &Report) -> Vec<PlanStep> {
        let facts = Facts::of(r);
        let mut out: Vec<PlanStep> = self
            .steps
            .iter()
            .filter_map(|d| self.step(d, r, &facts))
            .collect();
        // Stable: file order within a phase.
        out.sort_by_key(|s| s.phase);
        for (i, s) in out.iter_mut().enumerate() {
            s.order = i as u32 + 1;
        }
        out
    }

    fn step(&self, d: &StepDef, r: &Report, facts: &Facts) -> Option<PlanStep> {
        if !d.verdicts.is_empty() && !d.verdicts.contains(&r.verdict) {
            return None;
        }
        let matched: Vec<&Finding> = match &d.findings {
            Some(sel) => {
                let m: Vec<&Finding> = r.findings.iter().filter(|f| sel.matches(f)).collect();
                if m.is_empty() {
                    return None;
                }
                m
            }
            None => Vec::new(),
        };
        if let Some(unless) = &d.unless {
            if r.findings.iter().any(|f| unless.matches(f)) {
                return None;
            }
        }
        if !d.mitigations.is_empty()
            && !r
                .host
                .mitigations
                .iter()
                .any(|m| d.mitigations.contains(&m.status))
        {
            return None;
        }
        if !d.exposures.is_empty() && !facts.exposures.iter().any(|s| d.exposures.contains(s)) {
            return None;
        }
        match (d.build, &r.host.build) {
            (Some(BuildCond::Known), None) | (Some(BuildCond::Unknown), Some(_)) => return None,
            _ => {}
        }
        if d.if_missing.iter().any(|m| !facts.missing(*m)) {
            return None;
        }
        let mut items: Vec<PlanItem> = Vec::new();
        for c in &d.collect {
            let mut got = collect(*c, &matched, r);
            got.truncate(ITEM_CAP);
            items.extend(got);
        }
        if d.require_items && items.is_empty() {
            return None;
        }
        let from_items: BTreeSet<&str> = items
            .iter()
            .flat_map(|i| i.findings.iter().map(String::as_str))
            .collect();
        let matched: Vec<&Finding> = if d.require_items {
            matched
                .into_iter()
                .filter(|f| from_items.contains(f.id.as_str()))
                .collect()
        } else {
            matched
        };
        items.extend(d.items.iter().map(|i| PlanItem {
            kind: i.kind,
            value: i.value.clone(),
            sha256: None,
            note: i.note.clone(),
            findings: Vec::new(),
        }));
        let limits = d.limits.iter().flat_map(|l| limits(*l, r, facts)).collect();
        let mut findings: Vec<String> = matched.iter().map(|f| f.id.clone()).collect();
        findings.truncate(FINDING_CAP);
        Some(PlanStep {
            order: 0,
            phase: d.phase,
            rule: d.id.clone(),
            title: d.title.clone(),
            action: d.action.clone(),
            reason: d.reason.clone(),
            findings,
            items,
            limits,
        })
    }
}

/// What the report says of its own reach.
struct Facts {
    exposures: Vec<ExposureStatus>,
    events: bool,
    request_logs: bool,
    file_sweep: bool,
}

impl Facts {
    fn of(r: &Report) -> Facts {
        let read = |pred: &dyn Fn(SourceKind) -> bool| {
            r.coverage
                .iter()
                .any(|c| pred(c.source) && (c.records > 0 || c.files > 0) && !c.unreadable)
        };
        let exposures = match &r.host.build {
            Some(b) if !b.exposures.is_empty() => b.exposures.iter().map(|e| e.status).collect(),
            _ => vec![ExposureStatus::Unknown],
        };
        Facts {
            exposures,
            events: read(&|s| matches!(s, SourceKind::Evtx | SourceKind::EventJson)),
            request_logs: read(&|s| s.is_request_log()),
            file_sweep: r
                .coverage
                .iter()
                .any(|c| c.source == SourceKind::FileSystem),
        }
    }

    fn missing(&self, m: Missing) -> bool {
        match m {
            Missing::Events => !self.events,
            Missing::RequestLogs => !self.request_logs,
            Missing::FileSweep => !self.file_sweep,
        }
    }
}

fn limits(l: Limit, r: &Report, facts: &Facts) -> Vec<String> {
    match l {
        Limit::Coverage => {
            let mut out = Vec::new();
            for c in &r.coverage {
                if c.unreadable {
                    out.push(format!(
                        "{} folder {} could not be read: what it holds is not assessed",
                        c.source.as_str(),
                        c.location
                    ));
                }
                for (a, b) in &c.gaps {
                    out.push(format!(
                        "{} {}: no log from {} to {}",
                        c.source.as_str(),
                        c.location,
                        a.format("%Y-%m-%d %H:%M"),
                        b.format("%Y-%m-%d %H:%M")
                    ));
                }
            }
            out.extend(
                r.warnings
                    .iter()
                    .filter(|w| w.contains("logs start"))
                    .cloned(),
            );
            if r.summary.input_errors > 0 {
                out.push(format!(
                    "{} input error(s): records or files that could not be read (see the report's errors)",
                    r.summary.input_errors
                ));
            }
            out
        }
        Limit::NoRequestLogs if !facts.request_logs => vec![
            "no request log (HttpProxy or IIS) was read: exploitation and web-shell use cannot be told".into(),
        ],
        Limit::NoEvents if !facts.events => vec![
            "no Windows event log was read: process starts, LSASS access, logons and Exchange cmdlets (mailbox exports) cannot be told".into(),
        ],
        Limit::NoFileSweep if !facts.file_sweep => vec![
            "no web root or staging folder was swept: web shells, dumps and archives on disk cannot be told".into(),
        ],
        Limit::BuildUnknown => match &r.host.build {
            None => vec!["the installed build could not be read (Bin\\ExSetup.exe or the registry): which update is needed cannot be told".into()],
            Some(b) => b
                .exposures
                .iter()
                .filter(|e| matches!(e.status, ExposureStatus::SuUnknown | ExposureStatus::Unknown))
                .map(|e| format!("{}: {}", e.family, e.note.clone().unwrap_or_else(|| "the catalogue cannot decide".into())))
                .collect(),
        },
        _ => Vec::new(),
    }
}

fn item(kind: PlanItemKind, value: impl Into<String>) -> PlanItem {
    PlanItem {
        kind,
        value: value.into(),
        sha256: None,
        note: None,
        findings: Vec::new(),
    }
}

/// Files in file-system evidence, by lower-cased Windows path and URL path.
fn files_on_disk(r: &Report) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in &r.findings {
        for e in &f.evidence {
            if e.source == SourceKind::FileSystem {
                out.insert(e.file.to_lowercase());
                if let Some(u) = e.fields.get("url_path") {
                    out.insert(u.to_lowercase());
                }
            }
        }
    }
    out
}

/// Items keyed by value, the findings that name each one merged.
struct Items(BTreeMap<(PlanItemKind, String), PlanItem>);

impl Items {
    fn new() -> Self {
        Items(BTreeMap::new())
    }
    fn add(&mut self, it: PlanItem, finding: &str) {
        let e = self
            .0
            .entry((it.kind, it.value.to_lowercase()))
            .or_insert(it);
        if !finding.is_empty() && !e.findings.iter().any(|f| f == finding) {
            e.findings.push(finding.to_string());
        }
    }
    fn into_vec(self) -> Vec<PlanItem> {
        self.0.into_values().collect()
    }
}

fn collect(c: Collector, matched: &[&Finding], r: &Report) -> Vec<PlanItem> {
    match c {
        Collector::EvidenceFiles => evidence_files(matched),
        Collector::NamedFiles => named_files(matched, r),
        Collector::Logs => logs(r),
        Collector::VdirSettings => vdir_settings(matched),
        Collector::Accounts => accounts(matched, r),
        Collector::MailboxExports => mailbox_exports(matched, r),
        Collector::Update => update(r),
        Collector::Mitigations => mitigations(r),
        Collector::Rerun => vec![item(
            PlanItemKind::Command,
            format!("exray hunt \"{}\" --format html -o report.html", r.scope),
        )],
    }
}

fn evidence_files(matched: &[&Finding]) -> Vec<PlanItem> {
    let mut items = Items::new();
    for f in matched {
        for e in &f.evidence {
            let Some(fi) = &e.file_info else { continue };
            if e.source != SourceKind::FileSystem {
                continue;
            }
            let mut it = item(PlanItemKind::File, e.file.clone());
            it.sha256 = fi.sha256.clone();
            it.note = Some(format!("{} bytes", fi.size));
            items.add(it, &f.id);
        }
    }
    items.into_vec()
}

/// A Windows path or a URL path of a script page.
fn looks_like_page(a: &str) -> bool {
    let lower = a.to_lowercase();
    (lower.contains(":\\") || lower.starts_with('/'))
        && [".aspx", ".ashx", ".asmx", ".asp", ".asa", ".cer", ".config"]
            .iter()
            .any(|x| lower.ends_with(x))
}

fn named_files(matched: &[&Finding], r: &Report) -> Vec<PlanItem> {
    let on_disk = files_on_disk(r);
    let mut items = Items::new();
    for f in matched {
        for a in &f.artifacts {
            if !looks_like_page(a) || on_disk.contains(&a.to_lowercase()) {
                continue;
            }
            let mut it = item(PlanItemKind::File, a.clone());
            it.note = Some(if a.starts_with('/') {
                format!(
                    "requested as this URL ({}); no file behind it was found among the swept files",
                    f.rule_id
                )
            } else {
                format!("named by {}; not found among the swept files", f.rule_id)
            });
            items.add(it, &f.id);
        }
    }
    items.into_vec()
}

fn logs(r: &Report) -> Vec<PlanItem> {
    r.coverage
        .iter()
        .filter(|c| c.source != SourceKind::FileSystem && (c.files > 0 || c.unreadable))
        .map(|c| {
            let mut it = item(PlanItemKind::Log, c.location.clone());
            it.note = Some(match (c.first, c.last) {
                (Some(a), Some(b)) => format!(
                    "{}: {} file(s), {} to {}; hash each file as you copy it",
                    c.source.as_str(),
                    c.files,
                    a.format("%Y-%m-%d"),
                    b.format("%Y-%m-%d")
                ),
                _ => format!(
                    "{}: {} file(s); hash each file as you copy it",
                    c.source.as_str(),
                    c.files
                ),
            });
            it
        })
        .collect()
}

/// `-Name value` from a cmdlet's parameter text (`'…'` or `"…"` quoted, doubled quotes inside).
pub fn cmdlet_param(params: &str, name: &str) -> Option<String> {
    // ASCII lower-casing keeps byte offsets, so `lower` and `params` index alike.
    let lower = params.to_ascii_lowercase();
    let needle = format!("-{}", name.to_ascii_lowercase());
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let at = from + i;
        let end = at + needle.len();
        from = end;
        let before_ok = at == 0 || lower[..at].ends_with(char::is_whitespace);
        let rest = &params[end..];
        if !before_ok || !rest.starts_with([' ', ':']) {
            continue;
        }
        let rest = rest[1..].trim_start();
        let mut chars = rest.chars();
        return match chars.next() {
            Some(q @ ('\'' | '"')) => {
                let mut out = String::new();
                let mut it = rest[1..].chars().peekable();
                while let Some(c) = it.next() {
                    if c == q {
                        if it.peek() == Some(&q) {
                            it.next();
                            out.push(q);
                            continue;
                        }
                        break;
                    }
                    out.push(c);
                }
                Some(out)
            }
            Some(_) => rest.split_whitespace().next().map(str::to_string),
            None => None,
        };
    }
    None
}

fn vdir_settings(matched: &[&Finding]) -> Vec<PlanItem> {
    let mut items = Items::new();
    for f in matched {
        for e in &f.evidence {
            let cmdlet = e.fields.get("Cmdlet").map(|c| c.to_lowercase());
            let anchor = e
                .fields
                .get("AnchorMailbox")
                .map(|a| a.to_lowercase())
                .unwrap_or_default();
            let vdir = match cmdlet.as_deref() {
                Some(c) if c.ends_with("virtualdirectory") => {
                    let noun = c.trim_start_matches(|ch: char| ch != '-');
                    Some(
                        noun.trim_start_matches('-')
                            .trim_end_matches("virtualdirectory")
                            .to_uppercase(),
                    )
                }
                _ if anchor.contains("oabvirtualdirectory") => Some("OAB".to_string()),
                _ if anchor.contains("virtualdirectory") => Some("ECP-set".to_string()),
                _ => None,
            }
            .or_else(|| {
                (f.rule_id.starts_with("EXRAY-FS-00")
                    || f.rule_id == "EXRAY_Exchange_OAB_Settings_Shell"
                    || f.rule_id == "EXRAY-PL-008")
                    .then(|| "OAB".to_string())
            });
            let Some(vdir) = vdir else { continue };
            let identity = e
                .fields
                .get("Parameters")
                .and_then(|p| cmdlet_param(p, "Identity"));
            let value = match &identity {
                Some(id) => format!("{vdir} virtual directory {id}: ExternalUrl, InternalUrl"),
                None => format!("{vdir} virtual directories: ExternalUrl, InternalUrl"),
            };
            let mut it = item(PlanItemKind::Setting, value);
            it.note = e
                .fields
                .get("Cmdlet")
                .map(|c| format!("{c} in {}", e.file))
                .or_else(|| Some(format!("{} in {}", f.rule_id, e.file)));
            items.add(it, &f.id);
        }
    }
    items.into_vec()
}

fn accounts(matched: &[&Finding], r: &Report) -> Vec<PlanItem> {
    let mut items = Items::new();
    let mut hosts: BTreeSet<String> = r.host.hostname.iter().cloned().collect();
    for f in &r.findings {
        for e in &f.evidence {
            if let Some(c) = e.fields.get("computer").filter(|c| !c.is_empty()) {
                hosts.insert(c.split('.').next().unwrap_or(c).to_uppercase());
            }
        }
    }
    if hosts.is_empty() {
        let mut it = item(
            PlanItemKind::Account,
            "the server's machine account (COMPUTERNAME$)",
        );
        it.note = Some("the evidence does not name the server".into());
        items.add(it, "");
    }
    for h in hosts {
        let mut it = item(PlanItemKind::Account, format!("{h}$"));
        it.note = Some("machine account: Reset-ComputerMachinePassword".into());
        items.add(it, "");
    }
    for f in matched {
        for e in &f.evidence {
            for k in [
                "AuthenticatedUser",
                "cs-username",
                "SubjectUserName",
                "TargetUserName",
                "User",
            ] {
                if let Some(u) = e.fields.get(k).filter(|u| !u.is_empty() && *u != "-") {
                    let mut it = item(PlanItemKind::Account, u.clone());
                    it.note = Some(format!("named in {} evidence ({k})", f.rule_id));
                    items.add(it, &f.id);
                }
            }
        }
    }
    items.into_vec()
}

fn file_name(p: &str) -> &str {
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

fn mailbox_exports(matched: &[&Finding], r: &Report) -> Vec<PlanItem> {
    let removed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "EXRAY-EX-003")
        .collect();
    // Files on disk by lower-cased file name: a PST (or a PST saved as a page) still there.
    let mut on_disk: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for f in &r.findings {
        for e in &f.evidence {
            if let (SourceKind::FileSystem, Some(fi)) = (e.source, &e.file_info) {
                on_disk.insert(
                    file_name(&e.file).to_lowercase(),
                    (e.file.clone(), fi.sha256.clone()),
                );
            }
        }
    }
    let mut items = Items::new();
    for f in matched.iter().filter(|f| f.rule_id == "EXRAY-EX-001") {
        for e in &f.evidence {
            let params = e
                .fields
                .get("Parameters")
                .cloned()
                .or_else(|| e.raw.clone())
                .unwrap_or_default();
            let mailbox = cmdlet_param(&params, "Mailbox");
            let target = cmdlet_param(&params, "FilePath");
            let when = e
                .timestamp
                .map(|t| format!(" on {}", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            let mut m = item(
                PlanItemKind::Mailbox,
                mailbox
                    .clone()
                    .unwrap_or_else(|| "a mailbox (the parameters were not logged)".into()),
            );
            m.note = Some(format!(
                "exported{when}{}",
                target
                    .as_ref()
                    .map(|t| format!(" to {t}"))
                    .unwrap_or_default()
            ));
            items.add(m, &f.id);
            let Some(t) = target else { continue };
            let name = file_name(&t).to_lowercase();
            let mut x = item(PlanItemKind::ExportTarget, t.clone());
            let mut notes = Vec::new();
            let lower = t.to_lowercase();
            if [
                "inetpub",
                "aspnet_client",
                "\\owa\\",
                "\\ecp\\",
                "frontend\\httpproxy",
            ]
            .iter()
            .any(|w| lower.contains(w))
            {
                notes.push("in a web root: downloadable by anyone who knows the name".to_string());
            }
            match on_disk.get(&name) {
                Some((path, sha)) => {
                    x.sha256 = sha.clone();
                    notes.push(format!("still on disk as {path}"));
                }
                None => notes.push("not found among the swept files".to_string()),
            }
            let removed_for = removed.iter().find(|rf| {
                rf.evidence.iter().any(|re| {
                    let p = re
                        .fields
                        .get("Parameters")
                        .or(re.raw.as_ref())
                        .map(|p| p.to_lowercase())
                        .unwrap_or_default();
                    mailbox
                        .as_ref()
                        .is_none_or(|mb| p.contains(&mb.to_lowercase()))
                })
            });
            if let Some(rf) = removed_for {
                notes.push(format!(
                    "the export request was removed afterwards (Remove-MailboxExportRequest, {})",
                    rf.id
                ));
            }
            x.note = Some(notes.join("; "));
            items.add(x, &f.id);
        }
    }
    items.into_vec()
}

fn update(r: &Report) -> Vec<PlanItem> {
    let Some(b) = &r.host.build else {
        return Vec::new();
    };
    let exposed: Vec<String> = b
        .exposures
        .iter()
        .filter(|e| {
            matches!(
                e.status,
                ExposureStatus::Vulnerable | ExposureStatus::SuUnknown | ExposureStatus::Unknown
            )
        })
        .map(|e| {
            let s = serde_json::to_value(e.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            format!("{} {s}", e.family)
        })
        .collect();
    let mut out = Vec::new();
    if let Some(u) = &b.recommended_update {
        let mut it = item(
            PlanItemKind::Update,
            format!(
                "{} ({}{})",
                u.name,
                u.build,
                u.kb.as_ref().map(|k| format!(", {k}")).unwrap_or_default()
            ),
        );
        let mut note = format!(
            "installed: {} {}; exposed: {}",
            b.build,
            b.release.clone().unwrap_or_default(),
            exposed.join(", ")
        );
        for n in &b.notes {
            note.push_str("; ");
            note.push_str(n);
        }
        it.note = Some(note);
        out.push(it);
    }
    out
}

fn mitigations(r: &Report) -> Vec<PlanItem> {
    r.host
        .mitigations
        .iter()
        .filter(|m| m.status != MitigationStatus::Present)
        .map(|m| {
            let status = serde_json::to_value(m.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let mut it = item(PlanItemKind::Mitigation, m.name.clone());
            it.note = Some(format!(
                "{status} in {}{}",
                m.evidence.join(", "),
                m.note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ));
            it
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_plan_rules_parse_and_errors_name_the_file() {
        let r = PlanRules::builtin();
        assert!(r.ids().count() >= 10);
        let err = PlanRules::parse("[[step]]\nid = 1\n", "mine.toml")
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("mine.toml:"), "{err}");
        let err = PlanRules::parse(
            "[[step]]\nid='X'\nphase='verify'\ntitle='t'\naction='a'\nreason='r'\n",
            "mine.toml",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("needs a condition"), "{err}");
    }

    #[test]
    fn cmdlet_parameters_are_read_with_either_quote() {
        let p =
            r#"-Mailbox "ceo" -FilePath "\\localhost\c$\inetpub\wwwroot\aspnet_client\ceo.aspx""#;
        assert_eq!(cmdlet_param(p, "Mailbox").as_deref(), Some("ceo"));
        assert_eq!(
            cmdlet_param(p, "filepath").as_deref(),
            Some(r"\\localhost\c$\inetpub\wwwroot\aspnet_client\ceo.aspx")
        );
        let p = "-Identity 'OAB ''x''' -ExternalUrl 'http://f/'";
        assert_eq!(cmdlet_param(p, "Identity").as_deref(), Some("OAB 'x'"));
        assert_eq!(
            cmdlet_param("-Mailbox bob -X y", "Mailbox").as_deref(),
            Some("bob")
        );
        // A parameter whose name only starts like another one is not it.
        assert_eq!(cmdlet_param("-MailboxX a", "Mailbox"), None);
        assert_eq!(cmdlet_param("-Mailbox", "Mailbox"), None);
        // Characters whose lower case is longer (U+0130) do not shift the offsets.
        assert_eq!(
            cmdlet_param(
                "-\u{130}dentity \u{130}\u{130} -Mailbox '\u{e9}x'",
                "Mailbox"
            )
            .as_deref(),
            Some("\u{e9}x")
        );
    }
}
