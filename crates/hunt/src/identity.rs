//! The host's identity: its names and addresses, from the registry (the `SYSTEM` hive or a
//! `.reg` export: computer name, TCP/IP host name and primary DNS suffix, interface addresses)
//! and from what the host's own logs write of it (the `Computer` of the first records of each
//! EVTX file, HttpProxy `ServerHostName`, IIS `s-ip` and `s-computername`), each with where it
//! was read (`host.identity`).
//!
//! The logs are not searched for these: the request-log detectors hand over the values of the
//! records they parse anyway (the first lines of each file and its last data line), so the
//! prefiltered hot path does no extra work. Values are counted per file, and the table is bounded.

use std::collections::HashMap;

use exray_core::{is_dns_name, HostInfo, IdentityEvidence, IdentityField, IdentitySource};
use exray_parse::regexport::{host_address, IdentityKind, MAX_ADDRESSES};

use crate::registry::RegistryFacts;

/// Distinct values kept per source and field (a server has a few names and addresses; a log
/// folder of a whole farm, or forged values, must not grow the table).
pub const MAX_VALUES: usize = 16;
/// Log values listed in `host.identity` per source and field, most files first.
pub const MAX_LISTED: usize = 8;

/// What the request logs say of the server: (source, field, value) → files and first file.
#[derive(Debug, Default)]
pub struct LogNames {
    values: HashMap<(IdentitySource, IdentityField, String), Seen>,
    /// Values not kept because the table was full.
    pub dropped: u64,
}

#[derive(Debug, Clone)]
struct Seen {
    files: u64,
    file: String,
    column: &'static str,
}

/// The names and addresses one log file gave (a few distinct values, counted once per file).
#[derive(Debug, Default)]
pub struct FileNames {
    values: Vec<(IdentityField, String, &'static str)>,
}

impl FileNames {
    /// Note a value of `column` (raw bytes from the log; empty and `-` are nothing).
    pub fn note(&mut self, column: &'static str, raw: &[u8]) {
        if raw.is_empty() || raw == b"-" || raw.len() > 255 || self.values.len() >= 8 {
            return;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            return;
        };
        let text = text.trim();
        let (field, value) = if column == "s-ip" {
            match host_address(text) {
                Some(ip) => (IdentityField::Ip, ip.to_string()),
                None => return,
            }
        } else if is_dns_name(text) && text.contains('.') {
            (IdentityField::Fqdn, text.to_string())
        } else if is_dns_name(text) {
            (IdentityField::Hostname, text.to_string())
        } else {
            return;
        };
        if !self
            .values
            .iter()
            .any(|(f, v, c)| *f == field && *v == value && *c == column)
        {
            self.values.push((field, value, column));
        }
    }
}

impl LogNames {
    /// Count one file's values.
    pub fn add_file(&mut self, source: IdentitySource, file: &str, names: FileNames) {
        for (field, value, column) in names.values {
            let key = (source, field, value);
            if let Some(s) = self.values.get_mut(&key) {
                s.files += 1;
            } else if self
                .values
                .keys()
                .filter(|(s, f, _)| *s == source && *f == field)
                .count()
                < MAX_VALUES
            {
                self.values.insert(
                    key,
                    Seen {
                        files: 1,
                        file: file.to_string(),
                        column,
                    },
                );
            } else {
                self.dropped += 1;
            }
        }
    }

    /// Fold another worker's table into this one.
    pub fn merge(&mut self, other: LogNames) {
        self.dropped += other.dropped;
        for (key, seen) in other.values {
            if let Some(s) = self.values.get_mut(&key) {
                s.files += seen.files;
                if seen.file < s.file {
                    s.file = seen.file;
                }
            } else if self
                .values
                .keys()
                .filter(|(s, f, _)| *s == key.0 && *f == key.1)
                .count()
                < MAX_VALUES
            {
                self.values.insert(key, seen);
            } else {
                self.dropped += 1;
            }
        }
    }

