//! The per-host state machine. Pure: the ingest and notification code feed it events and store
//! whatever transition it returns, with its cause.
//!
//! exposed → vulnerable → notified → patched → hunted → clean | compromised → remediated,
//! reopened by new evidence (a fixed build that regresses, indicators after a clean hunt).

use exray_core::{ScanVerdict, Stage, Verdict};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum HostState {
    Exposed,
    Vulnerable,
    Notified,
    Patched,
    Hunted,
    Clean,
    Compromised,
    Remediated,
}

pub const ALL_STATES: [HostState; 8] = [
    HostState::Exposed,
    HostState::Vulnerable,
    HostState::Notified,
    HostState::Patched,
    HostState::Hunted,
    HostState::Clean,
    HostState::Compromised,
    HostState::Remediated,
];

/// The funnel's stages, in order (clean is an outcome of hunted, not a stage of its own).
pub const FUNNEL: [HostState; 7] = [
    HostState::Exposed,
    HostState::Vulnerable,
    HostState::Notified,
    HostState::Patched,
    HostState::Hunted,
    HostState::Compromised,
    HostState::Remediated,
];

/// The states whose hosts a verification round (`exray serve --verify-every`) re-fingerprints:
/// the owner was told to patch, and only a later scan can say whether they did. The round's
/// results go through the ordinary scan event, so a fixed build moves the host to *patched*, a
/// still-vulnerable build leaves it *notified* (no new evidence), and an unreachable or
/// erroneous result says nothing about the build and moves nothing.
pub const AWAITING_VERIFICATION: [HostState; 1] = [HostState::Notified];

impl HostState {
    pub fn as_str(self) -> &'static str {
        match self {
            HostState::Exposed => "exposed",
            HostState::Vulnerable => "vulnerable",
            HostState::Notified => "notified",
            HostState::Patched => "patched",
            HostState::Hunted => "hunted",
            HostState::Clean => "clean",
            HostState::Compromised => "compromised",
            HostState::Remediated => "remediated",
        }
    }
    pub fn parse(s: &str) -> Option<HostState> {
        ALL_STATES.iter().copied().find(|st| st.as_str() == s)
    }
    pub fn bit(self) -> i64 {
        1 << (self as i64)
    }
    /// Bits of the stages that reaching this state implies (a clean or compromised verdict
    /// means the host was hunted).
    pub fn reached_bits(self) -> i64 {
        match self {
            HostState::Clean | HostState::Compromised | HostState::Remediated => {
                self.bit() | HostState::Hunted.bit()
            }
            _ => self.bit(),
        }
    }
}

/// Something that happened to a host.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    Scan {
        verdict: ScanVerdict,
        build: Option<&'a str>,
        previous_verdict: Option<&'a str>,
    },
    Hunt {
        verdict: Verdict,
        findings: usize,
        worst: Option<Stage>,
    },
    Notified {
        notification_id: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub to: HostState,
    pub cause: String,
    pub reopened: bool,
}

/// Whether a scan verdict is evidence of an Exchange server at all (hosts are created only then).
pub fn is_exchange(v: ScanVerdict) -> bool {
    matches!(
        v,
        ScanVerdict::Vulnerable
            | ScanVerdict::Patched
            | ScanVerdict::SuUnknown
            | ScanVerdict::ExchangeUnknownBuild
    )
}

