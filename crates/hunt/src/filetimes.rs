//! Honest file times in the report: each evidence root's collection is judged (times kept by
//! the collection, or one copy time; see [`exray_files::times`]), every file finding says whether
//! its times can be trusted, and a time that cannot is taken off the finding, so the timeline and
//! the incidents use it for nothing.

use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, Utc};
use exray_core::{Finding, SourceCoverage, SourceKind};
use exray_files::times::{judge_collection, judge_file, Collection};
use exray_files::SweepRoot;

/// One evidence root: the plan entries swept under it, and what their times say.
pub struct Judged {
    pub plan: Range<usize>,
    pub collection: Collection,
}

/// Judge each evidence root's collection from the modification times the sweep saw.
pub fn judge(
    groups: &[Range<usize>],
    mtimes: &[Vec<i64>],
    last_record: Option<DateTime<Utc>>,
) -> Vec<Judged> {
    groups
        .iter()
        .map(|g| {
            let all: Vec<i64> = mtimes
                .get(g.clone())
                .unwrap_or_default()
                .iter()
                .flatten()
                .copied()
                .collect();
            Judged {
                plan: g.clone(),
                collection: judge_collection(&all, last_record),
            }
        })
        .collect()
}

/// The last record time of the logs and events read (the collection was made after it).
pub fn last_record<'a>(
    coverage: impl Iterator<Item = &'a SourceCoverage>,
) -> Option<DateTime<Utc>> {
    coverage
        .filter(|c| c.source != SourceKind::FileSystem && c.records > 0)
        .filter_map(|c| c.last)
        .max()
}

/// Put each collection's verdict on the coverage rows of its folders (`coverage` holds one row
/// per distinct plan path, in plan order, as the sweep makes them) and warn when a collection's
/// times are a copy's.
pub fn annotate(
    plan: &[SweepRoot],
    judged: &[Judged],
    coverage: &mut [SourceCoverage],
    warnings: &mut Vec<String>,
) {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<usize> = (0..plan.len())
        .filter(|&i| seen.insert(&plan[i].path))
        .collect();
    for (row, &i) in coverage.iter_mut().zip(&rows) {
        if let Some(j) = judged.iter().find(|j| j.plan.contains(&i)) {
            row.notes.push(j.collection.describe());
        }
    }
    for j in judged {
        if let Collection::Copied { .. } = j.collection {
            let shown = plan
                .get(j.plan.start)
                .map(|r| r.display.as_str())
                .unwrap_or("the swept folders");
            warnings.push(format!(
                "{shown} and the folders swept with it: {}",
                j.collection.describe()
            ));
        }
    }
}

/// Judge the times of every file finding: the evidence says whether its times can be trusted,
/// and a time that cannot is taken off the evidence and the finding.
pub fn apply(
    findings: &mut [Finding],
    plan: &[SweepRoot],
    judged: &[Judged],
    last_record: Option<DateTime<Utc>>,
) {
    let now = Utc::now();
    let unjudged = Collection::TooFew { files: 0 };
    for f in findings.iter_mut() {
        let mut touched = false;
        for ev in f.evidence.iter_mut() {
            if ev.source != SourceKind::FileSystem {
                continue;
            }
            let Some(info) = ev.file_info.as_mut() else {
                continue;
            };
            let collection = ev
                .fields
                .get("path")
                .and_then(|p| plan_of(plan, Path::new(p)))
                .and_then(|i| judged.iter().find(|j| j.plan.contains(&i)))
                .map_or(&unjudged, |j| &j.collection);
            let (used, times) =
                judge_file(info.modified, info.created, collection, last_record, now);
            info.times = Some(times);
            ev.timestamp = used;
            touched = true;
        }
        if touched {
            let times = f.evidence.iter().filter_map(|e| e.timestamp);
            f.first_seen = times.clone().min();
            f.last_seen = times.max();
        }
    }
}

/// The plan entry a file was swept under (the deepest folder holding it).
fn plan_of(plan: &[SweepRoot], path: &Path) -> Option<usize> {
    plan.iter()
        .enumerate()
        .filter(|(_, r)| path.starts_with(&r.path))
        .max_by_key(|(_, r)| r.path.components().count())
        .map(|(i, _)| i)
}
