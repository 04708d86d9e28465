//! `Table`: a CSV file as named columns of numbers or text, what `pandas.read_csv` gives a
//! scikit-learn user before a `ColumnTransformer`. Text columns feed the encoders
//! ([`OneHotEncoder`](super::OneHotEncoder), [`OrdinalEncoder`](super::OrdinalEncoder),
//! [`LabelEncoder`](super::LabelEncoder)); numeric columns become a tensor with
//! [`Table::to_tensor`].

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ::csv::ByteRecord;
use tensor::{Float, Tensor};

use super::csv::CsvOptions;
use super::csv_source::Source;
use super::dataset::{Dataset, SplitOptions};
use super::error::DataError;

/// One column of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Numbers; missing values are NaN.
    Numbers(Vec<f64>),
    /// Text, as written in the file (quotes removed, surrounding spaces trimmed). Missing
    /// values stay as their text (often `""`), so an encoder treats them as one more
    /// category.
    Text(Vec<String>),
}

impl Column {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Column::Numbers(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    /// True if the column has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn kind(&self) -> &'static str {
        match self {
            Column::Numbers(_) => "numbers",
            Column::Text(_) => "text",
        }
    }

    fn select(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numbers(v) => Column::Numbers(rows.iter().map(|&i| v[i]).collect()),
            Column::Text(v) => Column::Text(rows.iter().map(|&i| v[i].clone()).collect()),
        }
    }
}

/// Named columns of equal length, read by [`read_table`].
///
/// ```
/// use nn::data::{parse_table, CsvOptions, OneHotEncoder};
/// let text = "age,city,y\n31,Seoul,1\n45,Lima,0\n27,Seoul,1\n";
/// let table = parse_table(text, "people.csv", &CsvOptions::new().categorical(["city"])).unwrap();
/// assert_eq!(table.text("city").unwrap(), ["Seoul", "Lima", "Seoul"]);
/// let x_num = table.to_tensor::<f32>(&["age"]).unwrap();             // [3, 1]
/// let enc = OneHotEncoder::fit(&table, &["city"]).unwrap();
/// let x_city = enc.transform::<f32>(&table).unwrap();                  // [3, 2]
/// assert_eq!(enc.feature_names(), ["city=Lima", "city=Seoul"]);
/// assert_eq!(x_city.to_vec(), [0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
/// # let _ = x_num;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Names the source in errors.
    source: String,
    names: Vec<String>,
    columns: Vec<Column>,
}

/// Reads a CSV file into a [`Table`]: the columns named in
/// [`CsvOptions::categorical`] as text, every other column as numbers. `target` is ignored
/// (a table keeps every column).
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read; otherwise as [`parse_table`].
pub fn read_table(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table, DataError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    table_from(
        BufReader::with_capacity(1 << 16, file),
        &path.display().to_string(),
        options,
    )
}

/// Parses CSV text into a [`Table`]; `file` names the source in errors.
///
/// # Errors
/// As [`parse_csv`](super::parse_csv), and [`DataError::UnknownColumn`] if a categorical
/// column does not exist. A text value in a numeric column is [`DataError::NotNumeric`],
/// whose message suggests listing the column in `categorical`.
pub fn parse_table(text: &str, file: &str, options: &CsvOptions) -> Result<Table, DataError> {
    table_from(text.as_bytes(), file, options)
}

