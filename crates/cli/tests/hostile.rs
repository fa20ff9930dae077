//! Hostile and damaged evidence, end to end: each case of issue 15's table is built on a copy of
//! `samples/compromised-exchange` (sparse files, FIFOs, permission changes, crafted archives; all
//! small on disk), `exray hunt` runs on it as a child process, and the test asserts that the hunt
//! ends within 60 s, that its peak RSS (from `wait4`) stays under 500 MB, that a report is
//! written, and that the problem is listed with its path.

#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One hunt at a time: the limits are per hunt, and the machine is small.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const TIME_LIMIT: Duration = Duration::from_secs(60);
const RSS_LIMIT_KB: i64 = 500 * 1024;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/compromised-exchange")
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} absent", p.display());
        None
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A copy of the sample in a folder any user can read (some cases run the hunt unprivileged).
struct Case {
    dir: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        chmod(out.path(), 0o777);
        copy_tree(&sample(), dir.path());
        Case { dir, out }
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn c(&self) -> PathBuf {
        self.root().join("C")
    }
    fn ex(&self) -> PathBuf {
        self.c().join("Program Files/Microsoft/Exchange Server/V15")
    }
    fn report_path(&self) -> PathBuf {
        self.out.path().join("report.json")
    }
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkfifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "{}",
        p.display()
    );
}

/// A file of `size` bytes holding `head` and holes.
fn sparse(p: &Path, head: &[u8], size: u64) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(p).unwrap();
    f.write_all(head).unwrap();
    f.set_len(size).unwrap();
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    peak_kb: i64,
    secs: f64,
}

/// Run `exray` with `args`, as `uid` if given; fail if it runs past the time limit.
fn exray(args: &[OsString], uid: Option<u32>) -> Run {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_exray"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(u) = uid {
        cmd.uid(u).gid(u);
    }
    let t0 = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut status = 0;
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        let _ = tx.send((r, status, ru.ru_maxrss));
    });
    let (r, status, maxrss) = match rx.recv_timeout(TIME_LIMIT) {
        Ok(v) => v,
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("exray {args:?} did not end within {TIME_LIMIT:?}");
        }
    };
    drop(child);
    assert_eq!(r, pid);
    let run = Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        peak_kb: maxrss,
        secs: t0.elapsed().as_secs_f64(),
    };
    eprintln!(
        "exray {:?}: exit {:?}, {:.1} s, peak RSS {} MB",
        args,
        run.code,
        run.secs,
        run.peak_kb / 1024
    );
    assert!(
        run.code.is_some(),
        "killed by a signal; stderr: {}",
        run.stderr
    );
    assert!(
        run.peak_kb < RSS_LIMIT_KB,
        "peak RSS {} MB over 500 MB",
        run.peak_kb / 1024
    );
    run
}

/// Hunt `case` (JSON report to a file) with extra arguments; returns the report.
fn hunt(case: &Case, extra: &[&str], uid: Option<u32>) -> (Value, Run) {
    let mut args: Vec<OsString> = vec!["hunt".into(), "-f".into(), "json".into(), "-o".into()];
    args.push(case.report_path().into());
    args.extend(extra.iter().map(OsString::from));
    args.push(case.root().into());
    let _ = std::fs::remove_file(case.report_path());
    let run = exray(&args, uid);
    let text = std::fs::read_to_string(case.report_path())
        .unwrap_or_else(|e| panic!("no report written ({e}); stderr: {}", run.stderr));
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    (report, run)
}

/// The input errors and warnings of a report, one line each (`file: message`).
fn problems(r: &Value) -> Vec<String> {
    let mut out: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["file"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    out.extend(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap_or("").to_string()),
    );
    out
}

