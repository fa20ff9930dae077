//! Binary registry hives (`regf`: `SOFTWARE`, `SYSTEM`, and triage copies of them) through the
//! `notatin` parser: the facts `.reg` exports give ([`crate::regexport`]: installed Exchange
//! updates, service start types, the host's names and addresses), plus Exchange's install path
//! (`MsiInstallPath`).
//!
//! The hive is read from a buffer the caller read within its size cap. A damaged hive is an
//! error with a reason, never a panic: the parser runs behind `catch_unwind`, and key walks are
//! bounded in depth and count.

use std::io::Cursor;

use notatin::cell_key_node::CellKeyNode;
use notatin::cell_value::CellValue;
use notatin::parser::Parser;
use notatin::parser_builder::ParserBuilder;

use crate::regexport::{identity_of, IdentityValue, InstalledUpdate, Interface, MAX_INTERFACES};

/// The magic of a registry hive file.
pub const MAGIC: &[u8; 4] = b"regf";

/// What a hive says about Exchange.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HiveFacts {
    /// `HKLM\SOFTWARE\Microsoft\Updates\Exchange 20xx\…\KB…` (SOFTWARE hive).
    pub updates: Vec<InstalledUpdate>,
    /// `(service name, Start)` of the services of the current control set (SYSTEM hive).
    pub service_starts: Vec<(String, u32)>,
    /// `MsiInstallPath` under `Microsoft\ExchangeServer\v15\Setup` (or v14), with its key.
    pub install_paths: Vec<(String, String)>,
    /// The host's computer name, TCP/IP host name and domain, and interface addresses, from the
    /// current control set (SYSTEM hive; bounded by [`crate::regexport::MAX_ADDRESSES`]).
    pub identity: Vec<IdentityValue>,
}

/// Why a hive could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HiveError {
    #[error("not a registry hive (no `regf` signature)")]
    NotAHive,
    #[error("damaged registry hive: {0}")]
    Damaged(String),
}

/// Subkeys looked at per key, and levels below `Microsoft\Updates`: a real hive stays far below.
const MAX_SUBKEYS: usize = 4096;
const MAX_UPDATE_DEPTH: usize = 4;

/// Read the Exchange facts of one hive.
pub fn read_hive(data: Vec<u8>) -> Result<HiveFacts, HiveError> {
    if !data.starts_with(MAGIC) {
        return Err(HiveError::NotAHive);
    }
    std::panic::catch_unwind(move || facts(data)).unwrap_or_else(|_| {
        Err(HiveError::Damaged(
            "the hive parser gave up on its structure".into(),
        ))
    })
}

fn facts(data: Vec<u8>) -> Result<HiveFacts, HiveError> {
    let mut parser = ParserBuilder::from_file(Cursor::new(data))
        .build()
        .map_err(|e| HiveError::Damaged(e.to_string()))?;
    let mut out = HiveFacts::default();
    for v in ["v15", "v14"] {
        let path = format!(r"Microsoft\ExchangeServer\{v}\Setup");
        if let Some(k) = key(&mut parser, &path) {
            if let Some(p) = string(&k, "MsiInstallPath") {
                out.install_paths
                    .push((format!(r"HKEY_LOCAL_MACHINE\SOFTWARE\{path}"), p));
            }
        }
    }
    if let Some(mut updates) = key(&mut parser, r"Microsoft\Updates") {
        for mut product in subkeys(&mut updates, &mut parser) {
            if product
                .key_name
                .to_ascii_lowercase()
                .starts_with("exchange")
            {
                let shown = format!(
                    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Updates\{}",
                    product.key_name
                );
                kbs(&mut product, &mut parser, &shown, 0, &mut out.updates);
            }
        }
    }
    let set = key(&mut parser, "Select")
        .and_then(|k| number(&k, "Current"))
        .unwrap_or(1);
    if let Some(mut services) = key(&mut parser, &format!(r"ControlSet{set:03}\Services")) {
        for svc in subkeys(&mut services, &mut parser) {
            if let Some(start) = number(&svc, "Start") {
                out.service_starts.push((svc.key_name.clone(), start));
            }
        }
    }
    out.identity = identity(&mut parser, set);
    Ok(out)
}

