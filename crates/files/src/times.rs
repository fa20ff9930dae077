//! Honest file times: can the modification and birth times of the swept files be trusted, or
//! are they the time the evidence was copied?
//!
//! A collection that keeps times (KAPE, robocopy `/COPY:DAT`, a disk image, the live server)
//! shows file times spread over the server's life. A plain copy, an archive extracted without
//! times, or a git checkout gives most files one time: the copy's. The heuristic, per evidence
//! root (one system root and the folders swept under it):
//!
//! 1. **Collection.** Take the modification times of every swept file. With fewer than
//!    [`MIN_FILES`] the collection cannot be judged (*unknown*). Otherwise find the window of
//!    [`CLUSTER_SECS`] holding the most of them: when it holds at least [`CLUSTER_SHARE`] of the
//!    files, and starts no earlier than an hour before the last log or event record read (the
//!    copy is made after the logs end; a mass write the logs outlive, such as an update, is
//!    real), the collection's times are a **copy time**. Else they are **preserved**.
//! 2. **File.** Each time of a file (modified, created) is dropped when it is implausible (before
//!    1995 or in the future), falls inside the copy window of a copied collection, is later than
//!    the last log record by more than an hour (written when or after the evidence was
//!    collected), or, for the birth time, is later than the modification time (a copy that kept
//!    the write time but not the birth time). What is left is used, marked *preserved* or
//!    *unknown* with its collection; a file with no time left is *copy time*, and its time is
//!    used for nothing: not the timeline, not the incidents, not the exploitation window.

use chrono::{DateTime, Utc};
use exray_core::{FileTimes, TimesTrust};

/// Fewer swept files than this: the collection's times cannot be judged.
pub const MIN_FILES: usize = 20;
/// Width of the window a copy writes its files in.
pub const CLUSTER_SECS: i64 = 600;
/// Share of the files inside that window that makes it a copy time.
pub const CLUSTER_SHARE: f64 = 0.8;
/// Slack around the last log record.
const LOG_SLACK_SECS: i64 = 3600;
/// 1995-01-01: earlier times are placeholders (zero FILETIMEs, broken clocks).
const PLAUSIBLE_FROM: i64 = 788_918_400;

