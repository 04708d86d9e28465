//! Activations on `Var`: relu and its relatives, the GELUs, softplus, sigmoid, tanh,
//! softmax and clamp. Each records one op whose rule is in the derivative table.

use tensor::Float;

use crate::op::Op;
use crate::tape::Var;
use crate::var_ops::axis_of;

/// `√(2/π)`, used by GELU's tanh form.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of GELU's tanh form.
const GELU_TANH_C: f64 = 0.044_715;

impl<'t, T: Float> Var<'t, T> {
    /// `max(x, 0)` (gradient 0 at 0, as PyTorch).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-1.0f64, 0.0, 2.0]));
    /// let y = x.relu();
    /// assert_eq!(y.value().to_vec(), vec![0.0, 0.0, 2.0]);
    /// // gradient 0 at the kink x = 0 (as PyTorch)
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.0, 0.0, 1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn relu(self) -> Self {
        self.unary_with(Op::Relu, |v| v.relu())
    }

    /// `x` for `x > 0`, else `slope · x` (PyTorch's default slope is 0.01).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-2.0f64, 3.0]));
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!(y.value().to_vec(), vec![-0.2, 3.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.1, 1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn leaky_relu(self, slope: T) -> Self {
        let value = self
            .value()
            .map(|x| if x > T::ZERO { x } else { slope * x });
        self.unary(Op::LeakyRelu(slope.to_f64()), value)
    }

    /// `x` for `x > 0`, else `alpha · (e^x − 1)` (PyTorch's default alpha is 1), with
    /// `e^x − 1` computed by `expm1`: in f32 `exp(x) − 1` is 0 at x = −1e-8.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([0.0f64, 2.0]));
    /// let y = x.elu(1.0); // x ≤ 0: e^x − 1, slope e^x
    /// assert_eq!(y.value().to_vec(), vec![0.0, 2.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![1.0, 1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn elu(self, alpha: T) -> Self {
        let value = self
            .value()
            .map(|x| if x > T::ZERO { x } else { alpha * x.exp_m1() });
        self.unary(Op::Elu(alpha.to_f64()), value)
    }

    /// GELU, exact form: `x · Φ(x) = x · ½(1 + erf(x/√2))` (PyTorch's default), with
    /// `Φ(x)` computed as `½·erfc(−x/√2)`: `1 + erf` cancels for negative `x` (in f32 it
    /// is 0 below x ≈ −5.9, where GELU is still −1e-8).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// let y = x.gelu(); // x·Φ(x): 0 at 0, slope Φ(0) = ½
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(y.backward()[&x].item(), 0.5);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn gelu(self) -> Self {
        let half = T::from_f64(0.5);
        let r = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        let value = self.value().map(|x| x * half * (-(x * r)).erfc());
        self.unary(Op::Gelu, value)
    }

    /// GELU, tanh approximation: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`
    /// (PyTorch's `approximate="tanh"`), computed as `x·σ(2u)` with `u` the tanh's
    /// argument: the same function (`1 + tanh u = 2σ(2u)`), without the cancellation of
    /// `1 + tanh u` for negative `x`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// let y = x.gelu_tanh(); // ½x(1 + tanh(…)): slope ½ at 0
    /// assert_eq!(y.backward()[&x].item(), 0.5);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn gelu_tanh(self) -> Self {
        let (two_k, c) = (T::from_f64(2.0 * SQRT_2_OVER_PI), T::from_f64(GELU_TANH_C));
        let value = self
            .value()
            .map(|x| x * (two_k * (x + c * x * x * x)).fast_sigmoid());
        self.unary(Op::GeluTanh, value)
    }

    /// `ln(1 + e^x)`, stable for any `x` (the smooth ReLU; `−softplus(−x)` is
    /// `ln σ(x)`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// let y = x.softplus(); // ln 2 at 0, slope σ(0) = ½
    /// assert!((y.item() - 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(y.backward()[&x].item(), 0.5);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn softplus(self) -> Self {
        self.unary_with(Op::Softplus, |v| v.softplus())
    }

    /// The logistic sigmoid.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// let y = x.sigmoid(); // σ(0) = ½, σ′ = σ(1 − σ) = ¼
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(y.backward()[&x].item(), 0.25);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        self.unary_with(Op::Sigmoid, |v| v.sigmoid())
    }

    /// Hyperbolic tangent.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// assert_eq!(x.tanh().backward()[&x].item(), 1.0); // 1 − tanh² = 1 at 0
    /// ```
    #[must_use]
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.unary_with(Op::Tanh, |v| v.tanh())
    }

    /// Softmax along an axis (stable).
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
    /// let x = tape.var(Tensor::from([[0.0f64, 0.0]]));
    /// let p = x.softmax(-1);
    /// assert_eq!(p.value().to_vec(), vec![0.5, 0.5]);
    /// // the rows sum to 1 whatever x is, so Σ p has gradient 0
    /// assert_eq!(p.sum_all().backward()[&x].to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn softmax(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim(), "softmax");
        self.unary_with(Op::Softmax(ax), |v| v.softmax(ax as isize))
    }

    /// Log-softmax along an axis (stable; fused, never forms the softmax).
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
    /// let x = tape.var(Tensor::from([[0.0f64, 0.0]]));
    /// let lp = x.log_softmax(-1);
    /// assert!((lp.value().to_vec()[0] + 2f64.ln()).abs() < 1e-15);
    /// // d/dx₀ log p₀ = 1 − p₀ = ½, d/dx₁ log p₀ = −p₁ = −½
    /// let g = lp.narrow(1, 0, 1).sum_all().backward();
    /// assert_eq!(g[&x].to_vec(), vec![0.5, -0.5]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn log_softmax(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim(), "log_softmax");
        self.unary_with(Op::LogSoftmax(ax), |v| v.log_softmax(ax as isize))
    }

    /// Clamps into `[min, max]`; the gradient passes where `min ≤ x ≤ max`.
    ///
    /// # Panics
    /// If `min > max`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-2.0f64, 0.5, 3.0]));
    /// let y = x.clamp(-1.0, 1.0);
    /// assert_eq!(y.value().to_vec(), vec![-1.0, 0.5, 1.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn clamp(self, min: T, max: T) -> Self {
        self.unary(
            Op::Clamp(min.to_f64(), max.to_f64()),
            self.value().clamp(min, max),
        )
    }
}
