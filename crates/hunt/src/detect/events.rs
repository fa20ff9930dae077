//! Windows events (EVTX today, exported JSON lines through the same [`Event`] model): the
//! Exchange cmdlet log (virtual-directory writes, mailbox exports, role assignments) and Unified
//! Messaging deserialization errors.

use std::path::Path;

use exray_core::{Evidence, RuleMeta, SourceKind};
use exray_parse::event::Event;
use exray_parse::evtx_source::read_evtx;

use super::{contains_ci, Ctx};
use crate::rules;

/// What a cmdlet invocation means, if anything.
pub struct CmdletVerdict {
    pub rule: RuleMeta,
    pub key: String,
}

fn has_script(params: &str) -> bool {
    let p = params.as_bytes();
    contains_ci(p, "<script") || contains_ci(p, "runat=") || contains_ci(p, "runat =")
}

/// Paths a mailbox export should never write to: web roots, script names, loopback admin shares.
fn export_target_suspicious(params: &str) -> bool {
    let p = params.to_ascii_lowercase();
    [
        "\\\\localhost\\",
        "\\\\127.0.0.1\\",
        "inetpub",
        "aspnet_client",
        "\\owa\\",
        "\\ecp\\",
        "frontend\\httpproxy",
        ".aspx",
        ".ashx",
        ".asmx",
    ]
    .iter()
    .any(|s| p.contains(s))
}

/// Judge one cmdlet with its parameter text and the process that ran it.
pub fn classify_cmdlet(cmdlet: &str, params: &str, process: &str) -> Option<CmdletVerdict> {
    let c = cmdlet.trim().to_ascii_lowercase();
    let key = |k: &str| {
        if process.is_empty() {
            k.to_string()
        } else {
            format!("{k} via {process}")
        }
    };
    if c.ends_with("virtualdirectory") {
        if c.starts_with("set-") && has_script(params) {
            return Some(CmdletVerdict { rule: rules::ecp_vdir_script(), key: key(&c) });
        }
        if c == "reset-oabvirtualdirectory" || c == "remove-oabvirtualdirectory" || c == "new-oabvirtualdirectory" {
            return Some(CmdletVerdict { rule: rules::ecp_vdir_reset(), key: key(&c) });
        }
        return None;
    }
    match c.as_str() {
        "new-mailboxexportrequest" => Some(CmdletVerdict {
            rule: if export_target_suspicious(params) {
                rules::mailbox_export_webroot()
            } else {
                rules::mailbox_export()
            },
            key: key(&c),
        }),
        "remove-mailboxexportrequest" => Some(CmdletVerdict { rule: rules::export_cleanup(), key: key(&c) }),
        "new-managementroleassignment"
            if contains_ci(params.as_bytes(), "Mailbox Import Export") || contains_ci(process.as_bytes(), "w3wp") =>
        {
            Some(CmdletVerdict { rule: rules::role_assignment(), key: key(&c) })
        }
        _ => None,
    }
}

