//! Parsing of foreign scan feeds into [`FeedRow`]s, one row at a time (bounded memory).
//!
//! - **Shadowserver** CSV reports about Exchange: the "Vulnerable Exchange Server" report
//!   (`timestamp, ip, port, hostname, tag, asn, geo, region, city, naics, sic, sector, version,
//!   servername, url`) and the vulnerable-HTTP scan with build detail (`… http, http_code,
//!   server, …, version, build_date, detail`). Columns are found by name in the header, so
//!   column order and added columns do not matter; `timestamp` and `ip` must be present.
//!   Shadowserver's `hostname` is the reverse DNS name of the address.
//! - **Generic CSV**: a header with `ip` and/or `hostname`, optionally `port`, `timestamp`,
//!   `build` (or `version`) and `tag`.
//! - **Generic JSON lines**: one object per line with the same keys (strings or numbers).

use std::io::{BufRead, Read};
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// The input formats of `exray import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Shadowserver,
    Csv,
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Shadowserver => "shadowserver",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shadowserver" => Some(Format::Shadowserver),
            "csv" => Some(Format::Csv),
            "jsonl" | "json-lines" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// Errors that stop the reading of a whole feed (a bad row is a [`RowError`], not this).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{source_name}: reading: {error}")]
    Io {
        source_name: String,
        error: std::io::Error,
    },
    #[error("{source_name}: line 1: not a {format} feed: {reason}")]
    Header {
        source_name: String,
        format: &'static str,
        reason: String,
    },
}

/// Why one row cannot be judged (the row is counted and reported with its line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("line {line}: not a CSV record: {reason}")]
    Csv { line: u64, reason: String },
    #[error("line {line}: not a JSON object: {reason}")]
    Json { line: u64, reason: String },
}

impl RowError {
    pub fn line(&self) -> u64 {
        match self {
            RowError::Csv { line, .. } | RowError::Json { line, .. } => *line,
        }
    }
}

/// One row of a feed, as the feed said it (not yet judged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedRow {
    /// Line of the row in the file (1-based; the header is line 1 in CSV, where blank lines
    /// are not counted).
    pub line: u64,
    pub ip: Option<String>,
    pub port: Option<String>,
    pub hostname: Option<String>,
    pub timestamp: Option<String>,
    /// The Exchange build or version string the feed reports.
    pub version: Option<String>,
    pub tag: Option<String>,
    /// Other columns worth keeping as evidence (Shadowserver: servername, url, asn, geo, …).
    pub extra: Vec<(&'static str, String)>,
}

/// Shadowserver columns kept as evidence, besides the mapped ones.
const SHADOWSERVER_EXTRA: &[&str] = &[
    "servername",
    "url",
    "asn",
    "geo",
    "region",
    "city",
    "sector",
    "naics",
    "build_date",
    "detail",
    "http_code",
    "server",
];

