//! Every input a responder hands over is read: a single file (`exray hunt one.evtx`, one request
//! log) gives the same findings as a folder holding it, and EVTX files are read by the channel
//! their records carry, not by their name (a triage folder whose EVTX files carry collector
//! names gives the same findings as with standard names). EVTX samples come from
//! `../shared/data/evtx` (skipped if absent); request logs are generated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use exray_core::Report;
use exray_hunt::{run, HuntOptions};

fn hunt(p: &Path) -> Report {
    run(
        &HuntOptions {
            path: p.to_path_buf(),
            threads: 2,
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

/// The findings of a report, without the names of the files they were read from: rule,
/// severity, count and every piece of evidence (record or line, time, raw text).
fn findings(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            let mut ev: Vec<String> = f
                .evidence
                .iter()
                .map(|e| format!("{:?} {:?} {:?} {:?}", e.line, e.record, e.timestamp, e.raw))
                .collect();
            ev.sort();
            format!(
                "{} {} {} {}",
                f.rule_id,
                f.severity.as_str(),
                f.count,
                ev.join(" | ")
            )
        })
        .collect();
    out.sort();
    out
}

fn records(r: &Report) -> u64 {
    r.coverage.iter().map(|c| c.records).sum()
}

fn evtx_samples() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/evtx");
    if !dir.exists() {
        eprintln!(
            "skipping: {} absent (the public EVTX samples)",
            dir.display()
        );
        return None;
    }
    let mut out: Vec<PathBuf> = exray_hunt::discover::walk(&dir, 6)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    out.sort();
    Some(out)
}

fn channel_of(p: &Path) -> String {
    let mut f = std::fs::File::open(p).unwrap();
    exray_parse::evtx_source::peek_evtx(&mut f, 8)
        .unwrap()
        .channel
}

#[test]
fn a_single_evtx_gives_the_findings_of_a_folder_holding_it() {
    let Some(samples) = evtx_samples() else {
        return;
    };
    let mut with_findings = 0;
    for s in &samples {
        let alone = hunt(s);
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(s, dir.path().join(s.file_name().unwrap())).unwrap();
        let folder = hunt(dir.path());
        assert_eq!(
            findings(&alone),
            findings(&folder),
            "{}: the file alone and a folder holding it differ",
            s.display()
        );
        assert_eq!(records(&alone), records(&folder), "{}", s.display());
        assert!(
            !alone
                .warnings
                .iter()
                .any(|w| w.contains("skipped: not evidence")),
            "{}: {:?}",
            s.display(),
            alone.warnings
        );
        if !alone.findings.is_empty() {
            with_findings += 1;
        }
    }
    assert!(
        with_findings >= 5,
        "the samples' attacks are found from the file alone ({with_findings})"
    );
}

#[test]
fn a_single_request_log_gives_the_findings_of_a_folder_holding_it() {
    let sample = tempfile::tempdir().unwrap();
    exray_gen::write_sample(sample.path()).unwrap();
    let logs: Vec<PathBuf> = exray_hunt::discover::walk(sample.path(), 12)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("log")))
        .collect();
    assert!(logs.len() >= 8, "{logs:?}");
    let mut with_findings = 0;
    for log in &logs {
        let alone = hunt(log);
        assert!(records(&alone) > 0, "{} read alone", log.display());
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(log, dir.path().join(log.file_name().unwrap())).unwrap();
        let folder = hunt(dir.path());
        assert_eq!(findings(&alone), findings(&folder), "{}", log.display());
        assert_eq!(records(&alone), records(&folder), "{}", log.display());
        if !alone.findings.is_empty() {
            with_findings += 1;
        }
    }
    assert!(with_findings >= 4, "{with_findings} logs gave findings");
}

#[test]
fn a_file_that_is_no_evidence_is_said_to_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, b"nothing to see\n").unwrap();
    let r = hunt(&p);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("1 file(s) skipped") && w.contains("notes.txt")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.verdict, exray_core::Verdict::NotAssessed);
}

