//! Windows events exported as JSON lines — winlogbeat/Elastic (`winlog.*`), Velociraptor
//! (`System`/`EventData`), the nested `Event` shape of EVTX-to-JSON tools, and flat exports
//! (NXLog, Mordor/OTRF: `EventID`, `Channel`, `SourceName`, data fields at the top level) — read
//! into the one [`Event`] model. Truncated lines and unknown shapes are counted, never fatal.

use std::io::{self, BufRead, Read};

use serde_json::{Map, Value};

use crate::event::{flatten_data, from_evtx_json, normalize_cmdlet, value_text, Event};
use crate::time::parse_iso;

#[derive(Debug, Default, Clone)]
pub struct JsonSummary {
    pub lines: u64,
    pub events: u64,
    /// (line number, message) of the first problems.
    pub errors: Vec<(u64, String)>,
    pub error_count: u64,
}

const ERRORS_KEPT: usize = 20;
const MAX_LINE: usize = 4 << 20;

/// Keys of flat exports that describe the record rather than its data.
const META: &[&str] = &[
    "EventID",
    "Channel",
    "SourceName",
    "ProviderName",
    "Provider",
    "Hostname",
    "Computer",
    "host",
    "TimeCreated",
    "@timestamp",
    "EventTime",
    "EventReceivedTime",
    "RecordNumber",
    "EventRecordID",
    "Level",
    "Keywords",
    "Task",
    "Opcode",
    "OpcodeValue",
    "ProviderGuid",
    "@version",
    "tags",
    "port",
    "SeverityValue",
    "Severity",
    "EventType",
    "SourceModuleType",
    "SourceModuleName",
    "Version",
    "ExecutionProcessID",
    "ThreadID",
    "Category",
];

fn num(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => num(o.get("Value").or(o.get("#text"))),
        _ => None,
    }
}

/// Levels as numbers (1 critical … 5 verbose) from numbers or names ("Error", "warning", …).
fn level(v: Option<&Value>) -> Option<u8> {
    let v = v?;
    if let Some(n) = num(Some(v)) {
        return u8::try_from(n).ok();
    }
    match value_text(v).to_ascii_lowercase().as_str() {
        "critical" => Some(1),
        "error" => Some(2),
        "warning" => Some(3),
        "information" | "info" => Some(4),
        "verbose" => Some(5),
        _ => None,
    }
}

fn text<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| v.get(*k)).filter(|x| !x.is_null())
}

fn time_of(v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match v {
        Value::String(s) => parse_iso(s.as_bytes()),
        Value::Number(n) => {
            let f = n.as_f64()?;
            chrono::DateTime::from_timestamp(f.trunc() as i64, ((f.fract()) * 1e9) as u32)
        }
        Value::Object(o) => o
            .get("SystemTime")
            .or(o.get("#attributes").and_then(|a| a.get("SystemTime")))
            .and_then(time_of),
        _ => None,
    }
}

