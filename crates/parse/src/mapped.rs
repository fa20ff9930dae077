//! Read-only memory maps of log files, one window at a time, safe against files that shrink.
//!
//! Mapping saves the copy `read` makes (a third of a log hunt's time). The danger of maps is a
//! file truncated while mapped: touching a page past the new end raises SIGBUS and kills the
//! process. Live logs are appended to, not truncated, but an intruder wiping logs during a hunt
//! must not cost the hunt, so every window is registered with a SIGBUS handler: a fault inside a
//! registered window replaces the rest of the window with zero pages, marks it, and lets the
//! read go on; the scanner then reports that the file shrank and which bytes were not read. A
//! fault anywhere else goes to the handler that was installed before (Rust's own, or the default).
//!
//! Linux only; elsewhere callers read with `read`.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// Registered windows: (start, end) addresses, and whether a fault hit them.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    faulted: AtomicBool,
    taken: AtomicBool,
}

const SLOTS: usize = 256;

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
    taken: AtomicBool::new(false),
};
static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// The handler in place before ours (written once, before ours is installed).
static mut PREVIOUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    for slot in TABLE.iter() {
        let s = slot.start.load(Ordering::Acquire);
        let e = slot.end.load(Ordering::Acquire);
        if s != 0 && addr >= s && addr < e {
            let page = addr & !(page_size() - 1);
            // SAFETY: [page, e) lies inside a mapping this module made and still owns; replacing
            // it with anonymous zero pages is what makes the faulting read succeed.
            let r = unsafe {
                libc::mmap(
                    page as *mut libc::c_void,
                    e - page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                slot.faulted.store(true, Ordering::Release);
                return;
            }
        }
    }
    // Not ours: hand over to the previous handler, or restore the default and let the faulting
    // access run again into it.
    // SAFETY: PREVIOUS was written before our handler was installed and is never written again.
    unsafe {
        let prev = (*std::ptr::addr_of!(PREVIOUS)).assume_init_ref();
        let h = prev.sa_sigaction;
        if h == libc::SIG_DFL || h == libc::SIG_IGN {
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
        } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(h);
            f(sig, info, ctx);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(sig);
        }
    }
}

fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: plain sigaction calls; PREVIOUS is written before the handler can run.
        unsafe {
            let mut prev: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut prev) != 0 {
                return;
            }
            (*std::ptr::addr_of_mut!(PREVIOUS)).write(prev);
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_sigbus as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            libc::sigemptyset(&mut act.sa_mask);
            if libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()) == 0 {
                INSTALLED.store(true, Ordering::Release);
            }
        }
    });
    INSTALLED.load(Ordering::Acquire)
}

/// One mapped window of a file: `bytes()` are the file's bytes `[offset, offset + len)`.
pub struct Window {
    base: *mut libc::c_void,
    map_len: usize,
    skip: usize,
    len: usize,
    slot: usize,
}

impl Window {
    /// Map `len` bytes of `file` from `offset` (any offset; the map starts at the page below).
    /// `None` when mapping is not possible (the caller reads instead).
    pub fn map(file: &File, offset: u64, len: usize) -> Option<Window> {
        if len == 0 || !install() {
            return None;
        }
        let page = page_size() as u64;
        let start = offset - offset % page;
        let skip = (offset - start) as usize;
        let map_len = len + skip;
        let slot = (0..SLOTS).find(|&i| {
            TABLE[i]
                .taken
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        })?;
        // SAFETY: a fresh read-only private mapping of an open file; nothing aliases it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ,
                // No MAP_POPULATE: populating walks the window page by page through
                // get_user_pages, while the first touch of each 64 KiB faults in a whole run of
                // pages (fault-around); measured, faulting costs less CPU.
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                start as libc::off_t,
            )
        };
        if base == libc::MAP_FAILED {
            TABLE[slot].taken.store(false, Ordering::Release);
            return None;
        }
        let s = &TABLE[slot];
        s.faulted.store(false, Ordering::Release);
        s.end.store(
            base as usize + map_len.div_ceil(page as usize) * page as usize,
            Ordering::Release,
        );
        s.start.store(base as usize, Ordering::Release);
        Some(Window {
            base,
            map_len,
            skip,
            len,
            slot,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping covers map_len bytes from base and lives as long as self; pages past
        // a shrunken file's end read as zeros (see the module comment) instead of faulting.
        unsafe { std::slice::from_raw_parts((self.base as *const u8).add(self.skip), self.len) }
    }

    /// Whether a read of this window ran past the file's end (the file shrank while mapped).
    pub fn faulted(&self) -> bool {
        TABLE[self.slot].faulted.load(Ordering::Acquire)
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let s = &TABLE[self.slot];
        s.start.store(0, Ordering::Release);
        s.end.store(0, Ordering::Release);
        // SAFETY: unmapping exactly the mapping made in `map`.
        unsafe {
            libc::munmap(self.base, self.map_len);
        }
        s.taken.store(false, Ordering::Release);
    }
}

// SAFETY: the window is a read-only mapping; sharing or moving it across threads is sound.
unsafe impl Send for Window {}
unsafe impl Sync for Window {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_any_offset() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let w = Window::map(&f, 5000, 12_345).unwrap();
        assert_eq!(w.bytes(), &data[5000..5000 + 12_345]);
        assert!(!w.faulted());
    }

    #[test]
    fn a_file_truncated_while_mapped_reads_as_zeros_and_is_flagged() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data = vec![b'x'; 64 * 1024];
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        let file = File::open(f.path()).unwrap();
        let w = Window::map(&file, 0, data.len()).unwrap();
        // Shrink the file under the map.
        f.as_file().set_len(4096).unwrap();
        let b = w.bytes();
        assert_eq!(b[0], b'x');
        // Touch the pages past the new end: no SIGBUS kills us, zeros come back.
        let tail: u64 = b[8192..].iter().map(|&x| u64::from(x)).sum();
        assert_eq!(tail, 0);
        assert!(w.faulted());
    }
}
