//! Mitigation audit: which of Microsoft's published IIS URL Rewrite mitigations are configured in
//! the Default Web Site's `web.config`, whether a child configuration switches them off, and which
//! are in a form known to be bypassable.

use std::path::Path;

use exray_core::{InputError, Mitigation, MitigationStatus};
use exray_files::evidence::Kind;
use exray_files::winpath::resolve_ci;
use exray_parse::webconfig::{parse_rewrite, RewriteConfig, RewriteRule};

struct Known {
    name: &'static str,
    cves: &'static [&'static str],
    /// Does this configured rule implement the mitigation?
    matches: fn(&RewriteRule) -> bool,
    /// If it does, is it a bypassable form? (the note says why)
    bypass: fn(&RewriteRule) -> Option<&'static str>,
}

fn texts(r: &RewriteRule) -> String {
    let mut s = r.url.to_lowercase();
    for (input, pattern, _) in &r.conditions {
        s.push(' ');
        s.push_str(&input.to_lowercase());
        s.push(' ');
        s.push_str(&pattern.to_lowercase());
    }
    s
}

const KNOWN: &[Known] = &[
    Known {
        name: "ProxyLogon: block X-BEResource / X-AnonResource-Backend cookies (EOMT, March 2021)",
        cves: &["CVE-2021-26855"],
        matches: |r| {
            let t = texts(r);
            t.contains("x-beresource") || t.contains("x-anonresource-backend")
        },
        bypass: |_| None,
    },
    Known {
        name: "ProxyNotShell: block autodiscover requests for PowerShell (September 2022)",
        cves: &["CVE-2022-41040", "CVE-2022-41082"],
        matches: |r| {
            let t = texts(r);
            t.contains("autodiscover") && t.contains("powershell")
        },
        bypass: |r| {
            let t = texts(r);
            if !t.contains("urldecode") {
                Some("the rule matches the raw REQUEST_URI: encoded requests bypass it; Microsoft's revised rule matches {UrlDecode:{REQUEST_URI}}")
            } else if t.contains("\\@") || t.contains("json.*@") {
                Some("the first published pattern (requiring '@') was bypassed; use (?=.*autodiscover)(?=.*powershell)")
            } else {
                None
            }
        },
    },
];

/// A rule blocks when it aborts or answers itself, on conditions that are not negated.
fn blocks(r: &RewriteRule) -> bool {
    let action = r.action.to_ascii_lowercase();
    (action == "abortrequest" || action == "customresponse") && !r.conditions.iter().any(|c| c.2)
}

/// Child applications under the Exchange front end whose web.config may override the root.
const CHILDREN: &[&str] = &[
    "owa",
    "ecp",
    "autodiscover",
    "ews",
    "mapi",
    "oab",
    "powershell",
    "Microsoft-Server-ActiveSync",
    "rpc",
];

