//! "Never attack traffic": no request the scanner can send carries the cookies, paths or methods
//! that the ProxyLogon family's exploits send (notes §1, §4, §6). Checked two ways: on every
//! request the request builder can produce, and on what a fake server actually received from a
//! full scan with every option on.

mod common;

use std::time::Duration;

use common::{Exchange, Persona};
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::request::{default_user_agent, every_request, Method};
use exray_scan::target::{Host, Scheme, Target};
use exray_scan::{ScanConfig, Scanner};

/// Substrings (lower-cased) that must never appear in a request the scanner sends.
const FORBIDDEN: &[&str] = &[
    "cookie",
    "x-beresource",
    "x-anonresource",
    "autodiscover",
    "@",
    "/powershell",
    "powershell",
    "/mapi/",
    "emsmdb",
    "proxylogon.ecp",
    "/ecp/ddi/",
    "ddiservice.svc",
    "getobject",
    "setobject",
    "oabvirtualdirectory",
    "/ecp/default.flt",
    "/ecp/main.css",
    "/owa/auth/current/themes/resources/",
    "x-rps-cat",
    "email=",
    "cmd",
    "whoami",
    "exec",
    "eval",
    "?",
    "content-length",
    "transfer-encoding",
    "authorization",
    "x-forwarded",
];

fn assert_harmless(method: &str, path: &str, wire: &str) {
    assert!(
        method == "GET" || method == "HEAD",
        "method {method} for {path}: only GET/HEAD allowed"
    );
    assert!(path.starts_with('/'), "{path}");
    let lower = wire.to_ascii_lowercase();
    for bad in FORBIDDEN {
        assert!(
            !lower.contains(bad),
            "request for {path} contains `{bad}`:\n{wire}"
        );
    }
    // Fake static files on ECP/OWA auth are the SSRF carriers: no `.js` under /ecp/ or /owa/auth/.
    let lp = path.to_ascii_lowercase();
    assert!(
        !((lp.starts_with("/ecp/") || lp.starts_with("/owa/auth/")) && lp.ends_with(".js")),
        "{path}"
    );
    // Only these headers, nothing else.
    let head = wire.split("\r\n\r\n").next().unwrap();
    for line in head.lines().skip(1) {
        let name = line.split(':').next().unwrap().to_ascii_lowercase();
        assert!(
            ["host", "user-agent", "accept", "connection"].contains(&name.as_str()),
            "unexpected header `{line}` for {path}"
        );
    }
    assert!(
        wire.ends_with("\r\n\r\n"),
        "no request body may follow: {wire:?}"
    );
}

#[test]
fn every_request_the_builder_can_make_is_harmless() {
    let all = every_request();
    assert!(
        all.len() > 100,
        "the enumeration covers web-shell probes too"
    );
    for req in &all {
        assert!(matches!(req.method(), Method::Get | Method::Head));
        for host in ["mail.example.org", "192.0.2.1:8443", "[2001:db8::1]"] {
            let wire = String::from_utf8(req.to_wire(host, &default_user_agent())).unwrap();
            assert_harmless(req.method().as_str(), req.path(), &wire);
        }
    }
}

#[tokio::test]
async fn what_a_server_receives_from_a_full_scan_is_harmless() {
    let srv = common::spawn(
        "127.0.0.40".parse().unwrap(),
        true,
        Persona::Exchange(Box::new(Exchange {
            logon_redirect: true,
            fe_headers: true,
            logon_page: Some(common::generated_logon_page(None)),
            ..Default::default()
        })),
    )
    .await;
    let cfg = ScanConfig {
        limits: Limits {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            ..Limits::default()
        },
        target_timeout: Duration::from_secs(10),
        rate: 0,
        host_interval: Duration::ZERO,
        probe_webshells: true,
        blocklist: Blocklist::new(true, false),
        ..ScanConfig::default()
    };
    let t = Target {
        scheme: Scheme::Https,
        host: Host::Ip(srv.addr.ip()),
        port: srv.addr.port(),
    };
    let r = Scanner::new(cfg).scan(&t).await;
    assert!(
        !r.webshell_probes.is_empty(),
        "the opt-in probes ran: {r:?}"
    );
    let rec = srv.recorded();
    assert!(rec.len() > 100);
    let known: Vec<String> = every_request()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    for x in &rec {
        let wire = format!("{}\r\n\r\n", x.head);
        assert_harmless(&x.method, &x.path, &wire);
        // Every path is one the builder enumerates, or a control name in a probed folder.
        let is_control = exray_scan::request::WEBSHELL_FOLDERS.iter().any(|f| {
            x.path.strip_prefix(f).is_some_and(|n| {
                n.len() == 12
                    && n.ends_with(".aspx")
                    && n[..7].bytes().all(|b| b.is_ascii_alphanumeric())
            })
        });
        assert!(
            known.contains(&x.path) || is_control,
            "unexpected path {}",
            x.path
        );
    }
}
