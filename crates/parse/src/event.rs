//! One model for Windows events, whatever they were read from (EVTX through the `evtx` crate, or
//! JSON-lines exports), so every event rule runs on both.

use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// EVTX record id, or the line number of a JSON-lines export.
    pub record_id: u64,
    pub timestamp: Option<DateTime<Utc>>,
    pub channel: String,
    pub provider: String,
    pub event_id: u32,
    /// 1 critical, 2 error, 3 warning, 4 information.
    pub level: Option<u8>,
    pub computer: String,
    /// Named event data (`EventData`/`UserData` and flat export fields), in order.
    pub data: Vec<(String, String)>,
    /// Positional event data (unnamed `<Data>` elements), e.g. the cmdlet log's strings.
    pub strings: Vec<String>,
}

impl Event {
    pub fn empty() -> Self {
        Event {
            record_id: 0,
            timestamp: None,
            channel: String::new(),
            provider: String::new(),
            event_id: 0,
            level: None,
            computer: String::new(),
            data: Vec::new(),
            strings: Vec::new(),
        }
    }

    /// A named data value, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every data value and string, joined with newlines: what keyword rules search.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (_, v) in &self.data {
            s.push_str(v);
            s.push('\n');
        }
        for v in &self.strings {
            s.push_str(v);
            s.push('\n');
        }
        s
    }

    /// A compact one-line rendering for evidence.
    pub fn to_raw(&self) -> String {
        let mut s = format!(
            "{} [{}] {} id={} record={}",
            self.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
            self.channel,
            self.provider,
            self.event_id,
            self.record_id
        );
        for (k, v) in &self.data {
            s.push_str(&format!(" {k}={v:?}"));
        }
        for (i, v) in self.strings.iter().enumerate() {
            s.push_str(&format!(" [{i}]={v:?}"));
        }
        s
    }
}

/// The Exchange cmdlet log keeps the cmdlet and its parameters as positional strings (EVTX) or only
/// in the rendered message (`Cmdlet suceeded. Cmdlet Set-X, parameters -A "b".`, some exports).
/// Name them `Cmdlet`, `Parameters`, `Process` and `User` so rules can read them by name.
pub fn normalize_cmdlet(e: &mut Event) {
    let is_cmdlet_log = e.provider.eq_ignore_ascii_case("MSExchange CmdletLogs")
        || e.channel.eq_ignore_ascii_case("MSExchange Management");
    if !is_cmdlet_log || e.get("Cmdlet").is_some() {
        return;
    }
    let (cmdlet, params) = if let Some(c) = e.strings.first() {
        (c.clone(), e.strings.get(1).cloned().unwrap_or_default())
    } else if let Some(m) = e.get("Message").and_then(cmdlet_from_message) {
        m
    } else {
        return;
    };
    let process = e.strings.get(6).cloned().unwrap_or_default();
    let user = e.strings.get(2).cloned().unwrap_or_default();
    e.data.push(("Cmdlet".into(), cmdlet));
    e.data.push(("Parameters".into(), params));
    if !process.is_empty() {
        e.data.push(("Process".into(), process));
    }
    if !user.is_empty() {
        e.data.push(("User".into(), user));
    }
}

/// `Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "…".` → (cmdlet,
/// parameters).
pub fn cmdlet_from_message(m: &str) -> Option<(String, String)> {
    let first = m.find("Cmdlet ")?;
    let at = match m[first + 7..].find("Cmdlet ") {
        Some(j) => first + 7 + j + 7,
        None => first + 7,
    };
    let rest = &m[at..];
    let (name, params) = match rest.find(", parameters ") {
        Some(k) => (&rest[..k], rest[k + 13..].trim_end().trim_end_matches('.')),
        None => (rest.trim_end_matches('.'), ""),
    };
    let name = name.trim();
    (!name.is_empty() && name.contains('-')).then(|| (name.to_string(), params.to_string()))
}

