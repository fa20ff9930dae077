//! Passive fingerprint extraction from responses (notes §6), ranked by precision. Pure
//! functions: no I/O, so every method is tested on bytes.

use std::fmt;

use memchr::memmem;

/// The OWA favicon's MD5 (notes §6, recog).
pub const OWA_FAVICON_MD5: &str = "759fade9033aa298629e4b000dcd6dde";

/// An Exchange version as learned from the wire: major.minor and maybe build and revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub build: Option<u32>,
    pub revision: Option<u32>,
}

impl Version {
    pub fn is_full(&self) -> bool {
        self.build.is_some() && self.revision.is_some()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(b) = self.build {
            write!(f, ".{b}")?;
            if let Some(r) = self.revision {
                write!(f, ".{r}")?;
            }
        }
        Ok(())
    }
}

/// Parse `14.x.y[.z]` / `15.x.y[.z]` strictly: Exchange 2010 to SE. Needs at least three parts.
pub fn parse_version(s: &str) -> Option<Version> {
    let s = s.trim();
    let parts: Vec<&str> = s.split('.').collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    let mut nums = [0u32; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    if !(14..=15).contains(&nums[0]) || nums[1] > 9 {
        return None;
    }
    Some(Version {
        major: nums[0],
        minor: nums[1],
        build: Some(nums[2]),
        revision: (parts.len() == 4).then_some(nums[3]),
    })
}

/// The value of `attr="..."` (or single quotes) inside one XML start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(name) {
        let at = from + p;
        let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        let rest = tag[at + name.len()..].trim_start();
        if before_ok {
            if let Some(rest) = rest.strip_prefix('=') {
                let rest = rest.trim_start();
                let q = rest.chars().next()?;
                if q == '"' || q == '\'' {
                    let end = rest[1..].find(q)?;
                    return Some(&rest[1..1 + end]);
                }
            }
        }
        from = at + name.len();
    }
    None
}

/// Method 1: the export tool's ClickOnce manifest. Returns the version and the tag it came
/// from. The deployment's own `assemblyIdentity` (name containing `exporttool`) wins over
/// dependencies; otherwise the first identity with an Exchange version.
pub fn manifest_version(body: &[u8]) -> Option<(Version, String)> {
    let text = String::from_utf8_lossy(&body[..body.len().min(256 * 1024)]);
    let finder = memmem::Finder::new(b"assemblyIdentity");
    let mut best: Option<(Version, String, bool)> = None;
    for pos in finder.find_iter(text.as_bytes()) {
        let rest = &text[pos..];
        let end = rest.find('>').unwrap_or(rest.len()).min(1024);
        let tag = &rest[..floor_boundary(rest, end)];
        let Some(version) = attr(tag, "version").and_then(parse_version) else {
            continue;
        };
        if !version.is_full() {
            continue;
        }
        let own = attr(tag, "name")
            .map(|n| n.to_ascii_lowercase().contains("exporttool"))
            .unwrap_or(false);
        let excerpt: String = format!("<{tag}>").chars().take(300).collect();
        match &best {
            Some((_, _, true)) => {}
            Some(_) if !own => {}
            _ => best = Some((version, excerpt, own)),
        }
    }
    best.map(|(v, e, _)| (v, e))
}

/// The largest index `<= i` on a char boundary of `s`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Method 2: the `X-OWA-Version` header value.
pub fn owa_version_header(value: &str) -> Option<Version> {
    parse_version(value)
}

/// Method 3a: build folders in an OWA page: `/owa/auth/15.1.1466/themes/...` (CU only) or the
/// Exchange 2010 style `/owa/14.3.123.4/themes/...`. Returns the most frequent version.
pub fn page_build_folders(body: &[u8]) -> Option<(Version, usize)> {
    let mut found: Vec<(Version, usize)> = Vec::new();
    for needle in [&b"/owa/auth/"[..], &b"/owa/"[..]] {
        for pos in memmem::find_iter(body, needle) {
            let rest = &body[pos + needle.len()..];
            let len = rest
                .iter()
                .take(24)
                .take_while(|b| b.is_ascii_digit() || **b == b'.')
                .count();
            if len == 0 || rest.get(len) != Some(&b'/') {
                continue;
            }
            let Some(v) = std::str::from_utf8(&rest[..len])
                .ok()
                .and_then(parse_version)
            else {
                continue;
            };
            match found.iter_mut().find(|(x, _)| *x == v) {
                Some((_, n)) => *n += 1,
                None => found.push((v, 1)),
            }
        }
    }
    found.into_iter().max_by_key(|(v, n)| (*n, *v))
}

/// Method 3b: `owaVer=15.x.y.z` in a redirect (`errorfe.aspx?...&owaVer=...`) or page.
pub fn owa_ver_param(text: &[u8]) -> Option<Version> {
    let lower: Vec<u8> = text
        .iter()
        .take(64 * 1024)
        .map(u8::to_ascii_lowercase)
        .collect();
    for pos in memmem::find_iter(&lower, b"owaver=") {
        let rest = &text[pos + 7..];
        let len = rest
            .iter()
            .take(24)
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        if let Some(v) = std::str::from_utf8(&rest[..len])
            .ok()
            .and_then(parse_version)
        {
            return Some(v);
        }
    }
    None
}

