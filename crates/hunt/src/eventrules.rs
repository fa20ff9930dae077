//! Declarative Windows event rules (`rules/events.toml`, and user files in the same format): a rule
//! is data, scoped by event id, channel and provider, and matched with case-insensitive string
//! tests over named event fields. New rules need no code.

use exray_core::{Confidence, Family, RuleMeta, Severity, Stage};
use exray_parse::event::Event;
use serde::Deserialize;

pub const BUILTIN: &str = include_str!("../rules/events.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Event-log channels read in full wherever they are found (besides every channel and
    /// provider a rule names): an EVTX file of any other channel is skipped, and said so.
    #[serde(default)]
    read_channels: Vec<String>,
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    title: String,
    description: String,
    family: Family,
    stage: Stage,
    severity: Severity,
    confidence: Confidence,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    attack: Vec<String>,
    #[serde(default)]
    event_ids: Vec<u32>,
    /// Event levels (1 critical, 2 error, 3 warning, 4 information); empty: any.
    #[serde(default)]
    levels: Vec<u8>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    providers: Vec<String>,
    #[serde(default)]
    group_by: Vec<String>,
    #[serde(default)]
    all: Vec<Cond>,
    #[serde(default)]
    none: Vec<Cond>,
    critical_if: Option<Cond>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Cond {
    fields: Vec<String>,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    ends_with: Vec<String>,
    #[serde(default)]
    starts_with: Vec<String>,
    #[serde(default)]
    contains_all: Vec<String>,
    /// A hex bit mask (e.g. `0x10`): holds when the field, read as a hex or decimal number, has
    /// any of these bits set (access masks).
    mask_any: Option<String>,
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl Cond {
    fn lower(mut self) -> Self {
        for v in [
            &mut self.equals,
            &mut self.contains,
            &mut self.ends_with,
            &mut self.starts_with,
            &mut self.contains_all,
        ] {
            for s in v.iter_mut() {
                *s = s.to_lowercase();
            }
        }
        self
    }

    /// The values the condition reads, lower-cased: each named field present ("*": all text).
    fn values(&self, e: &Event) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.fields {
            if f == "*" {
                out.push(e.text().to_lowercase());
            } else if let Some(v) = e.get(f) {
                out.push(v.to_lowercase());
            }
        }
        out
    }

    /// True when any of the fields passes any of the tests.
    fn holds(&self, e: &Event) -> bool {
        self.values(e).iter().any(|v| {
            self.equals.iter().any(|x| v == x)
                || self.contains.iter().any(|x| v.contains(x.as_str()))
                || self.ends_with.iter().any(|x| v.ends_with(x.as_str()))
                || self.starts_with.iter().any(|x| v.starts_with(x.as_str()))
                || (!self.contains_all.is_empty()
                    && self.contains_all.iter().all(|x| v.contains(x.as_str())))
                || self
                    .mask_any
                    .as_deref()
                    .and_then(parse_num)
                    .is_some_and(|m| parse_num(v).is_some_and(|n| n & m != 0))
        })
    }
}

/// A compiled rule.
pub struct EventRule {
    pub meta: RuleMeta,
    critical: RuleMeta,
    def: RuleDef,
}

/// A rule that matched an event.
pub struct EventHit<'a> {
    pub meta: &'a RuleMeta,
    pub key: String,
    /// (field, value) pairs the rule read, for the evidence.
    pub fields: Vec<(String, String)>,
}

pub struct EventRules {
    rules: Vec<EventRule>,
    /// Channels read in full (lower case): `read_channels` and every channel a rule names.
    channels: Vec<String>,
    /// Providers a rule names (lower case): a file whose first records come from one is read.
    providers: Vec<String>,
}

#[derive(Debug)]
pub struct RuleLoadError(pub String);

impl std::fmt::Display for RuleLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleLoadError {}

