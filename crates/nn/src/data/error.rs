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
    /// A line has a different number of fields than the first one.
    #[error(
        "{file}:{line}: expected {expected} fields (as on the first data line), found {found}"
    )]
    Ragged {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Fields on the first data line.
        expected: usize,
        /// Fields on this line.
        found: usize,
    },
    /// A field is not a number.
    #[error("{file}:{line}: column {column} ({name}): {text:?} is not a number")]
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
}
