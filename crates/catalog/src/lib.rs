//! exray's Exchange build catalogue.
//!
//! Every Exchange build from Exchange 2010 RTM to Exchange Server SE (each CU, service pack,
//! update rollup and security/hotfix update, with its date and KB where the sources give one),
//! and for each CVE family the fixed build per CU. The data lives in `data/*.csv`, generated once
//! by `tools/gen_catalog.py` from three public sources and embedded at compile time.
//!
//! The answer to "is this build exposed?" follows these rules:
//! - a complete build (four parts) below the fix for its CU, or on a CU that never got the fix:
//!   *vulnerable*; at or above the fix, or on a CU that already ships it: *patched*;
//! - only the CU known (three parts) and an update exists for that CU: *SU unknown*, never a guess;
//! - where the sources disagree on the fixed build: *unknown* between the two values;
//! - newer than anything in the catalogue but in a known product line: later CUs include every
//!   earlier fix, and the assessment says the build is newer than the catalogue.

use std::sync::LazyLock;

use exray_core::{
    BuildAssessment, BuildPrecision, Exposure, ExposureStatus, ScanVerdict, UpdateRef,
};

pub mod cli;
mod data;
pub mod version;

pub use data::{Decision, FamilyFix, FixKind, Product, Release};
pub use version::{Build, Version};

/// The embedded data files.
pub const RELEASES_CSV: &str = include_str!("../data/releases.csv");
pub const FAMILIES_CSV: &str = include_str!("../data/families.csv");
pub const DECISIONS_CSV: &str = include_str!("../data/decisions.csv");

