//! Zipped evidence: JSON-lines event exports, EVTX files and request logs (IIS, HttpProxy,
//! recognised by their first bytes), read within caps ([`ZIP_CAPS`]): entries per archive (counted
//! from the end-of-central-directory record before the directory is loaded), bytes per entry,
//! per archive and per hunt, and the compression ratio of an entry. Entries whose data overlap
//! another's are refused. Every cap is reported when it is hit. An archive is one coverage row,
//! whatever the number of its entries.

use std::collections::HashSet;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::Ordering;

use exray_core::SourceKind;
use exray_files::evidence::{human, ZipCaps, ZIP_CAPS};
use exray_parse::prefilter::OwnedPat;

use super::Ctx;

/// Hunt a zip of event exports, EVTX files and request logs with the product's caps.
pub fn hunt_zip<R: Read + Seek>(
    file: R,
    size: u64,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
) {
    hunt_zip_with(file, size, display, ctx, &ZIP_CAPS, iocs)
}

const EOCD: &[u8] = b"PK\x05\x06";
const EOCD64: &[u8] = b"PK\x06\x06";
const EOCD64_LOCATOR: &[u8] = b"PK\x06\x07";

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |a, x| (a << 8) | u64::from(*x))
}

/// The number of entries an archive declares, from its end-of-central-directory record (or the
/// ZIP64 one), read from the last 64 KiB.
pub fn declared_entries<R: Read + Seek>(r: &mut R, size: u64) -> Result<u64, String> {
    let tail_len = size.min(65_557 + 20);
    let mut tail = vec![0u8; tail_len as usize];
    r.seek(SeekFrom::Start(size - tail_len))
        .and_then(|_| r.read_exact(&mut tail))
        .map_err(|e| e.to_string())?;
    let at = memchr::memmem::rfind(&tail, EOCD)
        .filter(|i| i + 22 <= tail.len())
        .ok_or("no end-of-central-directory record")?;
    let entries = le(&tail[at + 10..at + 12]);
    if entries != 0xFFFF && le(&tail[at + 12..at + 16]) != 0xFFFF_FFFF {
        return Ok(entries);
    }
    // ZIP64: the locator sits just before the record and points at the ZIP64 record.
    let loc = at
        .checked_sub(20)
        .filter(|l| &tail[*l..l + 4] == EOCD64_LOCATOR)
        .ok_or("ZIP64 archive without its locator")?;
    let rec = le(&tail[loc + 8..loc + 16]);
    let mut head = [0u8; 56];
    r.seek(SeekFrom::Start(rec))
        .and_then(|_| r.read_exact(&mut head))
        .map_err(|e| format!("ZIP64 record: {e}"))?;
    if &head[..4] != EOCD64 {
        return Err("ZIP64 record not where its locator says".into());
    }
    Ok(le(&head[32..40]))
}

/// A reader that stops at `limit` bytes and remembers whether there was more.
struct Capped<R> {
    inner: R,
    n: u64,
    limit: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.n >= self.limit {
            if !self.hit {
                let mut one = [0u8; 1];
                self.hit = self.inner.read(&mut one)? > 0;
            }
            return Ok(0);
        }
        let want = buf
            .len()
            .min((self.limit - self.n).min(usize::MAX as u64) as usize);
        let got = self.inner.read(&mut buf[..want])?;
        self.n += got as u64;
        Ok(got)
    }
}

