//! The self-contained HTML report (`--format html`): one file, no network, no script. Verdict and
//! response plan first, then an SVG timeline of the incidents over the log coverage (gaps
//! visible), the incidents as stories, the findings with their evidence and hashes, the host,
//! coverage and input errors. Every string is written through [`escape`]; a Content Security
//! Policy forbids scripts and every fetch even if one slipped through. Large reports stay
//! usable: findings are collapsed (`<details>`), the first [`DETAILED_FINDINGS`] in full and the
//! rest one row each, grouped by rule.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, Utc};

use crate::model::{
    Finding, Incident, PlanStep, Report, ReportKind, Severity, SourceCoverage, SourceKind, Verdict,
};

/// Findings shown with their evidence; the rest are one row each.
pub const DETAILED_FINDINGS: usize = 200;
/// Evidence items shown per detailed finding (the JSON report has all that were kept).
const EVIDENCE_SHOWN: usize = 3;
/// Characters of a raw record shown.
const RAW_SHOWN: usize = 1200;
/// Incidents drawn on the timeline and told as stories.
const INCIDENTS_SHOWN: usize = 200;
/// Input errors listed.
const ERRORS_SHOWN: usize = 200;

/// Escape text for HTML element content and quoted attribute values: `& < > " '` become
/// entities; control characters and invisible format characters (bidi overrides, zero-width)
/// are shown as visible escapes (`\u{202e}`) so they can neither break the markup nor disguise
/// evidence. Nothing is ever emitted as a link, so a `javascript:` URL stays text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control()
                || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB) =>
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] of at most `max` characters, marking the cut.
fn esc_cap(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!(
            "{}… [{} more characters; see --format json]",
            escape(&s[..i]),
            s[i..].chars().count()
        ),
        None => escape(s),
    }
}

fn t(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "–".into())
}

