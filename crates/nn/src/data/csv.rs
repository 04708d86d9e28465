//! Numeric CSV files into a [`Dataset`]: header or not, target columns by name or
//! position, RFC 4180 quoting (through the `csv` crate), any one-byte delimiter (or sniffed),
//! CRLF/LF/CR line endings, a leading UTF-8 BOM, and pandas' missing-value spellings read as
//! NaN. Errors name the file, line and column and quote the text; nothing panics on bad input.
//!
//! For text (categorical) columns, see [`read_table`](super::read_table).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ::csv::ByteRecord;
use tensor::{Float, Tensor};

use super::csv_source::Source;
use super::dataset::Dataset;
use super::error::DataError;

/// Which column(s) hold the targets.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The last column.
    Last,
    /// Columns by 0-based position.
    Indices(Vec<usize>),
    /// Columns by header name (needs a header).
    Names(Vec<String>),
    /// No targets (`y` is empty, `[N, 0]`).
    None,
}

/// How to read a CSV file, with pandas' `read_csv` defaults where they apply.
///
/// Build it with struct update syntax or the builder methods:
///
/// ```
/// use nn::data::{CsvOptions, Target};
/// let uci = CsvOptions::new().header(false).na_values(["?"]).target(Target::Indices(vec![0]));
/// let european = CsvOptions::new().delimiter(';');
/// let anything = CsvOptions::new().sniff_delimiter();
/// # let _ = (uci, european, anything);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
    /// The first line names the columns (default true).
    pub header: bool,
    /// The field separator: any one ASCII character (default `,`).
    pub delimiter: char,
    /// Pick the delimiter from the first line instead: the most frequent of `,` `;` tab
    /// outside quotes (`delimiter` if none occurs). Default false.
    pub sniff_delimiter: bool,
    /// The target column(s) (default the last one).
    pub target: Target,
    /// More spellings of a missing value, read as NaN, besides the empty field and pandas'
    /// defaults (`NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `#N/A`, `-NaN`, `-nan`, `<NA>`,
    /// `n/a`, `#N/A N/A`, `#NA`, `-1.#IND`, `-1.#QNAN`, `1.#IND`, `1.#QNAN`, `None`). UCI
    /// files often use `?`.
    pub na_values: Vec<String>,
    /// Columns kept as text by [`read_table`](super::read_table), for the encoders in
    /// [`encode`](super::OneHotEncoder).
    pub categorical: Vec<String>,
}

impl Default for CsvOptions {
    /// Comma-separated, with a header, target in the last column.
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: ',',
            sniff_delimiter: false,
            target: Target::Last,
            na_values: Vec::new(),
            categorical: Vec::new(),
        }
    }
}

impl CsvOptions {
    /// The defaults: comma-separated, with a header, target in the last column.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets whether the first line is a header.
    #[must_use]
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Sets the delimiter (one ASCII character).
    #[must_use]
    pub fn delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Picks the delimiter from the first line (`,` `;` or tab).
    #[must_use]
    pub fn sniff_delimiter(mut self) -> Self {
        self.sniff_delimiter = true;
        self
    }

    /// Sets the target column(s).
    #[must_use]
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Adds spellings of a missing value (pandas' `na_values`).
    #[must_use]
    pub fn na_values<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.na_values.extend(values.into_iter().map(Into::into));
        self
    }

    /// Names columns to keep as text in [`read_table`](super::read_table).
    #[must_use]
    pub fn categorical<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.categorical.extend(columns.into_iter().map(Into::into));
        self
    }
}

/// Reads a numeric CSV file into a dataset, streaming: the text is read in 64 KiB chunks
/// and parsed straight into the `x` and `y` buffers.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read; otherwise as [`parse_csv`].
///
/// ```
/// use nn::data::{read_csv, CsvOptions, Target};
/// let path = std::env::temp_dir().join(format!("doc-read-csv-{}.csv", std::process::id()));
/// // A UCI-style file: semicolons, "?" for a missing value, the label first.
/// std::fs::write(&path, "label;x1;x2\r\n1;0.5;?\r\n0;2;3\r\n").unwrap();
/// let opts = CsvOptions::new().sniff_delimiter().na_values(["?"]).target(Target::Indices(vec![0]));
/// let data = read_csv::<f32>(&path, &opts).unwrap();
/// assert_eq!((data.x.shape(), data.y.to_vec()), (&[2, 2][..], vec![1.0, 0.0]));
/// assert!(data.x.to_vec()[1].is_nan());
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_csv<T: Float>(
    path: impl AsRef<Path>,
    options: &CsvOptions,
) -> Result<Dataset<T>, DataError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_dataset(
        BufReader::with_capacity(1 << 16, file),
        &path.display().to_string(),
        options,
    )
}

