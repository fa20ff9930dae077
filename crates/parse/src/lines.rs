//! A streaming, prefiltered line scanner: the hot path of every text-log hunt.
//!
//! The file is read in large chunks; an Aho-Corasick automaton runs over each chunk and only the
//! lines that contain a needle are handed to the caller, together with the first lines of the
//! file (preamble, headers) and, at the end, the last data line (for coverage). Newlines are
//! counted with `memchr` so every delivered line carries its 1-based line number. Memory is bounded
//! by the chunk size plus the longest line accepted ([`MAX_LINE`]); longer lines are reported and
//! skipped, never buffered.

use std::io::{self, Read};

use aho_corasick::AhoCorasick;
pub use regex::bytes::Regex;

/// What finds candidate lines: an Aho-Corasick automaton, or a regex (whose literal prefilter
/// stays vectorised for case-insensitive needles, where Aho-Corasick's does not).
pub trait Needles {
    /// The start of the first match at or after `at`.
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize>;
    /// A new region starts: forget anything remembered about the previous one.
    fn reset(&self) {}
}

impl Needles for AhoCorasick {
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        self.find(aho_corasick::Input::new(hay).range(at..))
            .map(|m| m.start())
    }
}

impl Needles for regex::bytes::Regex {
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        self.find_at(hay, at).map(|m| m.start())
    }
}

/// Deliver every line: for formats where nearly every line needs a look anyway (IIS), a cheap
/// field-level gate per line beats a needle search that matches half the lines.
pub struct EveryLine;

impl Needles for EveryLine {
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        (at < hay.len()).then_some(at)
    }
}

/// Two matchers searched as one: exact-case needles (fields the server writes, e.g. `ServerInfo~`)
/// in a fast case-sensitive automaton, and the attacker-controlled ones case-insensitively. Each
/// remembers its next match so a region is scanned once by each.
pub struct Split<'a> {
    exact: &'a AhoCorasick,
    folded: &'a Regex,
    cache: std::cell::Cell<(usize, usize, Option<usize>, Option<usize>)>,
}

impl<'a> Split<'a> {
    pub fn new(exact: &'a AhoCorasick, folded: &'a Regex) -> Self {
        Split {
            exact,
            folded,
            cache: std::cell::Cell::new((0, 0, None, None)),
        }
    }
}

impl Needles for Split<'_> {
    fn reset(&self) {
        self.cache.set((0, 0, None, None));
    }

    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        let key = 1; // 0 means "reset": nothing remembered
        let (k, from, mut a, mut b) = self.cache.get();
        let fresh = k != key || at < from;
        if fresh || a.is_some_and(|x| x < at) {
            a = self.exact.find_from(hay, at);
        }
        if fresh || b.is_some_and(|x| x < at) {
            b = self.folded.find_from(hay, at);
        }
        // A previous "none" stays valid for later positions of the same region.
        self.cache.set((key, at, a, b));
        match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }
}

/// A case-insensitive matcher for literal needles.
pub fn needles_ci(needles: &[&str]) -> regex::bytes::Regex {
    let alt: Vec<String> = needles.iter().map(|n| regex::escape(n)).collect();
    regex::bytes::RegexBuilder::new(&format!("(?i:{})", alt.join("|")))
        .unicode(false)
        .build()
        .expect("escaped literals always compile")
}

fn count_nl(b: &[u8]) -> u64 {
    bytecount::count(b, b'\n') as u64
}

/// Bytes read per refill.
pub const CHUNK: usize = 1 << 20;
/// Longest line accepted; longer lines are skipped and reported as errors.
pub const MAX_LINE: usize = 1 << 20;
/// Lines at the start of a file delivered whatever they contain (preambles and headers).
pub const HEAD_LINES: u64 = 16;

/// Why a line is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// One of the first [`HEAD_LINES`] lines of the file.
    Head,
    /// The line contains a needle.
    Hit,
}

/// A line handed to the caller: its number, its bytes without the line terminator.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    pub kind: LineKind,
}

