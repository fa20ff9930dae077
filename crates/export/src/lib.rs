//! exray-export: a saved report in the formats CERTs already feed their tools with.
//!
//! | function | writes | what a hunt report gives | what a scan report gives |
//! |---|---|---|---|
//! | [`misp`] | MISP events (core format, `{"Event": …}`) | one event per incident, plus one for the findings outside any incident | one event with every vulnerable host (and every possible web shell a probe found) |
//! | [`stix`] | one STIX 2.1 bundle | identity, indicators, observed-data, sightings, vulnerabilities, relationships | identity, observed-data of each vulnerable host (address, name, build), sightings of its vulnerabilities; observed-data of each possible web shell's URL |
//! | [`intelmq`] | IntelMQ events, one JSON object per line | `intrusion-attempts`/`exploit` or `intrusions`/`system-compromise` per attacker IP, `intrusions`/`system-compromise` per web shell | `vulnerable`/`vulnerable-system` per vulnerable host, `intrusions`/`system-compromise` per possible web shell |
//! | [`csv`] | one row per exported indicator, with the organisation | the same indicators | the same hosts |
//!
//! Every function takes the report and [`Options`] (TLP, producer, organisation, time) and does
//! no I/O of its own, so `exray export` and `exray serve` call the same code. Every id is a
//! UUIDv5 of the report id and the object (STIX observables: of their id-contributing properties,
//! as STIX 2.1 §2.9 says), and every time comes from the report (or [`Options::timestamp`]):
//! exporting a report twice gives the same bytes. Strings from the evidence (IPs, paths, user
//! agents, raw lines) are attacker-controlled: they are only ever JSON strings built by
//! `serde_json`, CSV fields neutralised by [`exray_core::render::csv_field`], or STIX pattern
//! literals escaped by the pattern grammar's rules; IPs are parsed before they are exported.
//!
//! What is exported (the same for all four formats, from `facts`): client IPs of findings
//! (attacker IPs), files on disk with their hashes (web shells: findings at the foothold
//! stage; other artefacts such as dumps and archives are exported as observations, not as
//! indicators), request paths of web shells, file paths the logs name without a file on disk,
//! CVEs; from scan reports, hosts whose verdict is `vulnerable` and web-shell probes that
//! answered unlike their control. `not_exchange`, `patched`, `su_unknown` and unreachable hosts
//! are not exported.
//!
//! ```
//! use exray_core::{Report, ReportKind};
//! let report = Report::new(ReportKind::Hunt, "ex01");
//! let opts = exray_export::Options::default();
//! let bundle = exray_export::stix(&report, &opts);
//! assert_eq!(bundle["type"], "bundle");
//! assert!(exray_export::misp(&report, &opts).is_empty()); // no findings, no events
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod csv;
mod facts;
mod ids;
mod intelmq;
mod misp;
mod stix;

use chrono::{DateTime, Utc};

pub use crate::csv::{csv, HEADER as CSV_HEADER};
pub use crate::intelmq::intelmq;
pub use crate::misp::misp;
pub use crate::stix::{stix, stix_many};

/// A scan report holding `results` (the JSON lines `exray scan --format jsonl` writes), so they
/// can be exported like a report: its id derives from the results (the same results give the
/// same id, hence the same export ids), its times are the first and last `scanned_at`.
pub fn scan_report_from_results(
    results: Vec<exray_core::ScanResult>,
    scope: &str,
) -> exray_core::Report {
    let mut r = exray_core::Report::new(exray_core::ReportKind::Scan, scope);
    let body = serde_json::to_vec(&results).unwrap_or_default();
    r.report_id = ids::uuid5(ids::EXRAY_NS, &body).to_string();
    if let Some(first) = results.iter().map(|s| s.scanned_at).min() {
        r.started_at = first;
    }
    if let Some(last) = results.iter().map(|s| s.scanned_at).max() {
        r.finished_at = last;
    }
    r.scan_results = results;
    r
}

/// The Traffic Light Protocol level of an export (FIRST TLP 2.0; `white` is read as `clear`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0's WHITE).
    Clear,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:AMBER+STRICT.
    AmberStrict,
    /// TLP:RED.
    Red,
}

impl Tlp {
    /// The level as MISP's `tlp` taxonomy and TLP 2.0 write it: `clear`, `green`, `amber`,
    /// `amber+strict`, `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The MISP tag (`tlp:amber`).
    pub fn misp_tag(self) -> String {
        format!("tlp:{}", self.as_str())
    }

    /// IntelMQ's `tlp` field, which knows only TLP 1.0: `WHITE`, `GREEN`, `AMBER`, `RED`
    /// (AMBER+STRICT is written `AMBER`, and `extra.tlp` keeps the exact level).
    pub fn intelmq(self) -> &'static str {
        match self {
            Tlp::Clear => "WHITE",
            Tlp::Green => "GREEN",
            Tlp::Amber | Tlp::AmberStrict => "AMBER",
            Tlp::Red => "RED",
        }
    }

    /// The id of the TLP 1.0 marking definition STIX 2.1 §7.2.1.4 predefines for the nearest
    /// level (AMBER+STRICT → AMBER, CLEAR → WHITE), for consumers that know only those.
    pub fn stix_tlp1_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            Tlp::Amber | Tlp::AmberStrict => {
                "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
            }
            Tlp::Red => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        }
    }

    /// The id of the TLP 2.0 marking definition published with OASIS's TLP 2.0 extension
    /// (`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`); exports mark with these
    /// and carry the definition object in the bundle.
    pub fn stix_tlp2_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }
}

impl std::str::FromStr for Tlp {
    type Err = String;
    /// `clear`, `white`, `green`, `amber`, `amber+strict`, `red`, in any case, with or without
    /// a `tlp:` prefix.
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        let level = lower.strip_prefix("tlp:").unwrap_or(&lower);
        Ok(match level {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => {
                return Err(format!(
                    "{s:?}: not a TLP level (clear, green, amber, amber+strict, red)"
                ))
            }
        })
    }
}

/// What every export needs beyond the report.
#[derive(Clone, Debug)]
pub struct Options {
    /// The TLP level every exported object is marked with. Default: AMBER.
    pub tlp: Tlp,
    /// Who produces the export: MISP's `Orgc`, the STIX identity that creates every object,
    /// IntelMQ's `feed.provider`. Default: `exray`.
    pub producer: String,
    /// The organisation the report concerns (the owner of the hunted server or of the scanned
    /// hosts), if known: CSV's `organisation` column, IntelMQ's `extra.organisation`, and the
    /// STIX identity where a hunt's indicators were sighted. Default: none.
    pub organisation: Option<String>,
    /// The creation time written on every object (MISP `timestamp`, STIX `created`/`modified`).
    /// Default: the report's `finished_at`, so that an export is reproducible.
    pub timestamp: Option<DateTime<Utc>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tlp: Tlp::Amber,
            producer: "exray".to_string(),
            organisation: None,
            timestamp: None,
        }
    }
}

impl Options {
    pub(crate) fn created(&self, report: &exray_core::Report) -> DateTime<Utc> {
        self.timestamp.unwrap_or(report.finished_at)
    }
}

#[cfg(test)]
mod ecosystem;
#[cfg(test)]
mod tests;
