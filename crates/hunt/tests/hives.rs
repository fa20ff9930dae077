//! Binary registry hives: hives carrying Exchange's keys, written by the test with hivex
//! (`hivexregedit --merge`, Debian `libwin-hivex-perl`; skipped with a message where absent),
//! give the facts `.reg` exports give (installed updates, service start types) plus the install
//! path, at the live path and as triage copies found by their `regf` signature; damaged and
//! oversized hives are input errors with their path, never a panic.

use std::path::Path;

use exray_core::{MitigationStatus, SourceKind};
use exray_gen::hive::{reg_text, write_hive};
use exray_hunt::{run, HuntOptions};
use exray_parse::hive::{read_hive, HiveError};

const SOFTWARE: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE";
const SYSTEM: &str = r"HKEY_LOCAL_MACHINE\SYSTEM";
const KB: &str = r"Microsoft\Updates\Exchange 2016\SP1\KB5000871";
const PACKAGE: &str =
    r#""PackageName"="Security Update For Exchange Server 2016 CU19 (KB5000871)""#;

fn software(path: &Path, install: &str) -> bool {
    let msi = format!(r#""MsiInstallPath"="{}""#, install.replace('\\', r"\\"));
    write_hive(
        path,
        SOFTWARE,
        &[
            (r"Microsoft\ExchangeServer\v15\Setup", &[msi.as_str()]),
            (KB, &[PACKAGE]),
            (r"Microsoft\Updates\Other Product\KB1234567", &[]),
        ],
    )
    .unwrap()
}

/// UM disabled in the current control set (2); enabled in the stale one (1).
fn system(path: &Path) -> bool {
    write_hive(
        path,
        SYSTEM,
        &[
            ("Select", &[r#""Current"=dword:00000002"#]),
            (
                r"ControlSet001\Services\MSExchangeUM",
                &[r#""Start"=dword:00000002"#],
            ),
            (
                r"ControlSet002\Services\MSExchangeUM",
                &[r#""Start"=dword:00000004"#],
            ),
            (
                r"ControlSet002\Services\MSExchangeUMCR",
                &[r#""Start"=dword:00000004"#],
            ),
            (
                r"ControlSet002\Services\W3SVC",
                &[r#""Start"=dword:00000002"#],
            ),
        ],
    )
    .unwrap()
}

fn skip() {
    eprintln!("skipping: hivexregedit (Debian package libwin-hivex-perl) is not installed");
}

#[test]
fn a_hive_gives_the_facts_its_reg_export_gives() {
    let dir = tempfile::tempdir().unwrap();
    let sw = dir.path().join("SOFTWARE");
    let sy = dir.path().join("SYSTEM");
    if !software(&sw, r"C:\Program Files\Microsoft\Exchange Server\V15\") || !system(&sy) {
        return skip();
    }
    let h = read_hive(std::fs::read(&sw).unwrap()).unwrap();
    let text = reg_text(SOFTWARE, &[(KB, &[PACKAGE])]);
    assert_eq!(h.updates, exray_parse::regexport::exchange_updates(&text));
    assert_eq!(h.updates.len(), 1, "only Exchange's updates");
    assert_eq!(
        h.install_paths,
        vec![(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v15\Setup".to_string(),
            r"C:\Program Files\Microsoft\Exchange Server\V15\".to_string()
        )]
    );
    let s = read_hive(std::fs::read(&sy).unwrap()).unwrap();
    let mut starts = s.service_starts.clone();
    starts.sort();
    assert_eq!(
        starts,
        vec![
            ("MSExchangeUM".to_string(), 4),
            ("MSExchangeUMCR".to_string(), 4),
            ("W3SVC".to_string(), 2)
        ],
        "the current control set's services"
    );
}

#[test]
fn live_and_triage_hives_feed_the_hunt() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let config = dir.path().join("C/Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    if !software(
        &config.join("SOFTWARE"),
        r"C:\Program Files\Microsoft\Exchange Server\V15\",
    ) || !system(&config.join("SYSTEM"))
    {
        return skip();
    }
    let check = |r: &exray_core::Report, shown: &str| {
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("KB5000871") && w.contains("did not complete")),
            "{shown}: {:?}",
            r.warnings
        );
        let um = r
            .host
            .mitigations
            .iter()
            .find(|m| m.name.contains("Unified Messaging"))
            .expect("UM state read from the SYSTEM hive");
        assert_eq!(um.status, MitigationStatus::Present);
        assert!(um.evidence.iter().any(|e| e.contains(shown)), "{um:?}");
        assert_eq!(r.summary.input_errors, 0, "{:?}", r.errors);
    };
    let opts = |p: &Path| HuntOptions {
        path: p.to_path_buf(),
        no_files: true,
        ..Default::default()
    };
    check(&run(&opts(dir.path()), None).unwrap(), "SYSTEM");
    // Triage copies under collector names, found by their signature; the live ones removed.
    let copies = dir.path().join("registry");
    std::fs::create_dir_all(&copies).unwrap();
    std::fs::rename(config.join("SOFTWARE"), copies.join("EX01_sw_hive")).unwrap();
    std::fs::rename(config.join("SYSTEM"), copies.join("EX01-sys.hiv")).unwrap();
    check(&run(&opts(dir.path()), None).unwrap(), "EX01-sys.hiv");
}

#[test]
fn an_install_path_the_registry_names_is_hunted() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let c = dir.path().join("C");
    // Exchange installed outside Program Files: discovery alone does not find it.
    std::fs::rename(
        c.join("Program Files/Microsoft/Exchange Server"),
        c.join("ExchangeServer"),
    )
    .unwrap();
    let config = c.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    if !software(&config.join("SOFTWARE"), r"C:\ExchangeServer\V15\") {
        return skip();
    }
    let r = run(
        &HuntOptions {
            path: dir.path().to_path_buf(),
            no_files: true,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let hp: u64 = r
        .coverage
        .iter()
        .filter(|c| c.source == SourceKind::HttpProxy)
        .map(|c| c.records)
        .sum();
    assert!(
        hp > 0,
        "the HttpProxy logs under the registry's install path were read"
    );
    assert!(r.host.build.is_some(), "ExSetup.exe read there");
    // An install on a drive that is not in the collection is said.
    std::fs::remove_file(config.join("SOFTWARE")).unwrap();
    software(&config.join("SOFTWARE"), r"E:\Exchange\V15\");
    let r = run(
        &HuntOptions {
            path: dir.path().to_path_buf(),
            no_files: true,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains(r"E:\Exchange\V15\") && w.contains("not in the hunted folders")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn damaged_and_oversized_hives_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sw = dir.path().join("SOFTWARE");
    if !software(&sw, r"C:\Program Files\Microsoft\Exchange Server\V15\") {
        return skip();
    }
    let good = std::fs::read(&sw).unwrap();
    // Every cut and many single-byte changes: an answer (facts or an error), never a panic.
    let mut errors = 0;
    for cut in (0..good.len()).step_by(97) {
        if read_hive(good[..cut].to_vec()).is_err() {
            errors += 1;
        }
    }
    for at in (0..good.len()).step_by(13) {
        for v in [0x00, 0xFF, 0x7F] {
            let mut b = good.clone();
            b[at] = v;
            let _ = read_hive(b);
        }
    }
    assert!(errors > 0);
    assert_eq!(read_hive(b"MZ".to_vec()), Err(HiveError::NotAHive));
    // In a hunt: the path and the reason.
    let root = dir.path().join("host/C");
    let config = root.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(root.join("Program Files")).unwrap();
    std::fs::create_dir_all(root.join("inetpub")).unwrap();
    let mut broken = good.clone();
    broken.truncate(4096 + 64);
    broken[4096..4100].copy_from_slice(b"junk");
    std::fs::write(config.join("SOFTWARE"), broken).unwrap();
    // A sparse file far past the cap: not read at all.
    let big = std::fs::File::create(config.join("SYSTEM")).unwrap();
    std::io::Write::write_all(&mut &big, b"regf").unwrap();
    big.set_len(600 << 20).unwrap();
    let r = run(
        &HuntOptions {
            path: dir.path().join("host"),
            no_files: true,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let err = |name: &str| {
        r.errors
            .iter()
            .find(|e| e.file.ends_with(name))
            .map(|e| e.message.clone())
    };
    assert!(
        err(r"config\SOFTWARE").is_some_and(|m| m.contains("damaged registry hive")),
        "{:?}",
        r.errors
    );
    assert!(
        err(r"config\SYSTEM").is_some_and(|m| m.contains("larger than")),
        "{:?}",
        r.errors
    );
}

/// The host's names and addresses: current control set 2 names EX01 in contoso.local with a
/// static and a DHCP interface; control set 1 names a stale host that must not be taken.
fn identity_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("Select", vec![r#""Current"=dword:00000002"#]),
        (
            r"ControlSet001\Control\ComputerName\ComputerName",
            vec![r#""ComputerName"="OLDNAME""#],
        ),
        (
            r"ControlSet002\Control\ComputerName\ComputerName",
            vec![r#""ComputerName"="EX01""#],
        ),
        (
            r"ControlSet002\Services\Tcpip\Parameters",
            vec![
                r#""Hostname"="ex01""#,
                r#""Domain"="""#,
                r#""NV Domain"="Contoso.local""#,
            ],
        ),
        (
            r"ControlSet002\Services\Tcpip\Parameters\Interfaces\{11111111-2222-3333-4444-555555555555}",
            vec![
                r#""EnableDHCP"=dword:00000000"#,
                // REG_MULTI_SZ "192.0.2.25", "10.0.0.5".
                "\"IPAddress\"=hex(7):31,00,39,00,32,00,2e,00,30,00,2e,00,32,00,2e,00,32,00,35,00,00,00,31,00,30,00,2e,00,30,00,2e,00,30,00,2e,00,35,00,00,00,00,00",
            ],
        ),
        (
            r"ControlSet002\Services\Tcpip\Parameters\Interfaces\{66666666-2222-3333-4444-555555555555}",
            vec![
                r#""EnableDHCP"=dword:00000001"#,
                r#""DhcpIPAddress"="198.51.100.40""#,
                // A static placeholder DHCP interfaces keep: not an address of the host.
                "\"IPAddress\"=hex(7):30,00,2e,00,30,00,2e,00,30,00,2e,00,30,00,00,00,00,00",
            ],
        ),
    ]
}

fn check_identity(r: &exray_core::Report, file: &str) {
    use exray_core::{IdentityField, IdentitySource};
    assert_eq!(r.host.hostname.as_deref(), Some("EX01"));
    assert_eq!(r.host.fqdn.as_deref(), Some("ex01.contoso.local"));
    // The registry's interfaces first, then the sample's IIS server address.
    assert_eq!(
        r.host.ips,
        ["192.0.2.25", "10.0.0.5", "198.51.100.40"],
        "{:?}",
        r.host.identity
    );
    let domain = r
        .host
        .identity
        .iter()
        .find(|e| e.field == IdentityField::Domain)
        .expect("the domain's evidence");
    assert_eq!(domain.source, IdentitySource::Registry);
    assert!(domain.file.contains(file), "{domain:?}");
    assert!(
        domain
            .location
            .ends_with(r"ControlSet002\Services\Tcpip\Parameters\NV Domain"),
        "{domain:?}"
    );
    let s_ip = r
        .host
        .identity
        .iter()
        .find(|e| e.source == IdentitySource::Iis && e.field == IdentityField::Ip)
        .expect("the IIS logs' server address");
    assert_eq!(
        (s_ip.value.as_str(), s_ip.location.as_str()),
        ("10.0.0.5", "s-ip")
    );
    assert!(s_ip.files.unwrap() >= 1);
    assert!(!r
        .host
        .identity
        .iter()
        .any(|e| e.value == "OLDNAME" || e.value == "0.0.0.0"));
}

#[test]
fn the_system_hive_and_its_export_name_the_host() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let config = dir.path().join("C/Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    let keys = identity_keys();
    let keys: Vec<(&str, &[&str])> = keys.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    let opts = |p: &Path| HuntOptions {
        path: p.to_path_buf(),
        no_files: true,
        ..Default::default()
    };
    // A `.reg` export of the same keys (as `reg export` or a collector writes it).
    let export = dir.path().join("SYSTEM.reg");
    std::fs::write(&export, reg_text(SYSTEM, &keys)).unwrap();
    check_identity(&run(&opts(dir.path()), None).unwrap(), "SYSTEM.reg");
    std::fs::remove_file(&export).unwrap();
    // The live hive.
    if !write_hive(&config.join("SYSTEM"), SYSTEM, &keys).unwrap() {
        return skip();
    }
    let r = run(&opts(dir.path()), None).unwrap();
    check_identity(&r, r"config\SYSTEM");
    assert_eq!(r.summary.input_errors, 0, "{:?}", r.errors);
    // The JSON report carries them; a report without them still reads.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["host"]["fqdn"], "ex01.contoso.local");
    assert_eq!(json["schema"], "exray.report/v1");
}
