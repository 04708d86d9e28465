//! The one CSV reading path under [`read_csv`](super::read_csv), [`parse_csv`](super::parse_csv)
//! and [`read_table`](super::read_table): the `csv` crate does the RFC 4180 tokenizing
//! (quotes, doubled quotes, delimiters and newlines inside quotes); this file adds what
//! files from spreadsheets and other programs need around it — a leading UTF-8 BOM skipped,
//! CR-only line endings, delimiter sniffing, header checks, field-count checks with line
//! numbers, and pandas' missing-value spellings.
//!
//! Records stream through one reused `ByteRecord`; nothing holds the whole text.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use ::csv::{ByteRecord, ReaderBuilder};
use tensor::Float;

use super::csv::CsvOptions;
use super::csv_lines::Lines;
use super::error::DataError;

/// pandas' default `na_values` (`pandas.read_csv`, `keep_default_na=True`): fields spelled
/// like this read as NaN. The empty field is checked separately.
pub(super) const DEFAULT_NA_VALUES: &[&str] = &[
    "NA", "N/A", "NaN", "nan", "null", "NULL", "#N/A", "-NaN", "-nan", "<NA>", "n/a", "#N/A N/A",
    "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN", "None",
];

/// An open CSV source: the header has been read and checked; data records stream.
pub(super) struct Source<R: Read> {
    reader: ::csv::Reader<Lines<R>>,
    /// Names the source in errors.
    pub file: String,
    /// Column names: from the header, or `column_0`, `column_1`, … without one.
    pub names: Vec<String>,
    /// Whether `names` came from a header line (for error messages).
    pub has_header: bool,
    /// The first data record, already read to learn the width when there is no header.
    pending: Option<(ByteRecord, u64)>,
    na_values: Vec<Vec<u8>>,
}

/// The single-byte delimiter a `char` stands for.
fn delimiter_byte(d: char, file: &str) -> Result<u8, DataError> {
    u8::try_from(d)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| DataError::Invalid {
            what: "CsvOptions::delimiter",
            reason: format!("{file}: the delimiter must be one ASCII character, got {d:?}"),
        })
}

/// The first line of `bytes` (up to `\r` or `\n`, not inside quotes).
fn first_line(bytes: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\r' | b'\n' if !quoted => return &bytes[..i],
            _ => {}
        }
    }
    bytes
}

/// Counts `,` `;` `\t` outside quotes on the header line and picks the most frequent (ties
/// in that order); `None` if the line has none of them.
fn sniff(line: &[u8]) -> Option<u8> {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).rev().max_by_key(|&i| counts[i])?;
    (counts[best] > 0).then_some([b',', b';', b'\t'][best])
}