/// Column positions of the mapped fields.
#[derive(Default)]
struct Columns {
    ip: Option<usize>,
    port: Option<usize>,
    hostname: Option<usize>,
    timestamp: Option<usize>,
    version: Option<usize>,
    tag: Option<usize>,
    extra: Vec<(&'static str, usize)>,
}

impl Columns {
    fn from_header(format: Format, header: &csv::ByteRecord) -> Result<Columns, String> {
        let names: Vec<String> = header
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect();
        let find = |n: &str| names.iter().position(|h| h == n);
        let mut c = Columns {
            ip: find("ip"),
            port: find("port"),
            hostname: find("hostname"),
            timestamp: find("timestamp"),
            version: find("version"),
            tag: find("tag"),
            extra: Vec::new(),
        };
        match format {
            Format::Shadowserver => {
                for need in ["timestamp", "ip"] {
                    if find(need).is_none() {
                        return Err(format!("no column {need:?} (columns: {})", names.join(",")));
                    }
                }
                for &e in SHADOWSERVER_EXTRA {
                    if let Some(i) = find(e) {
                        c.extra.push((e, i));
                    }
                }
            }
            _ => {
                if c.version.is_none() {
                    c.version = find("build");
                }
                if c.ip.is_none() && c.hostname.is_none() {
                    return Err(format!(
                        "neither an \"ip\" nor a \"hostname\" column (columns: {})",
                        names.join(",")
                    ));
                }
            }
        }
        Ok(c)
    }
}

/// Reads a feed row by row.
pub struct FeedReader<R: Read> {
    inner: Inner<R>,
    source_name: String,
}

enum Inner<R: Read> {
    Csv {
        rdr: csv::Reader<R>,
        cols: Columns,
        rec: csv::ByteRecord,
    },
    Jsonl {
        rdr: std::io::BufReader<R>,
        buf: Vec<u8>,
        line: u64,
    },
}

impl<R: Read> FeedReader<R> {
    /// Open a feed; for CSV formats the header is read and checked here.
    pub fn new(input: R, format: Format, source_name: &str) -> Result<Self, FeedError> {
        let inner = match format {
            Format::Jsonl => Inner::Jsonl {
                rdr: std::io::BufReader::with_capacity(1 << 16, input),
                buf: Vec::with_capacity(1024),
                line: 0,
            },
            Format::Shadowserver | Format::Csv => {
                let mut rdr = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
                let header = rdr.byte_headers().map_err(|e| FeedError::Header {
                    source_name: source_name.to_string(),
                    format: format.as_str(),
                    reason: e.to_string(),
                })?;
                let cols =
                    Columns::from_header(format, header).map_err(|reason| FeedError::Header {
                        source_name: source_name.to_string(),
                        format: format.as_str(),
                        reason,
                    })?;
                Inner::Csv {
                    rdr,
                    cols,
                    rec: csv::ByteRecord::new(),
                }
            }
        };
        Ok(FeedReader {
            inner,
            source_name: source_name.to_string(),
        })
    }

    /// The next row: `None` at the end, `Some(Err(RowError))` for a row that cannot be read,
    /// `Err(FeedError)` when the input itself fails.
    pub fn next_row(&mut self) -> Result<Option<Result<FeedRow, RowError>>, FeedError> {
        match &mut self.inner {
            Inner::Csv { rdr, cols, rec } => loop {
                match rdr.read_byte_record(rec) {
                    Ok(false) => return Ok(None),
                    Ok(true) => {
                        let line = rec.position().map(|p| p.line()).unwrap_or(0);
                        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                            continue;
                        }
                        return Ok(Some(Ok(csv_row(cols, rec, line))));
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        if let csv::ErrorKind::Io(_) = e.kind() {
                            return Err(FeedError::Io {
                                source_name: self.source_name.clone(),
                                error: std::io::Error::other(e.to_string()),
                            });
                        }
                        return Ok(Some(Err(RowError::Csv {
                            line,
                            reason: e.to_string(),
                        })));
                    }
                }
            },
            Inner::Jsonl { rdr, buf, line } => loop {
                buf.clear();
                let n = rdr.read_until(b'\n', buf).map_err(|error| FeedError::Io {
                    source_name: self.source_name.clone(),
                    error,
                })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(json_row(buf, *line)));
            },
        }
    }
}

