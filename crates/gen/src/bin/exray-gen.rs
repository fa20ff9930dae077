//! `exray-gen sample OUT` writes the sample triage folder; `exray-gen bench OUT [MB]` writes
//! benchmark logs (default 1024 MB).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let res = match args.get(1).map(String::as_str) {
        Some("sample") if args.len() == 3 => {
            exray_gen::write_sample(std::path::Path::new(&args[2]))
        }
        Some("bench") if args.len() >= 3 => {
            let mb: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1024);
            exray_gen::write_bench(std::path::Path::new(&args[2]), mb << 20, 64 << 20).map(|f| {
                eprintln!("{} files", f.len());
            })
        }
        _ => {
            eprintln!("usage: exray-gen sample OUT | exray-gen bench OUT [MB]");
            std::process::exit(2);
        }
    };
    if let Err(e) = res {
        eprintln!("exray-gen: {e}");
        std::process::exit(2);
    }
}
