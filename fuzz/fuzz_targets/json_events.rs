#![no_main]
//! The JSON-lines event reader: any bytes, read through a small buffer so that lines cross its
//! edges; overlong lines are skipped without being held.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = std::io::BufReader::with_capacity(64, data);
    let _ = exray_parse::json_events::read_json_events(r, |e| {
        let _ = e.to_raw();
    });
});
