//! The sweep over generated Exchange-like trees: every rule positive and negative, bad files,
//! content-rule hits, IOCs and the window.

mod common;

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{TimeZone, Utc};
use common::*;
use exray_core::content::{ContentHit, ContentRules, ContentScanner};
use exray_core::{Confidence, ContentMatch, Family, RuleMeta, Severity, SourceKind, Stage};
use exray_files::{sweep, Iocs, SweepOptions};
use sha2::Digest;

fn opts() -> SweepOptions {
    SweepOptions {
        threads: 2,
        ..SweepOptions::default()
    }
}

const OAB_SHELL: &[u8] = b"Name                            : OAB (Default Web Site)\r\n\
PollInterval                    : 480\r\n\
OfflineAddressBooks             : \\Default Offline Address Book\r\n\
ExternalUrl                     : http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"orange\"],\"unsafe\");}</script>\r\n";

#[test]
fn location_rules_positive_and_negative() {
    let t = Tree::new();
    let page = b"<%@ Page Language=\"C#\" %><html></html>";
    t.write(
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/discover.aspx",
        page,
    );
    t.write(
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
        b"var x;",
    );
    t.write(
        "inetpub/wwwroot/aspnet_client/web.config",
        b"<configuration/>",
    );
    t.write("inetpub/wwwroot/iisstart.htm", b"<html/>");
    t.write("inetpub/wwwroot/supp0rt.aspx", page);
    t.write("inetpub/wwwroot/help.aspx", page);
    t.write_x("FrontEnd/HttpProxy/ecp/auth/TimeoutLogoff.aspx", page);
    t.write_x("FrontEnd/HttpProxy/ecp/auth/x.js", b"1");
    for stock in [
        "logon.aspx",
        "errorFE.aspx",
        "OutlookCN.aspx",
        "RedirSuiteServiceProxy.aspx",
    ] {
        t.write_x(&format!("FrontEnd/HttpProxy/owa/auth/{stock}"), page);
    }
    t.write_x("FrontEnd/HttpProxy/owa/auth/OutlookEN.aspx", page);
    t.write_x("FrontEnd/HttpProxy/owa/auth/2XJHwN19.aspx", page);
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx",
        page,
    );
    t.write_x("FrontEnd/HttpProxy/owa/auth/custom.aspx", page);
    t.write_x("FrontEnd/HttpProxy/owa/auth/Current/logon.aspx", page);
    t.write_x("FrontEnd/HttpProxy/owa/auth/Current/themes/a.css", b"a{}");
    t.write_x("FrontEnd/HttpProxy/OAB/zzz.aspx", page);
    t.write_x("FrontEnd/HttpProxy/OAB/web.config", b"<configuration/>");
    t.write_x("ClientAccess/OAB/oab.xml", b"<OAB/>");

    let out = sweep(&t.plan(), &opts(), None, &no_iocs(), None);
    let (f, rest) = findings(out);
    assert_eq!(rules_for(&f, r"4_0_30319\discover.aspx"), ["EXRAY-FS-001"]);
    assert!(rules_for(&f, "WebUIValidation.js").is_empty());
    assert_eq!(rules_for(&f, r"aspnet_client\web.config"), ["EXRAY-FS-001"]);
    assert!(rules_for(&f, "iisstart.htm").is_empty());
    assert_eq!(rules_for(&f, r"wwwroot\supp0rt.aspx"), ["EXRAY-FS-003"]);
    assert!(
        rules_for(&f, r"wwwroot\help.aspx").is_empty(),
        "generic names only in shell folders"
    );
    assert!(rules_for(&f, "TimeoutLogoff.aspx").is_empty());
    assert_eq!(rules_for(&f, r"ecp\auth\x.js"), ["EXRAY-FS-002"]);
    for stock in [
        "logon.aspx",
        "errorFE.aspx",
        "OutlookCN.aspx",
        "RedirSuiteServiceProxy.aspx",
    ] {
        assert!(
            rules_for(&f, &format!(r"auth\{stock}")).is_empty(),
            "{stock}"
        );
    }
    assert_eq!(rules_for(&f, "OutlookEN.aspx"), ["EXRAY-FS-003"]);
    assert_eq!(rules_for(&f, "2XJHwN19.aspx"), ["EXRAY-FS-003"]);
    assert_eq!(
        rules_for(&f, "RedirSuiteServerProxy.aspx"),
        ["EXRAY-FS-003"]
    );
    assert_eq!(rules_for(&f, r"auth\custom.aspx"), ["EXRAY-FS-004"]);
    assert_eq!(
        rules_for(&f, r"Current\logon.aspx"),
        ["EXRAY-FS-004"],
        "a stock name below the top level is not stock"
    );
    assert!(rules_for(&f, "a.css").is_empty());
    assert_eq!(rules_for(&f, r"OAB\zzz.aspx"), ["EXRAY-FS-005"]);
    assert!(rules_for(&f, r"OAB\web.config").is_empty());
    assert!(rules_for(&f, "oab.xml").is_empty());

    // Evidence: hashes, size, times, Windows path; artefacts carry the URL for the log hunt.
    let en = finding(&f, "EXRAY-FS-003", "OutlookEN.aspx");
    let ev = &en.evidence[0];
    assert_eq!(ev.source, SourceKind::FileSystem);
    assert_eq!(
        ev.file,
        r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\OutlookEN.aspx"
    );
    let fi = ev.file_info.as_ref().unwrap();
    assert_eq!(fi.size, page.len() as u64);
    assert_eq!(fi.md5.as_deref().unwrap().len(), 32);
    assert_eq!(fi.sha1.as_deref().unwrap().len(), 40);
    assert_eq!(fi.sha256.as_deref().unwrap().len(), 64);
    assert!(fi.modified.is_some());
    assert!(en
        .artifacts
        .contains(&"/owa/auth/outlooken.aspx".to_string()));
    assert!(en.artifacts.contains(&ev.file));

    // Web files for the log hunt: every page, stock or not.
    let wf = |u: &str| {
        rest.web_files
            .iter()
            .find(|w| w.url_path == u)
            .unwrap_or_else(|| panic!("{u}"))
    };
    assert!(wf("/owa/auth/logon.aspx").stock);
    assert!(!wf("/owa/auth/outlooken.aspx").stock);
    assert!(!wf("/aspnet_client/system_web/4_0_30319/discover.aspx").stock);
    assert_eq!(
        wf("/owa/auth/outlooken.aspx").sha256,
        *fi.sha256.as_ref().unwrap()
    );
    assert!(rest.web_files.iter().all(|w| !w.url_path.ends_with(".js")));
    assert_eq!(rest.error_count, 0);
    // Each file once: the nested roots are not read twice.
    let total: u64 = rest.coverage.iter().map(|c| c.files).sum();
    assert_eq!(total, rest.files);
    assert_eq!(rest.files, 21);
}

