//! Forward ops on `Var`, elementwise: arithmetic, math functions, activations, softmax.
//! Each computes its value with the tensor crate and records one node (or a few, for ops
//! derived from primitives). Names and semantics mirror [`tensor::Tensor`]; the backward
//! rules are in [`crate::backward`]. Ops along axes are in `var_axes.rs`.

use smallvec::smallvec;
use tensor::{Float, Tensor};

use crate::op::Op;
use crate::tape::Var;

/// `√(2/π)`, used by GELU's tanh form.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of GELU's tanh form.
const GELU_TANH_C: f64 = 0.044_715;

#[track_caller]
pub(crate) fn axis_of(axis: isize, ndim: usize, op: &str) -> usize {
    let n = ndim as isize;
    assert!(
        (-n..n).contains(&axis),
        "{op}: axis {axis} is out of range for a tensor with {ndim} axes"
    );
    if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    }
}

// `add`, `sub`, `mul`, `div` and `neg` are also the `std::ops` operators (var_arith.rs);
// the named methods mirror `Tensor`'s API, so clippy's suggestion to only implement the
// traits does not apply.
#[allow(clippy::should_implement_trait)]
impl<'t, T: Float> Var<'t, T> {
    pub(crate) fn unary(self, op: Op, value: Tensor<T>) -> Self {
        self.tape.record(op, smallvec![self.id], value)
    }

    /// Records `op` with the value `f(&input)`, computed without cloning the input.
    pub(crate) fn unary_with(self, op: Op, f: impl FnOnce(&Tensor<T>) -> Tensor<T>) -> Self {
        let value = self.with_value(f);
        self.unary(op, value)
    }

    /// Broadcasts both operands to their common shape, recording an `Expand` node for
    /// each one whose shape changes.
    #[track_caller]
    pub(crate) fn broadcast_pair(self, other: Self, op: &'static str) -> (Self, Self) {
        self.same_tape(other, op);
        let same = {
            let nodes = self.tape.nodes.borrow();
            nodes[self.id].value.shape() == nodes[other.id].value.shape()
        };
        if same {
            return (self, other);
        }
        let (sa, sb) = (self.shape(), other.shape());
        // A `match`, not a closure: closures do not carry `#[track_caller]`.
        let shape = match tensor::broadcast_shapes(&sa, &sb) {
            Ok(shape) => shape,
            Err(_) => panic!("{op}: shapes {sa:?} and {sb:?} are incompatible"),
        };
        (self.broadcast_to(&shape), other.broadcast_to(&shape))
    }

    #[track_caller]
    fn binary(
        self,
        other: Self,
        op: Op,
        name: &'static str,
        f: impl Fn(&Tensor<T>, &Tensor<T>) -> Tensor<T>,
    ) -> Self {
        let (a, b) = self.broadcast_pair(other, name);
        let value = {
            let nodes = self.tape.nodes.borrow();
            f(&nodes[a.id].value, &nodes[b.id].value)
        };
        self.tape.record(op, smallvec![a.id, b.id], value)
    }

