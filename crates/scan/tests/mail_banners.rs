//! The opt-in mail-banner probes against fake SMTP/IMAP/POP3 servers on loopback: Exchange and
//! other greetings, the IMAP server-name decode, old versions outside the catalogue, hostile
//! servers (floods without a newline, silence), once per address; and servers that speak only
//! TLS 1.0/1.1 named as such when not even the legacy TLS stack can talk to them (`legacy_tls.rs`
//! has the ones it can).

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::{evidence, Exchange, MailPersona, Persona};
use exray_core::ScanVerdict;
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::mail::{MailPort, MailProto, MAX_BYTES};
use exray_scan::target::{Host, Scheme, Target};
use exray_scan::{ScanConfig, Scanner};

fn config(mail_ports: Vec<MailPort>) -> ScanConfig {
    ScanConfig {
        limits: Limits {
            connect_timeout: Duration::from_millis(1500),
            request_timeout: Duration::from_millis(1500),
            ..Limits::default()
        },
        target_timeout: Duration::from_secs(4),
        rate: 0,
        host_interval: Duration::ZERO,
        blocklist: Blocklist::new(true, false),
        mail_ports,
        ..ScanConfig::default()
    }
}

fn port(addr: SocketAddr, proto: MailProto, tls: bool) -> MailPort {
    MailPort {
        port: addr.port(),
        proto,
        tls,
    }
}

/// A port on `ip` where nothing listens (bound, then released).
async fn closed_port(ip: IpAddr) -> u16 {
    let l = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .unwrap();
    l.local_addr().unwrap().port()
}

fn target(ip: IpAddr, port: u16) -> Target {
    Target {
        scheme: Scheme::Https,
        host: Host::Ip(ip),
        port,
    }
}

fn exchange_smtp() -> MailPersona {
    MailPersona::Speaks {
        greeting: vec![
            "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Tue, 2 Mar 2021 10:00:00 +0000".into(),
        ],
        ehlo: vec![
            "EX01.contoso.com Hello [127.0.0.1]".into(),
            "SIZE 37748736".into(),
            "PIPELINING".into(),
            "STARTTLS".into(),
            "X-ANONYMOUSTLS".into(),
            "AUTH NTLM".into(),
            "X-EXPS GSSAPI NTLM".into(),
            "XRDST".into(),
        ],
    }
}

fn exchange_imap(name: &str) -> MailPersona {
    MailPersona::Speaks {
        greeting: vec![format!(
            "* OK The Microsoft Exchange IMAP4 service is ready. [{}]",
            common::exchange_name_b64(name)
        )],
        ehlo: vec![],
    }
}

#[tokio::test]
async fn exchange_recognised_by_its_mail_banners_when_https_is_closed() {
    let ip: IpAddr = "127.0.0.61".parse().unwrap();
    let smtp = common::spawn_mail(ip, false, exchange_smtp()).await;
    let imap = common::spawn_mail(ip, false, exchange_imap("EX01.contoso.com")).await;
    let pop3s = common::spawn_mail(
        ip,
        true,
        MailPersona::Speaks {
            greeting: vec!["+OK The Microsoft Exchange POP3 service is ready.".into()],
            ehlo: vec![],
        },
    )
    .await;
    let ports = vec![
        port(smtp.addr, MailProto::Smtp, false),
        port(imap.addr, MailProto::Imap, false),
        port(pop3s.addr, MailProto::Pop3, true),
    ];
    let r = Scanner::new(config(ports))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    assert!(r.error.is_none(), "{r:#?}");
    assert!(
        evidence(&r, "http:no-answer")[0].contains("connect"),
        "{r:#?}"
    );
    let summary = evidence(&r, "discovery").join("");
    assert!(
        summary.contains("Exchange recognised by SMTP banner, IMAP banner, POP3 banner"),
        "{summary}"
    );
    let banners = evidence(&r, "banner");
    assert_eq!(banners.len(), 3, "{r:#?}");
    assert!(banners[0].starts_with("220 EX01.contoso.com Microsoft ESMTP MAIL Service"));
    assert!(evidence(&r, "ehlo")[0].contains("X-ANONYMOUSTLS"));
    assert_eq!(evidence(&r, "banner:server-name"), ["EX01.contoso.com"]);
    let smtp_ev = r.evidence.iter().find(|e| e.method == "SMTP").unwrap();
    assert_eq!(
        smtp_ev.url,
        format!("smtp://127.0.0.61:{}", smtp.addr.port())
    );
    assert_eq!(smtp_ev.status, Some(220));
    assert!(r
        .evidence
        .iter()
        .any(|e| e.method == "POP3" && e.url.starts_with("pop3s://")));
    let why = evidence(&r, "banner:exchange").join("\n");
    assert!(why.contains("X-ANONYMOUSTLS, XRDST"), "{why}");
    assert!(
        why.contains("IMAP greeting names Microsoft Exchange"),
        "{why}"
    );
    // Exactly the benign conversation: EHLO and QUIT; LOGOUT; QUIT.
    assert_eq!(
        smtp.lines(),
        [
            b"EHLO exray-scan.invalid\r\n".to_vec(),
            b"QUIT\r\n".to_vec()
        ]
    );
    assert_eq!(imap.lines(), [b"a1 LOGOUT\r\n".to_vec()]);
    assert_eq!(pop3s.lines(), [b"QUIT\r\n".to_vec()]);
}