/// What a scan saw besides the delivered lines.
#[derive(Debug, Default, Clone)]
pub struct ScanSummary {
    pub bytes: u64,
    /// Lines in the file (a final line without terminator counts).
    pub lines: u64,
    /// Lines starting with `#` (W3C-style preamble and field lines).
    pub comment_lines: u64,
    /// The last line that does not start with `#`, with its number.
    pub last_data_line: Option<(u64, Vec<u8>)>,
    /// Lines longer than [`MAX_LINE`] that were skipped.
    pub overlong_lines: Vec<u64>,
}

fn trim_eol(mut l: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = l {
        l = rest;
    }
    l
}

/// Scan `reader` line by line; `on_line` receives head lines and lines matching `needles`.
/// An `Err` from the callback stops the scan and is returned.
pub fn scan<R: Read, N: Needles + ?Sized, F>(
    mut reader: R,
    needles: &N,
    mut on_line: F,
) -> io::Result<ScanSummary>
where
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    let mut buf: Vec<u8> = vec![0; CHUNK + MAX_LINE];
    let mut filled = 0usize; // bytes valid in buf
    let mut sum = ScanSummary::default();
    let mut line_no: u64 = 0; // lines fully consumed before buf[0]
    let mut skipping_overlong = false;
    let mut eof = false;

    while !eof {
        // Refill.
        let mut read_now = 0;
        while filled < buf.len() {
            let n = match reader.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                eof = true;
                break;
            }
            filled += n;
            read_now += n;
            if read_now >= CHUNK {
                break;
            }
        }
        sum.bytes += read_now as u64;

        // The processable region ends after the last newline (or at EOF, the end).
        let end = if eof {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => {
                    if filled == buf.len() {
                        // One line longer than the buffer: report it and drop what we hold.
                        if !skipping_overlong {
                            sum.overlong_lines.push(line_no + 1);
                        }
                        skipping_overlong = true;
                        filled = 0;
                    }
                    continue;
                }
            }
        };
        let mut start = 0usize;
        if skipping_overlong {
            // Drop the rest of the overlong line.
            match memchr::memchr(b'\n', &buf[..end]) {
                Some(i) => {
                    start = i + 1;
                    line_no += 1;
                    skipping_overlong = false;
                }
                None => {
                    filled = 0;
                    continue;
                }
            }
        }
        let region = &buf[start..end];
        process_region(region, needles, &mut line_no, &mut sum, &mut on_line)?;
        // Keep the partial line.
        buf.copy_within(end..filled, 0);
        filled -= end;
    }
    if skipping_overlong {
        line_no += 1;
    }
    sum.lines = line_no;
    Ok(sum)
}

