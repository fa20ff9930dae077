//! Correlate findings into incidents: findings that share a client IP, a request id or an
//! artefact (a web-shell path seen both on disk and in a request) belong to one intrusion. Only
//! groups that reached exploitation or further become incidents; attempts alone stay findings.

use std::collections::HashMap;

use crate::aggregate::stable_id;
use crate::model::{Finding, Incident, Stage, StoryStep};

struct Dsu(Vec<usize>);

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[rb] = ra;
        }
    }
}

fn keys(f: &Finding) -> Vec<String> {
    let mut k = Vec::new();
    for ip in &f.client_ips {
        k.push(format!("ip:{ip}"));
    }
    for r in &f.request_ids {
        k.push(format!("rid:{r}"));
    }
    for a in &f.artifacts {
        let a = a.to_ascii_lowercase();
        // A script page is the same artefact whether named by its Windows path, its URL or a
        // UNC path in a cmdlet: key it by its file name too.
        let name = a.rsplit(['\\', '/']).next().unwrap_or(&a);
        if [".aspx", ".ashx", ".asmx", ".asp", ".asa", ".cer"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            k.push(format!("name:{name}"));
        }
        k.push(format!("art:{a}"));
    }
    k
}

/// How far around an intrusion's requests host-level findings (files, cmdlets) are joined to it.
const JOIN_SLACK_MINUTES: i64 = 60;

