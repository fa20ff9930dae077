//! Exported registry files (`.reg`, "Windows Registry Editor Version 5.00", UTF-16LE or UTF-8):
//! the Exchange security updates listed under `HKLM\SOFTWARE\Microsoft\Updates\Exchange 20xx`,
//! service start types, and the host's names and addresses ([`host_identity`]: computer name,
//! TCP/IP host name and domain, interface addresses of the `SYSTEM` hive).

/// One installed update as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledUpdate {
    /// `KB5000871`.
    pub kb: String,
    /// The key path it was found under.
    pub key: String,
    /// `PackageName` value, when present.
    pub package: Option<String>,
}

/// Decode a .reg file's bytes (UTF-16LE with BOM, or UTF-8).
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned()
    }
}

/// The `Start` value (2 automatic, 3 manual, 4 disabled) of each service key in a .reg export:
/// `(service name, start)`.
pub fn service_starts(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(key) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let lower = key.to_ascii_lowercase();
            current = lower
                .find("\\services\\")
                .map(|i| &key[i + 10..])
                .filter(|rest| !rest.is_empty() && !rest.contains('\\'))
                .map(str::to_string);
        } else if let (Some(svc), Some(v)) = (&current, line.strip_prefix("\"Start\"=dword:")) {
            if let Ok(n) = u32::from_str_radix(v.trim(), 16) {
                out.push((svc.clone(), n));
            }
        }
    }
    out
}

/// Exchange updates listed in a .reg export.
pub fn exchange_updates(text: &str) -> Vec<InstalledUpdate> {
    let mut out: Vec<InstalledUpdate> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(key) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = None;
            let lower = key.to_ascii_lowercase();
            if !lower.contains("\\microsoft\\updates\\exchange") {
                continue;
            }
            if let Some(last) = key.rsplit('\\').next() {
                let is_kb = last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("KB"))
                    && last.len() > 2
                    && last[2..].chars().all(|c| c.is_ascii_digit());
                if is_kb {
                    out.push(InstalledUpdate {
                        kb: last.to_ascii_uppercase(),
                        key: key.to_string(),
                        package: None,
                    });
                    current = Some(out.len() - 1);
                }
            }
        } else if let (Some(i), Some(v)) = (current, line.strip_prefix("\"PackageName\"=\"")) {
            out[i].package = Some(v.trim_end_matches('"').to_string());
        }
    }
    out
}

/// Which name or address of the host a registry value gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdentityKind {
    /// `Control\ComputerName\ComputerName` value `ComputerName` (the NetBIOS name).
    ComputerName,
    /// `Services\Tcpip\Parameters` value `Hostname` (or `NV Hostname`): the DNS host name.
    Hostname,
    /// `Services\Tcpip\Parameters` value `Domain` (or `NV Domain`): the primary DNS suffix.
    Domain,
    /// `Services\Tcpip\Parameters\Interfaces\{…}` values `IPAddress` (static) or
    /// `DhcpIPAddress` (the last lease).
    Ip,
}

/// One name or address of the host, with the key and value it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityValue {
    pub kind: IdentityKind,
    /// As written (an address in canonical form).
    pub value: String,
    /// The key path as shown (`HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\…`) and the value name.
    pub key: String,
    pub name: String,
}

/// Interfaces and addresses taken from one hive or export (a real server has a handful).
pub const MAX_INTERFACES: usize = 64;
pub const MAX_ADDRESSES: usize = 32;

