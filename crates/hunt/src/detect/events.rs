//! Windows events (EVTX today, exported JSON lines through the same [`Event`] model): the
//! Exchange cmdlet log (virtual-directory writes, mailbox exports, role assignments) and Unified
//! Messaging deserialization errors.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use exray_core::{Evidence, SourceKind};
use exray_files::evidence::Kind;
use exray_parse::event::Event;
use exray_parse::evtx_source::read_evtx;

use super::Ctx;

/// Evaluate one event against the event rules. `line` is set for records read from text logs.
pub fn evaluate(
    e: &Event,
    display: &str,
    source: SourceKind,
    line: Option<u64>,
    raw: Option<&[u8]>,
    ctx: &mut Ctx<'_>,
) {
    let rules = ctx.event_rules;
    for hit in rules.evaluate(e) {
        let mut ev = Evidence::new(source, display);
        if line.is_some() {
            ev.line = line;
        } else {
            ev.record = Some(e.record_id);
        }
        ev.timestamp = e.timestamp;
        ev.raw = Some(match raw {
            Some(r) => exray_core::cap_lossy(r, exray_core::RAW_CAP),
            None => exray_core::cap_lossy(e.to_raw().as_bytes(), exray_core::RAW_CAP),
        });
        if e.event_id != 0 {
            ev.fields.insert("event_id".into(), e.event_id.to_string());
        }
        ev.fields.insert("provider".into(), e.provider.clone());
        if !e.computer.is_empty() {
            ev.fields.insert("computer".into(), e.computer.clone());
        }
        for (k, v) in &hit.fields {
            ev.fields.insert(k.clone(), v.clone());
        }
        let paths: Vec<String> = hit
            .fields
            .iter()
            .flat_map(|(_, v)| super::script_paths(v))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        ctx.hit_with_artifacts(hit.meta, &hit.key, ev, &refs);
    }
}

/// Hunt one JSON-lines export of Windows events, or a zip of such files.
pub fn hunt_json(
    path: &Path,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[exray_parse::prefilter::OwnedPat],
) {
    let Some(mut ev) = super::open_evidence(ctx, path, display, Kind::EventExport) else {
        return;
    };
    let mut magic = [0u8; 4];
    let is_zip = ev.file.read_exact(&mut magic).is_ok() && &magic == b"PK\x03\x04";
    if let Err(e) = ev.file.seek(SeekFrom::Start(0)) {
        ctx.error(display, None, None, format!("read error: {e}"));
        return;
    }
    if is_zip {
        crate::detect::zipped::hunt_zip(ev.file, ev.size, display, ctx, iocs);
        return;
    }
    // A sparse export's trailing hole holds no line.
    let limit = exray_parse::sparse::data_end(&ev.file, ev.limit());
    let reader = std::io::BufReader::with_capacity(1 << 20, ev.file.take(limit));
    json_stream(reader, display, display, ctx);
}

/// Report the errors a reader kept, and how many more it only counted.
fn reader_errors(
    ctx: &mut Ctx<'_>,
    display: &str,
    kept: impl ExactSizeIterator<Item = (Option<u64>, String)>,
    total: u64,
    what: &str,
) {
    let n = kept.len() as u64;
    for (line, m) in kept {
        ctx.error(display, line, None, m);
    }
    if total > n {
        ctx.error(display, None, None, format!("{} more {what}", total - n));
    }
}

/// Read one JSON-lines stream: `display` names it in evidence and errors, `loc` is its coverage
/// row (the archive, for the entries of a zip).
pub(crate) fn json_stream<R: std::io::BufRead>(r: R, display: &str, loc: &str, ctx: &mut Ctx<'_>) {
    let loc = loc.to_string();
    let res = exray_parse::json_events::read_json_events(r, |e| {
        ctx.observe(SourceKind::EventJson, &loc, e.timestamp);
        evaluate(&e, display, SourceKind::EventJson, None, None, ctx);
    });
    match res {
        Ok(sum) => {
            let kept = sum.errors.iter().map(|(line, m)| (Some(*line), m.clone()));
            reader_errors(ctx, display, kept, sum.error_count, "bad event lines");
            let c = ctx.cov(SourceKind::EventJson, &loc);
            c.files += 1;
            c.records += sum.events;
            c.errors += sum.error_count;
        }
        Err(e) => ctx.error(display, None, None, format!("read error: {e}")),
    }
}