/// A name a collector might give a file of this channel.
fn collector_name(channel: &str, i: usize) -> String {
    let base = channel.replace('/', "%4");
    match i % 4 {
        0 => format!("{base}_{}.evtx", 1000 + i),
        1 => format!("EXCH{i:02}-{base}.evtx"),
        2 => format!("{i:02}_{}.evtx", base.replace(' ', "_")),
        _ => format!("evtx_{i}.evtx"),
    }
}

#[test]
fn evtx_files_with_collector_names_give_the_findings_of_standard_names() {
    let Some(samples) = evtx_samples() else {
        return;
    };
    assert_eq!(samples.len(), 20, "the 20 public EVTX samples");
    // Standard names: each file under its channel's own name, one system root per host (a
    // channel has one file per host); collector names: all twenty in one triage folder.
    let standard = tempfile::tempdir().unwrap();
    let renamed = tempfile::tempdir().unwrap();
    let logs = |root: &Path| root.join("C/Windows/System32/winevt/Logs");
    let mut channels: BTreeMap<String, usize> = BTreeMap::new();
    let renamed_logs = logs(&renamed.path().join("triage/EXCH01"));
    std::fs::create_dir_all(&renamed_logs).unwrap();
    for (i, s) in samples.iter().enumerate() {
        let channel = channel_of(s);
        assert!(!channel.is_empty(), "{}", s.display());
        *channels.entry(channel.clone()).or_default() += 1;
        let dir = logs(&standard.path().join(format!("host{i:02}")));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(s, dir.join(format!("{}.evtx", channel.replace('/', "%4")))).unwrap();
        std::fs::copy(s, renamed_logs.join(collector_name(&channel, i))).unwrap();
    }
    let a = hunt(standard.path());
    let b = hunt(renamed.path());
    assert_eq!(a.summary.input_errors, 0, "{:?}", a.errors);
    assert_eq!(b.summary.input_errors, 0, "{:?}", b.errors);
    assert!(a.findings.len() >= 5, "{:?}", findings(&a));
    let (fa, fb) = (findings(&a), findings(&b));
    let short = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|f| f.chars().take(60).collect::<String>())
            .collect()
    };
    assert_eq!(records(&a), records(&b));
    assert!(
        fa == fb,
        "standard: {:?}\nrenamed: {:?}",
        short(&fa),
        short(&fb)
    );
    // What was not read is listed, with its channel, in both.
    let skipped = |r: &Report| -> Vec<String> {
        r.coverage
            .iter()
            .filter(|c| {
                c.location
                    .ends_with(exray_hunt::detect::events::SKIPPED_SUFFIX)
            })
            .flat_map(|c| c.notes.iter().cloned())
            .collect()
    };
    let read_all = channels
        .keys()
        .all(|c| exray_hunt::eventrules::EventRules::builtin().reads(c, &[]));
    if !read_all {
        assert!(!skipped(&a).is_empty() && !skipped(&b).is_empty());
    }
    eprintln!(
        "channels of the samples: {channels:?}; skipped: {:?}",
        skipped(&b)
    );
}

