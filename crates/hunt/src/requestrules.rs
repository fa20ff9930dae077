//! Declarative request traits of tunnels and web-shell clients (`rules/requests.toml`): tests on
//! the query, user agent and method of a request for a script page, wherever the page lives. New
//! traits need no code.

use exray_core::{Confidence, Family, RuleMeta, Severity, Stage};
use regex::Regex;
use serde::Deserialize;

pub const BUILTIN: &str = include_str!("../rules/requests.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "trait")]
    traits: Vec<TraitDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraitDef {
    id: String,
    title: String,
    description: String,
    family: Family,
    stage: Stage,
    severity: Severity,
    confidence: Confidence,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    attack: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    query_any: Vec<String>,
    #[serde(default)]
    query_all: Vec<String>,
    #[serde(default)]
    user_agent_any: Vec<String>,
}

/// One compiled trait.
#[derive(Debug)]
pub struct RequestTrait {
    pub meta: RuleMeta,
    methods: Vec<String>,
    query_any: Vec<Regex>,
    query_all: Vec<Regex>,
    user_agent_any: Vec<Regex>,
}

/// A request as the traits see it.
pub struct Request<'a> {
    pub method: &'a [u8],
    /// Percent-decoded, lower-cased query.
    pub query: &'a str,
    /// The user agent as logged.
    pub user_agent: &'a [u8],
}

impl RequestTrait {
    /// Whether every test of the trait holds for `r`.
    pub fn matches(&self, r: &Request<'_>) -> bool {
        if !self.methods.is_empty()
            && !self
                .methods
                .iter()
                .any(|m| m.as_bytes().eq_ignore_ascii_case(r.method))
        {
            return false;
        }
        if !self.query_any.is_empty() && !self.query_any.iter().any(|re| re.is_match(r.query)) {
            return false;
        }
        if !self.query_all.iter().all(|re| re.is_match(r.query)) {
            return false;
        }
        if !self.user_agent_any.is_empty() {
            let ua = String::from_utf8_lossy(r.user_agent);
            if !self.user_agent_any.iter().any(|re| re.is_match(&ua)) {
                return false;
            }
        }
        true
    }

    /// Whether the trait only looks at the user agent and method (so that an empty query cannot
    /// rule it out).
    pub fn needs_query(&self) -> bool {
        !self.query_any.is_empty() || !self.query_all.is_empty()
    }
}

/// A loading error: the origin (file) and what is wrong, trait id included where known.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct LoadError {
    pub origin: String,
    pub message: String,
}

/// The request traits of a hunt.
#[derive(Debug)]
pub struct RequestTraits {
    pub traits: Vec<RequestTrait>,
}

impl RequestTraits {
    /// The built-in traits.
    pub fn builtin() -> &'static RequestTraits {
        static BUILT: std::sync::LazyLock<RequestTraits> = std::sync::LazyLock::new(|| {
            RequestTraits::parse(BUILTIN, "rules/requests.toml")
                .expect("the built-in request traits are valid (tested)")
        });
        &BUILT
    }

    /// Parse a traits file in the format of `rules/requests.toml`.
    pub fn parse(text: &str, origin: &str) -> Result<RequestTraits, LoadError> {
        let err = |message: String| LoadError {
            origin: origin.to_string(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let compile = |id: &str, pats: &[String]| -> Result<Vec<Regex>, LoadError> {
            pats.iter()
                .map(|p| {
                    regex::RegexBuilder::new(p)
                        .case_insensitive(true)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| err(format!("{id}: {e}")))
                })
                .collect()
        };
        let mut traits = Vec::with_capacity(file.traits.len());
        for t in file.traits {
            if t.query_any.is_empty() && t.query_all.is_empty() && t.user_agent_any.is_empty() {
                return Err(err(format!(
                    "{}: a trait needs at least one query or user-agent test",
                    t.id
                )));
            }
            traits.push(RequestTrait {
                query_any: compile(&t.id, &t.query_any)?,
                query_all: compile(&t.id, &t.query_all)?,
                user_agent_any: compile(&t.id, &t.user_agent_any)?,
                methods: t.methods,
                meta: RuleMeta {
                    id: t.id,
                    title: t.title,
                    description: t.description,
                    family: t.family,
                    stage: t.stage,
                    cves: t.cves,
                    attack: t.attack,
                    severity: t.severity,
                    confidence: t.confidence,
                },
            });
        }
        Ok(RequestTraits { traits })
    }

    /// The traits that hold for `r`.
    pub fn matching<'s>(
        &'s self,
        r: &'s Request<'_>,
    ) -> impl Iterator<Item = &'s RequestTrait> + 's {
        let query_empty = r.query.is_empty();
        self.traits
            .iter()
            .filter(move |t| !(query_empty && t.needs_query()) && t.matches(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(q: &str, ua: &str, method: &str) -> Vec<String> {
        let r = Request {
            method: method.as_bytes(),
            query: q,
            user_agent: ua.as_bytes(),
        };
        RequestTraits::builtin()
            .matching(&r)
            .map(|t| t.meta.id.clone())
            .collect()
    }

    #[test]
    fn builtin_traits_parse_and_fire_on_their_shapes_only() {
        assert!(RequestTraits::builtin().traits.len() >= 5);
        assert_eq!(ids("proxy", "-", "POST"), ["EXRAY-TN-001"]);
        assert_eq!(
            ids("proxy&port=3389&ip=127.0.0.1", "Python-urllib/2.7", "GET"),
            ["EXRAY-TN-001"]
        );
        assert!(ids("proxyserver=a", "-", "GET").is_empty());
        assert_eq!(
            ids("cmd=connect&target=10.0.0.5&port=445", "-", "POST"),
            ["EXRAY-TN-002"]
        );
        // ActiveSync's Cmd= values are other words.
        assert!(ids("cmd=sync&user=alice&deviceid=abc", "-", "POST").is_empty());
        assert_eq!(
            ids("action=checkport&port=42000", "-", "GET"),
            ["EXRAY-TN-003"]
        );
        // Data requests of an open tunnel carry no target: the page stacking counts them.
        assert!(ids("action=getdata", "-", "GET").is_empty());
        assert!(ids("cmd=read", "-", "POST").is_empty());
        assert_eq!(ids("", "antSword/v2.1", "POST"), ["EXRAY-TN-004"]);
        assert_eq!(ids("", "python-requests/2.25.1", "POST"), ["EXRAY-TN-005"]);
        assert!(ids("", "python-requests/2.25.1", "GET").is_empty());
        assert!(ids(
            "",
            "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+Chrome/88.0",
            "POST"
        )
        .is_empty());
    }

    #[test]
    fn errors_name_the_file_and_the_trait() {
        let bad = "[[trait]]\nid = \"X-1\"\ntitle = \"t\"\ndescription = \"d\"\nfamily = \"generic\"\nstage = \"foothold\"\nseverity = \"low\"\nconfidence = \"low\"\nquery_any = ['(']\n";
        let e = RequestTraits::parse(bad, "mine.toml").unwrap_err();
        assert!(e.to_string().starts_with("mine.toml: X-1:"), "{e}");
        let empty = bad.replace("query_any = ['(']\n", "");
        let e = RequestTraits::parse(&empty, "mine.toml").unwrap_err();
        assert!(e.to_string().contains("at least one"), "{e}");
    }
}