#[tokio::test]
async fn banners_are_extra_evidence_when_https_gives_the_build() {
    let ip: IpAddr = "127.0.0.62".parse().unwrap();
    let web = common::spawn(
        ip,
        true,
        Persona::Exchange(Box::new(Exchange {
            manifest: Some("15.1.2176.2".into()),
            ..Default::default()
        })),
    )
    .await;
    let smtp = common::spawn_mail(ip, false, exchange_smtp()).await;
    let r = Scanner::new(config(vec![port(smtp.addr, MailProto::Smtp, false)]))
        .scan(&target(ip, web.addr.port()))
        .await;
    assert_eq!(r.verdict, ScanVerdict::Vulnerable, "{r:#?}");
    assert_eq!(
        r.assessment.as_ref().unwrap().source.as_deref(),
        Some("export tool manifest assemblyIdentity version")
    );
    assert_eq!(evidence(&r, "banner").len(), 1);
    assert!(r.error.is_none());
}

#[tokio::test]
async fn other_mail_servers_are_not_exchange_and_mail_is_off_by_default() {
    let ip: IpAddr = "127.0.0.63".parse().unwrap();
    let web = common::spawn(ip, true, Persona::NotExchange).await;
    let smtp = common::spawn_mail(
        ip,
        false,
        MailPersona::Speaks {
            greeting: vec!["220 mx.example.org ESMTP Postfix (Debian/GNU)".into()],
            ehlo: vec![
                "mx.example.org".into(),
                "PIPELINING".into(),
                "STARTTLS".into(),
            ],
        },
    )
    .await;
    let imaps = common::spawn_mail(
        ip,
        true,
        MailPersona::Speaks {
            greeting: vec!["* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot (Debian) ready.".into()],
            ehlo: vec![],
        },
    )
    .await;
    let ports = vec![
        port(smtp.addr, MailProto::Smtp, false),
        port(imaps.addr, MailProto::Imap, true),
    ];
    let r = Scanner::new(config(ports))
        .scan(&target(ip, web.addr.port()))
        .await;
    assert_eq!(r.verdict, ScanVerdict::NotExchange, "{r:#?}");
    assert_eq!(evidence(&r, "banner").len(), 2, "{r:#?}");
    assert!(evidence(&r, "banner:exchange").is_empty());

    // Off by default: no mail port is touched.
    let before = smtp.connections();
    let r = Scanner::new(config(Vec::new()))
        .scan(&target(ip, web.addr.port()))
        .await;
    assert!(evidence(&r, "banner").is_empty());
    assert_eq!(smtp.connections(), before);
}

#[tokio::test]
async fn old_versions_in_banners_are_named_and_said_to_be_outside_the_catalogue() {
    let ip: IpAddr = "127.0.0.64".parse().unwrap();
    let pop3 = common::spawn_mail(
        ip,
        false,
        MailPersona::Speaks {
            greeting: vec![
                "+OK Microsoft Exchange Server 2003 POP3 server version 6.5.7638.1 (ex03.example.org) ready.".into(),
            ],
            ehlo: vec![],
        },
    )
    .await;
    let smtp = common::spawn_mail(
        ip,
        false,
        MailPersona::Speaks {
            greeting: vec![
                "220 ex07.example.org Microsoft ESMTP MAIL Service, Version: 8.1.263.0 ready at Mon, 1 Mar 2010 10:00:00 +0100".into(),
            ],
            ehlo: vec!["ex07.example.org Hello".into(), "XEXCH50".into()],
        },
    )
    .await;
    let ports = vec![
        port(pop3.addr, MailProto::Pop3, false),
        port(smtp.addr, MailProto::Smtp, false),
    ];
    let r = Scanner::new(config(ports))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    assert!(r.assessment.is_none());
    let cat = evidence(&r, "catalogue").join("\n");
    assert!(
        cat.contains("Exchange 2003 6.5.7638.1 (from the POP3 banner) is outside"),
        "{cat}"
    );
    assert!(
        cat.contains("Exchange 2007 8.1.263.0 (from the SMTP banner) is outside"),
        "{cat}"
    );
}

