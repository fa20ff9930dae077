//! The exposure rules, on the embedded catalogue only (no shared data needed).

use exray_catalog::{Build, Catalog, CatalogError, FixKind};
use exray_core::{BuildAssessment, BuildPrecision, Exposure, ExposureStatus};

fn cat() -> &'static Catalog {
    Catalog::embedded()
}

fn exposure<'a>(a: &'a BuildAssessment, family: &str) -> &'a Exposure {
    a.exposures
        .iter()
        .find(|e| e.family == family)
        .unwrap_or_else(|| panic!("{}: no {family} exposure in {a:#?}", a.build))
}

fn status(v: &str, family: &str) -> ExposureStatus {
    exposure(&cat().assess(v).unwrap(), family).status
}

fn below(b: &str) -> String {
    let b: Build = b.parse().unwrap();
    Build::new(b.major, b.minor, b.build, b.revision - 1).to_string()
}

// EXCHANGE-NOTES.md section 5: March 2021 SU fixed builds (2016 CU8/CU9 are tested separately).
const MAR21: &[&str] = &[
    "15.0.847.64",
    "15.0.1395.12",
    "15.0.1473.6",
    "15.0.1497.12",
    "15.1.1531.12",
    "15.1.1591.18",
    "15.1.1713.10",
    "15.1.1779.8",
    "15.1.1847.12",
    "15.1.1913.12",
    "15.1.1979.8",
    "15.1.2044.13",
    "15.1.2106.13",
    "15.1.2176.9",
    "15.2.221.18",
    "15.2.330.11",
    "15.2.397.11",
    "15.2.464.15",
    "15.2.529.13",
    "15.2.595.8",
    "15.2.659.12",
    "15.2.721.13",
    "15.2.792.10",
];

#[test]
fn embedded_catalogue_loads() {
    let c = cat();
    assert!(c.releases().len() > 300, "{}", c.releases().len());
    assert!(c.releases().windows(2).all(|w| w[0].build < w[1].build));
    for fam in ["proxylogon", "proxyshell", "proxynotshell", "owassrf"] {
        assert!(c.families().iter().any(|f| f == fam), "{fam} missing");
    }
}

#[test]
fn proxylogon_fixed_builds_of_the_notes() {
    for fix in MAR21 {
        assert_eq!(status(fix, "proxylogon"), ExposureStatus::Patched, "{fix}");
        assert_eq!(
            status(&below(fix), "proxylogon"),
            ExposureStatus::Vulnerable,
            "below {fix}"
        );
        let a = cat().assess(fix).unwrap();
        assert!(
            a.release.as_deref().unwrap().ends_with("Mar21SU"),
            "{fix}: {:?}",
            a.release
        );
        assert_eq!(
            exposure(&cat().assess(&below(fix)).unwrap(), "proxylogon")
                .fixed_by
                .as_ref()
                .map(|u| (u.build.as_str(), u.kb.as_deref())),
            Some((*fix, Some("KB5000871")))
        );
    }
}

#[test]
fn disputed_2016_cu8_cu9_builds_are_unknown_between_the_sources() {
    for (hc, ms) in [
        ("15.1.1415.8", "15.1.1415.10"),
        ("15.1.1466.13", "15.1.1466.16"),
    ] {
        assert_eq!(status(ms, "proxylogon"), ExposureStatus::Patched, "{ms}");
        assert_eq!(status(hc, "proxylogon"), ExposureStatus::Unknown, "{hc}");
        assert_eq!(
            status(&below(ms), "proxylogon"),
            ExposureStatus::Unknown,
            "{}",
            below(ms)
        );
        assert_eq!(
            status(&below(hc), "proxylogon"),
            ExposureStatus::Vulnerable,
            "{}",
            below(hc)
        );
        let a = cat().assess(hc).unwrap();
        assert!(a.notes.iter().any(|n| n.contains("D2")), "{:?}", a.notes);
    }
}

#[test]
fn later_cus_include_the_fixes() {
    for v in [
        "15.1.2242.4",
        "15.2.858.5",
        "15.1.2507.6",
        "15.2.1748.10",
        "15.2.2562.17",
    ] {
        assert_eq!(status(v, "proxylogon"), ExposureStatus::Patched, "{v}");
    }
    for v in ["15.1.2308.8", "15.2.922.7"] {
        assert_eq!(status(v, "proxyshell"), ExposureStatus::Patched, "{v}");
    }
    for v in ["15.2.1258.12", "15.2.1544.4"] {
        assert_eq!(status(v, "proxynotshell"), ExposureStatus::Patched, "{v}");
        assert_eq!(status(v, "owassrf"), ExposureStatus::Patched, "{v}");
    }
    // CU-only knowledge of a CU that ships the fix is enough.
    assert_eq!(status("15.1.2242", "proxylogon"), ExposureStatus::Patched);
    // 2016 CU20 base (March 2021) predates ProxyShell's fixes.
    assert_eq!(
        status("15.1.2242.4", "proxyshell"),
        ExposureStatus::Vulnerable
    );
}

