//! Print every event of the EVTX files given as arguments in exray's event model, one per line.
//! `cargo run -p exray-parse --example dump_evtx -- FILE.evtx…`

fn main() {
    for arg in std::env::args().skip(1) {
        match exray_parse::evtx_source::read_evtx(std::path::Path::new(&arg), |e| {
            println!("{}", e.to_raw())
        }) {
            Ok(sum) => eprintln!("{arg}: {} records, {} errors", sum.records, sum.error_count),
            Err(e) => eprintln!("{arg}: {e}"),
        }
    }
}