#[test]
fn sha256_in_evidence_is_the_file_hash() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/aspnet_client/abc", b"abc");
    t.write("inetpub/wwwroot/aspnet_client/a.aspx", b"abc");
    let (f, _) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    let fi = finding(&f, "EXRAY-FS-001", "a.aspx").evidence[0]
        .file_info
        .clone()
        .unwrap();
    assert_eq!(
        fi.sha256.unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(fi.sha1.unwrap(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(fi.md5.unwrap(), "900150983cd24fb0d6963f7d28e17f72");
}

#[test]
fn oab_settings_shell_found_without_rule_engine() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/iisstart2.aspx", OAB_SHELL);
    t.write(
        "inetpub/wwwroot/page.aspx",
        b"<html><script>alert(1)</script></html>",
    );
    // Settings text in a file that is not a page is not a shell.
    t.write("ProgramData/oab-settings.txt", OAB_SHELL);
    let (f, _) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    let s = finding(&f, "EXRAY-FS-006", "iisstart2.aspx");
    assert_eq!(s.severity, Severity::Critical);
    assert_eq!(s.evidence[0].matches.len(), 2);
    let m = &s.evidence[0].matches[0];
    assert_eq!(
        &OAB_SHELL[m.offset as usize..m.offset as usize + 11],
        b"ExternalUrl"
    );
    assert!(rules_for(&f, "page.aspx").is_empty());
    assert!(rules_for(&f, "oab-settings.txt").is_empty());
}

/// A CMS settings page that names ExternalUrl/InternalUrl and has scripts elsewhere is not the
/// OAB shell; the same page with the script inside the ExternalUrl value is.
#[test]
fn oab_settings_shell_needs_the_script_inside_the_url_value() {
    let t = Tree::new();
    let cms = b"<%@ Page Language=\"C#\" %>\r\n<h2>Site settings</h2>\r\n\
<label for=\"ExternalUrl\">ExternalUrl</label> <input id=\"ExternalUrl\" />\r\n\
<label>InternalUrl</label>: <input id=\"InternalUrl\" />\r\n\
<script type=\"text/javascript\">validate('ExternalUrl');</script>\r\n";
    t.write("inetpub/wwwroot/cms/settings.aspx", cms);
    let mut shell = b"Name                            : OAB (Default Web Site)\r\n".to_vec();
    shell.extend_from_slice(b"InternalUrl                     : https://ex01/OAB\r\n");
    shell.extend_from_slice(
        b"ExternalUrl                     : http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"k\"],\"unsafe\");}</script>\r\n",
    );
    t.write("inetpub/wwwroot/cms/shell.aspx", &shell);
    let (f, _) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    assert!(
        !rules_for(&f, "settings.aspx").contains(&"EXRAY-FS-006".to_string()),
        "{:?}",
        rules_for(&f, "settings.aspx")
    );
    let s = finding(&f, "EXRAY-FS-006", "shell.aspx");
    let m = &s.evidence[0].matches[1];
    assert_eq!(&shell[m.offset as usize..m.offset as usize + 7], b"<script");
}

/// A content-rule engine double: flags `eval(Request` with its offset.
struct Double {
    scanners: AtomicUsize,
}

struct DoubleScanner;

impl ContentRules for Double {
    fn scanner(&self) -> Box<dyn ContentScanner + '_> {
        self.scanners.fetch_add(1, Ordering::SeqCst);
        Box::new(DoubleScanner)
    }
    fn rule_count(&self) -> usize {
        2
    }
}

