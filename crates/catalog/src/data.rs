//! Parsing of the catalogue's CSV data files (`data/*.csv`), with file and line in every error.

use std::fmt;
use std::str::FromStr;

use crate::version::Build;
use crate::CatalogError;

/// An Exchange product line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    Exchange2010,
    Exchange2013,
    Exchange2016,
    Exchange2019,
    ExchangeSe,
}

impl Product {
    pub const ALL: [Product; 5] = [
        Product::Exchange2010,
        Product::Exchange2013,
        Product::Exchange2016,
        Product::Exchange2019,
        Product::ExchangeSe,
    ];

    /// The short form used in the data files: `2010`, `2013`, `2016`, `2019`, `SE`.
    pub fn code(self) -> &'static str {
        match self {
            Product::Exchange2010 => "2010",
            Product::Exchange2013 => "2013",
            Product::Exchange2016 => "2016",
            Product::Exchange2019 => "2019",
            Product::ExchangeSe => "SE",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Product::Exchange2010 => "Exchange Server 2010",
            Product::Exchange2013 => "Exchange Server 2013",
            Product::Exchange2016 => "Exchange Server 2016",
            Product::Exchange2019 => "Exchange Server 2019",
            Product::ExchangeSe => "Exchange Server Subscription Edition (SE)",
        }
    }

    /// Name used inside release names ("Exchange Server SE RTM").
    pub(crate) fn release_prefix(self) -> &'static str {
        match self {
            Product::ExchangeSe => "Exchange Server SE",
            p => p.name(),
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Product {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Product::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown product {s:?} (expected 2010, 2013, 2016, 2019 or SE)"))
    }
}

/// One row of the catalogue: a CU (or SP / RTM / Preview) or an update on top of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub product: Product,
    /// `RTM`, `Preview`, `SP1`..`SP3` (2010, and 2013 SP1 = CU4), `CU1`..`CU23`.
    pub cu: String,
    /// Empty for the CU itself; `Mar21SU`, `Apr24HU`, `Aug23SUv2`, or `RU32` for 2010 rollups.
    pub update: String,
    pub build: Build,
    /// `YYYY-MM-DD`, or `YYYY-MM` where only the update's name dates it.
    pub date: Option<String>,
    pub kb: Option<String>,
    /// Which sources list the row: `ms`, `xasz`, `css`.
    pub sources: Vec<String>,
    pub note: Option<String>,
}

impl Release {
    /// Human name: "Exchange Server 2016 CU19 Mar21SU", "Exchange Server 2010 SP3 RU32".
    pub fn name(&self) -> String {
        let mut s = format!("{} {}", self.product.release_prefix(), self.cu);
        if !self.update.is_empty() {
            s.push(' ');
            s.push_str(&self.update);
        }
        s
    }

    /// The CU (or service pack) itself, not an update on top of it.
    pub fn is_base(&self) -> bool {
        self.update.is_empty()
    }

    /// Name of the CU this release belongs to: "Exchange Server 2016 CU19".
    pub fn cu_name(&self) -> String {
        format!("{} {}", self.product.release_prefix(), self.cu)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixKind {
    /// An update on one CU fixes the CVEs at `build`.
    Su,
    /// This CU and every later one ship with the fix.
    Included,
    /// The product line is not affected.
    NotAffected,
    /// Microsoft did not assess the product (out of support when the fix shipped).
    Unassessed,
}

/// One row of the family table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyFix {
    pub family: String,
    pub cves: Vec<String>,
    pub product: Product,
    pub cu: Option<String>,
    pub kind: FixKind,
    pub build: Option<Build>,
    pub update: Option<String>,
    /// Where a source gives a lower fixed build than the catalogue (see DECISIONS.md, D2):
    /// builds from here up to `build` are "unknown".
    pub disputed_from: Option<Build>,
}

/// A documented disagreement between a source and the catalogue (`data/decisions.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub source: String,
    /// `product|cu|update` as the source names it.
    pub release: String,
    pub source_build: Build,
    pub catalogue_build: Build,
    pub decision: String,
}

