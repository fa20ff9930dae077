//! Attribution by autonomous system: a user-supplied IP-to-ASN table in the common free TSV
//! layout (iptoasn.com's `ip2asn-combined.tsv`: `range_start range_end asn country
//! description`, IPv4 and IPv6, AS 0 = not routed), stored in `asn_ranges` and held in memory
//! as two sorted range tables (reloaded when `meta.asn_version` changes).
//!
//! Memory: 12 bytes per IPv4 range and 48 per IPv6 range (the descriptions stay in the
//! database), so a full table of ~500,000 IPv4 and ~200,000 IPv6 ranges is about 16 MB.

use std::io::BufRead;
use std::net::IpAddr;

use sqlx::Row;

use crate::db::{audit, now};
use crate::{Store, StoreError, StoreResult};

/// One range of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsnRange {
    pub first: IpAddr,
    pub last: IpAddr,
    pub asn: u32,
}

/// The in-memory table: sorted, non-overlapping ranges per address family.
#[derive(Clone, Debug, Default)]
pub struct AsnTable {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
}

impl AsnTable {
    /// Build from ranges in any order; overlapping ranges are an error naming both.
    pub fn from_ranges(mut ranges: Vec<AsnRange>) -> Result<AsnTable, String> {
        ranges.sort_by_key(|r| key(r.first));
        let mut t = AsnTable::default();
        for w in ranges.windows(2) {
            if key(w[1].first) <= key(w[0].last) {
                return Err(format!(
                    "ranges {}-{} and {}-{} overlap",
                    w[0].first, w[0].last, w[1].first, w[1].last
                ));
            }
        }
        for r in ranges {
            t.push(r);
        }
        Ok(t)
    }

    /// Append a range that starts after every range already held (the loader reads them sorted).
    fn push(&mut self, r: AsnRange) {
        match (r.first, r.last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => self.v4.push((a.into(), b.into(), r.asn)),
            (a, b) => self.v6.push((v6_of(a), v6_of(b), r.asn)),
        }
    }

    /// The AS that routes `ip` (None where no range covers it or it is not routed, AS 0).
    pub fn lookup(&self, ip: IpAddr) -> Option<u32> {
        let asn = match ip {
            IpAddr::V4(v4) => {
                let x = u32::from(v4);
                let i = self.v4.partition_point(|r| r.0 <= x);
                let r = self.v4.get(i.checked_sub(1)?)?;
                (x <= r.1).then_some(r.2)?
            }
            IpAddr::V6(v6) => {
                let x = u128::from(v6);
                let i = self.v6.partition_point(|r| r.0 <= x);
                let r = self.v6.get(i.checked_sub(1)?)?;
                (x <= r.1).then_some(r.2)?
            }
        };
        (asn != 0).then_some(asn)
    }

    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the range tables.
    pub fn heap_bytes(&self) -> usize {
        self.v4.capacity() * std::mem::size_of::<(u32, u32, u32)>()
            + self.v6.capacity() * std::mem::size_of::<(u128, u128, u32)>()
    }
}

