//! The scanner against fake Exchange, non-Exchange and hostile servers on loopback.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Exchange, FakeServer, Persona};
use exray_core::{BuildPrecision, Confidence, ScanResult, ScanVerdict};
use exray_scan::blocklist::Blocklist;
use exray_scan::http::Limits;
use exray_scan::target::{Host, Scheme, Target};
use exray_scan::{ScanConfig, Scanner};

fn lo(last: u8) -> IpAddr {
    format!("127.0.0.{last}").parse().unwrap()
}

fn config() -> ScanConfig {
    ScanConfig {
        limits: Limits {
            connect_timeout: Duration::from_millis(1500),
            request_timeout: Duration::from_millis(1500),
            max_head: 16 * 1024,
            max_body: 128 * 1024,
        },
        target_timeout: Duration::from_secs(4),
        rate: 0,
        concurrency: 16,
        host_interval: Duration::ZERO,
        blocklist: Blocklist::new(true, false),
        ..ScanConfig::default()
    }
}

fn target(srv: &FakeServer, scheme: Scheme) -> Target {
    Target {
        scheme,
        host: Host::Ip(srv.addr.ip()),
        port: srv.addr.port(),
    }
}

async fn scan(srv: &FakeServer, scheme: Scheme) -> ScanResult {
    Scanner::new(config()).scan(&target(srv, scheme)).await
}

fn has_evidence(r: &ScanResult, what: &str, value_part: &str) -> bool {
    r.evidence
        .iter()
        .any(|e| e.what == what && e.value.contains(value_part))
}

