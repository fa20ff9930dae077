//! Throughput of the prefiltered line scanner over the files given, with case-sensitive and
//! case-insensitive needles. `cargo run --release -p exray-parse --example scan_speed -- FILE…`

use std::time::Instant;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let needles = [
        "ServerInfo~",
        "X-BEResource",
        "python-requests",
        "ExchangeServicesClient/0.0.0.0",
        "autodiscover.json",
        "powershell",
        ".js",
        "DateTime,",
    ];
    for ci in [false, true] {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(ci)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(needles)
            .unwrap();
        let t = Instant::now();
        let (mut bytes, mut hits) = (0u64, 0u64);
        for f in &files {
            let sum = exray_parse::lines::scan(std::fs::File::open(f).unwrap(), &ac, |_| {
                hits += 1;
                Ok(())
            })
            .unwrap();
            bytes += sum.bytes;
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "case_insensitive={ci}: {:.0} MB/s ({hits} lines delivered, {:.3}s)",
            bytes as f64 / s / 1e6,
            s
        );
        // The automaton alone, no line handling; and a case-insensitive regex alternation.
        let re = regex::bytes::Regex::new(&format!(
            "(?i){}",
            needles
                .iter()
                .map(|n| regex::escape(n))
                .collect::<Vec<_>>()
                .join("|")
        ))
        .unwrap();
        let data0 = std::fs::read(&files[0]).unwrap();
        let t = Instant::now();
        let n = re.find_iter(&data0).count();
        println!(
            "   regex (?i) alone: {:.0} MB/s ({n} matches)",
            data0.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        );
        let data = std::fs::read(&files[0]).unwrap();
        let t = Instant::now();
        let n = ac.find_iter(&data).count();
        println!(
            "   automaton alone on {}: {:.0} MB/s ({n} matches)",
            files[0],
            data.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        );
    }
}
