//! Categorical encoders with scikit-learn's semantics: [`OneHotEncoder`] and
//! [`OrdinalEncoder`] for text feature columns of a [`Table`], [`LabelEncoder`] for class
//! labels given as text.
//!
//! Categories are the distinct values seen in `fit`, sorted (as `numpy.unique` sorts
//! strings: by code point), so the encoding does not depend on row order. Fit on the
//! training rows only; values unseen in `fit` are an error unless asked otherwise.

use tensor::{Float, Tensor};

use super::error::DataError;
use super::table::Table;

/// What `transform` does with a value not seen in `fit` (scikit-learn's `handle_unknown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HandleUnknown {
    /// Fail with [`DataError::UnknownCategory`] (the default).
    #[default]
    Error,
    /// Encode it as all zeros ([`OneHotEncoder`]).
    Ignore,
}

/// The sorted distinct values.
fn distinct(values: &[String]) -> Vec<String> {
    let mut cats = values.to_vec();
    cats.sort_unstable();
    cats.dedup();
    cats
}

fn unknown(column: &str, value: &str, known: &[String]) -> DataError {
    DataError::UnknownCategory {
        column: column.to_string(),
        value: value.to_string(),
        known: known.to_vec(),
    }
}

/// The categories of each of `columns`, learned from `table`.
fn fit_columns(table: &Table, columns: &[&str]) -> Result<Vec<Vec<String>>, DataError> {
    columns
        .iter()
        .map(|c| table.text(c).map(distinct))
        .collect()
}

/// Checks that `x` is `[N, width]` and returns N.
fn rows_of<T: Float>(x: &Tensor<T>, width: usize, what: &'static str) -> Result<usize, DataError> {
    match x.shape() {
        [n, w] if *w == width => Ok(*n),
        s => Err(DataError::Invalid {
            what,
            reason: format!("expected [N, {width}], got {s:?}"),
        }),
    }
}

/// One 0/1 column per category of each encoded column (`sklearn.preprocessing.OneHotEncoder`
/// with `sparse_output=False`).
///
/// ```
/// use nn::data::{parse_table, CsvOptions, HandleUnknown, OneHotEncoder};
/// let opts = CsvOptions::new().categorical(["sex", "city"]);
/// let train = parse_table("sex,city\nf,Seoul\nm,Lima\nf,Lima\n", "train.csv", &opts).unwrap();
/// let test = parse_table("sex,city\nm,Oslo\n", "test.csv", &opts).unwrap();
/// let enc = OneHotEncoder::fit(&train, &["sex", "city"]).unwrap();
/// assert_eq!(enc.feature_names(), ["sex=f", "sex=m", "city=Lima", "city=Seoul"]);
/// assert!(enc.transform::<f32>(&test).is_err()); // Oslo was not seen in fit
/// let enc = enc.handle_unknown(HandleUnknown::Ignore);
/// let x = enc.transform::<f32>(&test).unwrap();
/// assert_eq!(x.to_vec(), [0.0, 1.0, 0.0, 0.0]);
/// assert_eq!(enc.inverse_transform(&x).unwrap(), [vec![Some("m".to_string()), None]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OneHotEncoder {
    columns: Vec<String>,
    categories: Vec<Vec<String>>,
    handle_unknown: HandleUnknown,
}

impl OneHotEncoder {
    /// Learns the categories of the text `columns` of `table`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], or [`DataError::ColumnType`] for a numeric column.
    pub fn fit(table: &Table, columns: &[&str]) -> Result<Self, DataError> {
        Ok(OneHotEncoder {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            categories: fit_columns(table, columns)?,
            handle_unknown: HandleUnknown::Error,
        })
    }

    /// Sets what to do with categories unseen in `fit`.
    #[must_use]
    pub fn handle_unknown(mut self, handle_unknown: HandleUnknown) -> Self {
        self.handle_unknown = handle_unknown;
        self
    }

    /// The sorted categories of each column (scikit-learn's `categories_`).
    #[must_use]
    pub fn categories(&self) -> &[Vec<String>] {
        &self.categories
    }