#[tokio::test]
async fn manifest_gives_full_build_and_stops_early() {
    let srv = common::spawn(
        lo(1),
        true,
        Persona::Exchange(Box::new(Exchange {
            manifest: Some("15.1.2176.2".into()),
            owa_header: Some("15.1.2176.2".into()),
            logon_page: Some(common::generated_logon_page(Some("15.1.2176"))),
            fe_headers: true,
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    assert_eq!(r.verdict, ScanVerdict::Vulnerable, "{r:#?}");
    assert_eq!(r.confidence, Confidence::High);
    let a = r.assessment.as_ref().unwrap();
    assert_eq!(a.build, "15.1.2176.2");
    assert_eq!(a.precision, BuildPrecision::Full);
    assert!(has_evidence(&r, "body:assemblyIdentity", "15.1.2176.2"));
    let ev = r
        .evidence
        .iter()
        .find(|e| e.what == "body:assemblyIdentity")
        .unwrap();
    assert_eq!(ev.status, Some(200));
    assert!(ev.url.ends_with("exporttool.application"), "{}", ev.url);
    // Full build known from the first request: nothing else asked.
    let rec = srv.recorded();
    assert_eq!(rec.len(), 1, "{rec:?}");
}

#[tokio::test]
async fn owa_version_header_without_manifest() {
    let srv = common::spawn(
        lo(2),
        true,
        Persona::Exchange(Box::new(Exchange {
            owa_header: Some("15.2.1748.43".into()),
            logon_redirect: true,
            logon_page: Some(common::generated_logon_page(Some("15.2.1748"))),
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    assert_eq!(r.verdict, ScanVerdict::Patched, "{r:#?}");
    assert_eq!(r.confidence, Confidence::High);
    assert!(has_evidence(&r, "header:X-OWA-Version", "15.2.1748.43"));
    assert_eq!(
        r.assessment.as_ref().unwrap().source.as_deref(),
        Some("X-OWA-Version header")
    );
    let paths: Vec<String> = srv.recorded().into_iter().map(|x| x.path).collect();
    assert_eq!(paths.len(), 2, "stops after the header: {paths:?}");
}

#[tokio::test]
async fn cu_only_page_is_su_unknown_never_patched() {
    let srv = common::spawn(
        lo(3),
        true,
        Persona::Exchange(Box::new(Exchange {
            logon_redirect: true,
            logon_page: Some(common::generated_logon_page(Some("15.1.2507"))),
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    assert_eq!(r.verdict, ScanVerdict::SuUnknown, "{r:#?}");
    assert_eq!(r.confidence, Confidence::Medium);
    assert_eq!(
        r.assessment.as_ref().unwrap().precision,
        BuildPrecision::CuOnly
    );
    assert!(has_evidence(
        &r,
        "body:/owa/auth/<build>/ folder",
        "15.1.2507"
    ));
    assert!(has_evidence(&r, "header:Location", "/owa/auth/logon.aspx"));
    assert!(has_evidence(&r, "body:title", "Outlook"));
}

#[tokio::test]
async fn real_owa_honeypot_page_when_present() {
    let Some(page) = common::honeypot_page() else {
        println!("skipping: ../shared/data/http/owa-honeypot-page absent");
        return;
    };
    let srv = common::spawn(
        lo(4),
        true,
        Persona::Exchange(Box::new(Exchange {
            logon_redirect: true,
            logon_page: Some(page),
            fe_headers: true,
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    // 2016 CU9 never received the ProxyShell SUs: vulnerable whatever SU is installed, but
    // only with medium confidence (CU-only fingerprint).
    assert_eq!(r.verdict, ScanVerdict::Vulnerable, "{r:#?}");
    assert_eq!(r.confidence, Confidence::Medium);
    let a = r.assessment.as_ref().unwrap();
    assert_eq!(a.build, "15.1.1466");
    assert_eq!(a.precision, BuildPrecision::CuOnly);
    assert!(has_evidence(&r, "header:X-FEServer", "EXCH01"));
}

#[tokio::test]
async fn real_favicon_identifies_exchange_without_build() {
    let Some(icon) = common::honeypot_favicon() else {
        println!("skipping: ../shared/data/http/owa-honeypot-page absent");
        return;
    };
    let srv = common::spawn(
        lo(5),
        false,
        Persona::Exchange(Box::new(Exchange {
            favicon: Some(icon),
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Http).await;
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    assert!(
        has_evidence(&r, "favicon-md5", "759fade9033aa298629e4b000dcd6dde"),
        "{r:#?}"
    );
}

#[tokio::test]
async fn owaver_redirect_gives_four_parts() {
    let srv = common::spawn(
        lo(6),
        true,
        Persona::Exchange(Box::new(Exchange {
            owaver_redirect: Some("15.1.2242.4".into()),
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    let a = r.assessment.as_ref().expect("assessed");
    assert_eq!(a.build, "15.1.2242.4");
    assert_eq!(a.precision, BuildPrecision::Full);
    assert!(has_evidence(
        &r,
        "header:Location owaVer",
        "owaVer=15.1.2242.4"
    ));
    // 2016 CU20 (ProxyLogon fixed, ProxyShell not yet): vulnerable, medium confidence (redirect).
    assert_eq!(r.verdict, ScanVerdict::Vulnerable);
    assert_eq!(r.confidence, Confidence::Medium);
}

#[tokio::test]
async fn discovery_only_is_exchange_unknown_build() {
    let srv = common::spawn(
        lo(7),
        true,
        Persona::Exchange(Box::new(Exchange {
            logon_redirect: true,
            fe_headers: true,
            logon_page: Some(common::generated_logon_page(None)),
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Https).await;
    assert_eq!(r.verdict, ScanVerdict::ExchangeUnknownBuild, "{r:#?}");
    assert!(r.assessment.is_none());
    assert!(has_evidence(&r, "discovery", "X-FEServer"));
}

#[tokio::test]
async fn plain_web_server_is_not_exchange() {
    for (i, tls) in [(8u8, true), (9, false)] {
        let srv = common::spawn(lo(i), tls, Persona::NotExchange).await;
        let scheme = if tls { Scheme::Https } else { Scheme::Http };
        let r = scan(&srv, scheme).await;
        assert_eq!(r.verdict, ScanVerdict::NotExchange, "{r:#?}");
        assert!(r.assessment.is_none());
        // Manifest, /owa/, logon page, favicon: and nothing more.
        assert_eq!(srv.recorded().len(), 4);
    }
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let t = Target {
        scheme: Scheme::Https,
        host: Host::Ip(lo(1)),
        port,
    };
    let r = Scanner::new(config()).scan(&t).await;
    assert_eq!(r.verdict, ScanVerdict::Unreachable, "{r:#?}");
    assert!(r.error.is_some());
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let srv = common::spawn(lo(10), true, Persona::NotExchange).await;
    let cfg = ScanConfig {
        blocklist: Blocklist::new(false, false),
        ..config()
    };
    let r = Scanner::new(cfg).scan(&target(&srv, Scheme::Https)).await;
    assert_eq!(r.verdict, ScanVerdict::Error);
    assert!(r.error.as_deref().unwrap().contains("loopback"), "{r:?}");
    assert!(
        srv.recorded().is_empty(),
        "a refused target must not be contacted"
    );
    // A name that resolves to loopback is refused after resolution too.
    let t = Target {
        scheme: Scheme::Https,
        host: Host::Name("localhost".into()),
        port: srv.addr.port(),
    };
    let cfg = ScanConfig {
        blocklist: Blocklist::new(false, false),
        ..config()
    };
    let r = Scanner::new(cfg).scan(&t).await;
    assert_ne!(r.verdict, ScanVerdict::NotExchange, "{r:?}");
    assert!(srv.recorded().is_empty());
}

/// Every hostile behaviour: the scanner answers within its deadline with an honest verdict.
#[tokio::test]
async fn hostile_servers_are_bounded_by_deadlines_and_caps() {
    let cases: Vec<(u8, bool, Persona, &[ScanVerdict])> = vec![
        (20, true, Persona::NeverAnswer, &[ScanVerdict::Unreachable]),
        (21, false, Persona::NeverAnswer, &[ScanVerdict::Unreachable]),
        (22, true, Persona::Garbage, &[ScanVerdict::Error]),
        (
            23,
            false,
            Persona::Garbage,
            &[ScanVerdict::Error, ScanVerdict::NotExchange],
        ),
        (24, true, Persona::EndlessBody, &[ScanVerdict::NotExchange]),
        (
            25,
            false,
            Persona::EndlessChunked,
            &[ScanVerdict::NotExchange],
        ),
        (
            26,
            true,
            Persona::SlowDrip,
            &[
                ScanVerdict::Unreachable,
                ScanVerdict::Error,
                ScanVerdict::NotExchange,
                ScanVerdict::ExchangeUnknownBuild,
            ],
        ),
        (
            27,
            false,
            Persona::EndlessHeaders,
            &[ScanVerdict::Error, ScanVerdict::NotExchange],
        ),
    ];
    let cfg = config();
    let bound = cfg.target_timeout + Duration::from_millis(1500);
    let scanner = Arc::new(Scanner::new(cfg));
    let mut servers = Vec::new();
    let mut tasks = Vec::new();
    for (i, tls, persona, ok) in cases {
        let name = format!("{persona:?}/tls={tls}");
        let srv = common::spawn(lo(i), tls, persona).await;
        let t = target(&srv, if tls { Scheme::Https } else { Scheme::Http });
        servers.push(srv);
        let s = scanner.clone();
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let r = s.scan(&t).await;
            (name, ok, r, start.elapsed())
        }));
    }
    for t in tasks {
        let (name, ok, r, took) = t.await.unwrap();
        assert!(took <= bound, "{name}: took {took:?}");
        assert!(ok.contains(&r.verdict), "{name}: {r:#?}");
        assert!(r.assessment.is_none(), "{name}");
        // The body cap holds: nothing about a capped body is kept beyond evidence strings.
        let size = serde_json::to_vec(&r).unwrap().len();
        assert!(size < 16 * 1024, "{name}: result of {size} bytes");
    }
}

#[tokio::test]
async fn webshell_probes_compare_with_a_control_and_keep_hashes_only() {
    let body = b"<%@ Page Language=\"Jscript\"%>ok".to_vec();
    let srv = common::spawn(
        lo(30),
        true,
        Persona::Exchange(Box::new(Exchange {
            owa_header: Some("15.1.2176.2".into()),
            shells: vec![("/owa/auth/OutlookEN.aspx".into(), body.clone())],
            ..Default::default()
        })),
    )
    .await;
    let cfg = ScanConfig {
        probe_webshells: true,
        ..config()
    };
    let r = Scanner::new(cfg).scan(&target(&srv, Scheme::Https)).await;
    let n = exray_scan::request::WEBSHELL_FOLDERS.len() * exray_scan::request::WEBSHELL_NAMES.len();
    assert_eq!(r.webshell_probes.len(), n);
    let differing: Vec<&String> = r
        .webshell_probes
        .iter()
        .filter(|m| m["differs_from_control"] == "true")
        .map(|m| &m["path"])
        .collect();
    assert_eq!(
        differing,
        vec!["/owa/auth/OutlookEN.aspx"],
        "errorFE redirects echoing the name must not differ"
    );
    let hit = r
        .webshell_probes
        .iter()
        .find(|m| m["path"] == "/owa/auth/OutlookEN.aspx")
        .unwrap();
    assert_eq!(hit["sha256"], exray_scan::fingerprint::sha256_hex(&body));
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("Jscript"), "bodies are never kept");
    assert!(has_evidence(&r, "webshell-probe", "differently"));
    // Controls: one random name per folder, same folder, parameter-free.
    let rec = srv.recorded();
    for folder in exray_scan::request::WEBSHELL_FOLDERS {
        let controls: Vec<&str> = rec
            .iter()
            .map(|x| x.path.as_str())
            .filter(|p| {
                p.starts_with(folder)
                    && p[folder.len()..].len() == 12
                    && !p[folder.len()..].contains('/')
            })
            .filter(|p| !exray_scan::request::WEBSHELL_NAMES.contains(&&p[folder.len()..]))
            .collect();
        assert_eq!(controls.len(), 1, "{folder}: {controls:?}");
    }
    assert!(rec.iter().all(|x| !x.path.contains('?')));
}

#[tokio::test]
async fn host_header_and_sni_for_names() {
    let srv = common::spawn(lo(1), true, Persona::NotExchange).await;
    let t = Target {
        scheme: Scheme::Https,
        host: Host::Name("localhost".into()),
        port: srv.addr.port(),
    };
    let r = Scanner::new(config()).scan(&t).await;
    assert_eq!(r.hostname.as_deref(), Some("localhost"));
    let rec = srv.recorded();
    if rec.is_empty() {
        // localhost resolved to ::1 first on this machine: nothing listens there.
        println!("skipping host header check: localhost resolved elsewhere ({r:?})");
        return;
    }
    let want = format!("Host: localhost:{}", srv.addr.port());
    assert!(rec[0].head.contains(&want), "{}", rec[0].head);
    assert!(rec[0].head.contains("User-Agent: exray-scan/"));
}

#[tokio::test]
async fn ipv6_loopback_target() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        println!("skipping: no IPv6 loopback on this machine");
        return;
    }
    let srv = common::spawn(
        "::1".parse().unwrap(),
        true,
        Persona::Exchange(Box::new(Exchange {
            manifest: Some("15.2.1748.43".into()),
            ..Default::default()
        })),
    )
    .await;
    let t = target(&srv, Scheme::Https);
    assert_eq!(t.key(), format!("https://[::1]:{}", srv.addr.port()));
    let r = Scanner::new(config()).scan(&t).await;
    assert_eq!(r.verdict, ScanVerdict::Patched, "{r:#?}");
    let want = format!("Host: [::1]:{}", srv.addr.port());
    assert!(srv.recorded()[0].head.contains(&want));
}

#[tokio::test]
async fn chunked_bodies_and_connection_close() {
    let srv = common::spawn(
        lo(60),
        false,
        Persona::Exchange(Box::new(Exchange {
            logon_redirect: true,
            logon_page: Some(common::generated_logon_page(Some("15.1.2507"))),
            chunked_close: true,
            ..Default::default()
        })),
    )
    .await;
    let r = scan(&srv, Scheme::Http).await;
    assert_eq!(r.verdict, ScanVerdict::SuUnknown, "{r:#?}");
    assert!(has_evidence(
        &r,
        "body:/owa/auth/<build>/ folder",
        "15.1.2507 (3 references)"
    ));
    assert_eq!(
        srv.recorded().len(),
        3,
        "one connection per request, none lost"
    );
}

#[tokio::test]
async fn per_host_politeness_spaces_requests() {
    let srv = common::spawn(lo(61), false, Persona::NotExchange).await;
    let cfg = ScanConfig {
        host_interval: Duration::from_millis(150),
        ..config()
    };
    let start = Instant::now();
    let r = Scanner::new(cfg).scan(&target(&srv, Scheme::Http)).await;
    let took = start.elapsed();
    assert_eq!(r.verdict, ScanVerdict::NotExchange);
    // Four requests to one address: at least three gaps of 150 ms.
    assert!(took >= Duration::from_millis(450), "{took:?}");
}

#[tokio::test]
async fn global_rate_limit_holds_across_targets() {
    let servers = [
        common::spawn(lo(62), false, Persona::NotExchange).await,
        common::spawn(lo(63), false, Persona::NotExchange).await,
    ];
    let cfg = ScanConfig {
        rate: 20,
        ..config()
    };
    let scanner = Arc::new(Scanner::new(cfg));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        for srv in &servers {
            let s = scanner.clone();
            let t = target(srv, Scheme::Http);
            tasks.push(tokio::spawn(async move { s.scan(&t).await }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().verdict, ScanVerdict::NotExchange);
    }
    // 8 targets x 4 requests = 32 requests at 20/s, with a burst allowance of 0.2 s: >= 1.2 s.
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(1200), "{took:?}");
}
