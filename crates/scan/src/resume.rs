//! `--resume FILE`: progress of one scanner (one shard) so a stopped scan continues where it
//! stopped. Targets of the shard are numbered in input order; the file records the watermark
//! `done N` (every target numbered below N has its result written), appended and fsynced
//! periodically. After a crash, targets between the last watermark and the crash are scanned
//! again (at least once); none is skipped.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::shard::Shard;

const MAGIC: &str = "# exray-scan resume v1";

pub struct Resume {
    path: PathBuf,
    file: File,
    /// Targets of this shard already done when the run started.
    pub start: u64,
    watermark: u64,
    done_above: BTreeSet<u64>,
    last_sync: Instant,
    written: u64,
    every: Duration,
}

fn header(shard: Shard, seed: u64) -> String {
    format!("{MAGIC} shard={shard} seed={seed}")
}

impl Resume {
    /// Open or create the progress file. A file written for another shard or seed is refused:
    /// continuing it would skip the wrong targets.
    pub fn open(path: &Path, shard: Shard, seed: u64) -> Result<Resume> {
        let want = header(shard, seed);
        let mut start = 0u64;
        let exists = path.exists();
        if exists {
            let f = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
            let mut header_seen = false;
            for (i, line) in BufReader::new(f).lines().enumerate() {
                let line =
                    line.with_context(|| format!("{}:{}: read error", path.display(), i + 1))?;
                let line = line.trim();
                if i == 0 {
                    if line != want {
                        bail!(
                            "{}:1: progress file is for `{}`, this run is `{}` (use the same --shard and --seed, or another file)",
                            path.display(),
                            line.strip_prefix(MAGIC).unwrap_or(line).trim(),
                            want.strip_prefix(MAGIC).unwrap_or(&want).trim()
                        );
                    }
                    header_seen = true;
                    continue;
                }
                if let Some(n) = line.strip_prefix("done ") {
                    // A torn last line after a crash is ignored, not fatal.
                    if let Ok(n) = n.trim().parse::<u64>() {
                        start = start.max(n);
                    }
                }
            }
            if !header_seen {
                bail!(
                    "{}:1: empty progress file (delete it to start over)",
                    path.display()
                );
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for writing", path.display()))?;
        if !exists {
            writeln!(file, "{want}").with_context(|| format!("{}: write", path.display()))?;
            file.sync_all().ok();
        }
        Ok(Resume {
            path: path.to_path_buf(),
            file,
            start,
            watermark: start,
            done_above: BTreeSet::new(),
            last_sync: Instant::now(),
            written: start,
            every: Duration::from_secs(2),
        })
    }

    /// Mark target number `idx` (0-based within the shard) done.
    pub fn done(&mut self, idx: u64) -> Result<()> {
        if idx < self.watermark {
            return Ok(());
        }
        self.done_above.insert(idx);
        while self.done_above.remove(&self.watermark) {
            self.watermark += 1;
        }
        if self.last_sync.elapsed() >= self.every && self.watermark > self.written {
            self.sync()?;
        }
        Ok(())
    }

    pub fn watermark(&self) -> u64 {
        self.watermark
    }

    /// Append the watermark and fsync.
    pub fn sync(&mut self) -> Result<()> {
        writeln!(self.file, "done {}", self.watermark)
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("{}: write", self.path.display()))?;
        self.written = self.watermark;
        self.last_sync = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_survives_reopen_and_refuses_other_shards() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("progress");
        let shard: Shard = "1/3".parse().unwrap();
        let mut r = Resume::open(&p, shard, 9).unwrap();
        assert_eq!(r.start, 0);
        for i in [1u64, 0, 3, 4] {
            r.done(i).unwrap();
        }
        assert_eq!(r.watermark(), 2);
        r.done(2).unwrap();
        assert_eq!(r.watermark(), 5);
        r.sync().unwrap();
        drop(r);
        // A torn line from a crash is tolerated.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"done 9")
            .unwrap();
        let r = Resume::open(&p, shard, 9).unwrap();
        assert_eq!(r.start, 9);
        let err = Resume::open(&p, "0/3".parse().unwrap(), 9)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("progress file is for"), "{err}");
        let err = Resume::open(&p, shard, 8).err().unwrap().to_string();
        assert!(err.contains(":1:"), "{err}");
    }
}