const CSS: &str = r#"
:root{--found:#b00020;--none:#1b6e3a;--na:#8a5a00;--ink:#1d1d1f;--mute:#5f6368;--line:#d9d9de;--bg:#fafafa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:16px 20px 60px}
h1{font-size:20px;margin:8px 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:12px 0 4px}
.meta{color:var(--mute);font-size:12.5px}
.verdict{color:#fff;padding:14px 18px;border-radius:6px;margin:12px 0}
.verdict b{font-size:20px;display:block;text-transform:uppercase;letter-spacing:.02em}
.v-found{background:var(--found)} .v-none{background:var(--none)} .v-na{background:var(--na)}
.unread{border:2px solid var(--found);padding:8px 12px;border-radius:6px;margin:8px 0}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Consolas,monospace;font-size:12.5px;word-break:break-all}
pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);border:1px solid var(--line);padding:6px 8px;margin:4px 0;font-size:12px}
table{border-collapse:collapse;width:100%;margin:6px 0} th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
ol.plan{padding-left:0;list-style:none} ol.plan>li{border:1px solid var(--line);border-left:6px solid #555;border-radius:4px;padding:8px 12px;margin:8px 0;break-inside:avoid}
.p-contain{border-left-color:#b00020!important}.p-evict{border-left-color:#d2452b!important}.p-credentials{border-left-color:#8e24aa!important}
.p-mailboxes{border-left-color:#3949ab!important}.p-patch{border-left-color:#00796b!important}.p-mitigations{border-left-color:#5d7a00!important}.p-verify{border-left-color:#555!important}
.phase{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--mute)}
.limit{color:var(--na)}
.sev{display:inline-block;min-width:64px;text-align:center;border-radius:3px;color:#fff;font-size:11px;padding:1px 4px;text-transform:uppercase}
.s-critical{background:#7b0017}.s-high{background:#c62828}.s-medium{background:#e08a00}.s-low{background:#607d8b}.s-info{background:#9e9e9e}
details{border:1px solid var(--line);border-radius:4px;margin:4px 0;padding:2px 8px}
details>summary{cursor:pointer;padding:3px 0}
svg{max-width:100%;height:auto;background:#fff}
@media print{
 body{font-size:11px} main{max-width:none;padding:0}
 details{border:none;padding:0}
 details::details-content{content-visibility:visible;display:contents}
 details>summary{list-style:none}
 .verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .sev,svg *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2{break-after:avoid}
}
"#;

/// Write the report as one HTML document.
pub fn html(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut s = String::with_capacity(64 * 1024);
    head(r, &mut s);
    verdict(r, &mut s);
    plan(&r.plan, &mut s);
    if r.kind == ReportKind::Hunt {
        timeline(r, &mut s);
        incidents(&r.incidents, &mut s);
    }
    w.write_all(s.as_bytes())?;
    s.clear();
    findings(&r.findings, &mut s, w)?;
    leads(r, &mut s);
    scans(r, &mut s);
    host(r, &mut s);
    coverage(r, &mut s);
    errors(r, &mut s);
    s.push_str("</main></body></html>\n");
    w.write_all(s.as_bytes())?;
    w.flush()
}

fn head(r: &Report, s: &mut String) {
    let kind = if r.kind == ReportKind::Hunt {
        "hunt"
    } else {
        "scan"
    };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>exray {kind} report: {}</title><style>{CSS}</style></head><body><main>\
<h1>exray {kind} report</h1><div class=\"meta\">scope <code>{}</code> · exray {} · report {} · {} → {} UTC · schema {}</div>",
        esc_cap(&r.scope, 200),
        esc_cap(&r.scope, 2000),
        escape(&r.tool.version),
        escape(&r.report_id),
        t(Some(r.started_at)),
        t(Some(r.finished_at)),
        escape(&r.schema),
    );
}

fn verdict(r: &Report, s: &mut String) {
    let class = match r.verdict {
        Verdict::IndicatorsFound => "v-found",
        Verdict::NoIndicatorsFound => "v-none",
        Verdict::NotAssessed => "v-na",
    };
    let _ = write!(
        s,
        "<section id=\"verdict\" class=\"verdict {class}\"><b>{}</b>{}</section>",
        escape(r.verdict.as_str()),
        esc_cap(&r.verdict_reason, 2000)
    );
    let unread: Vec<&SourceCoverage> = r.coverage.iter().filter(|c| c.unreadable).collect();
    if !unread.is_empty() {
        s.push_str("<div class=\"unread\"><b>Not read: the verdict cannot rest on these</b><ul>");
        for c in unread {
            let _ = write!(
                s,
                "<li>{} <code>{}</code> {}</li>",
                c.source.as_str(),
                esc_cap(&c.location, 500),
                esc_cap(&c.notes.join("; "), 500)
            );
        }
        s.push_str("</ul></div>");
    }
    let _ = write!(
        s,
        "<div class=\"meta\">{} finding(s), {} incident(s), {} file(s) and {} record(s) read, {} input error(s)",
        r.summary.findings,
        r.summary.incidents,
        r.summary.files_read,
        r.summary.records_read,
        r.summary.input_errors
    );
    for sev in ["critical", "high", "medium", "low", "info"] {
        if let Some(n) = r.summary.by_severity.get(sev) {
            let _ = write!(s, " · {n} {sev}");
        }
    }
    s.push_str("</div>");
    if !r.warnings.is_empty() {
        s.push_str("<ul class=\"limit\">");
        for wn in &r.warnings {
            let _ = write!(s, "<li>{}</li>", esc_cap(wn, 1000));
        }
        s.push_str("</ul>");
    }
}

fn plan(plan: &[PlanStep], s: &mut String) {
    if plan.is_empty() {
        return;
    }
    s.push_str("<section id=\"plan\"><h2>Response plan</h2><ol class=\"plan\">");
    for p in plan {
        let _ = write!(
            s,
            "<li class=\"p-{ph}\"><div class=\"phase\">{} · {ph} · {}</div><h3>{}</h3><p><b>Do:</b> {}</p><p><b>Why:</b> {}</p>",
            p.order,
            escape(&p.rule),
            escape(&p.title),
            escape(&p.action),
            escape(&p.reason),
            ph = p.phase.as_str(),
        );
        if !p.items.is_empty() {
            s.push_str("<table><tr><th>kind</th><th>what</th><th>SHA-256</th><th>note</th></tr>");
            for i in &p.items {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    i.kind.as_str(),
                    esc_cap(&i.value, 1000),
                    i.sha256.as_deref().map(escape).unwrap_or_default(),
                    esc_cap(i.note.as_deref().unwrap_or(""), 1000)
                );
            }
            s.push_str("</table>");
        }
        if !p.findings.is_empty() {
            s.push_str("<div class=\"meta\">evidence: ");
            for (n, f) in p.findings.iter().enumerate() {
                if n > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "<a href=\"#{0}\">{0}</a>", escape(f));
            }
            s.push_str("</div>");
        }
        for l in &p.limits {
            let _ = write!(
                s,
                "<div class=\"limit\">not assessed: {}</div>",
                esc_cap(l, 1000)
            );
        }
        s.push_str("</li>");
    }
    s.push_str("</ol></section>");
}

type Span = (DateTime<Utc>, DateTime<Utc>);

/// Intervals merged per source kind, and whether a folder of it was unreadable: the rows of the
/// timeline's coverage.
fn coverage_rows(r: &Report) -> Vec<(SourceKind, Vec<Span>, bool)> {
    let mut by: BTreeMap<SourceKind, (Vec<Span>, bool)> = BTreeMap::new();
    for c in &r.coverage {
        if c.source == SourceKind::FileSystem {
            continue;
        }
        let e = by.entry(c.source).or_default();
        e.0.extend(c.intervals());
        e.1 |= c.unreadable;
    }
    by.into_iter()
        .filter(|(_, (iv, unread))| !iv.is_empty() || *unread)
        .map(|(k, (mut iv, unread))| {
            iv.sort();
            let mut merged: Vec<Span> = Vec::new();
            for (a, b) in iv {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            (k, merged, unread)
        })
        .collect()
}

fn timeline(r: &Report, s: &mut String) {
    let rows = coverage_rows(r);
    let incs: Vec<&Incident> = r
        .incidents
        .iter()
        .filter(|i| i.first_seen.is_some())
        .take(INCIDENTS_SHOWN)
        .collect();
    let cov_times: Vec<DateTime<Utc>> = rows
        .iter()
        .flat_map(|(_, iv, _)| iv.iter().flat_map(|(a, b)| [*a, *b]))
        .collect();
    let inc_times: Vec<DateTime<Utc>> = incs
        .iter()
        .flat_map(|i| {
            i.story
                .iter()
                .filter_map(|st| st.time)
                .chain([i.first_seen, i.last_seen].into_iter().flatten())
        })
        .collect();
    s.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
    // The axis spans the logs (and the incidents' starts); a later time, such as a file time that
    // is a collection's copy time, is drawn at the right edge and said so, not allowed to squash
    // the logs into a sliver.
    let lo = cov_times
        .iter()
        .chain(
            incs.iter()
                .filter_map(|i| i.first_seen)
                .collect::<Vec<_>>()
                .iter(),
        )
        .min()
        .copied()
        .or_else(|| inc_times.iter().min().copied());
    let hi = cov_times
        .iter()
        .max()
        .copied()
        .or_else(|| inc_times.iter().max().copied())
        .map(|h| {
            let first_inc = incs.iter().filter_map(|i| i.first_seen).max();
            first_inc.map_or(h, |f| h.max(f))
        });
    let (Some(lo), Some(hi)) = (lo, hi) else {
        s.push_str("<p class=\"limit\">No timed evidence: nothing to draw.</p></section>");
        return;
    };
    let pad = (hi - lo) / 50;
    let (lo, hi) = (lo - pad, hi + pad);
    let off_scale = inc_times.iter().filter(|d| **d > hi).count();
    let span = (hi - lo).num_seconds().max(60) as f64;
    let (left, width, row_h) = (150.0, 1000.0, 22.0);
    let x = |d: DateTime<Utc>| left + (d - lo).num_seconds() as f64 / span * width;
    let inc_top = 30.0 + rows.len() as f64 * row_h + 10.0;
    let height = inc_top + incs.len().max(1) as f64 * 16.0 + 30.0;
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"timeline\" viewBox=\"0 0 {} {height}\" width=\"{}\" height=\"{height}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">",
        left + width + 20.0,
        left + width + 20.0
    );
    // Axis: start, middle, end.
    for (n, d) in [lo, lo + (hi - lo) / 2, hi].into_iter().enumerate() {
        let anchor = ["start", "middle", "end"][n];
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"14\" text-anchor=\"{anchor}\" fill=\"#5f6368\">{}</text><line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"18\" y2=\"{:.1}\" stroke=\"#e3e3e8\"/>",
            x(d),
            d.format("%Y-%m-%d %H:%M"),
            height - 20.0
        );
    }
    for (n, (kind, iv, unread)) in rows.iter().enumerate() {
        let y = 26.0 + n as f64 * row_h;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}{}</text>",
            left - 6.0,
            y + 12.0,
            kind.as_str(),
            if *unread { " (unreadable)" } else { "" }
        );
        // The whole row in a gap colour: what is not covered shows through.
        let _ = write!(
            s,
            "<rect class=\"gap\" x=\"{left}\" y=\"{y:.1}\" width=\"{width}\" height=\"16\" fill=\"#f3d6d6\"><title>{}: no log</title></rect>",
            kind.as_str()
        );
        for (a, b) in iv {
            let _ = write!(
                s,
                "<rect class=\"covered\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#9ec5e8\"><title>{}: {} → {}</title></rect>",
                x(*a),
                (x(*b) - x(*a)).max(1.0),
                kind.as_str(),
                t(Some(*a)),
                t(Some(*b))
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"600\">incidents</text>",
        left - 6.0,
        inc_top + 11.0
    );
    if incs.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{left}\" y=\"{:.1}\" fill=\"#5f6368\">none</text>",
            inc_top + 11.0
        );
    }
    let clamp = |d: DateTime<Utc>| d.clamp(lo, hi);
    for (n, i) in incs.iter().enumerate() {
        let y = inc_top + n as f64 * 16.0;
        let (a, b) = (
            clamp(i.first_seen.unwrap_or(lo)),
            clamp(i.last_seen.or(i.first_seen).unwrap_or(lo)),
        );
        let fill = match i.severity {
            Severity::Critical => "#7b0017",
            Severity::High => "#c62828",
            Severity::Medium => "#e08a00",
            _ => "#607d8b",
        };
        let _ = write!(
            s,
            "<rect class=\"incident-span\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\" fill=\"{fill}\" opacity=\"0.35\"><title>{}</title></rect>",
            x(a),
            y + 4.0,
            (x(b) - x(a)).max(1.0),
            esc_cap(&i.summary, 300)
        );
        for st in i.story.iter().take(200) {
            let Some(d) = st.time else { continue };
            let later = d > hi;
            let _ = write!(
                s,
                "<rect class=\"incident\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{}\" height=\"12\" fill=\"{fill}\"><title>{} {}: {}{}</title></rect>",
                x(clamp(d)) - 2.0,
                if later { 6 } else { 4 },
                t(Some(d)),
                st.stage.as_str(),
                esc_cap(&st.text, 200),
                if later { " (after the last log record: drawn at the edge)" } else { "" }
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"{:.1}\" fill=\"#5f6368\">blue: log coverage · pink: no log (gap) · red: incident steps (hover for what happened)</text></svg>",
        height - 6.0
    );
    if off_scale > 0 {
        let _ = write!(
            s,
            "<p class=\"meta\">{off_scale} incident time(s) fall after the last log record (for example file times that are a collection's copy time): they are drawn at the right edge.</p>"
        );
    }
    if r.incidents.len() > incs.len() {
        let _ = write!(
            s,
            "<p class=\"meta\">{} more incident(s) not drawn.</p>",
            r.incidents.len() - incs.len()
        );
    }
    s.push_str("</section>");
}

fn sev(sv: Severity) -> String {
    format!("<span class=\"sev s-{0}\">{0}</span>", sv.as_str())
}

fn incidents(list: &[Incident], s: &mut String) {
    if list.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<section id=\"incidents\"><h2>Incidents ({})</h2>",
        list.len()
    );
    for (n, i) in list.iter().take(INCIDENTS_SHOWN).enumerate() {
        let _ = write!(
            s,
            "<details{} id=\"{}\"><summary>{} {}</summary>",
            if n < 10 { " open" } else { "" },
            escape(&i.id),
            sev(i.severity),
            esc_cap(&i.summary, 3000)
        );
        if !i.cves.is_empty() {
            let _ = write!(
                s,
                "<div class=\"meta\">{}</div>",
                escape(&i.cves.join(", "))
            );
        }
        s.push_str("<table><tr><th>time (UTC)</th><th>stage</th><th>what happened</th></tr>");
        for st in &i.story {
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{} <a href=\"#{}\">{}</a></td></tr>",
                t(st.time),
                st.stage.as_str(),
                esc_cap(&st.text, 600),
                escape(&st.finding),
                escape(&st.finding)
            );
        }
        s.push_str("</table></details>");
    }
    if list.len() > INCIDENTS_SHOWN {
        let _ = write!(
            s,
            "<p class=\"meta\">{} more incident(s): see --format json.</p>",
            list.len() - INCIDENTS_SHOWN
        );
    }
    s.push_str("</section>");
}