/// Audit the web.config files under a system root and the Exchange install roots.
pub fn audit(
    system_root: &Path,
    exchange_roots: &[std::path::PathBuf],
    warnings: &mut Vec<String>,
    errors: &mut Vec<InputError>,
) -> Vec<Mitigation> {
    let Some(root_cfg) = resolve_ci(system_root, r"inetpub\wwwroot\web.config") else {
        warnings.push(
            "no C:\\inetpub\\wwwroot\\web.config: URL Rewrite mitigations not assessed".into(),
        );
        return Vec::new();
    };
    let mut read = |p: &Path| -> Option<RewriteConfig> {
        let shown = p.display().to_string();
        let bytes = crate::hunt::read_small(p, Kind::Config, &shown, errors)?;
        match String::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|t| parse_rewrite(&t))
        {
            Ok(c) => Some(c),
            Err(e) => {
                warnings.push(format!("{}: {e}", p.display()));
                None
            }
        }
    };
    let Some(root) = read(&root_cfg) else {
        return Vec::new();
    };
    let mut children: Vec<(String, RewriteConfig)> = Vec::new();
    for ex in exchange_roots {
        for app in CHILDREN {
            if let Some(p) = resolve_ci(ex, &format!(r"FrontEnd\HttpProxy\{app}\web.config")) {
                if let Some(c) = read(&p) {
                    children.push((format!(r"FrontEnd\HttpProxy\{app}\web.config"), c));
                }
            }
        }
    }
    let root_name = r"C:\inetpub\wwwroot\web.config".to_string();
    KNOWN
        .iter()
        .map(|k| {
            let found: Vec<&RewriteRule> = root.rules.iter().filter(|r| (k.matches)(r)).collect();
            let mut evidence = vec![root_name.clone()];
            let (status, note) = if found.is_empty() {
                (MitigationStatus::Absent, None)
            } else if found.iter().all(|r| !r.enabled) {
                (
                    MitigationStatus::Disabled,
                    Some("the rule is present with enabled=\"false\"".to_string()),
                )
            } else if let Some((child, _)) = children.iter().find(|(_, c)| {
                c.cleared
                    || found
                        .iter()
                        .any(|r| c.removed.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
            }) {
                evidence.push(child.clone());
                (
                    MitigationStatus::Disabled,
                    Some(format!("{child} removes the rule for its application")),
                )
            } else if let Some(r) = found.iter().find(|r| !blocks(r)) {
                (
                    MitigationStatus::Bypassable,
                    Some(format!(
                        "rule {:?} does not block: action {:?} or a negated condition",
                        r.name, r.action
                    )),
                )
            } else if let Some(why) = found.iter().find_map(|r| (k.bypass)(r)) {
                (MitigationStatus::Bypassable, Some(why.to_string()))
            } else {
                (MitigationStatus::Present, None)
            };
            Mitigation {
                name: k.name.to_string(),
                cves: k.cves.iter().map(|s| s.to_string()).collect(),
                status,
                evidence,
                note,
            }
        })
        .collect()
}

