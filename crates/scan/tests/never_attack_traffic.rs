//! "Never attack traffic": no request the scanner can send carries the cookies, paths or methods
//! that the ProxyLogon family's exploits send (notes §1, §4, §6). Checked two ways: on every
//! request the request builder can produce, and on what a fake server actually received from a
//! full scan with every option on. The same for the opt-in mail-banner probes: every line they
//! can send ([`every_mail_command`]) is checked, and what fake SMTP/IMAP/POP3 servers received
//! from a full scan is only those lines.

mod common;

use std::time::Duration;

use common::{Exchange, MailPersona, Persona};
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::mail::{MailPort, MailProto};
use exray_scan::request::{
    default_user_agent, every_mail_command, every_request, MailCommand, Method, EHLO_NAME,
};
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

/// Mail verbs that must never be sent: authentication, mail transactions, TLS upgrades (and
/// their downgrade tricks), address probing, logins, mailbox access, Exchange's own verbs.
const FORBIDDEN_MAIL: &[&str] = &[
    "auth",
    "mail from",
    "rcpt",
    "data",
    "bdat",
    "starttls",
    "stls",
    "vrfy",
    "expn",
    "turn",
    "etrn",
    "xexch50",
    "x-",
    "xclient",
    "xforward",
    "login",
    "user",
    "pass",
    "apop",
    "retr",
    "select",
    "examine",
    "fetch",
    "append",
    "@",
    "<",
    ":",
];

/// One line, printable ASCII, a benign verb, nothing forbidden.
fn assert_harmless_mail_line(line: &[u8]) {
    let text = std::str::from_utf8(line).expect("ASCII");
    let body = text.strip_suffix("\r\n").expect("ends with CRLF");
    assert!(
        !body.is_empty() && body.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "one printable line: {text:?}"
    );
    let words: Vec<&str> = body.split(' ').collect();
    let ok = match words.as_slice() {
        ["EHLO", name] => *name == EHLO_NAME && name.ends_with(".invalid"),
        ["QUIT"] => true,
        ["a1", "LOGOUT"] => true,
        _ => false,
    };
    assert!(
        ok,
        "not one of EHLO exray-scan.invalid / QUIT / a1 LOGOUT: {body:?}"
    );
    let lower = body.to_ascii_lowercase();
    for bad in FORBIDDEN_MAIL {
        let hit = if *bad == "x-" || *bad == "@" || *bad == "<" || *bad == ":" {
            lower.contains(bad)
        } else {
            lower.split([' ', '.', '-']).any(|w| w == *bad)
        };
        assert!(!hit, "mail line {body:?} contains `{bad}`");
    }
}

#[test]
fn every_line_the_mail_probes_can_send_is_harmless() {
    let all = every_mail_command();
    assert_eq!(all.len(), 4);
    for c in all {
        assert_harmless_mail_line(c.wire());
    }
}

#[tokio::test]
async fn what_mail_servers_receive_from_a_full_scan_is_harmless() {
    let ip = "127.0.0.41".parse().unwrap();
    let web = common::spawn(ip, true, Persona::NotExchange).await;
    let smtp = MailPersona::Speaks {
        greeting: vec![
            "220-EX01.contoso.com Microsoft ESMTP MAIL Service ready".into(),
            "220 at Tue, 2 Mar 2021 10:00:00 +0000".into(),
        ],
        ehlo: vec!["EX01 Hello".into(), "STARTTLS".into(), "AUTH NTLM".into()],
    };
    let refusing = MailPersona::Speaks {
        greeting: vec!["554 5.7.1 no service".into()],
        ehlo: vec![],
    };
    let imap = MailPersona::Speaks {
        greeting: vec!["* OK The Microsoft Exchange IMAP4 service is ready.".into()],
        ehlo: vec![],
    };
    let pop3 = MailPersona::Speaks {
        greeting: vec!["+OK The Microsoft Exchange POP3 service is ready.".into()],
        ehlo: vec![],
    };
    let servers = vec![
        (
            common::spawn_mail(ip, false, smtp.clone()).await,
            MailProto::Smtp,
            false,
        ),
        (
            common::spawn_mail(ip, true, smtp).await,
            MailProto::Smtp,
            true,
        ),
        (
            common::spawn_mail(ip, false, refusing).await,
            MailProto::Smtp,
            false,
        ),
        (
            common::spawn_mail(ip, false, imap.clone()).await,
            MailProto::Imap,
            false,
        ),
        (
            common::spawn_mail(ip, true, imap).await,
            MailProto::Imap,
            true,
        ),
        (
            common::spawn_mail(ip, false, pop3.clone()).await,
            MailProto::Pop3,
            false,
        ),
        (
            common::spawn_mail(ip, true, pop3).await,
            MailProto::Pop3,
            true,
        ),
    ];
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
        mail_ports: servers
            .iter()
            .map(|(s, proto, tls)| MailPort {
                port: s.addr.port(),
                proto: *proto,
                tls: *tls,
            })
            .collect(),
        ..ScanConfig::default()
    };
    let t = Target {
        scheme: Scheme::Https,
        host: Host::Ip(web.addr.ip()),
        port: web.addr.port(),
    };
    let r = Scanner::new(cfg).scan(&t).await;
    assert_eq!(
        r.evidence.iter().filter(|e| e.what == "banner").count(),
        servers.len(),
        "{r:#?}"
    );
    let known: Vec<&[u8]> = every_mail_command().iter().map(|c| c.wire()).collect();
    let mut seen = 0;
    for (srv, _, _) in &servers {
        assert_eq!(srv.connections(), 1);
        for line in srv.lines() {
            assert_harmless_mail_line(&line);
            assert!(known.contains(&line.as_slice()), "not enumerated: {line:?}");
            seen += 1;
        }
    }
    // SMTP twice EHLO + QUIT, the refusing one QUIT only; LOGOUT twice; QUIT twice.
    assert_eq!(seen, 2 * 2 + 1 + 2 + 2);
    assert!(known.contains(&MailCommand::SmtpEhlo.wire()));
}

fn full_scan_persona() -> Persona {
    Persona::Exchange(Box::new(Exchange {
        logon_redirect: true,
        fe_headers: true,
        logon_page: Some(common::generated_logon_page(None)),
        ..Default::default()
    }))
}

#[tokio::test]
async fn what_a_server_receives_from_a_full_scan_is_harmless() {
    let srv = common::spawn("127.0.0.40".parse().unwrap(), true, full_scan_persona()).await;
    full_scan_is_harmless(&srv).await;
}

/// The same over the legacy TLS stack (a TLS 1.0-only server): the same requests, nothing more.
#[cfg(feature = "legacy-tls")]
#[tokio::test]
async fn what_a_tls_1_0_server_receives_from_a_full_scan_is_harmless() {
    let srv = common::spawn_legacy(
        "127.0.0.42".parse().unwrap(),
        common::LegacyServer::Tls10,
        full_scan_persona(),
    )
    .await;
    full_scan_is_harmless(&srv).await;
}

async fn full_scan_is_harmless(srv: &common::FakeServer) {
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
