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

/// What finds candidate lines: the request logs' [`crate::prefilter::Prefilter`], or for the
/// smaller logs an Aho-Corasick automaton or a regex (whose literal prefilter stays vectorised
/// for case-insensitive needles, where Aho-Corasick's does not).
pub trait Needles {
    /// The start of the first match at or after `at`.
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize>;
    /// A new region starts: forget anything remembered about the previous one.
    fn reset(&self) {}
    /// As `find_from`, and what lies in `hay[at..]` before the match (or the end): see
    /// [`Passed`]. Matchers that read every byte anyway count in the same pass.
    fn find_counting(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        let m = self.find_from(hay, at);
        (m, Passed::count(hay, at, m.unwrap_or(hay.len())))
    }
}

/// What a matcher passed over in `hay[from..to]`: newlines, and comment-line starts (a `#` at a
/// position `q > 0` right after a `\n`; `hay[from - 1]` counts for `q = from`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Passed {
    pub newlines: u64,
    pub comments: u64,
}

impl Passed {
    pub fn count(hay: &[u8], from: usize, to: usize) -> Passed {
        let part = &hay[from..to];
        Passed {
            newlines: count_nl(part),
            comments: memchr::memchr_iter(b'#', part)
                .filter(|&i| from + i > 0 && hay[from + i - 1] == b'\n')
                .count() as u64,
        }
    }
}

impl std::ops::Add for Passed {
    type Output = Passed;
    fn add(self, o: Passed) -> Passed {
        Passed {
            newlines: self.newlines + o.newlines,
            comments: self.comments + o.comments,
        }
    }
}

impl std::ops::Sub for Passed {
    type Output = Passed;
    fn sub(self, o: Passed) -> Passed {
        Passed {
            newlines: self.newlines - o.newlines,
            comments: self.comments - o.comments,
        }
    }
}

impl<T: Needles + ?Sized> Needles for &T {
    fn find_from(&self, hay: &[u8], at: usize) -> Option<usize> {
        (**self).find_from(hay, at)
    }
    fn reset(&self) {
        (**self).reset()
    }
    fn find_counting(&self, hay: &[u8], at: usize) -> (Option<usize>, Passed) {
        (**self).find_counting(hay, at)
    }
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
    reader: R,
    needles: &N,
    on_line: F,
) -> io::Result<ScanSummary>
where
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    scan_with(reader, |_| needles, on_line)
}

/// Bytes of a file's start that a sample-tuned matcher ([`crate::prefilter::Prefilter`]) sees.
pub const SAMPLE: usize = 32 << 10;

/// As [`scan`], with the matcher built from a sample of the file's start (up to [`SAMPLE`]
/// bytes) once the first chunk is read.
pub fn scan_with<R: Read, N: Needles, M, F>(
    mut reader: R,
    make: M,
    mut on_line: F,
) -> io::Result<ScanSummary>
where
    M: FnOnce(&[u8]) -> N,
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    let mut make = Some(make);
    let mut built: Option<N> = None;
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
        if built.is_none() {
            if let Some(m) = make.take() {
                built = Some(m(&region[..region.len().min(SAMPLE)]));
            }
        }
        let needles = built.as_ref().expect("built before the first region");
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

/// Mapped bytes are handled in pieces of about this size, so that the passes over a piece (search,
/// line count) after the first find it in the core's cache.
const PIECE: usize = 256 << 10;

/// Bytes mapped at a time by [`scan_file_with`] (the longest line it accepts, too).
pub const WINDOW: usize = 8 << 20;

/// As [`scan_with`], over an open file, from its start. A small file is read whole into a buffer
/// the thread keeps; on Linux a larger regular file is memory-mapped a window at a time (no copy;
/// see [`crate::mapped`]), accepting lines up to [`WINDOW`] long. Elsewhere, or if mapping is
/// refused, the file is read in chunks.
pub fn scan_file_with<N: Needles, M, F>(
    file: &std::fs::File,
    make: M,
    on_line: F,
) -> io::Result<ScanSummary>
where
    M: FnOnce(&[u8]) -> N,
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() < SMALL_FILE {
        return scan_small(file, meta.len(), make, on_line);
    }
    // Larger files are read to the cap of text logs (and to the end of their data, when sparse).
    scan_file_windowed(file, WINDOW, make, on_line)
}