/// One JSON object to an event, or `None` for an unknown shape.
pub fn event_from_json(v: &Value, line: u64) -> Option<Event> {
    let obj = v.as_object()?;
    // Nested `Event` (EVTX JSON) or Velociraptor's `System` at the top.
    if let Some(ev) = obj.get("Event").filter(|e| e.get("System").is_some()) {
        let ts = ev
            .get("System")
            .and_then(|s| s.get("TimeCreated"))
            .and_then(time_of);
        let rid = ev
            .get("System")
            .and_then(|s| num(s.get("EventRecordID")))
            .unwrap_or(line);
        return Some(from_evtx_json(rid, ts, v));
    }
    if let Some(sys) = obj.get("System").filter(|s| s.is_object()) {
        let mut e = Event::empty();
        e.record_id = num(sys.get("EventRecordID")).unwrap_or(line);
        e.timestamp = sys.get("TimeCreated").and_then(time_of);
        e.event_id = num(sys.get("EventID")).unwrap_or(0) as u32;
        e.channel = sys.get("Channel").map(value_text).unwrap_or_default();
        e.provider = sys
            .get("Provider")
            .and_then(|p| {
                p.get("Name")
                    .or(p.get("#attributes").and_then(|a| a.get("Name")))
            })
            .map(value_text)
            .unwrap_or_default();
        e.computer = sys.get("Computer").map(value_text).unwrap_or_default();
        e.level = level(sys.get("Level"));
        for key in ["EventData", "UserData"] {
            if let Some(d) = obj.get(key) {
                flatten_data(d, "", &mut e.data, &mut e.strings);
            }
        }
        return Some(e);
    }
    // winlogbeat / Elastic.
    if let Some(w) = obj.get("winlog").filter(|w| w.is_object()) {
        let mut e = Event::empty();
        e.record_id = num(w.get("record_id")).unwrap_or(line);
        e.timestamp = obj.get("@timestamp").and_then(time_of);
        e.event_id = num(w.get("event_id")).unwrap_or(0) as u32;
        e.channel = w.get("channel").map(value_text).unwrap_or_default();
        e.provider = w.get("provider_name").map(value_text).unwrap_or_default();
        e.computer = w.get("computer_name").map(value_text).unwrap_or_default();
        e.level = level(
            obj.get("log")
                .and_then(|l| l.get("level"))
                .or(w.get("level"))
                .or(obj.get("level")),
        );
        for key in ["event_data", "user_data"] {
            if let Some(d) = w.get(key) {
                flatten_data(d, "", &mut e.data, &mut e.strings);
            }
        }
        if let Some(m) = obj.get("message") {
            e.data.push(("Message".into(), value_text(m)));
        }
        return Some(e);
    }
    // Flat exports.
    let id = num(obj.get("EventID"))?;
    let mut e = Event::empty();
    e.event_id = id as u32;
    e.record_id = num(text(v, &["EventRecordID", "RecordNumber"])).unwrap_or(line);
    e.timestamp = text(v, &["TimeCreated", "@timestamp", "EventTime", "UtcTime"]).and_then(time_of);
    e.channel = text(v, &["Channel"]).map(value_text).unwrap_or_default();
    e.provider = text(v, &["SourceName", "ProviderName", "Provider"])
        .map(value_text)
        .unwrap_or_default();
    e.computer = text(v, &["Hostname", "Computer", "host"])
        .map(value_text)
        .unwrap_or_default();
    e.level = level(obj.get("Level").or(obj.get("Severity")));
    flat_data(obj, &mut e);
    Some(e)
}

fn flat_data(obj: &Map<String, Value>, e: &mut Event) {
    for (k, v) in obj {
        if META.contains(&k.as_str()) {
            continue;
        }
        e.data.push((k.clone(), value_text(v)));
    }
}

/// Skip to just past the next newline (or the end), holding nothing: a line of gigabytes costs
/// no memory.
fn skip_line<R: BufRead>(r: &mut R) -> io::Result<()> {
    loop {
        let (found, n) = {
            let buf = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(());
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            }
        };
        r.consume(n);
        if found {
            return Ok(());
        }
    }
}