#[tokio::test]
async fn a_2010_version_in_a_banner_goes_to_the_catalogue() {
    let ip: IpAddr = "127.0.0.65".parse().unwrap();
    let smtp = common::spawn_mail(
        ip,
        false,
        MailPersona::Speaks {
            greeting: vec![
                "220 ex10.example.org Microsoft ESMTP MAIL Service, Version: 14.3.123.4 ready at Mon".into(),
            ],
            ehlo: vec!["ex10.example.org Hello".into()],
        },
    )
    .await;
    let r = Scanner::new(config(vec![port(smtp.addr, MailProto::Smtp, false)]))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    let a = r.assessment.as_ref().expect("assessed");
    assert_eq!(a.source.as_deref(), Some("SMTP banner version"), "{r:#?}");
    assert_ne!(r.verdict, ScanVerdict::NotExchange);
}

#[tokio::test]
async fn hostile_mail_servers_cost_one_small_buffer_and_one_timeout() {
    let ip: IpAddr = "127.0.0.66".parse().unwrap();
    let flood = common::spawn_mail(ip, false, MailPersona::Flood).await;
    let silent = common::spawn_mail(ip, false, MailPersona::Silent).await;
    let flood_tls = common::spawn_mail(ip, true, MailPersona::Flood).await;
    let late = common::spawn_mail(
        ip,
        false,
        MailPersona::FloodAfterEhlo {
            greeting: "220 ex.example.org Microsoft ESMTP MAIL Service ready at Mon".into(),
        },
    )
    .await;
    let ports = vec![
        port(flood.addr, MailProto::Smtp, false),
        port(silent.addr, MailProto::Imap, false),
        port(flood_tls.addr, MailProto::Pop3, true),
        port(late.addr, MailProto::Smtp, false),
    ];
    let started = Instant::now();
    let r = Scanner::new(config(ports))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let silent_ev = evidence(&r, "mail:no-banner").join("\n");
    assert!(
        silent_ev.contains("line longer than 1024 bytes"),
        "{silent_ev}"
    );
    assert!(
        silent_ev.contains("no greeting before the deadline"),
        "{silent_ev}"
    );
    // The floods were cut after at most a line's worth plus one read (the kernel buffers the
    // rest: the server's writes stall once the socket buffers are full).
    for f in [&flood, &flood_tls] {
        let w = *f.written.lock().unwrap();
        assert!(w < 8 * 1024 * 1024, "server wrote {w} bytes");
    }
    // The greeting before the flood is still evidence of Exchange.
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    assert!(r.evidence.iter().all(|e| e.value.len() <= 520));
    let _ = MAX_BYTES;
}

#[tokio::test]
async fn mail_ports_are_read_once_per_address() {
    let ip: IpAddr = "127.0.0.67".parse().unwrap();
    let smtp = common::spawn_mail(ip, false, exchange_smtp()).await;
    let scanner = Scanner::new(config(vec![port(smtp.addr, MailProto::Smtp, false)]));
    let (a, b) = (closed_port(ip).await, closed_port(ip).await);
    let (ta, tb) = (target(ip, a), target(ip, b));
    let (ra, rb) = tokio::join!(scanner.scan(&ta), scanner.scan(&tb));
    assert_eq!(smtp.connections(), 1);
    assert_eq!(evidence(&ra, "banner"), evidence(&rb, "banner"));
    assert_eq!(ra.verdict, ScanVerdict::ExchangeUnknownBuild);
}

#[tokio::test]
async fn blocked_addresses_get_no_mail_probe() {
    let ip: IpAddr = "127.0.0.68".parse().unwrap();
    let smtp = common::spawn_mail(ip, false, exchange_smtp()).await;
    let mut cfg = config(vec![port(smtp.addr, MailProto::Smtp, false)]);
    cfg.blocklist = Blocklist::new(false, false);
    let r = Scanner::new(cfg).scan(&target(ip, 443)).await;
    assert_eq!(r.verdict, ScanVerdict::Error);
    assert_eq!(smtp.connections(), 0);
}

