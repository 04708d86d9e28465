//! Numeric CSV files: header or not, target columns by name or position, empty and `NA`
//! fields read as NaN. Errors name the file, line and column and quote the text; nothing
//! panics on bad input.

use std::path::Path;

use tensor::{Float, Tensor};

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

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
    /// The first line names the columns.
    pub header: bool,
    /// The field separator.
    pub delimiter: char,
    /// The target column(s).
    pub target: Target,
}

impl Default for CsvOptions {
    /// Comma-separated, with a header, target in the last column.
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: ',',
            target: Target::Last,
        }
    }
}

/// Reads a numeric CSV file into a dataset.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read; otherwise as [`parse_csv`].
pub fn read_csv<T: Float>(
    path: impl AsRef<Path>,
    options: &CsvOptions,
) -> Result<Dataset<T>, DataError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_csv(&text, &path.display().to_string(), options)
}

/// Parses numeric CSV text; `file` names the source in errors.
///
/// # Errors
/// [`DataError::EmptyFile`], [`DataError::Ragged`] (line and field counts),
/// [`DataError::NotNumeric`] (line, column and the text), [`DataError::MissingTarget`].
///
/// ```
/// use nn::data::{parse_csv, CsvOptions, Target};
/// let text = "a,b,y\n1,2,0\n3,NA,1\n";
/// let data = parse_csv::<f32>(text, "inline.csv", &CsvOptions::default()).unwrap();
/// assert_eq!(data.x.shape(), &[2, 2]);
/// assert!(data.x.to_vec()[3].is_nan());
/// assert_eq!(data.feature_names, vec!["a", "b"]);
/// let err = parse_csv::<f32>("a,y\n1,0\nx,1\n", "bad.csv", &CsvOptions::default()).unwrap_err();
/// assert_eq!(err.to_string(), "bad.csv:3: column 1 (a): \"x\" is not a number");
/// ```
pub fn parse_csv<T: Float>(
    text: &str,
    file: &str,
    options: &CsvOptions,
) -> Result<Dataset<T>, DataError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let split = |l: &str| -> Vec<String> {
        l.split(options.delimiter)
            .map(|f| f.trim().to_string())
            .collect()
    };
    let names: Option<Vec<String>> = if options.header {
        lines.next().map(|(_, l)| split(l))
    } else {
        None
    };
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut width = names.as_ref().map(|n| n.len());
    for (i, line) in lines {
        let fields = split(line);
        let expected = *width.get_or_insert(fields.len());
        if fields.len() != expected {
            return Err(DataError::Ragged {
                file: file.to_string(),
                line: i + 1,
                expected,
                found: fields.len(),
            });
        }
        let mut row = Vec::with_capacity(fields.len());
        for (j, f) in fields.iter().enumerate() {
            let v = if f.is_empty() || f == "NA" || f == "NaN" || f == "nan" {
                f64::NAN
            } else {
                f.parse::<f64>().map_err(|_| DataError::NotNumeric {
                    file: file.to_string(),
                    line: i + 1,
                    column: j + 1,
                    name: names
                        .as_ref()
                        .and_then(|n| n.get(j).cloned())
                        .unwrap_or_else(|| format!("#{}", j + 1)),
                    text: f.clone(),
                })?
            };
            row.push(v);
        }
        rows.push(row);
    }
    let width = match (rows.is_empty(), width) {
        (false, Some(w)) => w,
        _ => {
            return Err(DataError::EmptyFile {
                file: file.to_string(),
            })
        }
    };
    let names = names.unwrap_or_else(|| (0..width).map(|j| format!("column_{j}")).collect());
    let targets: Vec<usize> = match &options.target {
        Target::Last => vec![width - 1],
        Target::None => vec![],
        Target::Indices(ix) => {
            if let Some(&bad) = ix.iter().find(|&&j| j >= width) {
                return Err(DataError::MissingTarget {
                    file: file.to_string(),
                    column: bad.to_string(),
                    available: format!("{width} columns"),
                });
            }
            ix.clone()
        }
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
            .collect::<Result<_, _>>()?,
    };
    let features: Vec<usize> = (0..width).filter(|j| !targets.contains(j)).collect();
    let n = rows.len();
    let pick = |cols: &[usize]| -> Tensor<T> {
        let data = rows
            .iter()
            .flat_map(|r| cols.iter().map(|&j| T::from_f64(r[j])))
            .collect();
        Tensor::from_vec(data, &[n, cols.len()]).expect("rectangular")
    };
    Ok(Dataset {
        x: pick(&features),
        y: pick(&targets),
        feature_names: features.iter().map(|&j| names[j].clone()).collect(),
        target_names: targets.iter().map(|&j| names[j].clone()).collect(),
    })
}