#[test]
fn an_evtx_of_a_channel_no_rule_reads_is_skipped_and_listed() {
    let Some(samples) = evtx_samples() else {
        return;
    };
    // A rule set that reads only one channel: every other file is skipped, named, with its
    // channel, and its records are not counted.
    let rules = exray_hunt::eventrules::EventRules::parse(
        "read_channels = [\"MSExchange Management\"]\n",
        "test",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("C/Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut kept = 0;
    for (i, s) in samples.iter().enumerate() {
        if channel_of(s) == "MSExchange Management" {
            kept += 1;
        }
        std::fs::copy(s, logs.join(format!("f{i}.evtx"))).unwrap();
    }
    let r = run(
        &HuntOptions {
            path: dir.path().to_path_buf(),
            threads: 2,
            event_rules: Some(rules),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let row = r
        .coverage
        .iter()
        .find(|c| {
            c.location
                .ends_with(exray_hunt::detect::events::SKIPPED_SUFFIX)
        })
        .expect("a coverage row lists the files not read");
    assert_eq!(row.records, 0);
    let listed = row.notes.join("; ");
    assert!(listed.contains("channel Security"), "{listed}");
    assert_eq!(
        listed.matches(".evtx: channel").count(),
        samples.len() - kept,
        "{listed}"
    );
    let read = r
        .coverage
        .iter()
        .filter(|c| c.source.as_str() == "evtx" && c.records > 0)
        .count();
    assert_eq!(read, kept);
}

#[test]
fn a_zip_of_evtx_files_gives_their_findings_and_names_what_it_skips() {
    use std::io::Write;
    let Some(samples) = evtx_samples() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (i, s) in samples.iter().enumerate() {
        let name = format!("evtx/{i:02}.evtx");
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(&std::fs::read(s).unwrap()).unwrap();
        std::fs::copy(s, plain.join(format!("{i:02}.evtx"))).unwrap();
    }
    w.start_file("README.txt", opts).unwrap();
    w.write_all(b"collected by a responder\n").unwrap();
    let zipped = dir.path().join("collection.zip");
    std::fs::write(&zipped, w.finish().unwrap().into_inner()).unwrap();
    let a = hunt(&plain);
    let b = hunt(&zipped);
    assert!(!a.findings.is_empty());
    assert_eq!(findings(&a), findings(&b));
    assert_eq!(records(&a), records(&b));
    assert!(
        b.coverage.iter().any(|c| c
            .notes
            .iter()
            .any(|n| n.contains("1 entries not read") && n.contains("README.txt"))),
        "{:?}",
        b.coverage
    );
}

/// Request logs handed over zipped (IIS and HttpProxy, recognised by their first bytes) give the
/// findings and records the same logs give as files; an ECP server log in the zip is named.
#[test]
fn a_zip_of_request_logs_gives_the_findings_of_the_logs() {
    use std::io::Write;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/compromised-exchange/C");
    let v15 = sample.join("Program Files/Microsoft/Exchange Server/V15/Logging");
    let logs: Vec<(PathBuf, String)> = vec![
        (
            sample.join("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"),
            "W3SVC1/u_ex210303.log".into(),
        ),
        (
            v15.join("HttpProxy/Owa/HttpProxy_2021030300-1.LOG"),
            "HttpProxy/Owa/HttpProxy_2021030300-1.LOG".into(),
        ),
        (
            v15.join("HttpProxy/Ecp/HttpProxy_2021030300-1.LOG"),
            "HttpProxy/Ecp/HttpProxy_2021030300-1.LOG".into(),
        ),
        (
            v15.join("HttpProxy/Autodiscover/HttpProxy_2021030300-1.LOG"),
            "HttpProxy/Autodiscover/HttpProxy_2021030300-1.LOG".into(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (src, rel) in &logs {
        let data = std::fs::read(src).unwrap();
        let to = plain.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, &data).unwrap();
        // In the zip under names that say nothing: the first bytes decide.
        w.start_file(format!("logs/{}", rel.replace('/', "_")), opts)
            .unwrap();
        w.write_all(&data).unwrap();
    }
    w.start_file("logs/ECPServer2021030300-1.LOG", opts)
        .unwrap();
    w.write_all(&std::fs::read(v15.join("ECP/Server/ECPServer2021030300-1.LOG")).unwrap())
        .unwrap();
    let zipped = dir.path().join("triage.zip");
    std::fs::write(&zipped, w.finish().unwrap().into_inner()).unwrap();
    let a = hunt(&plain);
    let b = hunt(&zipped);
    assert!(
        a.findings.iter().any(|f| f.severity.as_str() == "critical"),
        "the sample's logs hold critical findings"
    );
    assert_eq!(findings(&a), findings(&b));
    assert_eq!(records(&a), records(&b));
    assert_eq!(a.verdict, b.verdict);
    assert!(
        b.coverage.iter().any(|c| c
            .notes
            .iter()
            .any(|n| n.contains("1 entries not read") && n.contains("ECPServer"))),
        "{:?}",
        b.coverage
    );
}
