//! Throughput of `Catalog::assess` over every catalogued build:
//! `cargo run --release -p exray-catalog --example bench_assess [rounds]`.
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let t0 = Instant::now();
    let cat = exray_catalog::Catalog::embedded();
    let load = t0.elapsed();
    let builds: Vec<String> = cat.releases().iter().map(|r| r.build.to_string()).collect();
    let t = Instant::now();
    let mut n = 0usize;
    let mut vulnerable = 0usize;
    for _ in 0..rounds {
        for b in &builds {
            let a = cat.assess(b).expect("catalogued build");
            vulnerable += a
                .exposures
                .iter()
                .filter(|e| e.status == exray_core::ExposureStatus::Vulnerable)
                .count();
            n += 1;
        }
    }
    let el = t.elapsed();
    println!(
        "load {:.2} ms; {n} assessments in {:.1} ms = {:.1} µs each ({vulnerable} vulnerable exposures)",
        load.as_secs_f64() * 1e3,
        el.as_secs_f64() * 1e3,
        el.as_secs_f64() * 1e6 / n as f64
    );
}
