//! The element trait: the math the kernels need, for `f32` and `f64` only.
//!
//! Two element types and one trait keep the generic shallow (see `docs/decisions.md`):
//! `f32` is the default for training, `f64` is what gradient checks run in.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::fastmath;

/// A floating-point element type: implemented for `f32` and `f64`.
///
/// Besides the arithmetic operators it carries the handful of scalar functions the
/// kernels call. `fast_exp`, `fast_tanh` and `fast_sigmoid` are branch-free versions that
/// the compiler vectorizes inside [`crate::simd::dispatch`]; their accuracy is stated in
/// [`crate::fastmath`].
pub trait Float:
    Copy
    + Send
    + Sync
    + 'static
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + approx::AbsDiffEq<Epsilon = Self>
    + approx::RelativeEq
    + approx::UlpsEq
{
    /// The type's name (`"f32"` or `"f64"`), used in messages and file headers.
    const NAME: &'static str;
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// The smallest positive normal number (below it lie the slow subnormals).
    const MIN_POSITIVE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// Not a number.
    const NAN: Self;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts from `usize` (counts and indices).
    #[must_use]
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// `e^self` (standard library, correctly rounded to about 1 ulp).
    #[must_use]
    fn exp(self) -> Self;
    /// Natural logarithm.
    #[must_use]
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near 0.
    #[must_use]
    fn ln_1p(self) -> Self;
    /// `e^self − 1`, accurate near 0 (where `exp(x) − 1` cancels: in f32 it is 0 at
    /// x = −1e-8 and 1.3 % off at −1e-6).
    #[must_use]
    fn exp_m1(self) -> Self;
    /// Square root.
    #[must_use]
    fn sqrt(self) -> Self;
    /// `self^p` for a real exponent.
    #[must_use]
    fn powf(self, p: Self) -> Self;
    /// `self^n` for an integer exponent.
    #[must_use]
    fn powi(self, n: i32) -> Self;
    /// Absolute value.
    #[must_use]
    fn abs(self) -> Self;
    /// Hyperbolic tangent (standard library).
    #[must_use]
    fn tanh(self) -> Self;
    /// Sine (standard library), in radians.
    #[must_use]
    fn sin(self) -> Self;
    /// Cosine (standard library), in radians.
    #[must_use]
    fn cos(self) -> Self;
    /// The error function.
    #[must_use]
    fn erf(self) -> Self;
    /// The complementary error function `1 − erf(self)`, accurate where `erf` is near 1
    /// (used by exact GELU: `Φ(x) = ½·erfc(−x/√2)`, which `½(1 + erf(x/√2))` rounds to 0
    /// for x below about −6 in f32).
    #[must_use]
    fn erfc(self) -> Self;
    /// Larger of two values; NaN if either is NaN (as `torch.maximum`).
    #[must_use]
    fn max(self, other: Self) -> Self;
    /// Smaller of two values; NaN if either is NaN (as `torch.minimum`).
    #[must_use]
    fn min(self, other: Self) -> Self;
    /// True if NaN.
    fn is_nan(self) -> bool;
    /// True if neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// `self`, or 0 if `|self|` is subnormal. Decaying running averages (optimizer state)
    /// otherwise spend thousands of steps in the subnormal range, where x86 arithmetic is
    /// about a hundred times slower.
    #[inline(always)]
    #[must_use]
    fn flush_subnormal(self) -> Self {
        if self.abs() < Self::MIN_POSITIVE {
            Self::ZERO
        } else {
            self
        }
    }
    /// Vectorizable `e^self`; see [`crate::fastmath`] for its error bound.
    #[must_use]
    fn fast_exp(self) -> Self;
    /// Vectorizable `tanh`; see [`crate::fastmath`] for its error bound.
    #[must_use]
    fn fast_tanh(self) -> Self;
    /// Vectorizable logistic sigmoid `1 / (1 + e^-self)`, computed from `e = e^-|self|`
    /// (which cannot overflow) as `1/(1 + e)` for `self ≥ 0` and `e/(1 + e)` below, so a
    /// large negative input gives `≈ e^self` (down into the subnormals) rather than
    /// `1/∞ = 0`, and `σ(−x) = 1 − σ(x)` holds without cancellation.
    #[inline(always)]
    #[must_use]
    fn fast_sigmoid(self) -> Self {
        let e = (-self.abs()).fast_exp();
        let s = Self::ONE / (Self::ONE + e);
        if self >= Self::ZERO {
            s
        } else {
            e * s
        }
    }
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const EPSILON: Self = f32::EPSILON;
    const MIN_POSITIVE: Self = f32::MIN_POSITIVE;
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    const NAN: Self = f32::NAN;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f32::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f32::ln(self)
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        f32::ln_1p(self)
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        f32::exp_m1(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn powf(self, p: Self) -> Self {
        f32::powf(self, p)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        f32::powi(self, n)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    fn sin(self) -> Self {
        f32::sin(self)
    }
    fn cos(self) -> Self {
        f32::cos(self)
    }
    fn erf(self) -> Self {
        libm::erff(self)
    }
    fn erfc(self) -> Self {
        libm::erfcf(self)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f32::NAN
        } else if self >= other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f32::NAN
        } else if self <= other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn fast_exp(self) -> Self {
        fastmath::exp_f32(self)
    }
    #[inline(always)]
    fn fast_tanh(self) -> Self {
        fastmath::tanh_f32(self)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const EPSILON: Self = f64::EPSILON;
    const MIN_POSITIVE: Self = f64::MIN_POSITIVE;
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    const NAN: Self = f64::NAN;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn powf(self, p: Self) -> Self {
        f64::powf(self, p)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f64::NAN
        } else if self >= other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f64::NAN
        } else if self <= other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn fast_exp(self) -> Self {
        fastmath::exp_f64(self)
    }
    #[inline(always)]
    fn fast_tanh(self) -> Self {
        fastmath::tanh_f64(self)
    }
}
