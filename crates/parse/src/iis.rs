//! IIS W3C extended logs: space separated, `#Fields:` names the columns and may change mid-file,
//! `-` means empty, `+` stands for a space inside `cs(User-Agent)`. Logs in other layouts (IIS
//! native comma format, NCSA) are rejected with a clear message; W3C logs that are not web logs
//! (e.g. the Windows firewall log) are recognised and skipped.

use chrono::{DateTime, Utc};

use crate::httpproxy::{strip_bom, strip_prefix_ci};
use crate::time::parse_iis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Date,
    Time,
    ServerIp,
    Method,
    UriStem,
    UriQuery,
    Port,
    Username,
    ClientIp,
    UserAgent,
    Referer,
    Status,
    Host,
    TimeTaken,
    /// `X-Forwarded-For` when logged as a custom field.
    ForwardedFor,
    /// `s-computername`: the server's name (not in Exchange's default field list).
    ComputerName,
}

const NAMES: [(Field, &str); 16] = [
    (Field::Date, "date"),
    (Field::Time, "time"),
    (Field::ServerIp, "s-ip"),
    (Field::Method, "cs-method"),
    (Field::UriStem, "cs-uri-stem"),
    (Field::UriQuery, "cs-uri-query"),
    (Field::Port, "s-port"),
    (Field::Username, "cs-username"),
    (Field::ClientIp, "c-ip"),
    (Field::UserAgent, "cs(user-agent)"),
    (Field::Referer, "cs(referer)"),
    (Field::Status, "sc-status"),
    (Field::Host, "cs-host"),
    (Field::TimeTaken, "time-taken"),
    (Field::ForwardedFor, "x-forwarded-for"),
    (Field::ComputerName, "s-computername"),
];

/// Exchange's IIS default field list.
pub const EXCHANGE_DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

#[derive(Debug, Clone)]
pub struct W3cLayout {
    idx: [Option<usize>; 16],
}

impl W3cLayout {
    pub fn from_fields(names: &[u8]) -> W3cLayout {
        let mut idx = [None; 16];
        for (i, n) in names
            .split(|c| *c == b' ')
            .filter(|n| !n.is_empty())
            .enumerate()
        {
            let lower = n.to_ascii_lowercase();
            if let Some(k) = NAMES
                .iter()
                .position(|(_, name)| name.as_bytes() == lower.as_slice())
            {
                if idx[k].is_none() {
                    idx[k] = Some(i);
                }
            }
        }
        W3cLayout { idx }
    }

    pub fn has(&self, f: Field) -> bool {
        self.idx[f as usize].is_some()
    }

    /// A web log has at least a URI stem.
    pub fn is_web_log(&self) -> bool {
        self.has(Field::UriStem)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum IisLine {
    Header,
    Record,
    Empty,
    /// A data line before any `#Fields:` line that does not look like W3C: the file is in
    /// another format.
    NotW3c,
    /// A data line in a W3C log without `cs-uri-stem` (not a web server log).
    NotWebLog,
}

#[derive(Clone)]
pub struct IisParser {
    layout: Option<W3cLayout>,
    fields: Vec<(usize, usize)>,
    line: Vec<u8>,
}

impl Default for IisParser {
    fn default() -> Self {
        Self::new()
    }
}

impl IisParser {
    pub fn new() -> Self {
        IisParser {
            layout: None,
            fields: Vec::with_capacity(32),
            line: Vec::with_capacity(1024),
        }
    }

    /// Start with a known layout (e.g. `--iis-fields`), for logs whose header was lost.
    pub fn with_layout(fields: &str) -> Self {
        let mut p = Self::new();
        p.layout = Some(W3cLayout::from_fields(fields.as_bytes()));
        p
    }

    pub fn layout(&self) -> Option<&W3cLayout> {
        self.layout.as_ref()
    }

    pub fn feed(&mut self, line: &[u8]) -> IisLine {
        let line = strip_bom(line);
        if line.is_empty() {
            return IisLine::Empty;
        }
        if line[0] == b'#' {
            if let Some(rest) = strip_prefix_ci(line, b"#Fields:") {
                self.layout = Some(W3cLayout::from_fields(rest));
            }
            return IisLine::Header;
        }
        let Some(layout) = &self.layout else {
            return IisLine::NotW3c;
        };
        if !layout.is_web_log() {
            return IisLine::NotWebLog;
        }
        self.line.clear();
        self.line.extend_from_slice(line);
        self.fields.clear();
        let mut start = 0;
        for i in memchr::memchr_iter(b' ', line) {
            self.fields.push((start, i));
            start = i + 1;
        }
        self.fields.push((start, line.len()));
        IisLine::Record
    }

    /// A field of the last record, raw (`-` is returned as empty).
    pub fn get(&self, f: Field) -> &[u8] {
        let Some(layout) = &self.layout else {
            return b"";
        };
        match layout.idx[f as usize].and_then(|i| self.fields.get(i)) {
            Some(&(s, e)) => {
                let v = &self.line[s..e];
                if v == b"-" {
                    b""
                } else {
                    v
                }
            }
            None => b"",
        }
    }

    /// The user agent with `+` turned back into spaces.
    pub fn user_agent(&self) -> String {
        String::from_utf8_lossy(self.get(Field::UserAgent)).replace('+', " ")
    }

    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        let time = self.get(Field::Time);
        parse_iis(
            self.get(Field::Date),
            if time.is_empty() { None } else { Some(time) },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_changes_mid_file() {
        let mut p = IisParser::new();
        assert_eq!(
            p.feed(b"#Software: Microsoft Internet Information Services 10.0"),
            IisLine::Header
        );
        p.feed(format!("#Fields: {EXCHANGE_DEFAULT_FIELDS}").as_bytes());
        assert_eq!(
            p.feed(b"2021-03-03 04:12:33 10.0.0.5 POST /ecp/y.js - 443 - 203.0.113.7 python-requests/2.25.1 - 200 0 0 15"),
            IisLine::Record
        );
        assert_eq!(p.get(Field::UriStem), b"/ecp/y.js");
        assert_eq!(p.get(Field::UriQuery), b"");
        assert_eq!(p.get(Field::ClientIp), b"203.0.113.7");
        assert_eq!(p.get(Field::Status), b"200");
        assert_eq!(
            p.timestamp().unwrap().to_rfc3339(),
            "2021-03-03T04:12:33+00:00"
        );
        p.feed(b"#Fields: date time c-ip cs-method cs-uri-stem cs(User-Agent) sc-status");
        p.feed(b"2021-03-04 01:00:00 198.51.100.9 GET /owa/auth/x.aspx Mozilla/5.0+(Windows) 200");
        assert_eq!(p.get(Field::ClientIp), b"198.51.100.9");
        assert_eq!(p.user_agent(), "Mozilla/5.0 (Windows)");
        assert_eq!(p.get(Field::ServerIp), b"");
    }

    #[test]
    fn rejects_other_formats() {
        let mut p = IisParser::new();
        assert_eq!(
            p.feed(b"192.168.114.201, -, 03/20/01, 7:55:20, W3SVC2, SERVER, 172.21.13.45, 4502"),
            IisLine::NotW3c
        );
        let mut p = IisParser::new();
        p.feed(b"#Fields: date time action protocol src-ip dst-ip");
        assert_eq!(
            p.feed(b"2004-09-03 07:11:54 OPEN UDP 1.2.3.4 5.6.7.8"),
            IisLine::NotWebLog
        );
    }
}
