//! Compiled rule packs cached on disk (yara-x `Rules::serialize`), keyed by everything that
//! decides the compiled result: the yara-x and exray versions, the built-in rule text, the
//! declared external variables, the ignored modules, and each user rule file's path and bytes.
//! A stale, damaged or unreadable cache entry is never an error: the packs are compiled again.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{SkippedRule, BUILTIN_SOURCES, IGNORED_MODULES};

/// The yara-x version exray is built with (pinned in `Cargo.toml`; a unit test keeps the two
/// equal), part of the cache key: a serialised rule set only loads in the version that made it.
pub const YARA_X_VERSION: &str = "1.22.1";

const MAGIC: &[u8; 8] = b"EXRAYRC1";

/// The user's cache folder for compiled rules: `$XDG_CACHE_HOME/exray/rules`, else
/// `~/.cache/exray/rules` (Linux), `~/Library/Caches/exray/rules` (macOS),
/// `%LOCALAPPDATA%\exray\rules` (Windows). `None` when none of these can be found.
pub fn default_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    }?;
    Some(base.join("exray").join("rules"))
}

/// The cache key of a set of user rule files (already read).
pub fn key(sources: &[(PathBuf, Vec<u8>)], externals: &[&str]) -> String {
    let mut h = Sha256::new();
    let mut part = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    part(MAGIC);
    part(YARA_X_VERSION.as_bytes());
    part(env!("CARGO_PKG_VERSION").as_bytes());
    for (name, src) in BUILTIN_SOURCES {
        part(name.as_bytes());
        part(src.as_bytes());
    }
    for m in IGNORED_MODULES.iter().chain(externals) {
        part(m.as_bytes());
    }
    for (path, bytes) in sources {
        part(path.to_string_lossy().as_bytes());
        part(bytes);
    }
    hex::encode(h.finalize())
}

fn entry(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.rules"))
}

/// A cached rule set and the rules skipped when it was compiled.
pub struct Cached {
    pub rules: yara_x::Rules,
    pub skipped: Vec<SkippedRule>,
}

/// Load a cache entry; `None` when absent or unusable (logged at debug/warn level).
pub fn load(dir: &Path, key: &str) -> Option<Cached> {
    let path = entry(dir, key);
    let bytes = std::fs::read(&path).ok()?;
    let parsed = parse(&bytes);
    if parsed.is_none() {
        tracing::warn!(
            "{}: damaged rule cache entry, compiling again",
            path.display()
        );
    }
    parsed
}

fn parse(bytes: &[u8]) -> Option<Cached> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let n = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?) as usize;
    let text = std::str::from_utf8(rest.get(8..8 + n)?).ok()?;
    let rules = yara_x::Rules::deserialize(rest.get(8 + n..)?).ok()?;
    let skipped = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(SkippedRule::from_record)
        .collect::<Option<Vec<_>>>()?;
    Some(Cached { rules, skipped })
}

/// Store a rule set (written to a temporary file, then renamed into place). Failures are
/// logged, never fatal.
pub fn store(dir: &Path, key: &str, rules: &yara_x::Rules, skipped: &[SkippedRule]) {
    if let Err(e) = try_store(dir, key, rules, skipped) {
        tracing::warn!("{}: cannot write the rule cache: {e}", dir.display());
    }
}

fn try_store(
    dir: &Path,
    key: &str,
    rules: &yara_x::Rules,
    skipped: &[SkippedRule],
) -> std::io::Result<()> {
    let body = rules
        .serialize()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let text: String = skipped.iter().map(|s| s.to_record() + "\n").collect();
    std::fs::create_dir_all(dir)?;
    let final_path = entry(dir, key);
    let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(MAGIC)?;
        f.write_all(&(text.len() as u64).to_le_bytes())?;
        f.write_all(text.as_bytes())?;
        f.write_all(&body)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &final_path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yara_x_version_matches_the_pin() {
        let toml = include_str!("../Cargo.toml");
        assert!(
            toml.contains(&format!("yara-x = {{ version = \"={YARA_X_VERSION}\"")),
            "update cache::YARA_X_VERSION with the yara-x pin"
        );
    }

    #[test]
    fn key_changes_with_content_and_path() {
        let a = key(
            &[(PathBuf::from("a.yar"), b"rule A {condition: true}".to_vec())],
            &[],
        );
        let b = key(
            &[(
                PathBuf::from("a.yar"),
                b"rule A {condition: false}".to_vec(),
            )],
            &[],
        );
        let c = key(
            &[(PathBuf::from("b.yar"), b"rule A {condition: true}".to_vec())],
            &[],
        );
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            key(
                &[(PathBuf::from("a.yar"), b"rule A {condition: true}".to_vec())],
                &[]
            )
        );
    }

    #[test]
    fn damaged_entries_are_ignored() {
        assert!(parse(b"EXRAYRC1\xff\xff").is_none());
        assert!(parse(b"garbage").is_none());
    }
}