    /// `self + other`, broadcasting (also the `+` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn add(self, other: Self) -> Self {
        self.binary(other, Op::Add, "add", |a, b| a.add(b))
    }

    /// `self - other`, broadcasting (also the `-` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn sub(self, other: Self) -> Self {
        self.binary(other, Op::Sub, "sub", |a, b| a.sub(b))
    }

    /// `self * other` elementwise, broadcasting (also the `*` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn mul(self, other: Self) -> Self {
        self.binary(other, Op::Mul, "mul", |a, b| a.mul(b))
    }

    /// `self / other` elementwise, broadcasting (also the `/` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn div(self, other: Self) -> Self {
        self.binary(other, Op::Div, "div", |a, b| a.div(b))
    }

    /// Elementwise maximum, broadcasting; on ties each side gets half the gradient.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn maximum(self, other: Self) -> Self {
        self.binary(other, Op::Maximum, "maximum", |a, b| a.maximum(b))
    }

    /// Elementwise minimum, broadcasting; on ties each side gets half the gradient.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    #[track_caller]
    pub fn minimum(self, other: Self) -> Self {
        self.binary(other, Op::Minimum, "minimum", |a, b| a.minimum(b))
    }

    /// `x + s`.
    pub fn add_scalar(self, s: T) -> Self {
        self.unary_with(Op::AddScalar(s.to_f64()), |v| v.add_scalar(s))
    }

    /// `x · s`.
    pub fn mul_scalar(self, s: T) -> Self {
        self.unary_with(Op::MulScalar(s.to_f64()), |v| v.mul_scalar(s))
    }

    /// `x - s`.
    pub fn sub_scalar(self, s: T) -> Self {
        self.add_scalar(-s)
    }

    /// `x / s` (recorded as a multiplication by `1/s`).
    pub fn div_scalar(self, s: T) -> Self {
        self.mul_scalar(T::ONE / s)
    }

    /// `s - x` (recorded as `neg` then `add`).
    pub fn rsub_scalar(self, s: T) -> Self {
        self.neg().add_scalar(s)
    }

    /// `s / x` (recorded as `pow -1` then `mul`).
    pub fn rdiv_scalar(self, s: T) -> Self {
        self.powf(-T::ONE).mul_scalar(s)
    }

    /// `-x`.
    pub fn neg(self) -> Self {
        self.unary_with(Op::Neg, |v| v.neg())
    }

    /// `x^p` for a constant real exponent.
    pub fn powf(self, p: T) -> Self {
        self.unary_with(Op::PowScalar(p.to_f64()), |v| v.powf(p))
    }

    /// `x^n` for an integer exponent.
    pub fn powi(self, n: i32) -> Self {
        self.unary_with(Op::PowScalar(n as f64), |v| v.powi(n))
    }

    /// `x²`.
    pub fn square(self) -> Self {
        self.powi(2)
    }

    /// `e^x`.
    pub fn exp(self) -> Self {
        self.unary_with(Op::Exp, |v| v.exp())
    }

    /// `ln x`.
    pub fn ln(self) -> Self {
        self.unary_with(Op::Ln, |v| v.ln())
    }

    /// `√x`.
    pub fn sqrt(self) -> Self {
        self.unary_with(Op::Sqrt, |v| v.sqrt())
    }

    /// `|x|` (gradient `sign(x)`, 0 at 0).
    pub fn abs(self) -> Self {
        self.unary_with(Op::Abs, |v| v.abs())
    }

    /// The error function.
    pub fn erf(self) -> Self {
        self.unary_with(Op::Erf, |v| v.erf())
    }

    /// `max(x, 0)` (gradient 0 at 0, as PyTorch).
    pub fn relu(self) -> Self {
        self.unary_with(Op::Relu, |v| v.relu())
    }

    /// `x` for `x > 0`, else `slope · x` (PyTorch's default slope is 0.01).
    pub fn leaky_relu(self, slope: T) -> Self {
        let value = self
            .value()
            .map(|x| if x > T::ZERO { x } else { slope * x });
        self.unary(Op::LeakyRelu(slope.to_f64()), value)
    }

    /// `x` for `x > 0`, else `alpha · (e^x − 1)` (PyTorch's default alpha is 1), with
    /// `e^x − 1` computed by `expm1`: in f32 `exp(x) − 1` is 0 at x = −1e-8.
    pub fn elu(self, alpha: T) -> Self {
        let value = self
            .value()
            .map(|x| if x > T::ZERO { x } else { alpha * x.exp_m1() });
        self.unary(Op::Elu(alpha.to_f64()), value)
    }

    /// GELU, exact form: `x · Φ(x) = x · ½(1 + erf(x/√2))` (PyTorch's default), with
    /// `Φ(x)` computed as `½·erfc(−x/√2)`: `1 + erf` cancels for negative `x` (in f32 it
    /// is 0 below x ≈ −5.9, where GELU is still −1e-8).
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
    pub fn gelu_tanh(self) -> Self {
        let (two_k, c) = (T::from_f64(2.0 * SQRT_2_OVER_PI), T::from_f64(GELU_TANH_C));
        let value = self
            .value()
            .map(|x| x * (two_k * (x + c * x * x * x)).fast_sigmoid());
        self.unary(Op::GeluTanh, value)
    }

    /// `ln(1 + e^x)`, stable for any `x` (the smooth ReLU; `−softplus(−x)` is
    /// `ln σ(x)`).
    pub fn softplus(self) -> Self {
        self.unary_with(Op::Softplus, |v| v.softplus())
    }

    /// The logistic sigmoid.
    pub fn sigmoid(self) -> Self {
        self.unary_with(Op::Sigmoid, |v| v.sigmoid())
    }

    /// Hyperbolic tangent.
    pub fn tanh(self) -> Self {
        self.unary_with(Op::Tanh, |v| v.tanh())
    }

    /// Softmax along an axis (stable).
    ///
    /// # Panics
    /// If the axis is out of range.
    #[track_caller]
    pub fn softmax(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim(), "softmax");
        self.unary_with(Op::Softmax(ax), |v| v.softmax(ax as isize))
    }

    /// Log-softmax along an axis (stable; fused, never forms the softmax).
    ///
    /// # Panics
    /// If the axis is out of range.
    #[track_caller]
    pub fn log_softmax(self, axis: isize) -> Self {
        let ax = axis_of(axis, self.ndim(), "log_softmax");
        self.unary_with(Op::LogSoftmax(ax), |v| v.log_softmax(ax as isize))
    }

    /// Clamps into `[min, max]`; the gradient passes where `min ≤ x ≤ max`.
    ///
    /// # Panics
    /// If `min > max`.
    #[track_caller]
    pub fn clamp(self, min: T, max: T) -> Self {
        self.unary(
            Op::Clamp(min.to_f64(), max.to_f64()),
            self.value().clamp(min, max),
        )
    }
}