#[test]
fn proxyshell_april_without_may_is_vulnerable_to_31207_only() {
    // (Apr21SU, May21SU) pairs from the notes.
    for (apr, may) in [
        ("15.0.1497.15", "15.0.1497.18"),
        ("15.1.2176.12", "15.1.2176.14"),
        ("15.1.2242.8", "15.1.2242.10"),
        ("15.2.792.13", "15.2.792.15"),
        ("15.2.858.10", "15.2.858.12"),
    ] {
        let a = cat().assess(apr).unwrap();
        let e = exposure(&a, "proxyshell");
        assert_eq!(e.status, ExposureStatus::Vulnerable, "{apr}");
        assert_eq!(e.cves, vec!["CVE-2021-31207".to_string()], "{apr}");
        assert_eq!(e.fixed_by.as_ref().unwrap().build, may);
        let below_apr = cat().assess(&below(apr)).unwrap();
        let e = exposure(&below_apr, "proxyshell");
        assert_eq!(e.status, ExposureStatus::Vulnerable);
        assert_eq!(e.cves.len(), 3, "{:?}", e.cves);
        assert_eq!(status(may, "proxyshell"), ExposureStatus::Patched, "{may}");
        assert_eq!(
            exposure(&cat().assess(may).unwrap(), "proxyshell")
                .cves
                .len(),
            3
        );
    }
}

#[test]
fn proxynotshell_and_owassrf_nov22() {
    for fix in [
        "15.0.1497.44",
        "15.1.2375.37",
        "15.1.2507.16",
        "15.2.986.36",
        "15.2.1118.20",
    ] {
        for fam in ["proxynotshell", "owassrf"] {
            assert_eq!(status(fix, fam), ExposureStatus::Patched, "{fam} {fix}");
            assert_eq!(
                status(&below(fix), fam),
                ExposureStatus::Vulnerable,
                "{fam} below {fix}"
            );
        }
        let e = exposure(&cat().assess(&below(fix)).unwrap(), "owassrf").clone();
        assert_eq!(e.cves, vec!["CVE-2022-41080".to_string()]);
        assert_eq!(e.fixed_by.unwrap().kb.as_deref(), Some("KB5019758"));
    }
    // A CU that never got the November 2022 SU stays vulnerable with any update installed.
    assert_eq!(
        status("15.1.2308.27", "proxynotshell"),
        ExposureStatus::Vulnerable
    );
    assert_eq!(
        status("15.1.2308", "proxynotshell"),
        ExposureStatus::Vulnerable
    );
}

#[test]
fn cu_only_gives_su_unknown_where_an_su_exists() {
    let a = cat().assess("15.1.2176").unwrap();
    assert_eq!(a.precision, BuildPrecision::CuOnly);
    assert_eq!(a.release.as_deref(), Some("Exchange Server 2016 CU19"));
    assert_eq!(exposure(&a, "proxylogon").status, ExposureStatus::SuUnknown);
    assert_eq!(exposure(&a, "proxyshell").status, ExposureStatus::SuUnknown);
    // CU19 never got the November 2022 SU: vulnerable whatever is installed.
    assert_eq!(
        exposure(&a, "proxynotshell").status,
        ExposureStatus::Vulnerable
    );
    // CU7 never got the March 2021 SU.
    assert_eq!(
        status("15.1.1261", "proxylogon"),
        ExposureStatus::Vulnerable
    );
    assert_eq!(
        status("15.1.1261.39", "proxylogon"),
        ExposureStatus::Vulnerable
    );
    // No CU-only answer is ever patched/vulnerable where the CU received the family's SU.
    for f in cat()
        .fixes()
        .iter()
        .filter(|f| f.kind == FixKind::Su && f.build.unwrap().major == 15)
    {
        let b = f.build.unwrap();
        let cu_only = format!("{}.{}.{}", b.major, b.minor, b.build);
        let s = status(&cu_only, &f.family);
        assert!(
            matches!(s, ExposureStatus::SuUnknown | ExposureStatus::Vulnerable),
            "{cu_only} {}: {s:?}",
            f.family
        );
        if s == ExposureStatus::Vulnerable {
            // Only because another CVE group of the family has no fix on this CU.
            let e = exposure(&cat().assess(&cu_only).unwrap(), &f.family).clone();
            assert!(
                f.cves.iter().all(|c| !e.cves.contains(c)),
                "{cu_only}: {e:?}"
            );
        }
    }
}

