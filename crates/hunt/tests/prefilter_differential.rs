//! The log prefilter decides which lines reach the rules, so it must never hide a line a rule
//! fires on. Generated IIS and HttpProxy logs (benign traffic, the sample intrusion, and attack
//! lines mutated at random: letter case, percent-encoded characters, double encoding) are hunted
//! twice, once with every line handed to the rules and once prefiltered; the findings, coverage
//! and errors must be the same, and the mutated attacks must actually be found.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use exray_gen::{
    benign_hp, benign_iis, httpproxy_line, httpproxy_preamble, iis_line, iis_preamble, Hp, Iis, Rng,
};
use exray_hunt::detect::{self, Ctx, Delivery, Window};
use exray_hunt::eventrules::EventRules;
use exray_parse::prefilter::OwnedPat;

/// Upper-case some letters, percent-encode some characters (either hex case), and now and then
/// encode a `%` again: what an attacker does to dodge string matching. In a URL path, `/` stays
/// (an encoded separator no longer reaches the page).
fn mutate(rng: &mut Rng, s: &str, path: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let encodable =
            c.is_ascii_alphanumeric() || "._".contains(c) || (!path && "/\\".contains(c));
        if !encodable {
            out.push(c);
            continue;
        }
        // Upper-case a quarter of the letters, then percent-encode some characters.
        let c = if rng.below(4) == 0 {
            c.to_ascii_uppercase()
        } else {
            c
        };
        if rng.below(100) < 8 {
            let hex = format!("{:02x}", c as u32);
            let hex = if rng.below(2) == 0 {
                hex
            } else {
                hex.to_ascii_uppercase()
            };
            out.push_str(if rng.below(8) == 0 { "%25" } else { "%" });
            out.push_str(&hex);
        } else {
            out.push(c);
        }
    }
    out
}

const IIS_ATTACKS: &[(&str, &str, &str)] = &[
    ("POST", "/ecp/y.js", ""),
    ("GET", "/owa/auth/x.js", ""),
    ("POST", "/ecp/a1b2C3.js", ""),
    ("GET", "/owa/auth/Z9.js", ""),
    ("GET", "/ecp/main.css", ""),
    ("POST", "/ecp/default.flt", ""),
    ("POST", "/owa/auth/Current/themes/resources/logon.css", ""),
    ("GET", "/aspnet_client/system_web/shell.aspx", ""),
    ("POST", "/owa/auth/OutlookEN.aspx", "cmd=whoami"),
    ("GET", "/ecp/auth/errorEE.aspx", ""),
    ("GET", "/oab/x.aspx", ""),
    ("GET", "/ecp/x.aspx", "c=cmd.exe+/c+whoami"),
    ("GET", "/aspnet_client/a.aspx", "x=net+user+admin"),
    ("POST", "/owa/auth/a.ashx", "q=certutil+-urlcache"),
    ("GET", "/x.aspx", "z=ipconfig+/all"),
    ("GET", "/y.aspx", "t=tasklist"),
    ("GET", "/z.aspx", "n=nltest+/dclist"),
    ("GET", "/w.aspx", "p=powershell.exe+-enc+AAAA"),
    (
        "POST",
        "/autodiscover/autodiscover.json",
        "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp",
    ),
    (
        "GET",
        "/autodiscover/autodiscover.json",
        "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
    ),
    ("POST", "/owa/mastermailbox%40outlook.com/powershell", ""),
];

const ATTACKER: &str = "203.0.113.9";

fn iis_file(dir: &Path, seed: u64, mutated: bool) -> std::path::PathBuf {
    let mut rng = Rng::new(seed);
    let t0: DateTime<Utc> = "2022-10-01T00:00:00Z".parse().unwrap();
    let mut text = iis_preamble(t0);
    let mut t = t0;
    for i in 0..6000 {
        t += Duration::seconds(3);
        if i % 20 == 7 {
            let (method, stem, query) = *rng.pick(IIS_ATTACKS);
            let (stem, query) = if mutated {
                (mutate(&mut rng, stem, true), mutate(&mut rng, query, false))
            } else {
                (stem.to_string(), query.to_string())
            };
            let status = *rng.pick(&[200u16, 200, 302, 404, 500]);
            text.push_str(&iis_line(
                &mut rng,
                &Iis {
                    t,
                    method,
                    stem: &stem,
                    query: &query,
                    user: "",
                    ip: ATTACKER,
                    ua: "python-requests/2.25.1",
                    status,
                },
            ));
            text.push_str("\r\n");
        } else {
            text.push_str(&benign_iis(&mut rng, t));
            text.push_str("\r\n");
        }
        if i == 3000 {
            // A layout change mid-file.
            text.push_str("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n");
        }
    }
    let p = dir.join(format!("u_ex{seed}.log"));
    std::fs::write(&p, text).unwrap();
    p
}

