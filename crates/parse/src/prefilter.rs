//! A multi-literal prefilter for log lines, built for one job: find the rare lines that contain
//! any of a few dozen needles (case-insensitive, or exact where the server writes the text) at
//! close to memory speed.
//!
//! It is a Teddy-style filter: every needle gets a 4-byte *anchor* (the window of the needle least
//! frequent in a sample of the file being read), needles are grouped into 8 buckets, and a SIMD
//! loop tests 64 positions at a time against four 128-entry byte tables (one per anchor byte; a
//! set bit means "this byte may be at this anchor offset for a needle of this bucket"). Case
//! folding lives in the tables, so the input is never copied or lower-cased. Candidates are
//! verified against the whole needle, then against the needle's optional `check`, a caller's test
//! on the bytes around the match (e.g. "the URL path under `/owa/auth/` names a script page").
//!
//! Engines: AVX-512 VBMI (one `vpermi2b` per anchor byte and 64 positions) where the CPU has it,
//! otherwise a portable engine on the same tables, one position at a time. Both give the same
//! matches; a test and a fuzz target compare them with a naive search.

use crate::lines::Passed;

/// A caller's test of a verified match: `hay`, the match start and end. Runs only on matches.
pub type Check = fn(hay: &[u8], start: usize, end: usize) -> bool;

/// One needle.
#[derive(Clone, Copy)]
pub struct Pat {
    pub text: &'static str,
    /// Match the case exactly (text the server writes itself); otherwise ASCII case-insensitive.
    pub exact: bool,
    pub check: Option<Check>,
}

impl Pat {
    /// A case-insensitive needle.
    pub const fn ci(text: &'static str) -> Pat {
        Pat {
            text,
            exact: false,
            check: None,
        }
    }
    /// A needle matched in its exact case.
    pub const fn exact(text: &'static str) -> Pat {
        Pat {
            text,
            exact: true,
            check: None,
        }
    }
    /// A case-insensitive needle whose matches must also pass `check`.
    pub const fn ci_checked(text: &'static str, check: Check) -> Pat {
        Pat {
            text,
            exact: false,
            check: Some(check),
        }
    }
}

/// A needle as the prefilter keeps it (owned, so run-time needles such as IOC addresses fit too).
#[derive(Clone)]
struct Needle {
    bytes: Vec<u8>,
    /// `bytes` lower-cased where case is ignored, and the bits a haystack byte is ORed with
    /// before it is compared (0x20 on the letters of a case-insensitive needle, else 0):
    /// `(x | mask) == lower` holds exactly for the bytes the needle accepts.
    lower: Vec<u8>,
    mask: Vec<u8>,
    exact: bool,
    check: Option<Check>,
    /// Offset of the 4-byte anchor in `bytes` (needles shorter than 4 bytes: 0, the missing
    /// bytes are wildcards).
    anchor: usize,
}

impl Needle {
    fn new(bytes: &[u8], exact: bool, check: Option<Check>) -> Needle {
        let folds = |c: &u8| !exact && c.is_ascii_alphabetic();
        Needle {
            bytes: bytes.to_vec(),
            lower: bytes
                .iter()
                .map(|c| if folds(c) { fold(*c) } else { *c })
                .collect(),
            mask: bytes
                .iter()
                .map(|c| if folds(c) { 0x20 } else { 0 })
                .collect(),
            exact,
            check,
            anchor: 0,
        }
    }

    /// Whether `w` (as long as the needle) is the needle, in its case or any case as it asks:
    /// eight bytes a step.
    #[inline]
    fn matches(&self, w: &[u8]) -> bool {
        let n = w.len();
        debug_assert_eq!(n, self.lower.len());
        let word =
            |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let eq8 = |i: usize| word(w, i) | word(&self.mask, i) == word(&self.lower, i);
        if n < 8 {
            return w
                .iter()
                .zip(self.mask.iter().zip(&self.lower))
                .all(|(&x, (&m, &l))| x | m == l);
        }
        let mut i = 0;
        while i + 8 < n {
            if !eq8(i) {
                return false;
            }
            i += 8;
        }
        // The last eight bytes (overlapping what was compared when the length is not a multiple).
        eq8(n - 8)
    }
}

const BUCKETS: usize = 8;
const FP: usize = 4; // anchor length
/// How far ahead of the search the VBMI loop prefetches.
#[cfg(target_arch = "x86_64")]
const PREFETCH: usize = 1024;

/// Which loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// AVX-512 VBMI: exact 128-entry byte tables, 64 positions per step.
    Vbmi,
    /// AVX2: the same tables split into nibble tables (Teddy), 32 positions per step; a few more
    /// candidates to verify.
    Avx2,
    /// Portable: the byte tables, one position at a time.
    Portable,
}