fn table_from<R: BufRead>(input: R, file: &str, options: &CsvOptions) -> Result<Table, DataError> {
    let mut source = Source::open(input, file, options)?;
    let unknown = options
        .categorical
        .iter()
        .find(|c| !source.names.contains(c));
    if let Some(c) = unknown {
        return Err(DataError::UnknownColumn {
            file: file.to_string(),
            column: c.clone(),
            available: source.names.clone(),
        });
    }
    let mut columns: Vec<Column> = source
        .names
        .iter()
        .map(|n| {
            if options.categorical.contains(n) {
                Column::Text(Vec::new())
            } else {
                Column::Numbers(Vec::new())
            }
        })
        .collect();
    let mut record = ByteRecord::new();
    let mut n = 0;
    while let Some(line) = source.next_record(&mut record)? {
        for (j, field) in record.iter().enumerate() {
            match &mut columns[j] {
                Column::Numbers(v) => v.push(source.number_as::<f64>(field, line, j)?),
                Column::Text(v) => v.push(String::from_utf8_lossy(field.trim_ascii()).into_owned()),
            }
        }
        n += 1;
    }
    if n == 0 {
        return Err(DataError::EmptyFile {
            file: file.to_string(),
        });
    }
    Ok(Table {
        source: file.to_string(),
        names: source.names,
        columns,
    })
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// True if there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column names, in file order.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The names of the numeric columns, in file order.
    #[must_use]
    pub fn numeric_names(&self) -> Vec<&str> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter(|(_, c)| matches!(c, Column::Numbers(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`] listing the names that exist.
    pub fn column(&self, name: &str) -> Result<&Column, DataError> {
        match self.names.iter().position(|n| n == name) {
            Some(j) => Ok(&self.columns[j]),
            None => Err(DataError::UnknownColumn {
                file: self.source.clone(),
                column: name.to_string(),
                available: self.names.clone(),
            }),
        }
    }

    /// The numbers of column `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`]; [`DataError::ColumnType`] if it holds text.
    pub fn numbers(&self, name: &str) -> Result<&[f64], DataError> {
        match self.column(name)? {
            Column::Numbers(v) => Ok(v),
            c => Err(DataError::ColumnType {
                column: name.to_string(),
                expected: "numbers",
                found: c.kind(),
            }),
        }
    }

    /// The text of column `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`]; [`DataError::ColumnType`] if it holds numbers.
    pub fn text(&self, name: &str) -> Result<&[String], DataError> {
        match self.column(name)? {
            Column::Text(v) => Ok(v),
            c => Err(DataError::ColumnType {
                column: name.to_string(),
                expected: "text",
                found: c.kind(),
            }),
        }
    }

    /// The numeric columns `names` side by side, `[N, names.len()]`.
    ///
    /// # Errors
    /// As [`Table::numbers`]; [`DataError::Invalid`] for a finite value too large for `T`
    /// (it would become an infinity), naming the column and row.
    pub fn to_tensor<T: Float>(&self, names: &[&str]) -> Result<Tensor<T>, DataError> {
        let cols: Vec<&[f64]> = names
            .iter()
            .map(|n| self.numbers(n))
            .collect::<Result<_, _>>()?;
        for (name, col) in names.iter().zip(&cols) {
            if let Some(i) = col
                .iter()
                .position(|&v| v.is_finite() && !T::from_f64(v).is_finite())
            {
                return Err(DataError::Invalid {
                    what: "to_tensor",
                    reason: format!(
                        "column {name:?}, row {i}: {:e} is too large for {}",
                        col[i],
                        T::NAME
                    ),
                });
            }
        }
        let n = self.len();
        let data = (0..n)
            .flat_map(|i| cols.iter().map(move |c| T::from_f64(c[i])))
            .collect();
        Ok(Tensor::from_vec(data, &[n, names.len()]).expect("rectangular"))
    }

    /// The rows at `rows` (in that order).
    ///
    /// # Panics
    /// If an index is out of range.
    #[track_caller]
    #[must_use]
    pub fn select(&self, rows: &[usize]) -> Table {
        Table {
            source: self.source.clone(),
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.select(rows)).collect(),
        }
    }

    /// Splits shuffled rows into (train, test) exactly as
    /// [`Dataset::train_test_split`] splits a dataset with as many rows and the same seed,
    /// so fit the encoders on the train part only.
    ///
    /// # Errors
    /// As [`Dataset::train_test_split`].
    pub fn train_test_split(
        &self,
        test_fraction: f64,
        seed: u64,
    ) -> Result<(Table, Table), DataError> {
        let n = self.len();
        let rows = Dataset::<f32>::new(Tensor::zeros(&[n, 0]), Tensor::zeros(&[n, 0]))?;
        let (train, test) = rows.split_indices(SplitOptions::new(test_fraction, seed))?;
        Ok((self.select(&train), self.select(&test)))
    }
}
