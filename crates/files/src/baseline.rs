//! Known-good baselines: `exray baseline PATH -o FILE` records the SHA-256 of every script page
//! and config in the web folders (and user paths) of a known-good server or install;
//! `hunt --baseline FILE` then reports every new or changed one.
//!
//! Entries are keyed by the web folder and the path below it (`httpproxy:/owa/auth/logon.aspx`,
//! from the part of the Windows path after `inetpub\wwwroot`, `FrontEnd\HttpProxy` or
//! `ClientAccess`), so a baseline
//! taken from another server or another install drive still applies. A new file whose hash the
//! baseline knows under another path (a stock page in a renamed `<build>` folder) is not new.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use exray_core::InputError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::{Location, SweepRoot};
use crate::rules;
use crate::sweep::SweepOptions;
use crate::walk::{self, Job, Visit};

pub const BASELINE_FORMAT: &str = "exray.baseline/v1";

/// One known-good file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BaselineEntry {
    /// Lower-case key: the served path, or the Windows path when not in a web folder.
    pub key: String,
    pub display: String,
    pub location: Location,
    pub size: u64,
    pub sha256: String,
}

/// A set of known-good script files.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    pub format: String,
    pub created: DateTime<Utc>,
    /// The roots the baseline was taken from (Windows display paths).
    pub roots: Vec<String>,
    pub entries: Vec<BaselineEntry>,
    /// Files that could not be read while the baseline was taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InputError>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    #[serde(skip)]
    hashes: HashSet<String>,
}

/// What the baseline says of a file.
#[derive(Debug, PartialEq, Eq)]
pub enum BaselineCheck {
    Known,
    New,
    /// Same path, different content: the baseline's SHA-256.
    Changed(String),
}

/// Failure to load a baseline file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{file}: cannot read baseline: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: invalid baseline: {message}")]
    Format {
        file: PathBuf,
        line: u64,
        message: String,
    },
}

/// The baseline key of a file's Windows path: the web folder it lies in (`wwwroot`,
/// `httpproxy`, `clientaccess`) and its path below it, or the whole Windows path elsewhere.
pub fn key(display: &str) -> String {
    let lower = display.to_lowercase();
    for (m, tag) in [
        (r"\inetpub\wwwroot\", "wwwroot"),
        (r"\frontend\httpproxy\", "httpproxy"),
        (r"\clientaccess\", "clientaccess"),
    ] {
        if let Some(i) = lower.find(m) {
            return format!("{tag}:/{}", lower[i + m.len()..].replace('\\', "/"));
        }
    }
    lower
}

fn baseline_root(r: &SweepRoot) -> bool {
    r.location.is_web() || r.location == Location::UserPath
}

struct BaselineWorker<'a> {
    plan: &'a [SweepRoot],
    cap: u64,
    buf: Vec<u8>,
    entries: Vec<BaselineEntry>,
    errors: Vec<InputError>,
}

impl Visit for BaselineWorker<'_> {
    type Output = (Vec<BaselineEntry>, Vec<InputError>);
    fn finish(self) -> Self::Output {
        (self.entries, self.errors)
    }
    fn visit(&mut self, job: Job) {
        if !rules::is_script_or_config(job.name()) {
            return;
        }
        let root = &self.plan[job.root];
        let display = job.display(root);
        let fail = |m: String| InputError {
            file: display.clone(),
            line: None,
            record: None,
            message: m,
        };
        let mut f = match walk::open_readonly(&job.path) {
            Ok(f) => f,
            Err(e) => {
                let e = fail(format!("cannot open: {e}"));
                self.errors.push(e);
                return;
            }
        };
        self.buf.clear();
        match (&mut f).take(self.cap + 1).read_to_end(&mut self.buf) {
            Ok(n) if n as u64 <= self.cap => {}
            Ok(_) => {
                let e = fail("larger than the size cap: not in the baseline".into());
                self.errors.push(e);
                return;
            }
            Err(e) => {
                let e = fail(format!("read error: {e}"));
                self.errors.push(e);
                return;
            }
        }
        self.entries.push(BaselineEntry {
            key: key(&display),
            display,
            location: root.location,
            size: self.buf.len() as u64,
            sha256: hex::encode(Sha256::digest(&self.buf)),
        });
    }
}

impl Baseline {
    /// Hash every script page and config of the plan's web folders and user paths.
    pub fn create(plan: &[SweepRoot], opts: &SweepOptions) -> Baseline {
        let (workers, _stats, walk_errors) =
            walk::run(plan, baseline_root, opts.threads, || BaselineWorker {
                plan,
                cap: opts.max_file_size,
                buf: Vec::new(),
                entries: Vec::new(),
                errors: Vec::new(),
            });
        let mut entries = Vec::new();
        let mut errors = walk_errors;
        for (e, x) in workers {
            entries.extend(e);
            errors.extend(x);
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key).then(a.display.cmp(&b.display)));
        errors.sort_by(|a, b| a.file.cmp(&b.file));
        let mut b = Baseline {
            format: BASELINE_FORMAT.to_string(),
            created: Utc::now(),
            roots: plan
                .iter()
                .filter(|r| baseline_root(r))
                .map(|r| r.display.clone())
                .collect(),
            entries,
            errors,
            index: HashMap::new(),
            hashes: HashSet::new(),
        };
        b.reindex();
        b
    }

    fn reindex(&mut self) {
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        self.hashes = self.entries.iter().map(|e| e.sha256.clone()).collect();
    }

    /// Write the baseline as pretty JSON.
    pub fn save(&self, mut w: impl Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")
    }

    /// Read a baseline written by [`Baseline::save`].
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let mut b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Format {
            file: path.to_path_buf(),
            line: e.line() as u64,
            message: e.to_string(),
        })?;
        if b.format != BASELINE_FORMAT {
            return Err(BaselineError::Format {
                file: path.to_path_buf(),
                line: 1,
                message: format!("format {:?}, expected {BASELINE_FORMAT:?}", b.format),
            });
        }
        for e in &mut b.entries {
            e.key = e.key.to_lowercase();
            e.sha256 = e.sha256.to_lowercase();
        }
        b.reindex();
        Ok(b)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Compare a file (its Windows path and SHA-256) with the baseline.
    pub fn check(&self, display: &str, sha256: &str) -> BaselineCheck {
        match self.index.get(&key(display)) {
            Some(&i) if self.entries[i].sha256 == sha256 => BaselineCheck::Known,
            Some(&i) => BaselineCheck::Changed(self.entries[i].sha256.clone()),
            None if self.hashes.contains(sha256) => BaselineCheck::Known,
            None => BaselineCheck::New,
        }
    }
}
