//! Forward ops on `Var`, elementwise: arithmetic, math functions, activations, softmax.
//! Each computes its value with the tensor crate and records one node (or a few, for ops
//! derived from primitives). Names and semantics mirror [`tensor::Tensor`]; the backward
//! rules are in [`crate::backward`]. Ops along axes are in `var_axes.rs`.

use smallvec::smallvec;
use tensor::{Float, Tensor};

use crate::op::Op;
use crate::tape::Var;

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
    #[track_caller]
    pub(crate) fn unary(self, op: Op, value: Tensor<T>) -> Self {
        self.tape.record(op, smallvec![self.id], value)
    }

    /// Records `op` with the value `f(&input)`, computed without cloning the input.
    #[track_caller]
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
    pub(crate) fn binary(
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let g = x.add(y).sum_all().backward();
    /// assert_eq!(g[&y].to_vec(), vec![1.0, 1.0]); // d(x + y)/dy = 1
    /// ```
    #[track_caller]
    #[must_use]
    pub fn add(self, other: Self) -> Self {
        self.binary(other, Op::Add, "add", |a, b| a.add(b))
    }

    /// `self - other`, broadcasting (also the `-` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let g = x.sub(y).sum_all().backward();
    /// assert_eq!(g[&y].to_vec(), vec![-1.0, -1.0]); // d(x − y)/dy = −1
    /// ```
    #[track_caller]
    #[must_use]
    pub fn sub(self, other: Self) -> Self {
        self.binary(other, Op::Sub, "sub", |a, b| a.sub(b))
    }

    /// `self * other` elementwise, broadcasting (also the `*` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let g = x.mul(y).sum_all().backward();
    /// assert_eq!(g[&x].to_vec(), vec![2.0, 3.0]); // d(xy)/dx = y
    /// ```
    #[track_caller]
    #[must_use]
    pub fn mul(self, other: Self) -> Self {
        self.binary(other, Op::Mul, "mul", |a, b| a.mul(b))
    }

    /// `self / other` elementwise, broadcasting (also the `/` operator).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let g = x.div(y).sum_all().backward();
    /// assert_eq!(g[&y].to_vec(), vec![-0.25, -4.0 / 9.0]); // d(x/y)/dy = −x/y²
    /// ```
    #[track_caller]
    #[must_use]
    pub fn div(self, other: Self) -> Self {
        self.binary(other, Op::Div, "div", |a, b| a.div(b))
    }

    /// Elementwise maximum, broadcasting; on ties each side gets half the gradient.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let m = x.maximum(y);
    /// assert_eq!(m.value().to_vec(), vec![2.0, 4.0]);
    /// assert_eq!(m.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0]); // the larger side
    /// ```
    #[track_caller]
    #[must_use]
    pub fn maximum(self, other: Self) -> Self {
        self.binary(other, Op::Maximum, "maximum", |a, b| a.maximum(b))
    }

    /// Elementwise minimum, broadcasting; on ties each side gets half the gradient.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or the operands are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = tape.var(Tensor::from([2.0f64, 3.0]));
    /// let m = x.minimum(y);
    /// assert_eq!(m.value().to_vec(), vec![1.0, 3.0]);
    /// assert_eq!(m.sum_all().backward()[&x].to_vec(), vec![1.0, 0.0]); // the smaller side
    /// ```
    #[track_caller]
    #[must_use]
    pub fn minimum(self, other: Self) -> Self {
        self.binary(other, Op::Minimum, "minimum", |a, b| a.minimum(b))
    }

    /// `x + s`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// assert_eq!(x.add_scalar(0.5).value().to_vec(), vec![1.5, 4.5]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn add_scalar(self, s: T) -> Self {
        self.unary_with(Op::AddScalar(s.to_f64()), |v| v.add_scalar(s))
    }

    /// `x · s`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let g = x.mul_scalar(3.0).sum_all().backward();
    /// assert_eq!(g[&x].to_vec(), vec![3.0, 3.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn mul_scalar(self, s: T) -> Self {
        self.unary_with(Op::MulScalar(s.to_f64()), |v| v.mul_scalar(s))
    }

    /// `x - s`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// assert_eq!(x.sub_scalar(1.0).value().to_vec(), vec![0.0, 3.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn sub_scalar(self, s: T) -> Self {
        self.add_scalar(-s)
    }

    /// `x / s`, recorded as a multiplication by `1/s` (one node, the vectorized scalar
    /// loop; it can differ from `x / s` by 1 ulp where `s` is not a power of two). Where
    /// `1/s` is not finite — `s` is 0 or so small that its reciprocal overflows, as a
    /// subnormal `s` in f32 — it is recorded as a division instead, so that `1e-5 / 1e-40`
    /// is `1e35` in f32, not ∞, and `0 / 0` is NaN.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let g = x.div_scalar(2.0).sum_all().backward();
    /// assert_eq!(g[&x].to_vec(), vec![0.5, 0.5]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn div_scalar(self, s: T) -> Self {
        let r = T::ONE / s;
        if r.is_finite() {
            self.mul_scalar(r)
        } else {
            self / self.tape.constant(Tensor::scalar(s))
        }
    }

    /// `s - x` (recorded as `neg` then `add`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = x.rsub_scalar(1.0); // 1 − x
    /// assert_eq!(y.value().to_vec(), vec![0.0, -3.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![-1.0, -1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn rsub_scalar(self, s: T) -> Self {
        self.neg().add_scalar(s)
    }

    /// `s / x` (recorded as `pow exponent=-1` then `mul`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = x.rdiv_scalar(1.0); // 1/x, d/dx = −1/x²
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![-1.0, -1.0 / 16.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn rdiv_scalar(self, s: T) -> Self {
        self.powf(-T::ONE).mul_scalar(s)
    }

    /// `-x`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// assert_eq!(x.neg().sum_all().backward()[&x].to_vec(), vec![-1.0, -1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn neg(self) -> Self {
        self.unary_with(Op::Neg, |v| v.neg())
    }

    /// `x^p` for a constant real exponent.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = x.powf(1.5); // d/dx x^1.5 = 1.5·√x
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![1.5, 3.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn powf(self, p: T) -> Self {
        self.unary_with(Op::PowScalar(p.to_f64()), |v| v.powf(p))
    }

    /// `x^n` for an integer exponent.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = x.powi(3); // d/dx x³ = 3x²
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![3.0, 48.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn powi(self, n: i32) -> Self {
        self.unary_with(Op::PowScalar(n as f64), |v| v.powi(n))
    }

    /// `x²`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// assert_eq!(x.square().sum_all().backward()[&x].to_vec(), vec![2.0, 8.0]); // 2x
    /// ```
    #[must_use]
    #[track_caller]
    pub fn square(self) -> Self {
        self.powi(2)
    }

    /// `e^x`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([0.0f64, 1.0]));
    /// let y = x.exp();
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), y.value().to_vec()); // (eˣ)′ = eˣ
    /// ```
    #[must_use]
    #[track_caller]
    pub fn exp(self) -> Self {
        self.unary_with(Op::Exp, |v| v.exp())
    }

    /// `ln x`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// assert_eq!(x.ln().sum_all().backward()[&x].to_vec(), vec![1.0, 0.25]); // 1/x
    /// ```
    #[must_use]
    #[track_caller]
    #[doc(alias = "log")]
    pub fn ln(self) -> Self {
        self.unary_with(Op::Ln, |v| v.ln())
    }

    /// `√x`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 4.0]));
    /// let y = x.sqrt(); // d/dx √x = 1/(2√x)
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.5, 0.25]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.unary_with(Op::Sqrt, |v| v.sqrt())
    }

    /// `|x|` (gradient `sign(x)`, 0 at 0).
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([-2.0f64, 0.0, 3.0]));
    /// // sign(x), and 0 at the kink (as PyTorch)
    /// assert_eq!(x.abs().sum_all().backward()[&x].to_vec(), vec![-1.0, 0.0, 1.0]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn abs(self) -> Self {
        self.unary_with(Op::Abs, |v| v.abs())
    }

    /// The error function.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.0f64));
    /// // d/dx erf x = 2/√π · e^(−x²)
    /// let g = x.erf().backward()[&x].item();
    /// assert!((g - std::f64::consts::FRAC_2_SQRT_PI).abs() < 1e-15);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn erf(self) -> Self {
        self.unary_with(Op::Erf, |v| v.erf())
    }
}
