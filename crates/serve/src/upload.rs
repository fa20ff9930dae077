//! `exray hunt|scan --upload URL --token T`: send a report to `exray serve`, retrying safely
//! (the service ingests idempotently by report id, so a retry after a lost answer is harmless).

use std::time::Duration;

use anyhow::{bail, Context};

/// Where to POST: `URL` itself when it already ends in `/api/v1/reports`, else that path under it.
pub fn reports_url(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/api/v1/reports") {
        u.to_string()
    } else {
        format!("{u}/api/v1/reports")
    }
}

/// Upload one report (its JSON bytes) with a bearer token. Retries network errors, 408, 429 and
/// 5xx answers with exponential back-off (1 s … 16 s, six attempts; at least the `Retry-After`
/// the service asks for); any other 4xx is final and its message returned. Blocking: call it outside an async runtime (or in `spawn_blocking`).
pub fn upload_report(url: &str, token: &str, report_json: &[u8]) -> anyhow::Result<()> {
    upload_report_with(url, token, report_json, 6, Duration::from_secs(1))
}

/// [`upload_report`] with explicit attempts and first back-off (for tests).
pub fn upload_report_with(
    url: &str,
    token: &str,
    report_json: &[u8],
    attempts: u32,
    backoff: Duration,
) -> anyhow::Result<()> {
    let target = reports_url(url);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("exray/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let mut wait = backoff;
    let mut last = String::new();
    for attempt in 1..=attempts.max(1) {
        let res = client
            .post(&target)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(report_json.to_vec())
            .send();
        match res {
            Ok(r) if r.status().is_success() => {
                tracing::info!(url = %target, status = r.status().as_u16(), "report uploaded");
                return Ok(());
            }
            Ok(r) => {
                let status = r.status();
                // A busy service says when to come back (seconds form of `Retry-After`).
                if let Some(secs) = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    wait = wait.max(Duration::from_secs(secs.min(300)));
                }
                let body = r.text().unwrap_or_default();
                let msg = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                    .unwrap_or(body);
                last = format!("{target}: HTTP {status}: {msg}");
                let retry =
                    status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
                if !retry {
                    bail!("upload refused: {last}");
                }
            }
            Err(e) => last = format!("{target}: {e}"),
        }
        if attempt < attempts {
            tracing::warn!(attempt, error = %last, "upload failed, retrying in {:?}", wait);
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    }
    bail!("upload failed after {attempts} attempt(s): {last}")
}
