//! exray-store: the storage of `exray serve`.
//!
//! One schema ([`schema`]) on SQLite (embedded default, one file, WAL + `synchronous=FULL`) and
//! PostgreSQL (several stateless instances over one database), through one SQL layer:
//! `sqlx::Any` with numbered `$n` parameters, which both drivers accept. The few dialect
//! differences are isolated in [`db::Backend`].
//!
//! What is stored: organisations with contacts and networks (CIDRs, ASNs, domains), hosts
//! attributed to them, observations (one per scan result or hunt), findings with their evidence,
//! per-host state transitions with their cause ([`state`]), notifications, bearer tokens (SHA-256
//! hashes only), dashboard sessions, and an audit log of every change.

pub mod asn;
pub mod attrib;
pub mod auth;
pub mod db;
pub mod export;
pub mod ingest;
pub mod notify;
pub mod orgs;
pub mod query;
pub mod schema;
pub mod state;
pub mod synth;
pub mod verify;

pub use auth::{Principal, Role};
pub use db::{Backend, Store};
pub use ingest::{IngestOutcome, PreparedReport};
pub use state::HostState;

/// Errors of the store, mapped to HTTP statuses by the service.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A concurrent writer won a race; the transaction is retried.
    #[error("transient conflict, retry")]
    Retry,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A page request: `limit` is clamped to 1..=500.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Page {
        Page {
            limit: limit.unwrap_or(50).clamp(1, 500),
            offset: offset.unwrap_or(0).max(0),
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new(None, None)
    }
}

/// Unix seconds to RFC 3339, for display and JSON.
pub fn ts(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

/// SHA-256 hex of a secret (tokens, session ids, login links are stored only hashed).
pub fn hash_secret(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// A fresh random secret: two v4 UUIDs (244 random bits), hex.
pub fn new_secret(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
