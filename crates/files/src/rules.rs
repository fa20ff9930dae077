//! The file-system rules of the sweep (`EXRAY-FS-…`) and the name knowledge they use, written
//! from EXCHANGE-NOTES §2 and §4.
//!
//! Stock pages. `owa\auth` of Exchange 2013–2019 ships `logon.aspx`, `logoff.aspx`,
//! `errorFE.aspx`, `expiredpassword.aspx`, `frowny.aspx`, `getidtokens.htm`, `OutlookCN.aspx`,
//! `RedirSuiteServiceProxy.aspx`, `signout.aspx` and `SvmFeedback.aspx` at its top level (the
//! `Current\` and `<build>\` folders hold themes, scripts and images, no pages). Attackers named
//! their shells after them: `Outlook<CC>.aspx` imitates the stock `OutlookCN.aspx` (so `OutlookCN`
//! itself is stock, other two-letter codes are not), `RedirSuiteServerProxy.aspx` imitates
//! `RedirSuiteServiceProxy.aspx`, `TimeoutLogout.aspx` imitates ecp's `TimeoutLogoff.aspx`, and
//! `errorEE.aspx` imitates `errorFE.aspx`. A stock name with shell content is still found by the
//! content rules, the hash IOCs and the baseline.

use exray_core::{Confidence, Family, RuleMeta, Severity, Stage};

pub const SCRIPT_PAGE_IN_ASPNET_CLIENT: &str = "EXRAY-FS-001";
pub const FILE_IN_ECP_AUTH: &str = "EXRAY-FS-002";
pub const SHELL_NAME: &str = "EXRAY-FS-003";
pub const UNEXPECTED_OWA_AUTH_PAGE: &str = "EXRAY-FS-004";
pub const SCRIPT_PAGE_IN_OAB: &str = "EXRAY-FS-005";
pub const OAB_SETTINGS_IN_PAGE: &str = "EXRAY-FS-006";
pub const WRITTEN_IN_WINDOW: &str = "EXRAY-FS-007";
pub const LSASS_DUMP: &str = "EXRAY-FS-020";
pub const PROCESS_DUMP: &str = "EXRAY-FS-021";
pub const STAGED_ARCHIVE: &str = "EXRAY-FS-030";
pub const PST_FILE: &str = "EXRAY-FS-031";
pub const COMPILED_SHELL_TRACE: &str = "EXRAY-FS-040";
pub const COMPILED_SHELL_CODE: &str = "EXRAY-FS-041";
pub const BIN_ASSEMBLY_SHELL_CODE: &str = "EXRAY-FS-042";
pub const FILENAME_IOC: &str = "EXRAY-FS-050";
pub const HASH_IOC: &str = "EXRAY-FS-051";
pub const BASELINE_NEW: &str = "EXRAY-FS-060";
pub const BASELINE_CHANGED: &str = "EXRAY-FS-061";

const SHELL: &[&str] = &["T1505.003"];
const FILE_WRITE_CVES: &[&str] = &["CVE-2021-26858", "CVE-2021-27065"];