/// Render a JSON scalar as text; arrays and objects as compact JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Flatten an `EventData`/`UserData` object into named values and positional strings.
pub fn flatten_data(
    v: &Value,
    prefix: &str,
    data: &mut Vec<(String, String)>,
    strings: &mut Vec<String>,
) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "#attributes" {
                    continue;
                }
                if k == "#text" || k == "Data" {
                    match child {
                        Value::Array(items) => {
                            for it in items {
                                match it {
                                    Value::Object(_) => flatten_data(it, prefix, data, strings),
                                    other => strings.push(value_text(other)),
                                }
                            }
                        }
                        Value::Object(_) => flatten_data(child, prefix, data, strings),
                        other => strings.push(value_text(other)),
                    }
                    continue;
                }
                match child {
                    Value::Object(_) => {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        // A `{"#text": v}` leaf is just a value.
                        if let Some(t) = child
                            .get("#text")
                            .filter(|t| !t.is_array() && !t.is_object())
                        {
                            data.push((p, value_text(t)));
                        } else {
                            flatten_data(child, &p, data, strings);
                        }
                    }
                    Value::Array(items) => {
                        let joined: Vec<String> = items.iter().map(value_text).collect();
                        data.push((k.clone(), joined.join("\n")));
                    }
                    other => data.push((k.clone(), value_text(other))),
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                flatten_data(it, prefix, data, strings);
            }
        }
        Value::Null => {}
        other => strings.push(value_text(other)),
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get("#attributes").and_then(|a| a.get(name))
}

fn scalar_or_text(v: &Value) -> Option<&Value> {
    match v {
        Value::Object(_) => v.get("#text"),
        other => Some(other),
    }
}

/// Build an [`Event`] from the JSON of an EVTX record (the `evtx` crate's JSON shape).
pub fn from_evtx_json(record_id: u64, timestamp: Option<DateTime<Utc>>, v: &Value) -> Event {
    let mut ev = Event::empty();
    ev.record_id = record_id;
    ev.timestamp = timestamp;
    let event = v.get("Event").unwrap_or(v);
    if let Some(sys) = event.get("System") {
        if let Some(p) = sys.get("Provider") {
            ev.provider = attr(p, "Name").map(value_text).unwrap_or_default();
        }
        if let Some(id) = sys.get("EventID").and_then(scalar_or_text) {
            ev.event_id = value_text(id).parse().unwrap_or(0);
        }
        ev.level = sys
            .get("Level")
            .and_then(scalar_or_text)
            .and_then(|l| value_text(l).parse().ok());
        ev.channel = sys.get("Channel").map(value_text).unwrap_or_default();
        ev.computer = sys.get("Computer").map(value_text).unwrap_or_default();
    }
    for key in ["EventData", "UserData"] {
        if let Some(d) = event.get(key) {
            flatten_data(d, "", &mut ev.data, &mut ev.strings);
        }
    }
    normalize_cmdlet(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_positional_data() {
        let v: Value = serde_json::json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "MSExchange CmdletLogs"}},
                       "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 6},
                       "Level": 4, "Channel": "MSExchange Management", "Computer": "EX01"},
            "EventData": {"Data": {"#text": ["Set-OabVirtualDirectory", "-ExternalUrl 'x'"]}}
        }});
        let e = from_evtx_json(7, None, &v);
        assert_eq!(e.provider, "MSExchange CmdletLogs");
        assert_eq!(e.event_id, 6);
        assert_eq!(e.level, Some(4));
        assert_eq!(e.channel, "MSExchange Management");
        assert_eq!(
            e.strings,
            vec!["Set-OabVirtualDirectory", "-ExternalUrl 'x'"]
        );

        let v: Value = serde_json::json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 1},
            "EventData": {"Image": "C:\\Windows\\System32\\cmd.exe", "ParentImage": "C:\\w3wp.exe"}
        }});
        let e = from_evtx_json(8, None, &v);
        assert_eq!(e.get("image"), Some("C:\\Windows\\System32\\cmd.exe"));
        assert!(e.text().contains("w3wp.exe"));
        assert!(e.to_raw().contains("record=8"));
    }
}
