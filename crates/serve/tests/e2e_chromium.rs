//! End-to-end: the dashboard in headless Chromium (Debian's `chromium`). Logs in through a
//! one-time link, loads every page over data full of script payloads, and checks the DOM the
//! browser built: the pages render, and no payload became an element or ran.

mod common;

use std::path::Path;
use std::process::Command;

use common::{admin, hostile_world, start, ADMIN_SECRET};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("running chromium");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipping: {CHROMIUM} not installed (apt-get install chromium)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("e2e.db").to_string_lossy(), |_| {}).await;
    let host = hostile_world(&s).await;
    let org = s
        .store
        .list_orgs(&admin(), None, Default::default())
        .await
        .unwrap()[0]
        .id;
    let pages = [
        ("/", "National overview"),
        (&*format!("/hosts/{host}"), "State history"),
        ("/hosts", "Hosts"),
        ("/findings", "Findings"),
        ("/notifications", "Notifications"),
        (&*format!("/orgs/{org}"), "Funnel"),
    ];
    for (i, (path, heading)) in pages.iter().enumerate() {
        let (_, v) = s
            .json("POST", "/api/v1/login-link", ADMIN_SECRET, json!({}))
            .await;
        let url = format!("{}?next={path}", v["url"].as_str().unwrap());
        let profile = dir.path().join(format!("profile{i}"));
        let (ok, dom, err) =
            tokio::task::spawn_blocking(move || chromium(&profile, &["--dump-dom", &url]))
                .await
                .unwrap();
        assert!(ok, "chromium failed on {path}: {err}");
        assert!(
            dom.contains(heading),
            "{path}: no {heading:?} in the DOM:\n{dom}"
        );
        let body_tag = dom
            .split("<body")
            .nth(1)
            .and_then(|b| b.split('>').next())
            .unwrap_or("");
        assert!(
            !body_tag.contains("data-pwned"),
            "{path}: a payload ran: <body{body_tag}>"
        );
        let lower = dom.to_ascii_lowercase();
        assert!(
            !lower.contains("<script") && !lower.contains("<img"),
            "{path}: a payload became an element"
        );
        assert!(
            !lower.contains("<svg onload"),
            "{path}: a payload became an element"
        );
        if *path == "/" {
            assert!(
                dom.contains("aria-label=\"funnel\"") && dom.contains("<polyline"),
                "funnel and trend charts rendered"
            );
        }
        if path.starts_with("/hosts/") {
            assert!(
                dom.contains("&lt;script&gt;document.body.setAttribute"),
                "payload shown as text"
            );
        }
    }
    // A screenshot of the overview (kept in the temp dir): the page lays out and paints.
    let (_, v) = s
        .json("POST", "/api/v1/login-link", ADMIN_SECRET, json!({}))
        .await;
    let url = v["url"].as_str().unwrap().to_string();
    let shot = dir.path().join("overview.png");
    let profile = dir.path().join("profile-shot");
    let arg = format!("--screenshot={}", shot.display());
    let (ok, _, err) = tokio::task::spawn_blocking(move || {
        chromium(&profile, &[&arg, "--window-size=1280,1000", &url])
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot of {} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("EXRAY_E2E_SCREENSHOT") {
        std::fs::write(keep, &png).unwrap();
    }
}
