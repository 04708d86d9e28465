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
pub(crate) fn axes_of(axes: &[isize], ndim: usize, op: &str) -> Axes {
    let mut out = Axes::new();
    for &a in axes {
        out.push(axis_of(a, ndim, op));
    }
    out
}

impl<'t, T: Float> Var<'t, T> {
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

    /// `x·Wᵀ + b` over the last axis (PyTorch's `torch.nn.functional.linear`), recorded
    /// as one op ([`crate::Op::Linear`]) with one derivative rule: `self` is `[*, in]`,
    /// `weight` `[out, in]` (PyTorch's layout), `bias` `[out]`; the result is `[*, out]`.
    /// A 1-D weight `[in]` gives `[*]`, with a 0-D bias, as in PyTorch.
    /// The same values, up to rounding, as `self.matmul(weight.t()) + bias`, in one node
    /// instead of four (see [`Tensor::linear`]).
    ///
    /// # Panics
    /// If the shapes do not fit (naming all three), or the `Var`s are on different tapes.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::from([[1.0f64, 2.0]]));
    /// let w = tape.var(Tensor::from([[3.0, 4.0], [5.0, 6.0]]));
    /// let b = tape.var(Tensor::from([0.5, -0.5]));
    /// let y = x.linear(w, Some(b));
    /// assert_eq!(y.value().to_vec(), vec![11.5, 16.5]);
    /// let grads = y.sum_all().backward();
    /// assert_eq!(grads[&w].to_vec(), vec![1.0, 2.0, 1.0, 2.0]); // each row of W sees x
    /// assert_eq!(grads[&b].to_vec(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn linear(self, weight: Self, bias: Option<Self>) -> Self {
        self.same_tape(weight, "linear");
        if weight.ndim() == 1 {
            // PyTorch's 1-D weight `[in]`: the one row of a `[1, in]` weight (0-D bias),
            // the length-1 output axis then dropped; recorded as those three ops.
            let bias_shape = bias.map(Var::shape);
            let shapes = (self.shape(), weight.shape());
            if let Err(e) = tensor::linear_shape(&shapes.0, &shapes.1, bias_shape.as_deref()) {
                panic!("{e}");
            }
            let mut row_bias = None;
            if let Some(b) = bias {
                row_bias = Some(b.unsqueeze(0));
            }
            return self.linear(weight.unsqueeze(0), row_bias).squeeze(-1);
        }
        let mut inputs: Inputs = smallvec![self.id, weight.id];
        let mut bias_value = None;
        // An `if let`, not `map`: a closure would lose the caller's location.
        if let Some(b) = bias {
            self.same_tape(b, "linear");
            inputs.push(b.id);
            bias_value = Some(b.value());
        }
        let value = match self
            .value()
            .try_linear(&weight.value(), bias_value.as_ref())
        {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        self.tape.record(Op::Linear, inputs, value)
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
}
