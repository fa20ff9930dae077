//! API tests on SQLite and (when EXRAY_TEST_POSTGRES_URL is set) PostgreSQL: ingest semantics,
//! the authorization matrix (every role × every endpoint), CSRF, hostile payloads rendered inert,
//! notices to a loopback SMTP sink and `.eml`, and the OpenAPI document's coverage.

mod common;

use common::{admin, day, hostile_world, start, Srv, ADMIN_SECRET, PAYLOADS};
use exray_core::ScanVerdict;
use exray_serve::app::API_ROUTES;
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::synth::{scan_report, scan_result, test_databases, to_json};
use exray_store::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_over_http_is_idempotent_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "apiingest").await {
        let s = start(&db, |_| {}).await;
        let r = scan_report(
            vec![scan_result(
                "192.0.2.10",
                None,
                ScanVerdict::Vulnerable,
                day(0),
            )],
            day(0),
        );
        let body = to_json(&r);
        let (st, t) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, 201, "{t}");
        let (st, t) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, 200, "{t}");
        assert!(t.contains("\"duplicate\":true"));
        let mut changed = r.clone();
        changed.scope = "other".into();
        let (st, _) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(to_json(&changed)),
            )
            .await;
        assert_eq!(st, 409);
        let (st, t) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(b"{\"schema\":\n\"exray.report/v1\",\n x".to_vec()),
            )
            .await;
        assert_eq!(st, 400);
        assert!(t.contains("line 3"), "{t}");
        let (st, _) = s
            .req("POST", "/api/v1/reports", None, Some(body.clone()))
            .await;
        assert_eq!(st, 401);
        let (st, _) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some("exr_not_a_token"),
                Some(body),
            )
            .await;
        assert_eq!(st, 401);
        let (st, v) = s
            .json(
                "GET",
                "/api/v1/hosts?q=192.0.2.10",
                ADMIN_SECRET,
                json!(null),
            )
            .await;
        assert_eq!(st, 200);
        assert_eq!(v["hosts"][0]["state"], "vulnerable");
        assert_eq!(s.store.count("reports").await.unwrap(), 1);
    }
}

/// Objects of organisation A that the matrix requests point at, created fresh per request so
/// that destructive calls never disturb the next one.
struct World {
    org_a: i64,
    host_a: i64,
    member_a: String,
    member_b: String,
    analyst: String,
}

