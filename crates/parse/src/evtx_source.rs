//! EVTX files through the `evtx` crate, one thread per file (exray parallelises across files, so
//! evtx's own thread pool stays off: one level of parallelism only).

use std::path::Path;

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
}

/// Errors kept per file; the count goes on.
const ERRORS_KEPT: usize = 20;

/// Read every record of `path`, calling `on_event` for each decoded one. Returns `Err` only when
/// the file cannot be opened as EVTX at all.
pub fn read_evtx<F: FnMut(Event)>(path: &Path, on_event: F) -> Result<EvtxSummary, String> {
    let parser =
        EvtxParser::from_path(path).map_err(|e| format!("not a readable EVTX file: {e}"))?;
    drive(parser, on_event)
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
