//! One STIX 2.1 bundle per report. Hunts: the producer's identity, the hunted host's identity
//! (`system`, or the organisation when [`Options::organisation`] is set), and for each attacker
//! IP and each web shell an indicator, the observed-data it rests on (`based-on`), and a
//! sighting of the indicator at the host; files the attacker left (dumps, archives) and files a
//! log names are observed-data only; each CVE a vulnerability, related to the indicators of the
//! findings that name it. Scans: for each vulnerable host, observed-data of its address, name
//! and Exchange build (`software`), and a sighting of each vulnerability it is exposed to.
//! Everything is created by the producer and marked with the TLP 2.0 marking definition, which
//! the bundle carries.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use exray_core::{Report, ReportKind};
use serde_json::{json, Map, Value};

use crate::facts::{self, FileArtefact};
use crate::ids::{stix_sco, Ids};
use crate::Options;

const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The STIX 2.1 bundle of a report (see the module documentation for what it holds).
pub fn stix(report: &Report, opts: &Options) -> Value {
    let mut b = Bundle::new(report, opts);
    match report.kind {
        ReportKind::Hunt => hunt(&mut b, report),
        ReportKind::Scan => scan(&mut b, report),
    }
    json!({
        "type": "bundle",
        "id": b.ids.stix("bundle", &[]),
        "objects": b.objects,
    })
}

/// One bundle of several reports (e.g. the JSON lines of `exray import`): the objects of each
/// report's bundle, an object that several share (the marking definition, an observable) once.
/// The bundle id derives from the reports' ids. One report gives [`stix`]'s bundle.
pub fn stix_many(reports: &[Report], opts: &Options) -> Value {
    if let [one] = reports {
        return stix(one, opts);
    }
    let joined: Vec<&str> = reports.iter().map(|r| r.report_id.as_str()).collect();
    let ids = Ids::new(&joined.join("\n"));
    let mut seen = std::collections::BTreeSet::new();
    let mut objects = Vec::new();
    for r in reports {
        if let Value::Array(list) = stix(r, opts)["objects"].take() {
            for o in list {
                if seen.insert(o["id"].as_str().unwrap_or_default().to_string()) {
                    objects.push(o);
                }
            }
        }
    }
    json!({"type": "bundle", "id": ids.stix("bundle", &[]), "objects": objects})
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A string literal of a STIX pattern: `'`, with `\` and `'` escaped (STIX 2.1 §9.2).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

struct Bundle<'a> {
    ids: Ids,
    opts: &'a Options,
    created: String,
    producer: String,
    marking: &'static str,
    objects: Vec<Value>,
    /// SCO ids already in `objects`.
    scos: BTreeMap<String, ()>,
}

