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

/// What the sweep knows of a file besides its bytes, for rules that look at the name, folder,
/// owner or mode (the external variables of Loki/THOR rule packs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileContext<'a> {
    /// The path as the report shows it (`C:\inetpub\…` for Windows evidence).
    pub path: &'a str,
    /// The owner's name or numeric id, where the platform gives one.
    pub owner: Option<&'a str>,
    /// Permission bits, where the platform has them.
    pub mode: Option<u32>,
}

/// A per-thread scanner.
pub trait ContentScanner {
    /// Scan one file's bytes. `path` is for rules that look at the file name; errors (e.g. a
    /// timeout) are returned, never panicked.
    fn scan(&mut self, path: &str, data: &[u8]) -> Result<Vec<ContentHit>, String>;

    /// Scan one file's bytes with what the sweep knows of the file. The default ignores
    /// everything but the path.
    fn scan_file(
        &mut self,
        file: &FileContext<'_>,
        data: &[u8],
    ) -> Result<Vec<ContentHit>, String> {
        self.scan(file.path, data)
    }
}