async fn world(s: &Srv) -> World {
    let st = &s.store;
    let a = st
        .create_org(
            "t",
            &NewOrg {
                name: "OrgA-secret-marker".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let b = st
        .create_org(
            "t",
            &NewOrg {
                name: "OrgB".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    st.add_network(
        "t",
        a.id,
        &NewNetwork {
            kind: "cidr".into(),
            value: "198.51.100.0/24".into(),
        },
    )
    .await
    .unwrap();
    st.add_network(
        "t",
        b.id,
        &NewNetwork {
            kind: "cidr".into(),
            value: "203.0.113.0/24".into(),
        },
    )
    .await
    .unwrap();
    st.ingest(
        &admin(),
        &to_json(&scan_report(
            vec![scan_result(
                "198.51.100.5",
                None,
                ScanVerdict::Vulnerable,
                day(0),
            )],
            day(0),
        )),
    )
    .await
    .unwrap();
    let host_a = st
        .list_hosts(&admin(), &Default::default(), Default::default())
        .await
        .unwrap()[0]
        .id;
    let (_, member_a) = st
        .create_token("t", "member-a", Role::OrgMember, Some(a.id))
        .await
        .unwrap();
    let (_, member_b) = st
        .create_token("t", "member-b", Role::OrgMember, Some(b.id))
        .await
        .unwrap();
    let (_, analyst) = st
        .create_token("t", "analyst", Role::Analyst, None)
        .await
        .unwrap();
    World {
        org_a: a.id,
        host_a,
        member_a,
        member_b,
        analyst,
    }
}

/// A notification of org A in the given status; returns its id.
async fn notice(s: &Srv, w: &World, sent: bool) -> i64 {
    let st = &s.store;
    let email = format!("c{}@orga.example", uuid::Uuid::new_v4().simple());
    st.add_contact(
        "t",
        w.org_a,
        &NewContact {
            name: String::new(),
            email,
        },
    )
    .await
    .unwrap();
    let settings = exray_store::notify::NoticeSettings {
        sender: "T".into(),
        base_url: s.base.clone(),
        renotify_secs: 86400,
    };
    st.queue_notifications(&admin(), &settings).await.unwrap();
    let id = st
        .queued_notifications(1000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    if sent {
        assert!(st.claim_notification(id).await.unwrap());
        st.mark_sent("t", id, "test").await.unwrap();
    }
    id
}

/// (path to request, body) for one route, with fresh objects where the call destroys or
/// changes state.
async fn instantiate(
    s: &Srv,
    w: &World,
    method: &str,
    route: &str,
) -> (String, Option<serde_json::Value>) {
    let st = &s.store;
    let uniq = uuid::Uuid::new_v4().simple().to_string();
    match (method, route) {
        ("POST", "/api/v1/reports") => {
            let r = scan_report(vec![scan_result("198.51.100.9", None, ScanVerdict::Patched, day(1))], day(1));
            (route.into(), Some(serde_json::to_value(&r).unwrap()))
        }
        ("POST", "/api/v1/orgs") => (route.into(), Some(json!({ "name": format!("new-{uniq}") }))),
        ("PUT", "/api/v1/orgs/{id}") => {
            (format!("/api/v1/orgs/{}", w.org_a), Some(json!({ "name": "OrgA-secret-marker", "sector": "water", "tlp": "amber" })))
        }
        ("DELETE", "/api/v1/orgs/{id}") => {
            let o = st.create_org("t", &NewOrg { name: format!("doomed-{uniq}"), ..Default::default() }).await.unwrap();
            // Owned by nobody's member token: members get 403 (not admin) regardless.
            (format!("/api/v1/orgs/{}", o.id), None)
        }
        ("POST", "/api/v1/orgs/{id}/networks") => (
            format!("/api/v1/orgs/{}/networks", w.org_a),
            Some(json!({ "kind": "domain", "value": format!("d{uniq}.orga.example") })),
        ),
        ("DELETE", "/api/v1/networks/{id}") => {
            let n = st
                .add_network("t", w.org_a, &NewNetwork { kind: "domain".into(), value: format!("x{uniq}.orga.example") })
                .await
                .unwrap();
            (format!("/api/v1/networks/{}", n.id), None)
        }
        ("POST", "/api/v1/orgs/{id}/contacts") => {
            (format!("/api/v1/orgs/{}/contacts", w.org_a), Some(json!({ "email": format!("{uniq}@orga.example") })))
        }
        ("DELETE", "/api/v1/contacts/{id}") => {
            let c = st.add_contact("t", w.org_a, &NewContact { name: String::new(), email: format!("{uniq}@orga.example") }).await.unwrap();
            (format!("/api/v1/contacts/{}", c.id), None)
        }
        ("GET", "/api/v1/orgs/{id}") => (format!("/api/v1/orgs/{}", w.org_a), None),
        ("GET", "/api/v1/orgs/{id}/verify") => (format!("/api/v1/orgs/{}/verify", w.org_a), None),
        ("PUT", "/api/v1/orgs/{id}/verify") => {
            (format!("/api/v1/orgs/{}/verify", w.org_a), Some(json!({ "opt_out": false })))
        }
        ("GET", "/api/v1/hosts/{id}") => (format!("/api/v1/hosts/{}", w.host_a), None),
        ("GET", "/api/v1/orgs/{id}/export") => (format!("/api/v1/orgs/{}/export?format=csv", w.org_a), None),
        ("GET", "/api/v1/hosts/{id}/export") => (format!("/api/v1/hosts/{}/export?format=stix", w.host_a), None),
        ("GET", "/api/v1/notifications/{id}") => (format!("/api/v1/notifications/{}", notice(s, w, false).await), None),
        ("POST", "/api/v1/notifications/{id}/ack") => {
            (format!("/api/v1/notifications/{}/ack", notice(s, w, true).await), None)
        }
        ("POST", "/api/v1/notifications/{id}/bounce") => {
            (format!("/api/v1/notifications/{}/bounce", notice(s, w, true).await), None)
        }
        ("GET" | "PUT", "/api/v1/templates/{name}") => (
            "/api/v1/templates/default".into(),
            (method == "PUT").then(|| json!({ "subject": "s {{org}}", "body": "{{hosts}}", "host_block": "{{host}}\n" })),
        ),
        ("POST", "/api/v1/tokens") => (route.into(), Some(json!({ "name": format!("t{uniq}"), "role": "analyst" }))),
        ("DELETE", "/api/v1/tokens/{id}") => {
            let (t, _) = st.create_token("t", &format!("victim-{uniq}"), Role::Analyst, None).await.unwrap();
            (format!("/api/v1/tokens/{}", t.id), None)
        }
        // One JSON-lines row (a JSON object is a valid JSONL body).
        ("POST", "/api/v1/import") => (
            "/api/v1/import?format=jsonl&name=matrix".into(),
            Some(json!({ "ip": "198.51.100.77", "port": 443, "timestamp": "2021-03-10T00:00:00Z", "version": "15.1.2176.2" })),
        ),
        // An empty table (no body) is a valid table of no ranges.
        ("PUT", "/api/v1/asn-table") => (route.into(), None),
        (_, r) if r.contains('{') => panic!("no fixture for {method} {route}"),
        _ => (route.into(), (method != "GET").then(|| json!({}))),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Admin,
    Analyst,
    MemberA,
    MemberB,
}

/// The policy, written independently of the handlers: the expected status class.
fn expected(who: Who, method: &str, route: &str) -> u16 {
    use Who::*;
    if route == "/api/v1/openapi.json" {
        return 200;
    }
    if who == Anonymous {
        return 401;
    }
    let ok = match (method, route) {
        ("POST", "/api/v1/reports" | "/api/v1/import") => 201,
        (
            "POST",
            "/api/v1/orgs"
            | "/api/v1/orgs/{id}/networks"
            | "/api/v1/orgs/{id}/contacts"
            | "/api/v1/tokens",
        ) => 201,
        _ => 200,
    };
    let admin_only = matches!(
        (method, route),
        ("POST", "/api/v1/orgs")
            | ("PUT" | "DELETE", "/api/v1/orgs/{id}")
            | ("PUT", "/api/v1/orgs/{id}/verify")
            | (
                "POST",
                "/api/v1/orgs/{id}/networks" | "/api/v1/orgs/{id}/contacts"
            )
            | (
                "DELETE",
                "/api/v1/networks/{id}" | "/api/v1/contacts/{id}" | "/api/v1/tokens/{id}"
            )
            | ("PUT", "/api/v1/templates/{name}")
            | ("GET" | "POST", "/api/v1/tokens")
            | ("GET", "/api/v1/audit")
            | ("PUT", "/api/v1/asn-table")
    );
    let staff_only = matches!(
        (method, route),
        ("GET", "/api/v1/trend" | "/api/v1/templates/{name}")
            | (
                "POST",
                "/api/v1/notifications/queue"
                    | "/api/v1/notifications/deliver"
                    | "/api/v1/notifications/{id}/bounce"
            )
    );
    let org_a_object = matches!(
        (method, route),
        (
            "GET",
            "/api/v1/orgs/{id}"
                | "/api/v1/orgs/{id}/verify"
                | "/api/v1/hosts/{id}"
                | "/api/v1/notifications/{id}"
                | "/api/v1/orgs/{id}/export"
                | "/api/v1/hosts/{id}/export"
        ) | ("POST", "/api/v1/notifications/{id}/ack")
    );
    match who {
        Admin => ok,
        Analyst if admin_only => 403,
        Analyst => ok,
        MemberA | MemberB if admin_only || staff_only => 403,
        MemberB if org_a_object => 404,
        _ => ok,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix_every_role_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "matrix").await {
        let s = start(&db, |_| {}).await;
        let w = world(&s).await;
        let mut failures = Vec::new();
        let mut checked = 0;
        for who in [
            Who::Anonymous,
            Who::Admin,
            Who::Analyst,
            Who::MemberA,
            Who::MemberB,
        ] {
            let token = match who {
                Who::Anonymous => None,
                Who::Admin => Some(ADMIN_SECRET.to_string()),
                Who::Analyst => Some(w.analyst.clone()),
                Who::MemberA => Some(w.member_a.clone()),
                Who::MemberB => Some(w.member_b.clone()),
            };
            for (method, route) in API_ROUTES {
                let (path, body) = instantiate(&s, &w, method, route).await;
                let (status, text) = s
                    .req(
                        method,
                        &path,
                        token.as_deref(),
                        body.map(|b| b.to_string().into_bytes()),
                    )
                    .await;
                let want = expected(who, method, route);
                checked += 1;
                if status != want {
                    failures.push(format!(
                        "{who:?} {method} {path}: got {status}, want {want}: {text}"
                    ));
                }
                // Lists seen by organisation B's member never carry organisation A's data.
                if who == Who::MemberB && *method == "GET" && status == 200 {
                    assert!(
                        !text.contains("OrgA-secret-marker") && !text.contains("198.51.100.5"),
                        "{route} leaks: {text}"
                    );
                }
            }
        }
        assert_eq!(checked, 5 * API_ROUTES.len());
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // Every change above is in the audit log.
        let audit = s
            .store
            .list_audit(&admin(), exray_store::Page::new(Some(500), None))
            .await
            .unwrap();
        for action in [
            "org.create",
            "org.update",
            "org.delete",
            "network.create",
            "network.delete",
            "contact.create",
            "contact.delete",
            "token.create",
            "token.revoke",
            "template.update",
            "notification.acknowledged",
            "notification.bounced",
            "report.ingest",
            "asn_table.import",
            "org.tlp",
            "export",
        ] {
            assert!(
                audit.iter().any(|a| a.action == action),
                "no audit entry for {action}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_route() {
    let doc: serde_json::Value =
        serde_json::from_str(exray_serve::api::OPENAPI).expect("openapi.json parses");
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    let paths = doc["paths"].as_object().unwrap();
    for (method, route) in API_ROUTES {
        let op = &paths
            .get(*route)
            .unwrap_or_else(|| panic!("{route} undocumented"))[method.to_lowercase()];
        assert!(op.is_object(), "{method} {route} undocumented");
        assert!(
            op["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Roles:"),
            "{method} {route} has no roles"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        API_ROUTES.len(),
        "the document lists routes the service does not have"
    );
    // And the service serves it.
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("o.db").to_string_lossy(), |_| {}).await;
    let (st, t) = s.req("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(st, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&t).unwrap(), doc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_require_csrf_and_login_requires_its_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("c.db").to_string_lossy(), |_| {}).await;
    let o = s
        .store
        .create_org(
            "t",
            &NewOrg {
                name: "C".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (cookie, csrf) = s.session(ADMIN_SECRET).await;
    assert!(csrf.len() >= 32);
    let path = format!("/orgs/{}/networks", o.id);
    assert_eq!(
        s.form(
            &cookie,
            &path,
            &[("kind", "cidr"), ("value", "192.0.2.0/24")]
        )
        .await,
        422,
        "missing field"
    );
    assert_eq!(
        s.form(
            &cookie,
            &path,
            &[
                ("csrf", "forged"),
                ("kind", "cidr"),
                ("value", "192.0.2.0/24")
            ]
        )
        .await,
        403
    );
    assert!(s.store.list_networks(o.id).await.unwrap().is_empty());
    assert_eq!(
        s.form(
            &cookie,
            &path,
            &[("csrf", &csrf), ("kind", "cidr"), ("value", "192.0.2.0/24")]
        )
        .await,
        303
    );
    assert_eq!(s.store.list_networks(o.id).await.unwrap().len(), 1);
    // Without a session: to the login page.
    let (st, _) = s.page("", "/hosts").await;
    assert_eq!(st, 303);
    // Login CSRF: a token POST without the form's cookie is refused.
    assert_eq!(
        s.form("", "/login", &[("csrf", "x"), ("token", ADMIN_SECRET)])
            .await,
        403
    );
    // A login link works once.
    let (_, v) = s
        .json("POST", "/api/v1/login-link", ADMIN_SECRET, json!({}))
        .await;
    let url = v["url"].as_str().unwrap();
    assert_eq!(s.http.get(url).send().await.unwrap().status().as_u16(), 303);
    assert_eq!(s.http.get(url).send().await.unwrap().status().as_u16(), 401);
    // Security headers.
    let res = s
        .http
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_payloads_render_inert_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "xss").await {
        let s = start(&db, |_| {}).await;
        let host = hostile_world(&s).await;
        let (cookie, _) = s.session(ADMIN_SECRET).await;
        let org = s
            .store
            .list_orgs(&admin(), None, Default::default())
            .await
            .unwrap()[0]
            .id;
        let pages = [
            "/".to_string(),
            "/orgs".into(),
            format!("/orgs/{org}"),
            "/hosts".into(),
            format!("/hosts/{host}"),
            "/findings".into(),
            "/notifications".into(),
            "/hosts?q=%3Cscript%3E".into(),
        ];
        for p in &pages {
            let (st, html) = s.page(&cookie, p).await;
            assert_eq!(st, 200, "{p}: {html}");
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{p}: a script element");
            assert!(!lower.contains("<img"), "{p}: an img element");
            assert!(!lower.contains("<svg onload"), "{p}: an svg handler");
            assert!(
                !html.contains("onerror=\"document"),
                "{p}: unescaped attribute"
            );
        }
        // The payloads are there, as text.
        let (_, html) = s.page(&cookie, &format!("/hosts/{host}")).await;
        let (_, all) = s.page(&cookie, "/findings").await;
        assert!(
            all.contains("&lt;script&gt;document.body.setAttribute")
                || html.contains("&lt;script&gt;")
        );
        assert!(all.contains("DROP TABLE hosts"));
        // SQL payloads did nothing: every table is intact.
        assert_eq!(
            s.store.count("reports").await.unwrap(),
            2 * PAYLOADS.len() as i64
        );
        assert!(s.store.count("hosts").await.unwrap() >= PAYLOADS.len() as i64);
        // Template placeholders inside data were not expanded.
        let n = &s.store.queued_notifications(10).await.unwrap()[0];
        assert!(n.body.contains("{{org}} {{hosts}}"), "{}", n.body);
    }
}

/// A minimal SMTP sink on loopback: accepts every message and hands its DATA to the test.
async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = l.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if cmd == "DATA" {
                        w.write_all(b"354 go\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" || line == ".\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        tx.send(data).unwrap();
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_go_to_smtp_and_eml_once_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    for (i, db) in test_databases(dir.path(), "smtp")
        .await
        .into_iter()
        .enumerate()
    {
        let (port, mut rx) = smtp_sink().await;
        let eml = dir.path().join(format!("eml{i}"));
        let eml2 = eml.clone();
        let s = start(&db, move |c| {
            c.delivery.smtp_relay = Some(format!("127.0.0.1:{port}"));
            c.delivery.eml_dir = Some(eml2);
            c.sender_email = "cert@cert.example".into();
        })
        .await;
        let org = s
            .store
            .create_org(
                "t",
                &NewOrg {
                    name: "Waterschap".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        s.store
            .add_network(
                "t",
                org.id,
                &NewNetwork {
                    kind: "cidr".into(),
                    value: "192.0.2.0/24".into(),
                },
            )
            .await
            .unwrap();
        s.store
            .add_contact(
                "t",
                org.id,
                &NewContact {
                    name: "IT".into(),
                    email: "it@waterschap.example".into(),
                },
            )
            .await
            .unwrap();
        s.store
            .add_contact(
                "t",
                org.id,
                &NewContact {
                    name: "CISO".into(),
                    email: "ciso@waterschap.example".into(),
                },
            )
            .await
            .unwrap();
        let r = scan_report(
            vec![
                scan_result("192.0.2.7", None, ScanVerdict::Vulnerable, day(0)),
                scan_result("192.0.2.8", None, ScanVerdict::Vulnerable, day(0)),
            ],
            day(0),
        );
        s.req(
            "POST",
            "/api/v1/reports",
            Some(ADMIN_SECRET),
            Some(to_json(&r)),
        )
        .await;
        let (st, v) = s
            .json(
                "POST",
                "/api/v1/notifications/queue",
                ADMIN_SECRET,
                json!({}),
            )
            .await;
        assert_eq!(
            (st, v["notifications"].as_u64(), v["host_items"].as_u64()),
            (200, Some(2), Some(4)),
            "grouped per contact"
        );
        let (st, v) = s
            .json(
                "POST",
                "/api/v1/notifications/deliver",
                ADMIN_SECRET,
                json!({}),
            )
            .await;
        assert_eq!(
            (st, v["sent"].as_u64(), v["failed"].as_u64()),
            (200, Some(2), Some(0)),
            "{v}"
        );
        // Quoted-printable: undo the soft line breaks.
        let unqp = |m: String| m.replace("=\r\n", "").replace("=\n", "");
        let mut got = vec![
            unqp(rx.recv().await.unwrap()),
            unqp(rx.recv().await.unwrap()),
        ];
        got.sort();
        for m in &got {
            assert!(
                m.contains("192.0.2.7") && m.contains("192.0.2.8") && m.contains("KB5019758"),
                "{m}"
            );
            assert!(m.contains("From: exray <cert@cert.example>"), "{m}");
        }
        assert_eq!(
            std::fs::read_dir(&eml)
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "eml"))
                .count(),
            2
        );
        // Hosts moved to notified, caused by the notice.
        let (_, v) = s
            .json(
                "GET",
                "/api/v1/hosts?state=notified",
                ADMIN_SECRET,
                json!(null),
            )
            .await;
        assert_eq!(v["hosts"].as_array().unwrap().len(), 2);
        // Not again within the interval.
        let (_, v) = s
            .json(
                "POST",
                "/api/v1/notifications/queue",
                ADMIN_SECRET,
                json!({}),
            )
            .await;
        assert_eq!(
            (v["notifications"].as_u64(), v["deduplicated"].as_u64()),
            (Some(0), Some(4))
        );
        // The owner acknowledges with its own token.
        let (_, member) = s
            .store
            .create_token("t", "ws", Role::OrgMember, Some(org.id))
            .await
            .unwrap();
        let (_, v) = s
            .json("GET", "/api/v1/notifications", &member, json!(null))
            .await;
        let id = v["notifications"][0]["id"].as_i64().unwrap();
        let (st, _) = s
            .json(
                "POST",
                &format!("/api/v1/notifications/{id}/ack"),
                &member,
                json!({}),
            )
            .await;
        assert_eq!(st, 200);
        let (st, _) = s
            .json(
                "POST",
                &format!("/api/v1/notifications/{id}/ack"),
                &member,
                json!({}),
            )
            .await;
        assert_eq!(st, 409, "acknowledged once");
    }
}

#[test]
fn upload_retries_then_succeeds_and_stops_on_refusal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = rt.block_on(start(&dir.path().join("u.db").to_string_lossy(), |_| {}));
    let r = scan_report(
        vec![scan_result(
            "192.0.2.77",
            None,
            ScanVerdict::Vulnerable,
            day(0),
        )],
        day(0),
    );
    let body = to_json(&r);
    exray_serve::upload_report(&s.base, ADMIN_SECRET, &body).unwrap();
    // A retry of the same report is safe.
    exray_serve::upload_report(&format!("{}/api/v1/reports", s.base), ADMIN_SECRET, &body).unwrap();
    assert_eq!(rt.block_on(s.store.count("reports")).unwrap(), 1);
    let e = exray_serve::upload::upload_report_with(
        &s.base,
        "bad-token",
        &body,
        3,
        std::time::Duration::from_millis(10),
    )
    .unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    // Nothing listening: retried, then a clear error.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let e = exray_serve::upload::upload_report_with(
        &dead,
        ADMIN_SECRET,
        &body,
        2,
        std::time::Duration::from_millis(10),
    )
    .unwrap_err();
    assert!(e.to_string().contains("after 2 attempt"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_instances_over_one_postgres_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let dbs = test_databases(dir.path(), "multi").await;
    let Some(pg) = dbs.iter().find(|d| d.starts_with("postgres")) else {
        println!("skipping: EXRAY_TEST_POSTGRES_URL unset");
        return;
    };
    let a = start(pg, |_| {}).await;
    let b = start(pg, |_| {}).await;
    let mut tasks = Vec::new();
    for client in 0..6usize {
        let base = if client % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 0..15usize {
                // Every client scans the same 40 addresses on different days: maximal overlap.
                let verdict = if (n + client) % 3 == 0 {
                    ScanVerdict::Patched
                } else {
                    ScanVerdict::Vulnerable
                };
                let results = (0..40)
                    .map(|k| {
                        scan_result(
                            &format!("192.0.2.{k}"),
                            None,
                            verdict,
                            day((n * 6 + client) as i64),
                        )
                    })
                    .collect();
                let r = scan_report(results, day((n * 6 + client) as i64));
                let res = http
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(ADMIN_SECRET)
                    .body(to_json(&r))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        a.store.count("hosts").await.unwrap(),
        40,
        "no duplicate hosts across instances"
    );
    assert_eq!(a.store.count("reports").await.unwrap(), 90);
    let f = b.store.funnel(&admin(), None).await.unwrap();
    assert_eq!(
        f.hosts, 40,
        "maintained counters agree with the rows: {f:?}"
    );
    assert_eq!(f.stages[0].reached, 40);
    // Every transition was recorded once per state change, and the current state of each host is
    // the target of its last transition.
    for h in a
        .store
        .list_hosts(
            &admin(),
            &Default::default(),
            exray_store::Page::new(Some(100), None),
        )
        .await
        .unwrap()
    {
        let d = a.store.host_detail(&admin(), h.id).await.unwrap();
        assert_eq!(d.transitions.last().unwrap().to_state, h.state);
        assert_eq!(
            d.observations.len(),
            60,
            "90 observations per host, the detail shows the latest 60"
        );
    }
}

/// `POST /api/v1/import` goes through the ingest gate: organisation B's member importing a
/// Shadowserver report that names A's, B's and nobody's addresses writes only B's hosts (and
/// the unclaimed one, which becomes B's as with an upload), never A's, and its answer has no
/// ingest counters; an analyst's import of the same rows reaches A's host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_endpoint_confines_members_to_their_organisation() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases(dir.path(), "import").await {
        let s = start(&db, |_| {}).await;
        let w = world(&s).await;
        let csv = "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"version\"\n\
            \"2021-03-10 01:00:00\",\"198.51.100.5\",443,,\"cve-2021-26855\",\"15.1.2176.9\"\n\
            \"2021-03-10 01:00:00\",\"198.51.100.6\",443,,\"cve-2021-26855\",\"15.1.2176.2\"\n\
            \"2021-03-10 01:00:00\",\"203.0.113.9\",443,,\"cve-2021-26855\",\"15.1.2176.2\"\n\
            \"2021-03-10 01:00:00\",\"192.0.2.44\",443,,\"cve-2021-26855\",\"15.1.2176.2\"\n\
            \"2021-03-10 01:00:00\",\"not-an-ip\",443,,\"cve-2021-26855\",\"15.1.2176.2\"\n";
        let (st, text) = s
            .req(
                "POST",
                "/api/v1/import?format=shadowserver&name=feed.csv",
                Some(&w.member_b),
                Some(csv.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(st, 201, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["import"]["rows"], 5);
        assert_eq!(v["import"]["rejected"], 1);
        assert_eq!(v["import"]["reasons"]["bad_ip"], 1);
        assert!(
            v.get("ingest").is_none(),
            "no ingest counters for a member: {v}"
        );
        let hosts = s
            .store
            .list_hosts(&admin(), &Default::default(), exray_store::Page::default())
            .await
            .unwrap();
        let find = |ip: &str| hosts.iter().find(|h| h.ip.as_deref() == Some(ip)).cloned();
        let a5 = find("198.51.100.5").unwrap();
        assert_eq!(a5.id, w.host_a);
        assert_ne!(
            a5.build.as_deref(),
            Some("15.1.2176.9"),
            "A's host untouched"
        );
        assert!(
            find("198.51.100.6").is_none(),
            "no host created in A's network"
        );
        let b9 = find("203.0.113.9").unwrap();
        let b_org = b9.org_id;
        assert!(b_org.is_some() && b_org != a5.org_id);
        assert_eq!(find("192.0.2.44").unwrap().org_id, b_org);
        // Staff import the same rows (another name: other reports) and reach A's hosts.
        let (st, text) = s
            .req(
                "POST",
                "/api/v1/import?format=shadowserver&name=feed-staff.csv",
                Some(&w.analyst),
                Some(csv.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(st, 201, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ingest"]["attributed"], 4, "{v}");
        let hosts = s
            .store
            .list_hosts(&admin(), &Default::default(), exray_store::Page::default())
            .await
            .unwrap();
        let a5 = hosts.iter().find(|h| h.id == w.host_a).unwrap();
        assert_eq!(a5.build.as_deref(), Some("15.1.2176.9"));
        // A feed that is not one: 400 with the reason.
        let (st, text) = s
            .req(
                "POST",
                "/api/v1/import?format=shadowserver",
                Some(&w.analyst),
                Some(b"a,b\n1,2\n".to_vec()),
            )
            .await;
        assert_eq!(st, 400, "{text}");
        assert!(text.contains("no column"), "{text}");
    }
}
