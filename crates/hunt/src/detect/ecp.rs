//! ECP server logs: `Set-*VirtualDirectory` with script content (CVE-2021-27065) and the
//! reset/remove/new that follows it; mailbox exports and role assignments run through ECP.

use std::path::Path;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use exray_core::{Evidence, SourceKind};
use exray_parse::csvline::CsvLine;
use exray_parse::ecp::{parse_line, EcpRecord};
use exray_parse::lines::scan;

use super::httpproxy::build_needles;
use super::{open, Ctx};
use crate::detect::events::{classify_cmdlet, CmdletVerdict};

static NEEDLES: LazyLock<AhoCorasick> = LazyLock::new(|| {
    build_needles(&[], &["VirtualDirectory", "MailboxExportRequest", "ManagementRoleAssignment"])
});

pub fn hunt(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let Some(file) = open(ctx, path, display) else {
        return;
    };
    let loc = super::location_of(display);
    let mut csv = CsvLine::new();
    let mut first = None;
    let res = scan(file, &NEEDLES, |line| {
        if line.bytes.first() == Some(&b'#') || line.bytes.is_empty() {
            return Ok(());
        }
        let Some(rec) = parse_line(&mut csv, line.bytes) else {
            ctx.error(display, Some(line.number), None, "not an ECP server log record");
            return Ok(());
        };
        if first.is_none() {
            first = rec.timestamp;
        }
        evaluate(&rec, line.number, line.bytes, display, ctx);
        Ok(())
    });
    let sum = match res {
        Ok(s) => s,
        Err(e) => {
            ctx.error(display, None, None, format!("read error: {e}"));
            return;
        }
    };
    let last = sum
        .last_data_line
        .as_ref()
        .and_then(|(_, l)| parse_line(&mut csv, l))
        .and_then(|r| r.timestamp);
    ctx.observe(SourceKind::EcpServer, &loc, first);
    ctx.observe(SourceKind::EcpServer, &loc, last);
    let c = ctx.cov(SourceKind::EcpServer, &loc);
    c.files += 1;
    c.bytes += sum.bytes;
    c.records += sum.lines.saturating_sub(sum.comment_lines);
}

fn evaluate(rec: &EcpRecord, line_no: u64, raw: &[u8], display: &str, ctx: &mut Ctx<'_>) {
    let Some(cmdlet) = &rec.cmdlet else { return };
    let params: String = rec
        .params
        .iter()
        .map(|(k, v)| format!("-{k} '{v}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let verdict = classify_cmdlet(cmdlet, &params, "");
    let Some((rule, key)) = verdict.map(|v: CmdletVerdict| (v.rule, v.key)) else {
        return;
    };
    let mut ev = Evidence::new(SourceKind::EcpServer, display).with_raw(raw);
    ev.line = Some(line_no);
    ev.timestamp = rec.timestamp;
    ev.fields.insert("cmdlet".into(), cmdlet.clone());
    let paths = super::script_paths(&params);
    ev.fields.insert("parameters".into(), params);
    ev.fields.insert("server".into(), rec.server.clone());
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    ctx.hit_with_artifacts(&rule, &key, ev, &refs);
}
