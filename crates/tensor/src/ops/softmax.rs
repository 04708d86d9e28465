//! `softmax` and `log_softmax` along an axis, stable for any input range.
//!
//! Both subtract the row maximum first: `softmax(x) = e^(x−m) / Σ e^(x−m)` and
//! `log_softmax(x) = x − m − ln Σ e^(x−m)` with `m = max x`, so no exponent exceeds 0
//! and nothing overflows.

use crate::element::Float;
use crate::error::unwrap;
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Softmax along `axis`: non-negative values that sum to 1 along that axis.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// let p = tensor::Tensor::from([[1000.0f32, 1000.0]]).softmax(-1);
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5]); // no overflow
    /// ```
    #[track_caller]
    #[must_use]
    pub fn softmax(&self, axis: isize) -> Self {
        let Some(m) = self.shift_for("softmax", axis) else {
            return self.clone();
        };
        let shifted = self.sub(&m);
        let e = shifted.exp();
        let s = e.sum(axis, true);
        e.div(&s)
    }

    /// Log of the softmax along `axis`, computed without forming the softmax.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// let l = tensor::Tensor::from([0.0f64, 0.0]).log_softmax(0);
    /// approx::assert_relative_eq!(l.to_vec()[0], -(2.0f64.ln()));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn log_softmax(&self, axis: isize) -> Self {
        let Some(m) = self.shift_for("log_softmax", axis) else {
            return self.clone();
        };
        let shifted = self.sub(&m);
        let lse = shifted.exp().sum(axis, true).ln();
        shifted.sub(&lse)
    }

    /// `ln Σ e^x` along `axis`, stable (the maximum is factored out). As PyTorch, an
    /// infinite maximum is not factored out, so a `+∞` entry gives `+∞` (not
    /// `∞ − ∞ = NaN`) and a row of `−∞` gives `−∞`.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let x = Tensor::from([[f32::INFINITY, 1.0], [0.0, 0.0]]);
    /// assert_eq!(x.logsumexp(1, false).to_vec(), vec![f32::INFINITY, 2f32.ln()]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn logsumexp(&self, axis: isize, keepdim: bool) -> Self {
        let Some(m) = self.shift_for("logsumexp", axis) else {
            // The log of an empty sum: −∞ along an empty axis, as NumPy/PyTorch.
            return self.sum(axis, keepdim).map(|_| T::NEG_INFINITY);
        };
        // PyTorch's `logsumexp` zeroes an infinite maximum (`shift_for` zeroes only −∞).
        let m = m.map(|v| if v.is_finite() { v } else { T::ZERO });
        let lse = self.sub(&m).exp().sum(axis, true).ln().add(&m);
        if keepdim {
            lse
        } else {
            lse.squeeze(axis)
        }
    }

    /// The maximum along `axis` (kept), the shift that makes `e^(x − m)` safe, with a row
    /// of only −∞ shifted by 0 instead (so masked rows give e^−∞ = 0, not −∞ − −∞ = NaN).
    /// `None` when the axis is empty (nothing to normalize). Panics name `op`.
    #[track_caller]
    fn shift_for(&self, op: &'static str, axis: isize) -> Option<Self> {
        let ax = unwrap(normalize_axis(op, axis, self.ndim()));
        if self.shape()[ax] == 0 {
            return None;
        }
        let m = self.max(ax as isize, true);
        Some(m.map(|v| if v == T::NEG_INFINITY { T::ZERO } else { v }))
    }
}
