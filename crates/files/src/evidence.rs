//! The one way exray opens evidence: every reader (detectors, EVTX, the mitigation audit, the
//! installed build, registry exports, sniffing, discovery and the sweep) opens files and lists
//! folders here, so that
//!
//! - nothing is written and no access time changes: files *and folders* are opened read-only with
//!   `O_NOATIME` where the kernel allows it (the owner of the file, or root; otherwise without it),
//! - no link is ever followed (`O_NOFOLLOW`; folder entries are classified with `lstat`),
//! - nothing blocks: files are opened `O_NONBLOCK` and then checked with `fstat`; a FIFO, socket
//!   or device in place of a log or a config is refused ([`OpenError::NotRegular`]),
//! - every kind of evidence has a size cap ([`Kind::cap`]), stated in the report when a file
//!   passes it.
//!
//! A test in `crates/hunt/tests/hostile.rs` greps the source tree: no other module may call
//! `File::open`, `fs::read`, `fs::read_to_string` or `fs::read_dir` on evidence.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What a file is read as; each kind has its own size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HttpProxy, IIS, ECP server and OAB generator logs.
    TextLog,
    /// EVTX files.
    Evtx,
    /// JSON-lines event exports (or a zip of them: see [`ZipCaps`]).
    EventExport,
    /// `web.config`, `applicationHost.config`.
    Config,
    /// Exported registry files (`*.reg`).
    Registry,
    /// `Bin\ExSetup.exe` (its version resource).
    Executable,
    /// Binary registry hives (`SOFTWARE`, `SYSTEM`), read whole: a larger one is not read.
    Hive,
    /// The first bytes of a file, to tell its kind.
    Sniff,
    /// A file of the web-root sweep (its own cap, `--max-file-size`).
    Swept,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

impl Kind {
    /// Bytes read at most from one file of this kind.
    pub fn cap(self) -> u64 {
        match self {
            Kind::TextLog | Kind::EventExport | Kind::Evtx => 4 * GIB,
            Kind::Config => 16 * MIB,
            Kind::Registry | Kind::Executable => 64 * MIB,
            Kind::Hive => 512 * MIB,
            Kind::Sniff => 4096,
            Kind::Swept => u64::MAX,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TextLog => "text logs",
            Kind::Evtx => "EVTX files",
            Kind::EventExport => "event exports",
            Kind::Config => "configuration files",
            Kind::Registry => "registry exports",
            Kind::Executable => "ExSetup.exe",
            Kind::Hive => "registry hives",
            Kind::Sniff => "sniffed heads",
            Kind::Swept => "swept files",
        }
    }
}

/// Registry exports read per hunt, in all (they are kept as text for the audits).
pub const REGISTRY_TOTAL_CAP: u64 = 128 * MIB;

/// Caps on zipped event exports: bytes per entry, per archive and per hunt, entries per archive
/// and the compression ratio of an entry.
#[derive(Debug, Clone, Copy)]
pub struct ZipCaps {
    pub entry_bytes: u64,
    pub archive_bytes: u64,
    pub hunt_bytes: u64,
    pub entries: usize,
    /// Uncompressed bytes per compressed byte, past the first MiB of an entry.
    pub ratio: u64,
}

pub const ZIP_CAPS: ZipCaps = ZipCaps {
    entry_bytes: GIB,
    archive_bytes: 4 * GIB,
    hunt_bytes: 16 * GIB,
    entries: 10_000,
    ratio: 200,
};

/// Why evidence could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open: {source}")]
    Io {
        #[source]
        source: io::Error,
    },
    #[error("is a link: links are never followed")]
    Link,
    #[error("not a regular file ({what}): skipped")]
    NotRegular { what: &'static str },
}

/// An opened evidence file: the handle, its size and the cap of its kind.
#[derive(Debug)]
pub struct Evidence {
    pub file: File,
    pub size: u64,
    /// Bytes the file takes on disk (less than `size` for a sparse file).
    pub allocated: u64,
    pub kind: Kind,
}

impl Evidence {
    /// Bytes that will be read: the size, or the cap of the kind.
    pub fn limit(&self) -> u64 {
        self.size.min(self.kind.cap())
    }

    /// Whether the file is larger than its kind's cap.
    pub fn over_cap(&self) -> bool {
        self.size > self.kind.cap()
    }

    /// A note on the file's size, when it is worth stating: larger than the cap, or sparse and
    /// large (its holes read as zeros).
    pub fn size_note(&self) -> Option<String> {
        let sparse = self.size > 64 * MIB && self.allocated < self.size / 8;
        let sp = if sparse {
            format!(" (sparse: {} on disk)", human(self.allocated))
        } else {
            String::new()
        };
        if self.over_cap() {
            Some(format!(
                "file of {}{sp}: only its first {} read (the cap for {})",
                human(self.size),
                human(self.kind.cap()),
                self.kind.as_str()
            ))
        } else if sparse {
            Some(format!("file of {}{sp}", human(self.size)))
        } else {
            None
        }
    }

