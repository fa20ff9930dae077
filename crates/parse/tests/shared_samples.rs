//! The parsers on the real-format public samples in `../shared/data` (skipped where absent).

use std::fs::File;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use exray_parse::httpproxy::{Col, HttpProxyParser, LineType};
use exray_parse::iis::{IisLine, IisParser};
use exray_parse::lines::scan;

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} absent", p.display());
        None
    }
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case(ext))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn httpproxy_samples_parse_with_their_headers() {
    let Some(dir) = shared("logs/exchange-format-samples/derived-log-samples") else {
        return;
    };
    let ac = AhoCorasick::new(["\n"]).unwrap(); // deliver every line
    let mut files = 0;
    for f in files_under(&dir, "log") {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if !name.contains("__HttpProxy_") {
            continue;
        }
        files += 1;
        let mut p = HttpProxyParser::new();
        let mut records = 0;
        let mut with_ip = 0;
        scan(File::open(&f).unwrap(), &ac, |l| {
            if p.feed(l.bytes) == LineType::Record {
                records += 1;
                assert!(
                    p.timestamp().is_some(),
                    "{name}:{} DateTime parses",
                    l.number
                );
                if !p.get(Col::ClientIpAddress).is_empty() {
                    with_ip += 1;
                }
            }
            Ok(())
        })
        .unwrap();
        assert!(p.saw_header(), "{name}: #Fields header recognised");
        assert!(records > 0, "{name}: has records");
        assert!(with_ip > 0, "{name}: ClientIpAddress column found");
    }
    assert!(files >= 8, "all HttpProxy protocol samples read ({files})");
}

#[test]
fn iis_samples_are_classified() {
    let Some(dir) = shared("logs/iis-formats/brianary-scripts/test/data") else {
        return;
    };
    let ac = AhoCorasick::new(["\n"]).unwrap();
    for (file, expect) in [
        ("ex010320.log", IisLine::NotW3c),
        ("pf040903.log", IisLine::NotWebLog),
        ("ex031118.log", IisLine::Record),
        ("ex960101.log", IisLine::Record),
        ("u_ex100815.log", IisLine::Record),
        ("u_ex160110.log", IisLine::Record),
    ] {
        let mut p = IisParser::new();
        let mut kinds = Vec::new();
        let mut stamps = 0;
        scan(File::open(dir.join(file)).unwrap(), &ac, |l| {
            let k = p.feed(l.bytes);
            if k == IisLine::Record {
                assert!(
                    !p.get(exray_parse::iis::Field::UriStem).is_empty(),
                    "{file}:{}",
                    l.number
                );
                if p.timestamp().is_some() {
                    stamps += 1;
                }
            }
            if k != IisLine::Header && k != IisLine::Empty {
                kinds.push(k);
            }
            Ok(())
        })
        .unwrap();
        assert!(kinds.iter().all(|k| *k == expect), "{file}: {kinds:?}");
        if expect == IisLine::Record {
            assert_eq!(stamps, kinds.len(), "{file}: every record has a timestamp");
        }
    }
}

#[test]
fn every_shared_evtx_file_reads() {
    let Some(dir) = shared("evtx") else {
        return;
    };
    let mut total = 0;
    let mut cmdlet_events = 0;
    for f in files_under(&dir, "evtx") {
        let file = std::fs::File::open(&f).unwrap();
        let size = file.metadata().unwrap().len();
        let sum = exray_parse::evtx_source::read_evtx(file, size, u64::MAX, |e| {
            if e.provider == "MSExchange CmdletLogs" {
                cmdlet_events += 1;
                assert!(!e.strings.is_empty() || !e.data.is_empty());
            }
            assert!(e.timestamp.is_some());
        })
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(sum.records > 0, "{}", f.display());
        total += sum.records;
    }
    assert!(total > 100);
    assert!(
        cmdlet_events > 0,
        "the MSExchange Management sample has cmdlet events"
    );
}

/// An EVTX file cut inside its chunk (a crash, a partial copy): the damage is reported with its
/// offset, and the records before the cut are still read.
#[test]
fn a_cut_evtx_file_yields_its_intact_records() {
    let Some(dir) = shared("evtx/evtx-attack-samples/Credential Access") else {
        return;
    };
    let full = std::fs::read(dir.join("sysmon_10_11_lsass_memdump.evtx")).unwrap();
    let read = |bytes: &[u8]| {
        let t = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(t.path(), bytes).unwrap();
        let f = std::fs::File::open(t.path()).unwrap();
        let mut ids = Vec::new();
        let sum = exray_parse::evtx_source::read_evtx(f, bytes.len() as u64, u64::MAX, |e| {
            ids.push(e.record_id)
        })
        .unwrap();
        (sum, ids)
    };
    let (whole, all_ids) = read(&full);
    assert!(whole.damage.is_none());
    let (cut, ids) = read(&full[..40_000]);
    let damage = cut.damage.expect("the cut is reported");
    assert!(damage.contains("offset 40000"), "{damage}");
    assert!(!ids.is_empty(), "no record read before the cut");
    assert_eq!(
        ids[..],
        all_ids[..ids.len()],
        "the intact records, in order"
    );
}