/// What the times of one evidence root's files say about the collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Collection {
    /// Fewer than [`MIN_FILES`] files: cannot be judged.
    TooFew { files: usize },
    /// Times spread out (or their cluster is before the last log record): kept by the collection.
    Preserved { files: usize },
    /// Most files share one time, at or after the last log record: the copy's.
    Copied {
        files: usize,
        in_window: usize,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

impl Collection {
    /// One sentence for the report's coverage notes.
    pub fn describe(&self) -> String {
        match self {
            Collection::TooFew { files } => format!(
                "file times: {files} file(s), too few to tell whether the collection kept their times (each file's times are checked on their own)"
            ),
            Collection::Preserved { files } => format!(
                "file times: preserved by the collection (the modification times of {files} files are spread out, not one copy time)"
            ),
            Collection::Copied {
                files,
                in_window,
                start,
                end,
            } => format!(
                "file times: a copy time, not the server's: {in_window} of {files} files were modified between {} and {} ({} s), after the last log record; file times in that window are used for nothing (timeline, incidents, exploitation window)",
                start.format("%Y-%m-%d %H:%M:%S UTC"),
                end.format("%Y-%m-%d %H:%M:%S UTC"),
                (*end - *start).num_seconds()
            ),
        }
    }
}

/// Judge a collection from its files' modification times (seconds since the epoch) and the
/// last log or event record read (if any).
pub fn judge_collection(mtimes: &[i64], last_record: Option<DateTime<Utc>>) -> Collection {
    let files = mtimes.len();
    if files < MIN_FILES {
        return Collection::TooFew { files };
    }
    let mut t = mtimes.to_vec();
    t.sort_unstable();
    // The densest window of CLUSTER_SECS (two pointers over the sorted times).
    let (mut best, mut best_at) = (0usize, 0usize);
    let mut lo = 0;
    for hi in 0..t.len() {
        while t[hi] - t[lo] > CLUSTER_SECS {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            best_at = lo;
        }
    }
    let (start, end) = (t[best_at], t[best_at + best - 1]);
    let share = best as f64 / files as f64;
    let after_logs = last_record.is_none_or(|l| start >= l.timestamp() - LOG_SLACK_SECS);
    match (
        share >= CLUSTER_SHARE && after_logs,
        DateTime::from_timestamp(start, 0),
        DateTime::from_timestamp(end, 0),
    ) {
        (true, Some(start), Some(end)) => Collection::Copied {
            files,
            in_window: best,
            start,
            end,
        },
        _ => Collection::Preserved { files },
    }
}

/// A file's times that pass its checks: (modification, birth), each dropped with its reason.
fn screen(
    modified: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    collection: &Collection,
    last_record: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Vec<String>) {
    let mut reasons: Vec<String> = Vec::new();
    let mut check = |t: Option<DateTime<Utc>>, what: &str| -> Option<DateTime<Utc>> {
        let t = t?;
        let s = t.timestamp();
        let why = if s < PLAUSIBLE_FROM || s > now.timestamp() + 86_400 {
            Some("implausible".to_string())
        } else if let Collection::Copied { start, end, .. } = collection {
            (s >= start.timestamp() - 1 && s <= end.timestamp() + 1)
                .then(|| "inside the collection's copy window".to_string())
        } else {
            None
        }
        .or_else(|| {
            last_record
                .filter(|l| s > l.timestamp() + LOG_SLACK_SECS)
                .map(|l| {
                    format!(
                        "after the last log record ({}): when the evidence was collected or later",
                        l.format("%Y-%m-%d %H:%M UTC")
                    )
                })
        });
        match why {
            Some(w) => {
                reasons.push(format!("{what} time {w}"));
                None
            }
            None => Some(t),
        }
    };
    let m = check(modified, "modification");
    let mut c = check(created, "birth");
    if let (Some(cr), Some(mo)) = (c, m) {
        if cr.timestamp() > mo.timestamp() + 1 {
            reasons.push(
                "birth time after the modification time: a copy that kept the write time".into(),
            );
            c = None;
        }
    }
    (m, c, reasons)
}

/// The times of a file that may be used (modification, birth), by the file's own checks and its
/// collection's verdict.
pub fn kept_times(
    modified: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    collection: &Collection,
    last_record: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> [Option<DateTime<Utc>>; 2] {
    let (m, c, _) = screen(modified, created, collection, last_record, now);
    [m, c]
}

/// Judge one file's times. Returns the time the timeline may use (the earliest time kept) and
/// the verdict with its reason.
pub fn judge_file(
    modified: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    collection: &Collection,
    last_record: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, FileTimes) {
    let (m, c, reasons) = screen(modified, created, collection, last_record, now);
    let used = match (m, c) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let trust = match (used, collection) {
        (None, _) => TimesTrust::CopyTime,
        (Some(_), Collection::Preserved { .. }) => TimesTrust::Preserved,
        (Some(_), _) => TimesTrust::Unknown,
    };
    let reason = match (trust, reasons.is_empty()) {
        (TimesTrust::CopyTime, true) => "no time recorded".to_string(),
        (_, false) => reasons.join("; "),
        (TimesTrust::Preserved, true) => "the collection kept its files' times".to_string(),
        (_, true) => {
            "too few files to judge the collection; this file's times are plausible".to_string()
        }
    };
    (used, FileTimes { trust, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    const MARCH_2021: i64 = 1_614_729_600;
    const NOV_2026: i64 = 1_795_000_000;

    #[test]
    fn one_copy_time_after_the_logs_is_a_copy() {
        let mut m: Vec<i64> = (0..95).map(|i| NOV_2026 + i % 7).collect();
        m.extend((0..5).map(|i| MARCH_2021 + i * 86_400));
        let c = judge_collection(&m, Some(at(MARCH_2021 + 30 * 86_400)));
        assert!(
            matches!(c, Collection::Copied { in_window: 95, .. }),
            "{c:?}"
        );
        let now = at(NOV_2026 + 100);
        let (t, v) = judge_file(Some(at(NOV_2026 + 3)), None, &c, None, now);
        assert_eq!((t, v.trust), (None, TimesTrust::CopyTime));
        // A file outside the copy window keeps its time (the copy preserved it).
        let (t, v) = judge_file(Some(at(MARCH_2021)), None, &c, None, now);
        assert_eq!(t, Some(at(MARCH_2021)));
        assert_eq!(v.trust, TimesTrust::Unknown);
    }

    #[test]
    fn spread_times_are_preserved_and_a_cluster_the_logs_outlive_is_real() {
        let m: Vec<i64> = (0..100).map(|i| MARCH_2021 + i * 3_600).collect();
        assert_eq!(
            judge_collection(&m, None),
            Collection::Preserved { files: 100 }
        );
        // An update rewrote most files at once, and the logs go on for a month after it.
        let m: Vec<i64> = (0..100).map(|i| MARCH_2021 + i).collect();
        let c = judge_collection(&m, Some(at(MARCH_2021 + 30 * 86_400)));
        assert_eq!(c, Collection::Preserved { files: 100 });
        let (t, v) = judge_file(
            Some(at(MARCH_2021 + 5)),
            None,
            &c,
            Some(at(MARCH_2021 + 30 * 86_400)),
            at(NOV_2026),
        );
        assert_eq!(t, Some(at(MARCH_2021 + 5)));
        assert_eq!(v.trust, TimesTrust::Preserved);
    }

    #[test]
    fn too_few_files_leave_each_file_to_its_own_checks() {
        let c = judge_collection(&[NOV_2026; 5], Some(at(MARCH_2021)));
        assert_eq!(c, Collection::TooFew { files: 5 });
        let now = at(NOV_2026 + 10);
        let last = Some(at(MARCH_2021 + 86_400));
        // After the last log record: written when the evidence was collected.
        let (t, v) = judge_file(Some(at(NOV_2026)), None, &c, last, now);
        assert_eq!((t, v.trust), (None, TimesTrust::CopyTime));
        assert!(
            v.reason.contains("after the last log record"),
            "{}",
            v.reason
        );
        // A birth time after the write time is the copy's; the write time is kept.
        let (t, v) = judge_file(Some(at(MARCH_2021)), Some(at(NOV_2026)), &c, None, now);
        assert_eq!(t, Some(at(MARCH_2021)));
        assert_eq!(v.trust, TimesTrust::Unknown);
        assert!(v.reason.contains("birth time"), "{}", v.reason);
        // Placeholders and future times are implausible.
        let (t, _) = judge_file(Some(at(0)), None, &c, None, now);
        assert_eq!(t, None);
        let (t, _) = judge_file(Some(at(NOV_2026 + 10 * 86_400)), None, &c, None, now);
        assert_eq!(t, None);
    }
}
