//! exray-core: the finding and report model, aggregation of rule hits into findings,
//! correlation of findings into incidents, the verdict, and the report renderers (text, JSON,
//! JSON lines, CSV, Timesketch, and the self-contained HTML report in `html`).
//!
//! This crate does no file or network I/O: parsers, detectors, the scanner and the service
//! all depend on it, never the other way round.

pub mod aggregate;
pub mod content;
pub mod correlate;
pub mod html;
pub mod model;
pub mod render;
pub mod verdict;

pub use model::*;
