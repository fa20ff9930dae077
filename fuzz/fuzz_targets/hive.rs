#![no_main]
//! Registry hive reading (`exray_parse::hive::read_hive`, notatin underneath), and the host's
//! identity from the same bytes read as a `.reg` export (`regexport::host_identity`). By default any
//! panic is a crash, even one the hunt would catch (libfuzzer's hook aborts). With
//! `EXRAY_FUZZ_CAUGHT_PANICS=1` a panic is left to the `catch_unwind` the hunt relies on, so only
//! what the hunt cannot survive (abort, stack overflow, out of memory, a hang) is a crash.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("EXRAY_FUZZ_CAUGHT_PANICS").is_some() {
            std::panic::set_hook(Box::new(|_| {}));
        }
    });
    if let Ok(f) = exray_parse::hive::read_hive(data.to_vec()) {
        let _ = (
            f.updates.len(),
            f.service_starts.len(),
            f.install_paths.len(),
            f.identity.len(),
        );
    }
    // The same facts from a `.reg` export's text.
    let text = exray_parse::regexport::decode(data);
    let _ = exray_parse::regexport::host_identity(&text).len();
});
