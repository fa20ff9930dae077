//! OAB generator logs (`Logging\OABGeneratorLog\*.log`): free text. The CVE-2021-26858 signal is
//! `Download failed and temporary file '<path>' needs to be removed` with a path outside the OAB
//! folder.

use chrono::{DateTime, Utc};

use crate::time::find_timestamp;

pub const SIGNAL: &str = "Download failed and temporary file";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OabDownloadFailure {
    pub timestamp: Option<DateTime<Utc>>,
    pub path: String,
}

/// The temporary-file path of a download-failure line.
pub fn parse_line(line: &[u8]) -> Option<OabDownloadFailure> {
    let text = String::from_utf8_lossy(line);
    let at = text.find(SIGNAL)?;
    let rest = &text[at + SIGNAL.len()..];
    let open = rest.find('\'')?;
    let tail = &rest[open + 1..];
    let close = tail
        .find("' needs")
        .or_else(|| tail.rfind('\''))
        .unwrap_or(tail.len());
    Some(OabDownloadFailure {
        timestamp: find_timestamp(line),
        path: tail[..close].to_string(),
    })
}

/// True when `path` (Windows) lies inside `<install>\ClientAccess\OAB\`.
pub fn is_inside_oab_folder(path: &str) -> bool {
    let p = path.replace('/', "\\").to_ascii_lowercase();
    p.contains("\\clientaccess\\oab\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_path() {
        let l = b"[2021-03-03T04:25:10.000Z] Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx' needs to be removed.";
        let r = parse_line(l).unwrap();
        assert_eq!(r.path, r"C:\inetpub\wwwroot\aspnet_client\x.aspx");
        assert!(!is_inside_oab_folder(&r.path));
        assert!(r.timestamp.is_some());
        assert!(is_inside_oab_folder(
            r"C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\a.tmp"
        ));
        assert!(parse_line(b"Generation succeeded").is_none());
    }
}