fn finding_detail(f: &Finding, s: &mut String) {
    let first_file = f.evidence.first().map(|e| e.file.as_str()).unwrap_or("");
    let _ = write!(
        s,
        "<details id=\"{}\"><summary>{} <b>{}</b> {} <span class=\"meta\">({}; {} confidence; {}×; {} → {}) <code>{}</code></span></summary>",
        escape(&f.id),
        sev(f.severity),
        escape(&f.rule_id),
        esc_cap(&f.title, 300),
        f.stage.as_str(),
        f.confidence.as_str(),
        f.count,
        t(f.first_seen),
        t(f.last_seen),
        esc_cap(first_file, 300),
    );
    let _ = write!(s, "<p>{}</p>", esc_cap(&f.description, 2000));
    let mut meta = Vec::new();
    meta.push(format!("id {}", escape(&f.id)));
    if let Some(i) = &f.incident {
        meta.push(format!("incident <a href=\"#{0}\">{0}</a>", escape(i)));
    }
    if !f.cves.is_empty() {
        meta.push(escape(&f.cves.join(", ")));
    }
    if !f.attack.is_empty() {
        meta.push(format!("ATT&amp;CK {}", escape(&f.attack.join(", "))));
    }
    if !f.client_ips.is_empty() {
        meta.push(format!("from {}", esc_cap(&f.client_ips.join(", "), 500)));
    }
    if !f.artifacts.is_empty() {
        meta.push(format!(
            "artefacts <code>{}</code>",
            esc_cap(&f.artifacts.join("  "), 1500)
        ));
    }
    let _ = write!(s, "<div class=\"meta\">{}</div>", meta.join(" · "));
    for e in f.evidence.iter().take(EVIDENCE_SHOWN) {
        let at = match (e.line, e.record) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(r)) => format!(" record {r}"),
            _ => String::new(),
        };
        let _ = write!(
            s,
            "<h3 class=\"mono\">{} <code>{}{}</code> {}</h3>",
            e.source.as_str(),
            esc_cap(&e.file, 1000),
            at,
            t(e.timestamp)
        );
        if let Some(fi) = &e.file_info {
            let _ = write!(
                s,
                "<div class=\"mono\">sha256 {} · sha1 {} · md5 {} · {} bytes · modified {} · created {}</div>",
                fi.sha256.as_deref().map(escape).unwrap_or_else(|| "–".into()),
                fi.sha1.as_deref().map(escape).unwrap_or_else(|| "–".into()),
                fi.md5.as_deref().map(escape).unwrap_or_else(|| "–".into()),
                fi.size,
                t(fi.modified),
                t(fi.created)
            );
        }
        if let Some(raw) = &e.raw {
            let _ = write!(s, "<pre>{}</pre>", esc_cap(raw, RAW_SHOWN));
        }
        for m in e.matches.iter().take(5) {
            let _ = write!(
                s,
                "<div class=\"mono\">match {} @{}: {}</div>",
                esc_cap(&m.rule, 100),
                m.offset,
                esc_cap(&m.excerpt, 300)
            );
        }
        if !e.fields.is_empty() {
            s.push_str("<table>");
            for (k, v) in &e.fields {
                let _ = write!(
                    s,
                    "<tr><th>{}</th><td><code>{}</code></td></tr>",
                    esc_cap(k, 100),
                    esc_cap(v, 300)
                );
            }
            s.push_str("</table>");
        }
    }
    if f.evidence.len() > EVIDENCE_SHOWN || f.count > f.evidence.len() as u64 {
        let _ = write!(
            s,
            "<div class=\"meta\">{} record(s) in all; {} shown (see --format json)</div>",
            f.count,
            f.evidence.len().min(EVIDENCE_SHOWN)
        );
    }
    s.push_str("</details>");
}

