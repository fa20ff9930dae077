//! Detection quality over the shared public corpora (skipped when they are absent):
//! every one-liner, at least 90% of unique web shells, at most 1 false positive per 1,000
//! benign files. Rules see content only, never file names.

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
    assert_eq!(
        rep.one_liners_detected(),
        rep.one_liners(),
        "every one-liner must be detected"
    );
    assert!(rep.recall() >= 0.90, "recall {:.3} < 0.90", rep.recall());
    assert!(
        rep.fp_per_1000() <= 1.0,
        "{} false positives in {} benign files",
        rep.false_positives.len(),
        rep.benign_files
    );
}
