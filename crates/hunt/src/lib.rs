//! exray-hunt: find the evidence under a hunted path, run the detectors over it in parallel,
//! sweep the file system, and assemble one report.

pub mod detect;
pub mod discover;
pub mod eventrules;
pub mod filetimes;
pub mod hunt;
pub mod identity;
pub mod mitigation;
pub mod plan;
pub mod registry;
pub mod requestrules;
pub mod rules;

pub use hunt::{run, HuntOptions};
