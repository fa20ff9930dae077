//! Synthetic reports for tests and the benchmark (generated, never copied from real data).

use chrono::{DateTime, Utc};
use exray_core::{
    BuildAssessment, BuildPrecision, Confidence, Evidence, Exposure, ExposureStatus, Family,
    Finding, Report, ReportKind, ScanEvidence, ScanResult, ScanVerdict, Severity, SourceKind,
    Stage, UpdateRef, Verdict,
};

/// A build assessment as the catalogue would give it.
pub fn assessment(build: &str, vulnerable: bool) -> BuildAssessment {
    BuildAssessment {
        build: build.to_string(),
        precision: BuildPrecision::Full,
        product: Some("Exchange Server 2016".into()),
        release: Some("Exchange Server 2016 CU19".into()),
        release_date: None,
        exposures: vec![Exposure {
            family: "proxylogon".into(),
            cves: vec!["CVE-2021-26855".into()],
            status: if vulnerable {
                ExposureStatus::Vulnerable
            } else {
                ExposureStatus::Patched
            },
            fixed_by: Some(UpdateRef {
                name: "Exchange Server 2016 CU19 Mar21SU".into(),
                build: "15.1.2176.9".into(),
                kb: Some("KB5000871".into()),
                date: None,
            }),
            note: None,
        }],
        recommended_update: if vulnerable {
            Some(UpdateRef {
                name: "Exchange Server 2016 CU23 Nov22SU".into(),
                build: "15.1.2507.16".into(),
                kb: Some("KB5019758".into()),
                date: None,
            })
        } else {
            None
        },
        notes: vec![],
        source: Some("X-OWA-Version header".into()),
        cpe: Some(
            "cpe:2.3:a:microsoft:exchange_server:2016:cumulative_update_19:*:*:*:*:*:*".into(),
        ),
    }
}

/// One scan result for `ip` with `verdict` (builds chosen to match the verdict).
pub fn scan_result(
    ip: &str,
    hostname: Option<&str>,
    verdict: ScanVerdict,
    at: DateTime<Utc>,
) -> ScanResult {
    let build = match verdict {
        ScanVerdict::Vulnerable => Some("15.1.2176.2"),
        ScanVerdict::Patched => Some("15.1.2507.16"),
        _ => None,
    };
    ScanResult {
        target: format!("https://{ip}/"),
        ip: Some(ip.to_string()),
        port: Some(443),
        hostname: hostname.map(str::to_string),
        verdict,
        confidence: Confidence::High,
        assessment: build.map(|b| assessment(b, verdict == ScanVerdict::Vulnerable)),
        evidence: build
            .map(|b| {
                vec![ScanEvidence {
                    method: "GET".into(),
                    url: format!("https://{ip}/owa/"),
                    status: Some(200),
                    what: "header:X-OWA-Version".into(),
                    value: b.to_string(),
                }]
            })
            .unwrap_or_default(),
        error: None,
        scanned_at: at,
        webshell_probes: vec![],
    }
}

pub fn scan_report(results: Vec<ScanResult>, at: DateTime<Utc>) -> Report {
    let mut r = Report::new(ReportKind::Scan, "synthetic scan");
    r.started_at = at;
    r.finished_at = at;
    r.scan_results = results;
    r
}

/// A finding of the given stage with one piece of evidence whose strings are `payload`.
pub fn finding(id: &str, stage: Stage, payload: &str) -> Finding {
    let mut ev = Evidence::new(
        SourceKind::HttpProxy,
        format!("Logging\\HttpProxy\\Ecp\\{payload}.log"),
    )
    .with_raw(payload.as_bytes());
    ev.line = Some(42);
    ev.client_ip = Some("203.0.113.7".into());
    ev.user_agent = Some(payload.to_string());
    ev.fields
        .insert("AnchorMailbox".into(), format!("ServerInfo~a]@{payload}"));
    Finding {
        id: id.to_string(),
        rule_id: "proxylogon.ssrf.anchor_mailbox".into(),
        title: format!("ProxyLogon SSRF {payload}"),
        description: format!("synthetic finding {payload}"),
        family: Family::ProxyLogon,
        stage,
        cves: vec!["CVE-2021-26855".into()],
        attack: vec!["T1190".into()],
        severity: Severity::Critical,
        confidence: Confidence::High,
        first_seen: None,
        last_seen: None,
        client_ips: vec!["203.0.113.7".into()],
        user_agents: vec![payload.to_string()],
        request_ids: vec![],
        artifacts: vec![payload.to_string()],
        count: 1,
        evidence: vec![ev],
        incident: None,
    }
}

pub fn hunt_report(
    hostname: &str,
    verdict: Verdict,
    findings: Vec<Finding>,
    at: DateTime<Utc>,
) -> Report {
    let mut r = Report::new(ReportKind::Hunt, format!("C:\\triage\\{hostname}"));
    r.started_at = at;
    r.finished_at = at;
    r.host.hostname = Some(hostname.to_string());
    r.host.build = Some(assessment("15.1.2507.16", false));
    r.verdict = verdict;
    r.verdict_reason = format!("{} finding(s)", findings.len());
    r.summary.findings = findings.len() as u64;
    r.findings = findings;
    r
}

pub fn to_json(r: &Report) -> Vec<u8> {
    serde_json::to_vec(r).expect("a Report always serialises")
}

/// Database URLs the shared test suites run on: a SQLite file under `dir`, and a fresh
/// PostgreSQL database (created under `EXRAY_TEST_POSTGRES_URL`) when that variable is set.
pub async fn test_databases(dir: &std::path::Path, tag: &str) -> Vec<String> {
    let mut out = vec![dir.join(format!("{tag}.db")).to_string_lossy().into_owned()];
    match std::env::var("EXRAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => match fresh_postgres(&url, tag).await {
            Ok(u) => out.push(u),
            Err(e) => panic!("EXRAY_TEST_POSTGRES_URL is set but unusable: {e}"),
        },
        _ => println!("skipping: EXRAY_TEST_POSTGRES_URL unset (PostgreSQL half of this test)"),
    }
    out
}

async fn fresh_postgres(url: &str, tag: &str) -> Result<String, sqlx::Error> {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let name = format!(
        "exray_t_{}_{}",
        tag.to_ascii_lowercase(),
        uuid::Uuid::new_v4().simple()
    );
    let mut c = sqlx::AnyConnection::connect(url).await?;
    c.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    c.close().await?;
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    Ok(format!("{base}/{name}{query}"))
}
