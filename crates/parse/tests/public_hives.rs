//! Real public registry hives: the hive reader on hives written by Windows, not by our tests.
//!
//! The hives come from a folder named by `EXRAY_PUBLIC_HIVES` (`.ci/run` fills it with the
//! `SYSTEM` hive that the dissect.regf project publishes with its sources on PyPI); without it
//! the tests skip, saying so. Every file in the folder that starts with `regf` is read:
//! - the facts our reader takes from it (service start types of the current control set) are
//!   the ones an independent reader, hivex's `hivexregedit --export`, gives for the same keys;
//! - the host's names and addresses our reader takes from it (computer name, TCP/IP host name
//!   and domain, interface addresses) are the ones our `.reg` reader takes from hivex's export
//!   of the same keys;
//! - damaged copies of it (cut short at many lengths, bytes overwritten at many offsets) are read
//!   or refused with a reason, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use exray_parse::hive::{read_hive, HiveError, MAGIC};
use exray_parse::regexport;

fn public_hives() -> Option<Vec<PathBuf>> {
    let Some(dir) = std::env::var_os("EXRAY_PUBLIC_HIVES") else {
        eprintln!("skipped: EXRAY_PUBLIC_HIVES (a folder of public registry hives) is not set");
        return None;
    };
    let mut hives: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&dir).display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read(p)
                .map(|b| b.starts_with(MAGIC))
                .unwrap_or(false)
        })
        .collect();
    hives.sort();
    assert!(
        !hives.is_empty(),
        "EXRAY_PUBLIC_HIVES names a folder without registry hives"
    );
    Some(hives)
}

/// The current control set's number, and the services with a `Start` value, as hivex reads them.
fn hivex_service_starts(hive: &Path) -> Option<Vec<(String, u32)>> {
    let select = Command::new("hivexregedit")
        .arg("--export")
        .arg(hive)
        .arg(r"\Select")
        .output();
    let select = match select {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!(
            "hivexregedit on {}: {}",
            hive.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => {
            eprintln!("skipped the comparison with hivex: hivexregedit is not installed");
            return None;
        }
    };
    let current = select
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"Current\"=dword:"))
        .map(|v| u32::from_str_radix(v.trim(), 16).unwrap())
        .unwrap_or(1);
    let out = Command::new("hivexregedit")
        .arg("--export")
        .arg("--prefix")
        .arg(r"HKEY_LOCAL_MACHINE\SYSTEM")
        .arg(hive)
        .arg(format!(r"\ControlSet{current:03}\Services"))
        .output()
        .unwrap();
    assert!(out.status.success(), "hivexregedit export failed");
    Some(regexport::service_starts(&String::from_utf8_lossy(
        &out.stdout,
    )))
}

#[test]
fn public_hives_give_the_facts_hivex_gives() {
    let Some(hives) = public_hives() else { return };
    let mut compared = 0;
    for hive in &hives {
        let facts = read_hive(std::fs::read(hive).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", hive.display()));
        let Some(mut expected) = hivex_service_starts(hive) else {
            return;
        };
        if expected.is_empty() {
            // A SOFTWARE or user hive: no services, and none may be invented.
            assert!(facts.service_starts.is_empty(), "{}", hive.display());
            continue;
        }
        let mut ours = facts.service_starts.clone();
        ours.sort();
        expected.sort();
        assert!(
            ours.len() > 100,
            "{}: a Windows SYSTEM hive has hundreds of services, read {}",
            hive.display(),
            ours.len()
        );
        assert_eq!(
            ours,
            expected,
            "{}: service start types differ from hivex's",
            hive.display()
        );
        compared += 1;
    }
    eprintln!(
        "{compared} public SYSTEM hive(s) read as hivex reads them, of {}",
        hives.len()
    );
}

/// The current control set's keys that name the host, as hivex exports them (None without
/// hivexregedit).
fn hivex_identity(hive: &Path) -> Option<Vec<regexport::IdentityValue>> {
    let export = |key: &str| {
        let out = Command::new("hivexregedit")
            .arg("--export")
            .arg("--prefix")
            .arg(r"HKEY_LOCAL_MACHINE\SYSTEM")
            .arg(hive)
            .arg(key)
            .output()
            .ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let mut text = export(r"\Select")?;
    let current = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"Current\"=dword:"))
        .map(|v| u32::from_str_radix(v.trim(), 16).unwrap())
        .unwrap_or(1);
    for key in [r"Control\ComputerName", r"Services\Tcpip\Parameters"] {
        text.push_str(&export(&format!(r"\ControlSet{current:03}\{key}"))?);
    }
    Some(regexport::host_identity(&text))
}

#[test]
fn public_hives_name_the_host_as_hivex_reads_it() {
    let Some(hives) = public_hives() else { return };
    for hive in &hives {
        let facts = read_hive(std::fs::read(hive).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", hive.display()));
        let Some(expected) = hivex_identity(hive) else {
            eprintln!("skipped the comparison with hivex: hivexregedit is not installed");
            return;
        };
        assert_eq!(
            facts.identity,
            expected,
            "{}: the host's identity differs from hivex's",
            hive.display()
        );
        eprintln!(
            "{}: {:?}",
            hive.display(),
            facts
                .identity
                .iter()
                .map(|v| format!("{:?} {} ({})", v.kind, v.value, v.name))
                .collect::<Vec<_>>()
        );
    }
}

/// A small deterministic generator (no dependency for one test).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn damaged_copies_of_public_hives_are_refused_or_read_never_a_panic() {
    let Some(hives) = public_hives() else { return };
    for hive in &hives {
        let data = std::fs::read(hive).unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut refused = 0;
        let mut read = 0;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Cut short: inside the header, the first bins, and at random lengths.
        for cut in [4usize, 100, 4095, 4096, 4097, 8192, 12_000] {
            cases.push(data[..cut.min(data.len())].to_vec());
        }
        for _ in 0..6 {
            let cut = 4 + (next(&mut seed) as usize) % (data.len() - 4);
            cases.push(data[..cut].to_vec());
        }
        // Overwritten: 16 bytes at random offsets in the first 64 KiB (header, root key, lists).
        for _ in 0..24 {
            let mut d = data.clone();
            let at = 4 + (next(&mut seed) as usize) % (65_536.min(d.len()) - 20);
            for b in &mut d[at..at + 16] {
                *b = next(&mut seed) as u8;
            }
            cases.push(d);
        }
        for d in cases {
            match read_hive(d) {
                Ok(_) => read += 1,
                Err(HiveError::Damaged(reason)) => {
                    assert!(!reason.is_empty());
                    refused += 1
                }
                Err(HiveError::NotAHive) => panic!("the signature was kept"),
            }
        }
        eprintln!(
            "{}: {read} damaged copies read, {refused} refused",
            hive.display()
        );
        assert_eq!(read + refused, 37);
    }
}