impl<'a> Bundle<'a> {
    fn new(report: &Report, opts: &'a Options) -> Self {
        let ids = Ids::new(&report.report_id);
        let created = ts(opts.created(report));
        let producer = ids.stix("identity", &["producer", &opts.producer]);
        let marking = opts.tlp.stix_tlp2_id();
        let mut b = Bundle {
            ids,
            opts,
            created,
            producer: producer.clone(),
            marking,
            objects: Vec::new(),
            scos: BTreeMap::new(),
        };
        b.objects.push(json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking,
            "created": "2022-10-01T00:00:00.000Z",
            "name": format!("TLP:{}", opts.tlp.as_str().to_ascii_uppercase()),
            "extensions": {TLP2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": opts.tlp.as_str(),
            }},
        }));
        let identity = b.sdo(
            "identity",
            &producer,
            json!({
                "name": opts.producer,
                "identity_class": "organization",
            }),
        );
        b.objects.push(identity);
        b
    }

    /// A domain or relationship object with the common properties.
    fn sdo(&self, kind: &str, id: &str, props: Value) -> Value {
        let mut o = json!({
            "type": kind,
            "spec_version": "2.1",
            "id": id,
            "created": self.created,
            "modified": self.created,
            "created_by_ref": self.producer,
            "object_marking_refs": [self.marking],
        });
        if let (Some(o), Value::Object(p)) = (o.as_object_mut(), props) {
            o.extend(p);
        }
        o
    }

    fn push_sdo(&mut self, kind: &str, id: &str, props: Value) {
        let o = self.sdo(kind, id, props);
        self.objects.push(o);
    }

    /// Add a cyber-observable object (once) and return its id. `contributing` holds its
    /// id-contributing properties, `rest` the others.
    fn sco(&mut self, kind: &str, contributing: Value, rest: Value) -> String {
        let id = stix_sco(kind, &contributing);
        if self.scos.insert(id.clone(), ()).is_none() {
            let mut o = Map::new();
            o.insert("type".into(), json!(kind));
            o.insert("spec_version".into(), json!("2.1"));
            o.insert("id".into(), json!(id));
            if let (Value::Object(c), Value::Object(r)) = (contributing, rest) {
                o.extend(c);
                o.extend(r);
            }
            o.insert("object_marking_refs".into(), json!([self.marking]));
            self.objects.push(Value::Object(o));
        }
        id
    }

    fn ip(&mut self, ip: IpAddr) -> String {
        let kind = if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        self.sco(kind, json!({"value": ip.to_string()}), json!({}))
    }

    /// A file SCO (and its folder's `directory` SCO).
    fn file(&mut self, f: &FileArtefact) -> String {
        let parent = f
            .folder()
            .map(|d| self.sco("directory", json!({"path": d}), json!({})));
        let mut hashes = Map::new();
        if let Some(h) = &f.md5 {
            hashes.insert("MD5".into(), json!(h));
        }
        if let Some(h) = &f.sha1 {
            hashes.insert("SHA-1".into(), json!(h));
        }
        if let Some(h) = &f.sha256 {
            hashes.insert("SHA-256".into(), json!(h));
        }
        // §2.9: of the hashes, only one contributes to the id: MD5, else SHA-1, else SHA-256.
        let chosen: Option<(String, Value)> = ["MD5", "SHA-1", "SHA-256"]
            .iter()
            .find_map(|k| hashes.get(*k).map(|v| (k.to_string(), v.clone())));
        let mut contributing = Map::new();
        contributing.insert("name".into(), json!(f.name()));
        if let Some((k, v)) = chosen {
            contributing.insert("hashes".into(), json!({ k: v }));
        }
        if let Some(p) = &parent {
            contributing.insert("parent_directory_ref".into(), json!(p));
        }
        let mut rest = Map::new();
        if !hashes.is_empty() {
            rest.insert("hashes".into(), Value::Object(hashes));
        }
        if let Some(size) = f.size {
            rest.insert("size".into(), json!(size));
        }
        self.sco("file", Value::Object(contributing), Value::Object(rest))
    }

    /// Observed-data of `refs` over `first..last`.
    fn observed(
        &mut self,
        key: &[&str],
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        count: u64,
        refs: Vec<String>,
    ) -> String {
        let id = self.ids.stix("observed-data", key);
        self.push_sdo(
            "observed-data",
            &id,
            json!({
                "first_observed": ts(first),
                "last_observed": ts(last.max(first)),
                "number_observed": count.clamp(1, 999_999_999),
                "object_refs": refs,
            }),
        );
        id
    }

    fn relationship(&mut self, kind: &str, from: &str, to: &str) {
        let id = self.ids.stix("relationship", &[kind, from, to]);
        self.push_sdo(
            "relationship",
            &id,
            json!({
                "relationship_type": kind,
                "source_ref": from,
                "target_ref": to,
            }),
        );
    }
}

