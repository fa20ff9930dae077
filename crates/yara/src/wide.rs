//! A UTF-16 page read as the text it holds.
//!
//! Windows editors and PowerShell's `Out-File` save pages as UTF-16, and ASP.NET compiles such a
//! page (with its byte-order mark) as any other; but a rule written for the ASCII of a script
//! finds none of its atoms there, where every other byte of `Request` is zero. So the scanner
//! reads such a page a second time as UTF-8, where every rule and every data-flow check applies
//! as to any page (the first rules for these pages asked only for a few wide words, and tripped
//! on ordinary UTF-16 pages of an application that call `Execute` on their own data). Offsets in
//! the view are mapped back to the code unit of the file each byte came from.

/// Files larger than this get no UTF-16 view (the view and its map would cost several times the
/// file; pages are far smaller, and a large UTF-16 file is a log or an export).
pub const MAX_WIDE_VIEW: usize = 8 * 1024 * 1024;

/// The UTF-8 text of `data` and, for each byte of it, the offset in `data` of the code unit it
/// came from; `None` unless `data` is UTF-16 text: a byte-order mark (FF FE or FE FF) followed
/// by text that starts as a page does, with ASCII markup or script (an ASCII page or a binary
/// file that merely starts with those two bytes reads as a run of CJK characters or zeros, and is
/// left alone), or a page that starts with at least eight ASCII characters each followed
/// (little-endian) or preceded (big-endian) by a zero byte, as a page saved without the mark
/// does. Unpaired surrogates become U+FFFD; an odd last byte is dropped.
pub fn narrow(data: &[u8]) -> Option<(Vec<u8>, Vec<u32>)> {
    if data.len() > MAX_WIDE_VIEW {
        return None;
    }
    let (le, start) = match data {
        [0xFF, 0xFE, ..] => (true, 2),
        [0xFE, 0xFF, ..] => (false, 2),
        _ => (bare_order(data)?, 0),
    };
    let units = || {
        data[start..].chunks_exact(2).map(move |c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
    };
    if !starts_as_text(units()) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut map = Vec::with_capacity(data.len() / 2);
    let mut at = start;
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units()) {
        let (ch, n) = match c {
            Ok(ch) => (ch, ch.len_utf16()),
            Err(_) => (char::REPLACEMENT_CHARACTER, 1),
        };
        let bytes = ch.encode_utf8(&mut buf).as_bytes();
        out.extend_from_slice(bytes);
        map.extend(std::iter::repeat_n(at as u32, bytes.len()));
        at += 2 * n;
    }
    Some((out, map))
}

/// Do the first code units after a byte-order mark read as the start of a page: no zero unit,
/// and at least half of the first eight (or of all, in a shorter file) ASCII characters?
fn starts_as_text(units: impl Iterator<Item = u16>) -> bool {
    const UNITS: usize = 8;
    let mut seen = 0usize;
    let mut ascii = 0usize;
    for u in units.take(UNITS) {
        if u == 0 {
            return false;
        }
        seen += 1;
        ascii += usize::from(u < 0x80);
    }
    seen > 0 && 2 * ascii >= seen
}

/// The byte order of a page saved as UTF-16 without a byte-order mark (`true`: little-endian),
/// judged by its first eight characters.
fn bare_order(data: &[u8]) -> Option<bool> {
    const CHARS: usize = 8;
    let head = data.get(..2 * CHARS)?;
    let pairs = || head.chunks_exact(2);
    let ascii = |b: u8| b.is_ascii_graphic() || b.is_ascii_whitespace();
    if pairs().all(|p| ascii(p[0]) && p[1] == 0) {
        Some(true)
    } else if pairs().all(|p| p[0] == 0 && ascii(p[1])) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn reads_little_endian_with_and_without_mark() {
        for bom in [true, false] {
            let page = utf16le("<%eval request(\"x\")%>", bom);
            let (text, map) = narrow(&page).unwrap();
            assert_eq!(text, b"<%eval request(\"x\")%>");
            let base = if bom { 2 } else { 0 };
            assert_eq!(map[0], base);
            assert_eq!(map[2], base + 4, "each character maps to its code unit");
        }
    }

    #[test]
    fn reads_big_endian_and_non_ascii() {
        let mut page = vec![0xFE, 0xFF];
        page.extend("<% x = \"中\" %>".encode_utf16().flat_map(u16::to_be_bytes));
        let (text, map) = narrow(&page).unwrap();
        assert_eq!(std::str::from_utf8(&text).unwrap(), "<% x = \"中\" %>");
        // the three bytes of 中 all map to its one code unit
        let i = text.iter().position(|&b| b >= 0x80).unwrap();
        assert_eq!(map[i], map[i + 2]);
        assert_eq!(map[i + 3], map[i] + 2);
    }

    #[test]
    fn leaves_other_text_alone() {
        assert!(narrow(b"<%eval request(\"x\")%>").is_none());
        // an ASCII page behind a stray mark, a binary file starting FF FE, UTF-32
        assert!(narrow(b"\xff\xfe<%eval request(\"x\")%>").is_none());
        assert!(narrow(b"\xff\xfe\x00\x00<\x00\x00\x00%\x00\x00\x00").is_none());
        assert!(narrow(&[0xFF, 0xFE, 0x13, 0x9A, 0x00, 0x00, 0xFF, 0x42]).is_none());
        assert!(narrow(&[0xFF, 0xFE]).is_none());
        let mut big = utf16le("<% x %>", true);
        big.resize(MAX_WIDE_VIEW + 2, b' ');
        assert!(narrow(&big).is_none());
        assert!(narrow(b"").is_none());
        assert!(narrow(&[0xFF]).is_none());
        // a short run of zeros is no page
        assert!(narrow(b"a\0b\0c\0").is_none());
    }

    #[test]
    fn survives_unpaired_surrogates_and_odd_length() {
        let mut page = vec![0xFF, 0xFE, b'<', 0, 0x00, 0xD8, b'%', 0];
        page.push(b'x');
        let (text, map) = narrow(&page).unwrap();
        assert_eq!(std::str::from_utf8(&text).unwrap(), "<\u{FFFD}%");
        assert_eq!(map.len(), text.len());
    }
}