fn v6_of(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Sort key of an address: IPv4 before every IPv6 address.
fn key(ip: IpAddr) -> (u8, u128) {
    match ip {
        IpAddr::V4(v4) => (4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (6, u128::from(v6)),
    }
}

/// The stored form of an address: family digit and 32 hex digits (sorts like the address).
fn stored(ip: IpAddr) -> String {
    let (f, k) = key(ip);
    format!("{f}{k:032x}")
}

fn from_stored(s: &str) -> Option<IpAddr> {
    let k = u128::from_str_radix(s.get(1..)?, 16).ok()?;
    match s.as_bytes().first()? {
        b'4' => Some(IpAddr::V4(u32::try_from(k).ok()?.into())),
        b'6' => Some(IpAddr::V6(k.into())),
        _ => None,
    }
}

/// One line of the TSV: `range_start range_end asn country description`.
pub fn parse_line(line: &str) -> Result<(AsnRange, String, String), String> {
    let mut f = line.split('\t');
    let mut next = |what: &str| f.next().map(str::trim).ok_or_else(|| format!("no {what}"));
    let first: IpAddr = next("range_start")?
        .parse()
        .map_err(|_| "range_start is not an IP address".to_string())?;
    let last: IpAddr = next("range_end")?
        .parse()
        .map_err(|_| "range_end is not an IP address".to_string())?;
    let asn_s = next("asn")?;
    let asn: u32 = asn_s
        .trim_start_matches("AS")
        .parse()
        .map_err(|_| format!("asn {asn_s:?} is not an AS number"))?;
    let country = next("country").unwrap_or_default().to_string();
    let description = next("description").unwrap_or_default().to_string();
    if first.is_ipv4() != last.is_ipv4() || key(last) < key(first) {
        return Err(format!("{first}-{last} is not a range"));
    }
    Ok((AsnRange { first, last, asn }, country, description))
}

/// What an import of the table did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AsnImportOutcome {
    pub ranges: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    /// Ranges of AS 0 (not routed): stored, never attributed.
    pub not_routed: u64,
}

/// Errors of the table import, with the line.
#[derive(Debug, thiserror::Error)]
pub enum AsnImportError {
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
    #[error("reading the table: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows per INSERT statement of the import.
const INSERT_ROWS: usize = 500;

impl Store {
    /// Replace the IP-to-ASN table with `input` (TSV, sorted by range start as the free tables
    /// are; ranges must not overlap), in one transaction, streaming (bounded memory). Every
    /// instance reloads its in-memory table before its next attribution. Staff decide who
    /// calls this (`exray serve --asn-table`, `PUT /api/v1/asn-table`, admin only).
    pub async fn import_asn_table(
        &self,
        actor: &str,
        input: impl BufRead,
    ) -> Result<AsnImportOutcome, AsnImportError> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        sqlx::query("DELETE FROM asn_ranges")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let mut out = AsnImportOutcome::default();
        let mut batch: Vec<(AsnRange, String, String)> = Vec::with_capacity(INSERT_ROWS);
        let mut prev: Option<AsnRange> = None;
        for (n, line) in input.lines().enumerate() {
            let line = line?;
            let lineno = n as u64 + 1;
            let t = line.trim_end_matches('\r');
            if t.trim().is_empty() || t.starts_with('#') {
                continue;
            }
            let (r, cc, desc) = parse_line(t).map_err(|reason| AsnImportError::Line {
                line: lineno,
                reason,
            })?;
            if let Some(p) = prev {
                if key(r.first) <= key(p.last) {
                    return Err(AsnImportError::Line {
                        line: lineno,
                        reason: format!(
                            "{}-{} starts before the end of the previous range {}-{} (the table must be sorted, without overlaps)",
                            r.first, r.last, p.first, p.last
                        ),
                    });
                }
            }
            prev = Some(r);
            out.ranges += 1;
            if r.first.is_ipv4() {
                out.ipv4 += 1;
            } else {
                out.ipv6 += 1;
            }
            out.not_routed += u64::from(r.asn == 0);
            batch.push((r, cc, desc));
            if batch.len() == INSERT_ROWS {
                insert_ranges(self.backend, &mut tx, &batch).await?;
                batch.clear();
            }
        }
        insert_ranges(self.backend, &mut tx, &batch).await?;
        sqlx::query("UPDATE meta SET v = $1 WHERE k = 'asn_version'")
            .bind(uuid::Uuid::new_v4().to_string())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        audit(
            &mut *tx,
            actor,
            "asn_table.import",
            "asn_ranges",
            &format!(
                "ranges={} ipv4={} ipv6={} not_routed={} at={}",
                out.ranges,
                out.ipv4,
                out.ipv6,
                out.not_routed,
                now()
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }

    /// The stored table, loaded afresh (for benchmarks and tools; attribution keeps its own).
    pub async fn asn_table_for_bench(&self) -> StoreResult<AsnTable> {
        self.load_asn_table().await
    }

    /// Load the stored table (sorted, in pages of 50,000 ranges).
    pub(crate) async fn load_asn_table(&self) -> StoreResult<AsnTable> {
        let mut t = AsnTable::default();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT first, last, asn FROM asn_ranges WHERE first > $1 ORDER BY first LIMIT 50000",
            )
            .bind(&after)
            .fetch_all(&self.pool)
            .await?;
            let n = rows.len();
            for r in rows {
                let first: String = r.try_get(0)?;
                let last: String = r.try_get(1)?;
                let asn: i64 = r.try_get(2)?;
                match (from_stored(&first), from_stored(&last)) {
                    (Some(a), Some(b)) => t.push(AsnRange {
                        first: a,
                        last: b,
                        asn: asn as u32,
                    }),
                    _ => tracing::warn!(%first, %last, "stored ASN range does not parse"),
                }
                after = first;
            }
            if n < 50000 {
                return Ok(t);
            }
        }
    }
}

async fn insert_ranges(
    backend: crate::Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    batch: &[(AsnRange, String, String)],
) -> StoreResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO asn_ranges (first, last, asn, country, description) VALUES {}",
        backend.values(&[""; 5], batch.len())
    );
    let mut q = sqlx::query(&sql);
    for (r, cc, desc) in batch {
        q = q
            .bind(stored(r.first))
            .bind(stored(r.last))
            .bind(i64::from(r.asn))
            .bind(cc.chars().take(16).collect::<String>())
            .bind(desc.chars().take(256).collect::<String>());
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(ranges: &[AsnRange], ip: IpAddr) -> Option<u32> {
        ranges
            .iter()
            .find(|r| key(r.first) <= key(ip) && key(ip) <= key(r.last))
            .map(|r| r.asn)
            .filter(|&a| a != 0)
    }

    /// Random non-overlapping ranges from sorted cut points, in a small address space so that
    /// lookups hit edges, gaps and both families.
    fn table() -> impl Strategy<Value = Vec<AsnRange>> {
        (
            proptest::collection::btree_set(0u32..4096, 0..60),
            proptest::collection::vec(0u32..5, 60),
            proptest::collection::vec(any::<bool>(), 60),
        )
            .prop_map(|(cuts, asns, gaps)| {
                let cuts: Vec<u32> = cuts.into_iter().collect();
                let mut out = Vec::new();
                for (i, w) in cuts.windows(2).enumerate() {
                    if gaps[i % gaps.len()] {
                        continue;
                    }
                    let asn = asns[i % asns.len()];
                    let (a, b) = (w[0], w[1] - 1);
                    if i % 3 == 0 {
                        out.push(AsnRange {
                            first: IpAddr::V6((0x2001_0db8u128 << 96 | u128::from(a)).into()),
                            last: IpAddr::V6((0x2001_0db8u128 << 96 | u128::from(b)).into()),
                            asn,
                        });
                    } else {
                        out.push(AsnRange {
                            first: IpAddr::V4((0xc000_0200 + a).into()),
                            last: IpAddr::V4((0xc000_0200 + b).into()),
                            asn,
                        });
                    }
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn lookup_agrees_with_a_naive_scan(ranges in table(), probes in proptest::collection::vec(0u32..4200, 50)) {
            let t = AsnTable::from_ranges(ranges.clone()).unwrap();
            for p in probes {
                for ip in [
                    IpAddr::V4((0xc000_0200 + p).into()),
                    IpAddr::V6((0x2001_0db8u128 << 96 | u128::from(p)).into()),
                ] {
                    prop_assert_eq!(t.lookup(ip), naive(&ranges, ip), "{}", ip);
                }
            }
        }
    }

    #[test]
    fn lines_parse_and_refuse() {
        let (r, cc, d) = parse_line("1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET").unwrap();
        assert_eq!(
            (r.asn, cc.as_str(), d.as_str()),
            (13335, "US", "CLOUDFLARENET")
        );
        let (r, _, _) = parse_line("2001:db8::\t2001:db8::ffff\t0\tNone\tNot routed").unwrap();
        assert_eq!(r.asn, 0);
        assert!(parse_line("1.0.0.9\t1.0.0.1\t1\tXY\tx").is_err());
        assert!(parse_line("1.0.0.0\t2001:db8::\t1\tXY\tx").is_err());
        assert!(parse_line("1.0.0.0\t1.0.0.1\tASx\tXY\tx").is_err());
        for ip in ["192.0.2.1", "2001:db8::1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(from_stored(&stored(ip)), Some(ip));
        }
        assert!(stored("9.0.0.0".parse().unwrap()) < stored("10.0.0.0".parse().unwrap()));
        assert!(stored("255.0.0.0".parse().unwrap()) < stored("::1".parse().unwrap()));
        let over = vec![
            AsnRange {
                first: "10.0.0.0".parse().unwrap(),
                last: "10.0.0.9".parse().unwrap(),
                asn: 1,
            },
            AsnRange {
                first: "10.0.0.5".parse().unwrap(),
                last: "10.0.0.20".parse().unwrap(),
                asn: 2,
            },
        ];
        assert!(AsnTable::from_ranges(over).is_err());
    }
}
