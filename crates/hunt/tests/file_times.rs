//! Honest file times: a collection that kept its files' times gives file findings their times
//! (marked preserved); a collection whose files all share one copy time gives them none (marked
//! copy time), so the timeline and the incidents use them for nothing, and the report says so.
//! The trees are the generated sample with its times set on a temporary copy.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use exray_core::{Report, SourceKind, TimesTrust};
use exray_hunt::{run, HuntOptions};

fn hunt(path: &Path) -> Report {
    run(
        &HuntOptions {
            path: path.to_path_buf(),
            threads: 2,
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

fn set_mtime(p: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn files(root: &Path) -> Vec<PathBuf> {
    exray_hunt::discover::walk(root, 20)
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

/// The sample plus thirty ordinary files in ProgramData, so the collection can be judged.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let c = dir.path().join("C");
    let vendor = c.join("ProgramData/Contoso/Agent");
    std::fs::create_dir_all(&vendor).unwrap();
    for i in 0..30 {
        std::fs::write(vendor.join(format!("state{i}.txt")), format!("ok {i}\n")).unwrap();
    }
    dir
}

fn file_evidence(r: &Report) -> Vec<(&str, Option<DateTime<Utc>>, TimesTrust)> {
    r.findings
        .iter()
        .flat_map(|f| f.evidence.iter())
        .filter(|e| e.source == SourceKind::FileSystem)
        .map(|e| {
            let t = e
                .file_info
                .as_ref()
                .and_then(|i| i.times.as_ref())
                .expect("every file finding says whether its times can be trusted");
            (e.file.as_str(), e.timestamp, t.trust)
        })
        .collect()
}

fn sys(t: DateTime<Utc>) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64)
}

#[test]
fn times_kept_by_the_collection_are_used_and_marked_preserved() {
    let dir = tree();
    let c = dir.path().join("C");
    // Spread over a year, the way a server's files are.
    let base = Utc.with_ymd_and_hms(2020, 4, 1, 8, 0, 0).unwrap();
    for (i, p) in files(&c.join("ProgramData/Contoso")).iter().enumerate() {
        set_mtime(p, sys(base + chrono::Duration::days(9 * i as i64)));
    }
    let dumped = Utc.with_ymd_and_hms(2021, 3, 3, 5, 10, 0).unwrap();
    set_mtime(&c.join("root/lsass.dmp"), sys(dumped));
    set_mtime(
        &c.join("ProgramData/VMware/log.7z"),
        sys(dumped + chrono::Duration::minutes(5)),
    );
    set_mtime(&c.join("inetpub/wwwroot/web.config"), sys(base));
    let r = hunt(dir.path());
    let ev = file_evidence(&r);
    assert!(ev.len() >= 3, "{ev:?}");
    for (file, t, trust) in &ev {
        assert_eq!(*trust, TimesTrust::Preserved, "{file}");
        assert!(t.is_some(), "{file}");
    }
    let dump = ev
        .iter()
        .find(|(f, _, _)| f.ends_with("lsass.dmp"))
        .unwrap();
    assert_eq!(dump.1, Some(dumped));
    assert!(
        r.coverage
            .iter()
            .filter(|c| c.source == SourceKind::FileSystem)
            .all(|c| c
                .notes
                .iter()
                .any(|n| n.contains("preserved by the collection"))),
        "{:?}",
        r.coverage
    );
    assert!(!r.warnings.iter().any(|w| w.contains("a copy time")));
}

#[test]
fn one_copy_time_is_used_for_nothing_and_said() {
    let dir = tree();
    // A plain copy: every file written within a few seconds, long after the logs end.
    let copy = Utc::now() - chrono::Duration::hours(2);
    for (i, p) in files(dir.path()).iter().enumerate() {
        set_mtime(p, sys(copy + chrono::Duration::seconds(i as i64 % 6)));
    }
    let r = hunt(dir.path());
    let ev = file_evidence(&r);
    assert!(ev.len() >= 3, "{ev:?}");
    for (file, t, trust) in &ev {
        assert_eq!(*trust, TimesTrust::CopyTime, "{file}");
        assert_eq!(*t, None, "{file}: a copy time must not reach the timeline");
    }
    // No file finding carries a time, so none is placed in time in an incident.
    for f in &r.findings {
        if f.evidence
            .iter()
            .all(|e| e.source == SourceKind::FileSystem)
        {
            assert_eq!(f.first_seen, None, "{}", f.rule_id);
            assert_eq!(f.last_seen, None, "{}", f.rule_id);
            for i in &r.incidents {
                for s in i.story.iter().filter(|s| s.finding == f.id) {
                    assert_eq!(s.time, None);
                }
            }
        }
    }
    // The shell is still found (and still joined to its requests by name), untimed.
    assert!(r
        .findings
        .iter()
        .any(|f| f.evidence.iter().any(|e| e.file.ends_with(".aspx")) && f.incident.is_some()));
    assert!(
        r.warnings.iter().any(|w| w.contains("a copy time")),
        "{:?}",
        r.warnings
    );
    assert!(r
        .coverage
        .iter()
        .filter(|c| c.source == SourceKind::FileSystem)
        .any(|c| c.notes.iter().any(|n| n.contains("a copy time"))));
}
