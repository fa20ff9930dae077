//! Notices over SMTP with STARTTLS and implicit TLS (with AUTH) to a loopback TLS sink, and
//! exactly-once delivery of a notice whose sender crashed between claim and send.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{day, start, Srv};
use exray_core::ScanVerdict;
use exray_serve::app::SmtpTls;
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::synth::{scan_report, scan_result, test_databases, to_json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What the sink saw: delivered messages, and whether each was over TLS and authenticated.
#[derive(Default)]
struct Seen {
    messages: std::sync::Mutex<Vec<(bool, bool, String)>>,
    connections: AtomicUsize,
}

const USER: &str = "cert-relay";
const PASS: &str = "s3cret-pass";

/// A loopback SMTP sink with a self-signed certificate for 127.0.0.1. `mode`: `None` plain,
/// `Starttls` offers STARTTLS and refuses MAIL before it, `Tls` speaks TLS from the first byte.
/// It accepts AUTH PLAIN only over TLS and only with USER/PASS. Returns (port, CA PEM, seen).
async fn sink(mode: SmtpTls) -> (u16, String, Arc<Seen>) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = ck.cert.pem();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![ck.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = l.accept().await else {
                return;
            };
            seen2.connections.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let (io, tls): (Box<dyn Io>, bool) = if mode == SmtpTls::Tls {
                    match acceptor.accept(sock).await {
                        Ok(t) => (Box::new(t), true),
                        Err(_) => return,
                    }
                } else {
                    (Box::new(sock), false)
                };
                session(io, tls, mode, acceptor, &seen).await;
            });
        }
    });
    (port, pem, seen)
}

async fn session(
    io: Box<dyn Io>,
    mut tls: bool,
    mode: SmtpTls,
    acceptor: tokio_rustls::TlsAcceptor,
    seen: &Seen,
) {
    let mut r = BufReader::new(io);
    let mut authed = false;
    if r.get_mut().write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_string();
        let up = cmd.to_ascii_uppercase();
        let reply: String = if up.starts_with("EHLO") {
            let mut caps = vec!["250-sink", "250-8BITMIME"];
            if mode == SmtpTls::Starttls && !tls {
                caps.push("250-STARTTLS");
            }
            if tls {
                caps.push("250-AUTH PLAIN");
            }
            caps.push("250 SIZE 10000000");
            caps.join("\r\n") + "\r\n"
        } else if up == "STARTTLS" && mode == SmtpTls::Starttls && !tls {
            r.get_mut().write_all(b"220 go ahead\r\n").await.unwrap();
            let plain = r.into_inner();
            let Ok(t) = acceptor.accept(plain).await else {
                return;
            };
            r = BufReader::new(Box::new(t) as Box<dyn Io>);
            tls = true;
            continue;
        } else if up.starts_with("AUTH PLAIN") {
            let b64 = cmd.split_whitespace().nth(2).unwrap_or_default();
            let want = base64_plain(USER, PASS);
            if tls && b64 == want {
                authed = true;
                "235 ok\r\n".into()
            } else {
                "535 no\r\n".into()
            }
        } else if up.starts_with("MAIL") {
            if mode != SmtpTls::None && !tls {
                "530 must issue STARTTLS first\r\n".into()
            } else {
                "250 ok\r\n".into()
            }
        } else if up == "DATA" {
            r.get_mut().write_all(b"354 go\r\n").await.unwrap();
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(&line);
            }
            seen.messages.lock().unwrap().push((tls, authed, data));
            "250 queued\r\n".into()
        } else if up == "QUIT" {
            let _ = r.get_mut().write_all(b"221 bye\r\n").await;
            return;
        } else {
            "250 ok\r\n".into()
        };
        if r.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `AUTH PLAIN` argument: base64 of `\0user\0pass` (a tiny encoder, test only).