fn is_export(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".json", ".jsonl", ".ndjson"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// [`hunt_zip`] with chosen caps (tests use small ones).
pub fn hunt_zip_with<R: Read + Seek>(
    mut file: R,
    size: u64,
    display: &str,
    ctx: &mut Ctx<'_>,
    caps: &ZipCaps,
    iocs: &[OwnedPat],
) {
    let refuse = |ctx: &mut Ctx<'_>, msg: String| {
        ctx.error(display, None, None, msg);
        let c = ctx.cov(SourceKind::EventJson, display);
        c.errors += 1;
    };
    match declared_entries(&mut file, size) {
        Ok(n) if n > caps.entries as u64 => {
            return refuse(
                ctx,
                format!(
                    "zip lists {n} entries: more than the cap of {} per archive; not read",
                    caps.entries
                ),
            );
        }
        Ok(_) => {}
        Err(e) => return refuse(ctx, format!("not a readable zip: {e}")),
    }
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        return refuse(ctx, format!("read error: {e}"));
    }
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(e) => return refuse(ctx, format!("not a readable zip: {e}")),
    };
    let refused = overlapping(&mut archive, display, ctx);
    let mut archive_read = 0u64;
    let mut skipped: Vec<String> = Vec::new();
    for i in 0..archive.len() {
        if refused.contains(&i) {
            continue;
        }
        let entry = match archive.by_index(i) {
            Ok(en) => en,
            Err(e) => {
                ctx.error(display, None, None, format!("zip entry {i}: {e}"));
                continue;
            }
        };
        let name = entry.name().to_string();
        let evtx = name.to_ascii_lowercase().ends_with(".evtx");
        if entry.is_dir() {
            continue;
        }
        let log = name.to_ascii_lowercase().ends_with(".log");
        if !is_export(&name) && !evtx && !log {
            skipped.push(name);
            continue;
        }
        let inner = format!("{display}!{name}");
        let ratio_cap = (1u64 << 20).max(entry.compressed_size().saturating_mul(caps.ratio));
        // The entry's bytes are reserved from the hunt's budget before it is read (workers read
        // archives in parallel); what it did not use is given back after.
        let (limit, why) = loop {
            let used = ctx.zip_bytes.load(Ordering::Relaxed);
            let (limit, why) = [
                (
                    caps.entry_bytes,
                    format!("{} per entry", human(caps.entry_bytes)),
                ),
                (
                    caps.archive_bytes.saturating_sub(archive_read),
                    format!("{} per archive", human(caps.archive_bytes)),
                ),
                (
                    caps.hunt_bytes.saturating_sub(used),
                    format!("{} from archives per hunt", human(caps.hunt_bytes)),
                ),
                (
                    ratio_cap,
                    format!(
                        "a compression ratio of {}:1 ({} compressed)",
                        caps.ratio,
                        human(entry.compressed_size())
                    ),
                ),
            ]
            .into_iter()
            .min_by_key(|(l, _)| *l)
            .expect("four caps");
            if ctx
                .zip_bytes
                .compare_exchange(used, used + limit, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                break (limit, why);
            }
        };
        if limit == 0 {
            ctx.error(
                &inner,
                None,
                None,
                format!("not read: the cap of {why} was reached"),
            );
            ctx.cov(SourceKind::EventJson, display).errors += 1;
            continue;
        }
        let mut capped = Capped {
            inner: entry,
            n: 0,
            limit,
            hit: false,
        };
        if log {
            hunt_log_entry(
                &mut capped,
                &inner,
                &name,
                display,
                ctx,
                iocs,
                &mut skipped,
                &why,
            );
            archive_read += capped.n;
            ctx.zip_bytes.fetch_sub(limit - capped.n, Ordering::AcqRel);
            continue;
        }
        if evtx {
            let mut data = Vec::new();
            match capped.read_to_end(&mut data) {
                Ok(_) if !capped.hit => super::events::evtx_buffer(data, &inner, display, ctx),
                Ok(_) => {}
                Err(e) => ctx.error(&inner, None, None, format!("read error: {e}")),
            }
        } else {
            super::events::json_stream(BufReader::new(&mut capped), &inner, display, ctx);
        }
        archive_read += capped.n;
        ctx.zip_bytes.fetch_sub(limit - capped.n, Ordering::AcqRel);
        ctx.cov(SourceKind::EventJson, display).bytes += capped.n;
        if capped.hit {
            ctx.error(
                &inner,
                None,
                None,
                format!(
                    "read to {} only: the cap of {why}; the rest of the entry was not read",
                    human(limit)
                ),
            );
            ctx.cov(SourceKind::EventJson, display).errors += 1;
        }
    }
    if !skipped.is_empty() {
        let n = skipped.len();
        skipped.truncate(5);
        ctx.cov(SourceKind::EventJson, display).notes.push(format!(
            "{n} entries not read (neither JSON-lines event exports, EVTX files nor IIS or HttpProxy logs), e.g. {}",
            skipped.join(", ")
        ));
    }
}