/// Read JSON-lines events from `r`, calling `on_event` for each.
pub fn read_json_events<R: BufRead, F: FnMut(Event)>(
    mut r: R,
    mut on_event: F,
) -> io::Result<JsonSummary> {
    let mut sum = JsonSummary::default();
    let mut buf = Vec::new();
    fn err(sum: &mut JsonSummary, msg: String) {
        sum.error_count += 1;
        if sum.errors.len() < ERRORS_KEPT {
            sum.errors.push((sum.lines, msg));
        }
    }
    loop {
        buf.clear();
        let n = r
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        sum.lines += 1;
        if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            err(&mut sum, "line longer than 4 MiB skipped".into());
            skip_line(&mut r)?;
            continue;
        }
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => match event_from_json(&v, sum.lines) {
                Some(mut e) => {
                    normalize_cmdlet(&mut e);
                    sum.events += 1;
                    on_event(e);
                }
                None => err(
                    &mut sum,
                    "unknown event shape (no EventID, System, Event or winlog)".into(),
                ),
            },
            Err(e) => err(&mut sum, format!("invalid JSON: {e}")),
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Event {
        let mut out = Vec::new();
        let sum = read_json_events(s.as_bytes(), |e| out.push(e)).unwrap();
        assert_eq!(sum.error_count, 0, "{:?}", sum.errors);
        out.pop().unwrap()
    }

    #[test]
    fn shapes() {
        let e = one(
            r#"{"EventID":4688,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"EX01","TimeCreated":"2021-03-14 01:39:32.609","NewProcessName":"C:\\Windows\\System32\\cmd.exe","ParentProcessName":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}"#,
        );
        assert_eq!(e.event_id, 4688);
        assert_eq!(e.provider, "Microsoft-Windows-Security-Auditing");
        assert!(e.timestamp.is_some());
        assert_eq!(
            e.get("ParentProcessName"),
            Some("C:\\Windows\\System32\\inetsrv\\w3wp.exe")
        );
        let e = one(
            r#"{"@timestamp":"2021-03-03T04:00:00Z","winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","record_id":77,"computer_name":"EX01","event_data":{"Image":"C:\\x\\cmd.exe"}}}"#,
        );
        assert_eq!((e.event_id, e.record_id), (1, 77));
        assert_eq!(e.get("Image"), Some("C:\\x\\cmd.exe"));
        let e = one(
            r#"{"System":{"EventID":{"Value":6},"Channel":"MSExchange Management","Provider":{"Name":"MSExchange CmdletLogs"},"TimeCreated":{"SystemTime":1614744000.5},"EventRecordID":9},"EventData":{"Data":["New-MailboxExportRequest","-Mailbox a"]}}"#,
        );
        assert_eq!((e.event_id, e.record_id), (6, 9));
        assert_eq!(e.strings[0], "New-MailboxExportRequest");
        assert_eq!(
            e.timestamp.unwrap().to_rfc3339(),
            "2021-03-03T04:00:00.500+00:00"
        );
        let e = one(
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":10,"TimeCreated":{"#attributes":{"SystemTime":"2021-03-03T04:00:00Z"}},"EventRecordID":5},"EventData":{"TargetImage":"C:\\Windows\\system32\\lsass.exe"}}}"##,
        );
        assert_eq!((e.event_id, e.record_id), (10, 5));
        assert!(e.timestamp.is_some());
    }

    /// A reader of `n` bytes of one unterminated line, then a good event: produced on the fly,
    /// so that buffering the line would show as memory.
    struct LongLine {
        left: u64,
        tail: &'static [u8],
    }

    impl Read for LongLine {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left > 0 {
                let n = (buf.len() as u64).min(self.left) as usize;
                buf[..n].fill(b'a');
                self.left -= n as u64;
                return Ok(n);
            }
            let n = buf.len().min(self.tail.len());
            buf[..n].copy_from_slice(&self.tail[..n]);
            self.tail = &self.tail[n..];
            Ok(n)
        }
    }

    #[test]
    fn overlong_lines_are_skipped_without_buffering() {
        // 256 MiB in one line: a buffering skip would need that much memory and time to copy.
        let r = io::BufReader::with_capacity(
            1 << 16,
            LongLine {
                left: 256 << 20,
                tail: b"\n{\"EventID\":7}\n",
            },
        );
        let mut ids = Vec::new();
        let sum = read_json_events(r, |e| ids.push(e.event_id)).unwrap();
        assert_eq!(ids, vec![7]);
        assert_eq!(sum.error_count, 1);
        assert!(sum.errors[0].1.contains("longer than 4 MiB"));
        assert_eq!(sum.lines, 2);
    }

    #[test]
    fn bad_lines_are_counted() {
        let data = "{\"EventID\":1}\n{\"trunc\n{\"no\":\"shape\"}\n\n[1,2]\n";
        let mut n = 0;
        let sum = read_json_events(data.as_bytes(), |_| n += 1).unwrap();
        assert_eq!(n, 1);
        assert_eq!(sum.error_count, 3);
        assert_eq!(sum.errors[0].0, 2);
    }
}
