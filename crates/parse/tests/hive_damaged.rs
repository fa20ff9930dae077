//! A hive the fuzzer found to make notatin panic (an offset overflow while locating the root
//! key; `fuzz/fuzz_targets/hive.rs`, strict mode): reading it is an error, never a panic that
//! escapes.

use exray_parse::hive::{read_hive, HiveError};

#[test]
fn a_hive_that_makes_the_parser_panic_is_a_damaged_hive() {
    let data = include_bytes!("data/hive-root-offset-overflow.bin").to_vec();
    assert!(data.starts_with(b"regf"));
    match read_hive(data) {
        Err(HiveError::Damaged(m)) => assert!(!m.is_empty()),
        other => panic!("expected a damaged hive, got {other:?}"),
    }
}
