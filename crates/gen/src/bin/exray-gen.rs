//! `exray-gen sample OUT` writes the sample triage folder; `exray-gen bench OUT [MB [FILE_KB]]`
//! writes benchmark logs (default 1024 MB in files of 64 MiB); `exray-gen shadowserver OUT ROWS`
//! a Shadowserver-format Exchange report; `exray-gen ip2asn OUT RANGES` an IP-to-ASN table.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let res = match args.get(1).map(String::as_str) {
        Some("sample") if args.len() == 3 => {
            exray_gen::write_sample(std::path::Path::new(&args[2]))
        }
        Some("bench") if args.len() >= 3 => {
            let mb: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1024);
            let kb: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(64 << 10);
            exray_gen::write_bench(std::path::Path::new(&args[2]), mb << 20, kb << 10).map(|f| {
                eprintln!("{} files", f.len());
            })
        }
        Some(kind @ ("shadowserver" | "ip2asn")) if args.len() == 4 => {
            let n: u64 = args[3].parse().unwrap_or(1_000_000);
            std::fs::File::create(&args[2]).and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                if kind == "shadowserver" {
                    exray_gen::feeds::write_shadowserver_exchange(&mut w, n, 13)?;
                } else {
                    exray_gen::feeds::write_ip2asn(&mut w, n, 13)?;
                }
                std::io::Write::flush(&mut w)
            })
        }
        _ => {
            eprintln!("usage: exray-gen sample OUT | exray-gen bench OUT [MB [FILE_KB]] | exray-gen shadowserver OUT ROWS | exray-gen ip2asn OUT RANGES");
            std::process::exit(2);
        }
    };
    if let Err(e) = res {
        eprintln!("exray-gen: {e}");
        std::process::exit(2);
    }
}