fn findings(list: &[Finding], s: &mut String, w: &mut dyn Write) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let _ = write!(
        s,
        "<section id=\"findings\"><h2>Findings ({})</h2>",
        list.len()
    );
    for f in list.iter().take(DETAILED_FINDINGS) {
        finding_detail(f, s);
        if s.len() > 1 << 20 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    if list.len() > DETAILED_FINDINGS {
        let rest = &list[DETAILED_FINDINGS..];
        let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in rest {
            by_rule.entry(f.rule_id.as_str()).or_default().push(f);
        }
        let _ = write!(
            s,
            "<h3>{} more finding(s), one row each, grouped by rule (evidence: --format json)</h3>",
            rest.len()
        );
        for (rule, fs) in by_rule {
            let _ = write!(
                s,
                "<details><summary><b>{}</b> {} ({} finding(s))</summary><table><tr><th>id</th><th>severity</th><th>first → last</th><th>count</th><th>first evidence</th><th>SHA-256</th></tr>",
                escape(rule),
                esc_cap(&fs[0].title, 300),
                fs.len()
            );
            for f in fs {
                let e = f.evidence.first();
                let _ = write!(
                    s,
                    "<tr id=\"{}\"><td class=\"mono\">{0}</td><td>{}</td><td class=\"mono\">{} → {}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape(&f.id),
                    f.severity.as_str(),
                    t(f.first_seen),
                    t(f.last_seen),
                    f.count,
                    e.map(|e| esc_cap(&e.file, 300)).unwrap_or_default(),
                    e.and_then(|e| e.file_info.as_ref())
                        .and_then(|fi| fi.sha256.as_deref())
                        .map(escape)
                        .unwrap_or_default()
                );
                if s.len() > 1 << 20 {
                    w.write_all(s.as_bytes())?;
                    s.clear();
                }
            }
            s.push_str("</table></details>");
        }
    }
    s.push_str("</section>");
    Ok(())
}

