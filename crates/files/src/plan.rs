//! What the sweep reads: the Exchange web roots, the ASP.NET temporary files and the staging
//! folders of EXCHANGE-NOTES §2, resolved case-insensitively under the hunted system root, plus the
//! user's `--scan-path` folders.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::winpath::{display_windows, drive_letter, resolve_ci};

/// What a swept folder is; location rules (`aspnet_client`, `owa\auth`, …) key on it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// `C:\inetpub\wwwroot\aspnet_client` (incl. `system_web`): no script page belongs there.
    AspnetClient,
    /// `<install>\FrontEnd\HttpProxy\owa\auth` (incl. `Current\` and `<build>\`).
    OwaAuth,
    /// `<install>\FrontEnd\HttpProxy\ecp\auth`: only `TimeoutLogoff.aspx` belongs there.
    EcpAuth,
    /// `<install>\FrontEnd\HttpProxy\OAB`.
    FrontEndOab,
    /// `<install>\ClientAccess\OAB`.
    ClientAccessOab,
    /// Other IIS / Exchange web folders (`C:\inetpub\wwwroot`, `<install>\FrontEnd\HttpProxy`).
    WebRoot,
    /// `Temporary ASP.NET Files` of the .NET framework: compilation traces of requested pages.
    AspNetTemp,
    /// `C:\root`, `C:\Windows\Temp`, `C:\ProgramData`, `C:\Users\Public`: dumps and archives.
    Staging,
    /// A folder the user asked for (`--scan-path`).
    UserPath,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::AspnetClient => "aspnet_client",
            Location::OwaAuth => "owa_auth",
            Location::EcpAuth => "ecp_auth",
            Location::FrontEndOab => "frontend_oab",
            Location::ClientAccessOab => "clientaccess_oab",
            Location::WebRoot => "web_root",
            Location::AspNetTemp => "aspnet_temp",
            Location::Staging => "staging",
            Location::UserPath => "user_path",
        }
    }

    /// Folders IIS serves pages from.
    pub fn is_web(self) -> bool {
        matches!(
            self,
            Location::AspnetClient
                | Location::OwaAuth
                | Location::EcpAuth
                | Location::FrontEndOab
                | Location::ClientAccessOab
                | Location::WebRoot
        )
    }
}

/// One folder to sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRoot {
    pub path: PathBuf,
    /// Windows-style, e.g. `C:\inetpub\wwwroot\aspnet_client`.
    pub display: String,
    pub location: Location,
}

/// Folders relative to the system root (the folder that stands for `C:\`).
const SYSTEM_ROOTS: &[(&str, Location)] = &[
    (r"inetpub\wwwroot\aspnet_client", Location::AspnetClient),
    (r"inetpub\wwwroot", Location::WebRoot),
    (
        r"Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files",
        Location::AspNetTemp,
    ),
    (
        r"Windows\Microsoft.NET\Framework\v4.0.30319\Temporary ASP.NET Files",
        Location::AspNetTemp,
    ),
    (
        r"Windows\Microsoft.NET\Framework64\v2.0.50727\Temporary ASP.NET Files",
        Location::AspNetTemp,
    ),
    (
        r"Windows\Microsoft.NET\Framework\v2.0.50727\Temporary ASP.NET Files",
        Location::AspNetTemp,
    ),
    (r"root", Location::Staging),
    (r"Windows\Temp", Location::Staging),
    (r"ProgramData", Location::Staging),
    (r"Users\Public", Location::Staging),
];

/// Folders relative to an Exchange install root (`…\Exchange Server\V15`).
const EXCHANGE_ROOTS: &[(&str, Location)] = &[
    (r"FrontEnd\HttpProxy\owa\auth", Location::OwaAuth),
    (r"FrontEnd\HttpProxy\ecp\auth", Location::EcpAuth),
    (r"FrontEnd\HttpProxy\OAB", Location::FrontEndOab),
    (r"ClientAccess\OAB", Location::ClientAccessOab),
    (r"FrontEnd\HttpProxy", Location::WebRoot),
];

/// Install roots tried by [`find_exchange_roots`], newest first.
const INSTALL_ROOTS: &[&str] = &[
    r"Program Files\Microsoft\Exchange Server\V15",
    r"Program Files\Microsoft\Exchange Server\V14",
];

/// The Exchange install roots under `system_root` at their default place (V15, then V14),
/// resolved case-insensitively without following links.
pub fn find_exchange_roots(system_root: &Path) -> Vec<PathBuf> {
    INSTALL_ROOTS
        .iter()
        .filter_map(|r| resolve_ci(system_root, r))
        .filter(|p| p.is_dir())
        .collect()
}

/// The Windows display of `path`: under `system_root` it is `drive:\…`; under a sibling triage
/// drive folder (`D/`, `D%3A/`) it takes that folder's letter; otherwise the path as given.
pub fn display_for(system_root: &Path, drive: char, path: &Path) -> String {
    if path.starts_with(system_root) {
        return display_windows(system_root, drive, path);
    }
    if let Some(parent) = system_root.parent() {
        if let Ok(rel) = path.strip_prefix(parent) {
            if let Some(first) = rel.components().next() {
                let name = first.as_os_str().to_string_lossy();
                if let Some(letter) = drive_letter(&name) {
                    return display_windows(&parent.join(first.as_os_str()), letter, path);
                }
            }
        }
    }
    path.to_string_lossy().into_owned()
}

