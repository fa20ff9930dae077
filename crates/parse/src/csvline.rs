//! One CSV line to fields (RFC 4180 quoting, `""` escapes), with `csv-core`, reusing buffers.

/// Reusable splitter: parse a line, then read fields by index.
pub struct CsvLine {
    rdr: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    n: usize,
}

impl Default for CsvLine {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvLine {
    pub fn new() -> Self {
        CsvLine {
            rdr: csv_core::Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 128],
            n: 0,
        }
    }

    /// Split `line` (no terminator). Returns the number of fields.
    pub fn parse(&mut self, line: &[u8]) -> usize {
        use csv_core::ReadRecordResult::*;
        self.rdr.reset();
        let mut input = line;
        let mut outlen = 0;
        let mut endlen = 0;
        let mut finishing = false;
        loop {
            let (res, nin, nout, nend) =
                self.rdr
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            input = &input[nin..];
            // csv-core's ends count from the start of the record, across calls.
            outlen += nout;
            endlen += nend;
            match res {
                InputEmpty => {
                    if finishing {
                        break;
                    }
                    finishing = input.is_empty();
                    if finishing {
                        input = &[];
                    }
                }
                OutputFull => {
                    let l = self.out.len();
                    self.out.resize(l * 2, 0);
                }
                OutputEndsFull => {
                    let l = self.ends.len();
                    self.ends.resize(l * 2, 0);
                }
                Record | End => break,
            }
        }
        self.n = endlen;
        endlen
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Field `i` of the last parsed line, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.n {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..self.ends[i]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_empty_fields() {
        let mut c = CsvLine::new();
        assert_eq!(c.parse(br#"a,"b,c",,"d ""q"" e",f"#), 5);
        assert_eq!(c.get(0).unwrap(), b"a");
        assert_eq!(c.get(1).unwrap(), b"b,c");
        assert_eq!(c.get(2).unwrap(), b"");
        assert_eq!(c.get(3).unwrap(), br#"d "q" e"#);
        assert_eq!(c.get(4).unwrap(), b"f");
        assert!(c.get(5).is_none());
        // Reuse and growth.
        let long: Vec<String> = (0..500).map(|i| format!("field{i}")).collect();
        let line = long.join(",");
        assert_eq!(c.parse(line.as_bytes()), 500);
        assert_eq!(c.get(499).unwrap(), b"field499");
        let big = format!("x,{},y", "z".repeat(100_000));
        assert_eq!(c.parse(big.as_bytes()), 3);
        assert_eq!(c.get(2).unwrap(), b"y");
    }

    #[test]
    fn unterminated_quote_does_not_panic() {
        let mut c = CsvLine::new();
        let n = c.parse(br#"a,"open"#);
        assert!(n >= 1);
    }
}
