//! Reductions on `Var`: sums, means, maxima and variances along axes (their rules are
//! in the derivative table: `Sum` and `Max`; mean and variance are composed).

use tensor::Float;

use crate::op::Op;
use crate::tape::Var;
use crate::var_axes::axes_of;
use crate::var_ops::axis_of;

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
}