impl ContentScanner for DoubleScanner {
    fn scan(&mut self, path: &str, data: &[u8]) -> Result<Vec<ContentHit>, String> {
        if data.starts_with(b"TIMEOUT") {
            return Err("scan timed out".into());
        }
        if data.starts_with(b"PANIC") {
            panic!("engine bug on {path}");
        }
        let Some(off) = memchr::memmem::find(data, b"eval(Request") else {
            return Ok(vec![]);
        };
        Ok(vec![ContentHit {
            meta: RuleMeta::new(
                "EXRAY-YARA-TEST",
                "JScript eval of request data",
                "d",
                Family::Generic,
                Stage::Foothold,
                &[],
                &["T1505.003"],
                Severity::High,
                Confidence::High,
            ),
            matches: vec![ContentMatch {
                rule: "EXRAY-YARA-TEST".into(),
                identifier: Some("$eval".into()),
                offset: off as u64,
                length: 12,
                excerpt: "eval(Request".into(),
            }],
        }])
    }
}

#[test]
fn content_hits_become_findings_with_offsets() {
    let t = Tree::new();
    for i in 0..40 {
        t.write(&format!("ProgramData/app/f{i}.txt"), b"benign");
    }
    t.write(
        "ProgramData/x/shell.txt",
        b"<%@ Page %><% eval(Request.Item[\"z\"]) %>",
    );
    t.write("ProgramData/x/slow.bin", b"TIMEOUT");
    t.write("ProgramData/x/boom.bin", b"PANIC");
    t.write("ProgramData/x/after.txt", b"....eval(Request");
    let rules = Double {
        scanners: AtomicUsize::new(0),
    };
    let out = sweep(&t.plan(), &opts(), Some(&rules), &no_iocs(), None);
    assert!(
        rules.scanners.load(Ordering::SeqCst) <= 2,
        "one scanner per worker"
    );
    let (f, rest) = findings(out);
    let h = finding(&f, "EXRAY-YARA-TEST", "shell.txt");
    assert_eq!(h.evidence[0].matches[0].offset, 14);
    assert!(h.evidence[0].file_info.as_ref().unwrap().sha256.is_some());
    assert_eq!(
        finding(&f, "EXRAY-YARA-TEST", "after.txt").evidence[0].matches[0].offset,
        4
    );
    // A scan error and an engine panic are input errors; the sweep goes on.
    assert_eq!(rest.error_count, 2);
    assert!(rest
        .errors
        .iter()
        .any(|e| e.file.ends_with("slow.bin") && e.message.contains("timed out")));
    assert!(rest.errors.iter().any(|e| e.file.ends_with("boom.bin")));
    assert_eq!(rest.files, 44);
}

#[test]
fn dumps_archives_pst_by_magic_never_by_extension() {
    let t = Tree::new();
    t.write(
        "ProgramData/x.tmp",
        &minidump(r"C:\Windows\System32\lsass.exe"),
    );
    t.write("Windows/Temp/lsass.dmp", b"not a dump, just a name");
    t.write(
        "ProgramData/Microsoft/Windows/WER/ReportQueue/w3wp.mdmp",
        &minidump(r"c:\windows\system32\inetsrv\w3wp.exe"),
    );
    t.write(
        "root/w.bin",
        &minidump(r"c:\windows\system32\inetsrv\w3wp.exe"),
    );
    let mut trunc = minidump("lsass.exe");
    trunc.truncate(40);
    t.write("Users/Public/t.bin", &trunc);
    t.write(
        "ProgramData/stage.dat",
        &[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4, 1, 2],
    );
    t.write(
        "Windows/Temp/out.zip.part",
        &zip(&["mail/lsass.dmp", "b.txt"]),
    );
    t.write(
        "ProgramData/docs/report.docx",
        &zip(&["[Content_Types].xml", "word/document.xml"]),
    );
    t.write("ProgramData/notzip.zip", b"plain text");
    let mut bad = zip(&["a.txt"]);
    bad.truncate(bad.len() - 10);
    t.write("ProgramData/broken.bin", &bad);
    t.write(
        "inetpub/wwwroot/aspnet_client/x.rar",
        b"Rar!\x1a\x07\x01\x00rest",
    );
    t.write_x(
        "FrontEnd/HttpProxy/owa/auth/Current/themes/box.bin",
        b"!BDN\x00\x00rest",
    );
    t.write("ProgramData/mail.pst", b"not a pst");
    // An archive in the ASP.NET temp folder is not a staging archive.
    t.write(
        "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/a.zip",
        &zip(&["x"]),
    );
    let (f, rest) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    let l = finding(&f, "EXRAY-FS-020", "x.tmp");
    assert_eq!(l.severity, Severity::Critical);
    assert_eq!(l.attack, ["T1003.001"]);
    assert!(l.evidence[0].fields["process"].ends_with("lsass.exe"));
    assert!(rules_for(&f, "lsass.dmp").is_empty());
    let wer = finding(&f, "EXRAY-FS-021", "w3wp.mdmp");
    assert_eq!(wer.severity, Severity::Low);
    assert_eq!(
        finding(&f, "EXRAY-FS-021", r"root\w.bin").severity,
        Severity::High
    );
    let tr = finding(&f, "EXRAY-FS-020", "t.bin");
    assert_eq!(tr.confidence, Confidence::Medium);
    let sz = finding(&f, "EXRAY-FS-030", "stage.dat");
    assert_eq!(sz.evidence[0].fields["format"], "7z");
    assert_eq!(sz.severity, Severity::Medium);
    let z = finding(&f, "EXRAY-FS-030", "out.zip.part");
    assert_eq!(z.evidence[0].fields["entry_names"], "mail/lsass.dmp\nb.txt");
    assert_eq!(z.severity, Severity::High, "an archive of a dump");
    assert!(rules_for(&f, "report.docx").is_empty());
    assert!(rules_for(&f, "notzip.zip").is_empty());
    let b = finding(&f, "EXRAY-FS-030", "broken.bin");
    assert!(b.evidence[0].fields["note"].contains("truncated"));
    assert_eq!(
        finding(&f, "EXRAY-FS-030", "x.rar").severity,
        Severity::High
    );
    let pst = finding(&f, "EXRAY-FS-031", "box.bin");
    assert_eq!(pst.severity, Severity::High);
    assert!(rules_for(&f, "mail.pst").is_empty());
    assert!(rules_for(&f, r"Temporary ASP.NET Files\a.zip").is_empty());
    assert_eq!(rest.error_count, 0);
}

