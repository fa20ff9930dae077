//! The one place the scanner asks the build catalogue, and the mapping of its answer to a scan
//! verdict.

use exray_core::{BuildAssessment, Confidence, ScanVerdict};

use crate::fingerprint::Version;

/// Ask the embedded catalogue about a version learned from `source` (e.g. `X-OWA-Version header`).
pub fn assess(version: &Version, source: &str) -> BuildAssessment {
    exray_catalog::Catalog::embedded().assess_parts(
        version.major,
        version.minor,
        version.build,
        version.revision,
        source,
    )
}

/// Map an assessment to a verdict (the catalogue's judgement, [`exray_catalog::scan_verdict`]).
pub fn verdict_of(a: &BuildAssessment) -> (ScanVerdict, Option<String>) {
    exray_catalog::scan_verdict(a)
}

/// Confidence of a verdict from how the build was learned.
pub fn confidence_of(
    verdict: ScanVerdict,
    full_build: bool,
    from_manifest_or_header: bool,
) -> Confidence {
    match verdict {
        ScanVerdict::Vulnerable | ScanVerdict::Patched if full_build && from_manifest_or_header => {
            Confidence::High
        }
        ScanVerdict::Vulnerable | ScanVerdict::Patched | ScanVerdict::SuUnknown => {
            Confidence::Medium
        }
        _ => Confidence::Low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::parse_version;

    fn verdict(s: &str) -> ScanVerdict {
        verdict_of(&assess(&parse_version(s).unwrap(), "test")).0
    }

    #[test]
    fn known_builds_from_the_notes() {
        // 2016 CU19 before the March 2021 SU (fixed in .9): vulnerable.
        assert_eq!(verdict("15.1.2176.2"), ScanVerdict::Vulnerable);
        // 2016 CU23 known only by its CU: later SUs exist for it, so the SU state is unknown.
        let a = assess(&parse_version("15.1.2507").unwrap(), "t");
        assert_eq!(verdict_of(&a).0, ScanVerdict::SuUnknown, "{a:#?}");
        // 2016 CU9 known only by its CU: it never received the ProxyShell SUs, so vulnerable
        // whatever SU is installed.
        assert_eq!(verdict("15.1.1466"), ScanVerdict::Vulnerable);
        // A CU-only fingerprint is never "patched" unless the CU's base build has every fix.
        assert_eq!(verdict("15.2.1748"), ScanVerdict::Patched);
        // 2019 CU8 with the March SU only: ProxyShell still open.
        assert_eq!(verdict("15.2.792.10"), ScanVerdict::Vulnerable);
        let a = assess(
            &parse_version("15.2.1748.43").unwrap(),
            "X-OWA-Version header",
        );
        assert_eq!(a.source.as_deref(), Some("X-OWA-Version header"));
        assert_eq!(verdict_of(&a).0, ScanVerdict::Patched, "{a:?}");
    }
}
