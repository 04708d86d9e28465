//! Views: new layouts over the same storage (no copy), and nested-array literals.
//!
//! Axes may be negative, counted from the end as in NumPy (`-1` is the last axis).

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::shape::{normalize_axis, try_numel, Dims};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// The matrix transpose: swaps the last two axes (a 0-D or 1-D tensor is returned
    /// unchanged, as `torch.Tensor.mT` would refuse and NumPy's `.T` does).
    ///
    /// ```
    /// let a = tensor::Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(a.t().shape(), &[3, 2]);
    /// assert!(!a.t().is_contiguous());
    /// ```
    #[must_use]
    pub fn t(&self) -> Self {
        if self.ndim() < 2 {
            return self.clone();
        }
        self.transpose(-2, -1)
    }

    /// Swaps two axes (a view).
    ///
    /// # Panics
    /// If an axis is out of range.
    #[track_caller]
    #[must_use]
    pub fn transpose(&self, a: isize, b: isize) -> Self {
        let a = unwrap(normalize_axis("transpose", a, self.ndim()));
        let b = unwrap(normalize_axis("transpose", b, self.ndim()));
        self.with_layout(self.layout.transpose(a, b))
    }

    /// Reorders the axes: axis `k` of the result is axis `perm[k]` of `self` (a view).
    ///
    /// # Panics
    /// If `perm` is not a permutation of `0..ndim`.
    ///
    /// ```
    /// let a = tensor::Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(a.permute(&[2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn permute(&self, perm: &[isize]) -> Self {
        let n = self.ndim();
        let resolved: Result<Dims> = perm
            .iter()
            .map(|&p| normalize_axis("permute", p, n))
            .collect();
        let resolved = unwrap(resolved);
        let mut seen = vec![false; n];
        let valid = resolved.len() == n
            && resolved
                .iter()
                .all(|&p| !std::mem::replace(&mut seen[p], true));
        assert!(
            valid,
            "permute: {perm:?} is not a permutation of the {n} axes of a tensor of shape {:?}",
            self.shape()
        );
        self.with_layout(self.layout.permute(&resolved))
    }

    /// Keeps `len` entries of `axis` starting at `start` (a view), as `torch.narrow`.
    ///
    /// # Panics
    /// If the axis or the range is out of bounds.
    ///
    /// ```
    /// let a = tensor::Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(a.narrow(1, 1, 2).to_vec(), vec![2.0, 3.0, 5.0, 6.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Self {
        let Some(end) = start.checked_add(len) else {
            panic!(
                "narrow: {len} entries from {start} run past any axis (shape {:?})",
                self.shape()
            );
        };
        self.slice(axis, start, end, 1)
    }

    /// Entries `start..end` of `axis`, every `step`-th (a view), as `x[start:end:step]`.
    ///
    /// # Panics
    /// If the axis is out of range, `start > end`, `end` exceeds the axis length, or
    /// `step` is 0.
    ///
    /// ```
    /// let a = tensor::Tensor::arange(0.0f32, 6.0, 1.0);
    /// assert_eq!(a.slice(0, 1, 6, 2).to_vec(), vec![1.0, 3.0, 5.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn slice(&self, axis: isize, start: usize, end: usize, step: usize) -> Self {
        let ax = unwrap(normalize_axis("slice", axis, self.ndim()));
        let d = self.shape()[ax];
        assert!(
            start <= end && end <= d && step > 0,
            "slice: range {start}..{end} step {step} is invalid for axis {axis} of length {d} (shape {:?})",
            self.shape()
        );
        let len = (end - start).div_ceil(step);
        self.with_layout(self.layout.narrow(ax, start, len, step))
    }

    /// Inserts an axis of length 1 (a view); `axis` may equal `ndim` (append).
    ///
    /// # Panics
    /// If the axis is out of range `-(ndim+1)..=ndim`.
    #[track_caller]
    #[must_use]
    pub fn unsqueeze(&self, axis: isize) -> Self {
        let ax = unwrap(normalize_axis("unsqueeze", axis, self.ndim() + 1));
        self.with_layout(self.layout.unsqueeze(ax))
    }

    /// Removes an axis of length 1 (a view).
    ///
    /// # Panics
    /// If the axis is out of range or its length is not 1.
    #[track_caller]
    #[must_use]
    pub fn squeeze(&self, axis: isize) -> Self {
        let ax = unwrap(normalize_axis("squeeze", axis, self.ndim()));
        assert!(
            self.shape()[ax] == 1,
            "squeeze: axis {axis} of shape {:?} has length {}, expected 1",
            self.shape(),
            self.shape()[ax]
        );
        self.with_layout(self.layout.squeeze(ax))
    }

    /// Removes every axis of length 1 (a view).
    #[must_use]
    pub fn squeeze_all(&self) -> Self {
        let mut out = self.clone();
        while let Some(ax) = out.shape().iter().position(|&d| d == 1) {
            out = out.with_layout(out.layout.squeeze(ax));
        }
        out
    }

    /// Broadcasts to `shape` by NumPy's rules (a view with stride 0 on repeated axes).
    ///
    /// # Panics
    /// If the shapes are not compatible; see [`Tensor::try_broadcast_to`].
    ///
    /// ```
    /// let b = tensor::Tensor::from([1.0f32, 2.0]).broadcast_to(&[3, 2]);
    /// assert_eq!(b.strides(), &[0, 1]);
    /// assert_eq!(b.to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn broadcast_to(&self, shape: &[usize]) -> Self {
        unwrap(self.try_broadcast_to(shape))
    }

    /// Broadcasts to `shape`, or says why it cannot.
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Self> {
        Ok(self.with_layout(self.layout.broadcast_to(shape)?))
    }

    /// Gives the same elements a new shape, in row-major order. One entry may be `-1`
    /// (inferred). A view when the strides allow it (always for contiguous tensors),
    /// otherwise a copy.
    ///
    /// # Panics
    /// If the element counts differ; see [`Tensor::try_reshape`].
    ///
    /// ```
    /// let a = tensor::Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(a.reshape(&[6, -1]).shape(), &[6, 4]);
    /// assert!(a.reshape(&[24]).shares_storage(&a));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn reshape(&self, shape: &[isize]) -> Self {
        unwrap(self.try_reshape(shape))
    }

    /// Reshapes, or says why it cannot.
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Self> {
        let target = self.infer_shape(shape)?;
        match self.layout.reshape_view(&target) {
            Some(layout) => Ok(self.with_layout(layout)),
            None => Ok(Tensor::from_storage(self.dense_storage(), &target)),
        }
    }

    /// Flattens to 1-D (a view when possible).
    #[must_use]
    pub fn flatten(&self) -> Self {
        self.reshape(&[-1])
    }

    /// Flattens axes `start..=end` into one (a view when possible).
    ///
    /// # Panics
    /// If an axis is out of range or `start > end`.
    #[track_caller]
    #[must_use]
    pub fn flatten_axes(&self, start: isize, end: isize) -> Self {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let s = unwrap(normalize_axis("flatten", start, self.ndim()));
        let e = unwrap(normalize_axis("flatten", end, self.ndim()));
        assert!(
            s <= e,
            "flatten: start axis {start} is after end axis {end}"
        );
        // The lengths stay `usize`: an empty tensor's merged length may pass `isize::MAX`
        // (as `[0, 2^63]`), which a reshape target cannot spell.
        let mut target: Dims = self.shape()[..s].into();
        target.push(unwrap(try_numel("flatten", &self.shape()[s..=e])));
        target.extend_from_slice(&self.shape()[e + 1..]);
        match self.layout.reshape_view(&target) {
            Some(layout) => self.with_layout(layout),
            None => Tensor::from_storage(self.dense_storage(), &target),
        }
    }

    fn infer_shape(&self, shape: &[isize]) -> Result<Dims> {
        let fail = |to: Vec<usize>| match try_numel("reshape", &to) {
            Ok(to_numel) => TensorError::Reshape {
                from: self.shape().to_vec(),
                from_numel: self.numel(),
                to_numel,
                to,
            },
            Err(too_large) => too_large,
        };
        let unknown: Vec<usize> = (0..shape.len()).filter(|&k| shape[k] == -1).collect();
        if unknown.len() > 1 || shape.iter().any(|&d| d < -1) {
            return Err(TensorError::Invalid {
                op: "reshape",
                reason: format!(
                    "target {shape:?} may have at most one -1 and no other negative length"
                ),
            });
        }
        let mut out: Dims = shape.iter().map(|&d| d.max(0) as usize).collect();
        let known_lengths: Vec<usize> = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .collect();
        let known = try_numel("reshape", &known_lengths)?;
        if let Some(&k) = unknown.first() {
            if known == 0 {
                // PyTorch: ambiguous for an empty tensor, impossible for any other.
                let why = if self.numel() == 0 {
                    "is ambiguous: the other lengths multiply to 0, so any length fits"
                } else {
                    "cannot be inferred: the other lengths multiply to 0"
                };
                return Err(TensorError::Invalid {
                    op: "reshape",
                    reason: format!(
                        "the -1 in {shape:?} {why} {:?} ({} elements)",
                        self.shape(),
                        self.numel()
                    ),
                });
            }
            if !self.numel().is_multiple_of(known) {
                // The target as asked (with its -1): there is no length to show for it.
                return Err(TensorError::Invalid {
                    op: "reshape",
                    reason: format!(
                        "cannot infer the -1 in {shape:?} for {:?} ({} elements): that is \
                         not a multiple of {known}, the product of the other lengths",
                        self.shape(),
                        self.numel()
                    ),
                });
            }
            out[k] = self.numel() / known;
        }
        if try_numel("reshape", &out)? != self.numel() {
            return Err(fail(out.to_vec()));
        }
        Ok(out)
    }
}