fn base64_plain(user: &str, pass: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let raw = format!("\0{user}\0{pass}").into_bytes();
    let mut out = String::new();
    for c in raw.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An organisation with a contact and one vulnerable host, and a queued notice for it.
async fn one_notice(s: &Srv) {
    let st = &s.store;
    let org = st
        .create_org(
            "t",
            &NewOrg {
                name: "Waterschap".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    st.add_network(
        "t",
        org.id,
        &NewNetwork {
            kind: "cidr".into(),
            value: "192.0.2.0/24".into(),
        },
    )
    .await
    .unwrap();
    st.add_contact(
        "t",
        org.id,
        &NewContact {
            name: "SOC".into(),
            email: "soc@waterschap.example".into(),
        },
    )
    .await
    .unwrap();
    let r = scan_report(
        vec![scan_result(
            "192.0.2.5",
            None,
            ScanVerdict::Vulnerable,
            day(0),
        )],
        day(0),
    );
    let (code, t) = s
        .req(
            "POST",
            "/api/v1/reports",
            Some(common::ADMIN_SECRET),
            Some(to_json(&r)),
        )
        .await;
    assert_eq!(code, 201, "{t}");
    let q = st
        .queue_notifications(
            &common::admin(),
            &exray_store::notify::NoticeSettings {
                sender: "CERT".into(),
                base_url: s.base.clone(),
                renotify_secs: 86400,
            },
        )
        .await
        .unwrap();
    assert_eq!(q.notifications, 1);
}

async fn deliver(s: &Srv) -> serde_json::Value {
    let (st, v) = s
        .json(
            "POST",
            "/api/v1/notifications/deliver",
            common::ADMIN_SECRET,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_go_over_starttls_and_implicit_tls_with_credentials() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [SmtpTls::Starttls, SmtpTls::Tls] {
        let (port, pem, seen) = sink(mode).await;
        let ca = dir.path().join(format!("ca-{mode:?}.pem"));
        std::fs::write(&ca, &pem).unwrap();
        let db = dir.path().join(format!("tls-{mode:?}.db"));
        let s = start(&db.to_string_lossy(), |c| {
            c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
            c.delivery.smtp_tls = mode;
            c.delivery.smtp_ca_file = Some(ca.clone());
            c.delivery.smtp_credentials = Some((USER.into(), PASS.into()));
            c.sender_email = "cert@cert.example".into();
        })
        .await;
        one_notice(&s).await;
        let v = deliver(&s).await;
        assert_eq!(v["sent"], 1, "{mode:?}: {v}");
        let m = seen.messages.lock().unwrap();
        assert_eq!(m.len(), 1);
        assert!(m[0].0 && m[0].1, "{mode:?}: over TLS and authenticated");
        assert!(m[0].2.contains("192.0.2.5"));
    }
    // Wrong credentials or an untrusted certificate: not sent, the notice stays queued.
    let (port, _pem, seen) = sink(SmtpTls::Tls).await;
    let db = dir.path().join("untrusted.db");
    let s = start(&db.to_string_lossy(), |c| {
        c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
        c.delivery.smtp_tls = SmtpTls::Tls;
        c.delivery.smtp_credentials = Some((USER.into(), PASS.into()));
    })
    .await;
    one_notice(&s).await;
    let v = deliver(&s).await;
    assert_eq!(
        (v["sent"].as_u64(), v["failed"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(seen.messages.lock().unwrap().is_empty());
    let (port, pem, seen) = sink(SmtpTls::Starttls).await;
    let ca = dir.path().join("ca-wrongpass.pem");
    std::fs::write(&ca, &pem).unwrap();
    let db = dir.path().join("wrongpass.db");
    let s = start(&db.to_string_lossy(), |c| {
        c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
        c.delivery.smtp_tls = SmtpTls::Starttls;
        c.delivery.smtp_ca_file = Some(ca.clone());
        c.delivery.smtp_credentials = Some((USER.into(), "wrong".into()));
    })
    .await;
    one_notice(&s).await;
    let v = deliver(&s).await;
    assert_eq!(v["failed"], 1, "{v}");
    assert!(seen.messages.lock().unwrap().is_empty());
}

/// Issue 11, item 9: a worker claims a notice and dies before sending. After the lease, the
/// next delivery round sends it, exactly once, and later rounds do not send it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_claimed_by_a_crashed_sender_is_delivered_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    for (i, db) in test_databases(dir.path(), "lease")
        .await
        .into_iter()
        .enumerate()
    {
        let (port, _pem, seen) = sink(SmtpTls::None).await;
        let _ = i;
        let s = start(&db, |c| {
            c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
            c.notice_lease_secs = 2;
        })
        .await;
        one_notice(&s).await;
        // The crash: claimed (queued → sending), never sent, never marked.
        let n = s.store.queued_notifications(10).await.unwrap()[0].id;
        assert!(s.store.claim_notification(n).await.unwrap());
        drop(s);
        // "Restart": a new server over the same database.
        let s = start(&db, |c| {
            c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
            c.notice_lease_secs = 2;
        })
        .await;
        let v = deliver(&s).await;
        assert_eq!(v["sent"], 0, "within the lease the claim stands: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
        let v = deliver(&s).await;
        assert_eq!(v["sent"], 1, "{v}");
        let v = deliver(&s).await;
        assert_eq!(v["sent"], 0, "{v}");
        assert_eq!(seen.messages.lock().unwrap().len(), 1, "exactly once");
        let row = s.store.get_notification(&common::admin(), n).await.unwrap();
        assert_eq!(row.status, "sent");
    }
}
