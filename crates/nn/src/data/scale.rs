//! Normalization (`MinMaxScaler`, to 0..1) and standardization (`StandardScaler`, mean 0
//! and standard deviation 1), per column, as scikit-learn defines them.

use tensor::{Float, Tensor};

use super::error::DataError;
use super::stats::{check_columns, fit_columns, is_constant, map_columns, mean, min_max, std};

/// Scales each column linearly so that its training minimum maps to `low` and its
/// maximum to `high` (default 0 and 1): `(x − min)/(max − min)·(high − low) + low`.
/// A constant column maps to `low` (its range is treated as 1, as scikit-learn does);
/// "constant" allows for rounding, by the rule described at [`StandardScaler`].
/// NaN values are ignored when fitting and stay NaN.
///
/// ```
/// use nn::data::MinMaxScaler;
/// use tensor::Tensor;
/// let train = Tensor::from([[0.0f32, 10.0], [5.0, 10.0], [10.0, 10.0]]);
/// let scaler = MinMaxScaler::fit(&train);
/// assert_eq!(scaler.transform(&train).to_vec(), vec![0.0, 0.0, 0.5, 0.0, 1.0, 0.0]);
/// assert_eq!(scaler.inverse_transform(&scaler.transform(&train)), train);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MinMaxScaler {
    min: Vec<f64>,
    range: Vec<f64>,
    low: f64,
    high: f64,
}

impl MinMaxScaler {
    /// Fits to the columns of `x` (`[rows, columns]`), target range 0..1.
    ///
    /// # Panics
    /// As [`MinMaxScaler::try_fit`]'s errors, with the same message.
    #[track_caller]
    #[must_use]
    pub fn fit<T: Float>(x: &Tensor<T>) -> Self {
        Self::fit_range(x, 0.0, 1.0)
    }

    /// Fits to the columns of `x`, target range 0..1.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `x` is not 2-D; [`DataError::Column`] naming a column
    /// with no values (no rows, or all missing) or with an infinite value.
    pub fn try_fit<T: Float>(x: &Tensor<T>) -> Result<Self, DataError> {
        Self::try_fit_range(x, 0.0, 1.0)
    }

    /// Fits with a target range `low..high`.
    ///
    /// # Panics
    /// If `low >= high`, and as [`MinMaxScaler::try_fit`]'s errors.
    #[track_caller]
    #[must_use]
    pub fn fit_range<T: Float>(x: &Tensor<T>, low: f64, high: f64) -> Self {
        Self::try_fit_range(x, low, high).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`MinMaxScaler::fit_range`] returning its errors.
    ///
    /// # Errors
    /// As [`MinMaxScaler::try_fit`], and [`DataError::Invalid`] if `low >= high`.
    pub fn try_fit_range<T: Float>(x: &Tensor<T>, low: f64, high: f64) -> Result<Self, DataError> {
        const WHAT: &str = "MinMaxScaler::fit";
        if low.is_nan() || high.is_nan() || low >= high {
            return Err(DataError::Invalid {
                what: WHAT,
                reason: format!("the target range {low}..{high} is empty"),
            });
        }
        let (mut min, mut range) = (Vec::new(), Vec::new());
        for c in fit_columns(WHAT, x)? {
            let (lo, hi) = min_max(&c);
            min.push(lo);
            range.push(if is_constant(&c) { 1.0 } else { hi - lo });
        }
        Ok(MinMaxScaler {
            min,
            range,
            low,
            high,
        })
    }

    /// Per-column minima seen in fitting.
    #[must_use]
    pub fn data_min(&self) -> &[f64] {
        &self.min
    }

    /// Scales rows.
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        check_columns("MinMaxScaler::transform", x, self.min.len());
        let span = self.high - self.low;
        map_columns(x, |j, v| {
            (v - self.min[j]) / self.range[j] * span + self.low
        })
    }

    /// Undoes [`MinMaxScaler::transform`].
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn inverse_transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        check_columns("MinMaxScaler::inverse_transform", x, self.min.len());
        let span = self.high - self.low;
        map_columns(x, |j, v| {
            (v - self.low) / span * self.range[j] + self.min[j]
        })
    }
}

/// Standardizes each column: `(x − mean)/std` with the population standard deviation
/// (ddof 0, as scikit-learn's `StandardScaler` and Keras' `Normalization`). A constant
/// column is only centred (its std is treated as 1). NaN values are ignored when fitting
/// and stay NaN.
///
/// "Constant" allows for rounding, as scikit-learn's `_is_constant_feature` does: a column
/// counts as constant when its variance is at most `n·ε·var + (n·ε·mean)²` (ε the f64
/// machine epsilon), the most that computing the statistics of `n` equal values can
/// produce. Ten rows of 0.1 have a computed std of 1.4e-17; they are centred to ≈ 0, not
/// divided by that std.
///
/// ```
/// use nn::data::StandardScaler;
/// use tensor::Tensor;
/// let train = Tensor::from([[1.0f64], [3.0]]);
/// let s = StandardScaler::fit(&train);
/// assert_eq!((s.mean()[0], s.std()[0]), (2.0, 1.0));
/// assert_eq!(s.transform(&Tensor::from([[5.0]])).item(), 3.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StandardScaler {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl StandardScaler {
    /// Fits to the columns of `x` (`[rows, columns]`).
    ///
    /// # Panics
    /// As [`StandardScaler::try_fit`]'s errors, with the same message.
    #[track_caller]
    #[must_use]
    pub fn fit<T: Float>(x: &Tensor<T>) -> Self {
        Self::try_fit(x).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Fits to the columns of `x`.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if `x` is not 2-D; [`DataError::Column`] naming a column
    /// with no values (no rows, or all missing) or with an infinite value.
    ///
    /// ```
    /// use nn::data::StandardScaler;
    /// use tensor::Tensor;
    /// let x = Tensor::from([[1.0f32, f32::INFINITY], [2.0, 0.0]]);
    /// let err = StandardScaler::try_fit(&x).unwrap_err();
    /// assert!(err.to_string().starts_with("StandardScaler::fit: column 1 holds inf"));
    /// ```
    pub fn try_fit<T: Float>(x: &Tensor<T>) -> Result<Self, DataError> {
        let cols = fit_columns("StandardScaler::fit", x)?;
        Ok(StandardScaler {
            mean: cols.iter().map(|c| mean(c)).collect(),
            std: cols
                .iter()
                .map(|c| if is_constant(c) { 1.0 } else { std(c) })
                .collect(),
        })
    }

    /// Per-column means.
    #[must_use]
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-column standard deviations used for scaling.
    #[must_use]
    pub fn std(&self) -> &[f64] {
        &self.std
    }

    /// Standardizes rows.
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        check_columns("StandardScaler::transform", x, self.mean.len());
        map_columns(x, |j, v| (v - self.mean[j]) / self.std[j])
    }

    /// Undoes [`StandardScaler::transform`].
    ///
    /// # Panics
    /// If the column count differs from the fitted one.
    #[track_caller]
    #[must_use]
    pub fn inverse_transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        check_columns("StandardScaler::inverse_transform", x, self.mean.len());
        map_columns(x, |j, v| v * self.std[j] + self.mean[j])
    }
}
