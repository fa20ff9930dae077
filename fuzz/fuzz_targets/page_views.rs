//! The yara crate's readers of hostile pages: the normalised view (`joined.rs`) and the data-flow
//! reading (`flow.rs`). Neither may panic, and the view's offset map must stay inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/yara/src/flow.rs"]
mod flow;
#[allow(dead_code)]
#[path = "../../crates/yara/src/joined.rs"]
mod joined;

fuzz_target!(|data: &[u8]| {
    if let Some((view, map)) = joined::joined(data) {
        assert_eq!(view.len(), map.len());
        assert!(map.iter().all(|&m| (m as usize) < data.len()));
    }
    let mut reading = flow::Reading::new(data);
    for check in [
        flow::Check::RequestToExec,
        flow::Check::AssembledExec,
        flow::Check::DecoderExec,
        flow::Check::RequestToConnection,
        flow::Check::VisitorRelay,
    ] {
        let _ = reading.holds(check);
    }
});