    /// Read the file up to its cap into memory.
    pub fn read_capped(&mut self) -> io::Result<Vec<u8>> {
        let limit = self.limit();
        let mut out = Vec::with_capacity(limit.min(64 * MIB) as usize);
        (&mut self.file).take(limit).read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Bytes as a short human figure (`4.0 GiB`).
pub fn human(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Open a file read-only (no atime, no link, no blocking): the raw handle, not checked.
pub fn open_raw(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::fs::OpenOptions;
        use std::os::unix::fs::OpenOptionsExt;
        let base = libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            match OpenOptions::new()
                .read(true)
                .custom_flags(base | libc::O_NOATIME)
                .open(path)
            {
                Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
                r => return r,
            }
        }
        OpenOptions::new().read(true).custom_flags(base).open(path)
    }
    #[cfg(not(unix))]
    {
        if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(io::Error::other("is a link"));
        }
        File::open(path)
    }
}

/// Open evidence of `kind`: read-only, no atime, never through a link, never blocking, and only a
/// regular file.
pub fn open(path: &Path, kind: Kind) -> Result<Evidence, OpenError> {
    #[cfg(test)]
    if test_hook::fails(path) {
        return Err(OpenError::Io {
            source: io::Error::from_raw_os_error(13),
        });
    }
    let file = match open_raw(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(OpenError::Link),
        Err(source) => return Err(OpenError::Io { source }),
    };
    let md = file.metadata().map_err(|source| OpenError::Io { source })?;
    let ft = md.file_type();
    if !ft.is_file() {
        return Err(OpenError::NotRegular {
            what: file_type_name(&ft),
        });
    }
    #[cfg(unix)]
    let allocated = {
        use std::os::unix::fs::MetadataExt;
        md.blocks().saturating_mul(512)
    };
    #[cfg(not(unix))]
    let allocated = md.len();
    Ok(Evidence {
        file,
        size: md.len(),
        allocated,
        kind,
    })
}

/// Read the first bytes of a file (to tell its kind); `None` if it cannot be opened as a regular
/// file.
pub fn head(path: &Path, n: usize) -> Option<Vec<u8>> {
    let ev = open(path, Kind::Sniff).ok()?;
    let mut buf = Vec::with_capacity(n);
    ev.file.take(n as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

fn file_type_name(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a link"
    } else {
        "a special file"
    }
}

/// What a folder entry is (from `lstat`: links are links).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Dir,
    Link,
    Other,
}

/// One entry of a listed folder.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: OsString,
    pub path: PathBuf,
    pub kind: EntryType,
    /// Size of a file (0 for the rest).
    pub size: u64,
    /// Device and inode (to list a folder reached twice once).
    pub id: (u64, u64),
}

/// List a folder without changing its access time and without following a link in its place.
/// Entries come in no particular order; `.` and `..` are left out.
pub fn list_dir(dir: &Path) -> io::Result<Vec<Entry>> {
    #[cfg(test)]
    if test_hook::fails(dir) {
        return Err(io::Error::from_raw_os_error(13));
    }
    #[cfg(target_os = "linux")]
    {
        list_dir_linux(dir)
    }
    #[cfg(not(target_os = "linux"))]
    {
        list_dir_std(dir)
    }
}

#[cfg(target_os = "linux")]
fn list_dir_linux(dir: &Path) -> io::Result<Vec<Entry>> {
    use rustix::fs::{openat, statat, AtFlags, Dir, FileType, Mode, OFlags, CWD};
    use std::os::unix::ffi::OsStrExt;
    let base = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match openat(CWD, dir, base | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => openat(CWD, dir, base, Mode::empty()),
        r => r,
    }
    .map_err(io::Error::from)?;
    let st = rustix::fs::fstat(&fd).map_err(io::Error::from)?;
    let _ = st;
    let dirfd = rustix::io::dup(&fd).map_err(io::Error::from)?;
    let mut d = Dir::new(fd).map_err(io::Error::from)?;
    let mut out = Vec::new();
    while let Some(e) = d.read() {
        let e = e.map_err(io::Error::from)?;
        let name = e.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let name = OsString::from(std::ffi::OsStr::from_bytes(name));
        let path = dir.join(&name);
        let (kind, size, id) = match statat(&dirfd, e.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => {
                let ft = FileType::from_raw_mode(s.st_mode);
                let kind = match ft {
                    FileType::RegularFile => EntryType::File,
                    FileType::Directory => EntryType::Dir,
                    FileType::Symlink => EntryType::Link,
                    _ => EntryType::Other,
                };
                let size = if kind == EntryType::File {
                    s.st_size as u64
                } else {
                    0
                };
                (kind, size, (s.st_dev, s.st_ino))
            }
            // Gone since the listing.
            Err(_) => continue,
        };
        out.push(Entry {
            name,
            path,
            kind,
            size,
            id,
        });
    }
    Ok(out)
}

