//! Missing values (NaN): `SimpleImputer` fills them per column.

use std::collections::HashMap;

use tensor::{Float, Tensor};

use super::stats::{check_columns, columns, map_columns, mean, quantile};

/// What to fill a column's NaNs with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ImputeStrategy {
    /// The column's mean.
    Mean,
    /// The column's median.
    Median,
    /// The column's most frequent value (the smallest on ties, as scikit-learn).
    MostFrequent,
    /// A fixed value.
    Constant(f64),
}

/// Fills NaN entries per column with a statistic fitted on training rows.
///
/// ```
/// use nn::data::{ImputeStrategy, SimpleImputer};
/// use tensor::Tensor;
/// let x = Tensor::from([[1.0f32, f32::NAN], [f32::NAN, 4.0], [3.0, 8.0]]);
/// let imputer = SimpleImputer::fit(&x, ImputeStrategy::Mean);
/// let (filled, counts) = imputer.transform(&x);
/// assert_eq!(filled.to_vec(), vec![1.0, 6.0, 2.0, 4.0, 3.0, 8.0]);
/// assert_eq!(counts, vec![1, 1]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleImputer {
    fill: Vec<f64>,
}

impl SimpleImputer {
    /// Fits the fill values on the columns of `x`. A column with no values at all gets
    /// NaN as its mean/median/mode (it stays missing).
    ///
    /// # Panics
    /// If `x` is not 2-D.
    #[track_caller]
    #[must_use]
    pub fn fit<T: Float>(x: &Tensor<T>, strategy: ImputeStrategy) -> Self {
        let fill = columns(x)
            .iter()
            .map(|c| match strategy {
                ImputeStrategy::Mean => mean(c),
                ImputeStrategy::Median => quantile(c, 0.5),
                ImputeStrategy::MostFrequent => most_frequent(c),
                ImputeStrategy::Constant(v) => v,
            })
            .collect();
        SimpleImputer { fill }
    }

    /// The fill value of each column.
    #[must_use]
    pub fn statistics(&self) -> &[f64] {
        &self.fill
    }

    /// Returns `x` with NaNs filled, and how many values were filled in each column.
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> (Tensor<T>, Vec<usize>) {
        check_columns("SimpleImputer::transform", x, self.fill.len());
        let c = self.fill.len();
        let mut counts = vec![0; c];
        for (k, v) in x.to_vec().iter().enumerate() {
            if v.is_nan() {
                counts[k % c] += 1;
            }
        }
        (
            map_columns(x, |j, v| if v.is_nan() { self.fill[j] } else { v }),
            counts,
        )
    }
}

fn most_frequent(values: &[f64]) -> f64 {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for v in values {
        // `+ 0.0` makes −0 and 0 one value, as scikit-learn counts them.
        *counts.entry((v + 0.0).to_bits()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(bits, n)| (f64::from_bits(bits), n))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
        .map_or(f64::NAN, |(v, _)| v)
}