/// An address worth naming as the host's: parsed, and neither unspecified, loopback nor
/// link-local (APIPA `169.254/16`, `fe80::/10`): those say nothing about which host it is.
pub fn host_address(s: &str) -> Option<std::net::IpAddr> {
    let ip: std::net::IpAddr = s.trim().trim_end_matches('\0').parse().ok()?;
    let useless = match ip {
        std::net::IpAddr::V4(v) => {
            v.is_unspecified() || v.is_loopback() || v.is_link_local() || v.is_broadcast()
        }
        std::net::IpAddr::V6(v) => {
            v.is_unspecified() || v.is_loopback() || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    (!useless).then_some(ip)
}

/// The values of one interface key that give its addresses.
#[derive(Default)]
pub(crate) struct Interface {
    pub enable_dhcp: Option<u32>,
    pub static_ips: Vec<String>,
    pub dhcp_ip: Option<String>,
}

impl Interface {
    /// The addresses the interface has by its configuration: the static ones unless DHCP is on,
    /// the DHCP lease unless it is off (both when the export does not say).
    pub(crate) fn addresses(&self) -> Vec<(&'static str, std::net::IpAddr)> {
        let mut out = Vec::new();
        if self.enable_dhcp != Some(1) {
            for s in &self.static_ips {
                if let Some(ip) = host_address(s) {
                    out.push(("IPAddress", ip));
                }
            }
        }
        if self.enable_dhcp != Some(0) {
            if let Some(ip) = self.dhcp_ip.as_deref().and_then(host_address) {
                out.push(("DhcpIPAddress", ip));
            }
        }
        out
    }
}

/// The identity values of one control set, given its keys' values in key order: every address
/// kept once (the first key that gives it), within the caps.
pub(crate) fn identity_of(
    computer: Option<(String, String)>,
    tcpip: Option<(String, Vec<(String, String)>)>,
    interfaces: Vec<(String, Interface)>,
) -> Vec<IdentityValue> {
    let mut out = Vec::new();
    if let Some((key, name)) = computer.filter(|(_, n)| !n.trim().is_empty()) {
        out.push(IdentityValue {
            kind: IdentityKind::ComputerName,
            value: name.trim().to_string(),
            key,
            name: "ComputerName".into(),
        });
    }
    if let Some((key, values)) = tcpip {
        for (kind, names) in [
            (IdentityKind::Hostname, ["Hostname", "NV Hostname"]),
            (IdentityKind::Domain, ["Domain", "NV Domain"]),
        ] {
            let found = names.iter().find_map(|n| {
                values
                    .iter()
                    .find(|(vn, v)| vn.eq_ignore_ascii_case(n) && !v.trim().is_empty())
            });
            if let Some((vn, v)) = found {
                out.push(IdentityValue {
                    kind,
                    value: v.trim().to_string(),
                    key: key.clone(),
                    name: vn.clone(),
                });
            }
        }
    }
    let mut seen: Vec<std::net::IpAddr> = Vec::new();
    for (key, iface) in interfaces.iter().take(MAX_INTERFACES) {
        for (name, ip) in iface.addresses() {
            if seen.len() >= MAX_ADDRESSES || seen.contains(&ip) {
                continue;
            }
            seen.push(ip);
            out.push(IdentityValue {
                kind: IdentityKind::Ip,
                value: ip.to_string(),
                key: key.clone(),
                name: name.into(),
            });
        }
    }
    out
}

/// A value of a `.reg` export.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RegValue {
    Str(String),
    Multi(Vec<String>),
    Dword(u32),
    Other,
}

/// `"name"=data` (or `@=data`) with its continuation lines joined; None for other lines.
fn value_line(line: &str) -> Option<(String, RegValue)> {
    let (name, rest) = if let Some(rest) = line.strip_prefix("@=") {
        (String::new(), rest)
    } else {
        let body = line.strip_prefix('"')?;
        let mut name = String::new();
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        name.push(n);
                    }
                }
                '"' => {
                    end = Some(i);
                    break;
                }
                c => name.push(c),
            }
        }
        (name, body[end? + 1..].strip_prefix('=')?)
    };
    let value = if let Some(s) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '"' => break,
                c => out.push(c),
            }
        }
        RegValue::Str(out)
    } else if let Some(h) = rest.strip_prefix("dword:") {
        u32::from_str_radix(h.trim(), 16).map_or(RegValue::Other, RegValue::Dword)
    } else if let Some((kind, hex)) = rest.strip_prefix("hex(").and_then(|r| r.split_once("):")) {
        let bytes: Vec<u8> = hex
            .split(',')
            .filter_map(|b| u8::from_str_radix(b.trim(), 16).ok())
            .collect();
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16_lossy(&units);
        match kind {
            "1" | "2" => RegValue::Str(text.trim_end_matches('\0').to_string()),
            "7" => RegValue::Multi(
                text.split('\0')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            "4" if bytes.len() == 4 => {
                RegValue::Dword(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            _ => RegValue::Other,
        }
    } else {
        RegValue::Other
    };
    Some((name, value))
}

/// Every key of an export with its values (continuation lines joined), in file order.
fn keys(text: &str) -> Vec<(String, Vec<(String, RegValue)>)> {
    let mut out: Vec<(String, Vec<(String, RegValue)>)> = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(head) = line.strip_suffix('\\') {
            if !pending.is_empty() || head.contains('=') {
                pending.push_str(head);
                continue;
            }
        }
        let line = if pending.is_empty() {
            line.to_string()
        } else {
            pending.push_str(line);
            std::mem::take(&mut pending)
        };
        if let Some(key) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((key.to_string(), Vec::new()));
        } else if let (Some(last), Some(v)) = (out.last_mut(), value_line(&line)) {
            last.1.push(v);
        }
    }
    out
}

