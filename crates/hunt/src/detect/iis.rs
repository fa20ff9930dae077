//! IIS W3C logs: ProxyLogon SSRF carrier URIs, requests for script pages in web-shell locations,
//! commands in query strings, ProxyShell / ProxyNotShell autodiscover confusion, OWASSRF.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use exray_core::{Evidence, RuleMeta, SourceKind};
use exray_parse::iis::{Field, IisLine, IisParser};
use exray_parse::lines::LineKind;
use exray_parse::prefilter::{OwnedPat, Pat};

use super::{contains_ci, decode_lower, is_autodiscover_confusion, lossy, Ctx, Delivery};
use crate::rules;

/// Words that make a query string worth decoding: commands sent to a shell, and the double
/// encoding and encoded backslashes used to dodge simple matching (`cmd=` alone is ActiveSync's
/// parameter, so `cmd` needs a separator).
const QUERY_WORDS_LIST: &[&str] = &[
    "%25",
    "%5c",
    // Possibly encoded letters (decoding tells).
    "%4",
    "%5",
    "%6",
    "%7",
    "whoami",
    "cmd.exe",
    "cmd+",
    "cmd%20",
    "cmd /c",
    "net+user",
    "net%20user",
    "certutil",
    "nltest",
    "ipconfig",
    "tasklist",
    "net+group",
    "net%20group",
];

struct Rules {
    carrier: RuleMeta,
    shell_ok: RuleMeta,
    shell_probe: RuleMeta,
    command: RuleMeta,
    command_probe: RuleMeta,
    autodiscover: super::AutodiscoverRules,
    owassrf: RuleMeta,
    ioc: RuleMeta,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    carrier: rules::iis_ssrf_uri(),
    shell_ok: rules::webshell_request_ok(),
    shell_probe: rules::webshell_request_probe(),
    command: rules::command_in_query(),
    command_probe: rules::command_in_query_probe(),
    autodiscover: super::AutodiscoverRules::new(),
    owassrf: rules::owassrf(),
    ioc: rules::ioc_ip(),
});

/// Pages that ship in `owa\auth` and `ecp\auth`: one list, shared with the file sweep.
use exray_files::rules::{STOCK_ECP_AUTH, STOCK_OWA_AUTH as OWA_AUTH_STOCK};

use super::pages::Seen;
use crate::requestrules::{Request, RequestTraits};

const SCRIPT_EXT: &[&str] = &[
    ".aspx", ".ashx", ".asmx", ".asax", ".asp", ".asa", ".cer", ".cdx", ".soap",
];

/// If `stem` (lower case) is a script page in a web-shell location and not a stock page there,
/// the location name.
pub fn shell_location(stem: &str) -> Option<&'static str> {
    if !SCRIPT_EXT.iter().any(|e| stem.ends_with(e)) {
        return None;
    }
    let name = stem.rsplit('/').next().unwrap_or(stem);
    if stem.starts_with("/aspnet_client/") {
        return Some("aspnet_client");
    }
    if stem.starts_with("/ecp/auth/") {
        return (name != STOCK_ECP_AUTH).then_some("ecp/auth");
    }
    if stem.starts_with("/owa/auth/") {
        return (!OWA_AUTH_STOCK.contains(&name)).then_some("owa/auth");
    }
    if stem.starts_with("/oab/") {
        return Some("oab");
    }
    None
}

fn is_carrier(method: &[u8], stem: &str) -> bool {
    let post = method.eq_ignore_ascii_case(b"POST");
    if post && stem.starts_with("/owa/auth/current/themes/resources/") {
        return true;
    }
    if post && stem == "/ecp/default.flt" {
        return true;
    }
    if stem == "/ecp/main.css" {
        return true;
    }
    for prefix in ["/ecp/", "/owa/auth/"] {
        if let Some(name) = stem.strip_prefix(prefix) {
            if let Some(base) = name.strip_suffix(".js") {
                if (1..=30).contains(&base.len()) && base.bytes().all(|c| c.is_ascii_alphanumeric())
                {
                    return true;
                }
            }
        }
    }
    false
}

/// [`QUERY_WORDS_LIST`] as one automaton: one pass over each query.
static QUERY_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(QUERY_WORDS_LIST)
        .expect("static words compile")
});

