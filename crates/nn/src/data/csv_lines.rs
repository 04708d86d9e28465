//! Line endings for the CSV reader ([`super::csv_source`]): every record ends in one `\n`,
//! so that line numbers come out right whatever the file used, and the quotes the text
//! ends with are counted, to tell a quoted field left open at the end of the file.

use std::io::Read;

/// Normalizes line endings to `\n` as the bytes stream by: `\r\n` and a lone `\r` (old
/// Mac OS, some exporters) become `\n`, and a missing final `\n` is added.
///
/// The `csv` crate splits records on all three endings itself, but counts lines only at
/// `\n` and reports a record's position as where the previous one ended. With every record
/// ending in exactly one `\n`, the line a record ends on is the reader's line after it
/// minus one, whatever the file used. (A `\r\n` inside a quoted field becomes `\n`.)
pub(super) struct Lines<R> {
    inner: R,
    /// The last byte read was `\r` (a `\n` right after it is dropped).
    after_cr: bool,
    /// The last byte handed out, to add a final `\n` if it was not one.
    last: Option<u8>,
    pub(super) done: bool,
    /// Bytes handed out so far (after normalizing).
    pub(super) emitted: u64,
    /// The run of `"` that the bytes handed out end with, line ends after it not
    /// counted: odd when the text ends in a closing quote (`…"`, or `…"""` after an
    /// escaped one), even when a quoted field runs to the end of the file without one
    /// (see [`Source::next_record`](super::csv_source::Source::next_record)).
    pub(super) tail_quotes: usize,
    /// Line ends were handed out after the last `"` of `tail_quotes`.
    newline_after_quotes: bool,
}

impl<R> Lines<R> {
    pub(super) fn new(inner: R) -> Self {
        Lines {
            inner,
            after_cr: false,
            last: None,
            done: false,
            emitted: 0,
            tail_quotes: 0,
            newline_after_quotes: false,
        }
    }

    /// Records bytes handed out: their count, and the quotes they end with.
    fn handed_out(&mut self, bytes: &[u8]) {
        self.emitted += bytes.len() as u64;
        let newlines = bytes.iter().rev().take_while(|&&b| b == b'\n').count();
        let body = &bytes[..bytes.len() - newlines];
        if body.is_empty() {
            self.newline_after_quotes |= newlines > 0;
            return;
        }
        let quotes = body.iter().rev().take_while(|&&b| b == b'"').count();
        if quotes == body.len() && !self.newline_after_quotes {
            self.tail_quotes += quotes; // the run goes on from the previous read
        } else {
            self.tail_quotes = quotes;
        }
        self.newline_after_quotes = newlines > 0;
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while !self.done && !buf.is_empty() {
            let n = self.inner.read(buf)?;
            if n == 0 {
                self.done = true;
                if !matches!(self.last, None | Some(b'\n')) {
                    buf[0] = b'\n';
                    self.last = Some(b'\n');
                    self.handed_out(b"\n");
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut w = 0;
            if !self.after_cr && !buf[..n].contains(&b'\r') {
                w = n; // the common case: nothing to change
            } else {
                for r in 0..n {
                    let b = buf[r];
                    if std::mem::replace(&mut self.after_cr, b == b'\r') && b == b'\n' {
                        continue;
                    }
                    buf[w] = if b == b'\r' { b'\n' } else { b };
                    w += 1;
                }
            }
            if w > 0 {
                self.last = Some(buf[w - 1]);
                self.handed_out(&buf[..w]);
                return Ok(w);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte per `read`, so a `\r\n` is split across reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.split_first() {
                Some((&b, rest)) if !buf.is_empty() => {
                    buf[0] = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn normalized(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lines = Lines::new(Trickle(text));
        lines.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn line_endings_become_one_newline_even_across_reads() {
        assert_eq!(normalized(b"a\r\nb\rc\n\r\nd"), b"a\nb\nc\n\nd\n");
        assert_eq!(normalized(b"a\r"), b"a\n");
        assert_eq!(normalized(b""), b"");
    }

    /// The run of quotes the text ends with (line ends aside), read one byte at a time.
    #[test]
    fn the_final_run_of_quotes_is_counted_across_reads() {
        for (text, run) in [
            (&b"x\"\"\"\r\n\n"[..], 3),
            (b"\"\"\n\"", 1),
            (b"x\"\"", 2),
            (b"\"x", 0),
            (b"", 0),
        ] {
            let mut lines = Lines::new(Trickle(text));
            lines.read_to_end(&mut Vec::new()).unwrap();
            assert_eq!(lines.tail_quotes, run, "{text:?}");
        }
    }
}
