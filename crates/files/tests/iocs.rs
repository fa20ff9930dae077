//! IOC packs: signature-base text files and STIX 2.1 bundles, and their errors.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use exray_files::Iocs;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn signature_base_formats() {
    let d = tempfile::tempdir().unwrap();
    let h = write(
        d.path(),
        "hash-iocs.txt",
        "# Exchange shells\n\n\
         900150983cd24fb0d6963f7d28e17f72;md5 of abc\n\
         A9993E364706816ABA3E25717850C26C9CD0D89D;sha1 of abc\n\
         ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
    );
    let f = write(
        d.path(),
        "filename-iocs.txt",
        "# Format: Regex;Score;False Positive Regex\n\
         \\\\aspnet_client\\\\[^\\\\]+\\.aspx$;80\n\
         \\\\owa\\\\auth\\\\(?!logon)[a-z]+\\.aspx;70\n",
    );
    let c = write(
        d.path(),
        "c2-iocs.txt",
        "203.0.113.7;ProxyLogon scanner\n198.51.100.0/24;hosting\nevil.example;a domain\n2001:DB8::5;v6\n",
    );
    let iocs = Iocs::load(&[h, f, c]).unwrap();
    assert_eq!(iocs.len(), 3 + 2 + 3);
    assert_eq!(iocs.skipped(), 1, "the domain");
    let needs = iocs.hash_needs();
    assert!(needs.md5 && needs.sha1 && needs.sha256);
    assert_eq!(
        iocs.match_hash(None, Some("a9993e364706816aba3e25717850c26c9cd0d89d"), None)
            .unwrap()
            .1
            .description,
        "sha1 of abc"
    );
    assert!(iocs
        .match_hash(Some("00000000000000000000000000000000"), None, None)
        .is_none());
    assert!(iocs
        .match_name("x.aspx", r"C:\inetpub\wwwroot\ASPNET_CLIENT\x.aspx")
        .is_some());
    // Look-ahead (Python-style) regexes work.
    assert!(iocs
        .match_name("logon.aspx", r"C:\x\owa\auth\logon.aspx")
        .is_none());
    assert!(iocs
        .match_name("shell.aspx", r"C:\x\owa\auth\shell.aspx")
        .is_some());
    assert!(iocs.ips().contains("203.0.113.7"));
    assert!(iocs.ips().contains("2001:db8::5"), "canonical form");
    assert_eq!(iocs.ip_description("198.51.100.77"), Some("hosting"));
    assert_eq!(
        iocs.ip_info(&"203.0.113.7".parse::<IpAddr>().unwrap())
            .unwrap()
            .description,
        "ProxyLogon scanner"
    );
    assert!(iocs.ip_description("192.0.2.1").is_none());
}

#[test]
fn bad_lines_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let h = write(
        d.path(),
        "hash-iocs.txt",
        "# c\n900150983cd24fb0d6963f7d28e17f72;ok\nxyz;bad\n",
    );
    let e = Iocs::load(std::slice::from_ref(&h)).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert_eq!(e.file, h);
    assert!(e.to_string().contains("hash-iocs.txt:3:"), "{e}");
    let h2 = write(d.path(), "my-hash-iocs.txt", "abcd;too short\n");
    assert!(Iocs::load(&[h2])
        .unwrap_err()
        .message
        .contains("4 hex digits"));
    let f = write(
        d.path(),
        "filename-iocs.txt",
        "ok\\.aspx;50\n(unclosed;60\n",
    );
    let e = Iocs::load(&[f]).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("invalid regex"), "{e}");
    let f = write(d.path(), "x-filename-iocs.txt", "a\\.aspx;high\n");
    assert!(Iocs::load(&[f]).unwrap_err().message.contains("score"));
}

#[test]
fn missing_or_empty_packs_are_errors() {
    let d = tempfile::tempdir().unwrap();
    let e = Iocs::load(&[d.path().join("nope.txt")]).unwrap_err();
    assert!(e.to_string().contains("nope.txt"));
    assert_eq!(e.line, None);
    // A folder without any rule or IOC file.
    let empty = d.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fs::write(empty.join("README.md"), "x").unwrap();
    assert!(Iocs::load(&[empty]).is_err());
    // An unknown file given by name.
    let u = write(d.path(), "notes.txt", "x");
    assert!(Iocs::load(&[u]).unwrap_err().message.contains("unknown"));
    // YARA files belong to the content rules: accepted, no IOC from them.
    let y = d.path().join("yara");
    fs::create_dir(&y).unwrap();
    fs::write(y.join("shells.yar"), "rule x { condition: true }").unwrap();
    let i = Iocs::load(&[y]).unwrap();
    assert!(i.is_empty());
    // Folders are read recursively.
    let nested = d.path().join("pack/iocs");
    fs::create_dir_all(&nested).unwrap();
    fs::write(
        nested.join("hash-iocs.txt"),
        "900150983cd24fb0d6963f7d28e17f72;x\n",
    )
    .unwrap();
    assert_eq!(Iocs::load(&[d.path().join("pack")]).unwrap().len(), 1);
}

