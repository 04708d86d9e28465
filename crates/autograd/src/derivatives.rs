//! The local derivatives that keep the derivative table's arms short: each helper
//! computes one factor a rule in `backward.rs` multiplies by. Written against
//! [`BackwardOps`] (or on plain tensors for masks), like the table itself.

use tensor::{Float, Tensor};

use crate::backward::{BackwardOps, InputGrads};

/// `sign(x)` elementwise, with 0 at 0 (and at NaN, as `torch.sgn` gives there).
pub(crate) fn sign<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    x.map(|v| {
        if v > T::ZERO {
            T::ONE
        } else if v < T::ZERO {
            -T::ONE
        } else {
            T::ZERO
        }
    })
}

/// `where`'s choice as two 0/1 masks, (taken, not taken): any non-zero mask value (2,
/// −1, NaN) picks the first branch, and the gradient is the choice, never scaled by it.
pub(crate) fn choice_masks<T: Float>(m: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
    let taken = mask(m, |v| v != T::ZERO);
    let other = taken.rsub_scalar(T::ONE);
    (taken, other)
}

/// relu's slope: 1 for `x > 0` and at a NaN (relu passes a NaN on, and PyTorch's
/// `threshold_backward` zeroes only where the output is `≤ 0`), 0 elsewhere.
pub(crate) fn relu_slope<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    mask(x, |v| v > T::ZERO || v.is_nan())
}

/// ELU's derivative, `α·e^x` for `x ≤ 0` and `1` elsewhere (also at a NaN), as a choice
/// between the two, as PyTorch's `elu_backward` tests `x <= 0`: a masked sum would form
/// `e^x·0 = ∞·0 = NaN` where `x` is large (above 88.7 in f32). The exponential is taken
/// of `x` where it is ≤ 0 and of 0 elsewhere, so that the branch not taken stays finite
/// for the derivative of this derivative too.
pub(crate) fn elu_derivative<T: Float, V: BackwardOps<T>>(x: &V, alpha: f64) -> V {
    let value = x.value();
    let pos = mask(&value, |v| v > T::ZERO || v.is_nan());
    let not_pos = pos.rsub_scalar(T::ONE);
    let x_neg = x.select(&not_pos, &x.lift(Tensor::zeros(value.shape())));
    x.lift(pos.clone()).select(&pos, &x_neg.exp().scale(alpha))
}

/// For `maximum(a, b)` (or `minimum` with `max = false`): the share of the gradient
/// each side takes: 1 for the winner, 0 for the loser, ½ each on a tie.
pub(crate) fn winner_shares<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    max: bool,
) -> (Tensor<T>, Tensor<T>) {
    let wins = a.zip_with(b, if max { "maximum" } else { "minimum" }, |p, q| {
        let win = if max { p > q } else { p < q };
        match (win, p == q) {
            (true, _) => T::ONE,
            (false, true) => T::from_f64(0.5),
            (false, false) => T::ZERO,
        }
    });
    let loses = wins.rsub_scalar(T::ONE);
    (wins, loses)
}

/// For `max` along `axis`: 1/k at each of the k entries equal to the maximum, else 0. A
/// NaN maximum counts every NaN entry as equal to it, so the gradient goes to the NaN
/// rather than NaN to every entry: PyTorch's rule for the whole-tensor `torch.max()`
/// (`evenly_distribute_backward`, mask `(x == out) | (isnan(x) & isnan(out))`), applied
/// along an axis too (PyTorch's `amax` gives NaN everywhere there, and `max(dim)` sends
/// all of it to the first NaN).
pub(crate) fn max_shares<T: Float>(
    x: &Tensor<T>,
    out: &Tensor<T>,
    axis: usize,
    keepdim: bool,
) -> Tensor<T> {
    let best = if keepdim {
        out.clone()
    } else {
        out.unsqueeze(axis as isize)
    };
    let hits = x.zip_with(&best, "max", |v, m| {
        if v == m || (v.is_nan() && m.is_nan()) {
            T::ONE
        } else {
            T::ZERO
        }
    });
    hits.div(&hits.sum(axis as isize, true))
}

/// `g` with every reduced axis in `axes` put back as a length-1 axis (in increasing
/// order), unless the reduction kept them.
pub(crate) fn restore_axes<T: Float, D: BackwardOps<T>>(g: &D, axes: &[usize], keepdim: bool) -> D {
    if keepdim {
        return g.clone();
    }
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    sorted.iter().fold(g.clone(), |gk, &a| gk.unsqueeze(a))
}

/// `db = aᵀ·g` for `out = a·b`. When b is stored transposed (`x·Wᵀ` with W kept
/// `[out, in]`), it is computed as `(gᵀ·a)ᵀ`: the same numbers, laid out like W, so
/// nothing downstream copies.
pub(crate) fn matmul_rhs_grad<T: Float, D: BackwardOps<T>>(a: &D, b: &D, g: &D) -> D {
    let plain = a.shape().len() == 2 && b.shape().len() == 2;
    if plain && b.stored_transposed() {
        g.mt().matmul(a).mt()
    } else {
        a.mt().matmul(g).sum_to(&b.shape())
    }
}