/// Evaluate one event against the event rules.
pub fn evaluate(e: &Event, display: &str, source: SourceKind, ctx: &mut Ctx<'_>) {
    let is_cmdlet_log = e.provider.eq_ignore_ascii_case("MSExchange CmdletLogs")
        || e.channel.eq_ignore_ascii_case("MSExchange Management");
    let mk = |ctx_fields: &[(&str, &str)]| {
        let mut ev = Evidence::new(source, display);
        ev.record = Some(e.record_id);
        ev.timestamp = e.timestamp;
        ev.raw = Some(exray_core::cap_lossy(e.to_raw().as_bytes(), exray_core::RAW_CAP));
        ev.fields.insert("event_id".into(), e.event_id.to_string());
        ev.fields.insert("provider".into(), e.provider.clone());
        if !e.computer.is_empty() {
            ev.fields.insert("computer".into(), e.computer.clone());
        }
        for (k, v) in ctx_fields {
            ev.fields.insert((*k).to_string(), (*v).to_string());
        }
        ev
    };
    for hit in ctx.event_rules.evaluate(e) {
        let fields: Vec<(&str, &str)> = hit.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let ev = mk(&fields);
        let paths: Vec<String> = hit.fields.iter().flat_map(|(_, v)| super::script_paths(v)).collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let (meta, key) = (hit.meta.clone(), hit.key);
        ctx.hit_with_artifacts(&meta, &key, ev, &refs);
    }
    if is_cmdlet_log && (e.event_id == 1 || e.event_id == 6) {
        let from_message = e.get("Message").and_then(cmdlet_from_message);
        let cmdlet = e
            .strings
            .first()
            .map(String::as_str)
            .or(e.get("Cmdlet"))
            .or(from_message.as_ref().map(|m| m.0.as_str()))
            .unwrap_or("");
        let params = e
            .strings
            .get(1)
            .map(String::as_str)
            .or(e.get("Parameters"))
            .or(from_message.as_ref().map(|m| m.1.as_str()))
            .unwrap_or("");
        let process = e.strings.get(6).map(String::as_str).unwrap_or("");
        let user = e.strings.get(2).map(String::as_str).unwrap_or("");
        if let Some(v) = classify_cmdlet(cmdlet, params, process) {
            let outcome = if e.event_id == 1 { "success" } else { "failure" };
            let ev = mk(&[
                ("cmdlet", cmdlet),
                ("parameters", params),
                ("process", process),
                ("user", user),
                ("outcome", outcome),
            ]);
            let paths = super::script_paths(params);
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            ctx.hit_with_artifacts(&v.rule, &v.key, ev, &refs);
        }
        return;
    }
    if contains_ci(e.provider.as_bytes(), "MSExchange Unified Messaging")
        && e.level.is_none_or(|l| l <= 2)
        && contains_ci(e.text().as_bytes(), "System.InvalidCastException")
    {
        let rule = rules::um_deserialization();
        ctx.hit(&rule, "unified messaging", mk(&[]));
    }
}

/// `Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "…".` (the rendered
/// message of the cmdlet log, which is all some exports keep) → (cmdlet, parameters).
pub fn cmdlet_from_message(m: &str) -> Option<(String, String)> {
    let at = m.find("Cmdlet ").and_then(|i| {
        // Skip "Cmdlet suceeded." / "Cmdlet failed." to the second "Cmdlet ".
        m[i + 7..].find("Cmdlet ").map(|j| i + 7 + j + 7).or(Some(i + 7))
    })?;
    let rest = &m[at..];
    let (name, params) = match rest.find(", parameters ") {
        Some(k) => (&rest[..k], rest[k + 13..].trim_end().trim_end_matches('.')),
        None => (rest.trim_end_matches('.'), ""),
    };
    let name = name.trim();
    (!name.is_empty() && name.contains('-')).then(|| (name.to_string(), params.to_string()))
}

/// Hunt one JSON-lines export of Windows events, or a zip of such files.
pub fn hunt_json(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let Some(mut file) = super::open(ctx, path, display) else {
        return;
    };
    let mut magic = [0u8; 4];
    let is_zip = std::io::Read::read(&mut file, &mut magic).ok() == Some(4) && &magic == b"PK\x03\x04";
    drop(file);
    if is_zip {
        let archive = std::fs::File::open(path).map_err(|e| e.to_string()).and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
        let mut archive = match archive {
            Ok(a) => a,
            Err(e) => {
                ctx.error(display, None, None, format!("not a readable zip: {e}"));
                return;
            }
        };
        for i in 0..archive.len() {
            let entry = match archive.by_index(i) {
                Ok(en) => en,
                Err(e) => {
                    ctx.error(display, None, None, format!("zip entry {i}: {e}"));
                    continue;
                }
            };
            let name = entry.name().to_string();
            let lower = name.to_ascii_lowercase();
            if entry.is_dir() || !(lower.ends_with(".json") || lower.ends_with(".jsonl") || lower.ends_with(".ndjson")) {
                continue;
            }
            let inner = format!("{display}!{name}");
            json_stream(std::io::BufReader::new(entry), &inner, ctx);
        }
        return;
    }
    match std::fs::File::open(path) {
        Ok(f) => json_stream(std::io::BufReader::with_capacity(1 << 20, f), display, ctx),
        Err(e) => ctx.error(display, None, None, format!("cannot open: {e}")),
    }
}

