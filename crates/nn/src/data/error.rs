//! `DataError`: what is wrong with the data, naming the file, line and column when there
//! is one.

use std::path::PathBuf;

use thiserror::Error;

/// An error from data loading or preparation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has no data lines.
    #[error("{file}: the file has no data rows")]
    EmptyFile {
        /// The file.
        file: String,
    },
    /// A line has a different number of fields than the header (or the first data line).
    #[error("{file}:{line}: too {} fields: found {found}, expected {expected} ({reference})", few_or_many(.found, .expected))]
    Ragged {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Fields in the header (or on the first data line without a header).
        expected: usize,
        /// Fields on this line.
        found: usize,
        /// Where `expected` comes from: "as in the header" or "as on the first data line".
        reference: &'static str,
    },
    /// A quote opened on `line` is never closed: the field runs to the end of the file
    /// (RFC 4180 quoting; the `csv` crate reads such a field to the end without an error).
    #[error(
        "{file}:{line}: a quoted field opened on this line is never closed (it runs to the \
         end of the file, {lines} lines): is a closing quote missing?"
    )]
    UnclosedQuote {
        /// The file.
        file: String,
        /// 1-based line where the record with the open quote starts.
        line: usize,
        /// How many lines the unclosed field spans.
        lines: usize,
    },
    /// The header line has a column without a name (often a trailing delimiter: `a,b,y,`).
    #[error("{file}:{line}: column {column} of {columns} in the header has no name{}", if .column == .columns { " (a trailing delimiter?)" } else { "" })]
    EmptyColumnName {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// Number of columns in the header.
        columns: usize,
    },
    /// Two header columns have the same name.
    #[error("{file}:{line}: the header names column {first} and column {second} both {name:?}")]
    DuplicateColumnName {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// The repeated name.
        name: String,
        /// 1-based number of its first column.
        first: usize,
        /// 1-based number of the repeat.
        second: usize,
    },
    /// The first line has no `expected` delimiter but holds another common one.
    #[error("{file}:1: no {expected:?} in the first line {line:?}, but it has {found:?}: set CsvOptions::delimiter({found:?}) or CsvOptions::sniff_delimiter()")]
    Delimiter {
        /// The file.
        file: String,
        /// The delimiter in the options.
        expected: char,
        /// The delimiter the line seems to use.
        found: char,
        /// The first line.
        line: String,
    },
    /// A field is not a number.
    #[error("{file}:{line}: column {column} ({name}): {text:?} is not a number (if {name:?} holds categories, read it with CsvOptions::categorical and read_table, then encode it with OneHotEncoder or OrdinalEncoder)")]
    NotNumeric {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The column's name (from the header) or its number.
        name: String,
        /// The offending text.
        text: String,
    },
    /// A number too large for the element type being read (`1e39` into `f32`, `1e400`
    /// into either): it would become an infinity. An infinity spelled out (`inf`,
    /// `-Infinity`) is read as one.
    #[error("{file}:{line}: column {column} ({name}): {text:?} is too large for {dtype} and would read as an infinity; read the file as f64, or rescale the column in the file")]
    OutOfRange {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The column's name (from the header) or its number.
        name: String,
        /// The offending text.
        text: String,
        /// The element type read into (`f32`, `f64`).
        dtype: &'static str,
    },
    /// A requested target column does not exist.
    #[error("{file}: target column {column} not found (columns: {available})")]
    MissingTarget {
        /// The file.
        file: String,
        /// The column asked for.
        column: String,
        /// What the file has.
        available: String,
    },
    /// A column asked for by name does not exist.
    #[error("{file}: no column {column:?} (columns: {})", available.join(", "))]
    UnknownColumn {
        /// The file (or table) the column was looked up in.
        file: String,
        /// The name asked for.
        column: String,
        /// The names that exist.
        available: Vec<String>,
    },
    /// A column holds text where numbers were asked for, or numbers where text was.
    #[error("column {column:?} holds {found}, not {expected}")]
    ColumnType {
        /// The column.
        column: String,
        /// What was asked for ("numbers" or "text").
        expected: &'static str,
        /// What it holds.
        found: &'static str,
    },
    /// An encoder met a category it did not see when fitted.
    #[error("column {column:?}: unknown category {value:?} (known: {}); fit on more data or use HandleUnknown::Ignore", known.join(", "))]
    UnknownCategory {
        /// The column.
        column: String,
        /// The unseen value.
        value: String,
        /// The categories seen in fit.
        known: Vec<String>,
    },
    /// A fraction is outside its valid range.
    #[error("{what} must be in (0, 1), got {value}")]
    InvalidFraction {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// The data has too few rows for the operation.
    #[error("{what}: {reason}")]
    Invalid {
        /// The operation.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A stratified split met a class with fewer than 2 rows: it cannot appear on both
    /// sides (scikit-learn raises the same error).
    #[error(
        "train_test_split (stratify): class {class} has only {count} row(s); every class needs \
         at least 2 to appear in both parts"
    )]
    ClassTooSmall {
        /// The class index.
        class: usize,
        /// Its number of rows.
        count: usize,
    },
    /// A stratified split's train or test part would have fewer rows than there are
    /// classes, so some class could not appear in it.
    #[error(
        "train_test_split (stratify): the {part} part would have {rows} row(s), fewer than \
         the {classes} classes"
    )]
    PartSmallerThanClasses {
        /// `"train"` or `"test"`.
        part: &'static str,
        /// Rows that part would get.
        rows: usize,
        /// Number of classes present.
        classes: usize,
    },
    /// A column a scaler cannot be fitted to: no values (no rows, or every value
    /// missing) or an infinite value, which would make every transformed value NaN or ±∞.
    #[error("{what}: column {column} {reason}")]
    Column {
        /// The operation (`StandardScaler::fit`).
        what: &'static str,
        /// The column's index.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
}

fn few_or_many(found: &usize, expected: &usize) -> &'static str {
    if found < expected {
        "few"
    } else {
        "many"
    }
}
