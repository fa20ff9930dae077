//! Shared harness: an in-process server on a loopback port over a given database.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use exray_core::{ScanVerdict, Stage, Verdict};
use exray_serve::app::{router, AppState, Config};
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::synth::{finding, hunt_report, scan_report, scan_result, to_json};
use exray_store::{Principal, Role, Store};

pub fn day(d: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 1, 6, 0, 0).unwrap() + Duration::days(d)
}

pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789";

pub struct Srv {
    pub base: String,
    pub store: Arc<Store>,
    pub http: reqwest::Client,
}

pub fn admin() -> Principal {
    Principal {
        token_id: 0,
        name: "harness".into(),
        role: Role::Admin,
        org_id: None,
    }
}

pub async fn start(db: &str, tweak: impl FnOnce(&mut Config)) -> Srv {
    let store = Store::open(db)
        .await
        .unwrap_or_else(|e| panic!("open {db}: {e}"));
    store.ensure_bootstrap_token(ADMIN_SECRET).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut cfg = Config {
        base_url: format!("http://{addr}"),
        ..Config::default()
    };
    tweak(&mut cfg);
    let st = AppState::new(Arc::new(store), cfg);
    let store = st.store.clone();
    let limits = st.cfg.limits;
    tokio::spawn(exray_serve::listen::serve(
        listener,
        router(st),
        limits,
        std::future::pending(),
    ));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Srv {
        base: format!("http://{addr}"),
        store,
        http,
    }
}

impl Srv {
    pub async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (u16, String) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let (s, t) = self
            .req(
                method,
                path,
                Some(token),
                Some(body.to_string().into_bytes()),
            )
            .await;
        (
            s,
            serde_json::from_str(&t).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A dashboard session for `token`: (cookie header value, csrf token scraped from a page).
    pub async fn session(&self, token: &str) -> (String, String) {
        let (s, v) = self
            .json("POST", "/api/v1/login-link", token, serde_json::json!({}))
            .await;
        assert_eq!(s, 200, "{v}");
        let url = v["url"].as_str().unwrap().to_string();
        let res = self.http.get(&url).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("exray_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let page = self.page(&cookie, "/notifications").await.1;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_string();
        (cookie, csrf)
    }

    pub async fn page(&self, cookie: &str, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let s = res.status().as_u16();
        (s, res.text().await.unwrap())
    }

    pub async fn form(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    }
}

pub const PAYLOADS: &[&str] = &[
    "<script>document.body.setAttribute('data-pwned','1')</script>",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
    "</pre></td></table><svg onload=alert(1)>",
    "'; DROP TABLE hosts; --",
    "Robert'); DELETE FROM reports; --",
    "{{org}} {{hosts}}",
];

/// Ingest reports whose every string is hostile; returns the id of a host carrying them.
pub async fn hostile_world(s: &Srv) -> i64 {
    let st = &s.store;
    let org = st
        .create_org(
            "t",
            &NewOrg {
                name: PAYLOADS[0].into(),
                sector: PAYLOADS[1].into(),
                country: PAYLOADS[3].into(),
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
            name: PAYLOADS[2].into(),
            email: "soc@victim.example".into(),
        },
    )
    .await
    .unwrap();
    for (i, p) in PAYLOADS.iter().enumerate() {
        let mut res = scan_result(
            &format!("192.0.2.{}", i + 1),
            Some(&format!("h{i}.victim.example")),
            ScanVerdict::Vulnerable,
            day(0),
        );
        res.hostname = Some(format!("{p}.victim.example"));
        res.evidence[0].value = p.to_string();
        res.evidence[0].url = format!("https://192.0.2.1/{p}");
        if let Some(a) = res.assessment.as_mut() {
            a.build = p.to_string();
        }
        let mut r = scan_report(vec![res], day(i as i64));
        r.scope = p.to_string();
        let (code, t) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(to_json(&r)),
            )
            .await;
        assert_eq!(code, 201, "{t}");
        let h = hunt_report(
            &format!("{p}.victim.example"),
            Verdict::IndicatorsFound,
            vec![finding(&format!("f{i}"), Stage::Foothold, p)],
            day(i as i64 + 1),
        );
        let (code, t) = s
            .req(
                "POST",
                "/api/v1/reports",
                Some(ADMIN_SECRET),
                Some(to_json(&h)),
            )
            .await;
        assert_eq!(code, 201, "{t}");
    }
    let settings = exray_store::notify::NoticeSettings {
        sender: PAYLOADS[1].into(),
        base_url: s.base.clone(),
        renotify_secs: 86400,
    };
    st.queue_notifications(&admin(), &settings).await.unwrap();
    st.list_hosts(&admin(), &Default::default(), Default::default())
        .await
        .unwrap()[0]
        .id
}