fn ends_with_ci(hay: &[u8], suffix: &str) -> bool {
    hay.len() >= suffix.len()
        && hay[hay.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// A cheap gate on the raw stem and query: false when no IIS rule can fire on this line.
fn worth_a_look(stem: &[u8], query: &[u8]) -> bool {
    if memchr::memchr(b'%', stem).is_some() {
        return true; // encoded path: decode and look properly
    }
    if [".js", ".flt", ".css"]
        .iter()
        .any(|e| ends_with_ci(stem, e))
    {
        return true; // SSRF carriers
    }
    let stem_t = stem.strip_suffix(b"/").unwrap_or(stem);
    if ends_with_ci(stem_t, "powershell")
        || contains_ci(stem, "autodiscover")
        || contains_ci(query, "autodiscover")
    {
        return true;
    }
    if SCRIPT_EXT.iter().any(|e| ends_with_ci(stem, e))
        && ["/aspnet_client/", "/ecp/auth/", "/owa/auth/", "/oab/"]
            .iter()
            .any(|d| contains_ci(stem, d))
    {
        return true; // script page in a web-shell location
    }
    // Commands: the same words as the needles (`cmd=` alone is ActiveSync's parameter).
    !query.is_empty() && QUERY_WORDS.is_match(query)
}

const COMMANDS: &[&str] = &[
    "cmd /c",
    "cmd.exe",
    "whoami",
    "powershell -e",
    "powershell.exe",
    "net user",
    "net group",
    "certutil",
    "nltest",
    "ipconfig",
    "tasklist",
    "/c whoami",
];

/// After a web-shell folder: a script page (not a stock one), an encoded path, or (under
/// `owa/auth`) the theme folder that carries the SSRF when POSTed to. Runs on every
/// `/owa/auth/` in a log (a quarter of an Exchange front end's lines), so: vector searches over
/// the rest of the path (a byte-by-byte walk mispredicts a branch on every byte), no allocation.
fn shell_folder_follows(hay: &[u8], s: usize, e: usize) -> bool {
    // The rest of the path: its end, any percent sign, the last dot of its last segment.
    let rest = &hay[e..];
    let end = e + memchr::memchr3(b' ', b'\n', b'\r', rest).unwrap_or(rest.len());
    let tok = &hay[e..end];
    if memchr::memchr(b'%', tok).is_some() {
        return true; // encoded: decode and look properly
    }
    let dot = memchr::memrchr2(b'.', b'/', tok)
        .filter(|&i| tok[i] == b'.')
        .map(|i| e + i);
    let owa_auth = e - s == 10 && hay[s + 1].eq_ignore_ascii_case(&b'o');
    if owa_auth
        && s >= 5
        && hay[s - 5..s].eq_ignore_ascii_case(b"POST ")
        && super::starts_with_ci(tok, "current/themes/resources/")
    {
        return true;
    }
    let Some(d) = dot else {
        return false;
    };
    let ext = &hay[d..end];
    if !SCRIPT_EXT
        .iter()
        .any(|x| ext.eq_ignore_ascii_case(x.as_bytes()))
    {
        return false;
    }
    !owa_auth
        || !OWA_AUTH_STOCK
            .iter()
            .any(|n| n.len() == tok.len() && tok.eq_ignore_ascii_case(n.as_bytes()))
}

/// `.js` ending a path `/ecp/<name>.js` or `/owa/auth/<name>.js` (the SSRF carrier names).
fn carrier_js(hay: &[u8], s: usize, e: usize) -> bool {
    if hay.get(e).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false; // `.json`, `.jsp`: not a `.js` stem
    }
    let name_start = hay[..s]
        .iter()
        .rposition(|c| !c.is_ascii_alphanumeric() && *c != b'%')
        .map_or(0, |i| i + 1);
    if memchr::memchr(b'%', &hay[name_start..s]).is_some() {
        return true; // an encoded name: decode and look properly
    }
    let name = s - name_start;
    let before = &hay[..name_start];
    (1..=30).contains(&name)
        && (ends_with_ci(before, "/ecp/") || ends_with_ci(before, "/owa/auth/"))
}

/// Every line an IIS rule can fire on contains one of these (`#Fields:` keeps layout changes).
/// A differential test runs the detector on every line and compares.
static PATS: &[Pat] = &[
    Pat::exact("#Fields:"),
    // SSRF carriers.
    Pat::ci_checked(".js", carrier_js),
    Pat::ci("/ecp/main.css"),
    Pat::ci("/ecp/default.flt"),
    // Script pages in web-shell locations.
    Pat::ci_checked("/aspnet_client/", shell_folder_follows),
    Pat::ci_checked("/ecp/auth/", shell_folder_follows),
    Pat::ci_checked("/owa/auth/", shell_folder_follows),
    Pat::ci_checked("/oab/", shell_folder_follows),
    // Path confusion and OWASSRF.
    Pat::ci("autodiscover.json"),
    Pat::ci("powershell"),
    // Encoded dots and backslashes, double encoding, encoded letters anywhere and any encoded
    // character in the URL path (`%40`, `%5C`, `%7B` are common in benign queries): decode.
    Pat::ci("%2e"),
    Pat::ci("%5c"),
    Pat::ci("%25"),
    Pat::ci_checked("%4", super::encoded_letter_or_path),
    Pat::ci_checked("%5", super::encoded_letter_or_path),
    Pat::ci_checked("%6", super::encoded_letter_or_path),
    Pat::ci_checked("%7", super::encoded_letter_or_path),
    // Commands (`cmd=` alone is ActiveSync's parameter, so `cmd` needs a separator).
    Pat::ci("whoami"),
    Pat::ci("cmd.exe"),
    Pat::ci("cmd+"),
    Pat::ci("cmd%20"),
    Pat::ci("cmd /c"),
    Pat::ci("net+user"),
    Pat::ci("net%20user"),
    Pat::ci("net+group"),
    Pat::ci("net%20group"),
    Pat::ci("certutil"),
    Pat::ci("nltest"),
    Pat::ci("ipconfig"),
    Pat::ci("tasklist"),
    // Script pages requested without a query (how tunnel and shell clients that carry everything
    // in POST bodies or headers call their page), but the stock high-volume ones: stacked for
    // rarity and behaviour and tested against the client traits, wherever the page lives.
    Pat::ci_checked(".aspx - ", stacked_stem_ends),
    Pat::ci_checked(".ashx - ", stacked_stem_ends),
    // Queries of the tunnel traits (rules/requests.toml): each trait that reads the query
    // requires one of these (encoded ones reach the rules through the encoding needles above).
    Pat::ci(" proxy"),
    Pat::ci("cmd=connect"),
    Pat::ci("action=checkport"),
    Pat::ci("action=createsocket"),
];

/// Stock pages of Exchange's anonymous `auth` folders: not stacked (they are requested by
/// everyone; a backdoored stock page is the file sweep's to find).
fn is_stock_page(stem_lower: &[u8]) -> bool {
    if let Some(name) = stem_lower.strip_prefix(b"/owa/auth/") {
        return OWA_AUTH_STOCK.iter().any(|n| n.as_bytes() == name);
    }
    stem_lower
        .strip_prefix(b"/ecp/auth/")
        .is_some_and(|n| n == STOCK_ECP_AUTH.as_bytes())
}

/// Exchange's virtual directories that require a logon, but for their anonymous `auth` folders
/// (which the location rules watch). A tool that cannot log on gets the logon page there, so only
/// their unauthenticated requests are stacked: a signed-in user's ECP or OWA pages are people at
/// work (and most of a front end's script traffic).
pub fn in_authenticated_vdir(stem_lower: &[u8]) -> bool {
    const VDIRS: &[&[u8]] = &[
        b"/owa/",
        b"/ecp/",
        b"/ews/",
        b"/mapi/",
        b"/rpc/",
        b"/powershell/",
        b"/microsoft-server-activesync/",
        b"/autodiscover/",
    ];
    VDIRS.iter().any(|v| stem_lower.starts_with(v))
        && !stem_lower.starts_with(b"/owa/auth/")
        && !stem_lower.starts_with(b"/ecp/auth/")
}

/// The user name of a line in the W3C layouts IIS and Exchange write (`cs-uri-stem cs-uri-query
/// s-port cs-username`), read from the byte after the stem: `None` when the two fields after the
/// stem do not look like a query and a port.
fn user_after_stem(hay: &[u8], after_stem: usize) -> Option<&[u8]> {
    let rest = hay.get(after_stem + 1..)?;
    let rest = &rest[..memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len())];
    let mut fields = rest.split(|c| *c == b' ');
    let _query = fields.next()?;
    let port = fields.next()?;
    if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    fields.next()
}