#[test]
fn compiled_traces_name_the_shell() {
    let t = Tree::new();
    let dir = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/1a2b/3c4d";
    let trace = |vp: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<preserve resultType=\"3\" virtualPath=\"{vp}\" hash=\"1\" filehash=\"2\" flags=\"110000\" assembly=\"App_Web_q\" type=\"ASP.p\">\r\n</preserve>"
        )
    };
    t.write(
        &format!("{dir}/outlooken.aspx.cdcab7d2.compiled"),
        trace("/owa/auth/OutlookEN.aspx").as_bytes(),
    );
    t.write(
        &format!("{dir}/logon.aspx.cdcab7d2.compiled"),
        trace("/owa/auth/logon.aspx").as_bytes(),
    );
    t.write(
        &format!("{dir}/t.aspx.1.compiled"),
        trace("/ecp/auth/TimeoutLogoff.aspx").as_bytes(),
    );
    t.write(
        &format!("{dir}/x.aspx.1.compiled"),
        trace("/aspnet_client/x.aspx").as_bytes(),
    );
    t.write(
        &format!("{dir}/y.aspx.1.compiled"),
        trace("/ecp/default.aspx").as_bytes(),
    );
    t.write(
        &format!("{dir}/App_Web_erroree.aspx.cdcab7d2.1xq2.dll"),
        b"MZ",
    );
    t.write(
        &format!("{dir}/App_Web_logon.aspx.cdcab7d2.1xq2.dll"),
        b"MZ",
    );
    t.write(&format!("{dir}/App_Web_x2kq9vmd.dll"), b"MZ");
    let (f, _) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    let c = finding(&f, "EXRAY-FS-040", "outlooken.aspx.cdcab7d2.compiled");
    assert!(c
        .artifacts
        .contains(&"/owa/auth/outlooken.aspx".to_string()));
    assert_eq!(c.evidence[0].fields["assembly"], "App_Web_q");
    assert!(rules_for(&f, "logon.aspx.cdcab7d2.compiled").is_empty());
    assert!(rules_for(&f, "t.aspx.1.compiled").is_empty());
    assert_eq!(rules_for(&f, "x.aspx.1.compiled"), ["EXRAY-FS-040"]);
    assert!(rules_for(&f, "y.aspx.1.compiled").is_empty());
    let dll = finding(&f, "EXRAY-FS-040", "App_Web_erroree.aspx.cdcab7d2.1xq2.dll");
    assert_eq!(dll.evidence[0].fields["page"], "erroree.aspx");
    assert!(rules_for(&f, "App_Web_logon.aspx.cdcab7d2.1xq2.dll").is_empty());
    assert!(rules_for(&f, "App_Web_x2kq9vmd.dll").is_empty());
}

#[test]
fn user_paths_outside_the_system_root_get_location_rules() {
    // A triage copy handed over as --scan-path, shown as a POSIX path.
    let d = tempfile::tempdir().unwrap();
    let auth = d.path().join("evidence/FrontEnd/HttpProxy/owa/auth");
    fs::create_dir_all(&auth).unwrap();
    fs::write(auth.join("OutlookJP.aspx"), b"<%@ Page %>").unwrap();
    fs::write(auth.join("logon.aspx"), b"<%@ Page %>").unwrap();
    let plan = exray_files::plan(&d.path().join("C"), 'C', &[], &[d.path().join("evidence")]);
    assert_eq!(plan.len(), 1);
    let out = sweep(&plan, &opts(), None, &no_iocs(), None);
    let web: Vec<_> = out
        .web_files
        .iter()
        .map(|w| (w.url_path.clone(), w.stock))
        .collect();
    assert!(
        web.contains(&("/owa/auth/outlookjp.aspx".to_string(), false)),
        "{web:?}"
    );
    assert!(
        web.contains(&("/owa/auth/logon.aspx".to_string(), true)),
        "{web:?}"
    );
    let (f, _) = findings(out);
    assert_eq!(rules_for(&f, "OutlookJP.aspx"), ["EXRAY-FS-003"]);
    assert!(rules_for(&f, "logon.aspx").is_empty());
}