fn leads(r: &Report, s: &mut String) {
    if r.leads.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<section id=\"leads\"><h2>Pages worth a look ({}: leads, not findings)</h2><table><tr><th>page</th><th>requests</th><th>clients</th><th>first → last</th><th>why</th></tr>",
        r.leads.len()
    );
    for l in &r.leads {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{} ({} POST)</td><td>{}{}</td><td class=\"mono\">{} → {}</td><td>{}</td></tr>",
            esc_cap(&l.page, 300),
            l.requests,
            l.posts,
            esc_cap(&l.clients.join(", "), 300),
            if l.more_clients { " and more" } else { "" },
            t(l.first_seen),
            t(l.last_seen),
            esc_cap(&l.reasons.join("; "), 600)
        );
    }
    s.push_str("</table></section>");
}

fn scans(r: &Report, s: &mut String) {
    if r.scan_results.is_empty() {
        return;
    }
    s.push_str("<section id=\"scan\"><h2>Scan results</h2><table><tr><th>target</th><th>verdict</th><th>build</th><th>error</th></tr>");
    for x in &r.scan_results {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc_cap(&x.target, 300),
            x.verdict.as_str(),
            x.assessment
                .as_ref()
                .map(|a| escape(&a.build))
                .unwrap_or_default(),
            esc_cap(x.error.as_deref().unwrap_or(""), 300)
        );
    }
    s.push_str("</table></section>");
}

