//! exray-parse: streaming parsers for the evidence an Exchange server keeps.
//!
//! Every text parser is built on [`lines::scan`], which reads in chunks, prefilters with
//! Aho-Corasick and hands over only the lines worth parsing, so memory stays bounded whatever the
//! log volume. Parsers never panic on bad input: they return errors that name the line.

pub mod csvline;
pub mod ecp;
pub mod event;
pub mod evtx_source;
pub mod hive;
pub mod httpproxy;
pub mod iis;
pub mod json_events;
pub mod lines;
#[cfg(target_os = "linux")]
pub mod mapped;
pub mod oab;
pub mod pe;
pub mod prefilter;
pub mod regexport;
pub mod sparse;
pub mod time;
pub mod webconfig;