fn hp_file(dir: &Path, seed: u64, mutated: bool) -> std::path::PathBuf {
    let mut rng = Rng::new(seed);
    let t0: DateTime<Utc> = "2021-03-03T00:00:00Z".parse().unwrap();
    let mut text = httpproxy_preamble(t0);
    let mut t = t0;
    let attacks: &[(&str, &str, &str, &str, &str, &str)] = &[
        // protocol, stem, anchor, ua, routing hint, query
        (
            "Ecp",
            "/ecp/y.js",
            "ServerInfo~a]@ex01.contoso.local:444/ecp/proxyLogon.ecp#~1941962753",
            "ExchangeServicesClient/0.0.0.0",
            "",
            "",
        ),
        (
            "Ecp",
            "/ecp/x.js",
            "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#~1",
            "python-requests/2.25.1",
            "X-BEResource-Cookie",
            "",
        ),
        (
            "Autodiscover",
            "/autodiscover/autodiscover.json",
            "",
            "python-requests/2.28.1",
            "",
            "@evil.corp/owa/&Email=autodiscover/autodiscover.json%3F@evil.corp&Protocol=XYZ&FooProtocol=%50owershell",
        ),
        ("Owa", "/owa/mastermailbox@outlook.com/powershell", "", "Mozilla/5.0", "", ""),
    ];
    for i in 0..5000 {
        t += Duration::seconds(5);
        if i % 25 == 11 {
            let (protocol, stem, anchor, ua, hint, query) = *rng.pick(attacks);
            let (stem, query, ua) = if mutated {
                (
                    mutate(&mut rng, stem, true),
                    mutate(&mut rng, query, false),
                    mutate(&mut rng, ua, false),
                )
            } else {
                (stem.to_string(), query.to_string(), ua.to_string())
            };
            let status = *rng.pick(&[200u16, 200, 241, 500]);
            text.push_str(&httpproxy_line(
                &mut rng,
                &Hp {
                    t,
                    protocol,
                    stem: &stem,
                    user: "",
                    anchor,
                    ua: &ua,
                    ip: ATTACKER,
                    status,
                    method: "POST",
                    routing_hint: hint,
                    query: &query,
                },
            ));
            text.push_str("\r\n");
        } else {
            let protocol = *rng.pick(&["Owa", "Ews", "Eas", "Mapi", "Autodiscover", "Ecp"]);
            text.push_str(&benign_hp(&mut rng, t, protocol));
            text.push_str("\r\n");
        }
    }
    let p = dir.join(format!("HttpProxy_{seed}.LOG"));
    std::fs::write(&p, text).unwrap();
    p
}

/// Hunt one file with a delivery; the findings (as JSON), coverage and errors.
fn hunt_one(
    path: &Path,
    iis: bool,
    delivery: Delivery,
    iocs: &[OwnedPat],
) -> (String, Vec<String>) {
    let rules = EventRules::builtin();
    let ips: HashSet<String> = iocs.iter().map(|p| p.text.clone()).collect();
    let mut ctx = Ctx::new(Window::default(), &ips, &rules);
    let display = path.display().to_string();
    if iis {
        detect::iis::hunt_with(path, &display, &mut ctx, iocs, delivery);
    } else {
        detect::httpproxy::hunt_with(path, &display, &mut ctx, iocs, delivery);
    }
    let mut findings = ctx.agg.into_findings();
    exray_core::aggregate::sort_findings(&mut findings);
    let ids = findings.iter().map(|f| f.rule_id.clone()).collect();
    let mut cov: Vec<String> = ctx
        .coverage
        .values()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    cov.sort();
    let out = format!(
        "{}\n{}\n{}",
        serde_json::to_string_pretty(&findings).unwrap(),
        cov.join("\n"),
        serde_json::to_string(&ctx.errors).unwrap()
    );
    (out, ids)
}

fn same_both_ways(path: &Path, iis: bool, iocs: &[OwnedPat]) -> Vec<String> {
    let (every, ids) = hunt_one(path, iis, Delivery::Every, iocs);
    let (pre, _) = hunt_one(path, iis, Delivery::Prefiltered, iocs);
    if every != pre {
        let a: Vec<&str> = every.lines().collect();
        let b: Vec<&str> = pre.lines().collect();
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "{}: prefiltered hunt differs from the every-line hunt at output line {first}:\n every: {:?}\n pre:   {:?}",
            path.display(),
            a.get(first),
            b.get(first)
        );
    }
    ids
}

#[test]
fn iis_prefilter_hides_no_line_a_rule_fires_on() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=24 {
        let p = iis_file(dir.path(), seed, seed > 1);
        let ids = same_both_ways(&p, true, &[]);
        // The attacks are there to be found, mutated or not.
        for want in ["EXRAY-PL-005", "EXRAY-WS-001", "EXRAY-WS-003"] {
            assert!(
                ids.iter().any(|i| i == want),
                "seed {seed}: {want} missing from {ids:?}"
            );
        }
    }
    // With IOC addresses as extra needles.
    let p = iis_file(dir.path(), 7, true);
    let iocs = vec![OwnedPat {
        text: ATTACKER.into(),
        exact: false,
    }];
    let ids = same_both_ways(&p, true, &iocs);
    assert!(ids.iter().any(|i| i == "EXRAY-IOC-001"), "{ids:?}");
}

#[test]
fn httpproxy_prefilter_hides_no_line_a_rule_fires_on() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 11..=30 {
        let p = hp_file(dir.path(), seed, seed > 11);
        let ids = same_both_ways(&p, false, &[]);
        for want in ["EXRAY-PL-002", "EXRAY-PL-004"] {
            assert!(
                ids.iter().any(|i| i == want),
                "seed {seed}: {want} missing from {ids:?}"
            );
        }
    }
}

#[test]
fn the_sample_and_the_shared_samples_agree_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    exray_gen::write_sample(dir.path()).unwrap();
    let mut n = 0;
    let mut roots = vec![dir.path().to_path_buf()];
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    if shared.is_dir() {
        roots.push(shared);
    } else {
        eprintln!("note: ../shared/data/logs is absent; only generated logs are compared");
    }
    for root in roots {
        for e in walk(&root) {
            let name = e
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_ascii_lowercase();
            let path_l = e.to_string_lossy().to_ascii_lowercase();
            if name.contains("httpproxy") {
                same_both_ways(&e, false, &[]);
                n += 1;
            } else if name.starts_with("u_ex")
                || name.starts_with("ex") && name.ends_with(".log")
                || path_l.contains("w3svc")
            {
                same_both_ways(&e, true, &[]);
                n += 1;
            }
        }
    }
    assert!(n >= 3, "only {n} request logs compared");
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}
