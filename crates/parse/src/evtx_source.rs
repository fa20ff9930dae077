//! EVTX files through the `evtx` crate, one thread per file (exray parallelises across files, so
//! evtx's own thread pool stays off: one level of parallelism only).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use chrono::DateTime;
use evtx::{EvtxParser, ParserSettings};

use crate::event::{from_evtx_json, Event};

/// What reading one EVTX file gave besides its events.
#[derive(Debug, Default, Clone)]
pub struct EvtxSummary {
    pub records: u64,
    /// Records (or chunks) the parser could not decode, with its message.
    pub errors: Vec<String>,
    pub error_count: u64,
    /// The file was cut short inside a chunk: where, in words (with the offset).
    pub damage: Option<String>,
}

/// Errors kept per file; the count goes on.
const ERRORS_KEPT: usize = 20;

/// Read every record of an EVTX file already opened (`size` bytes; at most `cap` are read),
/// calling `on_event` for each decoded one. Returns `Err` only when the file cannot be read as
/// EVTX at all.
///
/// A file cut inside a chunk (a crash, a partial copy) is reported with the offset where its
/// chunks stop, and the intact records of its last chunk are still read: the cut chunk is read
/// as if padded with zeros to its full size (the parser stops at the first record the cut
/// damaged).
pub fn read_evtx<F: FnMut(Event)>(
    file: File,
    size: u64,
    cap: u64,
    on_event: F,
) -> Result<EvtxSummary, String> {
    if size < HEADER_SIZE {
        return Err(format!(
            "not a readable EVTX file: {size} bytes, shorter than the {HEADER_SIZE}-byte header"
        ));
    }
    let real = size.min(cap.max(HEADER_SIZE));
    let body = real - HEADER_SIZE;
    let cut = body % CHUNK_SIZE;
    let mut damage = None;
    let padded_len = if cut == 0 {
        real
    } else {
        let chunk = body / CHUNK_SIZE;
        if real == size {
            damage = Some(format!(
                "EVTX file cut short: its chunks stop at offset {real} inside chunk {chunk} (which starts at offset {}, {} bytes short of its {CHUNK_SIZE}); the intact records of that chunk were read",
                HEADER_SIZE + chunk * CHUNK_SIZE,
                CHUNK_SIZE - cut
            ));
        }
        real + (CHUNK_SIZE - cut)
    };
    // A sparse file's trailing hole holds no chunk: read to the chunk its data ends in.
    let data = crate::sparse::data_end(&file, real).max(HEADER_SIZE);
    let data_chunks = (data - HEADER_SIZE).div_ceil(CHUNK_SIZE);
    let len = padded_len.min(HEADER_SIZE + data_chunks * CHUNK_SIZE);
    let reader = Padded {
        inner: file,
        real: real.min(len),
        len,
        pos: 0,
    };
    let parser =
        EvtxParser::from_read_seek(reader).map_err(|e| format!("not a readable EVTX file: {e}"))?;
    let mut sum = drive(parser, on_event)?;
    sum.damage = damage;
    Ok(sum)
}

const HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// A file seen as `len` bytes: its first `real` bytes, then zeros.
struct Padded<R> {
    inner: R,
    real: u64,
    len: u64,
    pos: u64,
}

impl<R: Read + Seek> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let n = if self.pos < self.real {
            let want = buf.len().min((self.real - self.pos) as usize);
            let n = self.inner.read(&mut buf[..want])?;
            if n == 0 {
                // The file shrank: the rest reads as zeros.
                self.real = self.pos;
                return self.read(buf);
            }
            n
        } else {
            let n = buf.len().min((self.len - self.pos) as usize);
            buf[..n].fill(0);
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Padded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        if new < self.real {
            self.inner.seek(SeekFrom::Start(new))?;
        }
        self.pos = new;
        Ok(new)
    }
}

/// What the first records of an EVTX file say about it: an EVTX file holds one channel.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EvtxPeek {
    /// The channel of its first record (empty: no record could be read).
    pub channel: String,
    /// The providers of the records peeked at, in order of first appearance.
    pub providers: Vec<String>,
}

/// Peek at the first `records` records of an EVTX file: only its header and first chunk are
/// read (at most 68 KiB), so classifying a large file costs no more than a small one. The file is
/// left at offset 0.
pub fn peek_evtx<R: Read + Seek>(file: &mut R, records: usize) -> Result<EvtxPeek, String> {
    let mut head = Vec::with_capacity((HEADER_SIZE + CHUNK_SIZE) as usize);
    file.seek(SeekFrom::Start(0))
        .and_then(|_| {
            file.by_ref()
                .take(HEADER_SIZE + CHUNK_SIZE)
                .read_to_end(&mut head)
        })
        .map_err(|e| format!("read error: {e}"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("read error: {e}"))?;
    let mut peek = EvtxPeek::default();
    if (head.len() as u64) < HEADER_SIZE + CHUNK_SIZE {
        // Not even one whole chunk: nothing to classify by (the full read reports why).
        return Ok(peek);
    }
    let parser = EvtxParser::from_buffer(head)
        .map_err(|e| format!("not a readable EVTX file: {e}"))?
        .with_configuration(ParserSettings::new().separate_json_attributes(false));
    let mut parser = parser;
    for rec in parser.records_json_value().take(records) {
        let Ok(r) = rec else { break };
        let e = from_evtx_json(r.event_record_id, None, &r.data);
        if peek.channel.is_empty() {
            peek.channel = e.channel.clone();
        }
        if !e.provider.is_empty() && !peek.providers.contains(&e.provider) {
            peek.providers.push(e.provider);
        }
    }
    Ok(peek)
}

/// The same over an in-memory buffer (used by the fuzzer and for exported blobs).
pub fn read_evtx_buffer<F: FnMut(Event)>(
    data: Vec<u8>,
    on_event: F,
) -> Result<EvtxSummary, String> {
    let parser =
        EvtxParser::from_buffer(data).map_err(|e| format!("not a readable EVTX file: {e}"))?;
    drive(parser, on_event)
}

fn drive<T: std::io::Read + std::io::Seek, F: FnMut(Event)>(
    parser: EvtxParser<T>,
    mut on_event: F,
) -> Result<EvtxSummary, String> {
    let settings = ParserSettings::new().separate_json_attributes(false);
    let mut parser = parser.with_configuration(settings);
    let mut sum = EvtxSummary::default();
    for rec in parser.records_json_value() {
        match rec {
            Ok(r) => {
                sum.records += 1;
                let ts = DateTime::from_timestamp(
                    r.timestamp.as_second(),
                    r.timestamp.subsec_nanosecond().max(0) as u32,
                );
                on_event(from_evtx_json(r.event_record_id, ts, &r.data));
            }
            Err(e) => {
                sum.error_count += 1;
                if sum.errors.len() < ERRORS_KEPT {
                    sum.errors.push(e.to_string());
                }
            }
        }
    }
    Ok(sum)
}