/// One `.log` entry: hunted as an IIS or HttpProxy log when its first bytes say it is one and its
/// encoding can be read line by line; otherwise named (in `skipped`, or as an input error).
#[allow(clippy::too_many_arguments)]
fn hunt_log_entry<R: Read>(
    capped: &mut Capped<R>,
    inner: &str,
    name: &str,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
    skipped: &mut Vec<String>,
    why: &str,
) {
    let mut head = Vec::with_capacity(4096);
    if let Err(e) = (&mut *capped).take(4096).read_to_end(&mut head) {
        ctx.error(inner, None, None, format!("read error: {e}"));
        ctx.cov(SourceKind::EventJson, display).errors += 1;
        return;
    }
    let kind = crate::discover::sniff_head(&head)
        .filter(|k| matches!(k, SourceKind::Iis | SourceKind::HttpProxy));
    if let Some(problem) = super::encoding_problem(&head) {
        // As for a loose log: named with the reason, and its folder cannot vouch for its period.
        ctx.error(inner, None, None, problem);
        match kind {
            Some(k) => {
                let c = ctx.cov(k, &super::location_of(inner));
                c.unreadable = true;
                c.errors += 1;
            }
            None => ctx.cov(SourceKind::EventJson, display).errors += 1,
        }
        return;
    }
    let Some(kind) = kind else {
        skipped.push(name.to_string());
        return;
    };
    let before = ctx.current_kind.replace(kind);
    let reader = Box::new(io::Cursor::new(head).chain(&mut *capped));
    let src = super::LogSource::Reader(reader);
    match kind {
        SourceKind::Iis => {
            super::iis::hunt_source(src, inner, ctx, iocs, super::Delivery::Prefiltered)
        }
        _ => super::httpproxy::hunt_source(src, inner, ctx, iocs, super::Delivery::Prefiltered),
    }
    ctx.current_kind = before;
    if capped.hit {
        ctx.error(
            inner,
            None,
            None,
            format!(
                "read to {} only: the cap of {why}; the rest of the entry was not read",
                human(capped.limit)
            ),
        );
        ctx.cov(kind, &super::location_of(inner)).errors += 1;
    }
}

