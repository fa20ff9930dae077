//! The HTML report in headless Chromium (`EXRAY_CHROMIUM`, default `/usr/bin/chromium`; the
//! tests skip with a message where it is absent): the sample's report paints the verdict banner
//! and the timeline and opens in under a second; a report made of script payloads runs nothing
//! and injects no element; a report of 10,000 findings stays under 10 MB and opens.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use exray_core::{
    Confidence, Evidence, Family, FileInfo, Finding, Incident, InputError, PageLead, PlanItem,
    PlanItemKind, PlanPhase, PlanStep, Report, ReportKind, Severity, SourceCoverage, SourceKind,
    Stage, StoryStep, Verdict,
};

fn chromium_path() -> Option<PathBuf> {
    let p = std::env::var_os("EXRAY_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    p.exists().then_some(p)
}

/// Run headless Chromium on `args`; (success, stdout, stderr, wall time).
fn chromium(bin: &Path, profile: &Path, args: &[&str]) -> (bool, String, String, Duration) {
    let started = Instant::now();
    let out = Command::new("timeout")
        .arg("120")
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("running chromium");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// How long headless Chromium takes to start, load `page` and serialise its DOM, and the same for
/// an empty page (the browser's own start), each the best of three runs. The difference is the
/// page's own cost.
fn open_time(bin: &Path, dir: &Path, page: &Path) -> (Duration, Duration) {
    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><title>blank</title>").unwrap();
    let (mut base, mut full) = (Duration::MAX, Duration::MAX);
    for i in 0..3 {
        let profile = dir.join(format!("p-time-{i}"));
        let (_, _, _, b) = chromium(bin, &profile, &["--dump-dom", &url(&blank)]);
        let (ok, _, err, f) = chromium(bin, &profile, &["--dump-dom", &url(page)]);
        assert!(ok, "{err}");
        base = base.min(b);
        full = full.min(f);
    }
    (full, base)
}

/// RGB pixels of a PNG screenshot.
fn pixels(png_path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let px = buf[..info.buffer_size()]
        .chunks(step)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 6)
}

#[test]
fn the_sample_report_shows_verdict_plan_and_timeline() {
    let Some(bin) = chromium_path() else {
        println!("skipping: no Chromium (set EXRAY_CHROMIUM or apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let sample = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/compromised-exchange"
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_exray"))
        .args(["hunt", "--format", "html", "-o"])
        .arg(&report)
        .arg(sample)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(&report).unwrap().len();
    assert!(size < 1_000_000, "sample report is {size} bytes");

    let (ok, dom, err, _) = chromium(
        &bin,
        &dir.path().join("p-dom"),
        &["--dump-dom", &url(&report)],
    );
    assert!(ok, "{err}");
    for want in [
        "indicators of compromise found",
        "Response plan",
        "Preserve the evidence, then isolate the server",
        "aria-label=\"timeline\"",
        "class=\"incident\"",
        "class=\"covered\"",
        "bb80c7835898a0fb695cfe363133b26721e07456b4914fb79416b761e4fb5016",
        "from 203.0.113.7 on 2021-03-03 04:12 UTC",
    ] {
        assert!(dom.contains(want), "no {want:?} in the rendered DOM");
    }
    // The verdict comes before the plan, the plan before the timeline.
    let at = |s: &str| dom.find(s).unwrap();
    assert!(at("id=\"verdict\"") < at("id=\"plan\"") && at("id=\"plan\"") < at("id=\"timeline\""));

    // A full-page screenshot: the verdict banner is painted red at the top, and the timeline's
    // coverage bars and incident bar are painted.
    let shot = dir.path().join("report.png");
    let (ok, _, err, _) = chromium(
        &bin,
        &dir.path().join("p-shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,9000",
            &url(&report),
        ],
    );
    assert!(ok, "{err}");
    if let Ok(keep) = std::env::var("EXRAY_HTML_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let (w, h, px) = pixels(&shot);
    let banner = [0xb0, 0x00, 0x20];
    let top = &px[..(w * 200.min(h)) as usize];
    let red_top = top.iter().filter(|p| near(**p, banner)).count();
    assert!(
        red_top > 20_000,
        "verdict banner: {red_top} red pixels in the top 200 rows"
    );
    let covered = px.iter().filter(|p| near(**p, [0x9e, 0xc5, 0xe8])).count();
    let incident = px.iter().filter(|p| near(**p, [0x7b, 0x00, 0x17])).count();
    assert!(covered > 10_000, "timeline coverage: {covered} pixels");
    assert!(incident > 20, "timeline incident: {incident} pixels");

    // Printed to PDF, the collapsed findings are expanded: the print style sheet opens every
    // <details> (the same page without that rule prints fewer pages).
    let pages = |html: &Path, name: &str| {
        let pdf = dir.path().join(name);
        let (ok, _, err, _) = chromium(
            &bin,
            &dir.path().join(format!("p-{name}")),
            &[
                &format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer",
                &url(html),
            ],
        );
        assert!(ok, "{err}");
        let bytes = std::fs::read(pdf).unwrap();
        // Page objects: `/Type /Page` or `/Type/Page`, not `/Pages`.
        (0..bytes.len())
            .filter(|&i| {
                let rest = &bytes[i..];
                let after = if rest.starts_with(b"/Type /Page") {
                    11
                } else if rest.starts_with(b"/Type/Page") {
                    10
                } else {
                    return false;
                };
                rest.get(after) != Some(&b's')
            })
            .count()
    };
    let text = std::fs::read_to_string(&report).unwrap();
    let rule = "details::details-content{content-visibility:visible;display:contents}";
    assert!(text.contains(rule));
    let collapsed = dir.path().join("collapsed.html");
    std::fs::write(&collapsed, text.replace(rule, "")).unwrap();
    let (printed, without) = (pages(&report, "r.pdf"), pages(&collapsed, "c.pdf"));
    println!("sample report printed: {printed} pages ({without} without the print rule)");
    assert!(
        printed > without,
        "{printed} pages printed, {without} collapsed"
    );

    let (full, base) = open_time(&bin, dir.path(), &report);
    println!(
        "sample report: {size} bytes; Chromium start + load + DOM: {} ms (empty page: {} ms)",
        full.as_millis(),
        base.as_millis()
    );
    let own = full.saturating_sub(base);
    assert!(
        own < Duration::from_secs(1),
        "the report took {own:?} more than an empty page"
    );
}

const PAYLOADS: &[&str] = &[
    "<script>document.title='PWNED';document.body.setAttribute('data-pwned','1')</script>",
    "</script><script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.title='PWNED';document.body.setAttribute('data-pwned','1')\">",
    "\"><svg onload=\"document.body.setAttribute('data-pwned','1')\">",
    "'><iframe srcdoc=\"<script>parent.document.title='PWNED'</script>\"></iframe>",
    "javascript:document.title='PWNED'",
    "</style><style>body{display:none}</style><script>document.title='PWNED'</script>",
    "</title><script>document.title='PWNED'</script>",
    "evil\u{202e}xpsa.exe\u{0}\u{1b}[2J\u{9b}",
    "<a href=\"javascript:document.title='PWNED'\">click</a>",
];

fn hostile(i: usize) -> String {
    PAYLOADS[i % PAYLOADS.len()].to_string()
}

fn evidence(i: usize, raw_len: usize) -> Evidence {
    let mut e = Evidence::new(
        SourceKind::FileSystem,
        format!(
            "C:\\inetpub\\wwwroot\\aspnet_client\\{}{i}.aspx",
            hostile(i)
        ),
    );
    e.line = Some(i as u64 + 1);
    e.timestamp = Some("2021-03-03T04:12:00Z".parse().unwrap());
    e.client_ip = Some(hostile(i + 1));
    e.user_agent = Some(hostile(i + 2));
    e.raw = Some(format!("{}{}", hostile(i + 3), "A".repeat(raw_len)));
    e.file_info = Some(FileInfo {
        size: 123,
        sha256: Some(format!("{:064x}", i)),
        ..Default::default()
    });
    e.fields.insert(hostile(i + 4), hostile(i + 5));
    e
}

fn finding(i: usize, evidence_items: usize, raw_len: usize) -> Finding {
    Finding {
        id: format!("F-{i:016x}"),
        rule_id: format!("EXRAY-FS-00{}", i % 7),
        title: hostile(i),
        description: hostile(i + 1),
        family: Family::Generic,
        stage: Stage::Foothold,
        cves: vec![],
        attack: vec!["T1505.003".into()],
        severity: [Severity::Critical, Severity::High, Severity::Medium][i % 3],
        confidence: Confidence::High,
        first_seen: Some("2021-03-03T04:12:00Z".parse().unwrap()),
        last_seen: Some("2021-03-03T05:12:00Z".parse().unwrap()),
        client_ips: vec![hostile(i + 2)],
        user_agents: vec![hostile(i + 3)],
        request_ids: vec![],
        artifacts: (0..5).map(|k| hostile(i + k)).collect(),
        count: 1000,
        evidence: (0..evidence_items)
            .map(|k| evidence(i + k, raw_len))
            .collect(),
        incident: Some("I-1".into()),
    }
}

fn report(findings: usize, evidence_items: usize, raw_len: usize) -> Report {
    let mut r = Report::new(ReportKind::Hunt, hostile(0));
    r.verdict = Verdict::IndicatorsFound;
    r.verdict_reason = hostile(1);
    r.findings = (0..findings)
        .map(|i| finding(i, evidence_items, raw_len))
        .collect();
    r.summary.findings = findings as u64;
    r.incidents = vec![Incident {
        id: "I-1".into(),
        title: hostile(2),
        severity: Severity::Critical,
        stage: Stage::Foothold,
        families: vec![Family::Generic],
        cves: vec![],
        client_ips: vec![hostile(3)],
        first_seen: Some("2021-03-03T04:12:00Z".parse().unwrap()),
        last_seen: Some("2021-03-03T05:12:00Z".parse().unwrap()),
        findings: vec!["F-0000000000000000".into()],
        story: (0..4)
            .map(|k| StoryStep {
                time: Some("2021-03-03T04:12:00Z".parse().unwrap()),
                stage: Stage::Foothold,
                finding: hostile(k),
                text: hostile(k + 1),
            })
            .collect(),
        summary: hostile(4),
    }];
    let mut c = SourceCoverage::new(SourceKind::Iis, hostile(5));
    c.files = 3;
    c.records = 100;
    c.first = Some("2021-02-01T00:00:00Z".parse().unwrap());
    c.last = Some("2021-03-10T00:00:00Z".parse().unwrap());
    c.gaps = vec![(
        "2021-02-10T00:00:00Z".parse().unwrap(),
        "2021-02-20T00:00:00Z".parse().unwrap(),
    )];
    c.notes = vec![hostile(6)];
    r.coverage = vec![c];
    r.errors = (0..10)
        .map(|i| InputError {
            file: hostile(i),
            line: Some(1),
            record: None,
            message: hostile(i + 1),
        })
        .collect();
    r.summary.input_errors = 10;
    r.warnings = vec![hostile(7)];
    r.leads = vec![PageLead {
        site: hostile(8),
        page: hostile(9),
        requests: 2,
        posts: 1,
        clients: vec![hostile(0)],
        more_clients: false,
        first_seen: None,
        last_seen: None,
        reasons: vec![hostile(1)],
        evidence: None,
    }];
    r.plan = vec![PlanStep {
        order: 1,
        phase: PlanPhase::Evict,
        rule: "EXRAY-PLAN-020".into(),
        title: "Remove the web shells".into(),
        action: "delete".into(),
        reason: "found".into(),
        findings: vec![hostile(2)],
        items: (0..10)
            .map(|i| PlanItem {
                kind: PlanItemKind::File,
                value: hostile(i),
                sha256: Some(hostile(i + 1)),
                note: Some(hostile(i + 2)),
                findings: vec![],
            })
            .collect(),
        limits: vec![hostile(3)],
    }];
    r
}

fn write_html(r: &Report, path: &Path) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    exray_core::render::render(r, exray_core::render::Format::Html, &mut f).unwrap();
    drop(f);
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_hostile_report_runs_nothing_and_injects_nothing() {
    let Some(bin) = chromium_path() else {
        println!("skipping: no Chromium (set EXRAY_CHROMIUM or apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("hostile.html");
    write_html(&report(30, 3, 100), &page);
    if let Ok(keep) = std::env::var("EXRAY_HTML_HOSTILE") {
        std::fs::copy(&page, keep).unwrap();
    }
    let (ok, dom, err, _) = chromium(&bin, &dir.path().join("p"), &["--dump-dom", &url(&page)]);
    assert!(ok, "{err}");
    let title = dom
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or("");
    assert!(title.starts_with("exray hunt report: "), "title: {title}");
    assert!(!dom.contains("<title>PWNED"), "a payload changed the title");
    let body_tag = dom
        .split("<body")
        .nth(1)
        .and_then(|b| b.split('>').next())
        .unwrap_or("");
    assert!(
        !body_tag.contains("data-pwned"),
        "a payload ran: <body{body_tag}>"
    );
    let lower = dom.to_ascii_lowercase();
    for element in [
        "<script",
        "<img",
        "<iframe",
        "<svg onload",
        "<a href=\"javascript",
        "<style>body",
    ] {
        assert!(
            !lower.contains(element),
            "a payload became an element: {element}"
        );
    }
    // Shown as text, visibly.
    assert!(
        dom.contains("&lt;script&gt;document.title="),
        "payload shown as text"
    );
    assert!(
        dom.contains("evil\\u{202e}xpsa.exe\\u{0}\\u{1b}[2J\\u{9b}"),
        "bidi and controls shown escaped"
    );
    // The page still renders its sections.
    for id in [
        "id=\"verdict\"",
        "id=\"plan\"",
        "id=\"timeline\"",
        "id=\"findings\"",
        "id=\"coverage\"",
        "id=\"errors\"",
    ] {
        assert!(dom.contains(id), "{id} missing");
    }
}

#[test]
fn ten_thousand_findings_stay_under_ten_megabytes_and_open() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("large.html");
    // The worst a hunt keeps: 25 evidence items per finding with 8 KiB raw records.
    let size = write_html(&report(10_000, 25, 8 * 1024), &page);
    println!("10,000 findings: {size} bytes");
    assert!(size < 10_000_000, "{size} bytes");
    let Some(bin) = chromium_path() else {
        println!("skipping the browser half: no Chromium (set EXRAY_CHROMIUM or apt-get install chromium)");
        return;
    };
    let (ok, dom, err, _) = chromium(&bin, &dir.path().join("p"), &["--dump-dom", &url(&page)]);
    assert!(ok, "{err}");
    assert!(dom.contains("more finding(s), one row each, grouped by rule"));
    assert!(
        dom.contains("F-000000000000270f"),
        "the last finding is listed"
    );
    let (full, base) = open_time(&bin, dir.path(), &page);
    println!(
        "10,000 findings: Chromium start + load + DOM: {} ms (empty page: {} ms)",
        full.as_millis(),
        base.as_millis()
    );
}