#[tokio::test]
async fn servers_that_speak_only_tls_1_0_are_named_as_such() {
    for (n, alert) in [(69, false), (70, true)] {
        let ip: IpAddr = format!("127.0.0.{n}").parse().unwrap();
        let srv = common::spawn_tls10(ip, alert).await;
        let r = Scanner::new(config(Vec::new()))
            .scan(&target(ip, srv.addr.port()))
            .await;
        assert_eq!(r.verdict, ScanVerdict::Error, "{r:#?}");
        let err = r.error.as_deref().unwrap();
        assert!(
            err.starts_with("TLS 1.0/1.1 only: "),
            "alert {alert}: {err}"
        );
        // With the legacy stack built in it was tried too, and said why it failed as well.
        assert_eq!(
            err.contains("the legacy TLS stack (OpenSSL, TLS 1.0-1.2) failed too"),
            cfg!(feature = "legacy-tls"),
            "alert {alert}: {err}"
        );
        assert_eq!(evidence(&r, "tls:legacy-only").len(), 1, "{r:#?}");
    }
}

#[tokio::test]
async fn a_tls_1_0_only_mail_port_is_named_as_such() {
    let ip: IpAddr = "127.0.0.71".parse().unwrap();
    let srv = common::spawn_tls10(ip, false).await;
    let r = Scanner::new(config(vec![port(srv.addr, MailProto::Imap, true)]))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    let ev = evidence(&r, "tls:legacy-only");
    assert_eq!(ev.len(), 1, "{r:#?}");
    assert!(ev[0].starts_with("TLS 1.0/1.1 only"), "{ev:?}");
}

/// The same against a real TLS 1.0-only server: `openssl s_server -tls1` at security level 0
/// (its `-www` page is no Exchange). With the legacy stack it is read and judged; without it,
/// named. Skips with a message when `openssl` is not installed or refuses.
#[tokio::test]
async fn a_real_openssl_tls_1_0_server_is_read_or_named() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=ex.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no openssl to make a certificate");
        return;
    }
    let ip: IpAddr = "127.0.0.72".parse().unwrap();
    let port = closed_port(ip).await;
    let Ok(child) = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-www",
            "-accept",
        ])
        .arg(format!("{ip}:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        eprintln!("skipped: openssl s_server did not start");
        return;
    };
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Kill(child);
    let addr = SocketAddr::new(ip, port);
    let mut up = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !up {
        eprintln!("skipped: openssl s_server -tls1 is not listening");
        return;
    }
    let r = Scanner::new(config(Vec::new()))
        .scan(&target(ip, port))
        .await;
    if cfg!(feature = "legacy-tls") {
        assert_eq!(r.verdict, ScanVerdict::NotExchange, "{r:#?}");
        let ev = evidence(&r, "tls:legacy-only");
        assert_eq!(ev.len(), 1, "{r:#?}");
        assert!(ev[0].starts_with("TLSv1 "), "{ev:?}");
    } else {
        assert_eq!(r.verdict, ScanVerdict::Error, "{r:#?}");
        assert!(
            r.error.as_deref().unwrap().starts_with("TLS 1.0/1.1 only"),
            "{r:#?}"
        );
    }
}

/// Every mail connection waits for the global rate limiter like an HTTP request.
#[tokio::test]
async fn mail_connections_count_against_the_rate_limit() {
    let ip: IpAddr = "127.0.0.73".parse().unwrap();
    let mut ports = Vec::new();
    for _ in 0..6 {
        ports.push(MailPort {
            port: closed_port(ip).await,
            proto: MailProto::Smtp,
            tls: false,
        });
    }
    let http = closed_port(ip).await;
    let timed = |mail: Vec<MailPort>| async move {
        let mut cfg = config(mail);
        cfg.rate = 10;
        let started = Instant::now();
        let r = Scanner::new(cfg).scan(&target(ip, http)).await;
        (started.elapsed(), r)
    };
    // One HTTP connection and six mail connections at 10/s (a burst of 0.2 s allowed).
    let (with_mail, r) = timed(ports).await;
    assert!(with_mail >= Duration::from_millis(350), "{with_mail:?}");
    assert!(
        evidence(&r, "mail:no-banner")[0].contains("connect"),
        "{r:#?}"
    );
    let (without, _) = timed(Vec::new()).await;
    assert!(without < Duration::from_millis(300), "{without:?}");
}

#[tokio::test]
async fn mail_banners_over_ipv6_loopback() {
    let ip: IpAddr = "::1".parse().unwrap();
    let Ok(l) = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    drop(l);
    let imaps = common::spawn_mail(ip, true, exchange_imap("EX02.contoso.com")).await;
    let r = Scanner::new(config(vec![port(imaps.addr, MailProto::Imap, true)]))
        .scan(&target(ip, closed_port(ip).await))
        .await;
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    let ev = r.evidence.iter().find(|e| e.what == "banner").unwrap();
    assert_eq!(ev.url, format!("imaps://[::1]:{}", imaps.addr.port()));
    assert_eq!(evidence(&r, "banner:server-name"), ["EX02.contoso.com"]);
}