const BUNDLE: &str = r#"{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {
      "type": "indicator",
      "spec_version": "2.1",
      "id": "indicator--a1",
      "name": "China Chopper in owa\\auth",
      "pattern": "[file:hashes.'SHA-256' = 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD']",
      "pattern_type": "stix",
      "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator",
      "spec_version": "2.1",
      "id": "indicator--a2",
      "description": "shell names",
      "pattern": "[file:name = 'OutlookEN.aspx'] OR [file:name = 'errorEE.aspx' OR file:hashes.MD5 = '900150983cd24fb0d6963f7d28e17f72']",
      "pattern_type": "stix",
      "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator",
      "spec_version": "2.1",
      "id": "indicator--a3",
      "name": "scanner",
      "pattern": "[ipv4-addr:value = '203.0.113.9'] OR [ipv6-addr:value = '2001:db8::9'] OR [ipv4-addr:value = '192.0.2.0/25']",
      "pattern_type": "stix",
      "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator",
      "spec_version": "2.1",
      "id": "indicator--a4",
      "name": "both name and hash",
      "pattern": "[file:name = 'common.aspx' AND file:hashes.'SHA-1' = 'a9993e364706816aba3e25717850c26c9cd0d89d']",
      "pattern_type": "stix",
      "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--a5", "name": "domain",
      "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix", "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--a6", "name": "yara",
      "pattern": "rule x { condition: true }", "pattern_type": "yara", "valid_from": "2021-03-02T00:00:00Z"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--a7", "name": "revoked", "revoked": true,
      "pattern": "[file:name = 'revoked.aspx']", "pattern_type": "stix", "valid_from": "2021-03-02T00:00:00Z"
    },
    { "type": "malware", "spec_version": "2.1", "id": "malware--m1", "name": "China Chopper", "is_family": true }
  ]
}"#;

#[test]
fn stix_bundle() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "hafnium.json", BUNDLE);
    let i = Iocs::load(&[p]).unwrap();
    assert_eq!(
        i.match_hash(
            None,
            None,
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        )
        .unwrap()
        .1
        .description,
        "China Chopper in owa\\auth"
    );
    assert!(i
        .match_name("outlooken.aspx", r"C:\x\outlooken.aspx")
        .is_some());
    assert!(i.match_name("errorEE.aspx", r"C:\x\errorEE.aspx").is_some());
    assert!(i
        .match_hash(Some("900150983cd24fb0d6963f7d28e17f72"), None, None)
        .is_some());
    // AND: the hash is kept, not the generic name.
    assert!(i.match_name("common.aspx", r"C:\x\common.aspx").is_none());
    assert!(i
        .match_hash(None, Some("a9993e364706816aba3e25717850c26c9cd0d89d"), None)
        .is_some());
    assert!(i.match_name("revoked.aspx", r"C:\x\revoked.aspx").is_none());
    assert!(i.ips().contains("203.0.113.9"));
    assert!(i.ips().contains("2001:db8::9"));
    assert_eq!(i.ip_description("192.0.2.100"), Some("scanner"));
    assert_eq!(i.ip_description("192.0.2.200"), None);
    assert_eq!(i.skipped(), 3, "domain, yara pattern, revoked");
    assert!(i.match_hash(None, None, Some(&"0".repeat(64))).is_none());
}

#[test]
fn stix_errors_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let bad = BUNDLE.replace(
        "[ipv4-addr:value = '203.0.113.9'] OR",
        "[ipv4-addr:value = '203.0.113.9' OR",
    );
    let p = write(d.path(), "bad.json", &bad);
    let e = Iocs::load(&[p]).unwrap_err();
    assert_eq!(
        e.line,
        Some(
            BUNDLE
                .lines()
                .position(|l| l.contains("indicator--a3"))
                .unwrap() as u64
                + 1
        )
    );
    assert!(e.message.contains("indicator--a3"), "{e}");
    let p = write(
        d.path(),
        "broken.json",
        "{\n \"type\": \"bundle\",\n \"objects\": [\n",
    );
    let e = Iocs::load(&[p]).unwrap_err();
    assert!(e.message.contains("invalid JSON"));
    assert!(e.line.is_some());
    let p = write(d.path(), "other.json", "{\"type\": \"report\"}");
    assert!(Iocs::load(&[p]).unwrap_err().message.contains("bundle"));
    let bad_ip = BUNDLE.replace("'203.0.113.9'", "'not-an-ip'");
    let p = write(d.path(), "badip.json", &bad_ip);
    assert!(Iocs::load(&[p]).unwrap_err().message.contains("not-an-ip"));
}

#[test]
fn folders_skip_other_json_but_not_broken_bundles() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "package.json", "{\"name\": \"x\"}");
    write(d.path(), "bundle.json", BUNDLE);
    let i = Iocs::load(&[d.path().to_path_buf()]).unwrap();
    assert!(i.ips().contains("203.0.113.9"));
    // Given by name, a JSON that is not a bundle is an error.
    assert!(Iocs::load(&[d.path().join("package.json")]).is_err());
    write(
        d.path(),
        "zz-broken.json",
        "{\"type\": \"bundle\", \"objects\": [",
    );
    assert!(Iocs::load(&[d.path().to_path_buf()]).is_err());
}
