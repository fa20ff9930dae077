//! Servers rustls cannot talk to (TLS 1.0 only, TLS 1.1 only, TLS 1.2 with CBC suites only, as
//! Exchange on Windows Server 2008 R2 answers) are fingerprinted over the legacy TLS stack, to
//! the same verdict as the same server over modern TLS; the mail probes read their banners the
//! same way. Fake servers are OpenSSL on loopback with an RSA certificate signed with SHA-1.
#![cfg(feature = "legacy-tls")]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::{evidence, Exchange, LegacyServer, MailPersona, Persona, Wrap};
use exray_core::ScanVerdict;
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::mail::{MailPort, MailProto};
use exray_scan::target::{Host, Scheme, Target};
use exray_scan::{ScanConfig, Scanner};

fn lo(last: u8) -> IpAddr {
    format!("127.0.0.{last}").parse().unwrap()
}

fn config(mail_ports: Vec<MailPort>) -> ScanConfig {
    ScanConfig {
        limits: Limits {
            connect_timeout: Duration::from_millis(2000),
            request_timeout: Duration::from_millis(2000),
            ..Limits::default()
        },
        target_timeout: Duration::from_secs(6),
        rate: 0,
        host_interval: Duration::ZERO,
        blocklist: Blocklist::new(true, false),
        mail_ports,
        ..ScanConfig::default()
    }
}

fn target(addr: SocketAddr) -> Target {
    Target {
        scheme: Scheme::Https,
        host: Host::Ip(addr.ip()),
        port: addr.port(),
    }
}

/// An Exchange 2013 CU23 without the March 2021 update: the build shows only in the OWA header
/// and the logon page's resource folder (no export-tool manifest), so several requests are made.
fn old_exchange() -> Persona {
    Persona::Exchange(Box::new(Exchange {
        owa_header: Some("15.0.1497.2".into()),
        logon_redirect: true,
        logon_page: Some(common::generated_logon_page(Some("15.0.1497"))),
        fe_headers: true,
        ..Default::default()
    }))
}

#[tokio::test]
async fn servers_only_old_tls_reaches_are_fingerprinted_like_modern_ones() {
    let modern = common::spawn(lo(121), true, old_exchange()).await;
    let want = Scanner::new(config(Vec::new()))
        .scan(&target(modern.addr))
        .await;
    assert_eq!(want.verdict, ScanVerdict::Vulnerable, "{want:#?}");
    assert!(evidence(&want, "tls:legacy-only").is_empty());
    assert!(evidence(&want, "tls:legacy-ciphers").is_empty());
    let want_build = want.assessment.as_ref().unwrap().build.clone();

    for (n, legacy, kind, version) in [
        (122, LegacyServer::Tls10, "tls:legacy-only", "TLSv1 "),
        (123, LegacyServer::Tls11, "tls:legacy-only", "TLSv1.1 "),
        (
            124,
            LegacyServer::Tls12Cbc,
            "tls:legacy-ciphers",
            "TLSv1.2 ",
        ),
    ] {
        let srv = common::spawn_legacy(lo(n), legacy, old_exchange()).await;
        let r = Scanner::new(config(Vec::new()))
            .scan(&target(srv.addr))
            .await;
        assert_eq!(r.verdict, want.verdict, "{legacy:?}: {r:#?}");
        assert_eq!(r.error, None, "{legacy:?}");
        assert_eq!(
            r.assessment.as_ref().map(|a| a.build.as_str()),
            Some(want_build.as_str()),
            "{legacy:?}"
        );
        let ev = evidence(&r, kind);
        assert_eq!(ev.len(), 1, "{legacy:?}: {r:#?}");
        assert!(ev[0].starts_with(version), "{legacy:?}: {ev:?}");
        assert!(ev[0].contains("-SHA"), "a CBC suite is named: {ev:?}");
        // The same requests as over modern TLS, every one answered over the old protocol.
        let paths = |s: &common::FakeServer| -> Vec<String> {
            let mut p: Vec<String> = s.recorded().into_iter().map(|x| x.path).collect();
            p.sort();
            p
        };
        assert_eq!(paths(&srv), paths(&modern), "{legacy:?}");
    }
}

#[tokio::test]
async fn a_tls_1_0_only_mail_port_gives_its_banner() {
    let ip = lo(125);
    let imap = MailPersona::Speaks {
        greeting: vec!["* OK The Microsoft Exchange IMAP4 service is ready.".into()],
        ehlo: vec![],
    };
    let srv = common::spawn_mail_with(ip, Wrap::Legacy(LegacyServer::Tls10), imap).await;
    let closed = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let port = MailPort {
        port: srv.addr.port(),
        proto: MailProto::Imap,
        tls: true,
    };
    let r = Scanner::new(config(vec![port])).scan(&target(closed)).await;
    let banner = evidence(&r, "banner");
    assert_eq!(banner.len(), 1, "{r:#?}");
    assert!(banner[0].contains("Microsoft Exchange IMAP4"), "{banner:?}");
    let ev = evidence(&r, "tls:legacy-only");
    assert_eq!(ev.len(), 1, "{r:#?}");
    assert!(ev[0].starts_with("TLSv1 "), "{ev:?}");
    assert_eq!(
        srv.connections(),
        2,
        "one refused rustls handshake, one legacy"
    );
}

/// A server that fails rustls's handshake for another reason (it sends bytes that are no TLS)
/// is not retried over the legacy stack.
#[tokio::test]
async fn other_tls_failures_are_not_retried_over_the_old_stack() {
    let srv = common::spawn(lo(126), true, Persona::Garbage).await;
    let r = Scanner::new(config(Vec::new()))
        .scan(&target(srv.addr))
        .await;
    assert_eq!(r.verdict, ScanVerdict::Error, "{r:#?}");
    let err = r.error.as_deref().unwrap();
    assert!(err.starts_with("TLS handshake"), "{err}");
    assert!(!err.contains("legacy"), "{err}");
    assert!(evidence(&r, "tls:legacy-only").is_empty());
}