/// The script pages that are stacked: ASP.NET pages and handlers, which tunnel and shell clients
/// call. The stacking needles of [`PATS`] are these extensions followed by an empty query; the
/// rules must not stack what the needles do not deliver.
const STACKED_EXT: &[&str] = &[".aspx", ".ashx"];

/// Whether a decoded, lower-cased URL path is a script page that is stacked.
pub fn is_stacked_page(stem_lower: &str) -> bool {
    stem_lower.starts_with('/')
        && STACKED_EXT.iter().any(|e| stem_lower.ends_with(e))
        && !is_stock_page(stem_lower.as_bytes())
}

/// After a script extension and an empty query: the extension ends the URL path field (the
/// line's stem), which is not a stock page, nor a signed-in user's request in a logon-only
/// virtual directory. Encoded stems are delivered to be decoded and judged properly.
fn stacked_stem_ends(hay: &[u8], s: usize, e: usize) -> bool {
    // The needle is the extension, then an empty query: ` - `.
    let end = e - 3;
    let from = s.saturating_sub(2048);
    let Some(sp) = memchr::memrchr(b' ', &hay[from..s]) else {
        return true; // a field longer than 2 KiB: look at it
    };
    let stem = &hay[from + sp + 1..end];
    if stem.first() != Some(&b'/') {
        return false;
    }
    if memchr::memchr(b'%', stem).is_some() {
        return true;
    }
    let mut lower = [0u8; 64];
    if stem.len() > lower.len() {
        return true;
    }
    for (d, c) in lower.iter_mut().zip(stem) {
        *d = c.to_ascii_lowercase();
    }
    let lower = &lower[..stem.len()];
    if is_stock_page(lower) {
        return false;
    }
    // A signed-in user's request in a logon-only virtual directory is not stacked.
    !(in_authenticated_vdir(lower)
        && user_after_stem(hay, end).is_some_and(|u| !u.is_empty() && u != b"-"))
}

