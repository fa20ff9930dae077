//! Turn rule hits into findings: one finding per rule and group key (a client IP, a file, a host),
//! keeping the earliest evidence items and counting the rest. What is kept does not depend on the
//! order hits arrive in, so reports are the same whatever the thread scheduling.

use std::collections::HashMap;

use crate::model::{Evidence, Finding, RuleMeta, EVIDENCE_CAP};

/// Collects hits. Detectors running on different threads each fill their own aggregator and
/// [`Aggregator::merge`] them at the end.
#[derive(Default, Debug)]
pub struct Aggregator {
    findings: HashMap<(String, String), Finding>,
}

/// Add `value` to a sorted list of at most `cap` values, keeping the smallest: the same list
/// whatever order the hits arrive in (threads finish files in any order).
fn push_unique(list: &mut Vec<String>, value: &str, cap: usize) {
    if value.is_empty() {
        return;
    }
    if let Err(i) = list.binary_search_by(|v| v.as_str().cmp(value)) {
        if i < cap {
            list.insert(i, value.to_string());
            list.truncate(cap);
        }
    }
}

fn evidence_key(e: &Evidence) -> impl Ord + '_ {
    (e.timestamp, &e.file, e.line, e.record)
}

/// Keep the earliest [`EVIDENCE_CAP`] evidence items, sorted, whatever order they arrive in.
fn push_evidence(list: &mut Vec<Evidence>, e: Evidence) {
    let i = list.partition_point(|x| evidence_key(x) <= evidence_key(&e));
    if i < EVIDENCE_CAP {
        list.insert(i, e);
        list.truncate(EVIDENCE_CAP);
    }
}

/// Values listed per finding (IPs, user agents, request ids); `count` tells the whole story.
const LIST_CAP: usize = 50;

impl Aggregator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    /// Record one hit of `rule` for `key` with its evidence.
    pub fn add(&mut self, rule: &RuleMeta, key: &str, evidence: Evidence) {
        self.add_with_artifacts(rule, key, evidence, &[]);
    }

    /// Record a hit that names artefacts (a web-shell path, a dump file) for correlation.
    pub fn add_with_artifacts(
        &mut self,
        rule: &RuleMeta,
        key: &str,
        mut evidence: Evidence,
        artifacts: &[&str],
    ) {
        // A time outside years 0001–9999 is forged or broken: clamped, and the original kept.
        if let Some(t) = evidence.timestamp {
            if let Some(c) = crate::model::clamp_time(t) {
                use chrono::Datelike;
                evidence.fields.insert(
                    "timestamp_out_of_range".into(),
                    format!(
                        "year {}, {} seconds from 1970-01-01",
                        t.year(),
                        t.timestamp()
                    ),
                );
                evidence.timestamp = Some(c);
            }
        }
        let entry = self
            .findings
            .entry((rule.id.clone(), key.to_string()))
            .or_insert_with(|| new_finding(rule, key));
        entry.count += 1;
        if let Some(t) = evidence.timestamp {
            entry.first_seen = Some(entry.first_seen.map_or(t, |f| f.min(t)));
            entry.last_seen = Some(entry.last_seen.map_or(t, |l| l.max(t)));
        }
        if let Some(ip) = &evidence.client_ip {
            push_unique(&mut entry.client_ips, ip, LIST_CAP);
        }
        if let Some(ua) = &evidence.user_agent {
            push_unique(&mut entry.user_agents, ua, LIST_CAP);
        }
        if let Some(id) = &evidence.request_id {
            push_unique(&mut entry.request_ids, id, LIST_CAP);
        }
        for a in artifacts {
            push_unique(&mut entry.artifacts, a, LIST_CAP);
        }
        push_evidence(&mut entry.evidence, evidence);
    }

    /// Fold another aggregator's findings into this one.
    pub fn merge(&mut self, other: Aggregator) {
        for (k, f) in other.findings {
            match self.findings.get_mut(&k) {
                None => {
                    self.findings.insert(k, f);
                }
                Some(e) => merge_finding(e, f),
            }
        }
    }

    /// The findings, most severe first, then by time.
    pub fn into_findings(self) -> Vec<Finding> {
        let mut v: Vec<Finding> = self.findings.into_values().collect();
        sort_findings(&mut v);
        v
    }
}

/// Most severe first, then earliest, then by rule id and id for a stable order.
pub fn sort_findings(v: &mut [Finding]) {
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.stage.cmp(&a.stage))
            .then(a.first_seen.cmp(&b.first_seen))
            .then(a.rule_id.cmp(&b.rule_id))
            .then(a.id.cmp(&b.id))
    });
}

fn merge_finding(into: &mut Finding, other: Finding) {
    into.count += other.count;
    into.first_seen = match (into.first_seen, other.first_seen) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    into.last_seen = match (into.last_seen, other.last_seen) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    for ip in &other.client_ips {
        push_unique(&mut into.client_ips, ip, LIST_CAP);
    }
    for ua in &other.user_agents {
        push_unique(&mut into.user_agents, ua, LIST_CAP);
    }
    for r in &other.request_ids {
        push_unique(&mut into.request_ids, r, LIST_CAP);
    }
    for a in &other.artifacts {
        push_unique(&mut into.artifacts, a, LIST_CAP);
    }
    // Keep the earliest evidence, so the record behind `first_seen` is always shown.
    for e in other.evidence {
        push_evidence(&mut into.evidence, e);
    }
}