#[test]
fn every_fix_row_is_patched_at_its_build_and_vulnerable_below() {
    for f in cat().fixes().iter().filter(|f| f.kind == FixKind::Su) {
        let b = f.build.unwrap();
        let a = cat().assess(&b.to_string()).unwrap();
        let e = exposure(&a, &f.family);
        assert!(
            e.status == ExposureStatus::Patched
                || (e.status == ExposureStatus::Vulnerable
                    && f.cves.iter().all(|c| !e.cves.contains(c))),
            "{} at {b}: {e:?}",
            f.family
        );
        // One step below the fix (the previous build of the same CU).
        let prev = cat()
            .releases()
            .iter()
            .filter(|r| r.product == f.product && Some(&r.cu) == f.cu.as_ref() && r.build < b)
            .max_by_key(|r| r.build)
            .expect("a CU row below every fix");
        let e = exposure(&cat().assess(&prev.build.to_string()).unwrap(), &f.family).clone();
        match f.disputed_from {
            Some(d) if prev.build >= d => assert_eq!(e.status, ExposureStatus::Unknown),
            _ => {
                assert_eq!(
                    e.status,
                    ExposureStatus::Vulnerable,
                    "{} at {}",
                    f.family,
                    prev.build
                );
                assert!(f.cves.iter().all(|c| e.cves.contains(c)), "{e:?}");
            }
        }
    }
}

#[test]
fn exchange_2010_ru32_fixed_only_26857() {
    let a = cat().assess("14.3.513.0").unwrap();
    assert_eq!(a.release.as_deref(), Some("Exchange Server 2010 SP3 RU32"));
    let e = exposure(&a, "proxylogon");
    assert_eq!(e.status, ExposureStatus::Patched);
    assert_eq!(e.cves, vec!["CVE-2021-26857".to_string()]);
    assert!(e.note.as_deref().unwrap().contains("not affected"));
    let a = cat().assess("14.3.509.0").unwrap();
    let e = exposure(&a, "proxylogon");
    assert_eq!(e.status, ExposureStatus::Vulnerable);
    assert_eq!(e.cves, vec!["CVE-2021-26857".to_string()]);
    assert_eq!(a.recommended_update.as_ref().unwrap().build, "14.3.513.0");
    // Older service packs: upgrade to SP3, then RU32.
    let a = cat().assess("14.2.390.3").unwrap();
    assert_eq!(
        exposure(&a, "proxylogon").status,
        ExposureStatus::Vulnerable
    );
    assert_eq!(a.recommended_update.as_ref().unwrap().build, "14.3.513.0");
    assert!(a.notes.iter().any(|n| n.contains("SP3")), "{:?}", a.notes);
    // Three parts identify a 2010 rollup.
    assert_eq!(status("14.3.513", "proxylogon"), ExposureStatus::Patched);
    assert_eq!(status("14.3.509", "proxylogon"), ExposureStatus::Vulnerable);
    // Families Microsoft never assessed for 2010 are unknown, not "patched".
    assert_eq!(status("14.3.513.0", "proxyshell"), ExposureStatus::Unknown);
}

#[test]
fn newer_than_the_catalogue() {
    let a = cat().assess("15.1.2600.1").unwrap();
    assert_eq!(a.product.as_deref(), Some("Exchange Server 2016"));
    assert!(
        a.notes.iter().any(|n| n.contains("newer than")),
        "{:?}",
        a.notes
    );
    for e in &a.exposures {
        assert_eq!(e.status, ExposureStatus::Patched, "{e:?}");
    }
    assert!(a.recommended_update.is_none());
    // A newer update on a known CU is judged against that CU's fixes.
    let latest = cat()
        .releases()
        .iter()
        .filter(|r| r.cu == "CU23" && r.product.code() == "2016")
        .max_by_key(|r| r.build)
        .unwrap();
    let v = Build::new(15, 1, 2507, latest.build.revision + 10).to_string();
    let a = cat().assess(&v).unwrap();
    assert!(
        a.notes.iter().any(|n| n.contains("newer than")),
        "{:?}",
        a.notes
    );
    assert_eq!(
        exposure(&a, "cve-2024-21410").status,
        ExposureStatus::Patched
    );
    // Unknown product lines are not guessed.
    let a = cat().assess("15.9.1.1").unwrap();
    assert!(a.product.is_none());
    assert!(a
        .exposures
        .iter()
        .all(|e| e.status == ExposureStatus::Unknown));
    let a = cat().assess("8.3.517.0").unwrap();
    assert_eq!(a.product.as_deref(), Some("Exchange Server 2007"));
    assert!(a
        .exposures
        .iter()
        .all(|e| e.status == ExposureStatus::Unknown));
}

