#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = exray_parse::evtx_source::read_evtx_buffer(data.to_vec(), |e| {
        let _ = e.to_raw();
    });
});
