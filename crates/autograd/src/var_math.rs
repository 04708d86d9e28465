//! More `Var` math: trigonometry, the precise-near-zero pair `log1p`/`expm1`, `pow` with
//! a tensor exponent, the fused binary cross-entropy, one-sided clamps, and reductions
//! composed from recorded ops (`logsumexp`, `min`, `std`). Their rules are in the
//! derivative table; `docs/numerics.md` says what each gives at its special points.

use tensor::{Float, Tensor};

use crate::op::Op;
use crate::tape::Var;
use crate::var_ops::axis_of;

impl<'t, T: Float> Var<'t, T> {
    /// `sin x` (radians).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// assert_eq!(x.sin().backward()[&x].item(), 1.0); // cos 0
    /// ```
    #[must_use]
    #[track_caller]
    pub fn sin(self) -> Self {
        self.unary_with(Op::Sin, |v| v.sin())
    }

    /// `cos x` (radians).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(std::f64::consts::FRAC_PI_2));
    /// assert_eq!(x.cos().backward()[&x].item(), -1.0); // −sin(π/2)
    /// ```
    #[must_use]
    #[track_caller]
    pub fn cos(self) -> Self {
        self.unary_with(Op::Cos, |v| v.cos())
    }

    /// `ln(1 + x)`, precise for small `x` (`torch.log1p`); `−∞` at `x = −1`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(1e-10f64));
    /// let y = x.log1p();
    /// assert_eq!(y.item(), 1e-10 - 5e-21); // ln(1 + 1e-10) would round to 1.00000008e-10
    /// assert_eq!(y.backward()[&x].item(), 1.0 / (1.0 + 1e-10));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn log1p(self) -> Self {
        self.unary_with(Op::Log1p, |v| v.log1p())
    }

    /// `e^x − 1`, precise for small `x` (`torch.expm1`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(-1e-9f32));
    /// assert!((x.expm1().item() + 1e-9).abs() < 1e-16); // exp(x) − 1 would give 0
    /// ```
    #[must_use]
    #[track_caller]
    pub fn expm1(self) -> Self {
        self.unary_with(Op::Expm1, |v| v.expm1())
    }

    /// `self^exponent` elementwise, broadcasting (`torch.pow` with a tensor exponent).
    /// Gradients as PyTorch: `d/da = b·a^(b−1)`, 0 where `b = 0`; `d/db = a^b·ln a`, 0
    /// where `a = 0` and `b ≥ 0`.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([2.0f64, 0.0]));
    /// let b = tape.var(Tensor::from([3.0f64, 2.0]));
    /// let y = a.pow(b);
    /// assert_eq!(y.value().to_vec(), vec![8.0, 0.0]);
    /// let g = y.sum_all().backward();
    /// assert_eq!(g[&a].to_vec(), vec![12.0, 0.0]); // b·a^(b−1)
    /// assert_eq!(g[&b].to_vec(), vec![8.0 * 2f64.ln(), 0.0]); // a^b·ln a; 0 at a = 0
    /// ```
    #[track_caller]
    #[must_use]
    pub fn pow(self, exponent: Self) -> Self {
        self.binary(exponent, Op::Pow, "pow", |a, b| a.pow(b))
    }

    /// Binary cross-entropy of probabilities `self` against `target`, elementwise
    /// (PyTorch's `binary_cross_entropy` with `reduction="none"`):
    /// `−(y·ln p + (1 − y)·ln(1 − p))`, each log clamped at −100 as PyTorch, a term whose
    /// weight (`y` or `1 − y`) is 0 dropped (so `p = 1, y = 1` is exactly 0). One fused
    /// op: its gradient `(p − y) / max(p(1 − p), 1e-12)` stays finite when `p` rounds to
    /// exactly 0 or 1, where the composed `ln` rule would divide 0 by 0.
    ///
    /// # Panics
    /// If the shapes differ.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let p = tape.var(Tensor::from([1.0f32, 0.25]));   // a saturated sigmoid, and 0.25
    /// let y = Tensor::from([1.0f32, 0.0]);
    /// let l = p.binary_cross_entropy(&y);
    /// assert_eq!(l.value().to_vec(), vec![0.0, -(-0.25f32).ln_1p()]);
    /// let g = l.sum_all().backward();
    /// assert_eq!(g[&p].to_vec(), vec![0.0, 0.25 / (0.25 * 0.75)]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn binary_cross_entropy(self, target: &Tensor<T>) -> Self {
        assert!(
            self.shape() == target.shape(),
            "binary_cross_entropy: probabilities of shape {:?} and targets of shape {:?} differ",
            self.shape(),
            target.shape()
        );
        let floor = T::from_f64(-100.0);
        let value = self
            .value()
            .zip_with(target, "binary_cross_entropy", |p, y| {
                let pos = if y == T::ZERO {
                    T::ZERO
                } else {
                    y * p.ln().max(floor)
                };
                let neg = if y == T::ONE {
                    T::ZERO
                } else {
                    (T::ONE - y) * (-p).ln_1p().max(floor)
                };
                T::ZERO - (pos + neg) // +0, not −0, for a perfect prediction
            });
        let y = self.tape.constant(target.clone());
        self.tape.record(
            Op::BinaryCrossEntropy,
            smallvec::smallvec![self.id, y.id],
            value,
        )
    }

    /// `max(x, min)` (`torch.clamp(min=…)`): gradient 1 where `x ≥ min`, else 0.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-1.0f64, 2.0]));
    /// assert_eq!(x.clamp_min(0.0).value().to_vec(), vec![0.0, 2.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn clamp_min(self, min: T) -> Self {
        self.clamp(min, T::INFINITY)
    }

    /// `min(x, max)` (`torch.clamp(max=…)`): gradient 1 where `x ≤ max`, else 0.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-1.0f64, 2.0]));
    /// assert_eq!(x.clamp_max(0.0).value().to_vec(), vec![-1.0, 0.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn clamp_max(self, max: T) -> Self {
        self.clamp(T::NEG_INFINITY, max)
    }

    /// `ln Σ e^x` along `axis`, stable: the maximum is factored out (as a constant, so
    /// the gradient is exactly the softmax), and `−∞` entries (masked classes) contribute
    /// `e^−∞ = 0`; a slice of only `−∞` gives `−∞` with gradient 0.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[0.0f64, f64::NEG_INFINITY, 0.0]]));
    /// let l = x.logsumexp(1, false);
    /// assert_eq!(l.item(), 2f64.ln());
    /// assert_eq!(l.backward()[&x].to_vec(), vec![0.5, 0.0, 0.5]); // the softmax
    /// ```
    #[track_caller]
    #[must_use]
    pub fn logsumexp(self, axis: isize, keepdim: bool) -> Self {
        let ax = axis_of(axis, self.ndim(), "logsumexp") as isize;
        if self.shape()[ax as usize] == 0 {
            // The log of an empty sum, ln 0 = −∞, as `torch.logsumexp` (and no max to
            // take out of an empty axis).
            return self.sum(ax, keepdim).add_scalar(T::NEG_INFINITY);
        }
        let m = self
            .value()
            .max(ax, true)
            .map(|v| if v.is_finite() { v } else { T::ZERO });
        let m = self.tape.constant(m);
        let lse = (self - m).exp().sum(ax, true).ln() + m;
        if keepdim {
            lse
        } else {
            lse.squeeze(ax)
        }
    }

    /// Minimum along one axis (`−max(−x)`): the gradient goes to the minimal entries,
    /// split evenly on ties.
    ///
    /// # Panics
    /// If the axis is out of range or empty.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[3.0f64, 1.0, 2.0]]));
    /// let m = x.min(1, false);
    /// assert_eq!(m.value().to_vec(), vec![1.0]);
    /// assert_eq!(m.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn min(self, axis: isize, keepdim: bool) -> Self {
        -((-self).max(axis, keepdim))
    }

    /// Standard deviation along one axis, `√(Σ(x − mean)² / (n − ddof))` (PyTorch's
    /// `std`, default `ddof` 1 there). Where the std is exactly 0 (a constant slice) its
    /// gradient is 0, as PyTorch's `std_backward` (`masked_fill_(result == 0, 0)`), not
    /// the `∞·0 = NaN` of the square root's kink.
    ///
    /// # Panics
    /// If the axis is out of range.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 3.0]));
    /// let s = x.std(0, 0, false); // population std of {1, 3} = 1
    /// assert_eq!(s.item(), 1.0);
    /// assert_eq!(s.backward()[&x].to_vec(), vec![-0.5, 0.5]); // (xᵢ − mean)/(n·std)
    /// ```
    #[track_caller]
    #[must_use]
    pub fn std(self, axis: isize, ddof: usize, keepdim: bool) -> Self {
        let v = self.var(axis, ddof, keepdim);
        let value = v.value();
        if !value.to_vec().contains(&T::ZERO) {
            return v.sqrt();
        }
        // Two choices, as PyTorch's masked_fill: 0 where v = 0, √v elsewhere, with the root
        // taken of 1 at those places so that no ∞·0 forms, in this derivative or the next.
        let at_zero = value.map(|s| if s == T::ZERO { T::ONE } else { T::ZERO });
        let ones = self.tape.constant(at_zero.clone());
        let no_std = self.tape.constant(Tensor::zeros(at_zero.shape()));
        let safe = Var::where_(&at_zero, ones, v);
        Var::where_(&at_zero, no_std, safe.sqrt())
    }
}
