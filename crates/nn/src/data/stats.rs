//! Per-column statistics over `[rows, columns]` tensors, ignoring NaN.

use tensor::{Float, Tensor};

use super::error::DataError;

/// The non-NaN values of each column of a 2-D tensor, as `f64`.
///
/// # Panics
/// If `x` is not 2-D.
#[track_caller]
pub(crate) fn columns<T: Float>(x: &Tensor<T>) -> Vec<Vec<f64>> {
    assert!(
        x.ndim() == 2,
        "expected a [rows, columns] tensor, got shape {:?}",
        x.shape()
    );
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let data = x.to_vec();
    (0..c)
        .map(|j| {
            (0..n)
                .map(|i| data[i * c + j].to_f64())
                .filter(|v| !v.is_nan())
                .collect()
        })
        .collect()
}

/// Mean (NaN for an empty column).
/// The columns of `x` (NaN dropped) for fitting a scaler: errors for an `x` that is not
/// 2-D, a column with no values, or one holding an infinity.
pub(crate) fn fit_columns<T: Float>(
    what: &'static str,
    x: &Tensor<T>,
) -> Result<Vec<Vec<f64>>, DataError> {
    if x.ndim() != 2 {
        return Err(DataError::Invalid {
            what,
            reason: format!(
                "expected a [rows, columns] tensor, got shape {:?}",
                x.shape()
            ),
        });
    }
    let cols = columns(x);
    for (column, c) in cols.iter().enumerate() {
        let reason = if c.is_empty() {
            Some(
                "has no values (no rows, or every value is missing): impute it or drop it"
                    .to_string(),
            )
        } else {
            c.iter().find(|v| v.is_infinite()).map(|v| {
                format!(
                    "holds {v}, so its statistics are not finite: clip or remove the value first"
                )
            })
        };
        if let Some(reason) = reason {
            return Err(DataError::Column {
                what,
                column,
                reason,
            });
        }
    }
    Ok(cols)
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Population variance (ddof 0), two-pass.
pub(crate) fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64
}

/// Population standard deviation (ddof 0).
pub(crate) fn std(v: &[f64]) -> f64 {
    variance(v).sqrt()
}

/// Whether a column is constant up to rounding: its variance is no larger than what
/// rounding alone produces when the mean and variance of `n` equal values are computed in
/// f64, `var ≤ n·ε·var + (n·ε·mean)²` with ε = `f64::EPSILON` (scikit-learn's
/// `_is_constant_feature`). An exact `std > 0` test is wrong here: ten rows of 0.1 have a
/// computed std of 1.4e-17, and dividing by it turns every value into ±1. Every place
/// where a per-column scale or spread could vanish (the scalers, the outlier bounds)
/// decides with this one rule. A column with no values counts as constant.
pub(crate) fn is_constant(v: &[f64]) -> bool {
    if v.is_empty() {
        return true;
    }
    let (n, m) = (v.len() as f64, mean(v));
    let var = variance(v);
    let eps = f64::EPSILON;
    var <= n * eps * var + (n * eps * m).powi(2)
}

/// Smallest and largest value (NaN for an empty column).
pub(crate) fn min_max(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// The q-quantile with linear interpolation between order statistics (NumPy's default).
pub(crate) fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// Applies `f(column, value)` to every element of a 2-D tensor.
pub(crate) fn map_columns<T: Float>(x: &Tensor<T>, f: impl Fn(usize, f64) -> f64) -> Tensor<T> {
    let c = x.shape()[1];
    let data: Vec<T> = x
        .to_vec()
        .iter()
        .enumerate()
        .map(|(k, v)| T::from_f64(f(k % c, v.to_f64())))
        .collect();
    Tensor::from_vec(data, x.shape()).expect("same shape")
}

/// Panics unless `x` is 2-D with `c` columns.
#[track_caller]
pub(crate) fn check_columns<T: Float>(what: &str, x: &Tensor<T>, c: usize) {
    assert!(
        x.ndim() == 2 && x.shape()[1] == c,
        "{what}: fitted on {c} columns, got a tensor of shape {:?}",
        x.shape()
    );
}