fn field(rec: &csv::ByteRecord, i: Option<usize>) -> Option<String> {
    let v = rec.get(i?)?;
    let s = String::from_utf8_lossy(v);
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn csv_row(c: &Columns, rec: &csv::ByteRecord, line: u64) -> FeedRow {
    FeedRow {
        line,
        ip: field(rec, c.ip),
        port: field(rec, c.port),
        hostname: field(rec, c.hostname),
        timestamp: field(rec, c.timestamp),
        version: field(rec, c.version),
        tag: field(rec, c.tag),
        extra: c
            .extra
            .iter()
            .filter_map(|&(name, i)| field(rec, Some(i)).map(|v| (name, v)))
            .collect(),
    }
}

fn json_row(buf: &[u8], line: u64) -> Result<FeedRow, RowError> {
    let v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(buf).map_err(|e| RowError::Json {
            line,
            reason: e.to_string(),
        })?;
    let get = |k: &str| -> Option<String> {
        let s = match v.get(k)? {
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then_some(s)
    };
    Ok(FeedRow {
        line,
        ip: get("ip"),
        port: get("port"),
        hostname: get("hostname"),
        timestamp: get("timestamp"),
        version: get("build").or_else(|| get("version")),
        tag: get("tag"),
        extra: Vec::new(),
    })
}

/// A feed's address: an IPv4 or IPv6 address (brackets tolerated), not `0.0.0.0`/`::`.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = t.parse().ok()?;
    (!ip.is_unspecified()).then_some(ip)
}

/// A feed's time: `2021-03-10 01:23:45` (Shadowserver, UTC), RFC 3339, `…T…` without a zone
/// (UTC), or Unix seconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t.trim_end_matches(" UTC"), f) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    if t.len() <= 12 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|n| DateTime::from_timestamp(n, 0));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(format: Format, text: &str) -> Vec<Result<FeedRow, RowError>> {
        let mut r = FeedReader::new(text.as_bytes(), format, "t").unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            out.push(row);
        }
        out
    }

    #[test]
    fn shadowserver_columns_by_name_with_quotes_and_extra_columns() {
        let text = "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"naics\",\"sic\",\"sector\",\"version\",\"servername\",\"url\",\"new_col\"\n\
            \"2021-03-10 01:02:03\",\"192.0.2.7\",443,\"mail.example.org\",\"exchange;webshell\",64500,\"XY\",\"R\",\"C\",0,0,\"Communications\",\"15.1.2176.2\",\"EXCH01\",\"https://mail.example.org/owa/auth/x.aspx\",\"z\"\n\
            \n\
            \"2021-03-10 01:02:04\",\"198.51.100.9\",,,\"cve-2021-26855\",,,,,,,,,,,\n";
        let r = rows(Format::Shadowserver, text);
        assert_eq!(r.len(), 2);
        let a = r[0].as_ref().unwrap();
        assert_eq!(a.line, 2);
        assert_eq!(a.ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(a.port.as_deref(), Some("443"));
        assert_eq!(a.hostname.as_deref(), Some("mail.example.org"));
        assert_eq!(a.version.as_deref(), Some("15.1.2176.2"));
        assert_eq!(a.tag.as_deref(), Some("exchange;webshell"));
        assert!(a.extra.contains(&("servername", "EXCH01".to_string())));
        assert!(a.extra.contains(&("asn", "64500".to_string())));
        let b = r[1].as_ref().unwrap();
        // The CSV reader does not count blank lines (Shadowserver's files have none).
        assert_eq!(b.line, 3);
        assert_eq!(b.version, None);
        assert_eq!(b.hostname, None);
    }

    #[test]
    fn shadowserver_header_without_ip_is_refused() {
        let e = FeedReader::new(&b"timestamp,host\n"[..], Format::Shadowserver, "f.csv")
            .err()
            .unwrap();
        assert!(e.to_string().contains("no column \"ip\""), "{e}");
    }

    #[test]
    fn generic_csv_takes_build_or_version_and_jsonl_numbers() {
        let r = rows(
            Format::Csv,
            "hostname,build,timestamp\nowa.example.org,15.2.1118.7,1700000000\n",
        );
        let a = r[0].as_ref().unwrap();
        assert_eq!(a.version.as_deref(), Some("15.2.1118.7"));
        assert_eq!(a.hostname.as_deref(), Some("owa.example.org"));
        let j = rows(
            Format::Jsonl,
            "{\"ip\":\"2001:db8::5\",\"port\":443,\"version\":\"15.1.2507.6\",\"timestamp\":\"2023-01-01T00:00:00Z\"}\n\nnot json\n",
        );
        assert_eq!(j.len(), 2);
        let a = j[0].as_ref().unwrap();
        assert_eq!(a.port.as_deref(), Some("443"));
        assert_eq!(a.version.as_deref(), Some("15.1.2507.6"));
        assert_eq!(j[1].as_ref().unwrap_err().line(), 3);
    }

    #[test]
    fn times_and_addresses() {
        assert_eq!(
            parse_time("2021-03-10 01:02:03").unwrap().to_rfc3339(),
            "2021-03-10T01:02:03+00:00"
        );
        assert_eq!(
            parse_time("2021-03-10T01:02:03+01:00")
                .unwrap()
                .to_rfc3339(),
            "2021-03-10T00:02:03+00:00"
        );
        assert_eq!(parse_time("1615338123").unwrap().timestamp(), 1615338123);
        assert!(parse_time("yesterday").is_none());
        assert!(parse_ip("0.0.0.0").is_none());
        assert!(parse_ip("[2001:db8::1]").is_some());
        assert!(parse_ip("192.0.2.300").is_none());
    }
}
