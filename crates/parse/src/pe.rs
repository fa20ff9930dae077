//! The file version of a Windows PE file (e.g. Exchange's `Bin\ExSetup.exe`) from its
//! `VS_FIXEDFILEINFO` block: found by its signature, so no full PE parse is needed.

/// `(major, minor, build, revision)` of the first `VS_FIXEDFILEINFO` in `data`.
pub fn file_version(data: &[u8]) -> Option<(u16, u16, u16, u16)> {
    const SIG: [u8; 4] = [0xBD, 0x04, 0xEF, 0xFE];
    if data.get(..2) != Some(b"MZ") {
        return None;
    }
    // The signature may also occur in code or data: take the first occurrence followed by the
    // structure version 1.0 (dwStrucVersion = 0x00010000).
    for at in memchr::memmem::find_iter(data, &SIG) {
        let field = |off: usize| -> Option<u32> {
            let b = data.get(at + off..at + off + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if field(4) != Some(0x0001_0000) {
            continue;
        }
        let (Some(ms), Some(ls)) = (field(8), field(12)) else {
            return None;
        };
        return Some((
            (ms >> 16) as u16,
            (ms & 0xffff) as u16,
            (ls >> 16) as u16,
            (ls & 0xffff) as u16,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal buffer with the MZ magic and a VS_FIXEDFILEINFO for 15.1.2176.9.
    pub fn fake_pe(v: (u16, u16, u16, u16)) -> Vec<u8> {
        let mut d = b"MZ".to_vec();
        d.extend(std::iter::repeat_n(0u8, 200));
        d.extend_from_slice(&[0xBD, 0x04, 0xEF, 0xFE]);
        d.extend_from_slice(&0x0001_0000u32.to_le_bytes());
        d.extend_from_slice(&(((v.0 as u32) << 16) | v.1 as u32).to_le_bytes());
        d.extend_from_slice(&(((v.2 as u32) << 16) | v.3 as u32).to_le_bytes());
        d.extend(std::iter::repeat_n(0u8, 40));
        d
    }

    #[test]
    fn reads_the_fixed_file_info() {
        assert_eq!(
            file_version(&fake_pe((15, 1, 2176, 9))),
            Some((15, 1, 2176, 9))
        );
        // A stray signature before the real block is skipped.
        let mut stray = b"MZ".to_vec();
        stray.extend_from_slice(&[0xBD, 0x04, 0xEF, 0xFE, 9, 9, 9, 9]);
        stray.extend_from_slice(&fake_pe((15, 2, 986, 5))[2..]);
        assert_eq!(file_version(&stray), Some((15, 2, 986, 5)));
        assert_eq!(file_version(b"MZ no version"), None);
        assert_eq!(
            file_version(&fake_pe((15, 1, 2176, 9))[2..]),
            None,
            "not a PE"
        );
        let mut cut = fake_pe((15, 2, 1, 2));
        cut.truncate(cut.len() - 48);
        assert_eq!(file_version(&cut), None, "truncated block");
    }
}
