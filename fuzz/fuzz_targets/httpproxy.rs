#![no_main]
use exray_parse::httpproxy::{Col, HttpProxyParser, LineType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = HttpProxyParser::new();
    for line in data.split(|c| *c == b'\n') {
        if p.feed(line) == LineType::Record {
            let _ = p.timestamp();
            let _ = p.get(Col::AnchorMailbox);
            let _ = p.get(Col::GenericErrors);
        }
    }
});
