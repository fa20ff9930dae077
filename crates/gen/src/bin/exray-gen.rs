//! `exray-gen sample OUT` writes the sample triage folder; `exray-gen bench OUT [MB [FILE_KB]]`
//! writes benchmark logs (default 1024 MB in files of 64 MiB).

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
        _ => {
            eprintln!("usage: exray-gen sample OUT | exray-gen bench OUT [MB [FILE_KB]]");
            std::process::exit(2);
        }
    };
    if let Err(e) = res {
        eprintln!("exray-gen: {e}");
        std::process::exit(2);
    }
}