impl<R: BufRead> Source<R> {
    /// Opens `input`: skips a UTF-8 BOM, detects CR-only line endings, picks the delimiter
    /// (sniffed if asked), reads and checks the header.
    pub(super) fn open(mut input: R, file: &str, options: &CsvOptions) -> Result<Self, DataError> {
        let io = |source| DataError::Io {
            file: PathBuf::from(file),
            source,
        };
        let peek = input.fill_buf().map_err(io)?;
        // UTF-16 (Excel's "Unicode Text", PowerShell's default): a byte-order mark, or a
        // zero byte beside every ASCII one. Said so, rather than "too few fields" later.
        let utf16 = peek.starts_with(b"\xFF\xFE")
            || peek.starts_with(b"\xFE\xFF")
            || (peek.len() >= 4
                && peek.iter().take(64).filter(|&&b| b == 0).count() * 2 >= peek.len().min(64));
        if utf16 {
            return Err(DataError::Invalid {
                what: "CSV",
                reason: format!(
                    "{file}: the file looks UTF-16 encoded (a UTF-16 byte-order mark or zero \
                     bytes between the characters); save it as UTF-8 (in Excel: CSV UTF-8)"
                ),
            });
        }
        let bom = peek.starts_with(b"\xEF\xBB\xBF");
        let peek = if bom { &peek[3..] } else { peek };
        let line = first_line(peek);
        let mut delimiter = delimiter_byte(options.delimiter, file)?;
        if options.sniff_delimiter {
            delimiter = sniff(line).unwrap_or(delimiter);
        }
        // A header in one column that holds another common delimiter means the file uses
        // that one: say so instead of failing later on "not a number".
        let other = [b';', b'\t', b',']
            .into_iter()
            .find(|&d| d != delimiter && line.contains(&d) && !line.contains(&delimiter));
        if let (Some(found), false) = (other, line.is_empty()) {
            if !line.contains(&b'"') {
                return Err(DataError::Delimiter {
                    file: file.to_string(),
                    expected: char::from(delimiter),
                    found: char::from(found),
                    line: String::from_utf8_lossy(line).into_owned(),
                });
            }
        }
        if bom {
            input.consume(3);
        }
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(Lines::new(input));
        let mut source = Source {
            reader,
            file: file.to_string(),
            names: Vec::new(),
            has_header: options.header,
            pending: None,
            na_values: options
                .na_values
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        };
        let mut first = ByteRecord::new();
        let Some(line) = source.read_raw(&mut first)? else {
            return Err(DataError::EmptyFile {
                file: file.to_string(),
            });
        };
        if options.header {
            if let Some(lines) = source.open_quote(&first) {
                // As in `next_record`: the header's quoted field never closed.
                return Err(DataError::UnclosedQuote {
                    file: file.to_string(),
                    line: line as usize + 1,
                    lines,
                });
            }
            source.names = first
                .iter()
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                .collect();
            source.check_header(line)?;
        } else {
            source.names = (0..first.len()).map(|j| format!("column_{j}")).collect();
            source.pending = Some((first, line));
        }
        Ok(source)
    }

    fn check_header(&self, line: u64) -> Result<(), DataError> {
        for (j, name) in self.names.iter().enumerate() {
            if name.is_empty() {
                return Err(DataError::EmptyColumnName {
                    file: self.file.clone(),
                    line,
                    column: j + 1,
                    columns: self.names.len(),
                });
            }
            if let Some(k) = self.names[..j].iter().position(|n| n == name) {
                return Err(DataError::DuplicateColumnName {
                    file: self.file.clone(),
                    line,
                    name: name.clone(),
                    first: k + 1,
                    second: j + 1,
                });
            }
        }
        Ok(())
    }

