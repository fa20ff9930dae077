#![no_main]
use exray_parse::csvline::CsvLine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut csv = CsvLine::new();
    let _ = exray_parse::ecp::parse_line(&mut csv, data);
    let _ = exray_parse::oab::parse_line(data);
    let _ = exray_parse::time::find_timestamp(data);
    let _ = exray_parse::time::parse_iso(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = exray_parse::ecp::split_command(s);
    }
});
