//! A second view of a script page with its split string literals joined.
//!
//! Shells spell the names rules look for in pieces: `CreateObject("WScrip"&"t.Shell")`,
//! `Request("pa"&"ss")`, `eval(x, "un"+"safe")`, `ServerVariables("HTTP"&"_HOST")`. A rule cannot
//! allow a join between every two characters of every name without losing its atoms (and its
//! speed), so the scanner reads such a page twice: as it is, and with every join of two string
//! literals on one line (`"` blanks `&` or `+` blanks `"`, and `'` blanks `+` blanks `'`) removed,
//! which turns `"WScrip"&"t.Shell"` into `"WScript.Shell"`. Only files that hold such a join get
//! the second scan, and only up to [`MAX_JOINED_VIEW`] bytes (one-liners, droppers and mid-size
//! pages are where the splitting hides the names; a large kit carries many other signals); a
//! match found only in the joined view says so, and its offset is mapped back to the file.

/// Files larger than this get no joined view (it would add their size to the scan once more).
pub const MAX_JOINED_VIEW: usize = 64 * 1024;

/// The joined view of `data` and, for each of its bytes, the offset in `data` it came from;
/// `None` when `data` holds no join of two string literals or is larger than
/// [`MAX_JOINED_VIEW`].
pub fn joined(data: &[u8]) -> Option<(Vec<u8>, Vec<u32>)> {
    if data.len() > MAX_JOINED_VIEW {
        return None;
    }
    let first = find_join(data, 0)?;
    let mut out = Vec::with_capacity(data.len());
    let mut map = Vec::with_capacity(data.len());
    let mut from = 0usize;
    let mut next = Some(first);
    while let Some((start, end)) = next {
        out.extend_from_slice(&data[from..start]);
        map.extend((from..start).map(|i| i as u32));
        from = end;
        next = find_join(data, end);
    }
    out.extend_from_slice(&data[from..]);
    map.extend((from..data.len()).map(|i| i as u32));
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