/// The folders to sweep. Only folders that exist (and are reached without a link) are returned;
/// duplicates are dropped. Nested roots (`aspnet_client` inside `wwwroot`, `owa\auth` inside
/// `HttpProxy`) are listed separately and the sweep reads each file once, under the most specific
/// root.
pub fn plan(
    system_root: &Path,
    drive: char,
    exchange_roots: &[PathBuf],
    extra: &[PathBuf],
) -> Vec<SweepRoot> {
    let mut out: Vec<SweepRoot> = Vec::new();
    let mut push = |path: PathBuf, location: Location| {
        if !path.is_dir() || out.iter().any(|r| r.path == path) {
            return;
        }
        let display = display_for(system_root, drive, &path);
        out.push(SweepRoot {
            path,
            display,
            location,
        });
    };
    for (rel, loc) in SYSTEM_ROOTS {
        if let Some(p) = resolve_ci(system_root, rel) {
            push(p, *loc);
        }
    }
    for root in exchange_roots {
        for (rel, loc) in EXCHANGE_ROOTS {
            if let Some(p) = resolve_ci(root, rel) {
                push(p, *loc);
            }
        }
    }
    for p in extra {
        push(p.clone(), Location::UserPath);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn plans_existing_folders_case_insensitively() {
        let d = tempfile::tempdir().unwrap();
        let c = d.path().join("C");
        let v15 = c.join("Program Files/Microsoft/Exchange Server/V15");
        fs::create_dir_all(c.join("inetpub/wwwroot/aspnet_client/system_web")).unwrap();
        fs::create_dir_all(v15.join("FrontEnd/HttpProxy/owa/auth/Current")).unwrap();
        fs::create_dir_all(v15.join("FrontEnd/HttpProxy/ECP/Auth")).unwrap();
        fs::create_dir_all(v15.join("ClientAccess/OAB")).unwrap();
        fs::create_dir_all(c.join("ProgramData")).unwrap();
        fs::create_dir_all(c.join("windows/temp")).unwrap();
        let extra = d.path().join("extra");
        fs::create_dir_all(&extra).unwrap();
        let roots = find_exchange_roots(&c);
        assert_eq!(roots, vec![v15.clone()]);
        let p = plan(&c, 'C', &roots, std::slice::from_ref(&extra));
        let find = |l: Location| p.iter().filter(|r| r.location == l).collect::<Vec<_>>();
        assert_eq!(
            find(Location::AspnetClient)[0].display,
            r"C:\inetpub\wwwroot\aspnet_client"
        );
        assert_eq!(
            find(Location::OwaAuth)[0].display,
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth"
        );
        assert!(find(Location::EcpAuth)[0]
            .display
            .ends_with(r"\FrontEnd\HttpProxy\ECP\Auth"));
        assert_eq!(find(Location::ClientAccessOab).len(), 1);
        assert!(
            find(Location::FrontEndOab).is_empty(),
            "missing folders are not planned"
        );
        assert_eq!(find(Location::Staging).len(), 2);
        assert_eq!(find(Location::WebRoot).len(), 2);
        assert_eq!(find(Location::UserPath)[0].path, extra);
        // The same folder twice is planned once.
        let p2 = plan(&c, 'C', &[v15.clone(), v15], &[]);
        assert_eq!(p2.len(), p.len() - 1);
    }

    /// The four Temporary ASP.NET Files folders (Framework and Framework64, v2 and v4) are
    /// swept, whatever their case.
    #[test]
    fn every_aspnet_temp_folder_is_planned() {
        let d = tempfile::tempdir().unwrap();
        let c = d.path().join("C");
        for f in [
            "Framework64/v4.0.30319",
            "Framework/v4.0.30319",
            "Framework64/v2.0.50727",
            "Framework/V2.0.50727",
        ] {
            fs::create_dir_all(
                c.join("Windows/Microsoft.NET")
                    .join(f)
                    .join("Temporary ASP.NET Files"),
            )
            .unwrap();
        }
        let p = plan(&c, 'C', &[], &[]);
        let temp: Vec<&str> = p
            .iter()
            .filter(|r| r.location == Location::AspNetTemp)
            .map(|r| r.display.as_str())
            .collect();
        assert_eq!(temp.len(), 4, "{temp:?}");
        assert!(temp
            .contains(&r"C:\Windows\Microsoft.NET\Framework\V2.0.50727\Temporary ASP.NET Files"));
    }

    #[test]
    fn sibling_drive_folders_keep_their_letter() {
        let base = Path::new("/t/triage");
        assert_eq!(
            display_for(&base.join("C"), 'C', &base.join("D%3A/Exchange/V15")),
            r"D:\Exchange\V15"
        );
        assert_eq!(
            display_for(&base.join("C"), 'C', Path::new("/elsewhere/x")),
            "/elsewhere/x"
        );
    }
}
