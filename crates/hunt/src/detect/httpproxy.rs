//! HttpProxy logs: the CVE-2021-26855 SSRF (graded attempt / exploitation / file write), its
//! tooling traits, ProxyShell / ProxyNotShell autodiscover SSRF and OWASSRF.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use exray_core::{Evidence, RuleMeta, SourceKind};
use exray_parse::httpproxy::{quick_timestamp, Col, HttpProxyParser, LineType};
use exray_parse::lines::LineKind;
use exray_parse::prefilter::{OwnedPat, Pat};

use super::{contains_ci, decode_lower, is_autodiscover_confusion, lossy, starts_with_ci, Ctx};
use crate::rules;

/// Every line a rule can fire on contains one of these. Exact case for what the server writes
/// itself (the AnchorMailbox prefix, the RoutingHint cookie name, header rows); any case for
/// attacker-controlled fields. A differential test runs the detector on every line and compares.
static PATS: &[Pat] = &[
    Pat::exact("ServerInfo~"),
    Pat::exact("X-BEResource"),
    Pat::exact("DateTime,"),
    Pat::ci("python-requests"),
    Pat::ci("ExchangeServicesClient/0.0.0.0"),
    Pat::ci("autodiscover.json"),
    Pat::ci("powershell"),
    // `/ecp/<random>.js` URL stems.
    Pat::ci(".js"),
    // Double encoding, encoded dots, encoded letters anywhere, any encoded character in the URL
    // path.
    Pat::ci("%25"),
    Pat::ci("%2e"),
    Pat::ci_checked("%4", super::encoded_letter_or_path),
    Pat::ci_checked("%5", super::encoded_letter_or_path),
    Pat::ci_checked("%6", super::encoded_letter_or_path),
    Pat::ci_checked("%7", super::encoded_letter_or_path),
];

struct Rules {
    attempt: RuleMeta,
    exploit: RuleMeta,
    write: RuleMeta,
    support: RuleMeta,
    autodiscover: super::AutodiscoverRules,
    owassrf: RuleMeta,
    ioc: RuleMeta,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    attempt: rules::ssrf_attempt(),
    exploit: rules::ssrf_exploitation(),
    write: rules::ssrf_oab_write(),
    support: rules::ssrf_support(),
    autodiscover: super::AutodiscoverRules::new(),
    owassrf: rules::owassrf(),
    ioc: rules::ioc_ip(),
});

fn is_ecp_random_js(stem: &[u8]) -> bool {
    let s = stem.to_ascii_lowercase();
    let Some(name) = s.strip_prefix(b"/ecp/") else {
        return false;
    };
    let Some(base) = name.strip_suffix(b".js") else {
        return false;
    };
    (1..=30).contains(&base.len()) && base.iter().all(|c| c.is_ascii_alphanumeric())
}

pub fn hunt(path: &Path, display: &str, ctx: &mut Ctx<'_>, iocs: &[OwnedPat]) {
    hunt_with(path, display, ctx, iocs, super::Delivery::Prefiltered)
}

pub fn hunt_with(
    path: &Path,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
    delivery: super::Delivery,
) {
    hunt_source(super::LogSource::Path(path), display, ctx, iocs, delivery)
}

/// Hunt a log from `src`: a file, or a reader (an entry of a zip, opened within its caps).
pub fn hunt_source(
    src: super::LogSource<'_>,
    display: &str,
    ctx: &mut Ctx<'_>,
    iocs: &[OwnedPat],
    delivery: super::Delivery,
) {
    let Some(input) = super::LogInput::open(src, ctx, display) else {
        return;
    };
    let loc = super::location_of(display);
    let mut p = HttpProxyParser::new();
    let mut first_ts = None;
    // The server's name, from the records read anyway (head and last line).
    let mut names = crate::identity::FileNames::default();
    let rules = &*RULES;
    let on_line = |line: exray_parse::lines::Line<'_>| {
        match p.feed(line.bytes) {
            LineType::Record => {}
            _ => return Ok(()),
        }
        let ts = p.timestamp();
        if line.kind == LineKind::Head {
            if first_ts.is_none() {
                first_ts = ts;
            }
            names.note("ServerHostName", p.get(Col::ServerHostName));
        }
        if ts.is_none() && p.field_count() < 3 {
            ctx.error(
                display,
                Some(line.number),
                None,
                "not an HttpProxy record (too few fields, no DateTime)",
            );
            return Ok(());
        }
        evaluate(&p, ts, line.number, line.bytes, display, ctx, rules);
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
            let c = ctx.cov(SourceKind::HttpProxy, &loc);
            c.unreadable = true;
            c.errors += 1;
            return;
        }
    };
    for l in &sum.overlong_lines {
        ctx.error(display, Some(*l), None, "line longer than 1 MiB skipped");
    }
    let last_ts = sum
        .last_data_line
        .as_ref()
        .and_then(|(_, l)| quick_timestamp(l));
    if let Some((_, l)) = &sum.last_data_line {
        if p.feed(l) == LineType::Record {
            names.note("ServerHostName", p.get(Col::ServerHostName));
        }
    }
    ctx.names
        .add_file(exray_core::IdentitySource::HttpProxy, display, names);
    ctx.file_span(SourceKind::HttpProxy, &loc, first_ts, last_ts);
    let c = ctx.cov(SourceKind::HttpProxy, &loc);
    c.files += 1;
    c.bytes += sum.bytes;
    c.records += sum.lines.saturating_sub(sum.comment_lines);
    if !p.saw_header() && sum.lines > 0 {
        let note = "a file had no header; the default Exchange 2016 CU23 column order was assumed"
            .to_string();
        if !c.notes.contains(&note) {
            c.notes.push(note);
        }
    }
}