/// Hunt an EVTX file read out of an archive (`display` names the entry, `loc` the archive's
/// coverage row): classified by its channel like a file on disk, then read whole.
pub(crate) fn evtx_buffer(data: Vec<u8>, display: &str, loc: &str, ctx: &mut Ctx<'_>) {
    if let Ok(peek) =
        exray_parse::evtx_source::peek_evtx(&mut std::io::Cursor::new(&data), PEEK_RECORDS)
    {
        if !ctx.event_rules.reads(&peek.channel, &peek.providers) {
            let note = format!(
                "{display}: channel {}, not read (no event rule reads it)",
                peek.channel
            );
            let c = ctx.cov(SourceKind::EventJson, loc);
            if !c.notes.contains(&note) {
                c.notes.push(note);
            }
            return;
        }
    }
    let loc = loc.to_string();
    match exray_parse::evtx_source::read_evtx_buffer(data, |e| {
        ctx.observe(SourceKind::EventJson, &loc, e.timestamp);
        evaluate(&e, display, SourceKind::Evtx, None, None, ctx);
    }) {
        Ok(sum) => {
            let kept = sum
                .errors
                .iter()
                .map(|m| (None, format!("EVTX record not decoded: {m}")));
            reader_errors(ctx, display, kept, sum.error_count, "EVTX decode errors");
            let c = ctx.cov(SourceKind::EventJson, &loc);
            c.files += 1;
            c.records += sum.records;
            c.errors += sum.error_count;
        }
        Err(msg) => {
            ctx.error(display, None, None, msg);
            ctx.cov(SourceKind::EventJson, &loc).errors += 1;
        }
    }
}

/// Records of each EVTX file whose `Computer` names the host.
const NAMING_RECORDS: usize = 4;

/// Records peeked at to classify an EVTX file by its channel and providers.
const PEEK_RECORDS: usize = 8;

/// The end of the location of the coverage row listing the EVTX files of a folder that were not
/// read (their channel holds nothing the event rules read).
pub const SKIPPED_SUFFIX: &str =
    "(EVTX files not read: their channels hold no events exray's rules read)";

/// Hunt one EVTX file.
pub fn hunt_evtx(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let loc = display.to_string();
    let Some(mut ev) = super::open_evidence(ctx, path, display, Kind::Evtx) else {
        ctx.cov(SourceKind::Evtx, &loc).errors += 1;
        return;
    };
    // Which channel the file holds decides whether it is read, not its name: a peek at its
    // first records (header and first chunk only) classifies it.
    match exray_parse::evtx_source::peek_evtx(&mut ev.file, PEEK_RECORDS) {
        Ok(peek) if !ctx.event_rules.reads(&peek.channel, &peek.providers) => {
            let folder = format!("{} {SKIPPED_SUFFIX}", super::location_of(display));
            let name = display.rsplit(['\\', '/']).next().unwrap_or(display);
            let note = format!("{name}: channel {}", peek.channel);
            let c = ctx.cov(SourceKind::Evtx, &folder);
            if !c.notes.contains(&note) {
                c.notes.push(note);
            }
            return;
        }
        Ok(_) => {}
        // Not classified (a damaged header or first chunk): the full read says what it can.
        Err(_) => {
            if let Err(e) = ev.file.seek(SeekFrom::Start(0)) {
                ctx.error(display, None, None, format!("read error: {e}"));
                ctx.cov(SourceKind::Evtx, &loc).errors += 1;
                return;
            }
        }
    }
    let (size, cap) = (ev.size, ev.kind.cap());
    // The host that wrote the file, from its first records (`Computer`).
    let mut names = crate::identity::FileNames::default();
    let mut named = 0;
    let res = read_evtx(ev.file, size, cap, |e| {
        ctx.observe(SourceKind::Evtx, &loc, e.timestamp);
        if named < NAMING_RECORDS {
            names.note("Computer", e.computer.as_bytes());
            named += 1;
        }
        evaluate(&e, display, SourceKind::Evtx, None, None, ctx);
    });
    ctx.names
        .add_file(exray_core::IdentitySource::Evtx, display, names);
    match res {
        Ok(sum) => {
            if let Some(d) = &sum.damage {
                ctx.error(display, None, None, d.clone());
            }
            let kept = sum
                .errors
                .iter()
                .map(|m| (None, format!("EVTX record not decoded: {m}")));
            reader_errors(ctx, display, kept, sum.error_count, "EVTX decode errors");
            let c = ctx.cov(SourceKind::Evtx, &loc);
            c.files += 1;
            c.records += sum.records;
            c.errors += sum.error_count;
            c.bytes += size.min(cap);
            if sum.damage.is_some() {
                c.errors += 1;
                c.notes.push(format!("{display}: cut short inside a chunk"));
            }
        }
        Err(msg) => {
            ctx.error(display, None, None, msg);
            ctx.cov(SourceKind::Evtx, &loc).errors += 1;
        }
    }
}
