//! The bounded, read-only walk shared by the sweep and the baseline: one walker thread lists the
//! planned folders (never following links, skipping special files, capping depth, listing each
//! directory once even when two roots reach it) and feeds a pool of worker threads.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use exray_core::InputError;

use crate::evidence::EntryType;
use crate::plan::SweepRoot;

/// Folders deeper than this below their root are not entered (counted).
pub const MAX_DEPTH: usize = 32;

/// One regular file to read.
#[derive(Debug)]
pub struct Job {
    /// Index of the root in the plan.
    pub root: usize,
    pub path: PathBuf,
    /// Path below the root with Windows separators (`Current\x.aspx`).
    pub rel: String,
    /// Number of components of `rel` (1 = directly in the root).
    pub depth: usize,
}

impl Job {
    pub fn name(&self) -> &str {
        self.rel.rsplit('\\').next().unwrap_or(&self.rel)
    }
    /// The Windows display path of the file.
    pub fn display(&self, root: &SweepRoot) -> String {
        join_display(&root.display, &self.rel)
    }
}

pub fn join_display(base: &str, rel: &str) -> String {
    if rel.is_empty() {
        return base.to_string();
    }
    let sep = if base.contains('\\') || !base.contains('/') {
        '\\'
    } else {
        '/'
    };
    let rel = if sep == '/' {
        rel.replace('\\', "/")
    } else {
        rel.to_string()
    };
    if base.ends_with(sep) {
        format!("{base}{rel}")
    } else {
        format!("{base}{sep}{rel}")
    }
}

/// What the walker skipped, per root.
#[derive(Clone, Debug, Default)]
pub struct WalkStats {
    pub links: u64,
    pub special: u64,
    pub too_deep: u64,
    pub nested: u64,
    pub seen_dirs: u64,
    pub list_errors: u64,
}

/// A worker's processing of one file. Implementors keep their own results; the engine returns
/// the workers at the end.
pub trait Visit {
    /// What a worker hands back when the walk is done.
    type Output: Send;
    fn visit(&mut self, job: Job);
    fn finish(self) -> Self::Output;
}

/// Open a file read-only: no atime update where the kernel allows (`O_NOATIME`), never through a
/// link (`O_NOFOLLOW`), never blocking on a fifo swapped in after the listing (`O_NONBLOCK`).
pub fn open_readonly(path: &Path) -> io::Result<File> {
    crate::evidence::open_raw(path)
}

/// Resolve a requested thread count: 0 means all cores.
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Walk `plan` (roots for which `include` is true) with `threads` workers made by `make`.
/// Returns the workers, the walk statistics per root (indexed like `plan`) and listing errors.
pub fn run<V, F>(
    plan: &[SweepRoot],
    include: impl Fn(&SweepRoot) -> bool,
    threads: usize,
    make: F,
) -> (Vec<V::Output>, Vec<WalkStats>, Vec<InputError>)
where
    V: Visit,
    F: Fn() -> V + Sync,
{
    let threads = thread_count(threads);
    let (tx, rx) = sync_channel::<Job>(threads * 256);
    let rx: Mutex<Receiver<Job>> = Mutex::new(rx);
    let mut stats = vec![WalkStats::default(); plan.len()];
    let mut errors = Vec::new();
    let workers = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let rx = &rx;
                let make = &make;
                s.spawn(move || {
                    let mut v = make();
                    loop {
                        let job = {
                            let guard = rx.lock().unwrap_or_else(|e| e.into_inner());
                            guard.recv()
                        };
                        match job {
                            Ok(j) => v.visit(j),
                            Err(_) => break,
                        }
                    }
                    v.finish()
                })
            })
            .collect();
        walk(plan, &include, &tx, &mut stats, &mut errors);
        drop(tx);
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Vec<V::Output>>()
    });
    (workers, stats, errors)
}

#[cfg(unix)]
fn dir_id(md: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((md.dev(), md.ino()))
}

#[cfg(not(unix))]
fn dir_id(_md: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn walk(
    plan: &[SweepRoot],
    include: &dyn Fn(&SweepRoot) -> bool,
    tx: &std::sync::mpsc::SyncSender<Job>,
    stats: &mut [WalkStats],
    errors: &mut Vec<InputError>,
) {
    let root_paths: HashSet<&Path> = plan.iter().map(|r| r.path.as_path()).collect();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut done: HashSet<&Path> = HashSet::new();
    for (ri, root) in plan.iter().enumerate() {
        if !include(root) || !done.insert(root.path.as_path()) {
            continue;
        }
        let st = &mut stats[ri];
        // A folder the user named may itself be a link (a mounted evidence folder): follow that
        // one; planned folders were resolved without links and are never followed.
        let md = if root.location == crate::plan::Location::UserPath {
            std::fs::metadata(&root.path)
        } else {
            std::fs::symlink_metadata(&root.path)
        };
        match md {
            Ok(md) if md.file_type().is_symlink() => {
                st.links += 1;
                continue;
            }
            Ok(md) => {
                if let Some(id) = dir_id(&md) {
                    if !seen.insert(id) {
                        st.seen_dirs += 1;
                        continue;
                    }
                }
            }
            Err(e) => {
                st.list_errors += 1;
                errors.push(InputError {
                    file: root.display.clone(),
                    line: None,
                    record: None,
                    message: format!("cannot open folder: {e}"),
                });
                continue;
            }
        }
        // The folder the user named may be a link: list its target (only that one is followed).
        let start = match std::fs::symlink_metadata(&root.path) {
            Ok(md) if md.file_type().is_symlink() => {
                std::fs::canonicalize(&root.path).unwrap_or_else(|_| root.path.clone())
            }
            _ => root.path.clone(),
        };
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(start, String::new(), 0)];
        while let Some((dir, rel, depth)) = stack.pop() {
            let mut entries = match crate::evidence::list_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    st.list_errors += 1;
                    errors.push(InputError {
                        file: join_display(&root.display, &rel),
                        line: None,
                        record: None,
                        message: format!("cannot list folder: {e}"),
                    });
                    continue;
                }
            };
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            for entry in entries {
                let name = entry.name.to_string_lossy().into_owned();
                let child_rel = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}\\{name}")
                };
                let path = entry.path;
                if entry.kind == EntryType::Link {
                    st.links += 1;
                } else if entry.kind == EntryType::Dir {
                    if root_paths.contains(path.as_path()) {
                        st.nested += 1;
                        continue;
                    }
                    if depth + 1 > MAX_DEPTH {
                        st.too_deep += 1;
                        continue;
                    }
                    if cfg!(target_os = "linux") && !seen.insert(entry.id) {
                        st.seen_dirs += 1;
                        continue;
                    }
                    stack.push((path, child_rel, depth + 1));
                } else if entry.kind == EntryType::File {
                    let job = Job {
                        root: ri,
                        path,
                        rel: child_rel,
                        depth: depth + 1,
                    };
                    if tx.send(job).is_err() {
                        return;
                    }
                } else {
                    // A FIFO, socket or device where a file is expected: never opened, listed.
                    st.special += 1;
                    errors.push(InputError {
                        file: join_display(&root.display, &child_rel),
                        line: None,
                        record: None,
                        message: "not a regular file (FIFO, socket or device): skipped".into(),
                    });
                }
            }
        }
    }
}
