//! exray-scan: passive, polite network fingerprinting of Microsoft Exchange builds.
//!
//! `exray scan` answers "who is exposed?" honestly: the full build where the server reveals it
//! (export tool manifest, `X-OWA-Version`), "SU unknown" where only the cumulative update shows
//! (`/owa/auth/15.x.y/` folders), never a guess, and never attack traffic: every request is
//! made by [`request`], which can only produce parameter-free GETs of a fixed list of paths (and,
//! for the opt-in mail-banner probes of [`mail`], three fixed lines: `EHLO`, `QUIT`, `LOGOUT`).
//!
//! Targets are streamed ([`target::TargetStream`]), sharded without a global list
//! ([`shard::Shard`]), filtered by a built-in blocklist ([`blocklist::Blocklist`]) and scanned
//! with global rate limiting, per-host politeness, deadlines and byte caps
//! ([`scanner::Scanner`], [`runner::run`]). Results are exray-core `ScanResult`s inside a
//! `Report` of kind `scan`.

pub mod assess;
pub mod blocklist;
pub mod cli;
pub mod fingerprint;
pub mod http;
pub mod legacy_tls;
pub mod mail;
pub mod output;
pub mod request;
pub mod resume;
pub mod runner;
pub mod scanner;
pub mod shard;
pub mod target;

pub use runner::{run, RunOptions, RunSummary};
pub use scanner::{ScanConfig, Scanner};
