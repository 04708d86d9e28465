//! Forward ops on `Var` that work along axes: reductions, matrix products, views,
//! joins and indexing. (Elementwise ops are in `var_ops.rs`; rules in
//! [`crate::backward`].)

use smallvec::smallvec;
use tensor::{Float, Tensor};

use crate::op::{Axes, Op};
use crate::tape::{Inputs, Var};
use crate::var_ops::axis_of;

/// Resolves several possibly negative axes. A loop, not `map`: a panic inside a closure
/// would lose the caller's location (`#[track_caller]` does not reach closures).
#[track_caller]
fn axes_of(axes: &[isize], ndim: usize, op: &str) -> Axes {
    let mut out = Axes::new();
    for &a in axes {
        out.push(axis_of(a, ndim, op));
    }
    out
}

impl<'t, T: Float> Var<'t, T> {
    /// Sum over several axes.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let s = x.sum_axes(&[0, 1], false);
    /// assert_eq!(s.item(), 21.0);
    /// assert_eq!(s.backward()[&x].to_vec(), vec![1.0; 6]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sum_axes(self, axes: &[isize], keepdim: bool) -> Self {
        let nd = self.ndim();
        let resolved = axes_of(axes, nd, "sum");
        let value = self.value().sum_axes(axes, keepdim);
        self.unary(
            Op::Sum {
                axes: resolved,
                keepdim,
            },
            value,
        )
    }

    /// Sum along one axis.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let s = x.sum(1, false);
    /// assert_eq!(s.value().to_vec(), vec![6.0, 15.0]);
    /// assert_eq!(s.shape(), vec![2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sum(self, axis: isize, keepdim: bool) -> Self {
        self.sum_axes(&[axis], keepdim)
    }

    /// Sum of all elements: a 0-D `Var` (a loss).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.sum_all().backward()[&x].to_vec(), vec![1.0; 6]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn sum_all(self) -> Self {
        let all: Vec<isize> = (0..self.ndim() as isize).collect();
        self.sum_axes(&all, false)
    }

    /// Mean over several axes (a sum times `1/n`).
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let m = x.mean_axes(&[0, 1], true);
    /// assert_eq!(m.shape(), vec![1, 1]);
    /// assert_eq!(m.sum_all().backward()[&x].to_vec(), vec![1.0 / 6.0; 6]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn mean_axes(self, axes: &[isize], keepdim: bool) -> Self {
        let shape = self.shape();
        let n: usize = axes_of(axes, shape.len(), "mean")
            .iter()
            .map(|&a| shape[a])
            .product();
        self.sum_axes(axes, keepdim).div_scalar(T::from_usize(n))
    }

    /// Mean along one axis.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.mean(0, false).value().to_vec(), vec![2.5, 3.5, 4.5]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn mean(self, axis: isize, keepdim: bool) -> Self {
        self.mean_axes(&[axis], keepdim)
    }

    /// Mean of all elements: a 0-D `Var`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.mean_all().item(), 3.5);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn mean_all(self) -> Self {
        let all: Vec<isize> = (0..self.ndim() as isize).collect();
        self.mean_axes(&all, false)
    }

    /// Maximum along one axis; the gradient goes to the maximal entries (split evenly on
    /// ties).
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 3.0, 3.0], [4.0, 0.0, 2.0]]));
    /// let m = x.max(1, false);
    /// assert_eq!(m.value().to_vec(), vec![3.0, 4.0]);
    /// // a tie splits the gradient evenly
    /// assert_eq!(m.sum_all().backward()[&x].to_vec(), vec![0.0, 0.5, 0.5, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn max(self, axis: isize, keepdim: bool) -> Self {
        let ax = axis_of(axis, self.ndim(), "max");
        self.unary(
            Op::Max { axis: ax, keepdim },
            self.value().max(ax as isize, keepdim),
        )
    }

    /// Maximum of all elements: a 0-D `Var`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let m = x.max_all();
    /// assert_eq!(m.item(), 6.0);
    /// assert_eq!(m.backward()[&x].to_vec(), vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn max_all(self) -> Self {
        self.flatten().max(0, false)
    }

    /// Variance over axes with `ddof` delta degrees of freedom, composed from primitives:
    /// `Σ(x − mean)² / (n − ddof)`.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// // each row is {a, a+1, a+2}: variance 1 with ddof 1
    /// assert_eq!(x.var_axes(&[1], 1, false).value().to_vec(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn var_axes(self, axes: &[isize], ddof: usize, keepdim: bool) -> Self {
        let shape = self.shape();
        let n: usize = axes_of(axes, shape.len(), "var")
            .iter()
            .map(|&a| shape[a])
            .product();
        let centered = self.sub(self.mean_axes(axes, true));
        centered
            .square()
            .sum_axes(axes, keepdim)
            .div_scalar(T::from_usize(n.saturating_sub(ddof)))
    }

    /// Variance along one axis with `ddof` delta degrees of freedom.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 3.0]));
    /// let v = x.var(0, 0, false); // ((1−2)² + (3−2)²)/2 = 1
    /// assert_eq!(v.item(), 1.0);
    /// // d/dxᵢ = 2(xᵢ − mean)/n
    /// assert_eq!(v.backward()[&x].to_vec(), vec![-1.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn var(self, axis: isize, ddof: usize, keepdim: bool) -> Self {
        self.var_axes(&[axis], ddof, keepdim)
    }

    /// Variance of all elements: a 0-D `Var`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.var_all(0).item(), 35.0 / 12.0);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn var_all(self, ddof: usize) -> Self {
        self.flatten().var(0, ddof, false)
    }

    /// Matrix product with NumPy `matmul` semantics (1-D operands promoted, batch axes
    /// broadcast).
    ///
    /// # Panics
    /// If the shapes do not fit (the message names both), or the operands are on
    /// different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([[1.0f64, 2.0]]));
    /// let b = tape.var(Tensor::from([[3.0f64], [4.0]]));
    /// let y = a.matmul(b); // [1×2]·[2×1]
    /// assert_eq!(y.item(), 11.0);
    /// let g = y.backward();
    /// assert_eq!(g[&a].to_vec(), vec![3.0, 4.0]); // g·bᵀ
    /// assert_eq!(g[&b].to_vec(), vec![1.0, 2.0]); // aᵀ·g
    /// ```
    #[track_caller]
    #[must_use]
    pub fn matmul(self, other: Self) -> Self {
        self.same_tape(other, "matmul");
        let a = if self.ndim() == 1 {
            self.unsqueeze(0)
        } else {
            self
        };
        let b = if other.ndim() == 1 {
            other.unsqueeze(-1)
        } else {
            other
        };
        // A `match`, not a closure: closures do not carry `#[track_caller]`.
        let value = match a.value().try_matmul(&b.value()) {
            Ok(v) => v,
            // Report the error for the shapes the caller passed (before 1-D promotion).
            Err(e) => match self.value().try_matmul(&other.value()) {
                Err(original) => panic!("{original}"),
                Ok(_) => panic!("{e}"),
            },
        };
        let mut out = self.tape.record(Op::MatMul, smallvec![a.id, b.id], value);
        if other.ndim() == 1 {
            out = out.squeeze(-1);
        }
        if self.ndim() == 1 {
            out = out.squeeze(if other.ndim() == 1 { -1 } else { -2 });
        }
        out
    }

    /// Swaps the last two axes (a 1-D value is returned unchanged).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.t().shape(), vec![3, 2]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn t(self) -> Self {
        if self.ndim() < 2 {
            return self;
        }
        self.transpose(-2, -1)
    }

    /// Swaps two axes.
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::zeros(&[2, 3, 4]));
    /// assert_eq!(x.transpose(0, 2).shape(), vec![4, 3, 2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn transpose(self, a: isize, b: isize) -> Self {
        let nd = self.ndim();
        let (a, b) = (axis_of(a, nd, "transpose"), axis_of(b, nd, "transpose"));
        self.unary(
            Op::Transpose(a, b),
            self.value().transpose(a as isize, b as isize),
        )
    }

    /// Reorders axes.
    ///
    /// # Panics
    /// If `perm` is not a permutation of the axes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::zeros(&[2, 3, 4]));
    /// assert_eq!(x.permute(&[2, 0, 1]).shape(), vec![4, 2, 3]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn permute(self, perm: &[isize]) -> Self {
        let nd = self.ndim();
        let resolved = axes_of(perm, nd, "permute");
        let value = self.value().permute(perm);
        self.unary(Op::Permute(resolved), value)
    }

    /// New shape with the same elements in row-major order (one entry may be `-1`).
    ///
    /// # Panics
    /// If the element counts differ.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let y = x.reshape(&[3, -1]);
    /// assert_eq!(y.shape(), vec![3, 2]);
    /// assert_eq!(y.value().to_vec(), x.value().to_vec());
    /// ```
    #[track_caller]
    #[must_use]
    pub fn reshape(self, shape: &[isize]) -> Self {
        // The fallible variant and a `match`: a panic inside a closure would lose the
        // caller's location.
        match self.with_value(|v| v.try_reshape(shape)) {
            Ok(value) => self.unary(Op::Reshape, value),
            Err(e) => panic!("{e}"),
        }
    }

    /// Flattens to 1-D.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// assert_eq!(x.flatten().shape(), vec![6]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn flatten(self) -> Self {
        self.reshape(&[-1])
    }

    /// Keeps `len` entries of `axis` from `start`.
    ///
    /// # Panics
    /// If the axis or range is out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// let y = x.narrow(1, 1, 2);
    /// assert_eq!(y.value().to_vec(), vec![2.0, 3.0, 5.0, 6.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Self {
        let ax = axis_of(axis, self.ndim(), "narrow");
        let value = self.value().narrow(ax as isize, start, len);
        self.unary(
            Op::Narrow {
                axis: ax,
                start,
                len,
            },
            value,
        )
    }

    /// Zero-pads along `axis` so that `self` sits at `start` within a length of `len`.
    ///
    /// # Panics
    /// If the axis is out of range or the value does not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0]));
    /// assert_eq!(x.pad(0, 1, 4).value().to_vec(), vec![0.0, 1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn pad(self, axis: isize, start: usize, len: usize) -> Self {
        let ax = axis_of(axis, self.ndim(), "pad");
        let value = self.value().pad(ax as isize, start, len);
        self.unary(
            Op::Pad {
                axis: ax,
                start,
                len,
            },
            value,
        )
    }

    /// Broadcasts to `shape` (records an `Expand` node unless the shape is unchanged).
    ///
    /// # Panics
    /// If the shape is not compatible.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let y = x.broadcast_to(&[3, 2]);
    /// // each entry was used 3 times, so its gradient is 3
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn broadcast_to(self, shape: &[usize]) -> Self {
        if self.shape() == shape {
            return self;
        }
        match self.with_value(|v| v.try_broadcast_to(shape)) {
            Ok(value) => self.unary(Op::Expand, value),
            Err(e) => panic!("{e}"),
        }
    }

    /// Inserts an axis of length 1.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0]));
    /// assert_eq!(x.unsqueeze(0).shape(), vec![1, 2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn unsqueeze(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim() + 1, "unsqueeze");
        self.unary_with(Op::Unsqueeze(ax), |v| v.unsqueeze(ax as isize))
    }

    /// Removes an axis of length 1.
    ///
    /// # Panics
    /// If the axis is out of range or its length is not 1.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::zeros(&[2, 1]));
    /// assert_eq!(x.squeeze(1).shape(), vec![2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn squeeze(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim(), "squeeze");
        let shape = self.shape();
        assert!(
            shape[ax] == 1,
            "squeeze: axis {axis} of shape {shape:?} has length {}, expected 1",
            shape[ax]
        );
        self.unary_with(Op::Squeeze(ax), |v| v.squeeze(ax as isize))
    }

    /// Joins `Var`s along an existing axis.
    ///
    /// # Panics
    /// If the list is empty, the shapes do not fit, or the `Var`s are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::{Tape, Var};
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([1.0f64]));
    /// let b = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let c = Var::concat(&[a, b], 0);
    /// assert_eq!(c.value().to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn concat(vars: &[Self], axis: isize) -> Self {
        let first = *vars.first().expect("concat: needs at least one Var");
        for v in vars {
            first.same_tape(*v, "concat");
        }
        let ax = axis_of(axis, first.ndim(), "concat");
        let values: Vec<Tensor<T>> = vars.iter().map(|v| v.value()).collect();
        let refs: Vec<&Tensor<T>> = values.iter().collect();
        let value = Tensor::concat(&refs, ax as isize);
        let inputs: Inputs = vars.iter().map(|v| v.id).collect();
        first.tape.record(Op::Concat(ax), inputs, value)
    }

    /// Joins `Var`s of equal shape along a new axis (`unsqueeze` each, then `concat`).
    ///
    /// # Panics
    /// If the list is empty, the shapes differ, or the `Var`s are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::{Tape, Var};
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let b = tape.var(Tensor::from([3.0f64, 4.0]));
    /// assert_eq!(Var::stack(&[a, b], 0).shape(), vec![2, 2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn stack(vars: &[Self], axis: isize) -> Self {
        let expanded: Vec<Self> = vars.iter().map(|v| v.unsqueeze(axis)).collect();
        Self::concat(&expanded, axis)
    }

    /// Picks entries along an axis (embedding lookups, row selection).
    ///
    /// # Panics
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([10.0f64, 20.0, 30.0]));
    /// let y = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(y.value().to_vec(), vec![30.0, 10.0, 30.0]);
    /// // a row picked twice gets both gradients
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        let ax = axis_of(axis, self.ndim(), "index_select");
        let value = self.value().index_select(ax as isize, indices);
        self.unary(
            Op::IndexSelect {
                axis: ax,
                indices: indices.to_vec(),
            },
            value,
        )
    }

    /// Sums entries along `axis` into positions `indices` of a zero tensor whose axis has
    /// length `len` (the adjoint of [`Var::index_select`]).
    ///
    /// # Panics
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0, 3.0]));
    /// assert_eq!(x.index_add(0, &[1, 0, 1], 2).value().to_vec(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_add(self, axis: isize, indices: &[usize], len: usize) -> Self {
        let ax = axis_of(axis, self.ndim(), "index_add");
        let value = self.value().index_add(ax as isize, indices, len);
        self.unary(
            Op::IndexAdd {
                axis: ax,
                indices: indices.to_vec(),
                len,
            },
            value,
        )
    }

    /// Sums `self` into a zero tensor of `shape` at the positions `index` names along
    /// `axis` (the adjoint of [`Var::gather`]; the index is a constant).
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64], [2.0]]));
    /// let index = Tensor::from([[1.0f64], [0.0]]);
    /// let y = x.scatter_add(1, &index, &[2, 2]);
    /// assert_eq!(y.value().to_vec(), vec![0.0, 1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn scatter_add(self, axis: isize, index: &Tensor<T>, shape: &[usize]) -> Self {
        let ax = axis_of(axis, shape.len(), "scatter_add");
        let value = self.value().scatter_add(ax as isize, index, shape);
        let idx = self.tape.constant(index.clone());
        self.tape
            .record(Op::ScatterAdd(ax), smallvec![self.id, idx.id], value)
    }

    /// `torch.gather`: along `axis`, the entry whose index `index` holds at each position
    /// (the index is a constant, e.g. class labels).
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[0.1f64, 0.9], [0.8, 0.2]]));
    /// let labels = Tensor::from([[1.0f64], [0.0]]);
    /// let picked = x.gather(1, &labels);
    /// assert_eq!(picked.value().to_vec(), vec![0.9, 0.8]);
    /// assert_eq!(picked.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gather(self, axis: isize, index: &Tensor<T>) -> Self {
        let ax = axis_of(axis, self.ndim(), "gather");
        let value = self.value().gather(ax as isize, index);
        let idx = self.tape.constant(index.clone());
        self.tape
            .record(Op::Gather(ax), smallvec![self.id, idx.id], value)
    }

    /// `where(mask, a, b)`: `a` where the constant `mask` is non-zero, `b` elsewhere
    /// (all three broadcast).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or `a` and `b` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::{Tape, Var};
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let b = tape.var(Tensor::from([3.0f64, 4.0]));
    /// let mask = Tensor::from([1.0f64, 0.0]);
    /// let y = Var::where_(&mask, a, b);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 4.0]);
    /// assert_eq!(y.sum_all().backward()[&b].to_vec(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn where_(mask: &Tensor<T>, a: Self, b: Self) -> Self {
        let (a, b) = a.broadcast_pair(b, "where");
        let shape = match tensor::broadcast_shapes(mask.shape(), &a.shape()) {
            Ok(shape) => shape,
            Err(_) => panic!(
                "where: mask {:?} and values {:?} do not broadcast",
                mask.shape(),
                a.shape()
            ),
        };
        let (a, b) = (a.broadcast_to(&shape), b.broadcast_to(&shape));
        let mask = mask.broadcast_to(&shape).contiguous();
        let value = Tensor::where_(&mask, &a.value(), &b.value());
        let m = a.tape.constant(mask);
        a.tape.record(Op::Where, smallvec![m.id, a.id, b.id], value)
    }
}