/// A serde enum's name as it is written in the JSON report.
fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn host(r: &Report, s: &mut String) {
    let h = &r.host;
    if h.build.is_none()
        && h.mitigations.is_empty()
        && h.exchange_roots.is_empty()
        && h.identity.is_empty()
    {
        return;
    }
    s.push_str("<section id=\"host\"><h2>Host</h2>");
    if let Some(n) = &h.hostname {
        let _ = write!(s, "<div>host <code>{}</code></div>", esc_cap(n, 200));
    }
    if let Some(n) = &h.fqdn {
        let _ = write!(s, "<div>FQDN <code>{}</code></div>", esc_cap(n, 260));
    }
    if !h.ips.is_empty() {
        let _ = write!(
            s,
            "<div>addresses <code>{}</code></div>",
            esc_cap(&h.ips.join(", "), 2000)
        );
    }
    if !h.identity.is_empty() {
        s.push_str("<details><summary>where the names and addresses were read</summary><table><tr><th>what</th><th>value</th><th>source</th><th>file</th><th>where</th><th>files</th></tr>");
        for e in &h.identity {
            let _ = write!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&snake(&e.field)),
                esc_cap(&e.value, 260),
                escape(&snake(&e.source)),
                esc_cap(&e.file, 500),
                esc_cap(&e.location, 500),
                e.files.map(|n| n.to_string()).unwrap_or_default()
            );
        }
        s.push_str("</table></details>");
    }
    for root in &h.exchange_roots {
        let _ = write!(
            s,
            "<div>Exchange install <code>{}</code></div>",
            esc_cap(root, 500)
        );
    }
    if let Some(b) = &h.build {
        let _ = write!(
            s,
            "<div>installed build <b>{}</b> {} (from {})</div><table><tr><th>family</th><th>status</th><th>CVEs</th><th>fixed by</th></tr>",
            escape(&b.build),
            escape(b.release.as_deref().unwrap_or("")),
            escape(b.source.as_deref().unwrap_or("?"))
        );
        for e in &b.exposures {
            let status = serde_json::to_value(e.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.family),
                escape(&status),
                escape(&e.cves.join(", ")),
                e.fixed_by
                    .as_ref()
                    .map(|f| escape(&format!("{} ({})", f.name, f.build)))
                    .unwrap_or_default()
            );
        }
        s.push_str("</table>");
    }
    if !h.mitigations.is_empty() {
        s.push_str("<table><tr><th>mitigation</th><th>status</th><th>configuration read</th></tr>");
        for m in &h.mitigations {
            let status = serde_json::to_value(m.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code> {}</td></tr>",
                escape(&m.name),
                escape(&status),
                esc_cap(&m.evidence.join(", "), 600),
                esc_cap(m.note.as_deref().unwrap_or(""), 400)
            );
        }
        s.push_str("</table>");
    }
    s.push_str("</section>");
}