/// Method 4: discovery headers that only Exchange's front end sends.
pub const EXCHANGE_HEADERS: &[&str] = &[
    "X-FEServer",
    "X-BEServer",
    "X-CalculatedBETarget",
    "X-OWA-Version",
    "X-OWA-Error",
    "X-DiagInfo",
];

/// Method 4: an OWA page title.
pub fn owa_title(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(64 * 1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let start = memmem::find(&lower, b"<title")?;
    let gt = start + memchr::memchr(b'>', &lower[start..])?;
    let end = gt + memmem::find(&lower[gt..], b"</title")?;
    let title = String::from_utf8_lossy(&head[gt + 1..end]);
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = title.to_ascii_lowercase();
    (t == "outlook" || t.starts_with("outlook web app") || t.starts_with("outlook web access"))
        .then_some(title)
}

/// Method 4: a redirect to the OWA logon page.
pub fn logon_redirect(location: &str) -> bool {
    let l = location.to_ascii_lowercase();
    l.contains("/owa/auth/logon.aspx") || l.contains("/owa/auth/errorfe.aspx")
}

/// MD5 of bytes, lower hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(bytes))
}

/// SHA-256 of bytes, lower hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse_version(s).unwrap()
    }

    #[test]
    fn versions() {
        assert_eq!(v("15.1.2176.2").to_string(), "15.1.2176.2");
        assert_eq!(v("15.2.986").revision, None);
        for bad in [
            "15.1",
            "16.0.1.1",
            "15.1.x.2",
            "15.1.2.3.4",
            "",
            "15..1.2",
            "1.15.1.1",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn manifest_prefers_own_identity() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <dependency><dependentAssembly><assemblyIdentity name="Microsoft.Exchange.Common" version="15.0.0.0" /></dependentAssembly></dependency>
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version='15.2.792.3' publicKeyToken="31bf3856ad364e35" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />
</asmv1:assembly>"#;
        let (ver, tag) = manifest_version(xml).unwrap();
        assert_eq!(ver, v("15.2.792.3"));
        assert!(tag.contains("exporttool"));
        assert_eq!(manifest_version(b"<html>not found</html>"), None);
        assert_eq!(
            manifest_version(b"<assemblyIdentity version=\"1.0.0.0\" name=\"x\"/>"),
            None
        );
    }

    #[test]
    fn folders_and_params() {
        let page =
            br#"<link rel="shortcut icon" href="/owa/auth/15.1.1466/themes/resources/favicon.ico">
<img src="/owa/auth/15.1.1466/themes/resources/x.gif"><a href="/owa/auth/15.1.1/themes">"#;
        assert_eq!(page_build_folders(page), Some((v("15.1.1466"), 2)));
        assert_eq!(
            page_build_folders(b"src=\"/owa/14.3.123.4/themes/base/x.gif\"").map(|x| x.0),
            Some(v("14.3.123.4"))
        );
        assert_eq!(
            page_build_folders(b"/owa/auth/logon.aspx /owa/auth/15.1/"),
            None
        );
        assert_eq!(
            owa_ver_param(
                b"/owa/auth/errorfe.aspx?httpCode=500&owaError=x&owaVer=15.1.2242.4&be=EX"
            ),
            Some(v("15.1.2242.4"))
        );
    }

    #[test]
    fn hostile_bytes_never_panic() {
        // Multi-byte characters at every cut position, truncated tags, lone quotes.
        let mut seed = 0x1234_5678_u64;
        let pieces: [&[u8]; 12] = [
            b"<assemblyIdentity version=\"15.1.2176.2\"",
            "é€😀".as_bytes(),
            b"\xff\xfe",
            b"owaVer=",
            b"/owa/auth/15.",
            b"<title>",
            b"</title",
            b"version='",
            b"name=\"exporttool",
            b">",
            b"1.2.3",
            b"\"",
        ];
        for _ in 0..3000 {
            let mut body = Vec::new();
            for _ in 0..(seed % 40) {
                seed = crate::shard::mix64(seed);
                body.extend_from_slice(pieces[(seed % pieces.len() as u64) as usize]);
                if seed.is_multiple_of(7) {
                    body.extend(std::iter::repeat_n(b'a', (seed % 1500) as usize));
                }
            }
            let _ = manifest_version(&body);
            let _ = page_build_folders(&body);
            let _ = owa_ver_param(&body);
            let _ = owa_title(&body);
            let _ = owa_version_header(&String::from_utf8_lossy(&body));
        }
        // A tag longer than the 1024-byte window, cut inside a multi-byte character.
        let mut long = b"<assemblyIdentity ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 1006));
        long.extend_from_slice("€€€".as_bytes());
        assert_eq!(manifest_version(&long), None);
    }

    #[test]
    fn discovery() {
        assert_eq!(
            owa_title(b"<html><head><TITLE>\n  Outlook\n</TITLE>").as_deref(),
            Some("Outlook")
        );
        assert_eq!(
            owa_title(b"<title>Outlook Web App</title>").as_deref(),
            Some("Outlook Web App")
        );
        assert_eq!(owa_title(b"<title>Outlook tips blog</title>"), None);
        assert!(logon_redirect(
            "https://x/owa/auth/logon.aspx?url=https%3a%2f%2fx%2fowa%2f&reason=0"
        ));
        assert!(!logon_redirect("/login"));
    }
}