/// Parses numeric CSV text; `file` names the source in errors.
///
/// # Errors
/// * [`DataError::EmptyFile`] without data rows;
/// * [`DataError::Ragged`]: a line with too few or too many fields (line, counts);
/// * [`DataError::UnclosedQuote`]: a quote never closed, so that its field runs to the
///   end of the file, in any column (the line it opens on);
/// * [`DataError::NotNumeric`]: line, column and the text;
/// * [`DataError::EmptyColumnName`], [`DataError::DuplicateColumnName`]: a bad header;
/// * [`DataError::Delimiter`]: the first line uses another delimiter;
/// * [`DataError::MissingTarget`]: the target does not exist (lists the columns);
/// * [`DataError::Invalid`]: `categorical` columns were given (use
///   [`read_table`](super::read_table)) or the delimiter is not one ASCII character.
///
/// ```
/// use nn::data::{parse_csv, CsvOptions, Target};
/// let text = "a,b,y\n1,2,0\n3,NA,1\n";
/// let data = parse_csv::<f32>(text, "inline.csv", &CsvOptions::default()).unwrap();
/// assert_eq!(data.x.shape(), &[2, 2]);
/// assert!(data.x.to_vec()[3].is_nan());
/// assert_eq!(data.feature_names, vec!["a", "b"]);
///
/// // A spreadsheet export: BOM, CRLF, quoted names and numbers.
/// let excel = "\u{feff}\"age, years\",\"income\"\r\n\"41\",\"1,5e3\"\r\n";
/// let err = parse_csv::<f32>(excel, "x.csv", &CsvOptions::default()).unwrap_err();
/// assert!(err.to_string().starts_with("x.csv:2: column 2 (income): \"1,5e3\" is not a number"));
/// let excel = "\u{feff}\"age, years\",\"income\"\r\n\"41\",\"1500\"\r\n";
/// let data = parse_csv::<f32>(excel, "x.csv", &CsvOptions::default()).unwrap();
/// assert_eq!((data.feature_names[0].as_str(), data.x.to_vec()[0]), ("age, years", 41.0));
/// ```
pub fn parse_csv<T: Float>(
    text: &str,
    file: &str,
    options: &CsvOptions,
) -> Result<Dataset<T>, DataError> {
    read_dataset(text.as_bytes(), file, options)
}

/// The 0-based positions of the target columns.
fn target_columns(target: &Target, names: &[String], file: &str) -> Result<Vec<usize>, DataError> {
    let width = names.len();
    match target {
        Target::Last => Ok(vec![width - 1]),
        Target::None => Ok(vec![]),
        Target::Indices(ix) => match ix.iter().find(|&&j| j >= width) {
            Some(&bad) => Err(DataError::MissingTarget {
                file: file.to_string(),
                column: bad.to_string(),
                available: format!("{width} columns"),
            }),
            None => Ok(ix.clone()),
        },
        Target::Names(wanted) => wanted
            .iter()
            .map(|w| {
                names
                    .iter()
                    .position(|n| n == w)
                    .ok_or_else(|| DataError::MissingTarget {
                        file: file.to_string(),
                        column: format!("{w:?}"),
                        available: names.join(", "),
                    })
            })
            .collect(),
    }
}

fn read_dataset<T: Float, R: BufRead>(
    input: R,
    file: &str,
    options: &CsvOptions,
) -> Result<Dataset<T>, DataError> {
    if !options.categorical.is_empty() {
        return Err(DataError::Invalid {
            what: "read_csv",
            reason: format!(
                "{file}: read_csv reads numbers only; read the categorical columns {:?} with read_table",
                options.categorical
            ),
        });
    }
    let mut source = Source::open(input, file, options)?;
    let targets = target_columns(&options.target, &source.names, file)?;
    let features: Vec<usize> = (0..source.names.len())
        .filter(|j| !targets.contains(j))
        .collect();
    let (mut x, mut y) = (Vec::<T>::new(), Vec::<T>::new());
    let mut row = vec![T::ZERO; source.names.len()];
    let mut record = ByteRecord::new();
    let mut n = 0;
    while let Some(line) = source.next_record(&mut record)? {
        for (j, field) in record.iter().enumerate() {
            row[j] = source.number_as::<T>(field, line, j)?;
        }
        x.extend(features.iter().map(|&j| row[j]));
        y.extend(targets.iter().map(|&j| row[j]));
        n += 1;
    }
    if n == 0 {
        return Err(DataError::EmptyFile {
            file: file.to_string(),
        });
    }
    let names =
        |cols: &[usize]| -> Vec<String> { cols.iter().map(|&j| source.names[j].clone()).collect() };
    Ok(Dataset {
        x: Tensor::from_vec(x, &[n, features.len()]).expect("rectangular"),
        y: Tensor::from_vec(y, &[n, targets.len()]).expect("rectangular"),
        feature_names: names(&features),
        target_names: names(&targets),
    })
}
