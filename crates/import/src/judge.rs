//! One feed row to one exray scan result: the build goes through the catalogue
//! ([`exray_catalog::Catalog::assess`], [`exray_catalog::scan_verdict`]), so verdict, exposures
//! and the update to install are exray's, not the feed's. A row that cannot be judged says why.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use exray_core::{BuildAssessment, Confidence, ScanEvidence, ScanResult, ScanVerdict};

use crate::feed::{parse_ip, parse_time, FeedRow};

/// Why a row was not judged (a category for counting, and the row's own message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// Stable category, e.g. `no_build`, `bad_ip`.
    pub kind: &'static str,
    pub message: String,
}

impl Reason {
    fn new(kind: &'static str, message: String) -> Reason {
        Reason { kind, message }
    }
}

/// What became of one row.
#[derive(Clone, Debug)]
pub enum Judged {
    /// A scan result; `unjudged` says why its verdict is not a build verdict (no build given,
    /// or a version the catalogue does not understand).
    Result {
        result: Box<ScanResult>,
        unjudged: Option<Reason>,
    },
    /// No scan result can be made of the row (no address, an impossible time…).
    Rejected(Reason),
}

/// Evidence times accepted by the service: 2000-01-01 to now + 1 day.
const EARLIEST: i64 = 946_684_800;
/// Distinct versions remembered between rows (feeds repeat a few hundred builds).
const CACHE_MAX: usize = 4096;

/// The catalogue's answer for one version string: assessment, verdict, why undecided.
type Assessed = Result<(BuildAssessment, ScanVerdict, Option<String>), String>;

/// Judges rows, remembering the catalogue's answer per version string.
pub struct Judge {
    feed: &'static str,
    now: DateTime<Utc>,
    cache: HashMap<String, Assessed>,
}

impl Judge {
    pub fn new(feed: &'static str, now: DateTime<Utc>) -> Judge {
        Judge {
            feed,
            now,
            cache: HashMap::new(),
        }
    }

    /// Judge one row.
    pub fn judge(&mut self, row: &FeedRow) -> Judged {
        let ip = match row.ip.as_deref() {
            Some(s) => match parse_ip(s) {
                Some(ip) => Some(ip),
                None => {
                    return Judged::Rejected(Reason::new(
                        "bad_ip",
                        format!("ip {s:?} is not a usable IP address"),
                    ))
                }
            },
            None => None,
        };
        let hostname = row
            .hostname
            .as_deref()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            .filter(|h| !h.is_empty());
        if ip.is_none() && hostname.is_none() {
            return Judged::Rejected(Reason::new(
                "no_address",
                "neither an ip nor a hostname".into(),
            ));
        }
        if let Some(h) = &hostname {
            if h.len() > 253 || h.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Judged::Rejected(Reason::new(
                    "bad_hostname",
                    format!("hostname {:?} is not a host name", truncate(h)),
                ));
            }
        }
        let port = match row.port.as_deref() {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => {
                    return Judged::Rejected(Reason::new(
                        "bad_port",
                        format!("port {:?} is not a TCP port", truncate(p)),
                    ))
                }
            },
        };
        let scanned_at = match row.timestamp.as_deref() {
            None => {
                return Judged::Rejected(Reason::new(
                    "no_timestamp",
                    "no timestamp: when the feed saw the server is unknown".into(),
                ))
            }
            Some(t) => match parse_time(t) {
                None => {
                    return Judged::Rejected(Reason::new(
                        "bad_timestamp",
                        format!("timestamp {:?} is not a time", truncate(t)),
                    ))
                }
                Some(at)
                    if at.timestamp() < EARLIEST
                        || at.timestamp() > self.now.timestamp() + 86_400 =>
                {
                    return Judged::Rejected(Reason::new(
                        "bad_timestamp",
                        format!("timestamp {t:?} is outside 2000-01-01 to now + 1 day"),
                    ))
                }
                Some(at) => at,
            },
        };
        let target = match (ip, port, &hostname) {
            (Some(std::net::IpAddr::V6(v6)), Some(p), _) => format!("[{v6}]:{p}"),
            (Some(ip), Some(p), _) => format!("{ip}:{p}"),
            (Some(ip), None, _) => ip.to_string(),
            (None, Some(p), Some(h)) => format!("{h}:{p}"),
            (None, _, Some(h)) => h.clone(),
            (None, _, None) => unreachable!("checked above"),
        };
        let mut evidence = Vec::new();
        let what = |k: &str| format!("feed:{k}");
        let mut push = |k: &str, v: &str| {
            evidence.push(ScanEvidence {
                method: "FEED".into(),
                url: String::new(),
                status: None,
                what: what(k),
                value: truncate(v).to_string(),
            })
        };
        push("source", self.feed);
        if let Some(v) = &row.version {
            push("version", v);
        }
        if let Some(t) = &row.tag {
            push("tag", t);
        }
        for (k, v) in &row.extra {
            push(k, v);
        }
        let (verdict, confidence, assessment, unjudged) = match row.version.as_deref() {
            None => (
                ScanVerdict::ExchangeUnknownBuild,
                Confidence::Low,
                None,
                Some(Reason::new(
                    "no_build",
                    "the feed gives no Exchange build".into(),
                )),
            ),
            Some(v) => match self.assess(v) {
                Ok((a, verdict, why)) => {
                    let full = a.build.split('.').count() == 4;
                    let confidence = match verdict {
                        ScanVerdict::Vulnerable | ScanVerdict::Patched if full => {
                            Confidence::Medium
                        }
                        _ => Confidence::Low,
                    };
                    let unjudged = why.map(|w| Reason::new("build_undecided", w));
                    (verdict, confidence, Some(a), unjudged)
                }
                Err(e) => (
                    ScanVerdict::ExchangeUnknownBuild,
                    Confidence::Low,
                    None,
                    Some(Reason::new("bad_build", e)),
                ),
            },
        };
        let result = ScanResult {
            target,
            ip: ip.map(|i| i.to_string()),
            port,
            hostname,
            verdict,
            confidence,
            assessment,
            evidence,
            error: unjudged.as_ref().map(|r| r.message.clone()),
            scanned_at,
            webshell_probes: Vec::new(),
        };
        Judged::Result {
            result: Box::new(result),
            unjudged,
        }
    }

    fn assess(
        &mut self,
        v: &str,
    ) -> Result<(BuildAssessment, ScanVerdict, Option<String>), String> {
        if let Some(hit) = self.cache.get(v) {
            return hit.clone();
        }
        let source = format!("{} feed version", self.feed);
        let res = exray_catalog::Catalog::embedded()
            .assess(v)
            .map(|mut a| {
                a.source = Some(source);
                let (verdict, why) = exray_catalog::scan_verdict(&a);
                (a, verdict, why)
            })
            .map_err(|e| e.to_string());
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(v.to_string(), res.clone());
        res
    }
}

/// At most 256 characters of a feed's value.
fn truncate(s: &str) -> &str {
    match s.char_indices().nth(256) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
