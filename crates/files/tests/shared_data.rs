//! Quality on the public sample set (skipped when `../shared/data` is absent): real ASP.NET
//! applications laid out as a web root raise no finding; every web shell laid out in
//! aspnet_client is found, with hashes, and nothing stops the sweep.

mod common;

use common::*;
use exray_files::{sweep, Location, SweepOptions, SweepRoot};

fn root(path: std::path::PathBuf, display: &str, location: Location) -> SweepRoot {
    SweepRoot {
        path,
        display: display.into(),
        location,
    }
}

#[test]
fn benign_web_applications_raise_no_finding() {
    let Some(data) = shared_data() else { return };
    let benign = data.join("benign");
    if !benign.is_dir() {
        eprintln!("SKIP: {} absent", benign.display());
        return;
    }
    let plan = vec![root(benign, r"C:\inetpub\wwwroot", Location::WebRoot)];
    let out = sweep(&plan, &SweepOptions::default(), None, &no_iocs(), None);
    let files = out.files;
    let pages = out.web_files.len();
    let (f, rest) = findings(out);
    eprintln!("benign: {files} files, {pages} pages, {} findings", f.len());
    assert!(files > 1000, "the benign set has thousands of files");
    assert!(pages > 100);
    assert!(f.is_empty(), "false positives: {:#?}", summary(&f));
    assert_eq!(rest.error_count, 0);
    assert!(rest
        .web_files
        .iter()
        .all(|w| w.stock && w.sha256.len() == 64));
}

#[test]
fn every_shell_page_in_aspnet_client_is_found() {
    let Some(data) = shared_data() else { return };
    let shells = data.join("webshells");
    if !shells.is_dir() {
        eprintln!("SKIP: {} absent", shells.display());
        return;
    }
    let plan = vec![root(
        shells.clone(),
        r"C:\inetpub\wwwroot\aspnet_client",
        Location::AspnetClient,
    )];
    let out = sweep(&plan, &SweepOptions::default(), None, &no_iocs(), None);
    let (f, rest) = findings(out);
    let mut pages = 0;
    for e in walk(&shells) {
        let name = e.file_name().unwrap().to_string_lossy().to_string();
        if exray_files::rules::is_script_or_config(&name) {
            pages += 1;
            let rel = e
                .strip_prefix(&shells)
                .unwrap()
                .to_string_lossy()
                .replace('/', "\\");
            let hit = f
                .iter()
                .find(|x| x.evidence.iter().any(|ev| ev.file.ends_with(&rel)));
            let hit = hit.unwrap_or_else(|| panic!("{rel} not found"));
            assert!(hit.evidence[0].file_info.as_ref().unwrap().sha256.is_some());
        }
    }
    eprintln!(
        "webshells: {pages} script pages in aspnet_client, all found; {} findings",
        f.len()
    );
    assert!(pages > 100);
    assert_eq!(rest.error_count, 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

/// signature-base's `iocs/` folder loads as it is (`--iocs path/to/signature-base/iocs`): hash,
/// file-name and C2 lists with their comments and score columns; README and keywords files
/// are not IOC lists and are left alone.
#[test]
fn signature_base_iocs_folder_loads_as_is() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("rulepacks/signature-base/iocs");
    if !dir.is_dir() {
        eprintln!("SKIP: {} absent", dir.display());
        return;
    }
    let iocs =
        exray_files::Iocs::load(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = iocs
        .files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "signature-base iocs: {} indicators from {names:?}, {} skipped",
        iocs.len(),
        iocs.skipped()
    );
    for f in ["hash-iocs.txt", "filename-iocs.txt", "c2-iocs.txt"] {
        assert!(names.iter().any(|n| n == f), "{f} not loaded: {names:?}");
    }
    assert!(iocs.len() > 5000, "{} indicators", iocs.len());
    assert!(iocs.has_name_iocs());
    let needs = iocs.hash_needs();
    assert!(needs.md5 && needs.sha1 && needs.sha256, "{needs:?}");
}