#[test]
fn unknown_build_inside_a_known_line_is_unknown_unless_a_later_cu_includes_the_fix() {
    // Between 2016 CU16 (1979) and CU17 (2044): no such CU.
    let a = cat().assess("15.1.2000.5").unwrap();
    assert_eq!(exposure(&a, "proxylogon").status, ExposureStatus::Unknown);
    // Between 2019 CU13 and CU14: above the CU that includes ProxyNotShell's fix.
    let a = cat().assess("15.2.1300.1").unwrap();
    assert_eq!(
        exposure(&a, "proxynotshell").status,
        ExposureStatus::Patched
    );
    assert_eq!(
        exposure(&a, "cve-2024-21410").status,
        ExposureStatus::Unknown
    );
}

#[test]
fn recommended_update() {
    let latest_of = |product: &str, cu: &str| {
        cat()
            .releases()
            .iter()
            .filter(|r| r.product.code() == product && r.cu == cu)
            .max_by_key(|r| r.build)
            .unwrap()
            .clone()
    };
    // 2019 CU14 still receives updates: its latest update.
    let a = cat().assess("15.2.1544.4").unwrap();
    let want = latest_of("2019", "CU14");
    assert_eq!(
        a.recommended_update.as_ref().unwrap().build,
        want.build.to_string()
    );
    assert_eq!(a.recommended_update.as_ref().unwrap().name, want.name());
    // 2016 CU19 no longer does: the newest CU with its latest update, and how to get there.
    let a = cat().assess("15.1.2176.2").unwrap();
    let want = latest_of("2016", "CU23");
    assert_eq!(
        a.recommended_update.as_ref().unwrap().build,
        want.build.to_string()
    );
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("upgrade to Exchange Server 2016 CU23")),
        "{:?}",
        a.notes
    );
    // The recommended update leaves nothing vulnerable.
    for v in [
        "15.1.2176.2",
        "15.0.1497.2",
        "15.2.1118.7",
        "15.2.221.12",
        "14.3.123.4",
    ] {
        let a = cat().assess(v).unwrap();
        let r = a.recommended_update.expect("something to install");
        let after = cat().assess(&r.build).unwrap();
        assert!(
            after.exposures.iter().all(|e| !matches!(
                e.status,
                ExposureStatus::Vulnerable | ExposureStatus::SuUnknown
            )),
            "{v} -> {}: {:?}",
            r.build,
            after.exposures
        );
        assert!(
            after.recommended_update.is_none(),
            "{v} -> {} is not the latest",
            r.build
        );
    }
}

#[test]
fn every_catalogued_release_assesses_to_itself() {
    for r in cat().releases() {
        let a = cat().assess(&r.build.to_string()).unwrap();
        assert_eq!(a.release.as_deref(), Some(r.name().as_str()), "{}", r.build);
        assert_eq!(a.release_date, r.date);
        assert_eq!(a.precision, BuildPrecision::Full);
        assert_eq!(a.exposures.len(), cat().families().len());
        assert_eq!(cat().find(&r.build.long_format()), Some(r));
    }
}

#[test]
fn long_format_and_parts_agree() {
    let a = cat().assess("15.01.2176.002").unwrap();
    let b = cat().assess("15.1.2176.2").unwrap();
    assert_eq!(a, b);
    let c = cat().assess_parts(15, 1, Some(2176), Some(2), "Bin\\ExSetup.exe file version");
    assert_eq!(c.exposures, b.exposures);
    assert_eq!(c.source.as_deref(), Some("Bin\\ExSetup.exe file version"));
    let d = cat().assess_parts(15, 1, Some(2176), None, "owa path");
    assert_eq!(d.precision, BuildPrecision::CuOnly);
    let e = cat().assess_parts(15, 1, None, None, "");
    assert_eq!(e.precision, BuildPrecision::ProductOnly);
    assert!(e.source.is_none());
    assert!(e
        .exposures
        .iter()
        .all(|x| x.status == ExposureStatus::Unknown));
    assert!(e.recommended_update.is_some());
    assert_eq!(
        cat().find("15.1.2176").unwrap().name(),
        "Exchange Server 2016 CU19"
    );
}

