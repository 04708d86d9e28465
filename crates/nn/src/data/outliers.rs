//! Outliers: per-column bounds from the IQR rule or z-scores, fitted on training rows,
//! then clipping (winsorizing) or dropping rows.

use tensor::{Float, Tensor};

use super::stats::{
    check_columns, columns, is_constant, map_columns, mean, min_max, quantile, std,
};

/// How bounds are computed per column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutlierMethod {
    /// `[Q1 − k·IQR, Q3 + k·IQR]` (Tukey's fences; k = 1.5 by default).
    Iqr(f64),
    /// `[mean − t·std, mean + t·std]` (population std).
    ZScore(f64),
}

impl Default for OutlierMethod {
    fn default() -> Self {
        OutlierMethod::Iqr(1.5)
    }
}

/// Per-column outlier bounds.
///
/// ```
/// use nn::data::{OutlierMethod, Outliers};
/// use tensor::Tensor;
/// let x = Tensor::from([[1.0f64], [2.0], [3.0], [4.0], [100.0]]);
/// let o = Outliers::fit(&x, OutlierMethod::Iqr(1.5)); // Q1 = 2, Q3 = 4: bounds [-1, 7]
/// assert_eq!(o.bounds()[0], (-1.0, 7.0));
/// let (clipped, counts) = o.clip(&x);
/// assert_eq!(clipped.to_vec()[4], 7.0);
/// assert_eq!(counts, vec![1]);
/// assert_eq!(o.outlier_rows(&x), vec![4]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Outliers {
    bounds: Vec<(f64, f64)>,
}

impl Outliers {
    /// Fits bounds on the columns of `x` (NaN and ±∞ ignored, so an infinity is outside
    /// the bounds — clipped to them, its row an outlier — unless its column has no finite
    /// value at all: then, as for a column with no values, the bounds are NaN).
    ///
    /// A column that is constant up to rounding (the rule described at
    /// [`StandardScaler`](super::StandardScaler)) has no spread: its bounds are its own
    /// smallest and largest value, so no training value is an outlier and any other value
    /// is, whatever the method. A column with no values has NaN bounds, which flag and
    /// clip nothing. Without this, a std or IQR that is only rounding noise
    /// (1.4e-17 for ten rows of 0.1) would decide which of the equal values are outliers.
    ///
    /// # Panics
    /// If `x` is not 2-D.
    #[track_caller]
    #[must_use]
    pub fn fit<T: Float>(x: &Tensor<T>, method: OutlierMethod) -> Self {
        let mut columns = columns(x);
        // Infinities are left out of the statistics (they would make the mean infinite
        // and the std NaN, bounds that flag nothing), so they always fall outside.
        columns.iter_mut().for_each(|c| c.retain(|v| v.is_finite()));
        let bounds = columns
            .iter()
            .map(|c| match method {
                _ if is_constant(c) => min_max(c),
                OutlierMethod::Iqr(k) => {
                    let (q1, q3) = (quantile(c, 0.25), quantile(c, 0.75));
                    (q1 - k * (q3 - q1), q3 + k * (q3 - q1))
                }
                OutlierMethod::ZScore(t) => {
                    let (m, s) = (mean(c), std(c));
                    (m - t * s, m + t * s)
                }
            })
            .collect();
        Outliers { bounds }
    }

    /// The (low, high) bounds of each column.
    #[must_use]
    pub fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    /// Clips values into the bounds; returns the result and how many values were clipped
    /// in each column.
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn clip<T: Float>(&self, x: &Tensor<T>) -> (Tensor<T>, Vec<usize>) {
        check_columns("Outliers::clip", x, self.bounds.len());
        let c = self.bounds.len();
        let mut counts = vec![0; c];
        for (k, v) in x.to_vec().iter().enumerate() {
            let (lo, hi) = self.bounds[k % c];
            let v = v.to_f64();
            if v < lo || v > hi {
                counts[k % c] += 1;
            }
        }
        (
            map_columns(x, |j, v| {
                let (lo, hi) = self.bounds[j];
                // NaN bounds (a column with no values when fitted) clip nothing.
                if v.is_nan() || lo.is_nan() || hi.is_nan() {
                    v
                } else {
                    v.clamp(lo, hi)
                }
            }),
            counts,
        )
    }

    /// Indices of rows with at least one value outside the bounds (drop them with
    /// `Dataset::select` on the complement, or use [`Outliers::inlier_rows`]).
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn outlier_rows<T: Float>(&self, x: &Tensor<T>) -> Vec<usize> {
        check_columns("Outliers::outlier_rows", x, self.bounds.len());
        let c = self.bounds.len();
        let data = x.to_vec();
        (0..x.shape()[0])
            .filter(|&i| {
                (0..c).any(|j| {
                    let v = data[i * c + j].to_f64();
                    v < self.bounds[j].0 || v > self.bounds[j].1
                })
            })
            .collect()
    }

    /// Indices of rows with every value inside the bounds.
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn inlier_rows<T: Float>(&self, x: &Tensor<T>) -> Vec<usize> {
        let out = self.outlier_rows(x);
        (0..x.shape()[0]).filter(|i| !out.contains(i)).collect()
    }
}