fn hunt(b: &mut Bundle, report: &Report) {
    let host_id = b.ids.stix("identity", &["host"]);
    let (name, class) = match &b.opts.organisation {
        Some(org) => (org.clone(), "organization"),
        None => (facts::host_name(report).to_string(), "system"),
    };
    let host_props = json!({
        "name": name,
        "identity_class": class,
        "description": format!("Exchange server hunted by exray: {}", facts::host_name(report)),
    });
    b.push_sdo("identity", &host_id, host_props);

    let all: Vec<_> = report.findings.iter().collect();
    let mut vulns: BTreeMap<String, String> = BTreeMap::new();
    for f in &all {
        for cve in f.cves.iter().filter(|c| facts::is_cve(c)) {
            let cve = cve.to_ascii_uppercase();
            if vulns.contains_key(&cve) {
                continue;
            }
            let id = b.ids.stix("vulnerability", &[&cve]);
            b.push_sdo(
                "vulnerability",
                &id,
                json!({
                    "name": cve,
                    "external_references": [{"source_name": "cve", "external_id": cve}],
                }),
            );
            vulns.insert(cve, id);
        }
    }
    let fallback = report.started_at;
    for ip in facts::attacker_ips(&all) {
        let sco = b.ip(ip.ip);
        let addr = ip.ip.to_string();
        let first = ip.first_seen.unwrap_or(fallback);
        let last = ip.last_seen.unwrap_or(first);
        let od = b.observed(&["ip", &addr], first, last, ip.count, vec![sco.clone()]);
        let kind = if ip.ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        let indicator = b.ids.stix("indicator", &["ip", &addr]);
        b.push_sdo(
            "indicator",
            &indicator,
            json!({
                "name": format!("Exchange attacker {addr}"),
                "description": format!(
                    "Client of requests exray found on {} ({}): {}",
                    facts::host_name(report),
                    ip.stage.as_str(),
                    ip.rules().join(" ")
                ),
                "indicator_types": ["malicious-activity"],
                "pattern": format!("[{kind}:value = {}]", literal(&addr)),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": ts(first),
            }),
        );
        b.relationship("based-on", &indicator, &od);
        for cve in &ip.cves {
            if let Some(v) = vulns.get(cve).cloned() {
                b.relationship("related-to", &indicator, &v);
            }
        }
        sighting(b, &indicator, &od, &host_id, first, last, ip.count);
    }
    for file in facts::files(&all) {
        let sco = b.file(&file);
        let first = file
            .findings
            .iter()
            .filter_map(|f| f.first_seen)
            .min()
            .unwrap_or(fallback);
        let last = file
            .findings
            .iter()
            .filter_map(|f| f.last_seen)
            .max()
            .unwrap_or(first);
        let key = file.sha256.as_deref().unwrap_or(&file.path).to_string();
        let od = b.observed(&["file", &file.path, &key], first, last, 1, vec![sco]);
        let Some(sha256) = file.sha256.as_deref().filter(|_| file.web_shell) else {
            continue;
        };
        let indicator = b.ids.stix("indicator", &["file", sha256]);
        b.push_sdo(
            "indicator",
            &indicator,
            json!({
                "name": format!("Web shell {}", file.name()),
                "description": format!(
                    "Web shell exray found on {} at {}: {}",
                    facts::host_name(report),
                    file.path,
                    file.rules().join(" ")
                ),
                "indicator_types": ["malicious-activity"],
                "pattern": format!("[file:hashes.'SHA-256' = {}]", literal(sha256)),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": ts(first),
            }),
        );
        b.relationship("based-on", &indicator, &od);
        sighting(b, &indicator, &od, &host_id, first, last, 1);
    }
}

fn sighting(
    b: &mut Bundle,
    of: &str,
    od: &str,
    at: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
) {
    let id = b.ids.stix("sighting", &[of, od, at]);
    b.push_sdo(
        "sighting",
        &id,
        json!({
            "sighting_of_ref": of,
            "observed_data_refs": [od],
            "where_sighted_refs": [at],
            "first_seen": ts(first),
            "last_seen": ts(last.max(first)),
            "count": count.clamp(1, 999_999_999),
        }),
    );
}

fn scan(b: &mut Bundle, report: &Report) {
    let mut vulns: BTreeMap<String, String> = BTreeMap::new();
    let producer = b.producer.clone();
    for h in facts::vulnerable_hosts(report) {
        let mut refs = Vec::new();
        if let Some(ip) = h.ip {
            refs.push(b.ip(ip));
        }
        if let Some(name) = h.result.hostname.as_deref().and_then(facts::fqdn) {
            refs.push(b.sco("domain-name", json!({"value": name}), json!({})));
        }
        if let Some(build) = h.build() {
            // `software`'s id-contributing properties: name, cpe, swid, vendor, version.
            let props = json!({"name": "Microsoft Exchange Server", "vendor": "Microsoft", "version": build});
            refs.push(b.sco("software", props, json!({})));
        }
        if refs.is_empty() {
            continue;
        }
        let t = h.result.scanned_at;
        let od = b.observed(&["host", &h.result.target], t, t, 1, refs);
        for cve in &h.cves {
            let v = match vulns.get(cve) {
                Some(v) => v.clone(),
                None => {
                    let id = b.ids.stix("vulnerability", &[cve]);
                    b.push_sdo(
                        "vulnerability",
                        &id,
                        json!({
                            "name": cve,
                            "external_references": [{"source_name": "cve", "external_id": cve}],
                        }),
                    );
                    vulns.insert(cve.clone(), id.clone());
                    id
                }
            };
            sighting(b, &v, &od, &producer, t, t, 1);
        }
    }
    for s in facts::possible_shells(report) {
        let url = b.sco("url", json!({"value": s.url}), json!({}));
        let t = s.result.scanned_at;
        b.observed(&["possible-shell", &s.url], t, t, 1, vec![url]);
    }
}

#[cfg(test)]
pub(crate) fn literal_for_test(s: &str) -> String {
    literal(s)
}
