//! Exchange HttpProxy logs (`Logging\HttpProxy\<Protocol>\*.log`): CSV with a W3C-style preamble
//! (`#Fields: DateTime,RequestId,…`) on newer builds, a plain header row on older ones, header rows
//! that may repeat mid-file, and empty or duplicate column names. Column positions are always
//! taken from the last header seen; a file without any header gets the modern default layout.

use chrono::{DateTime, Utc};

use crate::csvline::CsvLine;
use crate::time::parse_iso;

/// The columns exray's rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    DateTime,
    RequestId,
    Protocol,
    UrlHost,
    UrlStem,
    Method,
    HttpStatus,
    AuthenticatedUser,
    AnchorMailbox,
    UserAgent,
    ClientIpAddress,
    ServerHostName,
    RoutingHint,
    BackEndCookie,
    TargetServer,
    UrlQuery,
    GenericInfo,
    GenericErrors,
}

const COLS: [(Col, &str); 18] = [
    (Col::DateTime, "datetime"),
    (Col::RequestId, "requestid"),
    (Col::Protocol, "protocol"),
    (Col::UrlHost, "urlhost"),
    (Col::UrlStem, "urlstem"),
    (Col::Method, "method"),
    (Col::HttpStatus, "httpstatus"),
    (Col::AuthenticatedUser, "authenticateduser"),
    (Col::AnchorMailbox, "anchormailbox"),
    (Col::UserAgent, "useragent"),
    (Col::ClientIpAddress, "clientipaddress"),
    (Col::ServerHostName, "serverhostname"),
    (Col::RoutingHint, "routinghint"),
    (Col::BackEndCookie, "backendcookie"),
    (Col::TargetServer, "targetserver"),
    (Col::UrlQuery, "urlquery"),
    (Col::GenericInfo, "genericinfo"),
    (Col::GenericErrors, "genericerrors"),
];

/// The modern (Exchange 2016 CU23) field list, used when a file has no header at all.
pub const DEFAULT_FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";

/// Column positions of one header.
#[derive(Debug, Clone)]
pub struct Layout {
    idx: [Option<usize>; 18],
    pub width: usize,
}

impl Layout {
    /// Build from a comma-separated list of names (empty and duplicate names tolerated: the first
    /// occurrence of a name wins).
    pub fn from_names(names: &[u8]) -> Layout {
        let mut idx = [None; 18];
        let mut width = 0;
        for (i, raw) in names.split(|c| *c == b',').enumerate() {
            width = i + 1;
            let name: Vec<u8> = raw
                .iter()
                .filter(|c| !c.is_ascii_whitespace() && **c != b'"')
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if let Some(k) = COLS
                .iter()
                .position(|(_, n)| n.as_bytes() == name.as_slice())
            {
                if idx[k].is_none() {
                    idx[k] = Some(i);
                }
            }
        }
        Layout { idx, width }
    }

    pub fn default_layout() -> Layout {
        Layout::from_names(DEFAULT_FIELDS.as_bytes())
    }

    pub fn col(&self, c: Col) -> Option<usize> {
        // COLS lists the variants in declaration order.
        self.idx[c as usize]
    }
}

/// What a line turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum LineType {
    /// A comment or header line (layout possibly changed).
    Header,
    /// A data record, now readable through [`HttpProxyParser::get`].
    Record,
    /// An empty line.
    Empty,
}

/// Stateful per-file parser.
pub struct HttpProxyParser {
    layout: Layout,
    saw_header: bool,
    csv: CsvLine,
}

impl Default for HttpProxyParser {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpProxyParser {
    pub fn new() -> Self {
        HttpProxyParser {
            layout: Layout::default_layout(),
            saw_header: false,
            csv: CsvLine::new(),
        }
    }

    /// True once a header (`#Fields:` or a plain header row) was seen in this file.
    pub fn saw_header(&self) -> bool {
        self.saw_header
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Classify and parse one line.
    pub fn feed(&mut self, line: &[u8]) -> LineType {
        let line = strip_bom(line);
        if line.is_empty() {
            return LineType::Empty;
        }
        if line[0] == b'#' {
            if let Some(rest) = strip_prefix_ci(line, b"#Fields:") {
                self.layout = Layout::from_names(rest);
                self.saw_header = true;
            }
            return LineType::Header;
        }
        // A plain header row (older builds, or repeated mid-file).
        if strip_prefix_ci(line, b"DateTime,").is_some() {
            self.layout = Layout::from_names(line);
            self.saw_header = true;
            return LineType::Header;
        }
        self.csv.parse(line);
        LineType::Record
    }

    /// A column of the last record (empty slice when absent).
    pub fn get(&self, c: Col) -> &[u8] {
        self.layout
            .col(c)
            .and_then(|i| self.csv.get(i))
            .unwrap_or(b"")
    }

    pub fn field_count(&self) -> usize {
        self.csv.len()
    }

    /// The record's timestamp, if its `DateTime` column parses.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        parse_iso(self.get(Col::DateTime))
    }
}

/// Timestamp of a data line without a full parse (the `DateTime` column comes first in every
/// known layout): used for coverage of the first and last lines.
pub fn quick_timestamp(line: &[u8]) -> Option<DateTime<Utc>> {
    let line = strip_bom(line);
    let end = memchr::memchr(b',', line).unwrap_or(line.len());
    parse_iso(&line[..end])
}

pub(crate) fn strip_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

pub(crate) fn strip_prefix_ci<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix) {
        Some(&line[prefix.len()..])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_from_preamble_and_plain_rows() {
        let mut p = HttpProxyParser::new();
        assert_eq!(
            p.feed(b"#Software: Microsoft Exchange Server"),
            LineType::Header
        );
        assert_eq!(
            p.feed(b"#Fields: DateTime,RequestId,,AnchorMailbox,AnchorMailbox,ClientIpAddress"),
            LineType::Header
        );
        assert_eq!(
            p.feed(b"2021-03-03T04:12:33.100Z,rid-1,x,ServerInfo~a]@b/ecp/y.ecp#,dup,203.0.113.7"),
            LineType::Record
        );
        assert_eq!(p.get(Col::AnchorMailbox), b"ServerInfo~a]@b/ecp/y.ecp#");
        assert_eq!(p.get(Col::ClientIpAddress), b"203.0.113.7");
        assert_eq!(p.get(Col::UrlStem), b"", "absent column reads empty");
        assert!(p.timestamp().is_some());
        // Repeated plain header with another order.
        assert_eq!(
            p.feed(b"DateTime,ClientIpAddress,RequestId"),
            LineType::Header
        );
        p.feed(b"2021-03-03T04:12:34Z,198.51.100.1,rid-2");
        assert_eq!(p.get(Col::ClientIpAddress), b"198.51.100.1");
        assert_eq!(p.get(Col::RequestId), b"rid-2");
    }

    #[test]
    fn default_layout_without_header() {
        let p = HttpProxyParser::new();
        assert!(!p.saw_header());
        assert_eq!(p.layout().col(Col::AnchorMailbox), Some(15));
        assert_eq!(p.layout().col(Col::ClientIpAddress), Some(17));
        assert!(quick_timestamp(b"2023-01-06T11:47:32.435Z,29d1a846").is_some());
        assert!(quick_timestamp(b"garbage,x").is_none());
    }
}