    /// One name per output column, `column=category` (scikit-learn writes `column_category`
    /// in `get_feature_names_out`; `=` keeps names with underscores readable).
    #[must_use]
    pub fn feature_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .zip(&self.categories)
            .flat_map(|(c, cats)| cats.iter().map(move |k| format!("{c}={k}")))
            .collect()
    }

    /// Encodes the fitted columns of `table`: `[N, total number of categories]`.
    ///
    /// # Errors
    /// [`DataError::UnknownCategory`] for an unseen value (unless
    /// [`HandleUnknown::Ignore`]); errors of [`Table::text`].
    pub fn transform<T: Float>(&self, table: &Table) -> Result<Tensor<T>, DataError> {
        let width: usize = self.categories.iter().map(Vec::len).sum();
        let n = table.len();
        let mut out = vec![T::ZERO; n * width];
        let mut offset = 0;
        for (c, cats) in self.columns.iter().zip(&self.categories) {
            for (i, v) in table.text(c)?.iter().enumerate() {
                match (cats.binary_search(v), self.handle_unknown) {
                    (Ok(k), _) => out[i * width + offset + k] = T::ONE,
                    (Err(_), HandleUnknown::Ignore) => {}
                    (Err(_), HandleUnknown::Error) => return Err(unknown(c, v, cats)),
                }
            }
            offset += cats.len();
        }
        Ok(Tensor::from_vec(out, &[n, width]).expect("rectangular"))
    }

    /// Decodes `[N, total categories]` rows back to one value per column: the category of
    /// the largest entry of each block, `None` for an all-zero block (an ignored unknown).
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `x` has the wrong shape.
    pub fn inverse_transform<T: Float>(
        &self,
        x: &Tensor<T>,
    ) -> Result<Vec<Vec<Option<String>>>, DataError> {
        let width: usize = self.categories.iter().map(Vec::len).sum();
        let n = rows_of(x, width, "OneHotEncoder::inverse_transform")?;
        let data = x.to_vec();
        Ok((0..n)
            .map(|i| {
                let mut offset = i * width;
                self.categories
                    .iter()
                    .map(|cats| {
                        let block = &data[offset..offset + cats.len()];
                        offset += cats.len();
                        let best = (0..cats.len())
                            .filter(|&k| block[k] > T::ZERO)
                            .max_by(|&a, &b| block[a].to_f64().total_cmp(&block[b].to_f64()));
                        best.map(|k| cats[k].clone())
                    })
                    .collect()
            })
            .collect())
    }
}

/// One integer code per column, the category's position in the sorted categories
/// (`sklearn.preprocessing.OrdinalEncoder`).
///
/// ```
/// use nn::data::{parse_table, CsvOptions, OrdinalEncoder};
/// let opts = CsvOptions::new().categorical(["size"]);
/// let t = parse_table("size\nS\nXL\nM\nS\n", "t.csv", &opts).unwrap();
/// let enc = OrdinalEncoder::fit(&t, &["size"]).unwrap();
/// assert_eq!(enc.categories()[0], ["M", "S", "XL"]);
/// let x = enc.transform::<f32>(&t).unwrap();
/// assert_eq!(x.to_vec(), [1.0, 2.0, 0.0, 1.0]);
/// assert_eq!(enc.inverse_transform(&x).unwrap()[1], [Some("XL".to_string())]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OrdinalEncoder {
    columns: Vec<String>,
    categories: Vec<Vec<String>>,
    unknown_value: Option<f64>,
}

impl OrdinalEncoder {
    /// Learns the categories of the text `columns` of `table`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], or [`DataError::ColumnType`] for a numeric column.
    pub fn fit(table: &Table, columns: &[&str]) -> Result<Self, DataError> {
        Ok(OrdinalEncoder {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            categories: fit_columns(table, columns)?,
            unknown_value: None,
        })
    }

    /// Encodes unseen categories as `value` (for example -1 or NaN) instead of failing
    /// (scikit-learn's `handle_unknown="use_encoded_value", unknown_value=value`).
    #[must_use]
    pub fn unknown_value(mut self, value: f64) -> Self {
        self.unknown_value = Some(value);
        self
    }

    /// The sorted categories of each column.
    #[must_use]
    pub fn categories(&self) -> &[Vec<String>] {
        &self.categories
    }

    /// The output column names: the encoded columns' names.
    #[must_use]
    pub fn feature_names(&self) -> Vec<String> {
        self.columns.clone()
    }

