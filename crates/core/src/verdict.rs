//! The verdict of a hunt, honest about what the evidence could tell: "no indicators found" is
//! only said where request logs were read; otherwise the answer is "not assessed".

use chrono::{DateTime, Utc};

use crate::model::{Report, Severity, SourceKind, Verdict, PROXYLOGON_WINDOW_START};

/// Fill `verdict`, `verdict_reason`, the summary counts and coverage warnings.
pub fn conclude(r: &mut Report) {
    r.summary.findings = r.findings.len() as u64;
    r.summary.incidents = r.incidents.len() as u64;
    r.summary.by_severity.clear();
    for f in &r.findings {
        *r.summary.by_severity.entry(f.severity.as_str().to_string()).or_default() += 1;
    }
    let window_start: DateTime<Utc> = PROXYLOGON_WINDOW_START.parse().expect("constant parses");
    let request_logs: Vec<_> = r.coverage.iter().filter(|c| c.source.is_request_log() && c.records > 0).collect();
    let earliest = request_logs.iter().filter_map(|c| c.first).min();
    let latest = request_logs.iter().filter_map(|c| c.last).max();
    for kind in [SourceKind::HttpProxy, SourceKind::Iis] {
        let first = r.coverage.iter().filter(|c| c.source == kind && c.records > 0).filter_map(|c| c.first).min();
        if let Some(f) = first {
            if f > window_start {
                r.warnings.push(format!(
                    "{} logs start {}: after ProxyLogon exploitation began (early January 2021); what happened before is not covered by them",
                    kind.as_str(),
                    f.format("%Y-%m-%d")
                ));
            }
        }
    }
    let compromise: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.stage.is_compromise() && f.severity >= Severity::Medium)
        .collect();
    if !compromise.is_empty() {
        let furthest = compromise.iter().map(|f| f.stage).max().unwrap();
        r.verdict = Verdict::IndicatorsFound;
        r.verdict_reason = format!(
            "{} finding(s) at exploitation or later, in {} incident(s); the attacker reached {}",
            compromise.len(),
            r.incidents.len(),
            furthest.as_str().replace('_', "-")
        );
        return;
    }
    let attempts = r.findings.len();
    match (earliest, latest) {
        (Some(a), Some(b)) => {
            r.verdict = Verdict::NoIndicatorsFound;
            r.verdict_reason = format!(
                "no indicators of compromise in request logs covering {} to {}{}",
                a.format("%Y-%m-%d %H:%M"),
                b.format("%Y-%m-%d %H:%M"),
                if attempts > 0 {
                    format!(" ({attempts} attempt-level finding(s): probes that did not succeed)")
                } else {
                    String::new()
                }
            );
        }
        _ => {
            r.verdict = Verdict::NotAssessed;
            r.verdict_reason = "no readable HttpProxy or IIS request logs: exploitation cannot be assessed".to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    #[test]
    fn not_assessed_without_request_logs_and_warns_on_late_coverage() {
        let mut r = Report::new(ReportKind::Hunt, "/x");
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NotAssessed);
        let mut c = SourceCoverage::new(SourceKind::Iis, "W3SVC1");
        c.records = 10;
        c.observe("2021-03-20T00:00:00Z".parse().unwrap());
        c.observe("2021-04-20T00:00:00Z".parse().unwrap());
        r.coverage.push(c);
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NoIndicatorsFound);
        assert!(r.verdict_reason.contains("2021-03-20"));
        assert!(r.warnings.iter().any(|w| w.contains("iis logs start 2021-03-20")));
    }
}