#[test]
fn window_raises_grades_and_flags_recent_pages() {
    let t = Tree::new();
    let in_window = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_556_800); // 2021-03-01
    let set = |p: std::path::PathBuf| {
        fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(in_window)
            .unwrap();
    };
    set(t.write_x("FrontEnd/HttpProxy/owa/auth/logon.aspx", b"<%@ Page %>"));
    set(t.write("inetpub/wwwroot/new.aspx", b"<%@ Page %>"));
    set(t.write(
        "ProgramData/Microsoft/Windows/WER/ReportQueue/w3wp.mdmp",
        &minidump("w3wp.exe"),
    ));
    set(t.write("inetpub/wwwroot/aspnet_client/a.aspx", b"<%@ Page %>"));
    t.write("inetpub/wwwroot/aspnet_client/b.aspx", b"<%@ Page %>");
    t.write_x("FrontEnd/HttpProxy/owa/auth/errorFE.aspx", b"<%@ Page %>");
    let mut o = opts();
    o.window = Some((
        Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2021, 3, 31, 0, 0, 0).unwrap(),
    ));
    let (f, _) = findings(sweep(&t.plan(), &o, None, &no_iocs(), None));
    let w = finding(&f, "EXRAY-FS-007", r"wwwroot\new.aspx");
    assert_eq!(w.severity, Severity::Low);
    assert!(
        rules_for(&f, r"auth\logon.aspx").is_empty(),
        "stock pages are rewritten by updates"
    );
    let wer = finding(&f, "EXRAY-FS-021", "w3wp.mdmp");
    assert_eq!(
        wer.severity,
        Severity::Low,
        "a low hit is not raised to an indicator"
    );
    assert_eq!(wer.confidence, Confidence::Medium);
    assert!(rules_for(&f, "errorFE.aspx").is_empty());
    let a = finding(&f, "EXRAY-FS-001", "a.aspx");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.evidence[0].fields["written_in_window"], "true");
    assert_eq!(
        rules_for(&f, "a.aspx"),
        ["EXRAY-FS-001"],
        "no separate window finding"
    );
    assert_eq!(
        finding(&f, "EXRAY-FS-001", "b.aspx").severity,
        Severity::High
    );
}

#[test]
fn iocs_match_names_and_hashes() {
    let t = Tree::new();
    t.write("ProgramData/tools/procdump64.exe", b"MZ fake tool");
    t.write("Windows/Temp/readme.txt", b"abc");
    t.write("Windows/Temp/fine.txt", b"fine");
    let packs = tempfile::tempdir().unwrap();
    fs::write(
        packs.path().join("filename-iocs.txt"),
        "# tools\n\\\\ProgramData\\\\tools\\\\procdump(64)?\\.exe;75\n\\\\Windows\\\\Temp\\\\.*\\.txt;40;fine\\.txt$\n",
    )
    .unwrap();
    fs::write(
        packs.path().join("hash-iocs.txt"),
        "# hashes\n900150983cd24fb0d6963f7d28e17f72;abc test md5\n",
    )
    .unwrap();
    let iocs = Iocs::load(&[packs.path().to_path_buf()]).unwrap();
    assert_eq!(iocs.len(), 3);
    let (f, _) = findings(sweep(&t.plan(), &opts(), None, &iocs, None));
    let n = finding(&f, "EXRAY-FS-050", "procdump64.exe");
    assert_eq!(n.severity, Severity::Critical);
    assert_eq!(n.family, Family::Ioc);
    assert!(n.evidence[0].fields["ioc_source"].ends_with("filename-iocs.txt:2"));
    assert_eq!(
        finding(&f, "EXRAY-FS-050", "readme.txt").severity,
        Severity::Medium
    );
    assert!(rules_for(&f, "fine.txt").is_empty(), "false-positive regex");
    let h = finding(&f, "EXRAY-FS-051", "readme.txt");
    assert_eq!(h.evidence[0].fields["ioc"], "abc test md5");
    assert_eq!(h.evidence[0].fields["ioc_hash"], "md5");
}