/// Map an assessment to a verdict: any exposure vulnerable → vulnerable; else any SU unknown →
/// su_unknown; all patched or not affected → patched; otherwise Exchange with an unknown build,
/// with the reason.
pub fn scan_verdict(a: &BuildAssessment) -> (ScanVerdict, Option<String>) {
    let st = |s: ExposureStatus| a.exposures.iter().any(|e| e.status == s);
    if st(ExposureStatus::Vulnerable) {
        return (ScanVerdict::Vulnerable, None);
    }
    if st(ExposureStatus::SuUnknown) {
        return (ScanVerdict::SuUnknown, None);
    }
    if !a.exposures.is_empty()
        && a.exposures.iter().all(|e| {
            matches!(
                e.status,
                ExposureStatus::Patched | ExposureStatus::NotAffected
            )
        })
    {
        return (ScanVerdict::Patched, None);
    }
    let mut reason = String::from("the catalogue cannot decide for this build");
    let notes: Vec<&str> = a
        .exposures
        .iter()
        .filter(|e| e.status == ExposureStatus::Unknown)
        .filter_map(|e| e.note.as_deref())
        .chain(a.notes.iter().map(String::as_str))
        .collect();
    if !notes.is_empty() {
        reason = format!("{reason}: {}", notes.join("; "));
    }
    (ScanVerdict::ExchangeUnknownBuild, Some(reason))
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CatalogError {
    #[error("malformed Exchange version {input:?}: {reason}")]
    Malformed { input: String, reason: String },
    #[error("{file}:{line}: {message}")]
    Data {
        file: String,
        line: usize,
        message: String,
    },
}

impl CatalogError {
    pub(crate) fn data(file: &str, line: usize, message: impl Into<String>) -> Self {
        CatalogError::Data {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// One CVE group of a family that shares its fixes (e.g. ProxyShell's CVE-2021-31207, fixed a
/// month after the other two).
#[derive(Clone, Debug)]
struct Component {
    family: String,
    cves: Vec<String>,
    rows: Vec<usize>,
}

/// The build catalogue.
#[derive(Debug)]
pub struct Catalog {
    releases: Vec<Release>,
    fixes: Vec<FamilyFix>,
    decisions: Vec<Decision>,
    components: Vec<Component>,
    families: Vec<String>,
}

static EMBEDDED: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::from_csv(RELEASES_CSV, FAMILIES_CSV, DECISIONS_CSV)
        .expect("the embedded catalogue is valid (checked by this crate's tests)")
});

/// Result of one CVE group for one build.
struct Eval {
    status: ExposureStatus,
    fixed_by: Option<usize>,
    note: Option<String>,
}

impl Catalog {
    /// The catalogue compiled into exray, parsed once.
    pub fn embedded() -> &'static Catalog {
        &EMBEDDED
    }

    /// Build a catalogue from the three data files (errors name file and line).
    pub fn from_csv(
        releases: &str,
        families: &str,
        decisions: &str,
    ) -> Result<Catalog, CatalogError> {
        let mut rel = data::parse_releases("releases.csv", releases)?;
        rel.sort_by_key(|r| r.build);
        for w in rel.windows(2) {
            if w[0].build == w[1].build {
                return Err(CatalogError::data(
                    "releases.csv",
                    0,
                    format!(
                        "build {} listed twice ({} and {})",
                        w[0].build,
                        w[0].name(),
                        w[1].name()
                    ),
                ));
            }
        }
        let fixes = data::parse_families("families.csv", families)?;
        let decisions = data::parse_decisions("decisions.csv", decisions)?;
        let mut components: Vec<Component> = Vec::new();
        let mut families: Vec<String> = Vec::new();
        for (i, f) in fixes.iter().enumerate() {
            if !families.contains(&f.family) {
                families.push(f.family.clone());
            }
            match components
                .iter_mut()
                .find(|c| c.family == f.family && c.cves == f.cves)
            {
                Some(c) => c.rows.push(i),
                None => components.push(Component {
                    family: f.family.clone(),
                    cves: f.cves.clone(),
                    rows: vec![i],
                }),
            }
        }
        let cat = Catalog {
            releases: rel,
            fixes,
            decisions,
            components,
            families,
        };
        // Every fix must point at a catalogued release.
        for f in &cat.fixes {
            if let Some(b) = f.build {
                let ok = cat
                    .find_build(b)
                    .is_some_and(|r| r.product == f.product && Some(&r.cu) == f.cu.as_ref());
                if !ok {
                    return Err(CatalogError::data(
                        "families.csv",
                        0,
                        format!(
                            "{} {}: build {b} is not a catalogued release of that CU",
                            f.family,
                            f.product.code()
                        ),
                    ));
                }
            }
        }
        Ok(cat)
    }

    /// Every release, ordered by build.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The family table, as in `data/families.csv`.
    pub fn fixes(&self) -> &[FamilyFix] {
        &self.fixes
    }

    /// Source rows the catalogue deliberately does not copy as given (DECISIONS.md).
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Family names, in catalogue order (`proxylogon`, `proxyshell`, …).
    pub fn families(&self) -> &[String] {
        &self.families
    }

    /// The release with exactly this build; for a three-part version, the CU itself.
    pub fn find(&self, version: &str) -> Option<&Release> {
        let v = Version::parse(version).ok()?;
        match v.full() {
            Some(b) => self.find_build(b),
            None => {
                let b = v.build?;
                self.releases
                    .iter()
                    .find(|r| r.is_base() && r.build.cu_triple() == (v.major, v.minor, b))
            }
        }
    }

    pub fn find_build(&self, b: Build) -> Option<&Release> {
        self.releases
            .binary_search_by_key(&b, |r| r.build)
            .ok()
            .map(|i| &self.releases[i])
    }

    /// Assess a version string: "15.1.2176.2", "15.01.2176.002", "15.1.2176" (CU only),
    /// "15.1" (product only).
    ///
    /// Exchange's `AdminDisplayVersion` text (`Version 15.1 (Build 2507.6)`) is accepted too, and
    /// taken as CU only, because it does not change when a security update is installed.
    pub fn assess(&self, version: &str) -> Result<BuildAssessment, CatalogError> {
        if let Some(v) = Version::parse_admin_display(version) {
            let mut a = self.assess_version(v?, None);
            a.notes.insert(
                0,
                format!("{version:?} is an AdminDisplayVersion: it ignores security updates, so only the CU is known"),
            );
            return Ok(a);
        }
        let v = Version::parse(version)?;
        Ok(self.assess_version(v, None))
    }

    /// Assess a version known by its parts; `source` says where it was learned
    /// (e.g. `Bin\ExSetup.exe file version`, `X-OWA-Version header`).
    pub fn assess_parts(
        &self,
        major: u32,
        minor: u32,
        build: Option<u32>,
        revision: Option<u32>,
        source: &str,
    ) -> BuildAssessment {
        let source = (!source.trim().is_empty()).then(|| source.to_string());
        self.assess_version(Version::from_parts(major, minor, build, revision), source)
    }

    fn product_of(&self, v: &Version) -> Option<Product> {
        match (v.major, v.minor) {
            (14, _) => Some(Product::Exchange2010),
            (15, 0) => Some(Product::Exchange2013),
            (15, 1) => Some(Product::Exchange2016),
            (15, 2) => {
                let Some(b) = v.build else {
                    return Some(Product::Exchange2019);
                };
                if let Some(r) = self
                    .releases
                    .iter()
                    .find(|r| r.build.cu_triple() == (15, 2, b))
                {
                    return Some(r.product);
                }
                let se_base = self
                    .releases
                    .iter()
                    .filter(|r| r.product == Product::ExchangeSe)
                    .map(|r| r.build.build)
                    .min();
                Some(match se_base {
                    Some(se) if b >= se => Product::ExchangeSe,
                    _ => Product::Exchange2019,
                })
            }
            _ => None,
        }
    }

    /// The Exchange 2010 rollup (`RU32`) a version's build number identifies.
    fn rollup_of(&self, p: Product, v: &Version) -> Option<&str> {
        if p != Product::Exchange2010 {
            return None;
        }
        let b = v.build?;
        self.releases
            .iter()
            .find(|r| r.product == p && r.build.minor == v.minor && r.build.build == b)
            .map(|r| r.update.as_str())
            .filter(|u| u.starts_with("RU"))
    }

    /// The CU (by name) a version belongs to, if the catalogue knows it.
    fn cu_of(&self, p: Product, v: &Version) -> Option<&str> {
        if p == Product::Exchange2010 {
            return self
                .releases
                .iter()
                .find(|r| r.product == p && r.build.minor == v.minor)
                .map(|r| r.cu.as_str());
        }
        let b = v.build?;
        self.releases
            .iter()
            .find(|r| r.product == p && r.build.cu_triple() == (v.major, v.minor, b))
            .map(|r| r.cu.as_str())
    }

    fn in_cu<'a, 'b>(
        &'a self,
        p: Product,
        cu: &'b str,
    ) -> impl Iterator<Item = &'a Release> + use<'a, 'b> {
        self.releases
            .iter()
            .filter(move |r| r.product == p && r.cu == cu)
    }

    fn latest_in_cu(&self, p: Product, cu: &str) -> Option<&Release> {
        self.in_cu(p, cu).max_by_key(|r| r.build)
    }

    fn cu_base(&self, p: Product, cu: &str) -> Option<&Release> {
        self.in_cu(p, cu).find(|r| r.is_base())
    }

    fn latest_of_product(&self, p: Product) -> Option<&Release> {
        self.releases
            .iter()
            .filter(|r| r.product == p)
            .max_by_key(|r| r.build)
    }

    fn release_of_fix(&self, f: &FamilyFix) -> Option<usize> {
        let b = f.build?;
        self.releases.binary_search_by_key(&b, |r| r.build).ok()
    }

    fn update_ref(&self, idx: usize) -> UpdateRef {
        let r = &self.releases[idx];
        UpdateRef {
            name: r.name(),
            build: r.build.to_string(),
            kb: r.kb.clone(),
            date: r.date.clone(),
        }
    }

    /// Evaluate one CVE group; `None` when it does not apply to the product.
    fn eval(
        &self,
        comp: &Component,
        p: Product,
        v: &Version,
        cu: Option<&str>,
        newer: bool,
    ) -> Option<Eval> {
        let rows: Vec<&FamilyFix> = comp
            .rows
            .iter()
            .map(|&i| &self.fixes[i])
            .filter(|f| f.product == p)
            .collect();
        if rows.is_empty() {
            return None;
        }
        if rows.iter().any(|f| f.kind == FixKind::NotAffected) {
            return Some(Eval {
                status: ExposureStatus::NotAffected,
                fixed_by: None,
                note: Some(format!("{} is not affected", p.name())),
            });
        }
        if rows.iter().any(|f| f.kind == FixKind::Unassessed) {
            return Some(Eval {
                status: ExposureStatus::Unknown,
                fixed_by: None,
                note: Some(format!(
                    "{} is not among the products Microsoft assessed (out of support when the fix shipped); no fix exists for it: migrate",
                    p.name()
                )),
            });
        }
        let included = rows.iter().find(|f| f.kind == FixKind::Included);
        let sus: Vec<&&FamilyFix> = rows.iter().filter(|f| f.kind == FixKind::Su).collect();
        let Some(vb) = v.build else {
            return Some(Eval {
                status: ExposureStatus::Unknown,
                fixed_by: None,
                note: Some("only the product is known, not its CU".to_string()),
            });
        };
        if let Some(inc) = included {
            let ib = inc.build.expect("checked at load");
            if (v.major, v.minor, vb) >= ib.cu_triple() {
                return Some(Eval {
                    status: ExposureStatus::Patched,
                    fixed_by: self.release_of_fix(inc),
                    note: None,
                });
            }
        }
        if newer {
            return Some(Eval {
                status: ExposureStatus::Patched,
                fixed_by: None,
                note: Some("build newer than the catalogue; later CUs include the fix".to_string()),
            });
        }
        let Some(cu) = cu else {
            return Some(Eval {
                status: ExposureStatus::Unknown,
                fixed_by: None,
                note: Some("the build's CU is not in the catalogue".to_string()),
            });
        };
        if let Some(su) = sus.iter().find(|f| f.cu.as_deref() == Some(cu)) {
            let fb = su.build.expect("checked at load");
            let upd = su.update.clone().unwrap_or_default();
            let fixed_by = self.release_of_fix(su);
            let (status, note) = match v.full() {
                Some(full) => {
                    if let Some(d) = su.disputed_from.filter(|d| full >= *d && full < fb) {
                        (
                            ExposureStatus::Unknown,
                            Some(format!(
                                "the sources disagree on the {upd} build for {cu} ({d} or {fb}); {full} lies between them"
                            )),
                        )
                    } else if full >= fb {
                        (ExposureStatus::Patched, None)
                    } else {
                        (
                            ExposureStatus::Vulnerable,
                            Some(format!("below {upd} ({fb}) for {cu}")),
                        )
                    }
                }
                None if p == Product::Exchange2010 => {
                    // 2010 rollups raise the build part: three parts identify the rollup.
                    if vb >= fb.build {
                        (ExposureStatus::Patched, None)
                    } else {
                        (
                            ExposureStatus::Vulnerable,
                            Some(format!("below {upd} ({fb})")),
                        )
                    }
                }
                None => (
                    ExposureStatus::SuUnknown,
                    Some(format!(
                        "{cu} received the fix in {upd} ({fb}); which update is installed cannot be told from the CU alone"
                    )),
                ),
            };
            return Some(Eval {
                status,
                fixed_by,
                note,
            });
        }
        // The CU never received the fix: vulnerable until upgraded. Point at the nearest later fix.
        let here = (v.major, v.minor, vb);
        let next = rows
            .iter()
            .filter(|f| matches!(f.kind, FixKind::Su | FixKind::Included))
            .filter(|f| f.build.is_some_and(|b| b.cu_triple() > here))
            .min_by_key(|f| f.build);
        Some(Eval {
            status: ExposureStatus::Vulnerable,
            fixed_by: next.and_then(|f| self.release_of_fix(f)),
            note: Some(format!(
                "{cu} never received a fix; upgrade to a CU that has one"
            )),
        })
    }

    fn exposures(&self, p: Product, v: &Version, cu: Option<&str>, newer: bool) -> Vec<Exposure> {
        let mut out = Vec::new();
        for fam in &self.families {
            let evals: Vec<(&Component, Eval)> = self
                .components
                .iter()
                .filter(|c| &c.family == fam)
                .filter_map(|c| self.eval(c, p, v, cu, newer).map(|e| (c, e)))
                .collect();
            let all_cves = || {
                let mut c: Vec<String> = self
                    .components
                    .iter()
                    .filter(|c| &c.family == fam)
                    .flat_map(|c| c.cves.clone())
                    .collect();
                c.dedup();
                c
            };
            if evals.is_empty() {
                out.push(Exposure {
                    family: fam.clone(),
                    cves: all_cves(),
                    status: ExposureStatus::Unknown,
                    fixed_by: None,
                    note: Some(format!("the catalogue has no data for {}", p.name())),
                });
                continue;
            }
            use ExposureStatus::*;
            let status = [Vulnerable, Unknown, SuUnknown, Patched]
                .into_iter()
                .find(|s| evals.iter().any(|(_, e)| e.status == *s))
                .unwrap_or(NotAffected);
            let decisive: Vec<&(&Component, Eval)> =
                evals.iter().filter(|(_, e)| e.status == status).collect();
            let cves: Vec<String> = decisive.iter().flat_map(|(c, _)| c.cves.clone()).collect();
            let fixed_by = decisive
                .iter()
                .filter_map(|(_, e)| e.fixed_by)
                .max_by_key(|&i| self.releases[i].build)
                .map(|i| self.update_ref(i));
            // Group equal notes so "CVE-A, CVE-B: text" is said once.
            let mut grouped: Vec<(Vec<String>, String)> = Vec::new();
            for (c, e) in &evals {
                let Some(text) = &e.note else { continue };
                match grouped.iter_mut().find(|(_, t)| t == text) {
                    Some((cv, _)) => cv.extend(c.cves.iter().cloned()),
                    None => grouped.push((c.cves.clone(), text.clone())),
                }
            }
            let notes: Vec<String> = grouped
                .into_iter()
                .map(|(cv, t)| format!("{}: {t}", cv.join(", ")))
                .collect();
            out.push(Exposure {
                family: fam.clone(),
                cves,
                status,
                fixed_by,
                note: (!notes.is_empty()).then(|| notes.join("; ")),
            });
        }
        out
    }

    /// The one update that fixes every exposure: the latest update of the build's CU while that CU
    /// still receives updates, else the newest CU of the product with its latest update.
    fn recommend(&self, p: Product, v: &Version, cu: Option<&str>) -> Option<(usize, bool)> {
        let newest = self.latest_of_product(p)?;
        let mut pick = newest;
        if let Some(cu) = cu {
            if let Some(l) = self.latest_in_cu(p, cu) {
                let current =
                    l.cu == newest.cu || (!l.update.is_empty() && l.update == newest.update);
                let lv = Version::from_parts(
                    l.build.major,
                    l.build.minor,
                    Some(l.build.build),
                    Some(l.build.revision),
                );
                let fixes_all = self.exposures(p, &lv, Some(cu), false).iter().all(|e| {
                    !matches!(
                        e.status,
                        ExposureStatus::Vulnerable | ExposureStatus::SuUnknown
                    )
                });
                if current && fixes_all {
                    pick = l;
                }
            }
        }
        let idx = self
            .releases
            .binary_search_by_key(&pick.build, |r| r.build)
            .ok()?;
        match (v.full(), v.build) {
            (Some(full), _) if full >= pick.build => None,
            (None, Some(b)) if (v.major, v.minor, b) > pick.build.cu_triple() => None,
            _ => Some((idx, Some(pick.cu.as_str()) != cu)),
        }
    }

    fn assess_version(&self, v: Version, source: Option<String>) -> BuildAssessment {
        let precision = match (v.build, v.revision) {
            (Some(_), Some(_)) => BuildPrecision::Full,
            (Some(_), None) => BuildPrecision::CuOnly,
            _ => BuildPrecision::ProductOnly,
        };
        let mut a = BuildAssessment {
            build: v.to_string(),
            precision,
            product: None,
            release: None,
            release_date: None,
            exposures: Vec::new(),
            recommended_update: None,
            notes: Vec::new(),
            source,
            cpe: None,
        };
        let Some(p) = self.product_of(&v) else {
            a.product = legacy_product(&v).map(str::to_string);
            a.notes.push(format!(
                "{v} is not an Exchange 2010, 2013, 2016, 2019 or SE version: outside the catalogue"
            ));
            for fam in &self.families {
                let cves: Vec<String> = self
                    .components
                    .iter()
                    .filter(|c| &c.family == fam)
                    .flat_map(|c| c.cves.clone())
                    .collect();
                a.exposures.push(Exposure {
                    family: fam.clone(),
                    cves,
                    status: ExposureStatus::Unknown,
                    fixed_by: None,
                    note: Some("product outside the catalogue".into()),
                });
            }
            return a;
        };
        a.product = Some(p.name().to_string());
        if p == Product::Exchange2019 && v.build.is_none() {
            a.product = Some("Exchange Server 2019 or Exchange Server SE (both 15.2)".into());
        }
        let line_max = self
            .releases
            .iter()
            .filter(|r| (r.build.major, r.build.minor) == (v.major, v.minor))
            .map(|r| r.build)
            .max();
        let cu = self.cu_of(p, &v);
        // 15.2 without a build may be 2019 or SE: no name rather than a guess.
        if !(p == Product::Exchange2019 && v.build.is_none()) {
            a.cpe = cpe_name(p, cu, self.rollup_of(p, &v));
        }
        let newer = match (v.build, line_max) {
            (Some(b), Some(m)) => cu.is_none() && (v.major, v.minor, b) > m.cu_triple(),
            (Some(_), None) => true,
            _ => false,
        };
        match precision {
            BuildPrecision::Full => {
                let full = v.full().expect("full precision");
                if let Some(r) = self.find_build(full) {
                    a.release = Some(r.name());
                    a.release_date = r.date.clone();
                    if let Some(n) = &r.note {
                        a.notes.push(format!("{}: {n}", r.name()));
                    }
                } else if let Some(cu) = cu {
                    let base = self.cu_base(p, cu);
                    a.release = base.map(|b| format!("{} (build not in the catalogue)", b.name()));
                    let latest = self.latest_in_cu(p, cu).expect("cu has releases");
                    if full > latest.build {
                        a.notes.push(format!(
                            "{full} is newer than the catalogue's latest update for {} ({}, {})",
                            latest.cu_name(),
                            latest.name(),
                            latest.build
                        ));
                    } else {
                        a.notes.push(format!(
                            "{full} is not a catalogued release; it belongs to {} and is judged against that CU's fixes",
                            latest.cu_name()
                        ));
                    }
                }
                if let Some(d) = self
                    .decisions
                    .iter()
                    .find(|d| d.source_build == full && d.catalogue_build != full)
                {
                    a.notes.push(format!(
                        "source {} lists {} as {full}; the catalogue uses {} (decision {}, see DECISIONS.md)",
                        d.source, d.release, d.catalogue_build, d.decision
                    ));
                }
            }
            BuildPrecision::CuOnly => {
                if let Some(base) = cu.and_then(|c| self.cu_base(p, c)) {
                    a.release = Some(base.name());
                    a.release_date = base.date.clone();
                }
                a.notes.push(
                    "only major.minor.build is known: the CU, not the security update installed"
                        .into(),
                );
            }
            BuildPrecision::ProductOnly => {
                a.notes
                    .push("only major.minor is known: the product, not its CU or update".into());
            }
        }
        if newer {
            if let Some(m) = line_max {
                a.notes.push(format!(
                    "{v} is newer than every {} build in the catalogue (latest {m}); judged by the rule that later CUs include earlier fixes",
                    p.name()
                ));
            }
        } else if cu.is_none() && v.build.is_some() {
            a.notes.push(format!(
                "{v} is not a CU the catalogue knows for {}",
                p.name()
            ));
        }
        a.exposures = self.exposures(p, &v, cu, newer);
        let ambiguous = (v.major, v.minor) == (15, 2) && v.build.is_none();
        if ambiguous {
            a.notes.push(
                "15.2 is Exchange 2019 or Exchange SE: install the latest update for the CU actually installed".into(),
            );
        }
        if let Some((idx, cross_cu)) = self.recommend(p, &v, cu).filter(|_| !ambiguous) {
            let r = &self.releases[idx];
            if cross_cu && !r.is_base() {
                if let Some(base) = self.cu_base(r.product, &r.cu) {
                    a.notes.push(format!(
                        "to install {}: upgrade to {} ({}) first, then install {}",
                        r.name(),
                        base.name(),
                        base.build,
                        r.update
                    ));
                }
            }
            if r.kb.is_none() && !r.is_base() {
                a.notes.push(format!(
                    "the sources give no KB number for {}; find it by name and build",
                    r.name()
                ));
            }
            a.recommended_update = Some(self.update_ref(idx));
        }
        a
    }
}

