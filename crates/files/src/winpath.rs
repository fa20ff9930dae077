//! Windows paths on a mounted disk or in a triage folder: case-insensitive resolution of
//! `Program Files\Microsoft\...`-style relative paths, display as Windows paths, and the guarantee
//! that resolution never leaves the hunted root through a link.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// Resolve `rel` (Windows or POSIX separators) under `base`, matching each component
/// case-insensitively. Symbolic links are not followed. Returns `None` when any component is
/// missing.
pub fn resolve_ci(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut cur = base.to_path_buf();
    for part in rel
        .split(['\\', '/'])
        .filter(|p| !p.is_empty() && *p != ".")
    {
        if part == ".." {
            return None;
        }
        cur = child_ci(&cur, part)?;
    }
    Some(cur)
}

/// The entry of `dir` named `name`, case-insensitively (exact match preferred). Links are
/// reported as missing: a hunt never follows a link out of its root.
pub fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if let Ok(md) = fs::symlink_metadata(&exact) {
        return (!md.file_type().is_symlink()).then_some(exact);
    }
    let want = name.to_lowercase();
    let entries = crate::evidence::list_dir(dir).ok()?;
    // Entries in a stable order: a folder with two names differing in case resolves the same way
    // every run.
    let mut hits: Vec<_> = entries
        .into_iter()
        .filter(|e| e.name.to_string_lossy().to_lowercase() == want)
        .collect();
    hits.sort_by(|a, b| a.name.cmp(&b.name));
    let e = hits.into_iter().next()?;
    (e.kind != crate::evidence::EntryType::Link).then_some(e.path)
}

/// Render `path` (under `root`) as the Windows path it stood for: `C:\inetpub\...`.
/// `root` is the system root of the hunt (the drive folder); triage layouts such as `C/` or `C%3A/`
/// are recognised by [`drive_letter`].
pub fn display_windows(root: &Path, drive: char, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut s = format!("{}:", drive.to_ascii_uppercase());
    for c in rel.components() {
        if let Component::Normal(p) = c {
            s.push('\\');
            s.push_str(&p.to_string_lossy());
        }
    }
    if s.len() == 2 {
        s.push('\\');
    }
    s
}

/// The drive letter a triage folder name stands for: `C`, `C%3A`, `C_`, `C$` → `C`.
pub fn drive_letter(folder_name: &str) -> Option<char> {
    let lower = folder_name.to_ascii_lowercase();
    let mut chars = lower.chars();
    let letter = chars.next()?;
    if !letter.is_ascii_alphabetic() {
        return None;
    }
    match chars.as_str() {
        "" | "%3a" | "_" | "$" | ":" => Some(letter),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_case_insensitively() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("Program Files/Microsoft/Exchange Server/V15")).unwrap();
        let got = resolve_ci(d.path(), r"program files\MICROSOFT\exchange server\v15").unwrap();
        assert!(got.ends_with("Program Files/Microsoft/Exchange Server/V15"));
        assert!(resolve_ci(d.path(), r"Program Files\Nope").is_none());
        assert!(resolve_ci(d.path(), r"..\etc").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn never_follows_links() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(outside.path().join("x")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("inetpub")).unwrap();
        assert!(resolve_ci(d.path(), "inetpub/x").is_none());
        assert!(resolve_ci(d.path(), "INETPUB/x").is_none());
    }

    #[test]
    fn windows_display_and_drive_letters() {
        let root = Path::new("/t/C");
        let p = Path::new("/t/C/inetpub/wwwroot/aspnet_client/x.aspx");
        assert_eq!(
            display_windows(root, 'c', p),
            r"C:\inetpub\wwwroot\aspnet_client\x.aspx"
        );
        assert_eq!(display_windows(root, 'C', root), r"C:\");
        assert_eq!(drive_letter("C%3A"), Some('c'));
        assert_eq!(drive_letter("d"), Some('d'));
        assert_eq!(drive_letter("C_"), Some('c'));
        assert_eq!(drive_letter("Users"), None);
    }
}