#[cfg(unix)]
#[test]
fn bad_files_never_stop_the_sweep() {
    let t = Tree::new();
    let staging = t.root().join("ProgramData");
    // A symlink loop and a link out of the tree.
    std::os::unix::fs::symlink(&staging, staging.join("loop")).unwrap();
    std::os::unix::fs::symlink("/etc", staging.join("etc")).unwrap();
    std::os::unix::fs::symlink(staging.join("missing"), staging.join("dangling")).unwrap();
    // A fifo: opening it would block a naive reader.
    let fifo = staging.join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    // A huge file (above a 4 KiB cap) that is still a dump: flagged without hashes.
    let mut big = minidump(r"C:\Windows\System32\lsass.exe");
    big.resize(10_000, 0);
    t.write("ProgramData/big.bin", &big);
    t.write("ProgramData/big.txt", &vec![b'a'; 10_000]);
    // Binary noise and an empty file.
    t.write(
        "ProgramData/noise.bin",
        &(0..=255u8).cycle().take(3000).collect::<Vec<_>>(),
    );
    t.write("ProgramData/empty", b"");
    // A very deep folder.
    let mut deep = staging.join("d");
    for i in 0..40 {
        deep = deep.join(format!("{i}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("x.txt"), b"deep").unwrap();
    // A planned root that is not a folder.
    let mut plan = t.plan();
    plan.push(exray_files::SweepRoot {
        path: t.root().join("ProgramData/noise.bin"),
        display: r"C:\ProgramData\noise.bin".into(),
        location: exray_files::Location::UserPath,
    });
    let mut o = opts();
    o.max_file_size = 4096;
    let (f, rest) = findings(sweep(&plan, &o, None, &no_iocs(), None));
    let d = finding(&f, "EXRAY-FS-020", "big.bin");
    assert!(d.evidence[0].file_info.as_ref().unwrap().sha256.is_none());
    assert!(d.evidence[0].fields["hashes"].contains("size cap"));
    let cov = rest
        .coverage
        .iter()
        .find(|c| c.location == r"C:\ProgramData")
        .unwrap();
    let notes = cov.notes.join("|");
    assert!(notes.contains("2 files larger than 4096 bytes"), "{notes}");
    assert!(notes.contains("1 special files"), "{notes}");
    assert!(notes.contains("3 links not followed"), "{notes}");
    assert!(notes.contains("folders deeper than 32"), "{notes}");
    assert_eq!(cov.files, 2, "noise.bin and the empty file");
    assert!(rest.skipped >= 7);
    // The root that is a file, and the special file (listed with its path, never opened).
    assert_eq!(rest.error_count, 2, "{:?}", rest.errors);
    assert!(rest
        .errors
        .iter()
        .any(|e| e.file.ends_with("noise.bin") && e.message.contains("cannot list")));
    assert!(
        rest.errors
            .iter()
            .any(|e| e.message.contains("not a regular file")),
        "{:?}",
        rest.errors
    );
}

#[test]
fn progress_is_reported() {
    let t = Tree::new();
    for i in 0..300 {
        t.write(&format!("ProgramData/p/{i}.txt"), b"x");
    }
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let last = std::sync::Arc::new(std::sync::Mutex::new((0u64, 0u64)));
    let mut o = opts();
    let (c2, l2) = (calls.clone(), last.clone());
    o.progress = Some(Box::new(move |f, b| {
        c2.fetch_add(1, Ordering::SeqCst);
        *l2.lock().unwrap() = (f, b);
    }));
    let out = sweep(&t.plan(), &o, None, &no_iocs(), None);
    assert!(calls.load(Ordering::SeqCst) >= 2);
    assert_eq!(*last.lock().unwrap(), (300, 300));
    assert_eq!(out.files, 300);
}

#[cfg(unix)]
#[test]
fn a_user_path_that_is_a_link_is_followed_but_planned_links_are_not() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("real");
    fs::create_dir_all(&real).unwrap();
    fs::write(real.join("x.tmp"), minidump("lsass.exe")).unwrap();
    let link = d.path().join("evidence");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let user = vec![exray_files::SweepRoot {
        path: link.clone(),
        display: link.display().to_string(),
        location: exray_files::Location::UserPath,
    }];
    let (f, _) = findings(sweep(&user, &opts(), None, &no_iocs(), None));
    assert_eq!(rules_for(&f, "x.tmp"), ["EXRAY-FS-020"]);
    let staged = vec![exray_files::SweepRoot {
        path: link,
        display: r"C:\ProgramData".into(),
        location: exray_files::Location::Staging,
    }];
    let out = sweep(&staged, &opts(), None, &no_iocs(), None);
    assert_eq!(out.files, 0);
    assert!(out.coverage[0]
        .notes
        .iter()
        .any(|n| n.contains("links not followed")));
}

/// Records what the sweep tells the rule engine about each file (the facts behind the
/// Loki/THOR external variables).
/// Path, owner and mode of one scanned file.
type Seen = (String, Option<String>, Option<u32>);

struct Recorder {
    seen: std::sync::Mutex<Vec<Seen>>,
}

struct RecorderScanner<'a>(&'a Recorder);

impl ContentRules for Recorder {
    fn scanner(&self) -> Box<dyn ContentScanner + '_> {
        Box::new(RecorderScanner(self))
    }
    fn rule_count(&self) -> usize {
        0
    }
}

impl ContentScanner for RecorderScanner<'_> {
    fn scan(&mut self, _path: &str, _data: &[u8]) -> Result<Vec<ContentHit>, String> {
        Err("the sweep must call scan_file".into())
    }
    fn scan_file(
        &mut self,
        file: &exray_core::content::FileContext<'_>,
        _data: &[u8],
    ) -> Result<Vec<ContentHit>, String> {
        self.0.seen.lock().unwrap().push((
            file.path.to_string(),
            file.owner.map(str::to_string),
            file.mode,
        ));
        Ok(vec![])
    }
}

#[test]
fn sweep_hands_path_owner_and_mode_to_the_rules() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/aspnet_client/a.aspx", b"<% x %>");
    let rules = Recorder {
        seen: std::sync::Mutex::new(Vec::new()),
    };
    let out = sweep(&t.plan(), &opts(), Some(&rules), &no_iocs(), None);
    assert_eq!(out.error_count, 0, "{:?}", out.errors);
    let seen = rules.seen.lock().unwrap();
    let (path, owner, mode) = seen
        .iter()
        .find(|(p, _, _)| p.ends_with("a.aspx"))
        .expect("a.aspx scanned");
    assert_eq!(path, r"C:\inetpub\wwwroot\aspnet_client\a.aspx");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let md = fs::metadata(t.root().join("inetpub/wwwroot/aspnet_client/a.aspx")).unwrap();
        assert_eq!(owner.as_deref(), Some(md.uid().to_string().as_str()));
        assert_eq!(*mode, Some(md.mode() & 0o7777));
    }
    #[cfg(not(unix))]
    let _ = (owner, mode);
}

