//! A second view of a script page with its split string literals joined.
//!
//! Shells spell the names rules look for in pieces: `CreateObject("WScrip"&"t.Shell")`,
//! `Request("pa"&"ss")`, `eval(x, "un"+"safe")`, `ServerVariables("HTTP"&"_HOST")`. A rule cannot
//! allow a join between every two characters of every name without losing its atoms (and its
//! speed), so the scanner reads such a page twice: as it is, and as the script engine would read
//! its tokens. The view
//! - drops short block comments wedged between two tokens (`eval/*-*/(Request/**/.Item[…])`:
//!   JScript shells put one between every two), leaving a space only where two words would
//!   otherwise run together; a comment with white space beside it (CSS, licence headers) stays;
//! - reads typographic quotes as the ASCII ones (`“e”+“v”` in UTF-8 or in GB2312/GBK, where a page
//!   copied through a Chinese blog or editor carries them);
//! - removes every join of two string literals on one line (`"` blanks `&` or `+` blanks `"`, and
//!   `'` blanks `+` blanks `'`), which turns `"WScrip"&"t.Shell"` into `"WScript.Shell"`;
//! - closes the gap between two code blocks that split one expression (`<%eval%><%(Request.%>
//!   <%Item["p"],"unsafe");%>`: the engine reads the blocks as one script, so the call runs),
//!   where the first ends in `.`, `(`, `[`, `,`, `+` or `&`, or the second starts with `(` or `.`
//!   (white space, line breaks and empty blocks `<%%>` between them closed too).
//!
//! Only files that hold one of these get this scan (a page saved as UTF-16 gets it of its text,
//! see [`crate::wide`]), and only up to [`MAX_JOINED_VIEW`]
//! bytes (one-liners, droppers and mid-size pages are where the splitting hides the names; a large
//! kit carries many other signals); a match found only in the view says so, and its offset is
//! mapped back to the file.

/// A view of a text (and, for each of its bytes, the offset in the file it came from).
type View = (Vec<u8>, Vec<u32>);

/// One pass over a text (itself a view when the map is given) that gives a view, or `None` when
/// it changes nothing.
type Step = fn(&[u8], Option<&[u32]>) -> Option<View>;

/// Files larger than this get no joined view (it would add their size to the scan once more).
pub const MAX_JOINED_VIEW: usize = 64 * 1024;

/// Block comments longer than this are left in the view (comment splitting uses short ones; a
/// licence header is no hiding place for a token).
const MAX_DROPPED_COMMENT: usize = 256;

/// The joined view of `data` and, for each of its bytes, the offset in `data` it came from;
/// `None` when `data` holds nothing the view would change or is larger than
/// [`MAX_JOINED_VIEW`].
pub fn joined(data: &[u8]) -> Option<(Vec<u8>, Vec<u32>)> {
    if data.len() > MAX_JOINED_VIEW {
        return None;
    }
    let steps: [Step; 2] = [join_literals, join_blocks];
    let mut view = tokens(data);
    for step in steps {
        let next = match &view {
            Some((v, m)) => step(v, Some(m)),
            None => step(data, None),
        };
        if next.is_some() {
            view = next;
        }
    }
    view
}

