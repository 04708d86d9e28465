//! THE derivative table: every op's backward rule, in one exhaustive `match`.
//!
//! Read it like PyTorch's `derivatives.yaml`. Fixed names in every arm:
//! `g` is the gradient of the loss with respect to the op's output (dL/dout), `x[0]`,
//! `x[1]`, … are the op's inputs (bound to `a`, `b` where that reads better), and `out`
//! is the op's output. Each arm returns one entry per input: `Some(dL/dinput)`, or `None`
//! where that input needs no gradient (`need[i]` is false), so unneeded work (such as the
//! gradient of a data input to a matmul) is skipped.
//!
//! Rules are written once against [`BackwardOps`], which both [`Tensor`] and
//! [`crate::Var`] implement. Run on tensors (the normal `backward`), a rule is plain,
//! fast tensor math that records nothing. Run on `Var`s ([`crate::Var::grad_graph`]),
//! it records the backward pass itself, so gradients can be differentiated again.
//!
//! Broadcasting never appears here except in [`Op::Expand`]: binary ops see inputs of
//! equal shape, so only `Expand`'s rule reduces (with `sum_to`).

use smallvec::{smallvec, SmallVec};
use tensor::{AvgPool, Conv2dParams, Float, Tensor};

use crate::op::Op;

/// One optional gradient per input.
pub type InputGrads<D> = SmallVec<[Option<D>; 3]>;

