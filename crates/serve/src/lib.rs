//! exray-serve: the central service. It joins scan evidence, hunt results, notification state
//! and verified remediation in one record per victim host, for tens of thousands of
//! organisations. Storage is [`exray_store`] (SQLite by default, PostgreSQL for scale).
//!
//! - [`app`]: state, authentication (bearer tokens), the router, security headers.
//! - [`api`]: the JSON API under `/api/v1`, described by `openapi.json`.
//! - [`web`]: the server-rendered dashboard (escaped by construction, CSRF on every form).
//! - [`deliver`]: notices to an SMTP relay and/or `.eml` files.
//! - [`export`]: an organisation's or a host's evidence as MISP, STIX 2.1, IntelMQ or CSV.
//! - [`upload`]: the client side of `exray hunt|scan --upload`.
//! - [`listen`]: the accept loop (connection cap, header and idle timeouts).
//! - [`verify`]: `--verify-every`: notified hosts re-fingerprinted by the passive scanner.
//! - [`cli`]: `exray serve` arguments and `run`.

pub mod api;
pub mod app;
pub mod cli;
pub mod deliver;
pub mod export;
pub mod feedimport;
pub mod listen;
pub mod upload;
pub mod verify;
pub mod web;

pub use upload::upload_report;
