//! Print every event of the EVTX files given as arguments in exray's event model, one per line.
//! `cargo run -p exray-parse --example dump_evtx -- FILE.evtx…`

fn main() {
    for arg in std::env::args().skip(1) {
        let file = match std::fs::File::open(&arg) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{arg}: {e}");
                continue;
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        match exray_parse::evtx_source::read_evtx(file, size, u64::MAX, |e| {
            println!("{}", e.to_raw())
        }) {
            Ok(sum) => eprintln!("{arg}: {} records, {} errors", sum.records, sum.error_count),
            Err(e) => eprintln!("{arg}: {e}"),
        }
    }
}