    /// The values of one source and field, most files first (ties by value, for stable output).
    fn ranked(&self, source: IdentitySource, field: IdentityField) -> Vec<(&str, &Seen)> {
        let mut v: Vec<(&str, &Seen)> = self
            .values
            .iter()
            .filter(|((s, f, _), _)| *s == source && *f == field)
            .map(|((_, _, value), seen)| (value.as_str(), seen))
            .collect();
        v.sort_by(|a, b| b.1.files.cmp(&a.1.files).then(a.0.cmp(b.0)));
        v
    }
}

/// Fill the host's names, addresses and their evidence. The registry is preferred for names
/// (it is the host's own configuration); the logs fill what it does not give. Addresses: the
/// registry's interfaces, then the IIS logs' `s-ip` values. Conflicting registry names (hives
/// of more than one host in the hunted folder) are said in `warnings`.
pub fn assemble(
    registry: &RegistryFacts,
    logs: &LogNames,
    host: &mut HostInfo,
    warnings: &mut Vec<String>,
) {
    let reg = |kind: IdentityKind| {
        registry
            .identity
            .iter()
            .filter(move |(_, v)| v.kind == kind)
    };
    // Names from the first file that gives a computer or host name; other files' names are
    // evidence, and a different one is a warning.
    let first_file = reg(IdentityKind::ComputerName)
        .chain(reg(IdentityKind::Hostname))
        .map(|(f, _)| f.clone())
        .next();
    let in_first = |kind: IdentityKind| {
        reg(kind)
            .find(|(f, _)| Some(f) == first_file.as_ref())
            .map(|(_, v)| v.value.clone())
    };
    let computer = in_first(IdentityKind::ComputerName);
    let dns_host = in_first(IdentityKind::Hostname);
    let domain = in_first(IdentityKind::Domain);
    let mut others: Vec<String> = reg(IdentityKind::ComputerName)
        .chain(reg(IdentityKind::Hostname))
        .filter(|(f, _)| Some(f) != first_file.as_ref())
        .map(|(_, v)| v.value.to_ascii_lowercase())
        .filter(|n| {
            Some(n) != computer.as_ref().map(|c| c.to_ascii_lowercase()).as_ref()
                && Some(n) != dns_host.as_ref().map(|c| c.to_ascii_lowercase()).as_ref()
        })
        .collect();
    others.sort();
    others.dedup();
    if !others.is_empty() {
        warnings.push(format!(
            "the registry files name more than one host ({}, and {}): the host is taken to be {}, as its first file says ({})",
            computer.as_deref().or(dns_host.as_deref()).unwrap_or("?"),
            others.join(", "),
            computer.as_deref().or(dns_host.as_deref()).unwrap_or("?"),
            first_file.as_deref().unwrap_or("?"),
        ));
    }
    let evtx_names = logs.ranked(IdentitySource::Evtx, IdentityField::Hostname);
    let evtx_fqdns = logs.ranked(IdentitySource::Evtx, IdentityField::Fqdn);
    let proxy_names = logs.ranked(IdentitySource::HttpProxy, IdentityField::Hostname);
    let proxy_fqdns = logs.ranked(IdentitySource::HttpProxy, IdentityField::Fqdn);
    let iis_names = logs.ranked(IdentitySource::Iis, IdentityField::Hostname);
    let iis_fqdns = logs.ranked(IdentitySource::Iis, IdentityField::Fqdn);
    if host.hostname.is_none() {
        let short = |v: &str| v.split('.').next().unwrap_or(v).to_string();
        host.hostname = computer
            .clone()
            .or(dns_host.clone())
            .or_else(|| evtx_fqdns.first().map(|(v, _)| short(v)))
            .or_else(|| evtx_names.first().map(|(v, _)| v.to_string()))
            .or_else(|| proxy_names.first().map(|(v, _)| v.to_string()))
            .or_else(|| proxy_fqdns.first().map(|(v, _)| short(v)))
            .or_else(|| iis_names.first().map(|(v, _)| v.to_string()));
    }
    if host.fqdn.is_none() {
        let label = dns_host.clone().or(computer.clone());
        host.fqdn = match (label, domain) {
            (Some(l), Some(d)) => Some(format!("{l}.{}", d.trim_matches('.')).to_ascii_lowercase()),
            _ => None,
        }
        .filter(|f| is_dns_name(f))
        .or_else(|| {
            // A dotted server name from the logs, if it is the host the names above name.
            evtx_fqdns
                .iter()
                .chain(proxy_fqdns.iter())
                .chain(iis_fqdns.iter())
                .map(|(v, _)| v.to_ascii_lowercase())
                .find(|v| {
                    let short = v.split('.').next().unwrap_or(v);
                    host.hostname
                        .as_deref()
                        .is_none_or(|h| h.eq_ignore_ascii_case(short))
                })
        });
    }
    // Logs of several servers in one hunted folder: say so (the addresses are all listed).
    let mut logged: Vec<String> = evtx_fqdns
        .iter()
        .chain(proxy_fqdns.iter())
        .map(|(v, _)| v.split('.').next().unwrap_or(v).to_ascii_lowercase())
        .chain(
            evtx_names
                .iter()
                .chain(proxy_names.iter())
                .map(|(v, _)| v.to_ascii_lowercase()),
        )
        .collect();
    logged.sort();
    logged.dedup();
    let known: Vec<String> = computer
        .iter()
        .chain(dns_host.iter())
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let strangers = logged
        .iter()
        .any(|n| !known.is_empty() && !known.contains(n));
    if strangers {
        logged.extend(known.iter().cloned());
        logged.sort();
        logged.dedup();
    }
    if logged.len() > 1 || strangers {
        warnings.push(format!(
            "the logs were written by more than one server ({}): the host is named {} (the registry's name, else the one in most files), every address the logs give is listed, and the findings may be about any of them",
            logged.join(", "),
            host.hostname.as_deref().unwrap_or("?")
        ));
    }
    let mut ips: Vec<String> = Vec::new();
    for (_, v) in reg(IdentityKind::Ip) {
        if !ips.contains(&v.value) {
            ips.push(v.value.clone());
        }
    }
    for (v, _) in logs.ranked(IdentitySource::Iis, IdentityField::Ip) {
        if !ips.iter().any(|i| i == v) {
            ips.push(v.to_string());
        }
    }
    ips.truncate(MAX_ADDRESSES);
    for ip in ips {
        if !host.ips.contains(&ip) {
            host.ips.push(ip);
        }
    }
    for (file, v) in &registry.identity {
        host.identity.push(IdentityEvidence {
            field: match v.kind {
                IdentityKind::ComputerName | IdentityKind::Hostname => IdentityField::Hostname,
                IdentityKind::Domain => IdentityField::Domain,
                IdentityKind::Ip => IdentityField::Ip,
            },
            value: v.value.clone(),
            source: IdentitySource::Registry,
            file: file.clone(),
            location: format!(r"{}\{}", v.key, v.name),
            files: None,
        });
    }
    for source in [
        IdentitySource::Evtx,
        IdentitySource::HttpProxy,
        IdentitySource::Iis,
    ] {
        for field in [
            IdentityField::Hostname,
            IdentityField::Fqdn,
            IdentityField::Ip,
        ] {
            for (value, seen) in logs.ranked(source, field).into_iter().take(MAX_LISTED) {
                host.identity.push(IdentityEvidence {
                    field,
                    value: value.to_string(),
                    source,
                    file: seen.file.clone(),
                    location: seen.column.to_string(),
                    files: Some(seen.files),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exray_parse::regexport::IdentityValue;

    fn reg(kind: IdentityKind, value: &str) -> (String, IdentityValue) {
        (
            r"C:\Windows\System32\config\SYSTEM".into(),
            IdentityValue {
                kind,
                value: value.into(),
                key: r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip\Parameters".into(),
                name: "x".into(),
            },
        )
    }

    fn iis(logs: &mut LogNames, file: &str, ips: &[&str]) {
        let mut f = FileNames::default();
        for ip in ips {
            f.note("s-ip", ip.as_bytes());
        }
        logs.add_file(IdentitySource::Iis, file, f);
    }

    #[test]
    fn registry_names_first_then_log_addresses_by_files() {
        let registry = RegistryFacts {
            identity: vec![
                reg(IdentityKind::ComputerName, "EX01"),
                reg(IdentityKind::Hostname, "ex01"),
                reg(IdentityKind::Domain, "Contoso.Local"),
                reg(IdentityKind::Ip, "10.0.0.5"),
            ],
            ..Default::default()
        };
        let mut logs = LogNames::default();
        iis(&mut logs, "a.log", &["10.0.0.5", "127.0.0.1", "-"]);
        iis(&mut logs, "b.log", &["192.0.2.9"]);
        iis(&mut logs, "c.log", &["192.0.2.9"]);
        iis(&mut logs, "d.log", &["198.51.100.1"]);
        let mut proxy = FileNames::default();
        proxy.note("ServerHostName", b"EX02");
        logs.add_file(IdentitySource::HttpProxy, "p.log", proxy);
        let mut host = HostInfo::default();
        let mut warnings = Vec::new();
        assemble(&registry, &logs, &mut host, &mut warnings);
        assert_eq!(host.hostname.as_deref(), Some("EX01"));
        assert_eq!(host.fqdn.as_deref(), Some("ex01.contoso.local"));
        assert_eq!(host.ips, ["10.0.0.5", "192.0.2.9", "198.51.100.1"]);
        let s_ip = host
            .identity
            .iter()
            .find(|e| e.value == "192.0.2.9")
            .unwrap();
        assert_eq!(
            (
                s_ip.source,
                s_ip.files,
                s_ip.file.as_str(),
                s_ip.location.as_str()
            ),
            (IdentitySource::Iis, Some(2), "b.log", "s-ip")
        );
        assert!(host.identity.iter().any(|e| e.value == "EX02"));
        assert_eq!(warnings.len(), 1, "the HttpProxy logs name a second server");
        assert!(warnings[0].contains("ex02"), "{warnings:?}");
    }

    #[test]
    fn without_a_registry_the_logs_name_the_server() {
        let mut logs = LogNames::default();
        let mut proxy = FileNames::default();
        proxy.note("ServerHostName", b"EX01");
        logs.add_file(IdentitySource::HttpProxy, "p.log", proxy);
        let mut iis = FileNames::default();
        iis.note("s-computername", b"EX01.contoso.local");
        iis.note("s-computername", b"OTHER.contoso.local");
        logs.add_file(IdentitySource::Iis, "u.log", iis);
        let mut host = HostInfo::default();
        assemble(&RegistryFacts::default(), &logs, &mut host, &mut Vec::new());
        assert_eq!(host.hostname.as_deref(), Some("EX01"));
        assert_eq!(
            host.fqdn.as_deref(),
            Some("ex01.contoso.local"),
            "the dotted name of the server the logs name, not another one"
        );
    }

    #[test]
    fn event_logs_give_the_fqdn_without_a_registry() {
        let mut logs = LogNames::default();
        for file in ["Security.evtx", "Application.evtx"] {
            let mut f = FileNames::default();
            f.note("Computer", b"EX01.Contoso.local");
            logs.add_file(IdentitySource::Evtx, file, f);
        }
        let mut proxy = FileNames::default();
        proxy.note("ServerHostName", b"EX01");
        logs.add_file(IdentitySource::HttpProxy, "p.log", proxy);
        let mut host = HostInfo::default();
        assemble(&RegistryFacts::default(), &logs, &mut host, &mut Vec::new());
        assert_eq!(host.hostname.as_deref(), Some("EX01"));
        assert_eq!(host.fqdn.as_deref(), Some("ex01.contoso.local"));
        let e = &host.identity[0];
        assert_eq!(
            (e.source, e.field, e.files, e.location.as_str()),
            (
                IdentitySource::Evtx,
                IdentityField::Fqdn,
                Some(2),
                "Computer"
            )
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let mut logs = LogNames::default();
        for i in 0..100 {
            iis(&mut logs, &format!("{i}.log"), &[&format!("192.0.2.{i}")]);
        }
        assert_eq!(logs.values.len(), MAX_VALUES);
        assert_eq!(logs.dropped, 100 - MAX_VALUES as u64);
        let mut host = HostInfo::default();
        assemble(&RegistryFacts::default(), &logs, &mut host, &mut Vec::new());
        assert_eq!(host.ips.len(), MAX_VALUES);
        assert_eq!(host.identity.len(), MAX_LISTED);
    }
}