/// [`scan_file_with`] with a chosen window size (tests use small ones to cross many windows).
#[doc(hidden)]
pub fn scan_file_windowed<N: Needles, M, F>(
    file: &std::fs::File,
    window: usize,
    make: M,
    mut on_line: F,
) -> io::Result<ScanSummary>
where
    M: FnOnce(&[u8]) -> N,
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    #[cfg(target_os = "linux")]
    {
        let meta = file.metadata()?;
        let len = crate::sparse::data_end(file, meta.len()).min(READ_CAP);
        if meta.is_file() && len > 0 {
            let first = (len.min(window as u64)) as usize;
            if let Some(w) = crate::mapped::Window::map(file, 0, first) {
                return scan_mapped(file, len, window, w, make, &mut on_line);
            }
        }
    }
    let _ = window;
    scan_with(file.take(READ_CAP), make, on_line)
}

/// Bytes of one file the file scanners read at most (the cap of text logs, stated in the report
/// by the caller when a file passes it).
pub const READ_CAP: u64 = 4 << 30;

/// Files smaller than this are read whole into a buffer each thread keeps: mapping and unmapping
/// them (a TLB flush on every core) or zeroing a chunk buffer would cost more than the search.
pub const SMALL_FILE: u64 = 1 << 20;

fn scan_small<N: Needles, M, F>(
    mut file: &std::fs::File,
    len: u64,
    make: M,
    mut on_line: F,
) -> io::Result<ScanSummary>
where
    M: FnOnce(&[u8]) -> N,
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    thread_local! {
        static BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    use std::io::Seek;
    let mut buf = BUF.take();
    buf.clear();
    // What the file held when it was opened (a live log may grow meanwhile), from its start.
    let res = file
        .seek(io::SeekFrom::Start(0))
        .and_then(|_| (&mut file).take(len).read_to_end(&mut buf))
        .and_then(|_| {
            let needles = make(&buf[..buf.len().min(SAMPLE)]);
            let mut sum = ScanSummary::default();
            let mut line_no = 0u64;
            process_region(&buf, &needles, &mut line_no, &mut sum, &mut on_line)?;
            sum.bytes = buf.len() as u64;
            sum.lines = line_no;
            Ok(sum)
        });
    BUF.set(buf);
    res
}