/// Split the data lines of a simple CSV file (no quoting: the generator never writes commas
/// inside fields). Yields (line number, fields) after checking the header.
fn rows<'a>(
    file: &'static str,
    text: &'a str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'a str>)>, CatalogError> {
    let mut out = Vec::new();
    let mut seen_header = false;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if line.contains('"') {
            return Err(CatalogError::data(
                file,
                lineno,
                "quoted fields are not supported",
            ));
        }
        let fields: Vec<&str> = line.split(',').collect();
        if !seen_header {
            if fields != header {
                return Err(CatalogError::data(
                    file,
                    lineno,
                    format!("expected header {:?}, found {:?}", header.join(","), line),
                ));
            }
            seen_header = true;
            continue;
        }
        if fields.len() != header.len() {
            return Err(CatalogError::data(
                file,
                lineno,
                format!("expected {} fields, found {}", header.len(), fields.len()),
            ));
        }
        out.push((lineno, fields));
    }
    if !seen_header {
        return Err(CatalogError::data(file, 1, "missing header line"));
    }
    Ok(out)
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn build_field(file: &'static str, line: usize, s: &str) -> Result<Build, CatalogError> {
    s.parse::<Build>()
        .map_err(|e| CatalogError::data(file, line, e.to_string()))
}

pub(crate) fn parse_releases(file: &'static str, text: &str) -> Result<Vec<Release>, CatalogError> {
    let header = [
        "product", "cu", "update", "build", "date", "kb", "sources", "note",
    ];
    let mut out = Vec::new();
    for (line, f) in rows(file, text, &header)? {
        let product = f[0]
            .parse::<Product>()
            .map_err(|e| CatalogError::data(file, line, e))?;
        if f[1].trim().is_empty() {
            return Err(CatalogError::data(file, line, "empty cu"));
        }
        let build = build_field(file, line, f[3])?;
        if let Some(d) = opt(f[4]) {
            let ok = (d.len() == 10 || d.len() == 7)
                && d.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(CatalogError::data(
                    file,
                    line,
                    format!("bad date {d:?} (expected YYYY-MM-DD or YYYY-MM)"),
                ));
            }
        }
        out.push(Release {
            product,
            cu: f[1].trim().to_string(),
            update: f[2].trim().to_string(),
            build,
            date: opt(f[4]),
            kb: opt(f[5]),
            sources: f[6]
                .split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            note: opt(f[7]),
        });
    }
    Ok(out)
}

pub(crate) fn parse_families(
    file: &'static str,
    text: &str,
) -> Result<Vec<FamilyFix>, CatalogError> {
    let header = [
        "family",
        "cves",
        "product",
        "cu",
        "kind",
        "build",
        "update",
        "disputed_from",
    ];
    let mut out = Vec::new();
    for (line, f) in rows(file, text, &header)? {
        let product = f[2]
            .parse::<Product>()
            .map_err(|e| CatalogError::data(file, line, e))?;
        let kind = match f[4] {
            "su" => FixKind::Su,
            "included" => FixKind::Included,
            "not_affected" => FixKind::NotAffected,
            "unassessed" => FixKind::Unassessed,
            k => {
                return Err(CatalogError::data(
                    file,
                    line,
                    format!("unknown kind {k:?}"),
                ))
            }
        };
        let build = match opt(f[5]) {
            Some(b) => Some(build_field(file, line, &b)?),
            None => None,
        };
        if matches!(kind, FixKind::Su | FixKind::Included) && build.is_none() {
            return Err(CatalogError::data(file, line, "a fix row needs a build"));
        }
        let disputed_from = match opt(f[7]) {
            Some(b) => Some(build_field(file, line, &b)?),
            None => None,
        };
        let cves: Vec<String> = f[1].split_whitespace().map(str::to_string).collect();
        if cves.is_empty() || cves.iter().any(|c| !c.starts_with("CVE-")) {
            return Err(CatalogError::data(file, line, "cves must be CVE-… ids"));
        }
        out.push(FamilyFix {
            family: f[0].trim().to_string(),
            cves,
            product,
            cu: opt(f[3]),
            kind,
            build,
            update: opt(f[6]),
            disputed_from,
        });
    }
    Ok(out)
}

pub(crate) fn parse_decisions(
    file: &'static str,
    text: &str,
) -> Result<Vec<Decision>, CatalogError> {
    let header = [
        "source",
        "release",
        "source_build",
        "catalogue_build",
        "decision",
    ];
    let mut out = Vec::new();
    for (line, f) in rows(file, text, &header)? {
        out.push(Decision {
            source: f[0].to_string(),
            release: f[1].to_string(),
            source_build: build_field(file, line, f[2])?,
            catalogue_build: build_field(file, line, f[3])?,
            decision: f[4].to_string(),
        });
    }
    Ok(out)
}