impl Engine {
    /// Whether this CPU runs the engine.
    pub fn supported(self) -> bool {
        match self {
            Engine::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Engine::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Engine::Vbmi => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vbmi")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest engine this CPU runs.
    pub fn best() -> Engine {
        [Engine::Vbmi, Engine::Avx2, Engine::Portable]
            .into_iter()
            .find(|e| e.supported())
            .unwrap_or(Engine::Portable)
    }

    /// [`Engine::best`], unless `EXRAY_PREFILTER` names another (`vbmi`, `avx2`, `portable`;
    /// for benchmarks and for ruling the prefilter out when chasing a problem). An engine the
    /// CPU lacks is never used.
    pub fn configured() -> Engine {
        static CHOSEN: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let wanted = match std::env::var("EXRAY_PREFILTER").ok().as_deref() {
                Some("vbmi") => Engine::Vbmi,
                Some("avx2") => Engine::Avx2,
                Some("portable") => Engine::Portable,
                _ => return Engine::best(),
            };
            if wanted.supported() {
                wanted
            } else {
                Engine::best()
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Vbmi => "avx512-vbmi",
            Engine::Avx2 => "avx2",
            Engine::Portable => "portable",
        }
    }
}

/// A built prefilter, tuned to a sample of the text it will search. Building takes about half a
/// millisecond (`cargo bench -p exray-parse --bench prefilter`: 533 µs for 22 needles and a 32 KiB
/// sample); callers reuse one across files of one kind.
#[derive(Clone)]
pub struct Prefilter {
    needles: Vec<Needle>,
    buckets: [Vec<u16>; BUCKETS],
    /// `tables[k][b]`: buckets whose anchor may have byte `b & 0x7f` at offset `k`.
    tables: Box<[[u8; 128]; FP]>,
    /// The same as nibble tables for the AVX2 engine: `lo[k][x & 15] & hi[k][x >> 4]`.
    nibbles: Box<[[[u8; 16]; 2]; FP]>,
    engine: Engine,
    /// Longest anchor offset: a match may start this far before a candidate position.
    max_anchor: usize,
    /// Run-time needles beyond [`TABLE_EXTRAS`] (a long IOC list): one Aho-Corasick automaton
    /// beside the tables, which would accept nearly everything with thousands of needles.
    long_list: Option<LongList>,
}

/// Run-time needles that go into the tables; more go into a [`LongList`].
pub const TABLE_EXTRAS: usize = 16;

#[derive(Clone)]
struct LongList {
    ac: aho_corasick::AhoCorasick,
    exact: Vec<(Vec<u8>, bool)>,
    /// The next match found in the current region: (searched from, match start).
    next: std::cell::Cell<Option<(usize, Option<usize>)>>,
}

impl LongList {
    /// The first match starting at or after `at` (case as each needle asks).
    fn find(&self, hay: &[u8], at: usize) -> Option<usize> {
        let mut from = at;
        while from < hay.len() {
            let m = self.ac.find(aho_corasick::Input::new(hay).range(from..))?;
            let (text, exact) = &self.exact[m.pattern().as_usize()];
            if !*exact || &hay[m.start()..m.end()] == text.as_slice() {
                return Some(m.start());
            }
            from = m.start() + 1;
        }
        None
    }

    /// As `find`, remembering the answer for later calls in the same region (the scanner asks
    /// again after every delivered line; without this, each ask would search to the region end).
    fn find_cached(&self, hay: &[u8], at: usize) -> Option<usize> {
        if let Some((from, next)) = self.next.get() {
            if from <= at && next.is_none_or(|n| n >= at) {
                return next;
            }
        }
        let next = self.find(hay, at);
        self.next.set(Some((at, next)));
        next
    }
}

/// A needle given at run time (e.g. an IOC address): exact or case-insensitive, no check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPat {
    pub text: String,
    pub exact: bool,
}

fn fold(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

/// Counts of (case-folded) 2-, 3- and 4-byte windows in a sample, all exact: a hashed count
/// would charge every window that shares a slot with a frequent one, and with a few hundred
/// anchor combinations per bucket that noise outweighs what the planner is trying to see.
struct Grams {
    /// Plan for the AVX2 engine's nibble tables (which accept more than the byte tables).
    nibbles: bool,
    pairs: Vec<u16>,
    g3: Counts,
    g4: Counts,
    unigram: [f64; 256],
    len: f64,
}

/// Exact counts of 3- or 4-byte windows (folded, packed into a `u32`): an open-addressing table
/// at most half full.
struct Counts {
    keys: Vec<u32>,
    counts: Vec<u16>,
    mask: usize,
}

impl Counts {
    fn new(positions: usize) -> Counts {
        let slots = (positions * 2).next_power_of_two().max(16);
        Counts {
            keys: vec![0; slots],
            counts: vec![0; slots],
            mask: slots - 1,
        }
    }

    fn slot(&self, key: u32) -> usize {
        let mut i = (key.wrapping_mul(0x9E37_79B1) >> 8) as usize & self.mask;
        // A slot is free while its count is 0 (every stored key has a count of at least 1).
        while self.counts[i] != 0 && self.keys[i] != key {
            i = (i + 1) & self.mask;
        }
        i
    }

    fn add(&mut self, key: u32) {
        let i = self.slot(key);
        self.keys[i] = key;
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    fn get(&self, key: u32) -> u16 {
        self.counts[self.slot(key)]
    }
}

fn pack(w: &[u8]) -> u32 {
    w.iter().fold(0u32, |k, &b| (k << 8) | u32::from(fold(b)))
}

impl Grams {
    /// Bytes of a sample looked at (callers give [`crate::lines::SAMPLE`]).
    const MAX_SAMPLE: usize = 64 << 10;

    fn new(sample: &[u8], nibbles: bool) -> Grams {
        let sample = &sample[..sample.len().min(Self::MAX_SAMPLE)];
        let mut pairs = vec![0u16; 1 << 16];
        let mut g3 = Counts::new(sample.len());
        let mut g4 = Counts::new(sample.len());
        for i in 0..sample.len() {
            let w = &sample[i..];
            if w.len() >= 2 {
                let k = (usize::from(fold(w[0])) << 8) | usize::from(fold(w[1]));
                pairs[k] = pairs[k].saturating_add(1);
            }
            if w.len() >= 3 {
                g3.add(pack(&w[..3]));
            }
            if w.len() >= 4 {
                g4.add(pack(&w[..4]));
            }
        }
        let mut unigram = [1.0f64; 256];
        for &b in sample {
            unigram[fold(b) as usize] += 1.0;
        }
        let total: f64 = unigram.iter().sum();
        for u in unigram.iter_mut() {
            *u /= total;
        }
        Grams {
            nibbles,
            pairs,
            g3,
            g4,
            unigram,
            len: sample.len().max(1) as f64,
        }
    }

    /// Share of sample positions where folded window `w` starts. Unseen windows get a small
    /// unigram-based share, so that the rarer of two unseen windows still wins.
    fn share(&self, w: &[u8]) -> f64 {
        let uni: f64 = w.iter().map(|&b| self.unigram[fold(b) as usize]).product();
        let seen = match w.len() {
            0 => return 1.0,
            1 => return self.unigram[fold(w[0]) as usize],
            2 => self.pairs[(usize::from(fold(w[0])) << 8) | usize::from(fold(w[1]))],
            3 => self.g3.get(pack(w)),
            _ => self.g4.get(pack(&w[..4])),
        };
        f64::from(seen) / self.len + uni * 1e-3
    }

    /// Expected share of positions a bucket's tables accept: the sum over the cross product of
    /// its members' anchor bytes (what nibble-free tables really accept), up to the first
    /// position where a member has no byte (a short needle), estimated from the sample.
    fn bucket_share(&self, members: &[&Needle]) -> f64 {
        if members.is_empty() {
            return 0.0;
        }
        let width = members
            .iter()
            .map(|n| (n.bytes.len() - n.anchor).min(FP))
            .min()
            .unwrap_or(0);
        let mut sets: Vec<Vec<u8>> = Vec::with_capacity(width);
        for k in 0..width {
            let mut v: Vec<u8> = if self.nibbles {
                // The AVX2 engine's nibble tables accept every byte whose low and high nibbles
                // some member has here (in either case where case is ignored).
                let (mut lo, mut hi) = (0u16, 0u16);
                for n in members {
                    let c = n.bytes[n.anchor + k];
                    if c >= 0x80 {
                        (lo, hi) = (0xffff, 0xffff); // the tables take any byte there
                    }
                    for x in [c, c ^ (n.mask[n.anchor + k])] {
                        lo |= 1 << (x & 15);
                        hi |= 1 << (x >> 4);
                    }
                }
                (0u8..128)
                    .filter(|x| lo & (1 << (x & 15)) != 0 && hi & (1 << (x >> 4)) != 0)
                    .map(fold)
                    .collect()
            } else {
                members
                    .iter()
                    .map(|n| fold(n.bytes[n.anchor + k]))
                    .collect()
            };
            v.sort_unstable();
            v.dedup();
            sets.push(v);
        }
        let combos: usize = sets.iter().map(Vec::len).product();
        if combos > 4096 {
            // Too many to list: the independent-bytes estimate.
            return sets
                .iter()
                .map(|v| v.iter().map(|&b| self.unigram[b as usize]).sum::<f64>())
                .product();
        }
        let mut total = 0.0;
        let mut idx = vec![0usize; width];
        let mut w = vec![0u8; width];
        loop {
            for k in 0..width {
                w[k] = sets[k][idx[k]];
            }
            total += self.share(&w);
            // Next combination.
            let mut k = 0;
            loop {
                if k == width {
                    return total;
                }
                idx[k] += 1;
                if idx[k] < sets[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }
}

/// The work a bucket causes per position: its candidate share, times the needles each candidate
/// is compared with.
fn bucket_work(share: f64, members: usize) -> f64 {
    share * (1.0 + 0.25 * members as f64)
}

impl Prefilter {
    /// Build from static needles and a sample of the text to be searched (may be empty).
    pub fn new(pats: &[Pat], extra: &[OwnedPat], sample: &[u8]) -> Prefilter {
        Self::with_engine(pats, extra, sample, Engine::configured())
    }

    pub fn with_engine(
        pats: &[Pat],
        extra: &[OwnedPat],
        sample: &[u8],
        engine: Engine,
    ) -> Prefilter {
        // The SIMD loops are only sound on CPUs that have their instructions.
        let engine = if engine.supported() {
            engine
        } else {
            Engine::Portable
        };
        let mut needles: Vec<Needle> = pats
            .iter()
            .filter(|p| !p.text.is_empty())
            .map(|p| Needle::new(p.text.as_bytes(), p.exact, p.check))
            .collect();
        let extra: Vec<&OwnedPat> = extra.iter().filter(|p| !p.text.is_empty()).collect();
        let long_list = (extra.len() > TABLE_EXTRAS).then(|| LongList {
            ac: aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(extra.iter().map(|p| p.text.as_bytes()))
                .expect("literal needles always build"),
            exact: extra
                .iter()
                .map(|p| (p.text.as_bytes().to_vec(), p.exact))
                .collect(),
            next: std::cell::Cell::new(None),
        });
        if long_list.is_none() {
            needles.extend(
                extra
                    .iter()
                    .map(|p| Needle::new(p.text.as_bytes(), p.exact, None)),
            );
        }
        assert!(needles.len() < u16::MAX as usize, "too many needles");
        let grams = Grams::new(sample, engine == Engine::Avx2);
        // Anchor: the rarest window of each needle.
        for n in needles.iter_mut() {
            let len = n.bytes.len();
            let mut best = (f64::MAX, 0usize);
            for o in 0..=len.saturating_sub(FP) {
                let c = grams.share(&n.bytes[o..(o + FP).min(len)]);
                if c < best.0 {
                    best = (c, o);
                }
            }
            n.anchor = best.1;
        }
        // Buckets. A needle shorter than the anchor accepts any byte past its end, and so does
        // every bucket it joins: short needles of one length and first byte (`%4`, `%5`, ...)
        // share a bucket of their own, closed to the others. The rest go greedily, the most frequent anchors first,
        // each into the bucket where it adds the least work (a frequent needle ends up alone).
        let own = |n: &Needle| grams.share(&n.bytes[n.anchor..(n.anchor + FP).min(n.bytes.len())]);
        let mut buckets: [Vec<u16>; BUCKETS] = Default::default();
        let mut work = [0.0f64; BUCKETS];
        let mut short_groups: Vec<(usize, u8)> = Vec::new();
        let mut placed = vec![false; needles.len()];
        for (i, n) in needles.iter().enumerate() {
            if n.bytes.len() >= FP {
                continue;
            }
            let key = (n.bytes.len(), fold(n.bytes[0]));
            let g = match short_groups.iter().position(|k| *k == key) {
                Some(g) => g,
                None => {
                    short_groups.push(key);
                    short_groups.len() - 1
                }
            };
            if g < BUCKETS / 2 {
                buckets[g].push(i as u16);
                placed[i] = true;
            }
        }
        for (b, ids) in buckets.iter().enumerate() {
            let members: Vec<&Needle> = ids.iter().map(|&j| &needles[j as usize]).collect();
            work[b] = bucket_work(grams.bucket_share(&members), members.len());
        }
        let mut order: Vec<usize> = (0..needles.len()).filter(|&i| !placed[i]).collect();
        order.sort_by(|&a, &b| own(&needles[b]).total_cmp(&own(&needles[a])));
        // With many needles (IOC lists), planning costs more than it saves: deal them out.
        let plan = needles.len() <= 64;
        for (rank, &i) in order.iter().enumerate() {
            let b = if plan {
                let mut best = (f64::MAX, 0usize, 0.0f64);
                let first_open = short_groups.len().min(BUCKETS / 2);
                for b in first_open..BUCKETS {
                    let mut members: Vec<&Needle> =
                        buckets[b].iter().map(|&j| &needles[j as usize]).collect();
                    members.push(&needles[i]);
                    let w = bucket_work(grams.bucket_share(&members), members.len());
                    let inc = w - work[b];
                    if inc < best.0 {
                        best = (inc, b, w);
                    }
                }
                work[best.1] = best.2;
                best.1
            } else {
                let first_open = short_groups.len().min(BUCKETS / 2);
                first_open + rank % (BUCKETS - first_open)
            };
            buckets[b].push(i as u16);
        }
        let mut tables = Box::new([[0u8; 128]; FP]);
        for (b, ids) in buckets.iter().enumerate() {
            for &i in ids {
                Self::add_to(&mut tables, &needles[i as usize], b);
            }
        }
        let max_anchor = needles.iter().map(|n| n.anchor).max().unwrap_or(0);
        let nibbles = Box::new(Self::nibble_tables(&tables));
        Prefilter {
            needles,
            buckets,
            tables,
            nibbles,
            engine,
            max_anchor,
            long_list,
        }
    }

    /// Nibble tables accepting a superset of the byte tables: bytes 0x80 and up only where a
    /// bucket takes any byte (past a short needle's end, or a non-ASCII needle byte).
    fn nibble_tables(t: &[[u8; 128]; FP]) -> [[[u8; 16]; 2]; FP] {
        let mut out = [[[0u8; 16]; 2]; FP];
        for (k, row) in t.iter().enumerate() {
            let any = row.iter().fold(0xffu8, |a, &x| a & x);
            for (x, &bits) in row.iter().enumerate() {
                out[k][0][x & 15] |= bits;
                out[k][1][x >> 4] |= bits;
            }
            for h in out[k][1][8..].iter_mut() {
                *h |= any;
            }
        }
        out
    }

    fn add_to(t: &mut [[u8; 128]; FP], n: &Needle, b: usize) {
        for (k, row) in t.iter_mut().enumerate() {
            match n.bytes.get(n.anchor + k) {
                Some(&c) if c < 0x80 => {
                    if n.exact {
                        row[c as usize] |= 1 << b;
                    } else {
                        row[c.to_ascii_lowercase() as usize] |= 1 << b;
                        row[c.to_ascii_uppercase() as usize] |= 1 << b;
                    }
                }
                // Non-ASCII needle byte (tables see the low 7 bits) or past a short needle's end:
                // any byte.
                _ => row.iter_mut().for_each(|x| *x |= 1 << b),
            }
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn len(&self) -> usize {
        self.needles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Candidate at anchor position `p` with bucket bits `bits`: the start of a verified match
    /// that starts at or after `at`, if any.
    #[inline]
    fn verify(&self, hay: &[u8], at: usize, p: usize, mut bits: u8) -> Option<usize> {
        let mut found: Option<usize> = None;
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for &id in &self.buckets[b] {
                let n = &self.needles[id as usize];
                let Some(s) = p.checked_sub(n.anchor) else {
                    continue;
                };
                let e = s + n.bytes.len();
                if s < at || e > hay.len() {
                    continue;
                }
                let w = &hay[s..e];
                if n.matches(w)
                    && n.check.is_none_or(|c| c(hay, s, e))
                    && found.is_none_or(|f| s < f)
                {
                    found = Some(s);
                }
            }
        }
        found
    }

    /// The candidates of one 64-position block (kept out of the hot loop).
    #[inline(never)]
    #[cold]
    fn candidates(
        &self,
        hay: &[u8],
        at: usize,
        i: usize,
        mut bits: u64,
        lanes: &[u8],
    ) -> Option<usize> {
        let mut best: Option<usize> = None;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(s) = self.verify(hay, at, i + j, lanes[j]) {
                best = earliest(best, Some(s));
            }
        }
        best
    }

    /// The start of the first match (verified, checked) that starts at or after `at`.
    pub fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        self.find_counting(hay, at).0
    }

    /// As [`Prefilter::find_from`], and the newlines and comment-line starts in `hay[at..]`
    /// before the match (or the end), counted in the same pass.
    pub fn find_counting(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        let (m, passed) = self.find_counting_tables(hay, at);
        match &self.long_list {
            None => (m, passed),
            Some(l) => Self::with_long_list(hay, at, m, passed, l.find(hay, at)),
        }
    }

    /// Fold a long-list match into the tables' answer.
    fn with_long_list(
        hay: &[u8],
        at: usize,
        m: Option<usize>,
        passed: Passed,
        other: Option<usize>,
    ) -> (Option<usize>, Passed) {
        let end = m.unwrap_or(hay.len());
        match other {
            Some(o) if o < end && o >= at => (Some(o), passed - Passed::count(hay, o, end)),
            _ => (m, passed),
        }
    }

    fn find_counting_tables(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        if at >= hay.len() {
            return (None, Passed::default());
        }
        if self.needles.is_empty() {
            return (None, Passed::count(hay, at, hay.len()));
        }
        match self.engine {
            #[cfg(target_arch = "x86_64")]
            Engine::Vbmi => {
                // SAFETY: `Engine::Vbmi` is only chosen when the CPU has these features
                // (`Engine::best`), or by a caller asserting it through `with_engine` (tests
                // do so only after the same detection).
                unsafe { self.find_vbmi(hay, at) }
            }
            #[cfg(target_arch = "x86_64")]
            Engine::Avx2 => {
                // SAFETY: as above, for AVX2.
                unsafe { self.find_avx2(hay, at) }
            }
            _ => {
                let m = self.find_portable(hay, at, at);
                (m, Passed::count(hay, at, m.unwrap_or(hay.len())))
            }
        }
    }

    #[inline]
    fn mask_at(&self, hay: &[u8], p: usize) -> u8 {
        let mut m = 0xff;
        for k in 0..FP {
            // Past the end: byte 0, which only wildcard positions accept.
            let b = hay.get(p + k).copied().unwrap_or(0);
            m &= self.tables[k][(b & 0x7f) as usize];
            if m == 0 {
                return 0;
            }
        }
        m
    }

    /// Portable engine: candidate anchor positions from `from`, matches starting at `at` or later.
    fn find_portable(&self, hay: &[u8], at: usize, from: usize) -> Option<usize> {
        let mut best: Option<usize> = None;
        for p in from..hay.len() {
            // A match found earlier can only be beaten by one starting before it: once `p` is past
            // it by the longest anchor offset, nothing earlier can appear.
            if best.is_some_and(|b| p > b + self.max_anchor) {
                break;
            }
            let m = self.mask_at(hay, p);
            if m != 0 {
                if let Some(s) = self.verify(hay, at, p, m) {
                    best = earliest(best, Some(s));
                }
            }
        }
        best
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt")]
    unsafe fn find_vbmi(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        use std::arch::x86_64::*;
        let t = &*self.tables;
        let load = |k: usize, half: usize| unsafe {
            _mm512_loadu_si512(t[k][half * 64..].as_ptr() as *const __m512i)
        };
        let (a0, b0, a1, b1) = (load(0, 0), load(0, 1), load(1, 0), load(1, 1));
        let (a2, b2, a3, b3) = (load(2, 0), load(2, 1), load(3, 0), load(3, 1));
        let n = hay.len();
        let ptr = hay.as_ptr();
        let newline = _mm512_set1_epi8(b'\n' as i8);
        let hash = _mm512_set1_epi8(b'#' as i8);
        let mut i = at;
        // Newlines and comment starts in hay[at..i]; whether hay[i - 1] is a newline.
        let (mut nl, mut comments) = (0u64, 0u64);
        let mut carry = u64::from(at > 0 && hay[at - 1] == b'\n');
        let mut best: Option<usize> = None;
        let upto =
            |s: usize, i: usize, nl: u64, comments: u64| passed_upto(hay, s, i, nl, comments);
        // One 64-position block: its candidate bits and bucket lanes; counts newlines/comments.
        macro_rules! block {
            ($off:expr) => {{
                // SAFETY: the callers keep i + $off + 64 + 3 <= n, so the loads are in bounds.
                let (v0, v1, v2, v3) = unsafe {
                    (
                        _mm512_loadu_si512(ptr.add(i + $off) as *const __m512i),
                        _mm512_loadu_si512(ptr.add(i + $off + 1) as *const __m512i),
                        _mm512_loadu_si512(ptr.add(i + $off + 2) as *const __m512i),
                        _mm512_loadu_si512(ptr.add(i + $off + 3) as *const __m512i),
                    )
                };
                let nlm = _mm512_cmpeq_epi8_mask(v0, newline);
                nl += u64::from(nlm.count_ones());
                let hm = _mm512_cmpeq_epi8_mask(v0, hash);
                comments += u64::from((((nlm << 1) | carry) & hm).count_ones());
                carry = nlm >> 63;
                let m0 = _mm512_permutex2var_epi8(a0, v0, b0);
                let m1 = _mm512_permutex2var_epi8(a1, v1, b1);
                let m2 = _mm512_permutex2var_epi8(a2, v2, b2);
                let m3 = _mm512_permutex2var_epi8(a3, v3, b3);
                let acc = _mm512_ternarylogic_epi32(m0, m1, m2, 0x80); // m0 & m1 & m2
                (_mm512_test_epi8_mask(acc, m3), acc, m3)
            }};
        }
        macro_rules! handle {
            ($bits:expr, $acc:expr, $m3:expr, $off:expr) => {
                if $bits != 0 {
                    let mut lanes = [0u8; 64];
                    // SAFETY: `lanes` is 64 bytes.
                    unsafe {
                        _mm512_storeu_si512(
                            lanes.as_mut_ptr() as *mut __m512i,
                            _mm512_and_si512($acc, $m3),
                        )
                    };
                    if let Some(s) = self.candidates(hay, at, i + $off, $bits, &lanes) {
                        best = earliest(best, Some(s));
                    }
                }
            };
        }
        // Two blocks a step while no candidate shows up, then one at a time.
        while i + 128 + FP - 1 <= n {
            if let Some(b) = best.filter(|b| i > b + self.max_anchor) {
                return (Some(b), upto(b, i, nl, comments));
            }
            // The hardware prefetcher stops at page edges; ask for the data a little ahead.
            if i + PREFETCH + 128 <= n {
                // SAFETY: prefetching in-bounds addresses.
                unsafe {
                    _mm_prefetch(ptr.add(i + PREFETCH) as *const i8, _MM_HINT_T0);
                    _mm_prefetch(ptr.add(i + PREFETCH + 64) as *const i8, _MM_HINT_T0);
                }
            }
            let (bits0, acc0, m30) = block!(0);
            let (bits1, acc1, m31) = block!(64);
            if bits0 | bits1 != 0 {
                handle!(bits0, acc0, m30, 0);
                handle!(bits1, acc1, m31, 64);
            }
            i += 128;
        }
        while i + 64 + FP - 1 <= n {
            if let Some(b) = best.filter(|b| i > b + self.max_anchor) {
                return (Some(b), upto(b, i, nl, comments));
            }
            let (bits, acc, m3) = block!(0);
            handle!(bits, acc, m3, 0);
            i += 64;
        }
        // The tail, one position at a time.
        let m = earliest(best, self.find_portable(hay, at, i));
        (m, upto(m.unwrap_or(n), i, nl, comments))
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn find_avx2(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        use std::arch::x86_64::*;
        let nb = &*self.nibbles;
        let load = |k: usize, h: usize| unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(nb[k][h].as_ptr() as *const __m128i))
        };
        let (l0, h0, l1, h1) = (load(0, 0), load(0, 1), load(1, 0), load(1, 1));
        let (l2, h2, l3, h3) = (load(2, 0), load(2, 1), load(3, 0), load(3, 1));
        let low4 = _mm256_set1_epi8(0x0f);
        let n = hay.len();
        let ptr = hay.as_ptr();
        let newline = _mm256_set1_epi8(b'\n' as i8);
        let hash = _mm256_set1_epi8(b'#' as i8);
        let zero = _mm256_setzero_si256();
        let mut i = at;
        let (mut nl, mut comments) = (0u64, 0u64);
        let mut carry = u32::from(at > 0 && hay[at - 1] == b'\n');
        let mut best: Option<usize> = None;
        let upto =
            |s: usize, i: usize, nl: u64, comments: u64| passed_upto(hay, s, i, nl, comments);
        let classify = |v: __m256i, lo: __m256i, hi: __m256i| {
            let l = _mm256_and_si256(v, low4);
            let h = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
            _mm256_and_si256(_mm256_shuffle_epi8(lo, l), _mm256_shuffle_epi8(hi, h))
        };
        while i + 32 + FP - 1 <= n {
            if let Some(b) = best.filter(|b| i > b + self.max_anchor) {
                return (Some(b), upto(b, i, nl, comments));
            }
            if i + PREFETCH + 64 <= n {
                // SAFETY: prefetching an in-bounds address.
                unsafe { _mm_prefetch(ptr.add(i + PREFETCH) as *const i8, _MM_HINT_T0) };
            }
            // SAFETY: i + 32 + 3 <= n, so the four 32-byte loads at i..i+3 are in bounds.
            let (v0, v1, v2, v3) = unsafe {
                (
                    _mm256_loadu_si256(ptr.add(i) as *const __m256i),
                    _mm256_loadu_si256(ptr.add(i + 1) as *const __m256i),
                    _mm256_loadu_si256(ptr.add(i + 2) as *const __m256i),
                    _mm256_loadu_si256(ptr.add(i + 3) as *const __m256i),
                )
            };
            let nlm = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, newline)) as u32;
            nl += u64::from(nlm.count_ones());
            let hm = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, hash)) as u32;
            comments += u64::from((((nlm << 1) | carry) & hm).count_ones());
            carry = nlm >> 31;
            let acc = _mm256_and_si256(
                _mm256_and_si256(classify(v0, l0, h0), classify(v1, l1, h1)),
                _mm256_and_si256(classify(v2, l2, h2), classify(v3, l3, h3)),
            );
            let bits = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, zero)) as u32);
            if bits != 0 {
                let mut lanes = [0u8; 32];
                // SAFETY: `lanes` is 32 bytes.
                unsafe { _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc) };
                if let Some(s) = self.candidates(hay, at, i, u64::from(bits), &lanes) {
                    best = earliest(best, Some(s));
                }
            }
            i += 32;
        }
        let m = earliest(best, self.find_portable(hay, at, i));
        (m, upto(m.unwrap_or(n), i, nl, comments))
    }

    /// Every match start (each needle occurrence at most once per start), for tests and fuzzing:
    /// repeated `find_from` from one past the last match.
    pub fn find_all(&self, hay: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(s) = self.find_from(hay, at) {
            out.push(s);
            at = s + 1;
        }
        out
    }
}