fn assert_listed(r: &Value, path_part: &str, message_part: &str) {
    let p = problems(r);
    assert!(
        p.iter()
            .any(|l| l.contains(path_part) && l.contains(message_part)),
        "no problem naming {path_part:?} with {message_part:?} in:\n{}",
        p.join("\n")
    );
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Only the HttpProxy logs of the sample, with the attack only in `Ecp`.
fn httpproxy_only() -> Case {
    let case = Case::new();
    let ex = case.ex();
    for rel in ["Logging/ECP", "Logging/OABGeneratorLog", "FrontEnd", "Bin"] {
        std::fs::remove_dir_all(ex.join(rel)).unwrap();
    }
    std::fs::remove_dir_all(ex.join("Logging/HttpProxy/Autodiscover")).unwrap();
    std::fs::remove_dir_all(case.c().join("inetpub/logs")).unwrap();
    case
}

#[test]
fn an_unreadable_request_log_folder_makes_the_verdict_not_assessed() {
    // Without the Ecp folder at all, the other logs clear the server: that is what an unread
    // folder must not be allowed to do.
    let case = httpproxy_only();
    let ecp = case.ex().join("Logging/HttpProxy/Ecp");
    let (r, _) = hunt(&case, &["--no-files"], None);
    assert_eq!(r["verdict"], "indicators_found", "{}", r["verdict_reason"]);
    let moved = case.out.path().join("Ecp-away");
    std::fs::rename(&ecp, &moved).unwrap();
    let (r, _) = hunt(&case, &["--no-files"], None);
    assert_eq!(
        r["verdict"], "no_indicators_found",
        "{}",
        r["verdict_reason"]
    );
    std::fs::rename(&moved, &ecp).unwrap();
    // Unreadable for the account that hunts: mode 000; as root (where modes do not deny) the
    // hunt runs as `nobody`.
    chmod(&ecp, 0o000);
    let uid = is_root().then_some(65534);
    let (r, _) = hunt(&case, &["--no-files"], uid);
    assert_eq!(r["verdict"], "not_assessed", "{}", r["verdict_reason"]);
    assert!(
        r["verdict_reason"]
            .as_str()
            .unwrap()
            .contains(r"HttpProxy\Ecp"),
        "{}",
        r["verdict_reason"]
    );
    assert_listed(&r, r"Logging\HttpProxy\Ecp", "cannot list folder");
    // The text report says so first.
    let run = exray(
        &[
            "hunt".into(),
            "--no-files".into(),
            case.root().as_os_str().to_owned(),
        ],
        uid,
    );
    let first = run.stdout.lines().nth(1).unwrap_or("");
    assert!(
        first.starts_with("NOT READ") && first.contains("not assessed"),
        "{}",
        run.stdout
    );
    chmod(&ecp, 0o755);
}

#[test]
fn fifos_in_place_of_configs_and_exsetup_do_not_block() {
    let case = Case::new();
    let c = case.c();
    let ex = case.ex();
    let fifos = [
        (c.join("inetpub/wwwroot/web.config"), r"wwwroot"),
        (ex.join("FrontEnd/HttpProxy/ecp/web.config"), r"ecp"),
        (
            c.join("Windows/System32/inetsrv/config/applicationHost.config"),
            "applicationHost.config",
        ),
        (ex.join("Bin/ExSetup.exe"), "ExSetup.exe"),
        (
            ex.join("Logging/HttpProxy/Owa/HttpProxy_2021030301-1.LOG"),
            "HttpProxy_2021030301-1.LOG",
        ),
    ];
    for (p, _) in &fifos {
        mkfifo(p);
    }
    let (r, _) = hunt(&case, &[], None);
    for (_, name) in &fifos {
        assert_listed(&r, name, "FIFO");
    }
    // The FIFO named as a request log stands where a log could be: the verdict cannot rest on it
    // (the attack in the other logs still decides it).
    assert!(
        r["coverage"].as_array().unwrap().iter().any(|c| {
            c["unreadable"] == true
                && c["location"]
                    .as_str()
                    .unwrap()
                    .ends_with("HttpProxy_2021030301-1.LOG")
        }),
        "{}",
        r["coverage"]
    );
    assert_eq!(r["verdict"], "indicators_found");
}

#[test]
fn an_unterminated_json_line_in_a_sparse_100_gb_export_is_bounded() {
    let case = Case::new();
    let dir = case.out.path().join("exports");
    sparse(
        &dir.join("events.json"),
        b"{\"EventID\":1,\"Image\":\"",
        100 << 30,
    );
    // And a real (allocated) unterminated line of 6 MiB: skipped without being held.
    let mut long = b"{\"EventID\":1,\"Image\":\"".to_vec();
    long.resize(6 << 20, b'a');
    std::fs::write(dir.join("long.json"), long).unwrap();
    let (r, run) = hunt(
        &case,
        &["--no-files", "--evtx", dir.to_str().unwrap()],
        None,
    );
    assert_listed(&r, "events.json", "file of 100.0 GiB");
    assert_listed(&r, "events.json", "invalid JSON");
    assert_listed(&r, "long.json", "longer than 4 MiB");
    assert!(run.secs < 60.0);
}

/// A zip archive built by hand: stored `entries` (name, data), with central-directory records
/// that may point anywhere (`points_at`: the index of the local entry each record describes).
fn zip_bytes(entries: &[(&str, &[u8])], points_at: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    let crc = |d: &[u8]| {
        let mut c = 0xFFFF_FFFFu32;
        for b in d {
            c ^= *b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let mut crcs = Vec::new();
    for (name, data) in entries {
        offsets.push(out.len() as u32);
        let c = crc(data);
        crcs.push(c);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
    }
    let cd_start = out.len() as u32;
    for (k, &i) in points_at.iter().enumerate() {
        let (name, data) = entries[i];
        let name = if points_at.len() > entries.len() {
            format!("{k}-{name}")
        } else {
            name.to_string()
        };
        out.extend_from_slice(b"PK\x01\x02");
        out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crcs[i].to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&offsets[i].to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let cd_len = out.len() as u32 - cd_start;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    let n = points_at.len().min(0xFFFF) as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn hostile_zips_are_refused_or_capped_and_grouped() {
    let case = Case::new();
    let dir = case.out.path().join("exports");
    std::fs::create_dir_all(&dir).unwrap();
    // 100 central-directory records pointing at one member.
    let member =
        b"{\"EventID\":4688,\"NewProcessName\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\"}\n";
    let entries = [("a.json", &member[..])];
    std::fs::write(dir.join("overlap.zip"), zip_bytes(&entries, &[0; 100])).unwrap();
    // More entries than the cap (10,000).
    let many: Vec<(String, Vec<u8>)> = (0..10_001)
        .map(|i| (format!("e{i}.json"), member.to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let idx: Vec<usize> = (0..refs.len()).collect();
    std::fs::write(dir.join("many.zip"), zip_bytes(&refs, &idx)).unwrap();
    // A good archive of 50 exports: one coverage row.
    let fifty: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("part{i}.jsonl"), member.to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = fifty
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let idx: Vec<usize> = (0..refs.len()).collect();
    std::fs::write(dir.join("good.zip"), zip_bytes(&refs, &idx)).unwrap();
    let (r, _) = hunt(
        &case,
        &["--no-files", "--evtx", dir.to_str().unwrap()],
        None,
    );
    assert_listed(&r, "overlap.zip!", "overlaps another entry");
    assert_listed(&r, "many.zip", "more than the cap of 10000");
    let rows: Vec<&Value> = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["location"].as_str().unwrap().contains("good.zip"))
        .collect();
    assert_eq!(rows.len(), 1, "one coverage row per archive: {rows:?}");
    assert_eq!(rows[0]["files"], 50);
    assert_eq!(rows[0]["records"], 50);
}

#[test]
fn sparse_configs_and_registry_exports_are_read_within_caps() {
    let case = Case::new();
    let cfg = case.c().join("inetpub/wwwroot/web.config");
    sparse(&cfg, b"<?xml version=\"1.0\"?>\n<configuration>", 4 << 30);
    for i in 0..40 {
        sparse(
            &case.root().join(format!("reg/export{i}.reg")),
            b"Windows Registry Editor Version 5.00\r\n",
            64 << 20,
        );
    }
    let (r, _) = hunt(&case, &["--no-files"], None);
    assert_listed(&r, "web.config", "only its first 16.0 MiB read");
    assert_listed(
        &r,
        "export39.reg",
        "registry exports are read up to 128.0 MiB per hunt",
    );
}

#[test]
fn a_cut_evtx_file_still_yields_its_intact_records() {
    let Some(dir) = shared("evtx/evtx-attack-samples/Credential Access") else {
        return;
    };
    let src = dir.join("sysmon_10_11_lsass_memdump.evtx");
    let bytes = std::fs::read(&src).unwrap();
    assert!(bytes.len() > 40_000);
    let case = Case::new();
    let logs = case.c().join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let cut = logs.join("Microsoft-Windows-Sysmon%4Operational.evtx");
    std::fs::write(&cut, &bytes[..40_000]).unwrap();
    let (r, _) = hunt(&case, &["--no-files"], None);
    assert_listed(&r, "Sysmon%4Operational.evtx", "offset 40000");
    let row = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"] == "evtx")
        .expect("an EVTX coverage row");
    assert!(row["records"].as_u64().unwrap() > 0, "{row}");
}

#[test]
fn sparse_100_gb_logs_and_evtx_have_their_size_stated() {
    let case = Case::new();
    let iis = case.c().join("inetpub/logs/LogFiles/W3SVC1/u_ex210304.log");
    sparse(
        &iis,
        b"#Software: Microsoft Internet Information Services 10.0\r\n",
        100 << 30,
    );
    let evtx = case.c().join("Windows/System32/winevt/Logs/Security.evtx");
    sparse(&evtx, b"ElfFile\0", 100 << 30);
    let (r, _) = hunt(&case, &["--no-files"], None);
    assert_listed(&r, "u_ex210304.log", "file of 100.0 GiB");
    assert_listed(&r, "Security.evtx", "file of 100.0 GiB");
}

#[test]
fn deep_folders_encodings_and_forged_times_are_named() {
    let case = Case::new();
    // Loose folders nested deeper than the walk goes.
    let loose = case.out.path().join("loose");
    let mut deep = loose.clone();
    for i in 0..14 {
        deep = deep.join(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("u_ex210303.log"), b"#Fields: date time\n").unwrap();
    // UTF-16 and CR-only request logs.
    let w3 = loose.join("W3SVC1");
    std::fs::create_dir_all(&w3).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "#Software: Microsoft Internet Information Services 10.0\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(w3.join("u_ex210301.log"), utf16).unwrap();
    std::fs::write(
        w3.join("u_ex210302.log"),
        b"#Software: Microsoft Internet Information Services 10.0\r#Fields: date time\r2021-03-02 00:00:00\r",
    )
    .unwrap();
    let out = case.out.path().join("loose.json");
    let run = exray(
        &[
            "hunt".into(),
            "-f".into(),
            "json".into(),
            "-o".into(),
            out.clone().into(),
            loose.into(),
        ],
        None,
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!("no report ({e}): {}", run.stderr);
    }))
    .unwrap();
    assert_listed(&r, "nested deeper than 12 levels", "d12");
    assert_listed(&r, "u_ex210301.log", "UTF-16");
    assert_listed(&r, "u_ex210302.log", "CR only");

    // A forged year 9999 (10000 after its offset) in the attack's log.
    let ecp_log = case
        .ex()
        .join("Logging/HttpProxy/Ecp/HttpProxy_2021030300-1.LOG");
    let text = std::fs::read_to_string(&ecp_log).unwrap();
    let attack = text
        .lines()
        .find(|l| l.contains("203.0.113.7"))
        .expect("an attack line");
    let forged = format!(
        "9999-12-31T23:59:59.000-05:00{}",
        &attack[attack.find(',').unwrap()..]
    );
    let forged = forged.replace("Mozilla", "=HYPERLINK(\"http://x\")\u{9b}31m\u{7}");
    std::fs::write(&ecp_log, format!("{text}{forged}\n")).unwrap();
    let (r, _) = hunt(&case, &["--no-files"], None);
    let json = std::fs::read_to_string(case.report_path()).unwrap();
    assert!(!json.contains("+10000"), "a year past 9999 in the JSON");
    assert!(
        !json.contains('\u{9b}'),
        "a raw C1 control character in the JSON"
    );
    for c in r["coverage"].as_array().unwrap() {
        let last = c["last"].as_str().unwrap_or("");
        assert!(
            !last.starts_with("9999") && !last.starts_with("+1"),
            "a forged time moved coverage: {c}"
        );
    }
    // CSV: no field starts a formula, no raw control characters.
    let run = exray(
        &[
            "hunt".into(),
            "--no-files".into(),
            "-f".into(),
            "csv".into(),
            case.root().as_os_str().to_owned(),
        ],
        None,
    );
    for line in run.stdout.lines() {
        for field in line.split(',') {
            let f = field.trim_start_matches('"');
            assert!(
                !f.starts_with(['=', '+', '@']),
                "a formula in the CSV: {line}"
            );
        }
        assert!(
            !line.chars().any(|c| c.is_control()),
            "a control character in the CSV: {line:?}"
        );
    }
}

/// Every file and folder under `dir` (the folder too), links not followed.
fn all_paths(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            all_paths(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

fn atime(p: &Path) -> (i64, i64) {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::symlink_metadata(p).unwrap();
    (md.atime(), md.atime_nsec())
}

#[test]
fn a_hunt_changes_no_access_time() {
    let case = Case::new();
    // Every file type a hunt reads: request logs, the ECP and OAB logs, configs, ExSetup.exe,
    // web roots, staging folders, plus a registry export, an EVTX and a zipped export.
    std::fs::write(
        case.root().join("updates.reg"),
        b"Windows Registry Editor Version 5.00\r\n",
    )
    .unwrap();
    let logs = case.c().join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("Security.evtx"), [0u8; 5000]).unwrap();
    let member = b"{\"EventID\":1}\n";
    std::fs::write(
        case.out.path().join("events.zip"),
        zip_bytes(&[("a.json", &member[..])], &[0]),
    )
    .unwrap();
    let mut paths = Vec::new();
    all_paths(case.root(), &mut paths);
    assert!(paths.len() > 30);
    // A fixed old time (2001-09-09), modification times untouched.
    let old = libc::timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    let omit = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::UTIME_OMIT,
    };
    let set = |p: &Path| {
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        let times = [old, omit];
        let r = unsafe {
            libc::utimensat(
                libc::AT_FDCWD,
                c.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        assert_eq!(r, 0, "{}", p.display());
    };
    for p in &paths {
        set(p);
    }
    let zip = case.out.path().join("events.zip");
    set(&zip);
    let before: Vec<_> = paths.iter().map(|p| atime(p)).collect();
    let zip_before = atime(&zip);
    let (r, _) = hunt(&case, &["--evtx", zip.to_str().unwrap()], None);
    assert!(r["summary"]["files_read"].as_u64().unwrap() > 10);
    let changed: Vec<String> = paths
        .iter()
        .zip(&before)
        .filter(|(p, b)| atime(p) != **b)
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(changed.is_empty(), "atime changed: {changed:#?}");
    assert_eq!(atime(&zip), zip_before, "the zipped export's atime changed");
}

/// Every file under `dir` with its size and modification time (links as links).
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let md = std::fs::symlink_metadata(e.path()).unwrap();
            if md.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), md.len(), md.mtime()));
        }
    }
    out.sort();
    out
}

#[test]
fn what_held_before_still_holds() {
    let case = Case::new();
    let ex = case.ex();
    let owa = ex.join("Logging/HttpProxy/Owa");
    // Link loops and links out of the root.
    std::os::unix::fs::symlink(&owa, owa.join("loop")).unwrap();
    std::os::unix::fs::symlink("/etc", case.c().join("inetpub/wwwroot/etc")).unwrap();
    // A log named with escape sequences and invalid UTF-8, holding an unterminated quote and a
    // line of a million columns.
    let name =
        <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"HttpProxy_\x1b[2J\xff.LOG");
    let header = std::fs::read_to_string(owa.join("HttpProxy_2021030300-1.LOG")).unwrap();
    let head: String = header.lines().take(5).map(|l| format!("{l}\n")).collect();
    let mut body = head.clone();
    body.push_str("2021-03-03T04:00:00.000Z,\"unterminated\n");
    body.push_str(&",".repeat(1_000_000));
    body.push('\n');
    std::fs::write(owa.join(name), body).unwrap();
    // A damaged zip export.
    let dir = case.out.path().join("exports");
    std::fs::create_dir_all(&dir).unwrap();
    let member = b"{\"EventID\":1}\n";
    let mut z = zip_bytes(&[("a.json", &member[..])], &[0]);
    z.truncate(z.len() - 10);
    std::fs::write(dir.join("damaged.zip"), z).unwrap();
    let before = snapshot(case.root());
    let (r, _) = hunt(&case, &["--evtx", dir.to_str().unwrap()], None);
    assert_eq!(r["verdict"], "indicators_found", "{}", r["verdict_reason"]);
    assert_listed(&r, "damaged.zip", "not a readable zip");
    assert_eq!(
        snapshot(case.root()),
        before,
        "the hunt wrote inside the hunted path"
    );
    // The text report escapes the name.
    let run = exray(
        &[
            "hunt".into(),
            "--no-files".into(),
            case.root().as_os_str().to_owned(),
        ],
        None,
    );
    assert!(
        !run.stdout.contains('\x1b'),
        "a raw escape in the text report"
    );
}