    /// Encodes the fitted columns of `table`: `[N, columns]` of codes `0..k`.
    ///
    /// # Errors
    /// [`DataError::UnknownCategory`] for an unseen value without
    /// [`OrdinalEncoder::unknown_value`]; errors of [`Table::text`].
    pub fn transform<T: Float>(&self, table: &Table) -> Result<Tensor<T>, DataError> {
        let (n, width) = (table.len(), self.columns.len());
        let mut out = vec![T::ZERO; n * width];
        for (j, (c, cats)) in self.columns.iter().zip(&self.categories).enumerate() {
            for (i, v) in table.text(c)?.iter().enumerate() {
                out[i * width + j] = match (cats.binary_search(v), self.unknown_value) {
                    (Ok(k), _) => T::from_usize(k),
                    (Err(_), Some(u)) => T::from_f64(u),
                    (Err(_), None) => return Err(unknown(c, v, cats)),
                };
            }
        }
        Ok(Tensor::from_vec(out, &[n, width]).expect("rectangular"))
    }

    /// Decodes `[N, columns]` codes back to categories; a code that is not a category's
    /// index (such as the unknown value) gives `None`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `x` has the wrong shape.
    pub fn inverse_transform<T: Float>(
        &self,
        x: &Tensor<T>,
    ) -> Result<Vec<Vec<Option<String>>>, DataError> {
        let width = self.columns.len();
        let n = rows_of(x, width, "OrdinalEncoder::inverse_transform")?;
        let data = x.to_vec();
        Ok((0..n)
            .map(|i| {
                self.categories
                    .iter()
                    .enumerate()
                    .map(|(j, cats)| code(data[i * width + j]).and_then(|k| cats.get(k).cloned()))
                    .collect()
            })
            .collect())
    }
}

/// `v` as an index if it is a whole non-negative number.
fn code<T: Float>(v: T) -> Option<usize> {
    let v = v.to_f64();
    (v >= 0.0 && v.fract() == 0.0).then_some(v as usize)
}

/// Class labels given as text to class indices `0..k` in sorted order
/// (`sklearn.preprocessing.LabelEncoder`), the targets that cross-entropy expects.
///
/// ```
/// use nn::data::LabelEncoder;
/// let enc = LabelEncoder::fit(&["virginica", "setosa", "versicolor", "setosa"]);
/// assert_eq!(enc.classes(), ["setosa", "versicolor", "virginica"]);
/// let y = enc.transform::<f32, _>(&["setosa", "virginica"]).unwrap();
/// assert_eq!(y.to_vec(), [0.0, 2.0]);
/// assert_eq!(enc.inverse_transform(&y).unwrap(), ["setosa", "virginica"]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LabelEncoder {
    classes: Vec<String>,
}

impl LabelEncoder {
    /// Learns the sorted distinct labels.
    pub fn fit<S: AsRef<str>>(labels: &[S]) -> Self {
        let labels: Vec<String> = labels.iter().map(|s| s.as_ref().to_string()).collect();
        LabelEncoder {
            classes: distinct(&labels),
        }
    }

    /// The classes, in code order (scikit-learn's `classes_`); use them as
    /// [`Dataset::target_names`](super::Dataset::target_names).
    #[must_use]
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The class index of each label, `[N]`.
    ///
    /// # Errors
    /// [`DataError::UnknownCategory`] for a label unseen in `fit`.
    pub fn transform<T: Float, S: AsRef<str>>(&self, labels: &[S]) -> Result<Tensor<T>, DataError> {
        let codes = labels
            .iter()
            .map(|l| {
                let l = l.as_ref();
                self.classes
                    .binary_search_by(|c| c.as_str().cmp(l))
                    .map(T::from_usize)
                    .map_err(|_| unknown("label", l, &self.classes))
            })
            .collect::<Result<Vec<T>, _>>()?;
        let n = codes.len();
        Ok(Tensor::from_vec(codes, &[n]).expect("one code per label"))
    }

    /// The labels of class indices (any shape, read in order).
    ///
    /// # Errors
    /// [`DataError::Invalid`] for a value that is not a class index.
    pub fn inverse_transform<T: Float>(&self, y: &Tensor<T>) -> Result<Vec<String>, DataError> {
        y.to_vec()
            .into_iter()
            .map(|v| {
                code(v)
                    .and_then(|k| self.classes.get(k).cloned())
                    .ok_or_else(|| DataError::Invalid {
                        what: "LabelEncoder::inverse_transform",
                        reason: format!(
                            "{} is not a class index (0..{})",
                            v.to_f64(),
                            self.classes.len()
                        ),
                    })
            })
            .collect()
    }
}