const TEMP_V4: &str = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files";
const TEMP_V2_32: &str = "Windows/Microsoft.NET/Framework/v2.0.50727/Temporary ASP.NET Files";

/// The metadata reader on real assemblies (compiled by mcs): page classes, the virtual paths
/// ASP.NET stores, the calls; `Assembly.Load(string)` is not a load of bytes; damaged copies
/// never panic.
#[test]
fn compiled_page_metadata() {
    let Some(eval) = compiled_page("owa_eval") else {
        return;
    };
    let p = exray_files::dotnet::compiled_pages(&eval).expect("a .NET assembly");
    assert_eq!(p.classes, ["ASP.auth_outlooken_aspx"]);
    assert_eq!(p.virtual_paths, ["~/auth/OutlookEN.aspx"]);
    assert!(p.reads_request);
    assert_eq!(p.behaviours, [exray_files::dotnet::Behaviour::Eval]);
    assert!(p
        .calls
        .contains(&"Microsoft.JScript.Eval::JScriptEvaluate".to_string()));
    assert!(p
        .calls
        .contains(&"System.Web.HttpRequest::get_Item".to_string()));

    let ordinary = compiled_page("root_ordinary").unwrap();
    let o = exray_files::dotnet::compiled_pages(&ordinary).unwrap();
    assert_eq!(o.classes, ["ASP.default_aspx", "ASP.account_login_aspx"]);
    assert_eq!(o.virtual_paths, ["~/Default.aspx", "~/Account/Login.aspx"]);
    assert!(o.reads_request);
    assert!(o.behaviours.is_empty(), "{:?}", o.behaviours);

    let loader = compiled_page("root_loader").unwrap();
    let l = exray_files::dotnet::compiled_pages(&loader).unwrap();
    assert_eq!(l.behaviours, [exray_files::dotnet::Behaviour::AssemblyLoad]);
    assert!(l
        .calls
        .contains(&"System.Web.HttpRequest::BinaryRead".to_string()));

    for n in (0..eval.len()).step_by(3) {
        let _ = exray_files::dotnet::compiled_pages(&eval[..n]);
        let mut d = eval.clone();
        d[n] ^= 0xA5;
        let _ = exray_files::dotnet::compiled_pages(&d);
    }
}

