//! Synthetic third-party scan feeds for `exray import`: a Shadowserver-format "Vulnerable
//! Exchange Server" CSV report (the column layout Shadowserver documents for that report), and
//! IP-to-ASN tables in the common free TSV layout (`range_start range_end asn country
//! description`). Addresses are drawn from 100.64.0.0/10 (shared address space) and
//! 2001:db8::/32 (documentation), never contacted by anything.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::Rng;

/// The header of Shadowserver's Vulnerable Exchange Server report.
pub const SHADOWSERVER_EXCHANGE_HEADER: &str = "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"naics\",\"sic\",\"sector\",\"version\",\"servername\",\"url\"";

/// Builds the generated feeds report (Exchange 2013 to 2019, vulnerable and patched).
pub const FEED_BUILDS: &[&str] = &[
    "15.1.2176.2",
    "15.1.2176.9",
    "15.1.2375.7",
    "15.2.858.5",
    "15.2.1118.7",
    "15.2.1258.12",
    "15.0.1497.2",
    "15.1.2507.6",
    "15.2.986.5",
    "14.3.513.0",
];

/// The `i`-th address of the generated feeds: IPv4 in 100.64.0.0/10 for `i` < 2^22, and one in
/// 16 rows IPv6 in 2001:db8::/32.
pub fn feed_address(i: u64) -> String {
    if i % 16 == 15 {
        Ipv6Addr::from((0x2001_0db8u128 << 96) | u128::from(i)).to_string()
    } else {
        Ipv4Addr::from(0x6440_0000u32 + (i % (1 << 22)) as u32).to_string()
    }
}

/// Write a Shadowserver-format Vulnerable Exchange Server report of `rows` rows: one address
/// per row (distinct for `rows` ≤ 4 million), builds from [`FEED_BUILDS`], about 4 % of rows
/// without a version, 0.5 % with a version outside the catalogue, 0.5 % with one that is not a
/// version, 0.5 % with an address
/// that is not one (each must be counted, not lost), and 1 % tagged as carrying a web shell.
pub fn write_shadowserver_exchange(out: &mut impl Write, rows: u64, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    writeln!(out, "{SHADOWSERVER_EXCHANGE_HEADER}")?;
    for i in 0..rows {
        let roll = rng.below(1000);
        let ip = if roll < 5 {
            format!("999.{}.0.1", i % 250)
        } else {
            feed_address(i)
        };
        let version = if roll < 45 {
            ""
        } else if roll < 50 {
            "99.9.1.1"
        } else if roll < 55 {
            "Exchange 2016"
        } else {
            rng.pick(FEED_BUILDS)
        };
        let tag = if roll >= 990 {
            "exchange;webshell"
        } else {
            "cve-2021-26855"
        };
        let secs = 1_615_334_400 + (i % 86_400);
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let asn = 64_496 + rng.below(16);
        writeln!(
            out,
            "\"2021-03-10 {h:02}:{m:02}:{s:02}\",\"{ip}\",443,\"mail{i}.example.net\",\"{tag}\",{asn},\"XY\",\"REGION\",\"CITY\",0,0,\"Communications\",\"{version}\",\"EXCH{n:02}\",\"https://mail{i}.example.net/owa/\"",
            n = i % 7,
        )?;
    }
    Ok(())
}

/// Write an IP-to-ASN table (`range_start range_end asn country description`, tab-separated,
/// sorted, non-overlapping) of `ranges` ranges: IPv4 ranges tile 100.64.0.0/10 (AS 0, "Not
/// routed", for one range in 50), then IPv6 ranges in 2001:db8::/32 for one range in 16.
pub fn write_ip2asn(out: &mut impl Write, ranges: u64, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let v6 = ranges / 16;
    let v4 = ranges - v6;
    let width4 = ((1u64 << 22) / v4.max(1)).max(1);
    for i in 0..v4 {
        let start = 0x6440_0000u64 + i * width4;
        let end = if i + 1 == v4 {
            0x6440_0000u64 + (1 << 22) - 1
        } else {
            start + width4 - 1
        };
        let (asn, cc, desc) = asn_of(&mut rng, i);
        writeln!(
            out,
            "{}\t{}\t{asn}\t{cc}\t{desc}",
            Ipv4Addr::from(start as u32),
            Ipv4Addr::from(end as u32)
        )?;
    }
    let base = 0x2001_0db8u128 << 96;
    let width6 = (1u128 << 64) / u128::from(v6.max(1));
    for i in 0..v6 {
        let start = base + u128::from(i) * width6;
        let (asn, cc, desc) = asn_of(&mut rng, i);
        writeln!(
            out,
            "{}\t{}\t{asn}\t{cc}\t{desc}",
            Ipv6Addr::from(start),
            Ipv6Addr::from(start + width6 - 1)
        )?;
    }
    Ok(())
}

fn asn_of(rng: &mut Rng, i: u64) -> (u64, &'static str, String) {
    if i % 50 == 49 {
        (0, "None", "Not routed".to_string())
    } else {
        let asn = 64_496 + rng.below(1000);
        (asn, "XY", format!("EXAMPLE-AS-{asn} Example Networks"))
    }
}