/// The host's names and addresses in a `.reg` export of the `SYSTEM` hive (whole, or the keys
/// of `Control\ComputerName` and `Services\Tcpip\Parameters`): from `CurrentControlSet` when
/// exported from a live registry, else from the control set `Select\Current` names (the lowest
/// one when the export does not say).
pub fn host_identity(text: &str) -> Vec<IdentityValue> {
    let keys = keys(text);
    // (control set as written, rest of the path in lower case, key index).
    let mut sets: Vec<String> = Vec::new();
    let mut current: Option<u32> = None;
    let mut split: Vec<(String, String, usize)> = Vec::new();
    for (i, (key, values)) in keys.iter().enumerate() {
        let lower = key.to_ascii_lowercase();
        if lower.ends_with("\\select") {
            current = values.iter().find_map(|(n, v)| match v {
                RegValue::Dword(d) if n.eq_ignore_ascii_case("Current") => Some(*d),
                _ => None,
            });
            continue;
        }
        let Some(at) = lower
            .find("\\currentcontrolset\\")
            .or_else(|| lower.find("\\controlset0"))
        else {
            continue;
        };
        let rest = &lower[at + 1..];
        let Some(slash) = rest.find('\\') else {
            continue;
        };
        let set = rest[..slash].to_string();
        if !sets.contains(&set) {
            sets.push(set.clone());
        }
        split.push((set, rest[slash + 1..].to_string(), i));
    }
    let chosen = if sets.iter().any(|s| s == "currentcontrolset") {
        "currentcontrolset".to_string()
    } else if let Some(c) = current
        .map(|c| format!("controlset{c:03}"))
        .filter(|c| sets.contains(c))
    {
        c
    } else {
        match sets.iter().min() {
            Some(s) => s.clone(),
            None => return Vec::new(),
        }
    };
    let string = |values: &[(String, RegValue)], name: &str| {
        values.iter().find_map(|(n, v)| match v {
            RegValue::Str(s) if n.eq_ignore_ascii_case(name) => Some(s.clone()),
            RegValue::Multi(m) if n.eq_ignore_ascii_case(name) => m.first().cloned(),
            _ => None,
        })
    };
    let mut computer = None;
    let mut tcpip = None;
    let mut interfaces = Vec::new();
    for (set, rest, i) in split.iter().filter(|(s, _, _)| *s == chosen) {
        let _ = set;
        let (key, values) = &keys[*i];
        if rest == "control\\computername\\computername" {
            computer = string(values, "ComputerName").map(|n| (key.clone(), n));
        } else if rest == "services\\tcpip\\parameters" {
            let vals = values
                .iter()
                .filter_map(|(n, v)| match v {
                    RegValue::Str(s) => Some((n.clone(), s.clone())),
                    _ => None,
                })
                .collect();
            tcpip = Some((key.clone(), vals));
        } else if let Some(guid) = rest.strip_prefix("services\\tcpip\\parameters\\interfaces\\") {
            if guid.contains('\\') || interfaces.len() >= MAX_INTERFACES {
                continue;
            }
            let mut iface = Interface::default();
            for (n, v) in values {
                match v {
                    RegValue::Dword(d) if n.eq_ignore_ascii_case("EnableDHCP") => {
                        iface.enable_dhcp = Some(*d)
                    }
                    RegValue::Multi(m) if n.eq_ignore_ascii_case("IPAddress") => {
                        iface.static_ips = m.clone()
                    }
                    RegValue::Str(s) if n.eq_ignore_ascii_case("IPAddress") => {
                        iface.static_ips = vec![s.clone()]
                    }
                    RegValue::Str(s) if n.eq_ignore_ascii_case("DhcpIPAddress") => {
                        iface.dhcp_ip = Some(s.clone())
                    }
                    _ => {}
                }
            }
            interfaces.push((key.clone(), iface));
        }
    }
    identity_of(computer, tcpip, interfaces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services() {
        let t = "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeUM]\r\n\"Start\"=dword:00000004\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeUM\\Parameters]\r\n\"Start\"=dword:00000002\r\n";
        assert_eq!(service_starts(t), vec![("MSExchangeUM".to_string(), 4)]);
    }

    #[test]
    fn utf16_export() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Exchange 2016\\SP1\\KB5000871]\r\n\"PackageName\"=\"Security Update For Exchange Server 2016 CU19 (KB5000871)\"\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Other\\KB1]\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let u = exchange_updates(&decode(&bytes));
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].kb, "KB5000871");
        assert!(u[0].package.as_deref().unwrap().contains("CU19"));
        assert!(
            exchange_updates("[HKLM\\SOFTWARE\\Microsoft\\Updates\\Exchange 2016\\Kä1]").is_empty()
        );
    }

    #[test]
    fn identity_of_a_system_export() {
        // As `reg export` writes it from a live registry, and as hivexregedit writes strings.
        let t = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName]\r\n\