#[cfg(target_os = "linux")]
fn scan_mapped<N: Needles, M, F>(
    file: &std::fs::File,
    len: u64,
    window_size: usize,
    first: crate::mapped::Window,
    make: M,
    on_line: &mut F,
) -> io::Result<ScanSummary>
where
    M: FnOnce(&[u8]) -> N,
    F: FnMut(Line<'_>) -> io::Result<()>,
{
    let mut sum = ScanSummary::default();
    let mut line_no: u64 = 0;
    let mut off: u64 = 0;
    let mut window = Some(first);
    let mut skipping_overlong = false;
    let b0 = window.as_ref().map(|w| w.bytes()).unwrap_or_default();
    let needles = make(&b0[..b0.len().min(SAMPLE)]);
    while off < len {
        let want = ((len - off).min(window_size as u64)) as usize;
        let w = match window.take() {
            Some(w) => w,
            None => crate::mapped::Window::map(file, off, want).ok_or_else(|| {
                io::Error::other(format!(
                    "cannot map bytes {off}..{} of the file",
                    off + want as u64
                ))
            })?,
        };
        let b = w.bytes();
        let at_eof = off + b.len() as u64 >= len;
        let mut start = 0usize;
        if skipping_overlong {
            match memchr::memchr(b'\n', b) {
                Some(i) => {
                    start = i + 1;
                    line_no += 1;
                    skipping_overlong = false;
                }
                None => {
                    off += b.len() as u64;
                    continue;
                }
            }
        }
        let end = if at_eof {
            b.len()
        } else {
            match memchr::memrchr(b'\n', &b[start..]) {
                Some(i) => start + i + 1,
                None => {
                    // A line longer than a window: report it and skip to its end.
                    sum.overlong_lines.push(line_no + 1);
                    skipping_overlong = true;
                    off += b.len() as u64;
                    continue;
                }
            }
        };
        // Pieces that stay in the core's cache between the search and the line counting.
        let mut pos = start;
        while pos < end {
            let piece_end = if end - pos <= PIECE {
                end
            } else {
                match memchr::memrchr(b'\n', &b[pos..pos + PIECE]) {
                    Some(i) => pos + i + 1,
                    None => memchr::memchr(b'\n', &b[pos + PIECE..end])
                        .map_or(end, |i| pos + PIECE + i + 1),
                }
            };
            process_region(
                &b[pos..piece_end],
                &needles,
                &mut line_no,
                &mut sum,
                on_line,
            )?;
            pos = piece_end;
        }
        if w.faulted() {
            return Err(io::Error::other(format!(
                "the file shrank while it was read: bytes from about {off} on were not read"
            )));
        }
        off += end as u64;
    }
    if skipping_overlong {
        line_no += 1;
    }
    sum.bytes = off;
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
    // Matches after the head; the matcher counts the newlines and comment lines it passes.
    let mut search_from = pos;
    while search_from < region.len() {
        let (m, passed) = needles.find_counting(region, search_from);
        counted += passed.newlines;
        sum.comment_lines += passed.comments;
        let Some(at) = m else {
            break;
        };
        let ls = memchr::memrchr(b'\n', &region[..at]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &region[at..]).map_or(region.len(), |i| at + i + 1);
        // A comment line whose match is its first byte was not passed over.
        if ls == at && ls > 0 && region[ls] == b'#' {
            sum.comment_lines += 1;
        }
        let l = trim_eol(&region[ls..le]);
        counted += 1;
        on_line(Line {
            number: counted,
            bytes: l,
            kind: LineKind::Hit,
        })?;
        search_from = le;
    }
    if search_from < region.len() && region.last() != Some(&b'\n') {
        counted += 1; // final line without terminator (only at EOF)
    }
    // A `#` line that starts a region after the file's head (nothing before it to look at).
    if pos == 0 && base_line >= HEAD_LINES && region.first() == Some(&b'#') {
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
    fn mapped_windows_give_what_reading_gives() {
        use std::io::Write;
        let mut s = Vec::new();
        let mut n = 0u64;
        while s.len() < 300_000 {
            n += 1;
            let pad = "y".repeat((n as usize * 7919) % 300);
            if n.is_multiple_of(97) {
                s.extend_from_slice(format!("{n} HIT {pad}\r\n").as_bytes());
            } else if n.is_multiple_of(50) {
                s.extend_from_slice(format!("#comment {n}\n").as_bytes());
            } else {
                s.extend_from_slice(format!("{n} {pad}\n").as_bytes());
            }
        }
        s.extend_from_slice(b"last HIT without newline");
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&s).unwrap();
        let ac = AhoCorasick::new(["HIT"]).unwrap();
        let run_read = || {
            let mut got = Vec::new();
            let sum = scan(&s[..], &ac, |l| {
                got.push((l.number, l.bytes.to_vec(), l.kind));
                Ok(())
            })
            .unwrap();
            (got, sum)
        };
        let (want, wsum) = run_read();
        assert!(want.len() > 3000 / 97);
        for window in [1000usize, 4096, 4097, 65_536, 1 << 20] {
            let mut got = Vec::new();
            let sum = scan_file_windowed(
                &f,
                window,
                |_| &ac,
                |l| {
                    got.push((l.number, l.bytes.to_vec(), l.kind));
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(got, want, "window {window}");
            assert_eq!(sum.lines, wsum.lines);
            assert_eq!(sum.bytes, wsum.bytes);
            assert_eq!(sum.comment_lines, wsum.comment_lines);
            assert_eq!(sum.last_data_line, wsum.last_data_line);
        }
    }

    #[test]
    fn comment_lines_and_numbers_are_exact_with_every_matcher() {
        use crate::prefilter::{Engine, Pat, Prefilter};
        use std::io::Write;
        const PATS: &[Pat] = &[Pat::exact("#Fields:"), Pat::ci("needle")];
        let mut s = Vec::new();
        let (mut n, mut comments, mut hits) = (0u64, 0u64, Vec::new());
        while s.len() < 3 * CHUNK + 999 {
            n += 1;
            let line = match (n * 7919) % 113 {
                0 => {
                    comments += 1;
                    hits.push(n);
                    format!("#Fields: a b c {n}")
                }
                1 | 2 => {
                    comments += 1;
                    format!("#Date: {n} # not a second comment")
                }
                3 => {
                    hits.push(n);
                    format!("data {n} NeEdLe x#y")
                }
                _ => format!("data {n} {}", "z".repeat((n as usize * 31) % 200)),
            };
            s.extend_from_slice(line.as_bytes());
            s.extend_from_slice(if n % 3 == 0 { b"\r\n" } else { b"\n" });
        }
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&s).unwrap();
        let engines: Vec<Engine> = [Engine::Portable, Engine::Avx2, Engine::Vbmi]
            .into_iter()
            .filter(|e| e.supported())
            .collect();
        let ac = AhoCorasick::new(["#Fields:", "needle", "NeEdLe"]).unwrap();
        let check = |sum: ScanSummary, got: Vec<u64>, what: &str| {
            assert_eq!(sum.lines, n, "{what}");
            assert_eq!(sum.comment_lines, comments, "{what}");
            let want: Vec<u64> = hits.iter().copied().filter(|&h| h > HEAD_LINES).collect();
            assert_eq!(got, want, "{what}");
        };
        let mut got = Vec::new();
        let sum = scan(&s[..], &ac, |l| {
            if l.kind == LineKind::Hit {
                got.push(l.number);
            }
            Ok(())
        })
        .unwrap();
        check(sum, got, "aho-corasick");
        for e in engines {
            let make = |sample: &[u8]| Prefilter::with_engine(PATS, &[], sample, e);
            for window in [Some(5000usize), Some(1 << 20), None] {
                let mut got = Vec::new();
                let on_line = |l: Line<'_>| {
                    if l.kind == LineKind::Hit {
                        got.push(l.number);
                    }
                    Ok(())
                };
                let sum = match window {
                    Some(w) => scan_file_windowed(&f, w, make, on_line),
                    None => scan_with(&s[..], make, on_line),
                }
                .unwrap();
                check(sum, got, &format!("{e:?} window {window:?}"));
            }
        }
    }

    #[test]
    fn a_long_run_time_needle_list_finds_every_line() {
        use crate::prefilter::{OwnedPat, Prefilter};
        let extra: Vec<OwnedPat> = (0..300)
            .map(|i| OwnedPat {
                text: format!("198.51.{}.{}", i / 100, i % 100),
                exact: false,
            })
            .collect();
        let mut s = String::new();
        let mut want = Vec::new();
        for n in 1..=20_000u64 {
            if n.is_multiple_of(97) {
                s.push_str(&format!("{n} from 198.51.{}.{} x\n", n % 3, n % 100));
                if n > HEAD_LINES {
                    want.push(n);
                }
            } else {
                s.push_str(&format!("{n} from 10.0.{}.{} x\n", n % 3, n % 100));
            }
        }
        let mut got = Vec::new();
        scan_with(
            s.as_bytes(),
            |sample| Prefilter::new(&[], &extra, sample),
            |l| {
                if l.kind == LineKind::Hit {
                    got.push(l.number);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn small_files_read_whole_give_what_streaming_gives() {
        use std::io::Write;
        let ac = AhoCorasick::new(["HIT", "#F"]).unwrap();
        for n in [0usize, 1, 17, 5000] {
            let mut s = String::new();
            for i in 1..=n {
                s.push_str(&match i % 7 {
                    0 => format!("{i} HIT\r\n"),
                    3 => format!("#F {i}\n"),
                    _ => format!("{i} nothing\n"),
                });
            }
            if n == 17 {
                s.push_str("tail HIT without newline");
            }
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(s.as_bytes()).unwrap();
            // The cursor is at the end after writing: the scan still reads from the start.
            let collect = |small: bool| {
                let mut got = Vec::new();
                let on_line = |l: Line<'_>| {
                    got.push((l.number, l.bytes.to_vec(), l.kind));
                    Ok(())
                };
                let sum = if small {
                    scan_file_with(&f, |_| &ac, on_line)
                } else {
                    scan(s.as_bytes(), &ac, on_line)
                }
                .unwrap();
                (
                    got,
                    sum.lines,
                    sum.comment_lines,
                    sum.bytes,
                    sum.last_data_line,
                )
            };
            assert_eq!(collect(true), collect(false), "{n} lines");
        }
    }

    #[test]
    fn invalid_utf8_is_just_bytes() {
        let (lines, _) = collect(b"ok\n\xff\xfe HIT \xc3\n", &["HIT"]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, 2);
    }
}
