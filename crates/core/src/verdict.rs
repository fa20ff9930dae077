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
        *r.summary
            .by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
    }
    let window_start: DateTime<Utc> = PROXYLOGON_WINDOW_START.parse().expect("constant parses");
    let request_logs: Vec<_> = r
        .coverage
        .iter()
        .filter(|c| c.source.is_request_log() && c.records > 0)
        .collect();
    let earliest = request_logs.iter().filter_map(|c| c.first).min();
    let latest = request_logs.iter().filter_map(|c| c.last).max();
    for kind in [SourceKind::HttpProxy, SourceKind::Iis] {
        let first = r
            .coverage
            .iter()
            .filter(|c| c.source == kind && c.records > 0)
            .filter_map(|c| c.first)
            .min();
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
    // A request-log folder that could not be read may hold the attack: no clearance can rest on
    // the logs that were read, for the period they cover (the period the unread folder would
    // most likely have covered too).
    let unread: Vec<&str> = r
        .coverage
        .iter()
        .filter(|c| c.source.is_request_log() && c.unreadable)
        .map(|c| c.location.as_str())
        .collect();
    if !unread.is_empty() {
        let period = match (earliest, latest) {
            (Some(a), Some(b)) => format!(
                "{} to {}",
                r.since.map_or(a, |s| a.max(s)).format("%Y-%m-%d %H:%M"),
                r.until.map_or(b, |u| b.min(u)).format("%Y-%m-%d %H:%M")
            ),
            _ => "the whole period".to_string(),
        };
        r.verdict = Verdict::NotAssessed;
        r.verdict_reason = format!(
            "request-log folder(s) could not be read: {}{}; {period} is not assessed",
            unread
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            if unread.len() > 3 { ", …" } else { "" }
        );
        return;
    }
    // What the request logs can speak for: their covered periods, cut to the hunt's window.
    let mut intervals = Vec::new();
    for c in &request_logs {
        for (a, b) in c.intervals() {
            let a = r.since.map_or(a, |s| a.max(s));
            let b = r.until.map_or(b, |u| b.min(u));
            if b > a {
                intervals.push((a, b));
            }
        }
    }
    let (Some(from), Some(to)) = (
        intervals.iter().map(|i| i.0).min(),
        intervals.iter().map(|i| i.1).max(),
    ) else {
        r.verdict = Verdict::NotAssessed;
        r.verdict_reason = if earliest.is_some() && (r.since.is_some() || r.until.is_some()) {
            "the request logs read do not cover the requested time window".to_string()
        } else {
            "no readable HttpProxy or IIS request logs: exploitation cannot be assessed".to_string()
        };
        return;
    };
    let gaps = crate::model::gaps_between(intervals, chrono::Duration::hours(24));
    let span = (to - from).num_seconds().max(1);
    let missing: i64 = gaps.iter().map(|(a, b)| (*b - *a).num_seconds()).sum();
    let longest = gaps.iter().map(|(a, b)| *b - *a).max();
    let gap_text = gaps
        .iter()
        .take(5)
        .map(|(a, b)| format!("{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")))
        .collect::<Vec<_>>()
        .join(", ");
    let mut caveats = Vec::new();
    if !gaps.is_empty() {
        caveats.push(format!(
            "no request logs for {gap_text}{}",
            if gaps.len() > 5 { ", …" } else { "" }
        ));
    }
    if r.summary.input_errors > 0 {
        caveats.push(format!("{} input error(s)", r.summary.input_errors));
    }
    let below = r.findings.len();
    if below > 0 {
        caveats.push(format!(
            "{below} finding(s) below exploitation level (attempts, probes, indicator matches)"
        ));
    }
    let window = format!(
        "{} to {}",
        from.format("%Y-%m-%d %H:%M"),
        to.format("%Y-%m-%d %H:%M")
    );
    let too_gappy = longest.is_some_and(|l| l > chrono::Duration::days(7)) || missing * 5 > span;
    if too_gappy {
        r.verdict = Verdict::NotAssessed;
        r.verdict_reason = format!(
            "no indicators in the request logs read, but they cover {window} with gaps too large to clear the server ({})",
            caveats.join("; ")
        );
    } else {
        r.verdict = Verdict::NoIndicatorsFound;
        r.verdict_reason = format!(
            "no indicators of compromise in request logs covering {window}{}",
            if caveats.is_empty() {
                String::new()
            } else {
                format!(" ({})", caveats.join("; "))
            }
        );
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
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("iis logs start 2021-03-20")));
        // A month-long hole in the logs: they cannot clear the server.
        r.coverage[0].gaps = vec![(
            "2021-03-25T00:00:00Z".parse().unwrap(),
            "2021-04-15T00:00:00Z".parse().unwrap(),
        )];
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NotAssessed);
        assert!(
            r.verdict_reason.contains("2021-03-25 to 2021-04-15"),
            "{}",
            r.verdict_reason
        );
        // A window outside what the logs cover.
        r.coverage[0].gaps.clear();
        r.since = Some("2022-01-01T00:00:00Z".parse().unwrap());
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NotAssessed);
        // A window inside: the reason names the window, not the whole log span.
        r.since = Some("2021-04-01T00:00:00Z".parse().unwrap());
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NoIndicatorsFound);
        assert!(
            r.verdict_reason.contains("2021-04-01 00:00 to 2021-04-20"),
            "{}",
            r.verdict_reason
        );
        // An HttpProxy folder that could not be read: the clearance no longer holds.
        let mut unread = SourceCoverage::new(SourceKind::HttpProxy, r"C:\x\Logging\HttpProxy\Ecp");
        unread.unreadable = true;
        r.coverage.push(unread);
        conclude(&mut r);
        assert_eq!(r.verdict, Verdict::NotAssessed);
        assert!(
            r.verdict_reason.contains("HttpProxy\\Ecp")
                && r.verdict_reason
                    .contains("2021-04-01 00:00 to 2021-04-20 00:00 is not assessed"),
            "{}",
            r.verdict_reason
        );
    }
}