/// Interim mitigations of March 2021 that are service and pool states: Unified Messaging services
/// disabled (CVE-2021-26857), the ECP and OAB application pools stopped (CVE-2021-27065,
/// CVE-2021-26858). Read from `applicationHost.config` and from the registry (exports and hives), where the
/// triage holds them; nothing is reported where it does not.
pub fn audit_services(
    system_root: &Path,
    registry: &crate::registry::RegistryFacts,
    warnings: &mut Vec<String>,
    errors: &mut Vec<InputError>,
) -> Vec<Mitigation> {
    let mut out = Vec::new();
    let starts = &registry.service_starts;
    let um: Vec<&(String, u32)> = starts
        .iter()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("MSExchangeUM") || n.eq_ignore_ascii_case("MSExchangeUMCR")
        })
        .collect();
    if !um.is_empty() {
        let disabled = um.iter().all(|(_, s)| *s == 4);
        out.push(Mitigation {
            name: "Unified Messaging services disabled (interim mitigation, March 2021)".into(),
            cves: vec!["CVE-2021-26857".into()],
            status: if disabled {
                MitigationStatus::Present
            } else {
                MitigationStatus::Absent
            },
            evidence: registry
                .service_sources
                .iter()
                .map(|f| format!("{f} (Services\\MSExchangeUM, MSExchangeUMCR)"))
                .collect(),
            note: Some(
                um.iter()
                    .map(|(n, s)| format!("{n} Start={s}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        });
    }
    if let Some(cfg) = resolve_ci(
        system_root,
        r"Windows\System32\inetsrv\config\applicationHost.config",
    ) {
        let shown = cfg.display().to_string();
        let text = crate::hunt::read_small(&cfg, Kind::Config, &shown, errors)
            .map(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8: {e}")));
        match text.map(|t| t.and_then(|t| exray_parse::webconfig::app_pools(&t))) {
            None => {}
            Some(Ok(pools)) => {
                for (pool, cves) in [
                    ("MSExchangeECPAppPool", "CVE-2021-27065"),
                    ("MSExchangeOABAppPool", "CVE-2021-26858"),
                ] {
                    if let Some((_, auto)) =
                        pools.iter().find(|(n, _)| n.eq_ignore_ascii_case(pool))
                    {
                        out.push(Mitigation {
                            name: format!("{pool} stopped (interim mitigation, March 2021)"),
                            cves: vec![cves.into()],
                            status: if *auto { MitigationStatus::Absent } else { MitigationStatus::Present },
                            evidence: vec![r"C:\Windows\System32\inetsrv\config\applicationHost.config".into()],
                            note: Some(if *auto {
                                "the pool starts automatically (autoStart is not false); its run-time state is not in the configuration".into()
                            } else {
                                "autoStart=\"false\"".into()
                            }),
                        });
                    }
                }
            }
            Some(Err(e)) => warnings.push(format!("{}: {e}", cfg.display())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rules: &str) -> String {
        format!("<configuration><system.webServer><rewrite><rules>{rules}</rules></rewrite></system.webServer></configuration>")
    }

    #[test]
    fn states() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("inetpub/wwwroot")).unwrap();
        let ex = root.join("Program Files/Microsoft/Exchange Server/V15");
        std::fs::create_dir_all(ex.join("FrontEnd/HttpProxy/owa")).unwrap();
        let mut w = Vec::new();
        // Nothing configured.
        std::fs::write(root.join("inetpub/wwwroot/web.config"), cfg("")).unwrap();
        let m = audit(root, std::slice::from_ref(&ex), &mut w, &mut Vec::new());
        assert!(m.iter().all(|m| m.status == MitigationStatus::Absent));
        // EOMT cookie rule and the first, bypassable ProxyNotShell rule.
        std::fs::write(
            root.join("inetpub/wwwroot/web.config"),
            cfg(r#"<rule name="X-BEResource Abort - inbound"><match url=".*"/><conditions><add input="{HTTP_COOKIE}" pattern="X-BEResource=(.+)/(.+)~(.+)"/></conditions><action type="AbortRequest"/></rule>
                   <rule name="PowerShell - inbound"><match url=".*"/><conditions><add input="{REQUEST_URI}" pattern=".*autodiscover\.json.*\@.*Powershell.*"/></conditions><action type="AbortRequest"/></rule>"#),
        )
        .unwrap();
        let m = audit(root, std::slice::from_ref(&ex), &mut w, &mut Vec::new());
        assert_eq!(m[0].status, MitigationStatus::Present);
        assert_eq!(m[1].status, MitigationStatus::Bypassable);
        // A child config removes the cookie rule.
        std::fs::write(
            ex.join("FrontEnd/HttpProxy/owa/web.config"),
            cfg(r#"<remove name="X-BEResource Abort - inbound"/>"#),
        )
        .unwrap();
        let m = audit(root, std::slice::from_ref(&ex), &mut w, &mut Vec::new());
        assert_eq!(m[0].status, MitigationStatus::Disabled);
        assert!(m[0].evidence.iter().any(|e| e.contains("owa")));
        assert!(w.is_empty(), "{w:?}");
        // A rule that only rewrites does not block.
        std::fs::remove_file(ex.join("FrontEnd/HttpProxy/owa/web.config")).unwrap();
        std::fs::write(
            root.join("inetpub/wwwroot/web.config"),
            cfg(r#"<rule name="X-BEResource"><match url=".*"/><conditions><add input="{HTTP_COOKIE}" pattern="X-BEResource=(.+)/(.+)~(.+)"/></conditions><action type="None"/></rule>"#),
        )
        .unwrap();
        let m = audit(root, std::slice::from_ref(&ex), &mut w, &mut Vec::new());
        assert_eq!(m[0].status, MitigationStatus::Bypassable);
        // Service and pool states.
        std::fs::create_dir_all(root.join("Windows/System32/inetsrv/config")).unwrap();
        std::fs::write(
            root.join("Windows/System32/inetsrv/config/applicationHost.config"),
            r#"<configuration><system.applicationHost><applicationPools><add name="MSExchangeECPAppPool" autoStart="false"/><add name="MSExchangeOABAppPool"/></applicationPools></system.applicationHost></configuration>"#,
        )
        .unwrap();
        let reg = "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeUM]\r\n\"Start\"=dword:00000004\r\n".to_string();
        let facts = crate::registry::RegistryFacts {
            service_starts: exray_parse::regexport::service_starts(&reg),
            service_sources: vec!["services.reg".into()],
            ..Default::default()
        };
        let s = audit_services(root, &facts, &mut w, &mut Vec::new());
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].status, MitigationStatus::Present, "UM disabled");
        assert_eq!(
            s[1].status,
            MitigationStatus::Present,
            "ECP pool autoStart=false"
        );
        assert_eq!(s[2].status, MitigationStatus::Absent, "OAB pool starts");
    }
}