/// The names and addresses of the host in control set `set`.
fn identity(parser: &mut Parser, set: u32) -> Vec<IdentityValue> {
    let cs = format!(r"ControlSet{set:03}");
    let shown = |rel: &str| format!(r"HKEY_LOCAL_MACHINE\SYSTEM\{cs}\{rel}");
    let rel = r"Control\ComputerName\ComputerName";
    let computer = key(parser, &format!(r"{cs}\{rel}"))
        .and_then(|k| string(&k, "ComputerName"))
        .map(|n| (shown(rel), n));
    let rel = r"Services\Tcpip\Parameters";
    let tcpip = key(parser, &format!(r"{cs}\{rel}")).map(|k| {
        let values = ["Hostname", "NV Hostname", "Domain", "NV Domain"]
            .iter()
            .filter_map(|n| string(&k, n).map(|v| (n.to_string(), v)))
            .collect();
        (shown(rel), values)
    });
    let mut interfaces = Vec::new();
    let rel = r"Services\Tcpip\Parameters\Interfaces";
    if let Some(mut list) = key(parser, &format!(r"{cs}\{rel}")) {
        for k in subkeys(&mut list, parser).into_iter().take(MAX_INTERFACES) {
            let iface = Interface {
                enable_dhcp: number(&k, "EnableDHCP"),
                static_ips: strings(&k, "IPAddress"),
                dhcp_ip: string(&k, "DhcpIPAddress"),
            };
            interfaces.push((shown(&format!(r"{rel}\{}", k.key_name)), iface));
        }
    }
    identity_of(computer, tcpip, interfaces)
}

/// A string or multi-string value as its strings.
fn strings(k: &CellKeyNode, name: &str) -> Vec<String> {
    let Some(v) = k.get_value(name) else {
        return Vec::new();
    };
    match v.get_content().0 {
        CellValue::String(s) => vec![s.trim_end_matches('\0').to_string()],
        CellValue::MultiString(v) => v
            .into_iter()
            .take(crate::regexport::MAX_ADDRESSES)
            .collect(),
        _ => Vec::new(),
    }
}

fn key(parser: &mut Parser, path: &str) -> Option<CellKeyNode> {
    parser.get_key(path, false).ok().flatten()
}

fn subkeys(k: &mut CellKeyNode, parser: &mut Parser) -> Vec<CellKeyNode> {
    let mut v = k.read_sub_keys(parser);
    v.truncate(MAX_SUBKEYS);
    v
}

/// Update keys (`KB` and digits) below an `Exchange 20xx` key, at any depth up to the limit.
fn kbs(
    k: &mut CellKeyNode,
    parser: &mut Parser,
    shown: &str,
    depth: usize,
    out: &mut Vec<InstalledUpdate>,
) {
    if depth > MAX_UPDATE_DEPTH {
        return;
    }
    for mut sub in subkeys(k, parser) {
        let name = sub.key_name.clone();
        let path = format!(r"{shown}\{name}");
        let is_kb = name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("KB"))
            && name.len() > 2
            && name[2..].chars().all(|c| c.is_ascii_digit());
        if is_kb {
            out.push(InstalledUpdate {
                kb: name.to_ascii_uppercase(),
                key: path,
                package: string(&sub, "PackageName"),
            });
        } else {
            kbs(&mut sub, parser, &path, depth + 1, out);
        }
    }
}

fn string(k: &CellKeyNode, name: &str) -> Option<String> {
    match k.get_value(name)?.get_content().0 {
        CellValue::String(s) => Some(s.trim_end_matches('\0').to_string()),
        CellValue::MultiString(v) => v.into_iter().next(),
        _ => None,
    }
}

fn number(k: &CellKeyNode, name: &str) -> Option<u32> {
    match k.get_value(name)?.get_content().0 {
        CellValue::U32(n) => Some(n),
        CellValue::I32(n) => u32::try_from(n).ok(),
        CellValue::U64(n) => u32::try_from(n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_hive_and_damaged_hives_are_errors() {
        assert_eq!(read_hive(b"MZ\x90\0".to_vec()), Err(HiveError::NotAHive));
        let mut cut = b"regf".to_vec();
        cut.resize(600, 0);
        assert!(matches!(read_hive(cut), Err(HiveError::Damaged(_))));
    }
}