fn process_region<N: Needles + ?Sized, F>(
    region: &[u8],
    needles: &N,
    line_no: &mut u64,
    sum: &mut ScanSummary,
    on_line: &mut F,
) -> io::Result<()>
where
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    if region.is_empty() {
        return Ok(());
    }
    let base_line = *line_no;
    needles.reset();
    // Head lines: deliver them one by one (they are few).
    let mut pos = 0usize; // bytes of region already accounted for in `counted`
    let mut counted = base_line; // lines fully before region[pos]
    while counted < HEAD_LINES && pos < region.len() {
        let e = memchr::memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i + 1);
        let l = trim_eol(&region[pos..e]);
        counted += 1;
        if l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l).first() == Some(&b'#') {
            sum.comment_lines += 1;
        }
        on_line(Line {
            number: counted,
            bytes: l,
            kind: LineKind::Head,
        })?;
        pos = e;
    }
    // Matches after the head.
    let mut next_free = pos; // matches starting before this were inside a delivered line
    let mut search_from = pos;
    while let Some(at) = needles.find_from(region, search_from) {
        let ls = memchr::memrchr(b'\n', &region[..at]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &region[at..]).map_or(region.len(), |i| at + i + 1);
        counted += count_nl(&region[next_free.max(pos)..ls]);
        let l = trim_eol(&region[ls..le]);
        counted += 1;
        on_line(Line {
            number: counted,
            bytes: l,
            kind: LineKind::Hit,
        })?;
        next_free = le;
        search_from = le;
        if search_from >= region.len() {
            break;
        }
    }
    let tail_from = next_free.max(pos);
    counted += count_nl(&region[tail_from..]);
    if tail_from < region.len() && region.last() != Some(&b'\n') {
        counted += 1; // final line without terminator (only at EOF)
    }
    // Comment lines after the head, counted cheaply.
    sum.comment_lines += memchr::memmem::find_iter(&region[pos..], b"\n#").count() as u64;
    // A `#` line that starts the rest of the region (after the head, or at a chunk start).
    if region.get(pos) == Some(&b'#') && (pos > 0 || base_line >= HEAD_LINES) {
        sum.comment_lines += 1;
    }
    // Last data line of the region.
    let mut e = region.len();
    while e > 0 {
        let body_end = if region[e - 1] == b'\n' { e - 1 } else { e };
        let ls = memchr::memrchr(b'\n', &region[..body_end]).map_or(0, |i| i + 1);
        let l = trim_eol(&region[ls..body_end]);
        if !l.is_empty() && l[0] != b'#' {
            let trailing = u64::from(region.last() != Some(&b'\n'));
            let lines_from_here = count_nl(&region[ls..]) + trailing;
            let number = counted + 1 - lines_from_here;
            sum.last_data_line = Some((number, l.to_vec()));
            break;
        }
        e = ls;
    }
    *line_no = counted;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], needles: &[&str]) -> (Vec<(u64, String, LineKind)>, ScanSummary) {
        let ac = AhoCorasick::new(needles).unwrap();
        let mut out = Vec::new();
        let sum = scan(data, &ac, |l| {
            out.push((
                l.number,
                String::from_utf8_lossy(l.bytes).into_owned(),
                l.kind,
            ));
            Ok(())
        })
        .unwrap();
        (out, sum)
    }

    #[test]
    fn numbers_lines_and_delivers_head_and_hits() {
        let mut s = String::from("#Fields: a b\r\n");
        for i in 2..=100 {
            if i == 57 || i == 99 {
                s.push_str(&format!("line {i} NEEDLE here NEEDLE\r\n"));
            } else {
                s.push_str(&format!("line {i}\r\n"));
            }
        }
        let (lines, sum) = collect(s.as_bytes(), &["NEEDLE"]);
        assert_eq!(sum.lines, 100);
        assert_eq!(sum.comment_lines, 1);
        let hits: Vec<_> = lines.iter().filter(|l| l.2 == LineKind::Hit).collect();
        assert_eq!(hits.len(), 2, "one delivery per line even with two needles");
        assert_eq!(hits[0].0, 57);
        assert_eq!(hits[0].1, "line 57 NEEDLE here NEEDLE");
        assert_eq!(hits[1].0, 99);
        assert_eq!(lines.iter().filter(|l| l.2 == LineKind::Head).count(), 16);
        assert_eq!(sum.last_data_line.as_ref().unwrap().0, 100);
        assert_eq!(sum.last_data_line.unwrap().1, b"line 100");
    }

    #[test]
    fn last_line_without_terminator_and_trailing_comments() {
        let (_, sum) = collect(b"a\nb\nc", &["zz"]);
        assert_eq!(sum.lines, 3);
        assert_eq!(sum.last_data_line.unwrap(), (3, b"c".to_vec()));
        let (_, sum) = collect(b"a\nb\n#c\n", &["zz"]);
        assert_eq!(sum.last_data_line.unwrap(), (2, b"b".to_vec()));
        let (_, sum) = collect(b"", &["zz"]);
        assert_eq!(sum.lines, 0);
        assert!(sum.last_data_line.is_none());
    }

    #[test]
    fn line_numbers_are_right_across_chunk_boundaries() {
        // Lines of varying length so that chunk edges fall mid-line.
        let mut s = Vec::new();
        let mut expect = Vec::new();
        let mut n = 0u64;
        while s.len() < 3 * CHUNK + 12345 {
            n += 1;
            let pad = "x".repeat((n as usize * 7919) % 700);
            if n.is_multiple_of(1013) {
                s.extend_from_slice(format!("{n} HIT {pad}\n").as_bytes());
                expect.push(n);
            } else {
                s.extend_from_slice(format!("{n} {pad}\n").as_bytes());
            }
        }
        let (lines, sum) = collect(&s, &["HIT"]);
        let got: Vec<u64> = lines
            .iter()
            .filter(|l| l.2 == LineKind::Hit)
            .map(|l| l.0)
            .collect();
        assert_eq!(got, expect);
        for l in lines.iter().filter(|l| l.2 == LineKind::Hit) {
            assert!(l.1.starts_with(&format!("{} HIT", l.0)));
        }
        assert_eq!(sum.lines, n);
        assert_eq!(sum.bytes, s.len() as u64);
        assert_eq!(sum.last_data_line.unwrap().0, n);
    }

    #[test]
    fn overlong_lines_are_skipped_and_reported() {
        let mut s = b"first\n".to_vec();
        s.extend(std::iter::repeat_n(b'A', CHUNK + MAX_LINE + 10));
        s.extend_from_slice(b" HIT\nafter HIT\n");
        let (lines, sum) = collect(&s, &["HIT"]);
        assert_eq!(sum.overlong_lines, vec![2]);
        // Within the head, lines come as `Head`; either way each is delivered once.
        let hits: Vec<_> = lines.iter().filter(|l| l.1.contains("HIT")).collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, 3);
        assert_eq!(hits[0].1, "after HIT");
        assert_eq!(sum.lines, 3);
    }

    #[test]
    fn split_needles_find_both_kinds() {
        let exact = AhoCorasick::new(["ServerInfo~"]).unwrap();
        let folded = needles_ci(&["powershell"]);
        let data = b"a\nServerInfo~x\nPOWERSHELL\nserverinfo~ lower is not exact\nb PowerShell\n";
        let split = Split::new(&exact, &folded);
        let mut got = Vec::new();
        scan(&data[..], &split, |l| {
            if l.kind == LineKind::Hit || l.number > 0 {
                got.push(l.number);
            }
            Ok(())
        })
        .unwrap();
        // All five lines are head lines here; use a needle-only check on a long file instead.
        let mut long = Vec::new();
        for i in 0..100 {
            long.extend_from_slice(match i {
                40 => b"ServerInfo~x\n".as_slice(),
                60 => b"x PoWeRsHeLl y\n",
                70 => b"serverinfo~ not exact\n",
                _ => b"plain line\n",
            });
        }
        let split = Split::new(&exact, &folded);
        let mut hits = Vec::new();
        scan(&long[..], &split, |l| {
            if l.kind == LineKind::Hit {
                hits.push(l.number);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(hits, vec![41, 61]);
        assert_eq!(got.len(), 5);
        // Across chunks: regions of equal length at the same address must not reuse old answers.
        let mut big = Vec::new();
        let mut want = Vec::new();
        let mut n = 0u64;
        while big.len() < 3 * CHUNK {
            n += 1;
            if n.is_multiple_of(5000) {
                big.extend_from_slice(b"ServerInfo~ hit\n");
                want.push(n);
            } else if n.is_multiple_of(7001) {
                big.extend_from_slice(b"a powerSHELL hit\n");
                want.push(n);
            } else {
                big.extend_from_slice(b"nothing to see in this line at all\n");
            }
        }
        let split = Split::new(&exact, &folded);
        let mut got = Vec::new();
        scan(&big[..], &split, |l| {
            if l.kind == LineKind::Hit {
                got.push(l.number);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn invalid_utf8_is_just_bytes() {
        let (lines, _) = collect(b"ok\n\xff\xfe HIT \xc3\n", &["HIT"]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, 2);
    }
}