/// The first byte at or after `i` that is no white space.
fn skip_space(data: &[u8], mut i: usize) -> usize {
    while i < data.len() && data[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// `data` with the gap between two code blocks that split one expression closed (see the
/// module's text): `%>`, white space and `<%` become one space. `map`, when `data` is itself a
/// view, carries the offsets back to the file.
fn join_blocks(data: &[u8], map_in: Option<&[u32]>) -> Option<View> {
    let back = |i: usize| map_in.map_or(i as u32, |m| m[i]);
    let mut out: Vec<u8> = Vec::new();
    let mut map: Vec<u32> = Vec::new();
    let mut from = 0usize;
    for at in memchr::memmem::find_iter(data, b"%>") {
        if at < from {
            continue;
        }
        // the next code block, past empty ones (`<%%>`, or what a dropped comment left)
        let mut k = at + 2;
        let next = loop {
            k = skip_space(data, k);
            if data.get(k..k + 2) != Some(b"<%") {
                break None;
            }
            // (an output, directive, binding or comment block is no continuation of code)
            if matches!(data.get(k + 2), Some(b'=' | b'@' | b'#' | b':' | b'-')) {
                break None;
            }
            let mut n = skip_space(data, k + 2);
            // (a line comment at the block's start: `<% // go`, `<% ' go`; it ends at the line's
            // end or at the block's, whichever comes first)
            while data.get(n..n + 2) == Some(b"//") || data.get(n) == Some(&b'\'') {
                let line = memchr::memchr(b'\n', &data[n..]).map_or(data.len(), |e| n + e);
                let block = memchr::memmem::find(&data[n..line], b"%>").map_or(line, |e| n + e);
                n = skip_space(data, block);
            }
            if data.get(n..n + 2) == Some(b"%>") {
                k = n + 2;
                continue;
            }
            break Some(n);
        };
        let Some(n) = next else {
            continue;
        };
        let before = data[..at].iter().rev().find(|b| !b.is_ascii_whitespace());
        let splits = matches!(before, Some(b'.' | b'(' | b'[' | b',' | b'+' | b'&'))
            || matches!(data.get(n), Some(b'(' | b'.'));
        if !splits {
            continue;
        }
        out.extend_from_slice(&data[from..at]);
        map.extend((from..at).map(back));
        out.push(b' ');
        map.push(back(at));
        from = n;
    }
    if from == 0 {
        return None;
    }
    out.extend_from_slice(&data[from..]);
    map.extend((from..data.len()).map(back));
    Some((out, map))
}

/// `data` with short block comments dropped and typographic quotes read as ASCII ones, or `None`
/// when it holds neither.
fn tokens(data: &[u8]) -> Option<(Vec<u8>, Vec<u32>)> {
    let mut out: Vec<u8> = Vec::new();
    let mut map: Vec<u32> = Vec::new();
    let mut changed = false;
    let mut from = 0usize;
    let mut i = 0usize;
    // Candidates: `/` (a comment), 0xE2 (UTF-8 quotes), 0xA1 (GB2312/GBK quotes).
    while let Some(off) = memchr::memchr3(b'/', 0xE2, 0xA1, &data[i..]) {
        let at = i + off;
        let (skip, repl): (usize, Option<u8>) = match data[at] {
            b'/' if data.get(at + 1) == Some(&b'*') => {
                let body = &data[at + 2..data.len().min(at + 2 + MAX_DROPPED_COMMENT)];
                match memchr::memmem::find(body, b"*/") {
                    Some(end) => {
                        let len = 2 + end + 2;
                        let before = out_last(&out, data, from, at);
                        let after = data.get(at + len).copied();
                        // Only a comment wedged between two tokens hides one: a comment with
                        // space on either side (a CSS or licence comment) changes nothing.
                        let wedged = before.is_some_and(|b| !b.is_ascii_whitespace())
                            && after.is_some_and(|b| !b.is_ascii_whitespace());
                        if !wedged {
                            (0, None)
                        } else {
                            let space = before.is_some_and(is_word) && after.is_some_and(is_word);
                            (len, space.then_some(b' '))
                        }
                    }
                    None => (0, None),
                }
            }
            0xE2 => match data.get(at + 1..at + 3) {
                Some([0x80, 0x9C | 0x9D]) => (3, Some(b'"')),
                Some([0x80, 0x98 | 0x99]) => (3, Some(b'\'')),
                _ => (0, None),
            },
            // A GBK quote only where a character starts: after ASCII or after another quote
            // (inside a run of double-byte characters 0xA1 may be a trail byte).
            0xA1 if at == 0 || data[at - 1] < 0x80 || (changed && at == from) => {
                match data.get(at + 1) {
                    Some(0xB0 | 0xB1) => (2, Some(b'"')),
                    Some(0xAE | 0xAF) => (2, Some(b'\'')),
                    _ => (0, None),
                }
            }
            _ => (0, None),
        };
        if skip == 0 {
            i = at + 1;
            continue;
        }
        if !changed {
            changed = true;
            out.reserve(data.len());
            map.reserve(data.len());
        }
        out.extend_from_slice(&data[from..at]);
        map.extend((from..at).map(|k| k as u32));
        if let Some(b) = repl {
            out.push(b);
            map.push(at as u32);
        }
        from = at + skip;
        i = from;
    }
    if !changed {
        return None;
    }
    out.extend_from_slice(&data[from..]);
    map.extend((from..data.len()).map(|k| k as u32));
    Some((out, map))
}

/// The byte before `at` as the view will hold it: the last byte written, or the last unwritten
/// byte of `data[from..at]`.
fn out_last(out: &[u8], data: &[u8], from: usize, at: usize) -> Option<u8> {
    if at > from {
        Some(data[at - 1])
    } else {
        out.last().copied()
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// `data` with every join of two string literals on one line removed; `map`, when `data` is
/// itself a view, carries the offsets back to the file.
fn join_literals(data: &[u8], map_in: Option<&[u32]>) -> Option<(Vec<u8>, Vec<u32>)> {
    let first = find_join(data, 0)?;
    let back = |i: usize| map_in.map_or(i as u32, |m| m[i]);
    let mut out = Vec::with_capacity(data.len());
    let mut map = Vec::with_capacity(data.len());
    let mut from = 0usize;
    let mut next = Some(first);
    while let Some((start, end)) = next {
        out.extend_from_slice(&data[from..start]);
        map.extend((from..start).map(back));
        from = end;
        next = find_join(data, end);
    }
    out.extend_from_slice(&data[from..]);
    map.extend((from..data.len()).map(back));
    Some((out, map))
}

/// The next join at or after `at`: the range from the closing quote of one literal to just past
/// the opening quote of the next (`"&"`, `" + "`, `'+'`).
fn find_join(data: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    while let Some(off) = memchr::memchr2(b'"', b'\'', data.get(i..)?) {
        let q = i + off;
        let quote = data[q];
        let mut j = q + 1;
        while j < data.len() && (data[j] == b' ' || data[j] == b'\t') {
            j += 1;
        }
        let op_ok = match data.get(j) {
            Some(b'&') => quote == b'"',
            Some(b'+') => true,
            _ => false,
        };
        if op_ok {
            let mut k = j + 1;
            while k < data.len() && (data[k] == b' ' || data[k] == b'\t') {
                k += 1;
            }
            if data.get(k) == Some(&quote) {
                return Some((q, k + 1));
            }
        }
        i = q + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(s: &str) -> Option<String> {
        joined(s.as_bytes()).map(|(v, _)| String::from_utf8(v).unwrap())
    }

    #[test]
    fn closes_code_blocks_that_split_an_expression() {
        assert_eq!(
            view(r#"<%@page Language=JS%><%eval%><%(Request.%><%Item["pass"],"unsafe");%>"#)
                .as_deref(),
            Some(r#"<%@page Language=JS%><%eval (Request. Item["pass"],"unsafe");%>"#)
        );
        // a line break after the second opening, and empty blocks between
        assert_eq!(
            view("<%execute%><%%>\n<%\n(request(\"x\"))%>").as_deref(),
            Some("<%execute (request(\"x\"))%>")
        );
        // a block that holds only a comment ends at its `%>`, not at the line's end
        assert_eq!(
            view("<%execute%><% ' c %><%(request(\"x\"))%> <p>(text)</p>").as_deref(),
            Some("<%execute (request(\"x\"))%> <p>(text)</p>")
        );
        // blocks that end their statements stay apart
        assert_eq!(view("<% If a Then %>\n<% b = 1 %><%= b %>"), None);
    }

    #[test]
    fn joins_literals_on_one_line() {
        assert_eq!(
            view(r#"CreateObject("WScrip"&"t.Shell")"#).as_deref(),
            Some(r#"CreateObject("WScript.Shell")"#)
        );
        assert_eq!(
            view(r#"eval(x, "un" + "sa"+"fe")"#).as_deref(),
            Some(r#"eval(x, "unsafe")"#)
        );
        assert_eq!(
            view("var a = 'ev' + 'al';").as_deref(),
            Some("var a = 'eval';")
        );
    }

    #[test]
    fn drops_short_block_comments_between_tokens() {
        assert_eq!(
            view("eval/*-/*-*/(Request/*x*/.Item[\"z\"])").as_deref(),
            Some("eval(Request.Item[\"z\"])")
        );
        // Two words stay two words.
        assert_eq!(view("var/*-*/P=1").as_deref(), Some("var P=1"));
        // Comments across lines go, and the joins they hid are then made.
        assert_eq!(
            view("x=\"ev\"/*a\n*/+\"al\"").as_deref(),
            Some("x=\"eval\"")
        );
        // A long comment (a licence header) stays.
        let long = format!("y/*{}*/x", "a".repeat(MAX_DROPPED_COMMENT + 1));
        assert_eq!(view(&long), None);
        assert_eq!(view("a /* unclosed"), None);
        // A stylesheet's comments hide nothing.
        assert_eq!(view("body { color: red; } /* header */\n.x { }"), None);
    }

    #[test]
    fn reads_typographic_quotes_as_ascii() {
        // UTF-8 curly quotes.
        assert_eq!(
            view("eval(\u{201c}Req\u{201d}+\u{201c}uest\u{201d})").as_deref(),
            Some("eval(\"Request\")")
        );
        // GB2312/GBK curly quotes (A1B0/A1B1 and A1AE/A1AF), as bytes.
        let gbk = b"P=\xa1\xb0e\xa1\xb1+\xa1\xb0v\xa1\xb1+\xa1\xaeal\xa1\xaf";
        let (v, map) = joined(gbk).unwrap();
        assert_eq!(v, b"P=\"ev\"+'al'");
        assert_eq!(map.len(), v.len());
        assert_eq!(
            gbk[map[2] as usize], 0xA1,
            "the quote maps to its first byte"
        );
        // Inside a run of double-byte characters, 0xA1 may be a trail byte: left alone.
        assert_eq!(joined(b"\xc4\xa1\xb0\xa1"), None);
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(view(r#"x = "a" & y & "b""#), None);
        assert_eq!(view("\"a\" &\n \"b\""), None);
        assert_eq!(
            view("' comment & 'x"),
            None,
            "a VBScript comment is no literal join"
        );
        assert_eq!(view(""), None);
        assert_eq!(view("\"\"&"), None);
        let big = format!("{}\"a\"&\"b\"", " ".repeat(MAX_JOINED_VIEW));
        assert_eq!(view(&big), None, "too large for a second view");
    }

    #[test]
    fn maps_offsets_back() {
        let src = r#"ab "c"&"d" e"#;
        let (v, map) = joined(src.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(v.clone()).unwrap(), r#"ab "cd" e"#);
        assert_eq!(map.len(), v.len());
        let d = v.iter().position(|&b| b == b'd').unwrap();
        assert_eq!(src.as_bytes()[map[d] as usize], b'd');
        assert_eq!(*map.last().unwrap() as usize, src.len() - 1);
    }
}
