//! Login redirects go only to local paths (issue 11, item 7) and cookies are `Secure` whenever
//! the public URL is https (item 10).

mod common;

use common::{start, Srv, ADMIN_SECRET};
use serde_json::json;

/// Follow a fresh login link with the raw query `next=<raw>`: (status, Location, Set-Cookie).
async fn follow(s: &Srv, raw_next: Option<&str>) -> (u16, String, Vec<String>) {
    let (st, v) = s
        .json("POST", "/api/v1/login-link", ADMIN_SECRET, json!({}))
        .await;
    assert_eq!(st, 200, "{v}");
    let path = v["url"]
        .as_str()
        .unwrap()
        .split_once("/login/link/")
        .map(|(_, t)| format!("/login/link/{t}"))
        .unwrap();
    let url = match raw_next {
        Some(n) => format!("{}{path}?next={n}", s.base),
        None => format!("{}{path}", s.base),
    };
    let res = s.http.get(url).send().await.unwrap();
    let loc = res
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (res.status().as_u16(), loc, cookies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_redirects_only_to_local_paths() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("redir.db").to_string_lossy(), |_| {}).await;
    // (raw query value, expected Location)
    let cases: &[(&str, &str)] = &[
        // The case: a tab between the slashes, which browsers drop.
        ("/%09/evil.example/", "/"),
        ("/%0a/evil.example/", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("/%00/evil.example", "/"),
        ("/%7f/evil.example", "/"),
        ("//evil.example/", "/"),
        ("%2F%2Fevil.example/", "/"),
        ("/%2F/evil.example", "/"),
        ("/%252F/evil.example", "/"),
        ("/%2509/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%5C%5Cevil.example", "/"),
        ("%5C%5Cevil.example", "/"),
        ("/x%5C..%5C/evil", "/"),
        ("https://evil.example/", "/"),
        ("https:%2F%2Fevil.example/", "/"),
        ("evil.example", "/"),
        ("", "/"),
        // Local paths pass.
        ("/hosts/42", "/hosts/42"),
        ("/orgs%3Fq%3Dacme", "/orgs?q=acme"),
        ("/", "/"),
    ];
    for (raw, want) in cases {
        let (st, loc, _) = follow(&s, Some(raw)).await;
        assert_eq!(st, 303, "{raw}");
        assert_eq!(&loc, want, "next={raw}");
    }
    let (_, loc, _) = follow(&s, None).await;
    assert_eq!(loc, "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_whenever_the_base_url_is_https() {
    let dir = tempfile::tempdir().unwrap();
    for (https, flag, secure) in [
        (false, false, false),
        (true, false, true),
        (false, true, true),
    ] {
        let db = dir
            .path()
            .join(format!("cookie-{https}-{flag}.db"))
            .to_string_lossy()
            .into_owned();
        let s = start(&db, |c| {
            if https {
                c.base_url = "https://exray.cert.example".into();
            }
            c.secure_cookies = flag;
        })
        .await;
        let (st, _, cookies) = follow(&s, Some("/hosts")).await;
        assert_eq!(st, 303);
        let session = cookies
            .iter()
            .find(|c| c.starts_with("exray_session="))
            .unwrap();
        assert_eq!(
            session.contains("; Secure"),
            secure,
            "https={https} flag={flag}: {session}"
        );
        // The login form's double-submit cookie too.
        let res = s
            .http
            .get(format!("{}/login", s.base))
            .send()
            .await
            .unwrap();
        let login_cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("exray_login_csrf="));
        if let Some(c) = login_cookie {
            assert_eq!(c.contains("; Secure"), secure, "{c}");
        }
    }
}

/// Issue 11, item 8: a huge string with control characters reaches the dashboard capped and
/// with its control characters shown as escapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_strings_are_capped_and_control_characters_escaped() {
    use exray_core::{Stage, Verdict};
    use exray_store::synth::{finding, hunt_report, to_json};
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("caps.db").to_string_lossy(), |_| {}).await;
    let payload = format!("\u{1b}[2J\u{7}{}", "A".repeat(300_000));
    let r = hunt_report(
        "exch01.victim.example",
        Verdict::IndicatorsFound,
        vec![finding("f1", Stage::Foothold, &payload)],
        common::day(0),
    );
    let (st, t) = s
        .req(
            "POST",
            "/api/v1/reports",
            Some(ADMIN_SECRET),
            Some(to_json(&r)),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let (cookie, _) = s.session(ADMIN_SECRET).await;
    let hosts = s
        .store
        .list_hosts(&common::admin(), &Default::default(), Default::default())
        .await
        .unwrap();
    for path in [format!("/hosts/{}", hosts[0].id), "/findings".into()] {
        let (st, page) = s.page(&cookie, &path).await;
        assert_eq!(st, 200);
        assert!(
            !page.contains('\u{1b}') && !page.contains('\u{7}'),
            "{path}"
        );
        assert!(page.contains("\\u{1b}[2J\\u{7}"), "{path}: escapes shown");
        assert!(
            page.len() < 150_000,
            "{path}: {} bytes for a 300 kB string repeated in several fields",
            page.len()
        );
    }
}