/// The weight gradient of [`crate::Op::Linear`], `gᵀ·x`, with `x [*, in]` and
/// `g [*, out]` flattened to `[rows, in]` and `[rows, out]` (a 1-D `x` is one row).
pub(crate) fn linear_weight_grad<T: Float, D: BackwardOps<T>>(x: &D, g: &D) -> D {
    let (xs, gs) = (x.shape(), g.shape());
    if xs.len() == 2 {
        return g.mt().matmul(x);
    }
    let in_features = xs[xs.len() - 1];
    let rows = xs[..xs.len() - 1].iter().product::<usize>();
    let g = g.reshape(&[rows, gs[gs.len() - 1]]);
    g.mt().matmul(&x.reshape(&[rows, in_features]))
}

/// The permutation that undoes `perm`.
pub(crate) fn inverse_permutation(perm: &[usize]) -> Vec<usize> {
    let mut inverse = vec![0; perm.len()];
    for (k, &p) in perm.iter().enumerate() {
        inverse[p] = k;
    }
    inverse
}

/// For `concat` along `axis`: input i gets the slice of `g` where it was placed.
pub(crate) fn concat_grads<T: Float, D: BackwardOps<T>>(
    g: &D,
    x: &[D],
    axis: usize,
    need: &[bool],
) -> InputGrads<D> {
    let mut start = 0;
    x.iter()
        .zip(need)
        .map(|(xi, &needed)| {
            let len = xi.shape()[axis];
            start += len;
            needed.then(|| g.narrow(axis, start - len, len))
        })
        .collect()
}

/// `Φ(x) + x·φ(x)` with `Φ(x) = ½(1 + erf(x/√2))`, `φ(x) = e^(−x²/2)/√(2π)`.
pub(crate) fn gelu_derivative<T: Float, D: BackwardOps<T>>(a: &D) -> D {
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
    let cdf = a.scale(FRAC_1_SQRT_2).erf().shift(1.0).scale(0.5);
    let pdf = a
        .mul(a)
        .scale(-0.5)
        .exp()
        .scale(0.5 * FRAC_2_SQRT_PI * FRAC_1_SQRT_2);
    cdf.add(&a.mul(&pdf))
}

/// `½(1 + t) + ½x(1 − t²)·k(1 + 3c·x²)` with `t = tanh(k(x + c·x³))`, `k = √(2/π)`,
/// `c = 0.044715` (PyTorch's `approximate="tanh"`).
pub(crate) fn gelu_tanh_derivative<T: Float, D: BackwardOps<T>>(a: &D) -> D {
    let (k, c) = (0.797_884_560_802_865_4, 0.044_715);
    let x2 = a.mul(a);
    let t = a.add(&x2.mul(a).scale(c)).scale(k).tanh();
    let du = x2.scale(3.0 * c).shift(1.0).scale(k);
    let slope = a.scale(0.5).mul(&t.mul(&t).neg().shift(1.0)).mul(&du);
    t.shift(1.0).scale(0.5).add(&slope)
}

/// For `out = a^b`: `(b·a^(b−1), out·ln a)`, with PyTorch's conventions at the special
/// points: the first is 0 where `b = 0` (the constant 1), the second is 0 where `a = 0`
/// and `b ≥ 0` (`0^b` is constant in `b` there).
pub(crate) fn pow_derivatives<T: Float, D: BackwardOps<T>>(a: &D, b: &D, out: &D) -> (D, D) {
    let (av, bv) = (a.value(), b.value());
    // Where b = 0, take a^(b−1) at a = 1 instead (0⁻¹ = ∞ would give 0·∞ = NaN).
    let b_nonzero = mask(&bv, |v| v != T::ZERO);
    let a_for_da = a
        .mul(&a.lift(b_nonzero.clone()))
        .add(&a.lift(b_nonzero.rsub_scalar(T::ONE)));
    let da = b.mul(&a_for_da.pow(&b.shift(-1.0))).mul(&a.lift(b_nonzero));
    let flat = av.zip_with(&bv, "pow", |p, q| {
        if p == T::ZERO && q >= T::ZERO {
            T::ZERO
        } else {
            T::ONE
        }
    });
    // Where the derivative is 0, take ln of 1 instead of ln 0 (so no 0·∞ = NaN).
    let safe_a = a
        .mul(&a.lift(flat.clone()))
        .add(&a.lift(flat.rsub_scalar(T::ONE)));
    let db = out.mul(&safe_a.ln()).mul(&a.lift(flat));
    (da, db)
}

/// `max(p(1 − p), ε)` with ε = 1e-12, as PyTorch's `binary_cross_entropy_backward`.
pub(crate) fn bce_denominator<T: Float, D: BackwardOps<T>>(p: &D) -> D {
    const EPS: f64 = 1e-12;
    let d = p.mul(&p.neg().shift(1.0));
    let above = mask(&d.value(), |v| v.to_f64() > EPS);
    d.mul(&p.lift(above.clone()))
        .add(&p.lift(above.rsub_scalar(T::ONE).mul_scalar(T::from_f64(EPS))))
}

/// `1` where `pred` holds, else `0`, as a tensor shaped like `x`.
pub(crate) fn mask<T: Float>(x: &Tensor<T>, pred: impl Fn(T) -> bool + Sync) -> Tensor<T> {
    x.map(|v| if pred(v) { T::ONE } else { T::ZERO })
}