\"ComputerName\"=\"EX01\"\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n\
\"Hostname\"=\"ex01\"\r\n\"Domain\"=\"\"\r\n\
\"NV Domain\"=hex(1):63,00,6f,00,6e,00,74,00,6f,00,73,00,6f,00,2e,00,6c,00,6f,00,\\\r\n  63,00,61,00,6c,00,00,00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{A}]\r\n\
\"EnableDHCP\"=dword:00000000\r\n\
\"IPAddress\"=hex(7):31,00,30,00,2e,00,30,00,2e,00,30,00,2e,00,35,00,00,00,31,00,32,00,37,00,2e,00,\\\r\n  30,00,2e,00,30,00,2e,00,31,00,00,00,00,00\r\n\
\"DhcpIPAddress\"=\"10.9.9.9\"\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{B}]\r\n\
\"EnableDHCP\"=dword:00000001\r\n\"DhcpIPAddress\"=\"192.0.2.10\"\r\n\
\"IPAddress\"=hex(7):30,00,2e,00,30,00,2e,00,30,00,2e,00,30,00,00,00,00,00\r\n\
[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\Tcpip\\Parameters]\r\n\"Hostname\"=\"stale\"\r\n";
        let ids = host_identity(t);
        let got: Vec<(IdentityKind, &str, &str)> = ids
            .iter()
            .map(|v| (v.kind, v.value.as_str(), v.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (IdentityKind::ComputerName, "EX01", "ComputerName"),
                (IdentityKind::Hostname, "ex01", "Hostname"),
                (IdentityKind::Domain, "contoso.local", "NV Domain"),
                (IdentityKind::Ip, "10.0.0.5", "IPAddress"),
                (IdentityKind::Ip, "192.0.2.10", "DhcpIPAddress"),
            ]
        );
        assert!(host_identity("[HKEY_LOCAL_MACHINE\\SOFTWARE\\x]\r\n\"a\"=\"b\"").is_empty());
    }

    /// Cut and overwritten exports (multi-byte characters, stray quotes, backslashes, brackets
    /// at every place) are read or give nothing, never a panic.
    #[test]
    fn damaged_exports_never_panic() {
        let base = "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{ä}]\r\n\
\"IPAddress\"=hex(7):31,00,30,00,2e,00,30,00,2e,00,30,00,2e,00,35,00,00,00,\\\r\n  00,00\r\n\
\"Dh\\\"cp\"=\"é\\\\\"\r\n@=dword:zz\r\n\"EnableDHCP\"=hex(4):01\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n\"Current\"=dword:00000001\r\n";
        let chars: Vec<char> = base.chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for cut in 0..chars.len() {
            let text: String = chars[..cut].iter().collect();
            let _ = host_identity(&text);
        }
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut c = chars.clone();
            let at = (seed as usize) % c.len();
            c[at] =
                ['\\', '"', '[', ']', '=', ',', 'é', '\n', ':', '('][(seed >> 32) as usize % 10];
            let _ = host_identity(&c.iter().collect::<String>());
        }
    }

    #[test]
    fn addresses_that_name_no_host_are_left_out() {
        for bad in [
            "0.0.0.0",
            "127.0.0.1",
            "169.254.3.4",
            "::1",
            "fe80::1",
            "255.255.255.255",
            "x",
            "",
        ] {
            assert!(host_address(bad).is_none(), "{bad}");
        }
        assert_eq!(
            host_address("2001:DB8::5").unwrap().to_string(),
            "2001:db8::5"
        );
    }
}