#[cfg(not(target_os = "linux"))]
fn list_dir_std(dir: &Path) -> io::Result<Vec<Entry>> {
    if std::fs::symlink_metadata(dir)?.file_type().is_symlink() {
        return Err(io::Error::other("is a link"));
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let Ok(md) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        let ft = md.file_type();
        let kind = if ft.is_symlink() {
            EntryType::Link
        } else if ft.is_dir() {
            EntryType::Dir
        } else if ft.is_file() {
            EntryType::File
        } else {
            EntryType::Other
        };
        out.push(Entry {
            name: e.file_name(),
            path: e.path(),
            kind,
            size: if kind == EntryType::File { md.len() } else { 0 },
            id: (0, 0),
        });
    }
    Ok(out)
}

/// Files under `dir`, depth-limited, links and special files skipped, in a stable order, with
/// the folders that could not be listed and the folders not entered for depth.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<(PathBuf, u64)>,
    /// Folders that could not be listed, with the error.
    pub errors: Vec<(PathBuf, io::Error)>,
    /// Folders deeper than the limit, not entered.
    pub too_deep: Vec<PathBuf>,
    /// Special files (FIFOs, sockets, devices) skipped.
    pub special: Vec<PathBuf>,
}

pub fn walk(dir: &Path, max_depth: usize) -> Walked {
    let mut w = Walked::default();
    // The folder the user named may be a link (a mounted evidence folder): that one is followed,
    // and the paths below keep its name.
    let start = match std::fs::symlink_metadata(dir) {
        Ok(md) if md.file_type().is_symlink() => std::fs::canonicalize(dir).ok(),
        _ => None,
    };
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    let mut seen = std::collections::HashSet::new();
    while let Some((d, depth)) = stack.pop() {
        let listed = match (&start, depth) {
            (Some(real), 0) => list_dir(real).map(|v| {
                v.into_iter()
                    .map(|mut e| {
                        e.path = d.join(&e.name);
                        e
                    })
                    .collect()
            }),
            _ => list_dir(&d),
        };
        let entries = match listed {
            Ok(e) => e,
            Err(e) => {
                w.errors.push((d, e));
                continue;
            }
        };
        for e in entries {
            match e.kind {
                EntryType::Link => {}
                EntryType::Dir if depth < max_depth => {
                    if e.id == (0, 0) || seen.insert(e.id) {
                        stack.push((e.path, depth + 1));
                    }
                }
                EntryType::Dir => w.too_deep.push(e.path),
                EntryType::File => w.files.push((e.path, e.size)),
                EntryType::Other => w.special.push(e.path),
            }
        }
    }
    w.files.sort();
    w.too_deep.sort();
    w.special.sort();
    w
}

/// Test support: paths whose open or listing fails as if permission were denied (tests run as
/// root, where mode 000 does not deny).
#[cfg(test)]
pub mod test_hook {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    static FAIL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    pub fn deny(p: &Path) {
        FAIL.lock().unwrap().push(p.to_path_buf());
    }

    pub(crate) fn fails(p: &Path) -> bool {
        FAIL.lock().unwrap().iter().any(|f| f == p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn fifos_and_links_are_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("web.config");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        match open(&fifo, Kind::Config) {
            Err(OpenError::NotRegular { what }) => assert_eq!(what, "a FIFO"),
            other => panic!("{other:?}"),
        }
        std::fs::write(t.path().join("real"), b"x").unwrap();
        std::os::unix::fs::symlink(t.path().join("real"), t.path().join("link")).unwrap();
        assert!(matches!(
            open(&t.path().join("link"), Kind::Config),
            Err(OpenError::Link)
        ));
        let ev = open(&t.path().join("real"), Kind::Config).unwrap();
        assert_eq!(ev.size, 1);
        let kinds: Vec<_> = {
            let mut v: Vec<_> = list_dir(t.path())
                .unwrap()
                .into_iter()
                .map(|e| (e.name.to_string_lossy().into_owned(), e.kind))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(
            kinds,
            vec![
                ("link".into(), EntryType::Link),
                ("real".into(), EntryType::File),
                ("web.config".into(), EntryType::Other)
            ]
        );
        // A folder given through a link is not listed.
        std::os::unix::fs::symlink(t.path(), t.path().join("dirlink")).unwrap();
        assert!(list_dir(&t.path().join("dirlink")).is_err());
    }

    #[test]
    fn caps_are_stated() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("big.config");
        let f = File::create(&p).unwrap();
        f.set_len(Kind::Config.cap() + 1).unwrap();
        let mut ev = open(&p, Kind::Config).unwrap();
        assert!(ev.over_cap());
        let note = ev.size_note().unwrap();
        assert!(note.contains("16.0 MiB"), "{note}");
        assert_eq!(ev.read_capped().unwrap().len() as u64, Kind::Config.cap());
    }

    #[test]
    fn walk_notes_depth_and_errors() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("a/b/c")).unwrap();
        std::fs::write(t.path().join("a/x.log"), b"x").unwrap();
        std::fs::write(t.path().join("a/b/c/y.log"), b"y").unwrap();
        let w = walk(t.path(), 1);
        assert_eq!(w.files.len(), 1);
        assert_eq!(w.too_deep, vec![t.path().join("a/b")]);
        test_hook::deny(&t.path().join("a"));
        let w = walk(t.path(), 5);
        assert_eq!(w.errors.len(), 1);
        assert!(w.files.is_empty());
    }
}
