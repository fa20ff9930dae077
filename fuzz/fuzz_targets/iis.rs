#![no_main]
use exray_parse::iis::{Field, IisLine, IisParser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = IisParser::new();
    for line in data.split(|c| *c == b'\n') {
        if p.feed(line) == IisLine::Record {
            let _ = p.timestamp();
            let _ = p.get(Field::UriStem);
            let _ = p.user_agent();
        }
    }
});