fn evidence(
    p: &HttpProxyParser,
    ts: Option<DateTime<Utc>>,
    line_no: u64,
    raw: &[u8],
    display: &str,
) -> Evidence {
    let mut ev = Evidence::new(SourceKind::HttpProxy, display).with_raw(raw);
    ev.line = Some(line_no);
    ev.timestamp = ts;
    let ip = p.get(Col::ClientIpAddress);
    if !ip.is_empty() {
        ev.client_ip = Some(lossy(ip));
    }
    let ua = p.get(Col::UserAgent);
    if !ua.is_empty() {
        ev.user_agent = Some(lossy(ua));
    }
    let rid = p.get(Col::RequestId);
    if !rid.is_empty() {
        ev.request_id = Some(lossy(rid));
    }
    for (name, col) in [
        ("AnchorMailbox", Col::AnchorMailbox),
        ("UrlStem", Col::UrlStem),
        ("HttpStatus", Col::HttpStatus),
        ("Method", Col::Method),
        ("Protocol", Col::Protocol),
        ("RoutingHint", Col::RoutingHint),
    ] {
        let v = p.get(col);
        if !v.is_empty() {
            ev.fields.insert(name.to_string(), lossy(v));
        }
    }
    ev
}

fn evaluate(
    p: &HttpProxyParser,
    ts: Option<DateTime<Utc>>,
    line_no: u64,
    raw: &[u8],
    display: &str,
    ctx: &mut Ctx<'_>,
    rules: &Rules,
) {
    let ip = lossy(p.get(Col::ClientIpAddress));
    let key = if ip.is_empty() {
        "unknown client".to_string()
    } else {
        ip.clone()
    };
    let anchor = p.get(Col::AnchorMailbox);
    let status = p.get(Col::HttpStatus);
    let ok = status == b"200";
    let mut ssrf_anchor = false;
    let mk = || evidence(p, ts, line_no, raw, display);

    if starts_with_ci(anchor, "ServerInfo~") && !starts_with_ci(anchor, "ServerInfo~localhost") {
        if let Some(slash) = memchr::memchr(b'/', anchor) {
            ssrf_anchor = true;
            let target = anchor[slash..].to_ascii_lowercase();
            let target_s = String::from_utf8_lossy(&target);
            if target_s.contains("virtualdirectory")
                && (target_s.contains("reset") || target_s.contains("setobject"))
                && ok
            {
                ctx.hit(&rules.write, &key, mk());
            } else if target_s.starts_with("/autodiscover") {
                ctx.hit(&rules.attempt, &key, mk());
            } else {
                ctx.hit(&rules.exploit, &key, mk());
            }
        }
    }

    let stem = p.get(Col::UrlStem);
    let ua = p.get(Col::UserAgent);
    let protocol = p.get(Col::Protocol);
    let tooling_ua = starts_with_ci(ua, "python-requests")
        || starts_with_ci(ua, "ExchangeServicesClient/0.0.0.0");
    if contains_ci(p.get(Col::RoutingHint), "X-BEResource")
        || is_ecp_random_js(stem)
        || (tooling_ua && (ssrf_anchor || protocol.eq_ignore_ascii_case(b"Ecp")))
    {
        ctx.hit(&rules.support, &key, mk());
    }

    // Autodiscover path confusion (ProxyShell / ProxyNotShell).
    let query = p.get(Col::UrlQuery);
    let encoded = memchr::memchr(b'%', stem).is_some() || memchr::memchr(b'%', query).is_some();
    if encoded || contains_ci(stem, "autodiscover") || contains_ci(query, "autodiscover") {
        let mut uri = stem.to_vec();
        uri.push(b'?');
        uri.extend_from_slice(query);
        let dec = decode_lower(&uri);
        if is_autodiscover_confusion(&dec) {
            ctx.hit(rules.autodiscover.pick(ts, status), &key, mk());
        }
    }

    // OWASSRF: /owa/<mailbox>/powershell answered 200.
    if ok && super::is_owa_powershell(&decode_lower(stem)) {
        ctx.hit(&rules.owassrf, &key, mk());
    }

    if !ip.is_empty() && ctx.ioc_ips.contains(&ip) {
        ctx.hit(&rules.ioc, &key, mk());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(is_ecp_random_js(b"/ecp/y.js"));
        assert!(is_ecp_random_js(b"/ECP/AbC123.js"));
        assert!(!is_ecp_random_js(b"/ecp/15.1.2/scripts/x.js"));
        assert!(!is_ecp_random_js(b"/ecp/.js"));
        assert_eq!(decode_lower(b"/a%2540b%20C+d"), "/a@b c d");
        assert!(is_autodiscover_confusion(
            "/autodiscover/autodiscover.json?@evil.com/mapi/nspi/?&email=autodiscover/autodiscover.json%3f@evil.com"
        ));
        assert!(!is_autodiscover_confusion(
            "/autodiscover/autodiscover.json?email=user@contoso.com&protocol=rest"
        ));
        // ProxyNotShell without the `@` (the bypass of the first mitigation).
        assert!(is_autodiscover_confusion(&decode_lower(
            b"/autodiscover/autodiscover.json?a..foo.var/owa/&Email=autodiscover/autodiscover.json?a..foo.var&Protocol=XYZ&FooProtocol=%50owershell"
        )));
    }
}
