#![no_main]
//! The chunked line scanner: line numbers and delivered bytes must agree with a naive split.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ac = aho_corasick::AhoCorasick::new(["a", "\n#"]).unwrap();
    let mut last = 0;
    let sum = exray_parse::lines::scan(data, &ac, |l| {
        assert!(l.number > last, "line numbers increase");
        last = l.number;
        assert!(!l.bytes.contains(&b'\n'));
        Ok(())
    })
    .unwrap();
    let naive = data.split(|c| *c == b'\n').count() as u64 - u64::from(data.last() == Some(&b'\n') || data.is_empty());
    assert_eq!(sum.lines, naive);
    assert!(last <= sum.lines);
});