/// The transition an event causes from `cur` (`None` for a host seen for the first time), or
/// `None` when the event changes nothing.
pub fn next(cur: Option<HostState>, ev: &Event<'_>) -> Option<Transition> {
    use HostState::*;
    let t = |to: HostState, cause: String, reopened: bool| {
        Some(Transition {
            to,
            cause,
            reopened,
        })
    };
    match ev {
        Event::Scan {
            verdict,
            build,
            previous_verdict,
        } => {
            let b = build.unwrap_or("unknown build");
            match (cur, verdict) {
                (None, ScanVerdict::Vulnerable) => t(
                    Vulnerable,
                    format!("first scan: vulnerable build {b}"),
                    false,
                ),
                (None, ScanVerdict::Patched) => {
                    t(Patched, format!("first scan: fixed build {b}"), false)
                }
                (None, v) if is_exchange(*v) => t(
                    Exposed,
                    format!("first scan: Exchange exposed ({})", v.as_str()),
                    false,
                ),
                (None, _) => None,
                (Some(Exposed), ScanVerdict::Vulnerable) => {
                    t(Vulnerable, format!("scan: vulnerable build {b}"), false)
                }
                (Some(Patched | Hunted | Clean | Remediated), ScanVerdict::Vulnerable) => {
                    // New evidence only: the same vulnerable verdict as before reopens nothing.
                    if *previous_verdict == Some("vulnerable") {
                        None
                    } else {
                        t(
                            Vulnerable,
                            format!("reopened: a later scan shows vulnerable build {b}"),
                            true,
                        )
                    }
                }
                (Some(Exposed | Vulnerable | Notified), ScanVerdict::Patched) => t(
                    Patched,
                    format!("a later scan shows fixed build {b}"),
                    false,
                ),
                _ => None,
            }
        }
        Event::Hunt {
            verdict,
            findings,
            worst,
        } => {
            let stage = worst.map(|s| s.as_str()).unwrap_or("none");
            match (cur, verdict) {
                (Some(Compromised), Verdict::IndicatorsFound) => None,
                (c, Verdict::IndicatorsFound) => t(
                    Compromised,
                    format!("hunt found indicators of compromise: {findings} finding(s), furthest stage {stage}"),
                    matches!(c, Some(Clean | Remediated)),
                ),
                (Some(Compromised), Verdict::NoIndicatorsFound) => {
                    t(Remediated, "a clean hunt after the compromise".to_string(), false)
                }
                (Some(Clean | Remediated), Verdict::NoIndicatorsFound) => None,
                (_, Verdict::NoIndicatorsFound) => t(Clean, "hunt: no indicators found".to_string(), false),
                (None | Some(Exposed | Vulnerable | Notified | Patched), Verdict::NotAssessed) => {
                    t(Hunted, "hunt ran but could not assess (see its coverage)".to_string(), false)
                }
                (_, Verdict::NotAssessed) => None,
            }
        }
        Event::Notified { notification_id } => match cur {
            Some(Exposed | Vulnerable) => t(
                Notified,
                format!("notification {notification_id} sent"),
                false,
            ),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(v: ScanVerdict, prev: Option<&'static str>) -> Event<'static> {
        Event::Scan {
            verdict: v,
            build: Some("15.1.2176.2"),
            previous_verdict: prev,
        }
    }
    fn hunt(v: Verdict) -> Event<'static> {
        Event::Hunt {
            verdict: v,
            findings: 2,
            worst: Some(Stage::Foothold),
        }
    }

    #[test]
    fn full_lifecycle() {
        let mut s = None;
        let steps: Vec<(Event, HostState)> = vec![
            (scan(ScanVerdict::SuUnknown, None), HostState::Exposed),
            (
                scan(ScanVerdict::Vulnerable, Some("su_unknown")),
                HostState::Vulnerable,
            ),
            (Event::Notified { notification_id: 4 }, HostState::Notified),
            (
                scan(ScanVerdict::Patched, Some("vulnerable")),
                HostState::Patched,
            ),
            (hunt(Verdict::NotAssessed), HostState::Hunted),
            (hunt(Verdict::IndicatorsFound), HostState::Compromised),
            (hunt(Verdict::NoIndicatorsFound), HostState::Remediated),
        ];
        for (ev, want) in steps {
            let tr = next(s, &ev).unwrap_or_else(|| panic!("no transition from {s:?} on {ev:?}"));
            assert_eq!(tr.to, want);
            assert!(!tr.cause.is_empty());
            s = Some(tr.to);
        }
        // Reopened by new evidence.
        let tr = next(s, &hunt(Verdict::IndicatorsFound)).unwrap();
        assert_eq!((tr.to, tr.reopened), (HostState::Compromised, true));
    }

    #[test]
    fn no_change_without_new_evidence() {
        use HostState::*;
        assert_eq!(
            next(
                Some(Notified),
                &scan(ScanVerdict::Vulnerable, Some("vulnerable"))
            ),
            None
        );
        assert_eq!(
            next(
                Some(Clean),
                &scan(ScanVerdict::Vulnerable, Some("vulnerable"))
            ),
            None
        );
        let re = next(
            Some(Patched),
            &scan(ScanVerdict::Vulnerable, Some("patched")),
        )
        .unwrap();
        assert!(re.reopened);
        // Patching does not evict an attacker.
        assert_eq!(
            next(
                Some(Compromised),
                &scan(ScanVerdict::Patched, Some("vulnerable"))
            ),
            None
        );
        assert_eq!(
            next(Some(Compromised), &Event::Notified { notification_id: 1 }),
            None
        );
        assert_eq!(next(None, &scan(ScanVerdict::NotExchange, None)), None);
        assert_eq!(next(Some(Clean), &hunt(Verdict::NoIndicatorsFound)), None);
    }

    #[test]
    fn verification_outcomes_of_a_notified_host() {
        use HostState::*;
        for awaiting in AWAITING_VERIFICATION {
            // Patched between two rounds: the fixed build moves it.
            let tr = next(
                Some(awaiting),
                &scan(ScanVerdict::Patched, Some("vulnerable")),
            )
            .unwrap();
            assert_eq!((tr.to, tr.reopened), (Patched, false));
            // Still vulnerable: no new evidence, it stays notified.
            assert_eq!(
                next(
                    Some(awaiting),
                    &scan(ScanVerdict::Vulnerable, Some("vulnerable"))
                ),
                None
            );
            // Neither an unreachable server nor one that no longer looks like Exchange, nor a
            // build without its SU, claims a fix.
            for v in [
                ScanVerdict::Unreachable,
                ScanVerdict::Error,
                ScanVerdict::NotExchange,
                ScanVerdict::SuUnknown,
                ScanVerdict::ExchangeUnknownBuild,
            ] {
                assert_eq!(
                    next(Some(awaiting), &scan(v, Some("vulnerable"))),
                    None,
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn reached_bits_imply_hunted() {
        assert_eq!(
            HostState::Compromised.reached_bits() & HostState::Hunted.bit(),
            HostState::Hunted.bit()
        );
        assert_eq!(HostState::parse("remediated"), Some(HostState::Remediated));
        assert_eq!(HostState::parse("bogus"), None);
    }
}