/// Every rule of the sweep, for `exray rules` and the report's documentation.
pub fn all() -> Vec<RuleMeta> {
    use Confidence as C;
    use Severity as S;
    let g = Family::Generic;
    vec![
        RuleMeta::new(
            SCRIPT_PAGE_IN_ASPNET_CLIENT,
            "Script page in aspnet_client",
            "A server-side script page (.aspx, .ashx, .asmx, .asp, …) or web.config lies under \
             inetpub\\wwwroot\\aspnet_client, where IIS ships only client scripts: the favourite \
             drop folder of Exchange web shells.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::High,
        ),
        RuleMeta::new(
            FILE_IN_ECP_AUTH,
            "Unexpected file in ecp\\auth",
            "Only TimeoutLogoff.aspx belongs in FrontEnd\\HttpProxy\\ecp\\auth; anything else there \
             was put there.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::High,
        ),
        RuleMeta::new(
            SHELL_NAME,
            "Web-shell name seen in Exchange intrusions",
            "A script page named like the shells of Exchange intrusions (Outlook<CC>.aspx, errorEE.aspx, \
             RedirSuiteServerProxy.aspx, TimeoutLogout.aspx, supp0rt.aspx, 8-character random names, …) \
             in an Exchange web folder.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::High,
        ),
        RuleMeta::new(
            UNEXPECTED_OWA_AUTH_PAGE,
            "Script page in owa\\auth that Exchange does not ship",
            "A script page in FrontEnd\\HttpProxy\\owa\\auth that is not one of the stock pages.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::Medium,
            C::Medium,
        ),
        RuleMeta::new(
            SCRIPT_PAGE_IN_OAB,
            "Script page in an OAB folder",
            "The OAB virtual directories hold address-book files, never pages: a script page there is \
             where the OAB-generator file write (CVE-2021-26858) lands.",
            g,
            Stage::Foothold,
            FILE_WRITE_CVES,
            SHELL,
            S::High,
            C::Medium,
        ),
        RuleMeta::new(
            OAB_SETTINGS_IN_PAGE,
            "Virtual-directory settings with a script inside a page",
            "A script page holds Exchange virtual-directory settings (ExternalUrl/InternalUrl) with a \
             <script> in them: the page written by the ECP/OAB file-write exploits (CVE-2021-27065, \
             CVE-2021-26858).",
            g,
            Stage::Foothold,
            FILE_WRITE_CVES,
            SHELL,
            S::Critical,
            C::High,
        ),
        RuleMeta::new(
            WRITTEN_IN_WINDOW,
            "Script page written during the exploitation window",
            "A script page in an Exchange web folder was created or modified inside the exploitation \
             window of the hunt.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::Low,
            C::Low,
        ),
        RuleMeta::new(
            LSASS_DUMP,
            "Memory dump of LSASS",
            "A minidump (MDMP magic) whose dumped process is lsass.exe, or whose process could not be \
             read: credential theft (comsvcs.dll MiniDump, procdump).",
            g,
            Stage::PostExploitation,
            &[],
            &["T1003.001"],
            S::Critical,
            C::High,
        ),
        RuleMeta::new(
            PROCESS_DUMP,
            "Process memory dump",
            "A minidump (MDMP magic) of a process other than lsass in a swept folder; crash dumps in \
             Windows Error Reporting folders are graded low.",
            g,
            Stage::PostExploitation,
            &[],
            &["T1003"],
            S::High,
            C::Medium,
        ),
        RuleMeta::new(
            STAGED_ARCHIVE,
            "Archive staged in a staging or web folder",
            "A 7-Zip, RAR or ZIP archive, identified by its magic bytes, in a staging folder or a web \
             folder: data collected for exfiltration.",
            g,
            Stage::Exfiltration,
            &[],
            &["T1560.001"],
            S::Medium,
            C::Medium,
        ),
        RuleMeta::new(
            PST_FILE,
            "Outlook data file (.pst) in a web or staging folder",
            "A PST file (magic !BDN): a mailbox export (New-MailboxExportRequest) waiting to be \
             downloaded.",
            g,
            Stage::Exfiltration,
            &[],
            &["T1114.002"],
            S::High,
            C::High,
        ),
        RuleMeta::new(
            COMPILED_SHELL_TRACE,
            "ASP.NET compiled a page that is not stock",
            "A .compiled file, or the metadata of a compiled page assembly (App_Web_*.dll: the \
             AppRelativeVirtualPath and file dependencies ASP.NET stores in it), in Temporary \
             ASP.NET Files names a page under owa/auth, ecp/auth, aspnet_client or oab that \
             Exchange does not ship, or a known shell name: the page was requested and executed, \
             even if it has since been deleted. The finding lists the source pages.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::High,
        ),
        RuleMeta::new(
            COMPILED_SHELL_CODE,
            "Compiled ASP.NET page carries web-shell code",
            "The member references of a compiled page assembly in Temporary ASP.NET Files \
             (App_Web_*.dll) show what the page's code did: read request data and evaluate it \
             (JScript eval), load an assembly from bytes or compile source at run time (critical), \
             or read request data and start a process (high, medium confidence: admin tools do \
             it too). Critical whenever the source page lies in a shell folder. The finding lists \
             the source pages and the calls.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::Critical,
            C::High,
        ),
        RuleMeta::new(
            BIN_ASSEMBLY_SHELL_CODE,
            "Unsigned assembly in a web application's bin folder carries web-shell code",
            "An assembly in a `bin` folder under a web root has no Authenticode signature (every \
             Exchange assembly has one), holds a page, user-control, handler or module class IIS \
             can run, and the member references of the whole assembly show request data read together\
             with JScript \
             eval, an assembly loaded from bytes or source compiled at run time (high), or a \
             process started (medium). This is where the code of a stub page lives \
             (`new Acme.Web.Panel(\"key\")` in a page with nothing else). Medium confidence: \
             third-party applications ship unsigned plug-in loaders; the finding lists the \
             classes and the calls.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::Medium,
        ),
        RuleMeta::new(
            FILENAME_IOC,
            "File name matches an IOC",
            "The file's Windows path matches a filename IOC (signature-base style) or a STIX file-name \
             indicator.",
            Family::Ioc,
            Stage::Foothold,
            &[],
            &[],
            S::Critical,
            C::High,
        ),
        RuleMeta::new(
            HASH_IOC,
            "File hash matches an IOC",
            "The file's MD5, SHA-1 or SHA-256 is listed in a hash IOC file or a STIX bundle.",
            Family::Ioc,
            Stage::Foothold,
            &[],
            &[],
            S::Critical,
            C::High,
        ),
        RuleMeta::new(
            BASELINE_NEW,
            "Script file not in the baseline",
            "A script page or config in a web folder that the known-good baseline does not have.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::Medium,
        ),
        RuleMeta::new(
            BASELINE_CHANGED,
            "Script file changed since the baseline",
            "A script page or config whose SHA-256 differs from the known-good baseline.",
            g,
            Stage::Foothold,
            &[],
            SHELL,
            S::High,
            C::High,
        ),
    ]
}