/// Entries whose bytes (local header to end of data) overlap an earlier entry's: refused, each
/// reported. Overlapping entries let a small archive expand to many copies of one member.
fn overlapping<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    display: &str,
    ctx: &mut Ctx<'_>,
) -> HashSet<usize> {
    let mut ranges = Vec::with_capacity(archive.len());
    let mut refused = HashSet::new();
    for i in 0..archive.len() {
        match archive.by_index_raw(i) {
            Ok(f) => ranges.push((
                f.header_start(),
                f.data_start().saturating_add(f.compressed_size()),
                i,
                f.name().to_string(),
            )),
            Err(e) => {
                ctx.error(display, None, None, format!("zip entry {i}: {e}"));
                refused.insert(i);
            }
        }
    }
    ranges.sort();
    let mut end = 0u64;
    let mut reported = 0u64;
    for (s, e, i, name) in ranges {
        if s < end {
            refused.insert(i);
            reported += 1;
            if reported <= 20 {
                ctx.error(
                    &format!("{display}!{name}"),
                    None,
                    None,
                    format!("zip entry overlaps another entry's data (bytes {s}..{e}): refused"),
                );
            }
            ctx.cov(SourceKind::EventJson, display).errors += 1;
        }
        end = end.max(e);
    }
    if reported > 20 {
        ctx.error(
            display,
            None,
            None,
            format!("{} more overlapping zip entries refused", reported - 20),
        );
    }
    refused
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::io::{Cursor, Write};

    use super::*;
    use crate::detect::{Ctx, Window};

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn run(bytes: Vec<u8>, caps: &ZipCaps) -> (u64, Vec<String>, usize) {
        let ips = HashSet::new();
        let rules = crate::eventrules::EventRules::builtin();
        let mut ctx = Ctx::new(Window::default(), &ips, &rules);
        let size = bytes.len() as u64;
        hunt_zip_with(Cursor::new(bytes), size, "x.zip", &mut ctx, caps, &[]);
        let records = ctx.coverage.values().map(|c| c.records).sum();
        let rows = ctx.coverage.len();
        (
            records,
            ctx.errors
                .iter()
                .map(|e| format!("{}: {}", e.file, e.message))
                .collect(),
            rows,
        )
    }

    #[test]
    fn a_zipped_log_that_cannot_be_read_by_lines_is_named_and_its_folder_cannot_vouch() {
        let iis = "#Software: Microsoft Internet Information Services 10.0\r#Fields: date time s-ip cs-method cs-uri-stem\r2021-03-03 01:00:00 10.0.0.5 GET /owa/auth/x.aspx\r";
        let mut log = iis.as_bytes().to_vec();
        log.extend(std::iter::repeat_n(b'a', 300));
        let bytes = zip_of(&[("W3SVC1/u_ex210303.log", log)]);
        let ips = HashSet::new();
        let rules = crate::eventrules::EventRules::builtin();
        let mut ctx = Ctx::new(Window::default(), &ips, &rules);
        let size = bytes.len() as u64;
        hunt_zip_with(Cursor::new(bytes), size, "t.zip", &mut ctx, &ZIP_CAPS, &[]);
        assert!(
            ctx.errors
                .iter()
                .any(|e| e.file == "t.zip!W3SVC1/u_ex210303.log" && e.message.contains("CR only")),
            "{:?}",
            ctx.errors
        );
        assert!(
            ctx.coverage
                .iter()
                .any(|(k, c)| k.0 == SourceKind::Iis && c.unreadable),
            "{:?}",
            ctx.coverage
        );
        // Nothing stays reserved from the hunt's budget but what was read.
        assert!(ctx.zip_bytes.load(Ordering::Relaxed) <= 4096);
    }

    #[test]
    fn a_compression_bomb_is_read_to_the_ratio_cap() {
        let line = b"{\"EventID\":1,\"Image\":\"C:\\\\x.exe\"}\n";
        let data: Vec<u8> = line.iter().copied().cycle().take(16 << 20).collect();
        let total = (16 << 20) / line.len() as u64;
        let (records, errors, rows) = run(zip_of(&[("a.json", data)]), &ZIP_CAPS);
        assert!(records > 0 && records < total, "{records} of {total}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("x.zip!a.json") && e.contains("compression ratio of 200:1")),
            "{errors:?}"
        );
        assert_eq!(rows, 1);
    }

    #[test]
    fn entry_archive_and_count_caps_are_reported() {
        let line = b"{\"EventID\":1}\n".repeat(1000);
        let entries: Vec<(&str, Vec<u8>)> = vec![
            ("a.json", line.clone()),
            ("b.json", line.clone()),
            ("c.json", line.clone()),
        ];
        let bytes = zip_of(&entries);
        let caps = ZipCaps {
            entry_bytes: 10_000,
            archive_bytes: 25_000,
            hunt_bytes: u64::MAX,
            entries: 10,
            ratio: u64::MAX,
        };
        let (records, errors, rows) = run(bytes.clone(), &caps);
        assert_eq!(rows, 1);
        assert!(
            errors.iter().any(|e| e.contains("9.8 KiB per entry")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("x.zip!c.json") && e.contains("per archive")),
            "{errors:?}"
        );
        assert!((1400..2000).contains(&records), "{records}");
        let caps = ZipCaps { entries: 2, ..caps };
        let (records, errors, _) = run(bytes, &caps);
        assert_eq!(records, 0);
        assert!(errors[0].contains("zip lists 3 entries"), "{errors:?}");
    }
}