pub fn hunt(path: &Path, display: &str, ctx: &mut Ctx<'_>, iocs: &[OwnedPat]) {
    hunt_with(path, display, ctx, iocs, Delivery::Prefiltered)
}

pub fn hunt_with(
    path: &Path,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
    delivery: Delivery,
) {
    hunt_source(super::LogSource::Path(path), display, ctx, iocs, delivery)
}

/// Hunt a log from `src`: a file, or a reader (an entry of a zip, opened within its caps).
pub fn hunt_source(
    src: super::LogSource<'_>,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
    delivery: Delivery,
) {
    let Some(input) = super::LogInput::open(src, ctx, display) else {
        return;
    };
    let loc = super::location_of(display);
    let mut p = IisParser::new();
    let mut first_ts = None;
    let mut format_error = None;
    // What the server wrote of itself, from the records read anyway (head and last line).
    let mut names = crate::identity::FileNames::default();
    let rules = &*RULES;
    let on_line = |line: exray_parse::lines::Line<'_>| {
        match p.feed(line.bytes) {
            IisLine::Record => {}
            IisLine::NotW3c => {
                format_error.get_or_insert((line.number, "not a W3C extended log (no #Fields line before data); IIS native or NCSA format is not supported"));
                return Ok(());
            }
            IisLine::NotWebLog => {
                format_error.get_or_insert((
                    line.number,
                    "a W3C log without cs-uri-stem (not a web server log); skipped",
                ));
                return Ok(());
            }
            _ => return Ok(()),
        }
        if line.kind == LineKind::Head {
            if first_ts.is_none() {
                first_ts = p.timestamp();
            }
            server_names(&p, &mut names);
        }
        evaluate(&p, line.number, line.bytes, display, &loc, ctx, rules);
        Ok(())
    };
    let res = input.scan(
        delivery,
        |sample| super::prefilter_for(PATS, iocs, sample),
        on_line,
    );
    let sum = match res {
        Ok(s) => s,
        Err(e) => {
            // Lines before the error were judged, but the log cannot vouch for its period.
            ctx.error(display, None, None, format!("read error: {e}"));
            let c = ctx.cov(SourceKind::Iis, &loc);
            c.unreadable = true;
            c.errors += 1;
            return;
        }
    };
    if let Some((line, msg)) = format_error {
        ctx.error(display, Some(line), None, msg);
        ctx.cov(SourceKind::Iis, &loc).errors += 1;
        return;
    }
    for l in &sum.overlong_lines {
        ctx.error(display, Some(*l), None, "line longer than 1 MiB skipped");
    }
    // The last data line is in the final layout.
    let last_ts = sum.last_data_line.as_ref().and_then(|(_, l)| {
        let mut q = p.clone();
        (q.feed(l) == IisLine::Record)
            .then(|| {
                server_names(&q, &mut names);
                q.timestamp()
            })
            .flatten()
    });
    ctx.names
        .add_file(exray_core::IdentitySource::Iis, display, names);
    ctx.file_span(SourceKind::Iis, &loc, first_ts, last_ts);
    let c = ctx.cov(SourceKind::Iis, &loc);
    c.files += 1;
    c.bytes += sum.bytes;
    c.records += sum.lines.saturating_sub(sum.comment_lines);
}