/// The operations backward rules are written in. Implemented by [`Tensor`] (compute) and
/// [`crate::Var`] (compute and record).
pub trait BackwardOps<T: Float>: Clone {
    /// The shape.
    fn shape(&self) -> Vec<usize>;
    /// The current value (for building masks).
    fn value(&self) -> Tensor<T>;
    /// A constant with the given value, beside `self` (a mask or weight that is not
    /// differentiated).
    fn lift(&self, t: Tensor<T>) -> Self;
    /// `self + o`, broadcasting.
    fn add(&self, o: &Self) -> Self;
    /// `self - o`, broadcasting.
    fn sub(&self, o: &Self) -> Self;
    /// `self * o`, broadcasting.
    fn mul(&self, o: &Self) -> Self;
    /// `self / o`, broadcasting.
    fn div(&self, o: &Self) -> Self;
    /// `-self`.
    fn neg(&self) -> Self;
    /// `self · s`.
    fn scale(&self, s: f64) -> Self;
    /// `self + s`.
    fn shift(&self, s: f64) -> Self;
    /// `e^self`.
    fn exp(&self) -> Self;
    /// `self^p`.
    fn powf(&self, p: f64) -> Self;
    /// `tanh self`.
    fn tanh(&self) -> Self;
    /// `erf self`.
    fn erf(&self) -> Self;
    /// Sum over `axes`, keeping them with length 1.
    fn sum_keep(&self, axes: &[usize]) -> Self;
    /// Sum a broadcast value back to `shape`.
    fn sum_to(&self, shape: &[usize]) -> Self;
    /// Broadcast to `shape`.
    fn expand(&self, shape: &[usize]) -> Self;
    /// Matrix product (batch axes broadcast).
    fn matmul(&self, o: &Self) -> Self;
    /// Swap two axes.
    fn transpose(&self, a: usize, b: usize) -> Self;
    /// Reorder axes.
    fn permute(&self, perm: &[usize]) -> Self;
    /// New shape, same elements.
    fn reshape(&self, shape: &[usize]) -> Self;
    /// Insert a length-1 axis.
    fn unsqueeze(&self, axis: usize) -> Self;
    /// Remove a length-1 axis.
    fn squeeze(&self, axis: usize) -> Self;
    /// Keep `len` entries of `axis` from `start`.
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Zero-pad `axis` to `len`, placing `self` at `start`.
    fn pad(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Pick entries along `axis`.
    fn index_select(&self, axis: usize, indices: &[usize]) -> Self;
    /// Sum entries into positions along an axis of length `len`.
    fn index_add(&self, axis: usize, indices: &[usize], len: usize) -> Self;
    /// `gather` with a constant index.
    fn gather(&self, axis: usize, index: &Self) -> Self;
    /// `scatter_add` into a zero tensor of `shape` with a constant index.
    fn scatter_add(&self, axis: usize, index: &Self, shape: &[usize]) -> Self;

    /// 2-D convolution by `w`.
    fn conv2d(&self, w: &Self, p: Conv2dParams) -> Self;
    /// Transposed convolution by `w` back to `[H, W] = size`.
    fn conv_transpose2d(&self, w: &Self, p: Conv2dParams, size: [usize; 2]) -> Self;
    /// The weight gradient of a convolution of `self` whose output gradient is `g`.
    fn conv2d_weight(&self, g: &Self, p: Conv2dParams, kernel: [usize; 2]) -> Self;
    /// Sums into `[N, C, size]` at the constant plane positions `idx`.
    fn max_unpool2d(&self, idx: &Self, size: [usize; 2]) -> Self;
    /// Average pooling.
    fn avg_pool(&self, p: AvgPool) -> Self;
    /// The adjoint of average pooling, back to `[H, W] = size`.
    fn avg_pool_adjoint(&self, p: AvgPool, size: [usize; 2]) -> Self;

    /// True if the value's last two axes are stored column-major (a transposed view of a
    /// contiguous matrix, such as `Wᵀ` in a linear layer).
    fn stored_transposed(&self) -> bool;

    /// Swap the last two axes (the matrix transpose).
    fn mt(&self) -> Self {
        let n = self.shape().len();
        self.transpose(n - 2, n - 1)
    }
}

/// `1` where `pred` holds, else `0`, as a tensor shaped like `x`.
fn mask<T: Float>(x: &Tensor<T>, pred: impl Fn(T) -> bool + Sync) -> Tensor<T> {
    x.map(|v| if pred(v) { T::ONE } else { T::ZERO })
}

/// The gradients of an op's inputs given the gradient `g` of its output.
///
/// `custom` computes the rule of a user-defined op (it lives on the tape, not here).
pub fn vjp<T: Float, D: BackwardOps<T>>(
    op: &Op,
    g: &D,
    x: &[D],
    out: &D,
    need: &[bool],
    custom: impl FnOnce(usize) -> InputGrads<D>,
) -> InputGrads<D> {
    let n = |i: usize| need[i];
    match op {
        Op::Leaf | Op::Constant | Op::Param(_) => smallvec![],

        Op::Add => smallvec![n(0).then(|| g.clone()), n(1).then(|| g.clone())],
        Op::Sub => smallvec![n(0).then(|| g.clone()), n(1).then(|| g.neg())],
        Op::Mul => {
            let (a, b) = (&x[0], &x[1]);
            smallvec![n(0).then(|| g.mul(b)), n(1).then(|| g.mul(a))]
        }
        Op::Div => {
            // out = a/b:  d/da = 1/b,  d/db = -a/b² = -out/b
            let b = &x[1];
            smallvec![
                n(0).then(|| g.div(b)),
                n(1).then(|| g.mul(out).div(b).neg())
            ]
        }
        Op::Maximum | Op::Minimum => {
            // The winning side takes the gradient; a tie splits it evenly (as PyTorch).
            let (a, b) = (x[0].value(), x[1].value());
            let max = matches!(op, Op::Maximum);
            let wins = a.zip_with(&b, "maximum", |p, q| {
                let win = if max { p > q } else { p < q };
                T::from_f64(if win {
                    1.0
                } else if p == q {
                    0.5
                } else {
                    0.0
                })
            });
            let loses = wins.rsub_scalar(T::ONE);
            smallvec![
                n(0).then(|| g.mul(&g.lift(wins))),
                n(1).then(|| g.mul(&g.lift(loses)))
            ]
        }
        Op::AddScalar(_) => smallvec![Some(g.clone())],
        Op::MulScalar(s) => smallvec![Some(g.scale(*s))],
        Op::Neg => smallvec![Some(g.neg())],
        // d/dx x^p = p·x^(p-1)
        Op::PowScalar(p) => smallvec![Some(g.mul(&x[0].powf(p - 1.0)).scale(*p))],
        Op::Exp => smallvec![Some(g.mul(out))],
        Op::Ln => smallvec![Some(g.div(&x[0]))],
        // d/dx √x = 1/(2√x)
        Op::Sqrt => smallvec![Some(g.div(&out.scale(2.0)))],
        Op::Abs => {
            let sign = x[0].value().map(|v| {
                if v > T::ZERO {
                    T::ONE
                } else if v < T::ZERO {
                    -T::ONE
                } else {
                    T::ZERO
                }
            });
            smallvec![Some(g.mul(&g.lift(sign)))]
        }
        // d/dx erf x = 2/√π · e^(−x²)
        Op::Erf => {
            let a = &x[0];
            let d = a.mul(a).neg().exp().scale(std::f64::consts::FRAC_2_SQRT_PI);
            smallvec![Some(g.mul(&d))]
        }
        Op::Relu => smallvec![Some(g.mul(&g.lift(mask(&x[0].value(), |v| v > T::ZERO))))],
        Op::LeakyRelu(slope) => {
            let s = T::from_f64(*slope);
            let d = x[0].value().map(|v| if v > T::ZERO { T::ONE } else { s });
            smallvec![Some(g.mul(&g.lift(d)))]
        }
        Op::Elu(alpha) => {
            // x > 0: 1;  x ≤ 0: α·e^x = out + α
            let pos = mask(&x[0].value(), |v| v > T::ZERO);
            let neg = pos.rsub_scalar(T::ONE);
            let d = out.shift(*alpha).mul(&g.lift(neg)).add(&g.lift(pos));
            smallvec![Some(g.mul(&d))]
        }
        Op::Gelu => {
            // d/dx x·Φ(x) = Φ(x) + x·φ(x),  φ(x) = e^(−x²/2)/√(2π)
            let a = &x[0];
            let cdf = a
                .scale(std::f64::consts::FRAC_1_SQRT_2)
                .erf()
                .shift(1.0)
                .scale(0.5);
            let pdf =
                a.mul(a).scale(-0.5).exp().scale(
                    0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2,
                );
            smallvec![Some(g.mul(&cdf.add(&a.mul(&pdf))))]
        }
        Op::GeluTanh => {
            // out = ½x(1+t), t = tanh(u), u = k(x + c·x³):
            // d/dx = ½(1+t) + ½x(1−t²)·k(1 + 3c·x²)
            let (k, c) = (0.797_884_560_802_865_4, 0.044_715);
            let a = &x[0];
            let x2 = a.mul(a);
            let t = a.add(&x2.mul(a).scale(c)).scale(k).tanh();
            let du = x2.scale(3.0 * c).shift(1.0).scale(k);
            let d = t
                .shift(1.0)
                .scale(0.5)
                .add(&a.scale(0.5).mul(&t.mul(&t).neg().shift(1.0)).mul(&du));
            smallvec![Some(g.mul(&d))]
        }
        // softplus' = σ(x) = 1 / (1 + e^−x)
        Op::Softplus => smallvec![Some(g.mul(&x[0].neg().exp().shift(1.0).powf(-1.0)))],
        // σ' = σ(1 − σ)
        Op::Sigmoid => smallvec![Some(g.mul(&out.mul(&out.neg().shift(1.0))))],
        // tanh' = 1 − tanh²
        Op::Tanh => smallvec![Some(g.mul(&out.mul(out).neg().shift(1.0)))],
        // dx = out ⊙ (g − Σ_axis g⊙out)
        Op::Softmax(axis) => smallvec![Some(out.mul(&g.sub(&g.mul(out).sum_keep(&[*axis]))))],
        // dx = g − softmax(x) ⊙ Σ_axis g,  softmax(x) = e^out
        Op::LogSoftmax(axis) => smallvec![Some(g.sub(&out.exp().mul(&g.sum_keep(&[*axis]))))],
        Op::Clamp(lo, hi) => {
            let (lo, hi) = (T::from_f64(*lo), T::from_f64(*hi));
            smallvec![Some(
                g.mul(&g.lift(mask(&x[0].value(), |v| v >= lo && v <= hi)))
            )]
        }

        Op::Sum { axes, keepdim } => {
            // Put the summed axes back (length 1), then broadcast to the input's shape.
            let mut sorted = axes.clone();
            sorted.sort_unstable();
            let mut gk = g.clone();
            if !keepdim {
                for &a in &sorted {
                    gk = gk.unsqueeze(a);
                }
            }
            smallvec![Some(gk.expand(&x[0].shape()))]
        }
        Op::Max { axis, keepdim } => {
            // The gradient goes to the maximal entries, split evenly on ties.
            let xv = x[0].value();
            let best = if *keepdim {
                out.value()
            } else {
                out.value().unsqueeze(*axis as isize)
            };
            let hits = xv.zip_with(&best, "max", |v, m| if v == m { T::ONE } else { T::ZERO });
            let share = hits.div(&hits.sum(*axis as isize, true));
            let gk = if *keepdim {
                g.clone()
            } else {
                g.unsqueeze(*axis)
            };
            smallvec![Some(gk.expand(&x[0].shape()).mul(&g.lift(share)))]
        }
        Op::MatMul => {
            // out = a·b:  da = g·bᵀ,  db = aᵀ·g  (summed over broadcast batch axes).
            // When b is stored transposed (x·Wᵀ with W kept [out, in]), db is computed as
            // (gᵀ·a)ᵀ: the same numbers, laid out like W, so nothing downstream copies.
            let (a, b) = (&x[0], &x[1]);
            let plain = a.shape().len() == 2 && b.shape().len() == 2;
            smallvec![
                n(0).then(|| g.matmul(&b.mt()).sum_to(&a.shape())),
                n(1).then(|| {
                    if plain && b.stored_transposed() {
                        g.mt().matmul(a).mt()
                    } else {
                        a.mt().matmul(g).sum_to(&b.shape())
                    }
                }),
            ]
        }

        Op::Transpose(a, b) => smallvec![Some(g.transpose(*a, *b))],
        Op::Permute(perm) => {
            let mut inverse = vec![0; perm.len()];
            for (k, &p) in perm.iter().enumerate() {
                inverse[p] = k;
            }
            smallvec![Some(g.permute(&inverse))]
        }
        Op::Reshape => smallvec![Some(g.reshape(&x[0].shape()))],
        Op::Expand => smallvec![Some(g.sum_to(&x[0].shape()))],
        Op::Unsqueeze(axis) => smallvec![Some(g.squeeze(*axis))],
        Op::Squeeze(axis) => smallvec![Some(g.unsqueeze(*axis))],
        Op::Narrow { axis, start, .. } => {
            smallvec![Some(g.pad(*axis, *start, x[0].shape()[*axis]))]
        }
        Op::Pad { axis, start, .. } => {
            smallvec![Some(g.narrow(*axis, *start, x[0].shape()[*axis]))]
        }
        Op::Concat(axis) => {
            let mut start = 0;
            x.iter()
                .enumerate()
                .map(|(i, xi)| {
                    let len = xi.shape()[*axis];
                    start += len;
                    n(i).then(|| g.narrow(*axis, start - len, len))
                })
                .collect()
        }
        Op::IndexSelect { axis, indices } => {
            smallvec![Some(g.index_add(*axis, indices, x[0].shape()[*axis]))]
        }
        Op::IndexAdd { axis, indices, .. } => smallvec![Some(g.index_select(*axis, indices))],
        Op::Gather(axis) => smallvec![Some(g.scatter_add(*axis, &x[1], &x[0].shape())), None],
        Op::ScatterAdd(axis) => smallvec![Some(g.gather(*axis, &x[1])), None],
        Op::Where => {
            let m = x[0].value();
            let not_m = m.map(|v| if v != T::ZERO { T::ZERO } else { T::ONE });
            smallvec![
                None,
                n(1).then(|| g.mul(&g.lift(m))),
                n(2).then(|| g.mul(&g.lift(not_m)))
            ]
        }

        // out = x ⋆ w (cross-correlation). Its input gradient is a convolution too: the
        // transposed convolution of g by the same w; its weight gradient correlates x
        // with g. Both are ops below, so second derivatives close over the three.
        Op::Conv2d(p) => {
            let (a, w) = (&x[0], &x[1]);
            let (s, k) = (a.shape(), w.shape());
            smallvec![
                n(0).then(|| g.conv_transpose2d(w, *p, [s[2], s[3]])),
                n(1).then(|| a.conv2d_weight(g, *p, [k[2], k[3]]))
            ]
        }
        // out = convᵀ(a, w) is the adjoint of a ↦ a ⋆ w, so ⟨out, g⟩ = ⟨a, g ⋆ w⟩:
        // da = g ⋆ w (a convolution), dw = conv2d_weight(g, a).
        Op::ConvTranspose2d { params, .. } => {
            let (a, w) = (&x[0], &x[1]);
            let k = w.shape();
            smallvec![
                n(0).then(|| g.conv2d(w, *params)),
                n(1).then(|| g.conv2d_weight(a, *params, [k[2], k[3]]))
            ]
        }
        // out = conv2d_weight(a, e) satisfies ⟨out, g⟩ = ⟨a ⋆ g, e⟩:
        // da = convᵀ(e, g) (a transposed convolution), de = a ⋆ g (a convolution).
        Op::Conv2dWeight { params, .. } => {
            let (a, e) = (&x[0], &x[1]);
            let s = a.shape();
            smallvec![
                n(0).then(|| e.conv_transpose2d(g, *params, [s[2], s[3]])),
                n(1).then(|| a.conv2d(g, *params))
            ]
        }
        // Each output is one input (its window's first maximum, whose position the forward
        // kept as input 1): the gradient is g summed into those positions.
        Op::MaxPool2d(_) => {
            let s = x[0].shape();
            smallvec![Some(g.max_unpool2d(&x[1], [s[2], s[3]])), None]
        }
        // The adjoint of a sum into positions is picking those positions (a gather per
        // plane).
        Op::MaxUnpool2d { .. } => {
            let (s, idx) = (x[0].shape(), &x[1]);
            let plane = |v: &D, l: usize| v.reshape(&[s[0], s[1], l]);
            let picked = plane(g, g.shape()[2] * g.shape()[3]).gather(2, &plane(idx, s[2] * s[3]));
            smallvec![Some(picked.reshape(&s)), None]
        }
        // Linear: the gradient is the adjoint (each window's share spread back).
        Op::AvgPool2d(p) => {
            let s = x[0].shape();
            smallvec![Some(g.avg_pool_adjoint(*p, [s[2], s[3]]))]
        }
        Op::AvgPool2dAdjoint { pool, .. } => smallvec![Some(g.avg_pool(*pool))],
        Op::Custom(index) => custom(*index),
    }
}
