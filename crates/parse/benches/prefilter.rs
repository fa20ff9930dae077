//! Throughput of the log prefilter against memory-speed references, in and out of cache.
//! `cargo bench -p exray-parse --bench prefilter`

use std::hint::black_box;
use std::time::Instant;

use exray_parse::prefilter::{Engine, Pat, Prefilter};

const PATS: &[Pat] = &[
    Pat::exact("#Fields:"),
    Pat::ci(".js"),
    Pat::ci("/ecp/main.css"),
    Pat::ci("/ecp/default.flt"),
    Pat::ci("/aspnet_client/"),
    Pat::ci("/ecp/auth/"),
    Pat::ci("/oab/"),
    Pat::ci("autodiscover.json"),
    Pat::ci("powershell"),
    Pat::ci("%2e"),
    Pat::ci("%5c"),
    Pat::ci("%25"),
    Pat::ci("whoami"),
    Pat::ci("cmd.exe"),
    Pat::ci("cmd+"),
    Pat::ci("cmd%20"),
    Pat::ci("net+user"),
    Pat::ci("net+group"),
    Pat::ci("certutil"),
    Pat::ci("nltest"),
    Pat::ci("ipconfig"),
    Pat::ci("tasklist"),
];

/// IIS-like benign lines (no needle), deterministic.
fn corpus(bytes: usize) -> Vec<u8> {
    let stems = [
        "/owa/service.svc action=GetItem&EP=1",
        "/mapi/emsmdb/ mailboxId=a1b2c3@contoso.com",
        "/EWS/Exchange.asmx -",
        "/Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=alice&DeviceId=ABC",
        "/autodiscover/autodiscover.xml -",
        "/owa/auth/logon.aspx url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0",
        "/owa/auth/15.1.2176/themes/resources/favicon.ico -",
        "/rpc/rpcproxy.dll RPC_IN_DATA",
    ];
    let uas = [
        "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.190+Safari/537.36",
        "Outlook-iOS/709.2226530.prod.iphone+(4.2107.0)",
    ];
    let mut out = Vec::with_capacity(bytes + 512);
    let mut i = 0u64;
    while out.len() < bytes {
        i += 1;
        let line = format!(
            "2021-02-01 09:{:02}:{:02} 10.0.0.5 POST {} 443 CONTOSO\\u{} 10.1.{}.{} {} - 200 0 0 {}\r\n",
            (i / 60) % 60,
            i % 60,
            stems[(i * 7 % 8) as usize],
            i % 97,
            i % 7,
            i % 250,
            uas[(i % 3) as usize],
            i % 900
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn run(name: &str, data: &[u8], reps: usize, f: &dyn Fn(&[u8]) -> u64) {
    let mut best = f64::MAX;
    let mut r = 0;
    for _ in 0..reps {
        let t = Instant::now();
        r = black_box(f(data));
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name:<44} {:>7.2} GB/s  ({r})",
        data.len() as f64 / best / 1e9
    );
}

fn main() {
    let sample = corpus(32 << 10);
    let t = Instant::now();
    let n = 200;
    for _ in 0..n {
        black_box(Prefilter::new(PATS, &[], &sample));
    }
    println!(
        "building a prefilter ({} needles, 32 KiB sample): {:.0} µs",
        PATS.len(),
        t.elapsed().as_secs_f64() / f64::from(n) * 1e6
    );
    for (label, size, reps) in [
        ("in cache, 256 KiB", 256 << 10, 400),
        ("from memory, 256 MiB", 256 << 20, 5),
    ] {
        let data = corpus(size);
        println!("--- {label}");
        run(
            "bytecount newlines (memory-speed reference)",
            &data,
            reps,
            &|d| bytecount::count(d, b'\n') as u64,
        );
        run(
            "memchr::memmem \"ServerInfo~\" (rg's search)",
            &data,
            reps,
            &|d| memchr::memmem::find_iter(d, b"ServerInfo~").count() as u64,
        );
        let re = exray_parse::lines::needles_ci(&PATS.iter().map(|p| p.text).collect::<Vec<_>>());
        run(
            "regex, case-insensitive alternation",
            &data,
            reps.min(20),
            &|d| re.find_iter(d).count() as u64,
        );
        for e in [Engine::Portable, Engine::Avx2, Engine::Vbmi] {
            if !e.supported() {
                println!("prefilter {:<34} (not on this CPU)", e.name());
                continue;
            }
            let pf = Prefilter::with_engine(PATS, &[], &data[..data.len().min(32 << 10)], e);
            let reps = if e == Engine::Portable {
                reps.min(20)
            } else {
                reps
            };
            run(
                &format!("prefilter {} (+ line count)", e.name()),
                &data,
                reps,
                &|d| {
                    let (m, passed) = pf.find_counting(d, 0);
                    m.map_or(0, |x| x as u64) + passed.newlines
                },
            );
        }
    }
}
