//! Elementwise math: unary functions, broadcasting binary ops, scalar variants,
//! comparisons to 0/1 masks, and `where_`.

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::shape::{broadcast_shapes, same_shape};
use crate::strided;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Combines two tensors elementwise with NumPy broadcasting; `op` names the operation
    /// in the error.
    ///
    /// # Errors
    /// [`TensorError::IncompatibleShapes`] naming `op` and both shapes.
    pub fn try_zip_with(
        &self,
        other: &Self,
        op: &'static str,
        f: impl Fn(T, T) -> T + Sync,
    ) -> Result<Self> {
        if same_shape(self.shape(), other.shape()) {
            return Ok(self.zip_same_shape(other, f));
        }
        let shape = broadcast_shapes(self.shape(), other.shape()).map_err(|_| {
            TensorError::IncompatibleShapes {
                op,
                lhs: self.shape().to_vec(),
                rhs: other.shape().to_vec(),
            }
        })?;
        let la = self.layout.broadcast_to(&shape)?;
        let lb = other.layout.broadcast_to(&shape)?;
        let data = strided::zip_map(&self.storage, &la, &other.storage, &lb, f);
        Ok(Tensor::from_storage(data, &shape))
    }

    /// Combines two tensors elementwise with NumPy broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast; the message names `op` and both shapes.
    #[track_caller]
    #[must_use]
    pub fn zip_with(&self, other: &Self, op: &'static str, f: impl Fn(T, T) -> T + Sync) -> Self {
        // The common case first, without a `Result` to build and unwrap.
        if same_shape(self.shape(), other.shape()) {
            return self.zip_same_shape(other, f);
        }
        unwrap(self.try_zip_with(other, op, f))
    }

    /// `f` pairwise over two tensors of the same shape.
    fn zip_same_shape(&self, other: &Self, f: impl Fn(T, T) -> T + Sync) -> Self {
        let data = strided::zip_map(
            &self.storage,
            &self.layout,
            &other.storage,
            &other.layout,
            f,
        );
        Tensor::from_storage(data, self.shape())
    }

    /// `self + other`, broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::from([[1.0f32], [2.0]]);
    /// let b = Tensor::from([10.0f32, 20.0, 30.0]);
    /// assert_eq!(a.add(&b).shape(), &[2, 3]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn add(&self, other: &Self) -> Self {
        self.zip_with(other, "add", |a, b| a + b)
    }

    /// `self - other`, broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn sub(&self, other: &Self) -> Self {
        self.zip_with(other, "sub", |a, b| a - b)
    }

    /// `self * other` elementwise, broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn mul(&self, other: &Self) -> Self {
        self.zip_with(other, "mul", |a, b| a * b)
    }

    /// `self / other` elementwise, broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn div(&self, other: &Self) -> Self {
        self.zip_with(other, "div", |a, b| a / b)
    }

    /// Elementwise maximum, broadcasting; NaN if either side is NaN.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn maximum(&self, other: &Self) -> Self {
        self.zip_with(other, "maximum", |a, b| a.max(b))
    }

    /// Elementwise minimum, broadcasting; NaN if either side is NaN.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn minimum(&self, other: &Self) -> Self {
        self.zip_with(other, "minimum", |a, b| a.min(b))
    }

    /// `self ^ other` elementwise (real exponents), broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    #[track_caller]
    #[must_use]
    pub fn pow(&self, other: &Self) -> Self {
        self.zip_with(other, "pow", |a, b| a.powf(b))
    }

    /// Sine elementwise (radians).
    ///
    /// ```
    /// let y = tensor::Tensor::from([0.0f64, std::f64::consts::FRAC_PI_2]).sin();
    /// assert_eq!(y.to_vec(), vec![0.0, 1.0]);
    /// ```
    #[must_use]
    pub fn sin(&self) -> Self {
        self.map(move |x| x.sin())
    }

    /// Cosine elementwise (radians).
    #[must_use]
    pub fn cos(&self) -> Self {
        self.map(move |x| x.cos())
    }

    /// `-self`.
    #[must_use]
    pub fn neg(&self) -> Self {
        self.map(move |x| -x)
    }

    /// `e^x` elementwise (vectorized; see [`crate::fastmath`] for accuracy).
    ///
    /// ```
    /// let y = tensor::Tensor::from([0.0f64, 1.0]).exp();
    /// approx::assert_relative_eq!(y.to_vec()[1], std::f64::consts::E, max_relative = 1e-15);
    /// ```
    #[must_use]
    pub fn exp(&self) -> Self {
        self.map(move |x| x.fast_exp())
    }

    /// Natural logarithm elementwise.
    #[must_use]
    #[doc(alias = "log")]
    pub fn ln(&self) -> Self {
        self.map(move |x| x.ln())
    }

    /// `e^x − 1` elementwise, accurate near 0 (`torch.expm1`; `exp(x) − 1` loses every
    /// digit there).
    ///
    /// ```
    /// let y = tensor::Tensor::from([-1e-8f32, 0.0, 1.0]).expm1().to_vec();
    /// assert_eq!(y[0], -1e-8);
    /// approx::assert_relative_eq!(y[2], std::f32::consts::E - 1.0, max_relative = 1e-6);
    /// ```
    #[must_use]
    pub fn expm1(&self) -> Self {
        self.map(move |x| x.exp_m1())
    }

    /// `ln(1 + x)` elementwise, accurate near 0 (`torch.log1p`).
    ///
    /// ```
    /// let y = tensor::Tensor::from([-1e-8f32, 0.0, 1.0]).log1p().to_vec();
    /// assert_eq!(y[0], -1e-8);
    /// approx::assert_relative_eq!(y[2], std::f32::consts::LN_2, max_relative = 1e-6);
    /// ```
    #[must_use]
    pub fn log1p(&self) -> Self {
        self.map(move |x| x.ln_1p())
    }

    /// `ln(1 + e^x)` elementwise, stable for any `x`: `max(x, 0) + ln(1 + e^-|x|)`.
    #[must_use]
    pub fn softplus(&self) -> Self {
        self.map(move |x| x.max(T::ZERO) + (-x.abs()).fast_exp().ln_1p())
    }

    /// Square root elementwise.
    #[must_use]
    pub fn sqrt(&self) -> Self {
        self.map(move |x| x.sqrt())
    }

    /// `x^p` elementwise for a real exponent.
    #[must_use]
    pub fn powf(&self, p: T) -> Self {
        // As in PyTorch (`PowKernel.cpp`): `x^1` is `x`, `x^2` is `x·x` (one rounding,
        // where libm's `powf` may differ by an ulp, and several times faster; the rule of
        // `x^2` needs `x^1`).
        if p == T::ONE {
            self.map(move |x| x)
        } else if p == T::from_f64(2.0) {
            self.map(move |x| x * x)
        } else {
            self.map(move |x| x.powf(p))
        }
    }

    /// `x^n` elementwise for an integer exponent.
    #[must_use]
    pub fn powi(&self, n: i32) -> Self {
        match n {
            1 => self.map(move |x| x),
            2 => self.map(move |x| x * x),
            _ => self.map(move |x| x.powi(n)),
        }
    }

    /// The error function elementwise (libm's `erf`).
    #[must_use]
    pub fn erf(&self) -> Self {
        self.map(move |x| x.erf())
    }

    /// The complementary error function `1 − erf(x)` elementwise (libm's `erfc`),
    /// accurate where `erf(x)` is near 1 (`torch.erfc`).
    ///
    /// ```
    /// let y = tensor::Tensor::from([5.0f64]).erfc().item();
    /// approx::assert_relative_eq!(y, 1.5374597944280349e-12, max_relative = 1e-14);
    /// ```
    #[must_use]
    pub fn erfc(&self) -> Self {
        self.map(move |x| x.erfc())
    }

    /// `x²` elementwise.
    #[must_use]
    pub fn square(&self) -> Self {
        self.map(move |x| x * x)
    }

    /// Absolute value elementwise.
    #[must_use]
    pub fn abs(&self) -> Self {
        self.map(move |x| x.abs())
    }

    /// `max(x, 0)` elementwise (NaN stays NaN).
    #[must_use]
    pub fn relu(&self) -> Self {
        self.map(move |x| {
            if x.is_nan() || x > T::ZERO {
                x
            } else {
                T::ZERO
            }
        })
    }

    /// The logistic sigmoid `1 / (1 + e^-x)` elementwise (vectorized), computed as
    /// `e^x / (1 + e^x)` for negative `x` so that it never forms `e^{-x} = ∞`: σ(−100)
    /// is 3.7e-44 in f32, not 0.
    #[must_use]
    pub fn sigmoid(&self) -> Self {
        self.map(move |x| x.fast_sigmoid())
    }

    /// Hyperbolic tangent elementwise (vectorized; see [`crate::fastmath`]).
    #[must_use]
    pub fn tanh(&self) -> Self {
        self.map(move |x| x.fast_tanh())
    }

    /// Clamps every element into `[min, max]` (NaN stays NaN).
    ///
    /// # Panics
    /// If `min > max`.
    #[track_caller]
    #[must_use]
    pub fn clamp(&self, min: T, max: T) -> Self {
        assert!(min <= max, "clamp: min {min} is greater than max {max}");
        self.map(move |x| {
            if x < min {
                min
            } else if x > max {
                max
            } else {
                x
            }
        })
    }

    /// `x + s` for a scalar `s`.
    #[must_use]
    pub fn add_scalar(&self, s: T) -> Self {
        self.map(move |x| x + s)
    }

    /// `x - s` for a scalar `s`.
    #[must_use]
    pub fn sub_scalar(&self, s: T) -> Self {
        self.map(move |x| x - s)
    }

    /// `x * s` for a scalar `s`.
    #[must_use]
    pub fn mul_scalar(&self, s: T) -> Self {
        self.map(move |x| x * s)
    }

    /// `x / s` for a scalar `s`.
    #[must_use]
    pub fn div_scalar(&self, s: T) -> Self {
        self.map(move |x| x / s)
    }

    /// `s - x` for a scalar `s`.
    #[must_use]
    pub fn rsub_scalar(&self, s: T) -> Self {
        self.map(move |x| s - x)
    }

    /// `s / x` for a scalar `s`.
    #[must_use]
    pub fn rdiv_scalar(&self, s: T) -> Self {
        self.map(move |x| s / x)
    }

    /// `max(x, s)` for a scalar `s`.
    #[must_use]
    pub fn maximum_scalar(&self, s: T) -> Self {
        self.map(move |x| x.max(s))
    }

    /// `min(x, s)` for a scalar `s`.
    #[must_use]
    pub fn minimum_scalar(&self, s: T) -> Self {
        self.map(move |x| x.min(s))
    }

    /// 1 where `self > other`, else 0 (broadcasting).
    ///
    /// ```
    /// let m = tensor::Tensor::from([1.0f32, 5.0]).gt(&tensor::Tensor::scalar(2.0));
    /// assert_eq!(m.to_vec(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gt(&self, other: &Self) -> Self {
        self.zip_with(other, "gt", |a, b| mask(a > b))
    }

    /// 1 where `self >= other`, else 0 (broadcasting).
    #[track_caller]
    #[must_use]
    pub fn ge(&self, other: &Self) -> Self {
        self.zip_with(other, "ge", |a, b| mask(a >= b))
    }

    /// 1 where `self < other`, else 0 (broadcasting).
    #[track_caller]
    #[must_use]
    pub fn lt(&self, other: &Self) -> Self {
        self.zip_with(other, "lt", |a, b| mask(a < b))
    }

    /// 1 where `self <= other`, else 0 (broadcasting).
    #[track_caller]
    #[must_use]
    pub fn le(&self, other: &Self) -> Self {
        self.zip_with(other, "le", |a, b| mask(a <= b))
    }

    /// 1 where `self == other`, else 0 (broadcasting).
    #[track_caller]
    #[must_use]
    pub fn eq_mask(&self, other: &Self) -> Self {
        self.zip_with(other, "eq", |a, b| mask(a == b))
    }

    /// 1 where `self != other`, else 0 (broadcasting).
    #[track_caller]
    #[must_use]
    pub fn ne_mask(&self, other: &Self) -> Self {
        self.zip_with(other, "ne", |a, b| mask(a != b))
    }

    /// 1 where `x > s`, else 0.
    #[must_use]
    pub fn gt_scalar(&self, s: T) -> Self {
        self.map(move |x| mask(x > s))
    }

    /// 1 where `x >= s`, else 0.
    #[must_use]
    pub fn ge_scalar(&self, s: T) -> Self {
        self.map(move |x| mask(x >= s))
    }

    /// 1 where `x < s`, else 0.
    #[must_use]
    pub fn lt_scalar(&self, s: T) -> Self {
        self.map(move |x| mask(x < s))
    }

    /// 1 where `x <= s`, else 0.
    #[must_use]
    pub fn le_scalar(&self, s: T) -> Self {
        self.map(move |x| mask(x <= s))
    }

    /// Picks `a` where `cond` is non-zero and `b` elsewhere, broadcasting all three, as
    /// `torch.where(cond, a, b)`.
    ///
    /// # Panics
    /// If the three shapes do not broadcast together.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let cond = Tensor::from([1.0f32, 0.0, 1.0]);
    /// let r = Tensor::where_(&cond, &Tensor::from([1.0, 2.0, 3.0]), &Tensor::scalar(0.0));
    /// assert_eq!(r.to_vec(), vec![1.0, 0.0, 3.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn where_(cond: &Self, a: &Self, b: &Self) -> Self {
        let shape = unwrap(
            broadcast_shapes(cond.shape(), a.shape())
                .and_then(|s| broadcast_shapes(&s, b.shape()))
                .map_err(|_| TensorError::Invalid {
                    op: "where",
                    reason: format!(
                        "shapes {:?} (condition), {:?} and {:?} do not broadcast together",
                        cond.shape(),
                        a.shape(),
                        b.shape()
                    ),
                }),
        );
        let c = cond.broadcast_to(&shape).to_vec();
        let x = a.broadcast_to(&shape).to_vec();
        let y = b.broadcast_to(&shape).to_vec();
        let data = c
            .into_iter()
            .zip(x)
            .zip(y)
            .map(|((c, x), y)| if c != T::ZERO { x } else { y })
            .collect();
        Tensor::from_parts(data, &shape)
    }
}

#[inline(always)]
fn mask<T: Float>(b: bool) -> T {
    if b {
        T::ONE
    } else {
        T::ZERO
    }
}