/// The rule with `id` (one of the constants of this module).
pub fn get(id: &str) -> RuleMeta {
    static ALL: std::sync::OnceLock<Vec<RuleMeta>> = std::sync::OnceLock::new();
    ALL.get_or_init(all)
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| unreachable!("unknown rule {id}"))
}

/// Server-side script extensions IIS executes (and the script-mapped legacy ones).
const SCRIPT_EXTS: &[&str] = &[
    "aspx", "ashx", "asmx", "asax", "ascx", "asp", "asa", "cer", "cdx", "cshtml", "vbhtml", "svc",
    "soap", "rem", "master", "php",
];

/// Lower-case extension of a file name.
pub fn ext_lower(name: &str) -> Option<String> {
    let (_, e) = name.rsplit_once('.')?;
    Some(e.to_ascii_lowercase())
}

/// A page IIS would execute.
pub fn is_script_page(name: &str) -> bool {
    ext_lower(name).is_some_and(|e| SCRIPT_EXTS.contains(&e.as_str()))
}

/// A page or an IIS `web.config` (handler hijacks).
pub fn is_script_or_config(name: &str) -> bool {
    is_script_page(name) || ext_lower(name).is_some_and(|e| e == "config")
}

/// Stock top-level pages of `owa\auth` (lower case).
pub const STOCK_OWA_AUTH: &[&str] = &[
    "logon.aspx",
    "logoff.aspx",
    "errorfe.aspx",
    "expiredpassword.aspx",
    "frowny.aspx",
    "getidtokens.htm",
    "outlookcn.aspx",
    "redirsuiteserviceproxy.aspx",
    "signout.aspx",
    "svmfeedback.aspx",
];

/// The one page of `ecp\auth`.
pub const STOCK_ECP_AUTH: &str = "timeoutlogoff.aspx";

/// Shell names that no Exchange or IIS folder ships: suspicious in any web folder.
const DISTINCTIVE_SHELL_NAMES: &[&str] = &[
    "erroree.aspx",
    "redirsuiteserverproxy.aspx",
    "timeoutlogout.aspx",
    "supp0rt.aspx",
    "shell.aspx",
    "aspnet_client.aspx",
    "aspnet_www.aspx",
    "aspnet_iisstart.aspx",
    "xx.aspx",
];

