//! Exported registry files (`.reg`, "Windows Registry Editor Version 5.00", UTF-16LE or UTF-8):
//! the Exchange security updates listed under `HKLM\SOFTWARE\Microsoft\Updates\Exchange 20xx`.

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
}
