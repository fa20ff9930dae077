//! Golden tests of the declarative event rules: every `tests/golden/events/<name>.jsonl` is read
//! as exported events and the rules' hits (line, rule, severity) must equal `<name>.expected`.
//! A new rule comes with a new input/expected pair and needs no code.

use std::path::Path;

use exray_hunt::eventrules::EventRules;
use exray_parse::json_events::read_json_events;

#[test]
fn golden_event_rules() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/events");
    let rules = EventRules::builtin();
    let mut cases = 0;
    let mut fired = std::collections::HashSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let input = entry.unwrap().path();
        if input.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        cases += 1;
        let mut actual = Vec::new();
        let mut line = 0;
        let sum = read_json_events(
            std::io::BufReader::new(std::fs::File::open(&input).unwrap()),
            |e| {
                line += 1;
                for h in rules.evaluate(&e) {
                    fired.insert(h.meta.id.clone());
                    actual.push(format!(
                        "{line}\t{}\t{}",
                        h.meta.id,
                        h.meta.severity.as_str()
                    ));
                }
            },
        )
        .unwrap();
        assert_eq!(sum.error_count, 0, "{}: {:?}", input.display(), sum.errors);
        let expected: Vec<String> = std::fs::read_to_string(input.with_extension("expected"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(String::from)
            .collect();
        assert_eq!(actual, expected, "{}", input.display());
    }
    assert!(cases >= 2);
    // Every built-in rule has at least one positive golden case.
    for m in rules.metas() {
        assert!(
            fired.contains(&m.id),
            "{} has no positive golden case",
            m.id
        );
    }
}
