//! Detection quality over the shared public corpora (skipped when they are absent): at least
//! 90% of unique web shells and 93% of one-liners (the misses left are listed in QUALITY.md:
//! emptied files, `{code}` templates, frames of a tool kit), no false positive at all on the
//! benign applications. Rules see content only, never file names.

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
    assert!(
        rep.recall_one_liners() >= 0.93,
        "one-liners {} / {}",
        rep.one_liners_detected(),
        rep.one_liners()
    );
    assert!(rep.recall() >= 0.90, "recall {:.3} < 0.90", rep.recall());
    assert!(
        rep.false_positives.is_empty(),
        "{} false positives in {} benign files: {:?}",
        rep.false_positives.len(),
        rep.benign_files,
        rep.false_positives
    );
}
