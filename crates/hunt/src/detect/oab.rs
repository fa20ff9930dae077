//! OAB generator logs: the CVE-2021-26858 file write outside the OAB folder.

use std::path::Path;
use std::sync::LazyLock;

use exray_core::{Evidence, RuleMeta, SourceKind};
use exray_parse::lines::scan;
use exray_parse::lines::Regex;
use exray_parse::oab::{is_inside_oab_folder, parse_line, SIGNAL};
use exray_parse::time::find_timestamp;

use super::build_needles;
use super::{open, Ctx};
use crate::rules;

static NEEDLES: LazyLock<Regex> = LazyLock::new(|| build_needles(&[], &[SIGNAL]));
static RULE: LazyLock<RuleMeta> = LazyLock::new(rules::oab_write);

pub fn hunt(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let Some(file) = open(ctx, path, display) else {
        return;
    };
    let loc = super::location_of(display);
    let mut first = None;
    let res = scan(
        std::io::Read::take(file, exray_parse::lines::READ_CAP),
        &*NEEDLES,
        |line| {
            if first.is_none() {
                first = find_timestamp(line.bytes);
            }
            let Some(fail) = parse_line(line.bytes) else {
                return Ok(());
            };
            if is_inside_oab_folder(&fail.path) {
                return Ok(());
            }
            let mut ev = Evidence::new(SourceKind::OabGenerator, display).with_raw(line.bytes);
            ev.line = Some(line.number);
            ev.timestamp = fail.timestamp;
            ev.fields.insert("path".into(), fail.path.clone());
            let artifact = fail.path.to_ascii_lowercase();
            ctx.hit_with_artifacts(&RULE, "oab generator", ev, &[&artifact]);
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
        .and_then(|(_, l)| find_timestamp(l));
    ctx.observe(SourceKind::OabGenerator, &loc, first);
    ctx.observe(SourceKind::OabGenerator, &loc, last);
    let c = ctx.cov(SourceKind::OabGenerator, &loc);
    c.files += 1;
    c.bytes += sum.bytes;
    c.records += sum.lines;
}
