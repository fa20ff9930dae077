//! The external variables that Loki and THOR define for YARA rules (signature-base uses them):
//! `filename`, `filepath`, `extension`, `filetype`, `owner` (strings) and `filemode` (integer),
//! declared for every rule set and filled per file by the scanner.
//!
//! Values, as exray fills them:
//! * `filename`: the file's name, `shell.aspx`;
//! * `filepath`: the folder that holds it, in the form the sweep shows it
//!   (`C:\inetpub\wwwroot\aspnet_client`);
//! * `extension`: the last extension with its dot, lower case, `.aspx` (empty when none);
//! * `filetype`: a short type name from the first bytes or, for script text, the extension:
//!   `EXE`, `ZIP`, `RAR`, `7Z`, `MDMP`, `PST`, `PDF`, `GIF`, `RTF`, `ELF`, `MACH-O`, `ASP`,
//!   `PHP`, `JSP`, `VBS`, `PowerShell`, `BATCH`, `Python`; empty when unknown;
//! * `owner`: the owner's name (or numeric id) where the platform gives it, else empty;
//! * `filemode`: the permission bits where the platform has them, else 0.

/// The per-file facts behind the external variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFacts {
    pub filename: String,
    pub filepath: String,
    pub extension: String,
    pub filetype: String,
    pub owner: String,
    pub filemode: i64,
}

/// Names of the string variables, in declaration order.
pub const STRING_VARS: &[&str] = &["filename", "filepath", "extension", "filetype", "owner"];

/// Name of the integer variable.
pub const INT_VAR: &str = "filemode";

impl FileFacts {
    /// Facts derivable from a displayed path (`/` or `\` separators) and the file's bytes.
    pub fn from_path(path: &str, data: &[u8]) -> FileFacts {
        let cut = path.rfind(['/', '\\']);
        let (dir, name) = match cut {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        let extension = name
            .rfind('.')
            .filter(|&i| i > 0)
            .map(|i| name[i..].to_ascii_lowercase())
            .unwrap_or_default();
        FileFacts {
            filename: name.to_string(),
            filepath: dir.to_string(),
            filetype: filetype(data, &extension).to_string(),
            extension,
            owner: String::new(),
            filemode: 0,
        }
    }

    /// The value of a string variable.
    pub fn string(&self, var: &str) -> &str {
        match var {
            "filename" => &self.filename,
            "filepath" => &self.filepath,
            "extension" => &self.extension,
            "filetype" => &self.filetype,
            "owner" => &self.owner,
            _ => "",
        }
    }
}

/// Type name from magic bytes first, then from the extension of script text.
pub fn filetype(data: &[u8], extension: &str) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"MZ", "EXE"),
        (b"PK\x03\x04", "ZIP"),
        (b"Rar!", "RAR"),
        (b"7z\xbc\xaf\x27\x1c", "7Z"),
        (b"MDMP", "MDMP"),
        (b"!BDN", "PST"),
        (b"%PDF", "PDF"),
        (b"GIF8", "GIF"),
        (b"{\\rtf", "RTF"),
        (b"\x7fELF", "ELF"),
        (b"\xcf\xfa\xed\xfe", "MACH-O"),
        (b"\xce\xfa\xed\xfe", "MACH-O"),
    ];
    for (m, t) in MAGIC {
        if data.starts_with(m) {
            return t;
        }
    }
    match extension {
        ".asp" | ".aspx" | ".ashx" | ".asmx" | ".asa" | ".asax" | ".cer" | ".cdx" | ".ascx" => {
            "ASP"
        }
        ".php" | ".phtml" => "PHP",
        ".jsp" | ".jspx" => "JSP",
        ".vbs" | ".vbe" => "VBS",
        ".ps1" | ".psm1" => "PowerShell",
        ".bat" | ".cmd" => "BATCH",
        ".py" => "Python",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_from_windows_and_posix_paths() {
        let f = FileFacts::from_path(r"C:\inetpub\wwwroot\aspnet_client\Shell.ASPX", b"<%");
        assert_eq!(f.filename, "Shell.ASPX");
        assert_eq!(f.filepath, r"C:\inetpub\wwwroot\aspnet_client");
        assert_eq!(f.extension, ".aspx");
        assert_eq!(f.filetype, "ASP");
        let f = FileFacts::from_path("/mnt/c/ProgramData/x.bin", b"MZ\x90\x00");
        assert_eq!(f.filepath, "/mnt/c/ProgramData");
        assert_eq!(f.extension, ".bin");
        assert_eq!(f.filetype, "EXE");
        let f = FileFacts::from_path(".htaccess", b"");
        assert_eq!(f.extension, "");
        assert_eq!(f.filepath, "");
    }
}
