//! Helpers shared by the integration tests: a generated Exchange-like tree and fixtures.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use exray_core::Finding;
use exray_files::{Iocs, SweepOutput};

pub const V15: &str = "Program Files/Microsoft/Exchange Server/V15";

/// A system root `C/` with the folders of EXCHANGE-NOTES §2.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let t = Tree { dir };
        for d in [
            "inetpub/wwwroot/aspnet_client/system_web/4_0_30319",
            &format!("{V15}/FrontEnd/HttpProxy/owa/auth/Current/themes"),
            &format!("{V15}/FrontEnd/HttpProxy/ecp/auth"),
            &format!("{V15}/FrontEnd/HttpProxy/OAB"),
            &format!("{V15}/ClientAccess/OAB"),
            "ProgramData/Microsoft/Windows/WER/ReportQueue",
            "Windows/Temp",
            "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/1a2b/3c4d",
        ] {
            fs::create_dir_all(t.root().join(d)).unwrap();
        }
        t
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("C")
    }

    pub fn v15(&self) -> PathBuf {
        self.root().join(V15)
    }

    pub fn write(&self, rel: &str, data: &[u8]) -> PathBuf {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
        p
    }

    pub fn write_x(&self, rel: &str, data: &[u8]) -> PathBuf {
        self.write(&format!("{V15}/{rel}"), data)
    }

    pub fn plan(&self) -> Vec<exray_files::SweepRoot> {
        exray_files::plan(&self.root(), 'C', &[self.v15()], &[])
    }
}

pub fn no_iocs() -> Iocs {
    Iocs::default()
}

/// The findings of a sweep.
pub fn findings(out: SweepOutput) -> (Vec<Finding>, SweepOutputRest) {
    let rest = SweepOutputRest {
        coverage: out.coverage,
        errors: out.errors,
        error_count: out.error_count,
        files: out.files,
        skipped: out.skipped,
        web_files: out.web_files,
    };
    (out.findings.into_findings(), rest)
}

pub struct SweepOutputRest {
    pub coverage: Vec<exray_core::SourceCoverage>,
    pub errors: Vec<exray_core::InputError>,
    pub error_count: u64,
    pub files: u64,
    pub skipped: u64,
    pub web_files: Vec<exray_files::WebFile>,
}

/// Rule ids that fired for a file whose Windows path ends with `suffix`.
pub fn rules_for(f: &[Finding], suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = f
        .iter()
        .filter(|f| f.evidence.iter().any(|e| e.file.ends_with(suffix)))
        .map(|f| f.rule_id.clone())
        .collect();
    v.sort();
    v
}

pub fn finding<'a>(f: &'a [Finding], rule: &str, suffix: &str) -> &'a Finding {
    f.iter()
        .find(|f| f.rule_id == rule && f.evidence.iter().any(|e| e.file.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no {rule} finding for {suffix}: {:#?}", summary(f)))
}

pub fn summary(f: &[Finding]) -> Vec<(String, String)> {
    f.iter()
        .map(|f| (f.rule_id.clone(), f.evidence[0].file.clone()))
        .collect()
}

/// A minimal minidump of `process`.
pub fn minidump(process: &str) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(b"MDMP");
    d.extend_from_slice(&0xA793u32.to_le_bytes());
    d.extend_from_slice(&1u32.to_le_bytes());
    d.extend_from_slice(&32u32.to_le_bytes());
    d.resize(32, 0);
    d.extend_from_slice(&4u32.to_le_bytes());
    d.extend_from_slice(&112u32.to_le_bytes());
    d.extend_from_slice(&44u32.to_le_bytes());
    d.extend_from_slice(&1u32.to_le_bytes());
    let m = d.len();
    d.resize(m + 108, 0);
    let name_rva = d.len() as u32;
    d[m + 20..m + 24].copy_from_slice(&name_rva.to_le_bytes());
    let units: Vec<u16> = process.encode_utf16().collect();
    d.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
    for u in units {
        d.extend_from_slice(&u.to_le_bytes());
    }
    d
}

/// A stored zip with the given entry names (central directory included).
pub fn zip(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for name in names {
        let off = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.push(b'x');
        cd.extend_from_slice(b"PK\x01\x02");
        cd.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        cd.extend_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
        cd.extend_from_slice(&[0; 12]);
        cd.extend_from_slice(&off.to_le_bytes());
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

pub fn shared_data() -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        eprintln!(
            "SKIP: shared data not found at {} (public sample set absent)",
            p.display()
        );
        None
    }
}

/// The compiled-page fixture `tests/fixtures/compiled/<name>.cs`, compiled with mono's `mcs`
/// against the `System.Web` / `Microsoft.JScript` stand-ins in the same folder: a real .NET
/// assembly as ASP.NET leaves in Temporary ASP.NET Files. `None`, with a message, where `mcs`
/// is not installed (Debian: `apt-get install mono-mcs`).
pub fn compiled_page(name: &str) -> Option<Vec<u8>> {
    use std::process::Command;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compiled");
    let d = tempfile::tempdir().unwrap();
    let mcs = |args: &[&str]| -> Option<bool> {
        match Command::new("mcs")
            .current_dir(d.path())
            .args(args)
            .output()
        {
            Ok(o) => {
                assert!(
                    o.status.success(),
                    "mcs {args:?}: {}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                Some(true)
            }
            Err(_) => None,
        }
    };
    let s = |f: &str| src.join(f).to_string_lossy().into_owned();
    let Some(_) = mcs(&[
        "-nologo",
        "-target:library",
        "-out:System.Web.dll",
        &s("stubs_web.cs"),
    ]) else {
        eprintln!("SKIP: mono's mcs is not installed (apt-get install mono-mcs): compiled-page fixtures not built");
        return None;
    };
    mcs(&[
        "-nologo",
        "-target:library",
        "-out:Microsoft.JScript.dll",
        &s("stubs_jscript.cs"),
    ])?;
    mcs(&[
        "-nologo",
        "-target:library",
        "-r:./System.Web.dll",
        "-r:./Microsoft.JScript.dll",
        "-out:page.dll",
        &s(&format!("{name}.cs")),
    ])?;
    Some(fs::read(d.path().join("page.dll")).unwrap())
}