fn legacy_product(v: &Version) -> Option<&'static str> {
    match (v.major, v.minor) {
        (8, _) => Some("Exchange Server 2007"),
        (6, 5) => Some("Exchange Server 2003"),
        (6, 0) => Some("Exchange 2000 Server"),
        _ => None,
    }
}

/// The CPE 2.3 name NVD gives an Exchange product and CU (`cu` as the catalogue names it:
/// `RTM`, `SP3`, `CU23`; `rollup` an Exchange 2010 `RU32`): version `2010`..`2019`, update
/// `cumulative_update_N`, `spN`, `spN_rollup_N`, `-` for RTM, `*` where the CU is not known.
/// NVD's names carry no security update. None for Exchange SE, whose NVD name the catalogue
/// does not hold.
pub fn cpe_name(p: Product, cu: Option<&str>, rollup: Option<&str>) -> Option<String> {
    let version = match p {
        Product::Exchange2010 => "2010",
        Product::Exchange2013 => "2013",
        Product::Exchange2016 => "2016",
        Product::Exchange2019 => "2019",
        Product::ExchangeSe => return None,
    };
    let update = match cu {
        Some("RTM") => "-".to_string(),
        Some(c) if c.starts_with("CU") && c[2..].chars().all(|d| d.is_ascii_digit()) => {
            format!("cumulative_update_{}", &c[2..])
        }
        Some(c) if c.starts_with("SP") && c[2..].chars().all(|d| d.is_ascii_digit()) => {
            // `RU8v2` (a re-release) is NVD's rollup 8.
            let n = rollup
                .and_then(|r| r.strip_prefix("RU"))
                .map(|r| r.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
                .filter(|n| !n.is_empty());
            match n {
                Some(n) => format!("sp{}_rollup_{n}", &c[2..]),
                None => format!("sp{}", &c[2..]),
            }
        }
        _ => "*".to_string(),
    };
    Some(format!(
        "cpe:2.3:a:microsoft:exchange_server:{version}:{update}:*:*:*:*:*:*"
    ))
}