/// Group `findings` into incidents and set each member's `incident`.
pub fn correlate(findings: &mut [Finding]) -> Vec<Incident> {
    let n = findings.len();
    let mut dsu = Dsu((0..n).collect());
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for k in keys(f) {
            match owner.get(&k) {
                Some(&j) => dsu.union(j, i),
                None => {
                    owner.insert(k, i);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = dsu.find(i);
        groups.entry(r).or_default().push(i);
    }
    // Keep groups that reached exploitation; split them into those with client IPs (an
    // intrusion seen in request logs) and host-level ones (files, cmdlets, events).
    let mut with_ip: Vec<Vec<usize>> = Vec::new();
    let mut host: Vec<Vec<usize>> = Vec::new();
    for (_, g) in groups {
        if !g.iter().any(|&i| findings[i].stage.is_compromise()) {
            continue;
        }
        if g.iter().any(|&i| !findings[i].client_ips.is_empty()) {
            with_ip.push(g);
        } else {
            host.push(g);
        }
    }
    with_ip.sort_by_key(|g| g.iter().filter_map(|&i| findings[i].first_seen).min());
    let slack = chrono::Duration::minutes(JOIN_SLACK_MINUTES);
    let mut leftover: Vec<usize> = Vec::new();
    for g in host {
        let t = g.iter().filter_map(|&i| findings[i].first_seen).min();
        let target = t.and_then(|t| {
            with_ip.iter().position(|ig| {
                let first = ig.iter().filter_map(|&i| findings[i].first_seen).min();
                let last = ig.iter().filter_map(|&i| findings[i].last_seen).max();
                matches!((first, last), (Some(a), Some(b)) if t >= a - slack && t <= b + slack)
            })
        });
        match target {
            Some(k) => with_ip[k].extend(g),
            None => leftover.extend(g),
        }
    }
    let mut groups: Vec<Vec<usize>> = with_ip;
    if !leftover.is_empty() {
        groups.push(leftover);
    }
    let mut incidents = Vec::new();
    for mut members in groups {
        members.sort_by(|&a, &b| {
            (findings[a].first_seen, findings[a].stage)
                .cmp(&(findings[b].first_seen, findings[b].stage))
        });
        let ids: Vec<String> = members.iter().map(|&i| findings[i].id.clone()).collect();
        let mut sorted_ids = ids.clone();
        sorted_ids.sort();
        let refs: Vec<&str> = sorted_ids.iter().map(String::as_str).collect();
        let id = stable_id("I", &refs);
        let mut ips: Vec<String> = Vec::new();
        let mut cves: Vec<String> = Vec::new();
        let mut families = Vec::new();
        let mut story = Vec::new();
        for &i in &members {
            let f = &findings[i];
            for ip in &f.client_ips {
                if !ips.contains(ip) {
                    ips.push(ip.clone());
                }
            }
            for c in &f.cves {
                if !cves.contains(c) {
                    cves.push(c.clone());
                }
            }
            if !families.contains(&f.family) {
                families.push(f.family);
            }
            story.push(StoryStep {
                time: f.first_seen,
                stage: f.stage,
                finding: f.id.clone(),
                text: if f.count > 1 {
                    format!("{} ({}×)", f.title, f.count)
                } else {
                    f.title.clone()
                },
            });
        }
        let first = members.iter().filter_map(|&i| findings[i].first_seen).min();
        let last = members.iter().filter_map(|&i| findings[i].last_seen).max();
        let severity = members
            .iter()
            .map(|&i| findings[i].severity)
            .max()
            .unwrap_or(crate::Severity::Info);
        let stage = members
            .iter()
            .map(|&i| findings[i].stage)
            .max()
            .unwrap_or(Stage::Attempt);
        let who = match ips.len() {
            0 => "on the host".to_string(),
            1 => format!("from {}", ips[0]),
            k => format!("from {} and {} more", ips[0], k - 1),
        };
        let when = first
            .map(|t| format!(" on {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        let mut chain: Vec<&str> = Vec::new();
        for s in &story {
            if chain.last() != Some(&s.text.as_str()) {
                chain.push(&s.text);
            }
        }
        let summary = format!("{who}{when}: {}", chain.join(" → "));
        let title = format!("{} reached {}", who, stage.as_str().replace('_', "-"));
        for &i in &members {
            findings[i].incident = Some(id.clone());
        }
        incidents.push(Incident {
            id,
            title,
            severity,
            stage,
            families,
            cves,
            client_ips: ips,
            first_seen: first,
            last_seen: last,
            findings: ids,
            story,
            summary,
        });
    }
    incidents.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_seen.cmp(&b.first_seen))
            .then(a.id.cmp(&b.id))
    });
    incidents
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregator;
    use crate::model::*;
    use chrono::{TimeZone, Utc};

    fn rule(id: &str, stage: Stage) -> RuleMeta {
        RuleMeta::new(
            id,
            id,
            "",
            Family::ProxyLogon,
            stage,
            &["CVE-2021-26855"],
            &[],
            Severity::High,
            Confidence::High,
        )
    }

    fn ev(ip: Option<&str>, min: u32) -> Evidence {
        let mut e = Evidence::new(SourceKind::Iis, "x.log");
        e.client_ip = ip.map(String::from);
        e.timestamp = Some(Utc.with_ymd_and_hms(2021, 3, 3, 4, min, 0).unwrap());
        e
    }

    #[test]
    fn joins_by_ip_and_artifact_and_leaves_attempts_alone() {
        let mut agg = Aggregator::new();
        agg.add(
            &rule("SSRF", Stage::Exploitation),
            "203.0.113.7",
            ev(Some("203.0.113.7"), 12),
        );
        agg.add_with_artifacts(
            &rule("SHELLREQ", Stage::Foothold),
            "203.0.113.7",
            ev(Some("203.0.113.7"), 20),
            &["/aspnet_client/x.aspx"],
        );
        agg.add_with_artifacts(
            &rule("SHELLFILE", Stage::Foothold),
            "file",
            ev(None, 15),
            &["/aspnet_client/x.aspx"],
        );
        agg.add(
            &rule("SCAN", Stage::Attempt),
            "198.51.100.1",
            ev(Some("198.51.100.1"), 1),
        );
        let mut f = agg.into_findings();
        let inc = correlate(&mut f);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].findings.len(), 3);
        assert_eq!(inc[0].client_ips, vec!["203.0.113.7".to_string()]);
        assert!(
            inc[0].summary.starts_with(
                "from 203.0.113.7 on 2021-03-03 04:12 UTC: SSRF → SHELLFILE → SHELLREQ"
            ),
            "{}",
            inc[0].summary
        );
        let scan = f.iter().find(|x| x.rule_id == "SCAN").unwrap();
        assert!(scan.incident.is_none());
        assert!(f
            .iter()
            .filter(|x| x.rule_id != "SCAN")
            .all(|x| x.incident.as_deref() == Some(inc[0].id.as_str())));
    }
}