#[test]
fn admin_display_version_is_cu_only() {
    let a = cat().assess("Version 15.1 (Build 2176.2)").unwrap();
    assert_eq!(a.precision, BuildPrecision::CuOnly);
    assert_eq!(a.build, "15.1.2176");
    assert_eq!(exposure(&a, "proxylogon").status, ExposureStatus::SuUnknown);
    assert!(a.notes[0].contains("AdminDisplayVersion"), "{:?}", a.notes);
    assert!(cat().assess("Version 15.1 (Build x)").is_err());
    // 15.2 alone could be 2019 or SE: no update is named.
    let a = cat().assess("15.2").unwrap();
    assert!(a.recommended_update.is_none());
    assert!(a.product.as_deref().unwrap().contains("SE"));
}

#[test]
fn malformed_versions_are_errors() {
    for bad in [
        "",
        "15",
        "abc",
        "15.1.2176.2.1",
        "15.1.x",
        "15..2176",
        " . ",
    ] {
        match cat().assess(bad) {
            Err(CatalogError::Malformed { input, reason }) => {
                assert_eq!(input, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?}: {other:?}"),
        }
        assert!(cat().find(bad).is_none());
    }
}

#[test]
fn bad_data_files_give_file_and_line() {
    let good_f = exray_catalog::FAMILIES_CSV;
    let good_d = exray_catalog::DECISIONS_CSV;
    let rel = "product,cu,update,build,date,kb,sources,note\n2016,CU19,,15.1.2176.2,2020-12-15,,ms,\n2016,CU19,Mar21SU,15.1.x.9,2021-03-02,,ms,\n";
    let e = Catalog::from_csv(rel, good_f, good_d)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("releases.csv:3:"), "{e}");
    let rel = "product,cu,update,build,date,kb,sources,note\n2017,CU1,,15.1.1.1,,,ms,\n";
    let e = Catalog::from_csv(rel, good_f, good_d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("releases.csv:2:") && e.contains("2017"), "{e}");
    let e = Catalog::from_csv("nonsense\n", good_f, good_d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("releases.csv:1:"), "{e}");
    // A fix pointing at a build the catalogue lacks is refused.
    let fam = "family,cves,product,cu,kind,build,update,disputed_from\nx,CVE-1-1,2016,CU19,su,15.1.2176.99,Mar21SU,\n";
    let e = Catalog::from_csv(exray_catalog::RELEASES_CSV, fam, good_d)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("families.csv") && e.contains("15.1.2176.99"),
        "{e}"
    );
}

/// CPE 2.3 names as NVD gives Exchange: product year and CU, SP or SP rollup; no name where the
/// product cannot be told (15.2 alone) or NVD's name is not known (SE).
#[test]
fn assessments_carry_nvd_cpe_names() {
    let c = Catalog::embedded();
    let cpe = |v: &str| c.assess(v).unwrap().cpe;
    let name = |v: &str, u: &str| {
        Some(format!(
            "cpe:2.3:a:microsoft:exchange_server:{v}:{u}:*:*:*:*:*:*"
        ))
    };
    // A full build, a CU-only build and an SU of the same CU give the CU's name.
    assert_eq!(cpe("15.2.1118.7"), name("2019", "cumulative_update_12"));
    assert_eq!(cpe("15.2.1118"), name("2019", "cumulative_update_12"));
    assert_eq!(cpe("15.2.1118.20"), name("2019", "cumulative_update_12"));
    assert_eq!(cpe("15.0.1497.2"), name("2013", "cumulative_update_23"));
    assert_eq!(cpe("15.0.847.32"), name("2013", "sp1"));
    assert_eq!(cpe("15.2.221.12"), name("2019", "-"));
    assert_eq!(cpe("14.3.513.0"), name("2010", "sp3_rollup_32"));
    // A re-released rollup (RU8v1, RU8v2) is NVD's rollup 8.
    assert_eq!(cpe("14.3.224.1"), name("2010", "sp3_rollup_8"));
    assert_eq!(cpe("14.3.224.2"), name("2010", "sp3_rollup_8"));
    assert_eq!(cpe("15.1"), name("2016", "*"));
    // 15.2 alone is 2019 or SE; SE has no name in the catalogue; 8.0 is outside it.
    assert_eq!(cpe("15.2"), None);
    assert_eq!(cpe("15.2.2562.17"), None);
    assert_eq!(cpe("8.0.685.24"), None);
}
