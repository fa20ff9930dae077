//! Golden tests of the declarative request traits (`rules/requests.toml`): every
//! `tests/golden/requests/<name>.log` is hunted as an IIS log, with every line delivered and
//! prefiltered, and the traits' hits (line, rule, severity, client, page) must equal
//! `<name>.expected`. `UPDATE_GOLDEN=1` rewrites the expected files (review them in the diff).
//! A new trait comes with a new case and needs no code.

use std::collections::HashSet;
use std::path::Path;

use exray_hunt::detect::{iis, Ctx, Delivery, Window};
use exray_hunt::eventrules::EventRules;
use exray_hunt::requestrules::RequestTraits;

fn hits(path: &Path, delivery: Delivery) -> Vec<String> {
    let ips = HashSet::new();
    let rules = EventRules::builtin();
    let mut ctx = Ctx::new(Window::default(), &ips, &rules);
    iis::hunt_with(path, "case.log", &mut ctx, &[], delivery);
    assert!(
        ctx.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        ctx.errors
    );
    let mut out = Vec::new();
    for f in ctx.agg.into_findings() {
        if !f.rule_id.starts_with("EXRAY-TN-") {
            continue;
        }
        for e in &f.evidence {
            out.push((
                e.line.unwrap_or(0),
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    e.line.unwrap_or(0),
                    f.rule_id,
                    f.severity.as_str(),
                    e.client_ip.as_deref().unwrap_or("-"),
                    f.artifacts.join(",")
                ),
            ));
        }
    }
    out.sort();
    out.into_iter().map(|(_, l)| l).collect()
}

#[test]
fn golden_request_traits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/requests");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut fired = HashSet::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let input = entry.unwrap().path();
        if input.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        cases += 1;
        let every = hits(&input, Delivery::Every);
        let prefiltered = hits(&input, Delivery::Prefiltered);
        assert_eq!(
            every,
            prefiltered,
            "{}: the prefilter lost a line",
            input.display()
        );
        for l in &every {
            fired.insert(l.split('\t').nth(1).unwrap().to_string());
        }
        let expected_path = input.with_extension("expected");
        if update {
            let mut text = String::from("# line\trule\tseverity\tclient\tpage\n");
            for l in &every {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(&expected_path, text).unwrap();
            continue;
        }
        let expected: Vec<String> = std::fs::read_to_string(&expected_path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(String::from)
            .collect();
        assert_eq!(every, expected, "{}", input.display());
    }
    assert!(cases >= 3);
    for t in &RequestTraits::builtin().traits {
        assert!(
            fired.contains(&t.meta.id),
            "{} has no positive golden case",
            t.meta.id
        );
    }
}
