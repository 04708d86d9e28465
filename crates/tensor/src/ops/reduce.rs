//! Reductions along axes or over everything, `keepdim`, and `sum_to` (the inverse of
//! broadcasting, used by backward passes).

use smallvec::SmallVec;

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::layout::Layout;
use crate::shape::{normalize_axis, numel, sum_to_axes, Dims};
use crate::storage::Storage;
use crate::strided;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Folds the given axes with `combine`, starting from `identity`; the reduced axes are
    /// kept with length 1 if `keepdim`, removed otherwise.
    #[track_caller]
    fn reduce(
        &self,
        op: &'static str,
        axes: &[isize],
        keepdim: bool,
        identity: T,
        combine: impl Fn(T, T) -> T,
    ) -> Self {
        let reduced = unwrap(self.resolve_axes(op, axes));
        let result_shape: Dims = if keepdim {
            self.kept_shape(&reduced)
        } else {
            (0..self.ndim())
                .filter(|k| !reduced.contains(k))
                .map(|k| self.shape()[k])
                .collect()
        };
        self.fold_axes(op, &reduced, &result_shape, identity, combine)
    }

    /// This shape with the `reduced` axes set to 1.
    fn kept_shape(&self, reduced: &[usize]) -> Dims {
        self.shape()
            .iter()
            .enumerate()
            .map(|(k, &d)| if reduced.contains(&k) { 1 } else { d })
            .collect()
    }

    /// Folds the `reduced` axes (valid and distinct) into a new tensor of `result_shape`,
    /// which holds the kept axes in order, with or without length-1 axes among them (the
    /// row-major elements are the same either way). `op` names the reduction in errors.
    fn fold_axes(
        &self,
        op: &'static str,
        reduced: &[usize],
        result_shape: &[usize],
        identity: T,
        combine: impl Fn(T, T) -> T,
    ) -> Self {
        let kept_shape = self.kept_shape(reduced);
        debug_assert_eq!(numel(&kept_shape), numel(result_shape));
        // A reduction of a broadcast view can ask for more than memory holds.
        let len = unwrap(crate::shape::check_alloc::<T>(op, &kept_shape));
        let mut out: Storage<T> = crate::recycle::filled(len, identity);
        let out_layout = Layout::contiguous(&kept_shape)
            .broadcast_to(self.shape())
            .expect("a kept shape always broadcasts back to its source");
        strided::reduce_into(
            out.get_mut().expect("new storage is unique"),
            &out_layout,
            &self.storage,
            &self.layout,
            combine,
        );
        Tensor::from_storage(out, result_shape)
    }

    fn resolve_axes(&self, op: &'static str, axes: &[isize]) -> Result<SmallVec<[usize; 4]>> {
        let mut out = SmallVec::new();
        for &a in axes {
            let k = normalize_axis(op, a, self.ndim())?;
            if out.contains(&k) {
                return Err(TensorError::Invalid {
                    op,
                    reason: format!("axis {a} is listed twice in {axes:?}"),
                });
            }
            out.push(k);
        }
        Ok(out)
    }

    /// Number of elements folded into each output by a reduction over `axes`.
    #[track_caller]
    fn reduced_count(&self, op: &'static str, axes: &[isize]) -> usize {
        // Saturating: only the reduced lengths of an empty tensor can multiply past
        // `usize::MAX`, and its result has no element to divide.
        unwrap(self.resolve_axes(op, axes))
            .iter()
            .fold(1, |n: usize, &k| n.saturating_mul(self.shape()[k]))
    }

    /// Sum over several axes.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// ```
    /// let x = tensor::Tensor::<f32>::ones(&[2, 3, 4]);
    /// assert_eq!(x.sum_axes(&[0, 2], false).to_vec(), vec![8.0, 8.0, 8.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sum_axes(&self, axes: &[isize], keepdim: bool) -> Self {
        self.reduce("sum", axes, keepdim, T::ZERO, |a, b| a + b)
    }

    /// Sum along one axis.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// let x = tensor::Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.sum(0, false).to_vec(), vec![4.0, 6.0]);
    /// assert_eq!(x.sum(-1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sum(&self, axis: isize, keepdim: bool) -> Self {
        self.sum_axes(&[axis], keepdim)
    }

    /// Sum of all elements.
    #[must_use]
    pub fn sum_all(&self) -> T {
        let all: Vec<isize> = (0..self.ndim() as isize).collect();
        self.sum_axes(&all, false).item()
    }

    /// Mean along one axis.
    ///
    /// # Panics
    /// If the axis is out of range.
    #[track_caller]
    #[must_use]
    pub fn mean(&self, axis: isize, keepdim: bool) -> Self {
        self.mean_axes(&[axis], keepdim)
    }

    /// Mean over several axes.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    #[track_caller]
    #[must_use]
    pub fn mean_axes(&self, axes: &[isize], keepdim: bool) -> Self {
        let n = T::from_usize(self.reduced_count("mean", axes));
        self.sum_axes(axes, keepdim).div_scalar(n)
    }

    /// Mean of all elements (NaN for an empty tensor).
    #[must_use]
    pub fn mean_all(&self) -> T {
        self.sum_all() / T::from_usize(self.numel())
    }

    /// Maximum along one axis (NaN if any element on the way is NaN).
    ///
    /// # Panics
    /// If the axis is out of range or has length 0.
    #[track_caller]
    #[must_use]
    pub fn max(&self, axis: isize, keepdim: bool) -> Self {
        self.nonempty_axis("max", axis);
        self.reduce("max", &[axis], keepdim, T::NEG_INFINITY, |a, b| a.max(b))
    }

    /// Minimum along one axis (NaN if any element on the way is NaN).
    ///
    /// # Panics
    /// If the axis is out of range or has length 0.
    #[track_caller]
    #[must_use]
    pub fn min(&self, axis: isize, keepdim: bool) -> Self {
        self.nonempty_axis("min", axis);
        self.reduce("min", &[axis], keepdim, T::INFINITY, |a, b| a.min(b))
    }

    /// Maximum of all elements (`-inf` for an empty tensor).
    pub fn max_all(&self) -> T {
        self.to_vec()
            .into_iter()
            .fold(T::NEG_INFINITY, |a, b| a.max(b))
    }

    /// Minimum of all elements (`inf` for an empty tensor).
    pub fn min_all(&self) -> T {
        self.to_vec().into_iter().fold(T::INFINITY, |a, b| a.min(b))
    }

    /// Variance along one axis with `ddof` delta degrees of freedom (0: population,
    /// 1: the unbiased sample variance, PyTorch's default).
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// let x = tensor::Tensor::from([1.0f64, 2.0, 3.0, 4.0]);
    /// assert_eq!(x.var(0, 0, false).item(), 1.25);
    /// assert_eq!(x.var(0, 1, false).item(), 5.0 / 3.0);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn var(&self, axis: isize, ddof: usize, keepdim: bool) -> Self {
        self.var_axes(&[axis], ddof, keepdim)
    }

    /// Variance over several axes (two passes: the mean, then squared deviations).
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    #[track_caller]
    #[must_use]
    pub fn var_axes(&self, axes: &[isize], ddof: usize, keepdim: bool) -> Self {
        let n = self.reduced_count("var", axes);
        let mean = self.mean_axes(axes, true);
        let dev = self.zip_with(&mean, "var", |x, m| (x - m) * (x - m));
        let denom = T::from_usize(n.saturating_sub(ddof));
        dev.sum_axes(axes, keepdim).div_scalar(denom)
    }

    /// Variance of all elements with `ddof` delta degrees of freedom.
    #[must_use]
    pub fn var_all(&self, ddof: usize) -> T {
        self.flatten().var(0, ddof, false).item()
    }

    /// Index of the largest element along an axis (the first one on ties), as a float
    /// tensor of indices.
    ///
    /// # Panics
    /// If the axis is out of range or has length 0.
    ///
    /// ```
    /// let x = tensor::Tensor::from([[1.0f32, 9.0, 3.0], [7.0, 2.0, 7.0]]);
    /// assert_eq!(x.argmax(1, false).to_vec(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Self {
        self.arg_select("argmax", axis, keepdim, |candidate, best| candidate > best)
    }

    /// Index of the smallest element along an axis (the first one on ties).
    ///
    /// # Panics
    /// If the axis is out of range or has length 0.
    #[track_caller]
    #[must_use]
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Self {
        self.arg_select("argmin", axis, keepdim, |candidate, best| candidate < best)
    }

    /// Panics unless `axis` exists and has at least one entry (a maximum or minimum of
    /// nothing has no value; PyTorch raises there too).
    #[track_caller]
    fn nonempty_axis(&self, op: &'static str, axis: isize) {
        let ax = unwrap(normalize_axis(op, axis, self.ndim()));
        assert!(
            self.shape()[ax] > 0,
            "{op}: axis {axis} of shape {:?} is empty, and the {op} of no values is undefined",
            self.shape()
        );
    }

    #[track_caller]
    fn arg_select(
        &self,
        op: &'static str,
        axis: isize,
        keepdim: bool,
        better: impl Fn(T, T) -> bool,
    ) -> Self {
        let ax = unwrap(normalize_axis(op, axis, self.ndim()));
        let len = self.shape()[ax];
        assert!(
            len > 0,
            "{op}: axis {axis} of shape {:?} is empty",
            self.shape()
        );
        // Move the axis last, the others keeping their order (a transpose would swap the
        // last axis into its place and scramble the outputs of a 3-D or wider tensor), so
        // that every output reads one contiguous row.
        let perm: Vec<isize> = (0..self.ndim())
            .filter(|&a| a != ax)
            .chain([ax])
            .map(|a| a as isize)
            .collect();
        let rows = self.permute(&perm).contiguous();
        let data = rows.as_slice().expect("contiguous");
        let out: Vec<T> = data
            .chunks_exact(len)
            .map(|row| {
                let mut best = 0;
                for (i, &x) in row.iter().enumerate() {
                    // NaN wins, as in NumPy.
                    if x.is_nan() && !row[best].is_nan()
                        || better(x, row[best]) && !row[best].is_nan()
                    {
                        best = i;
                    }
                }
                T::from_usize(best)
            })
            .collect();
        let mut shape: Dims = self.shape().into();
        if keepdim {
            shape[ax] = 1;
        } else {
            shape.remove(ax);
        }
        Tensor::from_parts(out, &shape)
    }

    /// Sums a broadcast result back to `shape`: the inverse of [`Tensor::broadcast_to`]
    /// for gradients. Leading axes are summed away and axes where `shape` has length 1
    /// are summed with `keepdim`.
    ///
    /// # Panics
    /// If `shape` does not broadcast to `self.shape()`.
    ///
    /// ```
    /// let g = tensor::Tensor::<f32>::ones(&[4, 2, 3]);
    /// assert_eq!(g.sum_to(&[2, 1]).to_vec(), vec![12.0, 12.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sum_to(&self, shape: &[usize]) -> Self {
        unwrap(self.try_sum_to(shape))
    }

    /// `sum_to`, or an error if `shape` does not broadcast to this tensor's shape.
    pub fn try_sum_to(&self, shape: &[usize]) -> Result<Self> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let axes = sum_to_axes(self.shape(), shape)?;
        Ok(self.fold_axes("sum_to", &axes, shape, T::ZERO, |a, b| a + b))
    }
}