impl<T: Float> From<T> for Tensor<T> {
    /// A zero-dimensional tensor.
    fn from(v: T) -> Self {
        Tensor::scalar(v)
    }
}

impl<T: Float> From<Vec<T>> for Tensor<T> {
    /// A 1-D tensor.
    fn from(v: Vec<T>) -> Self {
        let n = v.len();
        Tensor::from_parts(v, &[n])
    }
}

impl<T: Float, const N: usize> From<[T; N]> for Tensor<T> {
    /// A 1-D tensor from an array literal.
    fn from(v: [T; N]) -> Self {
        Tensor::from_parts(v.to_vec(), &[N])
    }
}

impl<T: Float, const N: usize, const M: usize> From<[[T; N]; M]> for Tensor<T> {
    /// A 2-D tensor from a nested array literal (rows first).
    fn from(v: [[T; N]; M]) -> Self {
        Tensor::from_parts(v.iter().flatten().copied().collect(), &[M, N])
    }
}

impl<T: Float, const N: usize, const M: usize, const L: usize> From<[[[T; N]; M]; L]>
    for Tensor<T>
{
    /// A 3-D tensor from a nested array literal.
    fn from(v: [[[T; N]; M]; L]) -> Self {
        Tensor::from_parts(v.iter().flatten().flatten().copied().collect(), &[L, M, N])
    }
}
