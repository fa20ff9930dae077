//! Detection quality over the shared public corpora (skipped when they are absent): at least
//! 90% of unique web shells, every one-liner shell, no false positive at all on the benign
//! applications. Files of the web-shell set that are not shells by content (no server-side
//! code, or reviewed: see QUALITY.md) are counted apart, and a file without server code is
//! never counted as detected by luck: the classification is checked too. Rules see content
//! only, never file names.

#[test]
fn quality_targets_on_shared_corpus() {
    let data =
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    let shells = data.join("webshells");
    let benign = data.join("benign");
    if !shells.is_dir() || !benign.is_dir() {
        println!(
            "SKIP: shared corpus not found at {} (needs webshells/ and benign/)",
            data.display()
        );
        return;
    }
    let rules = exray_yara::builtin().unwrap();
    let rep = exray_yara::quality::evaluate(&rules, &shells, &benign).unwrap();
    println!("{}", rep.to_markdown());
    assert!(
        rep.unique() >= 100,
        "corpus unexpectedly small: {}",
        rep.unique()
    );
    assert!(rep.benign_files >= 1000, "benign corpus unexpectedly small");
    assert!(rep.errors.is_empty(), "errors: {:?}", rep.errors);
    let missed: Vec<&str> = rep
        .misses()
        .filter(|m| m.one_liner)
        .map(|m| m.paths[0].as_str())
        .collect();
    assert!(
        missed.is_empty(),
        "one-liner shells {} / {}, missed: {missed:?}",
        rep.one_liners_detected(),
        rep.one_liners()
    );
    // Not-shells are a small, explained minority, each with its reason.
    let not: Vec<_> = rep.not_shells().collect();
    assert!(
        not.len() <= 20,
        "{} files classified as not shells",
        not.len()
    );
    assert!(not
        .iter()
        .all(|s| s.not_shell.as_deref().is_some_and(|r| !r.is_empty())));
    assert!(rep.recall() >= 0.90, "recall {:.3} < 0.90", rep.recall());
    assert!(
        rep.false_positives.is_empty(),
        "{} false positives in {} benign files: {:?}",
        rep.false_positives.len(),
        rep.benign_files,
        rep.false_positives
    );
}