fn coverage(r: &Report, s: &mut String) {
    if r.coverage.is_empty() {
        return;
    }
    s.push_str("<section id=\"coverage\"><h2>Coverage</h2><table><tr><th>source</th><th>location</th><th>files</th><th>records</th><th>first → last (UTC)</th><th>gaps, errors, notes</th></tr>");
    for c in &r.coverage {
        let mut notes: Vec<String> = c
            .gaps
            .iter()
            .map(|(a, b)| format!("no log {} → {}", t(Some(*a)), t(Some(*b))))
            .collect();
        if c.unreadable {
            notes.insert(0, "UNREADABLE".into());
        }
        if c.errors > 0 {
            notes.push(format!("{} error(s)", c.errors));
        }
        notes.extend(c.notes.iter().cloned());
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"mono\">{} → {}</td><td>{}</td></tr>",
            c.source.as_str(),
            esc_cap(&c.location, 500),
            c.files,
            c.records,
            t(c.first),
            t(c.last),
            esc_cap(&notes.join("; "), 1500)
        );
    }
    s.push_str("</table></section>");
}

fn errors(r: &Report, s: &mut String) {
    if r.summary.input_errors == 0 && r.errors.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<section id=\"errors\"><h2>Input errors ({})</h2><details{}><summary>what could not be read</summary><table><tr><th>file</th><th>where</th><th>message</th></tr>",
        r.summary.input_errors,
        if r.errors.len() <= 20 { " open" } else { "" }
    );
    for e in r.errors.iter().take(ERRORS_SHOWN) {
        let at = match (e.line, e.record) {
            (Some(l), _) => format!("line {l}"),
            (None, Some(rec)) => format!("record {rec}"),
            _ => String::new(),
        };
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc_cap(&e.file, 500),
            at,
            esc_cap(&e.message, 600)
        );
    }
    s.push_str("</table>");
    if r.summary.input_errors as usize > ERRORS_SHOWN.min(r.errors.len()) {
        let _ = write!(
            s,
            "<p class=\"meta\">{} shown; the JSON report keeps the first 1,000.</p>",
            ERRORS_SHOWN.min(r.errors.len())
        );
    }
    s.push_str("</details></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_are_escaped() {
        assert_eq!(
            escape("</script><script>alert(1)</script>"),
            "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("\" onmouseover=\"x' y"),
            "&quot; onmouseover=&quot;x&#39; y"
        );
        assert_eq!(escape("a&b"), "a&amp;b");
        // A javascript: URL is text: it is never put in an href.
        assert_eq!(escape("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(
            escape("a\u{0}b\x1b[31m\r\n"),
            "a\\u{0}b\\u{1b}[31m\\u{d}\\u{a}"
        );
        assert_eq!(escape("x\u{9b}y"), "x\\u{9b}y");
        // Bidi overrides and invisible characters are shown, not obeyed.
        assert_eq!(escape("evil\u{202e}xspa.exe"), "evil\\u{202e}xspa.exe");
        assert_eq!(
            escape("a\u{200b}\u{2066}\u{feff}"),
            "a\\u{200b}\\u{2066}\\u{feff}"
        );
        assert_eq!(escape("Grüße 東京"), "Grüße 東京");
        // The cap counts characters and never splits one.
        assert_eq!(
            esc_cap("ééé<", 2),
            "éé… [2 more characters; see --format json]"
        );
    }
}
