//! Timestamp parsing for the formats Exchange and IIS write. Hand-written because it runs on
//! every delivered line; all functions return `None` on anything unexpected, never panic.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn build(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let dt = date.and_hms_nano_opt(h, mi, s, nanos)?;
    Some(Utc.from_utc_datetime(&dt))
}

/// `2021-03-03T04:12:33.123Z`, `2021-03-03T04:12:33Z`, `2021-03-03 04:12:33` (taken as UTC),
/// with an optional `+00:00` style offset.
pub fn parse_iso(b: &[u8]) -> Option<DateTime<Utc>> {
    let b = trim(b);
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let frac = &tail[..n.min(9)];
        nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
        rest = &tail[n..];
    }
    let t = build(y, mo, d, h, mi, s, nanos)?;
    match rest {
        [] | [b'Z'] | [b'z'] => Some(t),
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let oh = digits(&[*oh1, *oh2])? as i64;
            let om = digits(&[*om1, *om2])? as i64;
            let off = chrono::Duration::minutes(oh * 60 + om);
            Some(if *sign == b'+' { t - off } else { t + off })
        }
        _ => None,
    }
}

/// IIS W3C `date` and `time` fields (UTC by IIS default): `2021-03-03` and `04:12:33`.
pub fn parse_iis(date: &[u8], time: Option<&[u8]>) -> Option<DateTime<Utc>> {
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let y = digits(&date[0..4])?;
    let mo = digits(&date[5..7])?;
    let d = digits(&date[8..10])?;
    let (h, mi, s) = match time {
        None => (0, 0, 0),
        Some(t) => {
            let t = trim(t);
            if t.len() < 8 || t[2] != b':' || t[5] != b':' {
                return None;
            }
            (digits(&t[0..2])?, digits(&t[3..5])?, digits(&t[6..8])?)
        }
    };
    build(y, mo, d, h, mi, s, 0)
}

/// The first timestamp found anywhere in a free-text line: ISO 8601 or US `M/D/YYYY h:mm:ss AM`.
pub fn find_timestamp(line: &[u8]) -> Option<DateTime<Utc>> {
    for (i, w) in line.windows(5).enumerate() {
        // ISO: dddd-dd-ddT or space
        if w[4] == b'-' && w[..4].iter().all(|c| c.is_ascii_digit()) && line.len() >= i + 19 {
            // A timestamp is short: never look further than 40 bytes (no quadratic scans).
            let window = &line[i..line.len().min(i + 40)];
            let end = window
                .iter()
                .position(|c| *c == b',' || *c == b']' || *c == b'"' || *c == b';')
                .unwrap_or(window.len());
            let cand = &window[..end];
            // A date followed by a space and a time: cut after the seconds (+fraction, Z).
            let cut = cand
                .iter()
                .enumerate()
                .skip(19)
                .find(|(_, c)| !(c.is_ascii_digit() || **c == b'.' || **c == b'Z'))
                .map_or(cand.len(), |(p, _)| p);
            if let Some(t) = parse_iso(&cand[..cut]) {
                return Some(t);
            }
        }
    }
    find_us_timestamp(line)
}

fn find_us_timestamp(line: &[u8]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(line).ok()?;
    for (i, _) in s.match_indices('/').take(64) {
        // Digits are ASCII, so the byte after the last non-digit is a char boundary.
        let start = s.as_bytes()[..i]
            .iter()
            .rposition(|c| !c.is_ascii_digit())
            .map_or(0, |p| p + 1);
        if i - start > 2 {
            continue;
        }
        let tail = &s[start..];
        let mut cut = tail.len().min(40);
        while !tail.is_char_boundary(cut) {
            cut -= 1;
        }
        let tail = &tail[..cut];
        let mut parts = tail.splitn(2, ' ');
        let date = parts.next()?;
        let rest = parts.next().unwrap_or("");
        let dp: Vec<&str> = date.split('/').collect();
        if dp.len() != 3 {
            continue;
        }
        let (Ok(mo), Ok(d), Ok(y)) = (
            dp[0].parse::<u32>(),
            dp[1].parse::<u32>(),
            dp[2].parse::<u32>(),
        ) else {
            continue;
        };
        let mut tp = rest.split_whitespace();
        let time = tp.next().unwrap_or("");
        let ampm = tp.next().unwrap_or("");
        let hms: Vec<&str> = time.split(':').collect();
        if hms.len() != 3 {
            continue;
        }
        let (Ok(mut h), Ok(mi), Ok(sec)) = (
            hms[0].parse::<u32>(),
            hms[1].parse::<u32>(),
            hms[2].split('.').next().unwrap_or("").parse::<u32>(),
        ) else {
            continue;
        };
        if ampm.eq_ignore_ascii_case("PM") && h < 12 {
            h += 12;
        } else if ampm.eq_ignore_ascii_case("AM") && h == 12 {
            h = 0;
        }
        if let Some(t) = build(y, mo, d, h, mi, sec, 0) {
            return Some(t);
        }
    }
    None
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = b {
        if c.is_ascii_whitespace() || *c == b'"' {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., c] = b {
        if c.is_ascii_whitespace() || *c == b'"' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_variants() {
        let t = parse_iso(b"2021-03-03T04:12:33.123Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-03-03T04:12:33.123+00:00");
        assert!(parse_iso(b"2021-03-03T04:12:33Z").is_some());
        assert!(parse_iso(b"2021-03-03 04:12:33").is_some());
        let t = parse_iso(b"2021-03-03T05:12:33+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-03-03T04:12:33+00:00");
        assert!(parse_iso(b"2021-13-03T04:12:33Z").is_none());
        assert!(parse_iso(b"DateTime").is_none());
        assert!(parse_iso(b"2021-03-03T04:12:33.Z").is_none());
        assert!(parse_iso("2021-03-03T04:1é:33Z".as_bytes()).is_none());
    }

    #[test]
    fn iis_and_free_text() {
        assert_eq!(
            parse_iis(b"2021-03-03", Some(b"04:12:33"))
                .unwrap()
                .to_rfc3339(),
            "2021-03-03T04:12:33+00:00"
        );
        assert!(parse_iis(b"2021-03-03", None).is_some());
        assert!(parse_iis(b"03/20/01", None).is_none());
        let t = find_timestamp(b"[2021-03-03T04:12:33.000Z] Download failed").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-03-03T04:12:33+00:00");
        let t = find_timestamp(b"x 3/3/2021 4:12:33 PM y").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-03-03T16:12:33+00:00");
        assert!(find_timestamp(b"no time here").is_none());
        // Hostile input: multi-byte characters next to slashes, long runs, no panic, no blow-up.
        assert_eq!(
            find_timestamp("é3/3/2021 4:12:33 PM".as_bytes())
                .unwrap()
                .to_rfc3339(),
            "2021-03-03T16:12:33+00:00"
        );
        assert!(find_timestamp("ééé/é/é".as_bytes()).is_none());
        let long = "0000-".repeat(400_000);
        let t0 = std::time::Instant::now();
        assert!(find_timestamp(long.as_bytes()).is_none());
        assert!(find_timestamp("1/".repeat(500_000).as_bytes()).is_none());
        assert!(t0.elapsed().as_secs() < 5);
    }
}
