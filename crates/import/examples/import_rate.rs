//! Rows per second of reading and judging a feed, and serialising its reports (no store):
//! `cargo run --release -p exray-import --example import_rate -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: import_rate FILE");
    let t0 = std::time::Instant::now();
    let mut bytes = 0usize;
    let stats = exray_import::import(
        std::fs::File::open(&path).expect("open"),
        exray_import::Format::Shadowserver,
        "bench",
        exray_import::DEFAULT_CHUNK_ROWS,
        |r| {
            bytes += serde_json::to_vec(&r).map_err(std::io::Error::other)?.len();
            Ok::<(), std::io::Error>(())
        },
    )
    .expect("import");
    let s = t0.elapsed().as_secs_f64();
    println!(
        "{} rows in {s:.2} s: {:.0} rows/s, {:.1} MiB of reports ({} bytes per result)",
        stats.rows,
        stats.rows as f64 / s,
        bytes as f64 / 1048576.0,
        bytes as u64 / stats.results.max(1)
    );
}
