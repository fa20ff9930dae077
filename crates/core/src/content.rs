//! The interface between the file sweep and a content-rule engine (yara-x lives in `exray-yara`,
//! so that the rest of the workspace builds without it).

use crate::model::{ContentMatch, RuleMeta};

/// One rule that matched a file's bytes, with the rule's metadata and where it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentHit {
    pub meta: RuleMeta,
    pub matches: Vec<ContentMatch>,
}

/// Compiled content rules, shared by all worker threads.
pub trait ContentRules: Send + Sync {
    /// A scanner for one worker thread. Create one per thread and reuse it for every file.
    fn scanner(&self) -> Box<dyn ContentScanner + '_>;
    /// Number of rules loaded (built-in and user packs), for the report.
    fn rule_count(&self) -> usize;
}

/// A per-thread scanner.
pub trait ContentScanner {
    /// Scan one file's bytes. `path` is for rules that look at the file name; errors (e.g. a
    /// timeout) are returned, never panicked.
    fn scan(&mut self, path: &str, data: &[u8]) -> Result<Vec<ContentHit>, String>;
}