/// Compiled page assemblies in Temporary ASP.NET Files (Framework64 v4, Framework v2): each
/// finding names the source page, with the file's SHA-256; a page from a shell folder is
/// EXRAY-FS-040, shell code is EXRAY-FS-041; an ordinary application's pages are not findings.
#[test]
fn compiled_page_assemblies_name_their_source_page() {
    let Some(eval) = compiled_page("owa_eval") else {
        return;
    };
    let loader = compiled_page("root_loader").unwrap();
    let cmd = compiled_page("root_cmd").unwrap();
    let ordinary = compiled_page("root_ordinary").unwrap();
    let t = Tree::new();
    t.write(
        &format!("{TEMP_V4}/owa/1a2b3c4d/5e6f7a8b/App_Web_k3j2h1g0.dll"),
        &eval,
    );
    t.write(
        &format!("{TEMP_V4}/root/11aa22bb/33cc44dd/App_Web_upl0ad9x.dll"),
        &loader,
    );
    t.write(
        &format!("{TEMP_V4}/root/11aa22bb/33cc44dd/App_Web_d3f4ult0.dll"),
        &ordinary,
    );
    t.write(
        &format!("{TEMP_V2_32}/root/0f0f0f0f/1e1e1e1e/App_Web_q8w7e6r5.dll"),
        &cmd,
    );
    // Not a page assembly: a shadow copy of the application's bin folder.
    t.write(
        &format!("{TEMP_V4}/owa/1a2b3c4d/5e6f7a8b/assembly/dl3/9a/8b/Tools.dll"),
        &loader,
    );
    let (f, rest) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    assert_eq!(rest.error_count, 0);

    let sha = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
    let trace = finding(&f, "EXRAY-FS-040", "App_Web_k3j2h1g0.dll");
    let ev = &trace.evidence[0];
    assert_eq!(ev.fields["page"], "/owa/auth/outlooken.aspx");
    assert_eq!(ev.fields["virtual_paths"], "~/auth/OutlookEN.aspx");
    assert_eq!(ev.fields["page_classes"], "ASP.auth_outlooken_aspx");
    assert_eq!(ev.fields["application"], "owa");
    assert_eq!(
        ev.raw.as_deref(),
        Some("compiled from /owa/auth/outlooken.aspx (ASP.auth_outlooken_aspx); code: JScript eval of a string, reads request data")
    );
    assert!(ev.fields["reason"].contains("/owa/auth/"));
    assert_eq!(
        ev.file_info.as_ref().unwrap().sha256.as_deref(),
        Some(sha(&eval).as_str())
    );
    assert!(trace
        .artifacts
        .contains(&"/owa/auth/outlooken.aspx".to_string()));
    let code = finding(&f, "EXRAY-FS-041", "App_Web_k3j2h1g0.dll");
    assert_eq!(code.severity, Severity::Critical);
    assert_eq!(code.evidence[0].fields["code"], "JScript eval of a string");
    assert!(code.evidence[0].fields["calls"].contains("Microsoft.JScript.Eval::JScriptEvaluate"));

    assert_eq!(rules_for(&f, "App_Web_upl0ad9x.dll"), ["EXRAY-FS-041"]);
    let l = finding(&f, "EXRAY-FS-041", "App_Web_upl0ad9x.dll");
    assert_eq!(l.severity, Severity::Critical);
    assert_eq!(l.evidence[0].fields["page"], "/upload/img.aspx");
    assert_eq!(l.evidence[0].fields["code"], "assembly loaded from bytes");

    let c = finding(&f, "EXRAY-FS-040", "App_Web_q8w7e6r5.dll");
    assert!(c.evidence[0].file.contains(r"\Framework\v2.0.50727\"));
    assert_eq!(
        c.evidence[0].fields["page"],
        "/aspnet_client/system_web/log.aspx"
    );
    let cc = finding(&f, "EXRAY-FS-041", "App_Web_q8w7e6r5.dll");
    assert_eq!(
        cc.severity,
        Severity::Critical,
        "shell folder and process start"
    );
    assert_eq!(cc.evidence[0].fields["code"], "process start");

    assert!(rules_for(&f, "App_Web_d3f4ult0.dll").is_empty());
    assert!(rules_for(&f, "Tools.dll").is_empty());
}

/// Assemblies in a web application's bin folder (compiled by mcs): an unsigned one whose page or
/// handler class runs request data is EXRAY-FS-042 (high for a byte loader, medium for a
/// process start), with its classes and calls; a library whose loader has no page or handler
/// class, a signed copy, and the same assembly outside a bin folder are not findings.
#[test]
fn bin_assemblies_behind_stub_pages() {
    let Some(loader) = compiled_page("bin_loader") else {
        return;
    };
    let handler = compiled_page("bin_handler_cmd").unwrap();
    let library = compiled_page("bin_library").unwrap();
    // The same loader with a certificate table (as an Authenticode-signed assembly has).
    let mut signed = loader.clone();
    let pe = u32::from_le_bytes(signed[0x3c..0x40].try_into().unwrap()) as usize;
    let opt = pe + 24;
    let dirs = match u16::from_le_bytes([signed[opt], signed[opt + 1]]) {
        0x10b => opt + 96,
        _ => opt + 112,
    };
    let sec = dirs + 4 * 8;
    let end = signed.len() as u32;
    signed[sec..sec + 4].copy_from_slice(&end.to_le_bytes());
    signed[sec + 4..sec + 8].copy_from_slice(&16u32.to_le_bytes());
    signed.extend_from_slice(&[0u8; 16]);
    assert!(exray_files::dotnet::bin_assembly(&signed).unwrap().signed);
    assert!(!exray_files::dotnet::bin_assembly(&loader).unwrap().signed);

    let t = Tree::new();
    t.write("inetpub/wwwroot/bin/Acme.Web.dll", &loader);
    t.write("inetpub/wwwroot/tools/bin/Contoso.Tools.dll", &handler);
    t.write("inetpub/wwwroot/bin/Fabrikam.dll", &library);
    t.write("inetpub/wwwroot/legacy/bin/Signed.Web.dll", &signed);
    t.write("inetpub/wwwroot/Acme.Web.dll", &loader);
    t.write(
        "inetpub/wwwroot/panel.aspx",
        b"<script language=\"C#\" runat=\"server\">\nAcme.Web.Panel p = new Acme.Web.Panel(\"7c1e\");\n</script>\n",
    );
    let (f, rest) = findings(sweep(&t.plan(), &opts(), None, &no_iocs(), None));
    assert_eq!(rest.error_count, 0);

    let l = finding(&f, "EXRAY-FS-042", r"\bin\Acme.Web.dll");
    assert_eq!(l.severity, Severity::High);
    assert_eq!(l.confidence, Confidence::Medium);
    let ev = &l.evidence[0];
    assert_eq!(ev.fields["classes"], "Acme.Web.Panel");
    assert_eq!(ev.fields["code"], "assembly loaded from bytes");
    assert!(ev.fields["calls"].contains("System.Web.HttpRequest::BinaryRead"));
    assert_eq!(ev.fields["signed"], "no");
    assert!(ev.file_info.as_ref().unwrap().sha256.is_some());

    let h = finding(&f, "EXRAY-FS-042", "Contoso.Tools.dll");
    assert_eq!(h.severity, Severity::Medium);
    assert_eq!(h.evidence[0].fields["classes"], "Contoso.Tools.Status");
    assert_eq!(h.evidence[0].fields["code"], "process start");

    assert!(rules_for(&f, "Fabrikam.dll").is_empty());
    assert!(rules_for(&f, "Signed.Web.dll").is_empty());
    assert!(!rules_for(&f, r"wwwroot\Acme.Web.dll").contains(&"EXRAY-FS-042".to_string()));
}