/// A short stable id: FNV-1a of the parts, hex.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{prefix}-{h:016x}")
}

fn new_finding(rule: &RuleMeta, key: &str) -> Finding {
    Finding {
        id: stable_id("F", &[&rule.id, key]),
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        family: rule.family,
        stage: rule.stage,
        cves: rule.cves.clone(),
        attack: rule.attack.clone(),
        severity: rule.severity,
        confidence: rule.confidence,
        first_seen: None,
        last_seen: None,
        client_ips: Vec::new(),
        user_agents: Vec::new(),
        request_ids: Vec::new(),
        artifacts: Vec::new(),
        count: 0,
        evidence: Vec::new(),
        incident: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use chrono::{TimeZone, Utc};

    fn rule(id: &str, sev: Severity) -> RuleMeta {
        RuleMeta::new(
            id,
            "t",
            "d",
            Family::ProxyLogon,
            Stage::Exploitation,
            &["CVE-2021-26855"],
            &["T1190"],
            sev,
            Confidence::High,
        )
    }

    fn ev(sec: u32, ip: &str) -> Evidence {
        let mut e = Evidence::new(SourceKind::HttpProxy, "f.log");
        e.timestamp = Some(Utc.with_ymd_and_hms(2021, 3, 3, 4, 0, sec).unwrap());
        e.client_ip = Some(ip.to_string());
        e.line = Some(sec as u64);
        e
    }

    #[test]
    fn what_is_kept_does_not_depend_on_arrival_order() {
        let r = rule("A", Severity::High);
        let hits: Vec<(u32, String)> = (0..59u32)
            .map(|i| ((i * 37) % 59, format!("198.51.100.{}", (i * 13) % 97)))
            .collect();
        let mut forward = Aggregator::new();
        for (sec, ip) in &hits {
            let mut e = ev(*sec, "203.0.113.1");
            e.request_id = Some(format!("rid-{ip}"));
            forward.add(&r, "k", e);
        }
        // The same hits backwards, split over two "threads" and merged.
        let (mut a, mut b) = (Aggregator::new(), Aggregator::new());
        for (n, (sec, ip)) in hits.iter().rev().enumerate() {
            let mut e = ev(*sec, "203.0.113.1");
            e.request_id = Some(format!("rid-{ip}"));
            if n % 3 == 0 { &mut a } else { &mut b }.add(&r, "k", e);
        }
        b.merge(a);
        let x = serde_json::to_string(&forward.into_findings()).unwrap();
        let y = serde_json::to_string(&b.into_findings()).unwrap();
        assert_eq!(x, y);
        // The earliest evidence is what is kept.
        let f: Vec<Finding> = serde_json::from_str(&x).unwrap();
        assert_eq!(f[0].evidence.len(), EVIDENCE_CAP);
        assert_eq!(f[0].evidence[0].line, Some(0));
        assert!(f[0].request_ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn groups_by_rule_and_key_and_counts_beyond_the_cap() {
        let r = rule("A", Severity::High);
        let mut agg = Aggregator::new();
        for i in 0..40 {
            agg.add(&r, "1.2.3.4", ev(i % 60, "1.2.3.4"));
        }
        agg.add(&r, "5.6.7.8", ev(1, "5.6.7.8"));
        let f = agg.into_findings();
        assert_eq!(f.len(), 2);
        let big = f.iter().find(|f| f.count == 40).unwrap();
        assert_eq!(big.evidence.len(), EVIDENCE_CAP);
        assert_eq!(big.client_ips, vec!["1.2.3.4".to_string()]);
        assert_eq!(big.first_seen.unwrap().format("%S").to_string(), "00");
        assert_eq!(big.last_seen.unwrap().format("%S").to_string(), "39");
    }

    #[test]
    fn merge_adds_counts_and_widens_time() {
        let r = rule("A", Severity::High);
        let mut a = Aggregator::new();
        a.add(&r, "k", ev(10, "1.1.1.1"));
        let mut b = Aggregator::new();
        b.add(&r, "k", ev(5, "2.2.2.2"));
        b.add(&r, "k", ev(20, "2.2.2.2"));
        a.merge(b);
        let f = a.into_findings();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 3);
        assert_eq!(f[0].client_ips.len(), 2);
        assert_eq!(f[0].evidence[0].line, Some(5), "evidence sorted by time");
    }

    #[test]
    fn most_severe_first() {
        let mut agg = Aggregator::new();
        agg.add(&rule("LOW", Severity::Low), "k", ev(1, "1.1.1.1"));
        agg.add(&rule("CRIT", Severity::Critical), "k", ev(2, "1.1.1.1"));
        let f = agg.into_findings();
        assert_eq!(f[0].rule_id, "CRIT");
    }

    #[test]
    fn stable_ids_differ_by_part_boundaries() {
        assert_ne!(stable_id("F", &["ab", "c"]), stable_id("F", &["a", "bc"]));
        assert_eq!(stable_id("F", &["x"]), stable_id("F", &["x"]));
    }
}
