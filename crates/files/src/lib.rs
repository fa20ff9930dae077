//! exray-files: the read-only file sweep of `exray hunt`.
//!
//! [`plan`] lists the folders of EXCHANGE-NOTES §2 under a hunted system root, [`sweep`] reads
//! every file there once (size-capped, links never followed, special files skipped) on all cores,
//! hashing it and running the content rules and the built-in checks over the same buffer, and
//! returns findings in the shared report model. [`Iocs`] loads user IOC packs and [`Baseline`]
//! records and compares known-good script files.

pub mod artefacts;
pub mod baseline;
pub mod cli;
pub mod dotnet;
pub mod evidence;
pub mod ioc;
pub mod plan;
pub mod rules;
pub mod sweep;
pub mod times;
pub mod walk;
pub mod winpath;

pub use baseline::{Baseline, BaselineCheck, BaselineEntry, BaselineError};
pub use ioc::{IocError, IocInfo, Iocs};
pub use plan::{display_for, find_exchange_roots, plan, Location, SweepRoot};
pub use sweep::{sweep, url_path, SweepOptions, SweepOutput, WebFile, DEFAULT_MAX_FILE_SIZE};
