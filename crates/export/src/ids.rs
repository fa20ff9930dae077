//! Deterministic identifiers: every id an export writes is a name-based UUID (SHA-1, RFC 9562
//! §5.5) of the report id and what the object is, so exporting the same report twice gives the
//! same ids. STIX cyber-observable ids follow STIX 2.1 §2.9 (UUIDv5 in the STIX namespace over
//! the canonical JSON of the id-contributing properties), so other producers of the same
//! observable agree; STIX domain and relationship objects carry version 4 (see [`Ids::stix`]).

use serde_json::Value;
use sha1::{Digest, Sha1};
use uuid::Uuid;

/// exray's own namespace for export ids (a fixed random UUID; never change it: ids would change).
pub(crate) const EXRAY_NS: Uuid = Uuid::from_u128(0x6b1f_0c52_86a4_4f0e_9d43_2a7e_51c8_d9b0);

/// The namespace STIX 2.1 §2.9 fixes for the ids of cyber-observable objects.
const STIX_SCO_NS: Uuid = Uuid::from_u128(0x00ab_edb4_aa42_466c_9c01_fed2_3315_a9b7);

/// A name-based (SHA-1) UUID, version 5.
pub(crate) fn uuid5(namespace: Uuid, name: &[u8]) -> Uuid {
    let mut h = Sha1::new();
    h.update(namespace.as_bytes());
    h.update(name);
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

/// Ids of one report's export: every id derives from the report id and the parts naming the
/// object (kind first), joined by a separator no part of a name can contain.
pub(crate) struct Ids {
    ns: Uuid,
}

impl Ids {
    pub(crate) fn new(report_id: &str) -> Self {
        Ids {
            ns: uuid5(EXRAY_NS, report_id.as_bytes()),
        }
    }

    /// The id of the object named by `parts` (e.g. `["misp-attribute", event, type, value]`).
    pub(crate) fn of(&self, parts: &[&str]) -> Uuid {
        let mut name = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                name.push(0);
            }
            // A part holding a NUL cannot collide with two parts: escape it.
            for &b in p.as_bytes() {
                if b == 0 || b == 1 {
                    name.push(1);
                }
                name.push(b);
            }
        }
        uuid5(self.ns, &name)
    }

    /// A STIX id (`type--uuid`) of a domain or relationship object (or the bundle). STIX 2.1
    /// §2.9 says these SHOULD be UUIDv4 (OASIS's validator checks it): the UUID is the same
    /// SHA-1 name hash as [`Ids::of`], carrying version 4 (pseudo-random bits, as RFC 9562
    /// allows), so the id stays deterministic.
    pub(crate) fn stix(&self, kind: &str, parts: &[&str]) -> String {
        let mut all = vec![kind];
        all.extend_from_slice(parts);
        let mut b = *self.of(&all).as_bytes();
        b[6] = (b[6] & 0x0f) | 0x40;
        format!("{kind}--{}", Uuid::from_bytes(b))
    }
}

/// The STIX 2.1 id of a cyber-observable object of `kind` whose id-contributing properties are
/// `contributing` (an object holding only them; `hashes` already reduced to the one hash §2.9
/// picks).
pub(crate) fn stix_sco(kind: &str, contributing: &Value) -> String {
    format!(
        "{kind}--{}",
        uuid5(STIX_SCO_NS, canonical_json(contributing).as_bytes())
    )
}

/// JSON in the canonical form of RFC 8785 for the values exports hash: keys sorted by UTF-16
/// code units, no white space, integers as written. (No floats are ever hashed.)
pub(crate) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuid5_matches_rfc_9562_example() {
        // RFC 9562 appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
        let dns = Uuid::parse_str("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
        assert_eq!(
            uuid5(dns, b"www.example.com").to_string(),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2"
        );
    }

    #[test]
    fn stix_sco_ids_follow_the_spec() {
        // The id OASIS's `stix2` library (3.0.2) derives for the same address.
        assert_eq!(
            stix_sco("ipv4-addr", &json!({"value": "198.51.100.3"})),
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_space() {
        assert_eq!(
            canonical_json(&json!({"b": 1, "a": {"d": "x", "c": [1, 2]}})),
            r#"{"a":{"c":[1,2],"d":"x"},"b":1}"#
        );
    }

    #[test]
    fn parts_cannot_collide() {
        let ids = Ids::new("r");
        assert_ne!(ids.of(&["a\0b", "c"]), ids.of(&["a", "b\0c"]));
        assert_ne!(ids.of(&["ab", "c"]), ids.of(&["a", "bc"]));
        assert_eq!(ids.of(&["a", "b"]), Ids::new("r").of(&["a", "b"]));
        assert_ne!(ids.of(&["a", "b"]), Ids::new("s").of(&["a", "b"]));
    }
}
