//! ProxyShell, ProxyNotShell and OWASSRF in IIS and HttpProxy logs, graded attempt/exploitation
//! and named by date; benign autodiscover.json and remote PowerShell stay silent.

use std::collections::HashSet;

use exray_gen::{httpproxy_line, httpproxy_preamble, iis_line, iis_preamble, Hp, Iis, Rng};
use exray_hunt::{run, HuntOptions};

fn iis(t: &str, method: &str, stem: &str, query: &str, user: &str, status: u16) -> String {
    iis_line(
        &mut Rng::new(1),
        &Iis {
            t: t.parse().unwrap(),
            method,
            stem,
            query,
            user,
            ip: "192.0.2.66",
            ua: "python-requests/2.26.0",
            status,
        },
    )
}

#[test]
fn later_families_are_found_and_graded() {
    let dir = tempfile::tempdir().unwrap();
    let w3 = dir.path().join("W3SVC1");
    std::fs::create_dir_all(&w3).unwrap();
    let lines = [
        // ProxyShell (2021): exploitation and a refused attempt.
        iis("2021-08-13T10:00:00Z", "POST", "/autodiscover/autodiscover.json", "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp", "", 200),
        iis("2021-08-13T10:00:05Z", "GET", "/autodiscover/autodiscover.json", "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp", "", 401),
        // ProxyNotShell (2022, authenticated).
        iis("2022-09-29T08:00:00Z", "POST", "/autodiscover/autodiscover.json", "@evil.com/owa/&Email=autodiscover/autodiscover.json%3F@evil.com&Protocol=XYZ&FooProtocol=Powershell", "CONTOSO\\victim", 200),
        // OWASSRF.
        iis("2022-12-01T09:00:00Z", "POST", "/owa/mastermailbox%40outlook.com/powershell", "", "CONTOSO\\victim", 200),
        // Benign: Outlook's autodiscover.json and admin remote PowerShell.
        iis("2022-12-01T09:01:00Z", "GET", "/autodiscover/autodiscover.json/v1.0/alice@contoso.com", "Protocol=ActiveSync", "", 200),
        iis("2022-12-01T09:02:00Z", "POST", "/powershell", "serializationLevel=Full;ExchClientVer=15.2.1118.7", "CONTOSO\\admin", 200),
    ];
    let mut text = iis_preamble("2021-08-13T00:00:00Z".parse().unwrap());
    for l in lines {
        text.push_str(&l);
        text.push_str("\r\n");
    }
    std::fs::write(w3.join("u_ex210813.log"), text).unwrap();
    // HttpProxy: OWASSRF through the Owa protocol log.
    let hp_dir = dir.path().join("HttpProxy/Owa");
    std::fs::create_dir_all(&hp_dir).unwrap();
    let mut hp = httpproxy_preamble("2022-12-01T00:00:00Z".parse().unwrap());
    hp.push_str(&httpproxy_line(
        &mut Rng::new(2),
        &Hp {
            t: "2022-12-01T09:00:00Z".parse().unwrap(),
            protocol: "Owa",
            stem: "/owa/mastermailbox@outlook.com/powershell",
            user: "CONTOSO\\victim",
            anchor: "SMTP:victim@contoso.com",
            ua: "python-requests/2.28.1",
            ip: "192.0.2.66",
            status: 200,
            method: "POST",
            routing_hint: "",
            query: "",
        },
    ));
    hp.push_str("\r\n");
    std::fs::write(hp_dir.join("HttpProxy_2022120109-1.LOG"), hp).unwrap();

    let r = run(
        &HuntOptions {
            path: dir.path().to_path_buf(),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let ids: HashSet<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
    for want in [
        "EXRAY-PS-001",
        "EXRAY-PS-001-ATTEMPT",
        "EXRAY-PNS-001",
        "EXRAY-OWA-001",
    ] {
        assert!(ids.contains(want), "{want} missing: {ids:?}");
    }
    assert!(!ids.contains("EXRAY-PNS-001-ATTEMPT"));
    let owa = r
        .findings
        .iter()
        .find(|f| f.rule_id == "EXRAY-OWA-001")
        .unwrap();
    assert_eq!(owa.count, 2, "IIS and HttpProxy evidence");
    // Benign lines 5 and 6 of the IIS log are in no finding.
    for f in &r.findings {
        for e in &f.evidence {
            if e.file.ends_with("u_ex210813.log") {
                assert!(
                    e.line.unwrap() < 9,
                    "benign line {} matched {}",
                    e.line.unwrap(),
                    f.rule_id
                );
            }
        }
    }
    let inc = &r.incidents[0];
    assert!(inc.client_ips.contains(&"192.0.2.66".to_string()));
}