/// The earlier of two match starts.
fn earliest(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What lies in `hay[at..s]`, from the counts `nl` and `comments` of `hay[at..i]` (the SIMD
/// loops count whole blocks; a match may start before or after the block edge `i`).
#[cfg(target_arch = "x86_64")]
fn passed_upto(hay: &[u8], s: usize, i: usize, nl: u64, comments: u64) -> Passed {
    let c = Passed {
        newlines: nl,
        comments,
    };
    if s <= i {
        c - Passed::count(hay, s, i)
    } else {
        c + Passed::count(hay, i, s)
    }
}

impl crate::lines::Needles for Prefilter {
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        crate::lines::Needles::find_counting(self, hay, at).0
    }
    fn reset(&self) {
        if let Some(l) = &self.long_list {
            l.next.set(None);
        }
    }
    /// As [`Prefilter::find_counting`]; a long list remembers its next match within a region.
    fn find_counting(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        let (m, passed) = self.find_counting_tables(hay, at);
        match &self.long_list {
            None => (m, passed),
            Some(l) => Self::with_long_list(hay, at, m, passed, l.find_cached(hay, at)),
        }
    }
}

/// The naive reference: every start where some needle matches (and passes its check).
pub fn naive_matches(pats: &[Pat], extra: &[OwnedPat], hay: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    for s in 0..hay.len() {
        let hit = pats.iter().any(|p| {
            let n = p.text.as_bytes();
            !n.is_empty()
                && s + n.len() <= hay.len()
                && (if p.exact {
                    &hay[s..s + n.len()] == n
                } else {
                    hay[s..s + n.len()].eq_ignore_ascii_case(n)
                })
                && p.check.is_none_or(|c| c(hay, s, s + n.len()))
        }) || extra.iter().any(|p| {
            let n = p.text.as_bytes();
            !n.is_empty()
                && s + n.len() <= hay.len()
                && (if p.exact {
                    &hay[s..s + n.len()] == n
                } else {
                    hay[s..s + n.len()].eq_ignore_ascii_case(n)
                })
        });
        if hit {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engines() -> Vec<Engine> {
        let all = [Engine::Portable, Engine::Avx2, Engine::Vbmi];
        for e in all.iter().filter(|e| !e.supported()) {
            eprintln!(
                "note: this CPU lacks the {} engine's instructions; it is not tested here",
                e.name()
            );
        }
        all.into_iter().filter(|e| e.supported()).collect()
    }

    fn long_ok(hay: &[u8], _s: usize, e: usize) -> bool {
        hay.get(e) == Some(&b'!')
    }

    const PATS: &[Pat] = &[
        Pat::ci("powershell"),
        Pat::ci("whoami"),
        Pat::exact("ServerInfo~"),
        Pat::ci(".js"),
        Pat::ci("%2e"),
        Pat::ci("/aspnet_client/"),
        Pat::ci_checked("/owa/auth/", long_ok),
        Pat::ci("cmd.exe"),
        Pat::ci("net+user"),
        Pat::ci("autodiscover.json"),
        Pat::exact("#Fields:"),
        // Non-ASCII bytes: the tables take any byte there, verification decides.
        Pat::ci("é~x"),
    ];

    /// A deterministic xorshift generator, so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn random_hay(r: &mut Rng, len: usize) -> Vec<u8> {
        let alphabet =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./%+~#:!-\n\xc3\xa9";
        let mut h: Vec<u8> = (0..len)
            .map(|_| alphabet[(r.next() % alphabet.len() as u64) as usize])
            .collect();
        // Plant needles in random case (exact ones as they are), some near the ends.
        for _ in 0..len / 200 + 2 {
            let p = &PATS[(r.next() % PATS.len() as u64) as usize];
            let mut t: Vec<u8> = p.text.as_bytes().to_vec();
            if !p.exact {
                for c in t.iter_mut() {
                    if r.next().is_multiple_of(2) {
                        *c = c.to_ascii_uppercase();
                    }
                }
            }
            if r.next().is_multiple_of(3) {
                t.push(b'!');
            }
            let at = match r.next() % 5 {
                0 => 0,
                1 => len.saturating_sub(t.len()),
                _ => (r.next() as usize) % len.max(1),
            };
            for (k, c) in t.iter().enumerate() {
                if at + k < h.len() {
                    h[at + k] = *c;
                }
            }
        }
        h
    }

    #[test]
    fn engines_agree_with_the_naive_search() {
        let mut r = Rng(0x5eed_1234_abcd_0001);
        for round in 0..400 {
            let len = match round % 4 {
                0 => (r.next() % 70) as usize,
                1 => (r.next() % 300) as usize,
                _ => (r.next() % 5000) as usize,
            };
            let hay = random_hay(&mut r, len);
            let want = naive_matches(PATS, &[], &hay);
            // Samples: none, the haystack itself, an unrelated text.
            for sample in [&b""[..], &hay[..], &b"GET /owa/auth/logon.aspx 200"[..]] {
                for e in engines() {
                    let pf = Prefilter::with_engine(PATS, &[], sample, e);
                    assert_eq!(pf.find_all(&hay), want, "engine {e:?} round {round}");
                    // find_from at arbitrary points agrees too, and so does the newline count.
                    let at = (r.next() as usize) % (hay.len() + 1);
                    let (m, passed) = pf.find_counting(&hay, at);
                    let upto = m.unwrap_or(hay.len()).max(at);
                    let want_nl = hay[at..upto].iter().filter(|&&c| c == b'\n').count();
                    let want_comments = (at..upto)
                        .filter(|&q| q > 0 && hay[q] == b'#' && hay[q - 1] == b'\n')
                        .count();
                    assert_eq!(
                        passed.newlines, want_nl as u64,
                        "engine {e:?} round {round} at {at}"
                    );
                    assert_eq!(
                        passed.comments, want_comments as u64,
                        "engine {e:?} round {round} at {at}"
                    );
                    assert_eq!(
                        pf.find_from(&hay, at),
                        want.iter().copied().find(|&s| s >= at),
                        "engine {e:?} round {round} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn exact_needles_keep_their_case_and_checks_apply() {
        for e in engines() {
            let pf = Prefilter::with_engine(PATS, &[], b"", e);
            assert_eq!(
                pf.find_all(b"xx serverinfo~ SERVERINFO~ yy"),
                Vec::<usize>::new()
            );
            assert_eq!(pf.find_all(b"xx ServerInfo~ yy"), vec![3]);
            assert_eq!(
                pf.find_all(b"GET /OWA/Auth/logon.aspx"),
                Vec::<usize>::new()
            );
            assert_eq!(pf.find_all(b"GET /OWA/Auth/!x"), vec![4]);
            assert_eq!(pf.find_all(b"a PoWeRsHeLl b"), vec![2]);
        }
    }

    /// IIS-like lines in which a quarter carry `/owa/auth/` and others `.aspx url=` and
    /// `.asmx -` (what an Exchange front end logs), deterministic.
    fn front_end_lines(lines: usize) -> Vec<u8> {
        let stems = [
            "/owa/auth/15.1.2176/themes/resources/favicon.ico -",
            "/owa/service.svc action=GetItem&EP=1",
            "/owa/auth/logon.aspx url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0",
            "/mapi/emsmdb/ mailboxId=a1b2c3@contoso.com",
            "/EWS/Exchange.asmx -",
            "/Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=alice&DeviceId=ABC",
            "/autodiscover/autodiscover.xml -",
            "/ecp/PersonalSettings/HomePage.aspx showhelp=false",
        ];
        let mut out = Vec::new();
        for i in 0..lines {
            out.extend_from_slice(
                format!(
                    "2021-02-01 09:{:02}:{:02} 10.0.0.5 POST {} 443 CONTOSO\\u{} 10.1.{}.{} Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 {}\r\n",
                    (i / 60) % 60,
                    i % 60,
                    stems[(i * 5) % stems.len()],
                    i % 97,
                    i % 7,
                    i % 250,
                    i % 900
                )
                .as_bytes(),
            );
        }
        out
    }

    #[test]
    fn the_planner_keeps_frequent_windows_out_of_other_needles_buckets() {
        // The IIS needle set: `/owa/auth/` is in a quarter of the lines and must be verified
        // there; no other needle occurs, so every other candidate is a planning cost. With
        // hashed window counts the planner could not see which anchor combinations are common
        // and put `.aspx - ` with needles whose bytes make `px u` and `mx -`: a false candidate
        // on another quarter of the lines.
        const IIS: &[Pat] = &[
            Pat::exact("#Fields:"),
            Pat::ci(".js"),
            Pat::ci("/ecp/main.css"),
            Pat::ci("/ecp/default.flt"),
            Pat::ci("/aspnet_client/"),
            Pat::ci("/ecp/auth/"),
            Pat::ci("/owa/auth/"),
            Pat::ci("/oab/"),
            Pat::ci("autodiscover.json"),
            Pat::ci("powershell"),
            Pat::ci("%2e"),
            Pat::ci("%5c"),
            Pat::ci("%25"),
            Pat::ci("%4"),
            Pat::ci("%5"),
            Pat::ci("%6"),
            Pat::ci("%7"),
            Pat::ci("whoami"),
            Pat::ci("cmd.exe"),
            Pat::ci("cmd+"),
            Pat::ci("cmd%20"),
            Pat::ci("cmd /c"),
            Pat::ci("net+user"),
            Pat::ci("net%20user"),
            Pat::ci("net+group"),
            Pat::ci("net%20group"),
            Pat::ci("certutil"),
            Pat::ci("nltest"),
            Pat::ci("ipconfig"),
            Pat::ci("tasklist"),
            Pat::ci(".aspx - "),
            Pat::ci(".ashx - "),
            Pat::ci(" proxy"),
            Pat::ci("cmd=connect"),
            Pat::ci("action=checkport"),
            Pat::ci("action=createsocket"),
        ];
        let hay = front_end_lines(4000);
        let sample = &hay[..32 << 10];
        let pf = Prefilter::with_engine(IIS, &[], sample, Engine::Portable);
        let (mut candidates, mut matches) = (0usize, 0usize);
        for p in 0..hay.len() {
            let m = pf.mask_at(&hay, p);
            if m != 0 {
                candidates += 1;
                if pf.verify(&hay, 0, p, m).is_some() {
                    matches += 1;
                }
            }
        }
        let owa = hay.windows(10).filter(|w| w == b"/owa/auth/").count();
        assert!(matches >= owa, "{matches} matches, {owa} /owa/auth/");
        assert!(
            candidates <= matches + hay.len() / 1000,
            "{candidates} candidate positions for {matches} matches in {} lines",
            4000
        );
    }

    #[test]
    fn run_time_needles_and_many_of_them() {
        let extra: Vec<OwnedPat> = (0..200)
            .map(|i| OwnedPat {
                text: format!("203.0.113.{i}"),
                exact: true,
            })
            .collect();
        let hay = b"2021-03-03 04:12:00 10.0.0.5 GET / - 443 - 203.0.113.77 UA - 200\n".repeat(3);
        let want = naive_matches(&[], &extra, &hay);
        assert_eq!(want.len(), 3);
        for e in engines() {
            let pf = Prefilter::with_engine(&[], &extra, &hay, e);
            assert_eq!(pf.find_all(&hay), want);
        }
    }
}