fn json_stream<R: std::io::BufRead>(r: R, display: &str, ctx: &mut Ctx<'_>) {
    let loc = display.to_string();
    let res = exray_parse::json_events::read_json_events(r, |e| {
        ctx.observe(SourceKind::EventJson, &loc, e.timestamp);
        evaluate(&e, display, SourceKind::EventJson, ctx);
    });
    match res {
        Ok(sum) => {
            for (line, m) in &sum.errors {
                ctx.error(display, Some(*line), None, m.clone());
            }
            if sum.error_count > sum.errors.len() as u64 {
                ctx.error(display, None, None, format!("{} more bad event lines", sum.error_count - sum.errors.len() as u64));
            }
            let c = ctx.cov(SourceKind::EventJson, &loc);
            c.files += 1;
            c.records += sum.events;
            c.errors += sum.error_count;
        }
        Err(e) => ctx.error(display, None, None, format!("read error: {e}")),
    }
}

/// Hunt one EVTX file.
pub fn hunt_evtx(path: &Path, display: &str, ctx: &mut Ctx<'_>) {
    let loc = display.to_string();
    let res = read_evtx(path, |e| {
        ctx.observe(SourceKind::Evtx, &loc, e.timestamp);
        evaluate(&e, display, SourceKind::Evtx, ctx);
    });
    match res {
        Ok(sum) => {
            for m in &sum.errors {
                ctx.error(display, None, None, format!("EVTX record not decoded: {m}"));
            }
            if sum.error_count > sum.errors.len() as u64 {
                ctx.error(
                    display,
                    None,
                    None,
                    format!("{} more EVTX decode errors", sum.error_count - sum.errors.len() as u64),
                );
            }
            let c = ctx.cov(SourceKind::Evtx, &loc);
            c.files += 1;
            c.records += sum.records;
            c.errors += sum.error_count;
            c.bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        }
        Err(msg) => {
            ctx.error(display, None, None, msg);
            ctx.cov(SourceKind::Evtx, &loc).errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdlets() {
        let v = classify_cmdlet(
            "Set-OabVirtualDirectory",
            "-ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">eval(Request[\"p\"],\"unsafe\")</script>'",
            "",
        )
        .unwrap();
        assert_eq!(v.rule.id, "EXRAY-PL-006");
        assert!(classify_cmdlet("Set-OabVirtualDirectory", "-ExternalUrl 'https://mail.contoso.com/OAB'", "").is_none());
        let v = classify_cmdlet(
            "New-MailboxExportRequest",
            "-Mailbox admin -FilePath \\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx",
            "w3wp#MSExchangePowerShellAppPool",
        )
        .unwrap();
        assert_eq!(v.rule.id, "EXRAY-EX-002");
        let v = classify_cmdlet("New-MailboxExportRequest", "-Mailbox a -FilePath \\\\backup\\pst\\a.pst", "").unwrap();
        assert_eq!(v.rule.id, "EXRAY-EX-001");
        assert!(classify_cmdlet("Get-Mailbox", "", "").is_none());
        assert!(classify_cmdlet("New-ManagementRoleAssignment", "-Role 'Help Desk' -User x", "").is_none());
        assert!(classify_cmdlet("New-ManagementRoleAssignment", "-Role 'Mailbox Import Export' -User x", "").is_some());
        let (c, p) = cmdlet_from_message("Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl \"http://f/<script>\" -Identity \"OAB\".").unwrap();
        assert_eq!(c, "Set-OabVirtualDirectory");
        assert!(p.starts_with("-ExternalUrl") && p.ends_with("\"OAB\""));
        assert!(cmdlet_from_message("nothing here").is_none());
    }
}
