//! Sparse files: where a file's data ends. A hole reads as zeros, which hold no record and no
//! line end, so a reader may stop where the last data extent ends: a 100 GB sparse log with 4 KiB
//! of data costs 4 KiB, not the cap of its kind.

use std::fs::File;

/// Extents looked at before giving up (a file fragmented on purpose is read to its length).
const MAX_EXTENTS: usize = 65_536;

/// The end of the last data extent of `file` (`len` bytes long), or `len` when the file is not
/// sparse or the system cannot tell. The file offset is left where it was.
pub fn data_end(file: &File, len: u64) -> u64 {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(md) = file.metadata() else { return len };
        if md.blocks().saturating_mul(512) >= len {
            return len; // fully allocated
        }
        linux::data_end(file, len)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        len
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::File;
    use std::os::fd::AsRawFd;

    pub(super) fn data_end(file: &File, len: u64) -> u64 {
        let fd = file.as_raw_fd();
        // SAFETY: lseek on a descriptor this function borrows; the offset is restored below.
        let saved = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
        if saved < 0 {
            return len;
        }
        let mut end = 0u64;
        let mut off: libc::off_t = 0;
        let mut extents = 0;
        loop {
            // SAFETY: as above.
            let d = unsafe { libc::lseek(fd, off, libc::SEEK_DATA) };
            if d < 0 {
                // ENXIO: no data past `off`; anything else: cannot tell.
                if std::io::Error::last_os_error().raw_os_error() != Some(libc::ENXIO) {
                    end = len;
                }
                break;
            }
            // SAFETY: as above.
            let h = unsafe { libc::lseek(fd, d, libc::SEEK_HOLE) };
            if h < 0 {
                end = len;
                break;
            }
            end = h as u64;
            off = h;
            extents += 1;
            if end >= len || extents >= super::MAX_EXTENTS {
                if extents >= super::MAX_EXTENTS {
                    end = len;
                }
                break;
            }
        }
        // SAFETY: as above.
        unsafe { libc::lseek(fd, saved, libc::SEEK_SET) };
        end.min(len)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    #[test]
    fn a_trailing_hole_is_not_data() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[b'x'; 5000]).unwrap();
        f.set_len(1 << 30).unwrap();
        f.seek(SeekFrom::Start(7)).unwrap();
        let end = super::data_end(&f, 1 << 30);
        assert!(end >= 5000, "{end}");
        if cfg!(target_os = "linux") {
            assert!(end < 1 << 20, "{end}: the hole counted as data");
        }
        assert_eq!(f.stream_position().unwrap(), 7, "the offset is kept");
        let mut g = tempfile::tempfile().unwrap();
        g.write_all(&[b'y'; 10_000]).unwrap();
        assert_eq!(super::data_end(&g, 10_000), 10_000);
    }
}