/// The server's address and name in the current record (`s-ip`, `s-computername`).
fn server_names(p: &IisParser, names: &mut crate::identity::FileNames) {
    names.note("s-ip", p.get(Field::ServerIp));
    names.note("s-computername", p.get(Field::ComputerName));
}

fn evaluate(
    p: &IisParser,
    line_no: u64,
    raw: &[u8],
    display: &str,
    site: &str,
    ctx: &mut Ctx<'_>,
    rules: &Rules,
) {
    let ip_raw = {
        let xff = p.get(Field::ForwardedFor);
        let c = p.get(Field::ClientIp);
        if c.is_empty() {
            xff
        } else {
            c
        }
    };
    if STACKED_EXT
        .iter()
        .any(|e| ends_with_ci(p.get(Field::UriStem), e))
    {
        stack(p, line_no, raw, display, site, ip_raw, ctx);
    }
    // Most delivered lines are benign (logon pages, theme resources): decide cheaply, on the raw
    // bytes and without allocating, whether any rule could apply.
    let ioc_hit = !ctx.ioc_ips.is_empty()
        && std::str::from_utf8(ip_raw).is_ok_and(|ip| ctx.ioc_ips.contains(ip));
    if !ioc_hit && !worth_a_look(p.get(Field::UriStem), p.get(Field::UriQuery)) {
        return;
    }
    let ts: Option<DateTime<Utc>> = p.timestamp();
    let ip = lossy(ip_raw);
    let key = if ip.is_empty() {
        "unknown client".to_string()
    } else {
        ip.clone()
    };
    let stem_raw = p.get(Field::UriStem);
    let stem = decode_lower(stem_raw);
    let query = p.get(Field::UriQuery);
    let method = p.get(Field::Method);
    let status = p.get(Field::Status);
    let mk = || evidence(p, line_no, raw, display, &ip);

    if is_carrier(method, &stem) {
        ctx.hit(&rules.carrier, &key, mk());
    }
    if shell_location(&stem).is_some() {
        let ok = status.first() == Some(&b'2');
        let rule = if ok {
            &rules.shell_ok
        } else {
            &rules.shell_probe
        };
        ctx.hit_with_artifacts(rule, &key, mk(), &[&stem]);
        if ok && !ip.is_empty() {
            ctx.requested_pages
                .entry(stem.clone())
                .or_default()
                .insert(ip.clone());
        }
    }
    if !query.is_empty() {
        let q = decode_lower(query);
        if COMMANDS.iter().any(|c| q.contains(c)) {
            // Answered by a script page: commands ran through it. Otherwise: a probe.
            let script =
                SCRIPT_EXT.iter().any(|e| stem.ends_with(e)) || shell_location(&stem).is_some();
            let ok = status.first() == Some(&b'2');
            let rule = if ok && script {
                &rules.command
            } else {
                &rules.command_probe
            };
            ctx.hit_with_artifacts(rule, &key, mk(), &[&stem]);
        }
    }
    let mut uri = stem.clone();
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&decode_lower(query));
    }
    if is_autodiscover_confusion(&uri) {
        ctx.hit(rules.autodiscover.pick(ts, status), &key, mk());
    }
    if status == b"200" && super::is_owa_powershell(&stem) {
        ctx.hit(&rules.owassrf, &key, mk());
    }
    if !ip.is_empty() && ctx.ioc_ips.contains(&ip) {
        ctx.hit(&rules.ioc, &key, mk());
    }
}

/// Evidence of one IIS line.
fn evidence(p: &IisParser, line_no: u64, raw: &[u8], display: &str, ip: &str) -> Evidence {
    let mut ev = Evidence::new(SourceKind::Iis, display).with_raw(raw);
    ev.line = Some(line_no);
    ev.timestamp = p.timestamp();
    if !ip.is_empty() {
        ev.client_ip = Some(ip.to_string());
    }
    let ua = p.user_agent();
    if !ua.is_empty() {
        ev.user_agent = Some(ua);
    }
    ev.fields
        .insert("cs-method".into(), lossy(p.get(Field::Method)));
    ev.fields
        .insert("cs-uri-stem".into(), lossy(p.get(Field::UriStem)));
    let query = p.get(Field::UriQuery);
    if !query.is_empty() {
        ev.fields.insert("cs-uri-query".into(), lossy(query));
    }
    ev.fields
        .insert("sc-status".into(), lossy(p.get(Field::Status)));
    ev
}

