//! ECP server logs: `Set-*VirtualDirectory` with script content (CVE-2021-27065) and the
//! reset/remove/new that follows it; mailbox exports and role assignments run through ECP.

use std::path::Path;
use std::sync::LazyLock;

use exray_core::SourceKind;
use exray_parse::csvline::CsvLine;
use exray_parse::ecp::{parse_line, EcpRecord};
use exray_parse::lines::scan;
use exray_parse::lines::Regex;

use super::build_needles;
use super::{open, Ctx};
use exray_parse::event::Event;

static NEEDLES: LazyLock<Regex> = LazyLock::new(|| {
    // Every command line: ECP logs are small, and user rules may read any cmdlet.
    build_needles(&[], &["S:CMD="])
});

pub fn hunt(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let Some(file) = open(ctx, path, display) else {
        return;
    };
    let loc = super::location_of(display);
    let mut csv = CsvLine::new();
    let mut first = None;
    let res = scan(
        std::io::Read::take(file, exray_parse::lines::READ_CAP),
        &*NEEDLES,
        |line| {
            if line.bytes.first() == Some(&b'#') || line.bytes.is_empty() {
                return Ok(());
            }
            let Some(rec) = parse_line(&mut csv, line.bytes) else {
                ctx.error(
                    display,
                    Some(line.number),
                    None,
                    "not an ECP server log record",
                );
                return Ok(());
            };
            if first.is_none() {
                first = rec.timestamp;
            }
            evaluate(&rec, line.number, line.bytes, display, ctx);
            Ok(())
        },
    );
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

/// An ECP command as an event for the declarative rules (provider `ECP Server Log`).
fn evaluate(rec: &EcpRecord, line_no: u64, raw: &[u8], display: &str, ctx: &mut Ctx<'_>) {
    let Some(cmdlet) = &rec.cmdlet else { return };
    let params: String = rec
        .params
        .iter()
        .map(|(k, v)| format!("-{k} '{v}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut e = Event::empty();
    e.provider = "ECP Server Log".into();
    e.channel = "ECP".into();
    e.event_id = 1;
    e.record_id = line_no;
    e.timestamp = rec.timestamp;
    e.computer = rec.server.clone();
    e.data.push(("Cmdlet".into(), cmdlet.clone()));
    e.data.push(("Parameters".into(), params));
    if let Some(u) = &rec.url {
        e.data.push(("Url".into(), u.clone()));
    }
    super::events::evaluate(
        &e,
        display,
        SourceKind::EcpServer,
        Some(line_no),
        Some(raw),
        ctx,
    );
}