impl EventRules {
    /// Parse rules from TOML text; `origin` names the file in errors (with the line toml reports).
    pub fn parse(text: &str, origin: &str) -> Result<EventRules, RuleLoadError> {
        let file: File =
            toml::from_str(text).map_err(|e| RuleLoadError(format!("{origin}: {e}")))?;
        if file.rule.is_empty() && file.read_channels.is_empty() {
            return Err(RuleLoadError(format!(
                "{origin}: no [[rule]] and no read_channels"
            )));
        }
        let mut rules = Vec::new();
        for mut d in file.rule {
            let scoped =
                !d.event_ids.is_empty() || !d.providers.is_empty() || !d.channels.is_empty();
            if !scoped || d.all.is_empty() {
                return Err(RuleLoadError(format!(
                    "{origin}: rule {}: needs a scope (event_ids, providers or channels) and at least one `all` condition",
                    d.id
                )));
            }
            d.all = d.all.into_iter().map(Cond::lower).collect();
            d.none = d.none.into_iter().map(Cond::lower).collect();
            d.critical_if = d.critical_if.map(Cond::lower);
            let meta = RuleMeta {
                id: d.id.clone(),
                title: d.title.clone(),
                description: d.description.clone(),
                family: d.family,
                stage: d.stage,
                cves: d.cves.clone(),
                attack: d.attack.clone(),
                severity: d.severity,
                confidence: d.confidence,
            };
            let mut critical = meta.clone();
            critical.severity = Severity::Critical;
            rules.push(EventRule {
                meta,
                critical,
                def: d,
            });
        }
        let mut ids: Vec<&str> = rules.iter().map(|r| r.meta.id.as_str()).collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(RuleLoadError(format!(
                "{origin}: duplicate rule id {}",
                w[0]
            )));
        }
        let mut channels: Vec<String> = file
            .read_channels
            .iter()
            .chain(rules.iter().flat_map(|r| r.def.channels.iter()))
            .map(|c| c.to_lowercase())
            .collect();
        channels.sort();
        channels.dedup();
        let mut providers: Vec<String> = rules
            .iter()
            .flat_map(|r| r.def.providers.iter())
            .map(|p| p.to_lowercase())
            .collect();
        providers.sort();
        providers.dedup();
        Ok(EventRules {
            rules,
            channels,
            providers,
        })
    }

    /// Whether an event-log file of this channel, whose first records come from these
    /// providers, holds events the rules read. An unknown channel (no record peeked) is read.
    pub fn reads(&self, channel: &str, providers: &[String]) -> bool {
        let channel = channel.to_lowercase();
        channel.is_empty()
            || self.channels.contains(&channel)
            || providers
                .iter()
                .any(|p| self.providers.contains(&p.to_lowercase()))
    }

    pub fn builtin() -> EventRules {
        Self::parse(BUILTIN, "rules/events.toml").expect("the built-in event rules parse (tested)")
    }

    /// Add the rules of another file (user rules).
    pub fn extend(&mut self, other: EventRules) {
        self.rules.extend(other.rules);
        for (mine, theirs) in [
            (&mut self.channels, other.channels),
            (&mut self.providers, other.providers),
        ] {
            mine.extend(theirs);
            mine.sort();
            mine.dedup();
        }
    }

    pub fn metas(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter().map(|r| &r.meta)
    }

    /// Every rule that matches `e`.
    pub fn evaluate<'a>(&'a self, e: &Event) -> Vec<EventHit<'a>> {
        let mut hits = Vec::new();
        for r in &self.rules {
            let d = &r.def;
            if !d.event_ids.is_empty() && !d.event_ids.contains(&e.event_id) {
                continue;
            }
            if !d.levels.is_empty() && !e.level.is_some_and(|l| d.levels.contains(&l)) {
                continue;
            }
            if !d.channels.is_empty()
                && !d
                    .channels
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&e.channel))
            {
                continue;
            }
            if !d.providers.is_empty()
                && !d
                    .providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&e.provider))
            {
                continue;
            }
            if !d.all.iter().all(|c| c.holds(e)) || d.none.iter().any(|c| c.holds(e)) {
                continue;
            }
            let meta = if d.critical_if.as_ref().is_some_and(|c| c.holds(e)) {
                &r.critical
            } else {
                &r.meta
            };
            let mut fields = Vec::new();
            for c in d.all.iter().chain(d.critical_if.iter()) {
                if let Some(f) = c.fields.iter().find(|f| *f != "*" && e.get(f).is_some()) {
                    if !fields.iter().any(|(k, _): &(String, String)| k == f) {
                        fields.push((f.clone(), e.get(f).unwrap_or_default().to_string()));
                    }
                }
            }
            let group = d.group_by.iter().find_map(|f| e.get(f)).map(str::to_string);
            let key = match group {
                Some(g) => format!("{} {}", e.computer, g),
                None => e.computer.clone(),
            };
            hits.push(EventHit { meta, key, fields });
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_and_errors_name_the_file() {
        let r = EventRules::builtin();
        assert!(r.metas().count() >= 7);
        let err = EventRules::parse("[[rule]]\nid = 1\n", "mine.toml")
            .err()
            .unwrap();
        assert!(err.0.starts_with("mine.toml:"), "{}", err.0);
        assert!(err.0.contains("line"), "{}", err.0);
    }
}