/// A request for a script page: stacked (unless a stock page) and tested against the tunnel and
/// client traits.
fn stack(
    p: &IisParser,
    line_no: u64,
    raw: &[u8],
    display: &str,
    site: &str,
    ip_raw: &[u8],
    ctx: &mut Ctx<'_>,
) {
    let page = decode_lower(p.get(Field::UriStem));
    if !is_stacked_page(&page)
        || (in_authenticated_vdir(page.as_bytes()) && !p.get(Field::Username).is_empty())
    {
        return;
    }
    let ip = lossy(ip_raw);
    let key = if ip.is_empty() {
        "unknown client"
    } else {
        ip.as_str()
    };
    let method = p.get(Field::Method);
    let query = decode_lower(p.get(Field::UriQuery));
    let ua = p.get(Field::UserAgent);
    let request = Request {
        method,
        query: &query,
        user_agent: ua,
    };
    let matched: Vec<_> = RequestTraits::builtin().matching(&request).collect();
    // Requests with a query are stacked only when a tunnel trait reads that query: the others
    // are a site's ordinary pages (and most of its lines).
    if !query.is_empty() && !matched.iter().any(|t| t.needs_query()) {
        return;
    }
    let traits = matched.len();
    for t in matched {
        let ev = evidence(p, line_no, raw, display, &ip);
        ctx.hit_with_artifacts(&t.meta, key, ev, &[&page]);
    }
    let layout = p.layout();
    let logged = |f: Field| layout.is_some_and(|l| l.has(f));
    let seen = Seen {
        site,
        page: &page,
        client: key,
        server: p.get(Field::ServerIp),
        post: method.eq_ignore_ascii_case(b"POST"),
        status_ok: p.get(Field::Status).first() == Some(&b'2'),
        referer: logged(Field::Referer).then(|| !p.get(Field::Referer).is_empty()),
        user: logged(Field::Username).then(|| !p.get(Field::Username).is_empty()),
        time_taken_ms: std::str::from_utf8(p.get(Field::TimeTaken))
            .ok()
            .and_then(|t| t.parse().ok()),
        scripted_client: traits > 0,
        timestamp: p.timestamp(),
    };
    ctx.pages
        .record(&seen, || evidence(p, line_no, raw, display, &ip));
}

#[cfg(test)]
mod tests {
    use super::*;

    // The rules stack only what the stacking needles deliver (found in review: `.asp` and
    // `.asmx` pages were stacked when every line was delivered, never when prefiltered).
    #[test]
    fn stacked_pages_are_the_ones_the_needles_deliver() {
        assert!(is_stacked_page("/erp/conn.aspx"));
        assert!(is_stacked_page("/api/h.ashx"));
        for p in [
            "/x.asp",
            "/x.asmx",
            "/global.asax",
            "/x.cer",
            "/owa/auth/logon.aspx",
        ] {
            assert!(!is_stacked_page(p), "{p}");
        }
        for e in STACKED_EXT {
            let needle = format!("{e} - ");
            assert!(
                PATS.iter().any(|p| p.text == needle),
                "{needle} is not a needle"
            );
        }
    }

    #[test]
    fn shell_locations_and_carriers() {
        assert_eq!(
            shell_location("/aspnet_client/system_web/x.aspx"),
            Some("aspnet_client")
        );
        assert_eq!(shell_location("/ecp/auth/timeoutlogoff.aspx"), None);
        assert_eq!(shell_location("/ecp/auth/x.aspx"), Some("ecp/auth"));
        assert_eq!(shell_location("/owa/auth/logon.aspx"), None);
        assert_eq!(shell_location("/owa/auth/outlooken.aspx"), Some("owa/auth"));
        assert_eq!(
            shell_location("/owa/auth/15.1.2176/themes/resources/x.gif"),
            None
        );
        assert!(is_carrier(b"POST", "/ecp/default.flt"));
        assert!(!is_carrier(b"GET", "/ecp/default.flt"));
        assert!(is_carrier(b"GET", "/ecp/y.js"));
        assert!(is_carrier(
            b"POST",
            "/owa/auth/current/themes/resources/logon.css"
        ));
        assert!(!is_carrier(
            b"GET",
            "/owa/auth/current/themes/resources/logon.css"
        ));
    }
}
