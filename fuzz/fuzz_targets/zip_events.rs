#![no_main]
//! Zipped event exports: any bytes as an archive, read with small caps (entries, bytes, ratio,
//! overlapping entries).
use std::collections::HashSet;
use std::io::Cursor;
use std::sync::LazyLock;

use exray_files::evidence::ZipCaps;
use exray_hunt::detect::{zipped::hunt_zip_with, Ctx, Window};
use exray_hunt::eventrules::EventRules;
use libfuzzer_sys::fuzz_target;

static RULES: LazyLock<EventRules> = LazyLock::new(EventRules::builtin);

const CAPS: ZipCaps = ZipCaps {
    entry_bytes: 1 << 20,
    archive_bytes: 4 << 20,
    hunt_bytes: 8 << 20,
    entries: 1000,
    ratio: 200,
};

fuzz_target!(|data: &[u8]| {
    let ips = HashSet::new();
    let mut ctx = Ctx::new(Window::default(), &ips, &RULES);
    hunt_zip_with(Cursor::new(data), data.len() as u64, "f.zip", &mut ctx, &CAPS, &[]);
});