/// Generic shell names: telling only in the shell folders (`owa\auth`, `ecp\auth`,
/// `aspnet_client`, OAB), where no such page is shipped.
const GENERIC_SHELL_NAMES: &[&str] = &[
    "discover.aspx",
    "web.aspx",
    "help.aspx",
    "document.aspx",
    "errorpage.aspx",
    "one.aspx",
    "t.aspx",
    "log.aspx",
    "logg.aspx",
    "logout.aspx",
];

/// `Outlook<two letters>.aspx` other than the stock `OutlookCN.aspx`.
fn is_outlook_cc(lower: &str) -> bool {
    let Some(stem) = lower.strip_suffix(".aspx") else {
        return false;
    };
    let Some(cc) = stem.strip_prefix("outlook") else {
        return false;
    };
    cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()) && cc != "cn"
}

/// Eight random alphanumerics (`2XJHwN19.aspx`): mixed digits and letters, or mixed case inside.
fn is_random8(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    if !ext.eq_ignore_ascii_case("aspx") || stem.len() != 8 {
        return false;
    }
    let b = stem.as_bytes();
    if !b.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let upper_inside = b[1..].iter().any(|c| c.is_ascii_uppercase());
    let lower = b.iter().any(|c| c.is_ascii_lowercase());
    (digits > 0 && digits < 8) || (upper_inside && lower)
}

/// Why `name` looks like a known shell, if it does. `shell_folder` is true for the folders where
/// generic names and random names are telling.
pub fn shell_name_reason(name: &str, shell_folder: bool) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if DISTINCTIVE_SHELL_NAMES.contains(&lower.as_str()) {
        return Some("name of a web shell seen in Exchange intrusions");
    }
    if is_outlook_cc(&lower) {
        return Some("Outlook<CC>.aspx imitation of the stock OutlookCN.aspx");
    }
    if shell_folder {
        if GENERIC_SHELL_NAMES.contains(&lower.as_str()) {
            return Some("generic web-shell name in an Exchange shell folder");
        }
        if is_random8(name) {
            return Some("8-character random page name");
        }
    }
    None
}

/// Is `name` (a top-level file of `owa\auth`) a stock page?
pub fn is_stock_owa_auth(name: &str) -> bool {
    STOCK_OWA_AUTH.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_shapes() {
        for n in [
            "OutlookEN.aspx",
            "outlookjp.aspx",
            "errorEE.aspx",
            "RedirSuiteServerProxy.aspx",
            "TimeoutLogout.aspx",
            "supp0rt.aspx",
        ] {
            assert!(shell_name_reason(n, false).is_some(), "{n}");
        }
        for n in [
            "2XJHwN19.aspx",
            "a1b2c3d4.aspx",
            "xYzAbCdE.aspx",
            "help.aspx",
            "t.aspx",
        ] {
            assert!(shell_name_reason(n, true).is_some(), "{n}");
            assert!(
                shell_name_reason(n, false).is_none(),
                "{n} outside shell folders"
            );
        }
        for n in [
            "OutlookCN.aspx",
            "logon.aspx",
            "errorFE.aspx",
            "RedirSuiteServiceProxy.aspx",
            "abcdefgh.aspx",
            "Abcdefgh.aspx",
            "12345678.aspx",
            "OutlookENG.aspx",
            "2XJHwN19.ashx",
        ] {
            assert!(shell_name_reason(n, true).is_none(), "{n}");
        }
    }

    #[test]
    fn stock_and_script_names() {
        assert!(is_stock_owa_auth("LOGON.ASPX"));
        assert!(is_stock_owa_auth("OutlookCN.aspx"));
        assert!(!is_stock_owa_auth("OutlookEN.aspx"));
        assert!(is_script_page("x.AsHx"));
        assert!(!is_script_page("x.js"));
        assert!(!is_script_page("aspx"));
        assert!(is_script_or_config("web.config"));
    }

    #[test]
    fn every_rule_id_is_known_and_unique() {
        let all = all();
        let mut ids: Vec<_> = all.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert!(ids.iter().all(|i| i.starts_with("EXRAY-FS-")));
        assert_eq!(get(HASH_IOC).family, Family::Ioc);
    }
}