    /// The next non-blank record and its 1-based line, without the width check.
    fn read_raw(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, DataError> {
        loop {
            let more = self
                .reader
                .read_byte_record(record)
                .map_err(|e| match e.into_kind() {
                    ::csv::ErrorKind::Io(source) => DataError::Io {
                        file: PathBuf::from(&self.file),
                        source,
                    },
                    other => DataError::Invalid {
                        what: "CSV",
                        reason: format!("{}: {other:?}", self.file),
                    },
                })?;
            if !more {
                return Ok(None);
            }
            // The csv crate skips empty lines; a line of only spaces is one blank field,
            // skipped too. A line `""` is one empty field: in a one-column file a missing
            // value (pandas writes one so with `QUOTE_ALL`), kept as a row; in a wider
            // file (or before the width is known) a blank line, skipped as before.
            let one_column = self.names.len() == 1;
            if record.len() == 1
                && record[0].trim_ascii().is_empty()
                && !(one_column && record[0].is_empty())
            {
                continue;
            }
            // The record ended with the `\n` before the reader's line (see `Lines`); it
            // started as many lines earlier as it has quoted newlines.
            let end = self.reader.position().line() - 1;
            let inside = record.as_slice().iter().filter(|&&b| b == b'\n').count();
            return Ok(Some(end - inside as u64));
        }
    }

    /// Reads the next data record into `record`; returns its 1-based line, `None` at the end.
    ///
    /// # Errors
    /// [`DataError::Ragged`] if it has a different number of fields than the header (or the
    /// first data line without a header).
    pub(super) fn next_record(
        &mut self,
        record: &mut ByteRecord,
    ) -> Result<Option<u64>, DataError> {
        let line = match self.pending.take() {
            Some((first, line)) => {
                *record = first;
                line
            }
            None => match self.read_raw(record)? {
                Some(line) => line,
                None => return Ok(None),
            },
        };
        if let Some(lines) = self.open_quote(record) {
            // The field swallowed the line ends up to the end of the file: one more than
            // `read_raw` assumed, which started the record a line too early.
            return Err(DataError::UnclosedQuote {
                file: self.file.clone(),
                line: line as usize + 1,
                lines,
            });
        }
        if record.len() != self.names.len() {
            return Err(DataError::Ragged {
                file: self.file.clone(),
                line: line as usize,
                expected: self.names.len(),
                found: record.len(),
                reference: if self.has_header {
                    "as in the header"
                } else {
                    "as on the first data line"
                },
            });
        }
        Ok(Some(line))
    }

    /// How many lines the last field of `record` spans, if it is a quoted field that was
    /// never closed. Such a field runs to the end of the file (so `record` is the last
    /// one, and it took every byte), ends with a line end (the csv crate keeps the one
    /// `Lines` adds), and the file does not end in a closing quote: the text's final run
    /// of `"` (line ends aside) is even — none, or escaped pairs inside the field. A
    /// closed field ending in a line end (`"x⏎"`) leaves an odd run.
    fn open_quote(&self, record: &ByteRecord) -> Option<usize> {
        let last = record.iter().next_back()?;
        let lines = self.reader.get_ref();
        let took_all = lines.done && self.reader.position().byte() == lines.emitted;
        (last.ends_with(b"\n") && took_all && lines.tail_quotes.is_multiple_of(2))
            .then(|| last.iter().filter(|&&b| b == b'\n').count())
    }

    /// True if `field` spells a missing value: empty, a user-given spelling, or one of
    /// pandas' defaults.
    pub(super) fn is_na(&self, field: &[u8]) -> bool {
        field.is_empty()
            || self.na_values.iter().any(|n| n == field)
            || DEFAULT_NA_VALUES.iter().any(|n| n.as_bytes() == field)
    }

    /// Parses field `j` of a record on `line` as a number (NaN for missing values),
    /// ignoring spaces around it.
    ///
    /// # Errors
    /// [`DataError::NotNumeric`] naming the line, column and text.
    #[inline]
    pub(super) fn number(&self, field: &[u8], line: u64, j: usize) -> Result<f64, DataError> {
        let field = field.trim_ascii();
        if field.is_empty() {
            return Ok(f64::NAN);
        }
        if !self.na_values.is_empty() && self.na_values.iter().any(|n| n == field) {
            return Ok(f64::NAN);
        }
        if let Some(v) = std::str::from_utf8(field)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            return Ok(v);
        }
        if self.is_na(field) {
            return Ok(f64::NAN);
        }
        Err(DataError::NotNumeric {
            file: self.file.clone(),
            line: line as usize,
            column: j + 1,
            name: self.names[j].clone(),
            text: String::from_utf8_lossy(field).into_owned(),
        })
    }

    /// [`Source::number`] as a `T`: a number that would become an infinity in `T`
    /// without being spelled as one is [`DataError::OutOfRange`].
    #[inline]
    pub(super) fn number_as<T: Float>(
        &self,
        field: &[u8],
        line: u64,
        j: usize,
    ) -> Result<T, DataError> {
        let v = self.number(field, line, j)?;
        let t = T::from_f64(v);
        if t.is_finite() || v.is_nan() || spells_infinity(field) {
            return Ok(t);
        }
        Err(DataError::OutOfRange {
            file: self.file.clone(),
            line: line as usize,
            column: j + 1,
            name: self.names[j].clone(),
            text: String::from_utf8_lossy(field.trim_ascii()).into_owned(),
            dtype: T::NAME,
        })
    }
}

/// True if `field` is an infinity by name (`inf`, `+Infinity`, `-INF`), as Rust's and
/// pandas' parsers spell one.
fn spells_infinity(field: &[u8]) -> bool {
    let f = field.trim_ascii();
    let f = f
        .strip_prefix(b"+")
        .or_else(|| f.strip_prefix(b"-"))
        .unwrap_or(f);
    f.eq_ignore_ascii_case(b"inf") || f.eq_ignore_ascii_case(b"infinity")
}
