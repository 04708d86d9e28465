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

use crate::derivatives::{
    bce_denominator, choice_masks, concat_grads, elu_derivative, gelu_derivative,
    gelu_tanh_derivative, inverse_permutation, linear_weight_grad, mask, matmul_rhs_grad,
    max_shares, pow_derivatives, relu_slope, restore_axes, sign, winner_shares,
};
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
    #[must_use]
    fn lift(&self, t: Tensor<T>) -> Self;
    /// `self` where `mask` is non-zero, `o` elsewhere (a choice, never a product: an
    /// infinity on the side not taken does not turn into `∞·0 = NaN`).
    #[must_use]
    fn select(&self, mask: &Tensor<T>, o: &Self) -> Self;
    /// `self + o`, broadcasting.
    #[must_use]
    fn add(&self, o: &Self) -> Self;
    /// `self - o`, broadcasting.
    #[must_use]
    fn sub(&self, o: &Self) -> Self;
    /// `self * o`, broadcasting.
    #[must_use]
    fn mul(&self, o: &Self) -> Self;
    /// `self / o`, broadcasting.
    #[must_use]
    fn div(&self, o: &Self) -> Self;
    /// `-self`.
    #[must_use]
    fn neg(&self) -> Self;
    /// `self · s`.
    #[must_use]
    fn scale(&self, s: f64) -> Self;
    /// `self + s`.
    #[must_use]
    fn shift(&self, s: f64) -> Self;
    /// `e^self`.
    #[must_use]
    fn exp(&self) -> Self;
    /// `self^p`.
    #[must_use]
    fn powf(&self, p: f64) -> Self;
    /// `tanh self`.
    #[must_use]
    fn tanh(&self) -> Self;
    /// `erf self`.
    #[must_use]
    fn erf(&self) -> Self;
    /// `ln self`.
    #[must_use]
    fn ln(&self) -> Self;
    /// `sin self`.
    #[must_use]
    fn sin(&self) -> Self;
    /// `cos self`.
    #[must_use]
    fn cos(&self) -> Self;
    /// `σ(self)`, the logistic sigmoid.
    #[must_use]
    fn sigmoid(&self) -> Self;
    /// `self^o` with a tensor exponent, broadcasting.
    #[must_use]
    fn pow(&self, o: &Self) -> Self;
    /// Sum over `axes`, keeping them with length 1.
    #[must_use]
    fn sum_keep(&self, axes: &[usize]) -> Self;
    /// Sum a broadcast value back to `shape`.
    #[must_use]
    fn sum_to(&self, shape: &[usize]) -> Self;
    /// Broadcast to `shape`.
    #[must_use]
    fn expand(&self, shape: &[usize]) -> Self;
    /// Matrix product (batch axes broadcast).
    #[must_use]
    fn matmul(&self, o: &Self) -> Self;
    /// Swap two axes.
    #[must_use]
    fn transpose(&self, a: usize, b: usize) -> Self;
    /// Reorder axes.
    #[must_use]
    fn permute(&self, perm: &[usize]) -> Self;
    /// New shape, same elements.
    #[must_use]
    fn reshape(&self, shape: &[usize]) -> Self;
    /// Insert a length-1 axis.
    #[must_use]
    fn unsqueeze(&self, axis: usize) -> Self;
    /// Remove a length-1 axis.
    #[must_use]
    fn squeeze(&self, axis: usize) -> Self;
    /// Keep `len` entries of `axis` from `start`.
    #[must_use]
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Zero-pad `axis` to `len`, placing `self` at `start`.
    #[must_use]
    fn pad(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Pick entries along `axis`.
    #[must_use]
    fn index_select(&self, axis: usize, indices: &[usize]) -> Self;
    /// Sum entries into positions along an axis of length `len`.
    #[must_use]
    fn index_add(&self, axis: usize, indices: &[usize], len: usize) -> Self;
    /// `gather` with a constant index.
    #[must_use]
    fn gather(&self, axis: usize, index: &Self) -> Self;
    /// `scatter_add` into a zero tensor of `shape` with a constant index.
    #[must_use]
    fn scatter_add(&self, axis: usize, index: &Self, shape: &[usize]) -> Self;

    /// 2-D convolution by `w`.
    #[must_use]
    fn conv2d(&self, w: &Self, p: Conv2dParams) -> Self;
    /// Transposed convolution by `w` back to `[H, W] = size`.
    #[must_use]
    fn conv_transpose2d(&self, w: &Self, p: Conv2dParams, size: [usize; 2]) -> Self;
    /// The weight gradient of a convolution of `self` whose output gradient is `g`.
    #[must_use]
    fn conv2d_weight(&self, g: &Self, p: Conv2dParams, kernel: [usize; 2]) -> Self;
    /// Sums into `[N, C, size]` at the constant plane positions `idx`.
    #[must_use]
    fn max_unpool2d(&self, idx: &Self, size: [usize; 2]) -> Self;
    /// Average pooling.
    #[must_use]
    fn avg_pool(&self, p: AvgPool) -> Self;
    /// The adjoint of average pooling, back to `[H, W] = size`.
    #[must_use]
    fn avg_pool_adjoint(&self, p: AvgPool, size: [usize; 2]) -> Self;

    /// The gradients of an LSTM cell ([`Op::LstmCell`]) whose output `out` has the
    /// gradient `self`: `(d gates, d c_prev)`. Composed from the ops above by default (a
    /// recorded pass stays differentiable); tensors run the fused
    /// [`Tensor::lstm_cell_backward`], the same formulas in one pass.
    #[must_use]
    fn lstm_cell_backward(&self, gates: &Self, c_prev: &Self, out: &Self) -> (Self, Self) {
        crate::derivatives_rnn::lstm_cell_grads(self, gates, c_prev, out)
    }
    /// The gradients of an LSTM layer direction over a sequence ([`Op::LstmSequence`])
    /// whose output `out` has the gradient `self`: `(d xw, d W_hh, d h0, d c0)`.
    /// Composed by default (recomputing the gates, so a recorded pass stays
    /// differentiable); tensors run the fused [`Tensor::lstm_sequence_backward`], with
    /// the gate pre-activations the forward pass saved (`gates`) when there are any.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    fn lstm_sequence_backward(
        &self,
        xw: &Self,
        w_hh: &Self,
        h0: &Self,
        c0: &Self,
        out: &Self,
        gates: Option<&Tensor<T>>,
        reverse: bool,
    ) -> (Self, Self, Self, Self) {
        let _ = gates;
        crate::derivatives_rnn::lstm_sequence_grads(self, xw, w_hh, h0, c0, out, reverse)
    }
    /// The gradients of a GRU cell ([`Op::GruCell`]) whose output has the gradient
    /// `self`: `(d x, d hw, d h_prev)`. Composed by default; tensors run the fused
    /// [`Tensor::gru_cell_backward`].
    #[must_use]
    fn gru_cell_backward(&self, x: &Self, hw: &Self, h_prev: &Self) -> (Self, Self, Self) {
        crate::derivatives_rnn::gru_cell_grads(self, x, hw, h_prev)
    }

    /// True if the value's last two axes are stored column-major (a transposed view of a
    /// contiguous matrix, such as `Wᵀ` in a linear layer).
    fn stored_transposed(&self) -> bool;

    /// Adds a further contribution to an accumulated gradient (a value used twice gets
    /// the sum). Tensors add in place.
    fn accumulate(&mut self, c: Self) {
        *self = self.add(&c);
    }

    /// Swap the last two axes (the matrix transpose).
    #[must_use]
    fn mt(&self) -> Self {
        let n = self.shape().len();
        self.transpose(n - 2, n - 1)
    }
}

/// The gradients of an op's inputs given the gradient `g` of its output.
///
/// `saved` is what the forward pass kept for the rule besides the inputs and the output
/// ([`crate::tape::Node::saved`]); `custom` computes the rule of a user-defined op (it
/// lives on the tape, not here).
#[allow(clippy::too_many_arguments)]
pub fn vjp<T: Float, D: BackwardOps<T>>(
    op: &Op,
    g: &D,
    x: &[D],
    out: &D,
    saved: Option<&Tensor<T>>,
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
            let (wins, loses) =
                winner_shares(&x[0].value(), &x[1].value(), matches!(op, Op::Maximum));
            smallvec![
                n(0).then(|| g.mul(&g.lift(wins))),
                n(1).then(|| g.mul(&g.lift(loses)))
            ]
        }
        Op::AddScalar(_) => smallvec![Some(g.clone())],
        Op::MulScalar(s) => smallvec![Some(g.scale(*s))],
        Op::Neg => smallvec![Some(g.neg())],
        // d/dx x^p = p·x^(p-1)
        // d/dx x^p = p·x^(p−1); 0 for p = 0 (the constant 1), also at x = 0 (as PyTorch)
        Op::PowScalar(p) if *p == 0.0 => smallvec![Some(g.scale(0.0))],
        Op::PowScalar(p) => smallvec![Some(g.mul(&x[0].powf(p - 1.0)).scale(*p))],
        Op::Exp => smallvec![Some(g.mul(out))],
        Op::Ln => smallvec![Some(g.div(&x[0]))],
        // d/dx √x = 1/(2√x)
        Op::Sqrt => smallvec![Some(g.div(&out.scale(2.0)))],
        // d/dx |x| = sign(x), 0 at the kink (as PyTorch)
        Op::Abs => smallvec![Some(g.mul(&g.lift(sign(&x[0].value()))))],
        // d/dx erf x = 2/√π · e^(−x²)
        Op::Erf => {
            let a = &x[0];
            let d = a.mul(a).neg().exp().scale(std::f64::consts::FRAC_2_SQRT_PI);
            smallvec![Some(g.mul(&d))]
        }
        // sin' = cos, cos' = −sin
        Op::Sin => smallvec![Some(g.mul(&x[0].cos()))],
        Op::Cos => smallvec![Some(g.mul(&x[0].sin()).neg())],
        // d/dx ln(1 + x) = 1/(1 + x)
        Op::Log1p => smallvec![Some(g.div(&x[0].shift(1.0)))],
        // d/dx (e^x − 1) = e^x (from x: `out + 1` cancels for negative x)
        Op::Expm1 => smallvec![Some(g.mul(&x[0].exp()))],
        // out = a^b: da = b·a^(b−1) (0 where b = 0), db = out·ln a (0 where a = 0, b ≥ 0)
        Op::Pow => {
            let (da, db) = pow_derivatives(&x[0], &x[1], out);
            smallvec![n(0).then(|| g.mul(&da)), n(1).then(|| g.mul(&db))]
        }
        // d/dp = (p − y) / max(p(1 − p), 1e-12), PyTorch's fused rule (finite at p ∈ {0, 1})
        Op::BinaryCrossEntropy => {
            let (p, y) = (&x[0], &x[1]);
            smallvec![Some(g.mul(&p.sub(y)).div(&bce_denominator(p))), None]
        }
        // 1 for x > 0 and at a NaN (which relu passes on, as PyTorch's threshold_backward)
        Op::Relu => smallvec![Some(g.mul(&g.lift(relu_slope(&x[0].value()))))],
        Op::LeakyRelu(slope) => {
            let s = T::from_f64(*slope);
            let d = x[0].value().map(|v| if v > T::ZERO { T::ONE } else { s });
            smallvec![Some(g.mul(&g.lift(d)))]
        }
        // x > 0: 1;  x ≤ 0: α·e^x (from x: `out + α` cancels for very negative x). A
        // choice, not a sum of masked terms: e^x is ∞ for large x, and ∞·0 is NaN.
        Op::Elu(alpha) => smallvec![Some(g.mul(&elu_derivative(&x[0], *alpha)))],
        // d/dx x·Φ(x) = Φ(x) + x·φ(x)
        Op::Gelu => smallvec![Some(g.mul(&gelu_derivative(&x[0])))],
        // d/dx ½x(1 + tanh u) = ½(1 + t) + ½x(1 − t²)·u',  u = k(x + c·x³)
        Op::GeluTanh => smallvec![Some(g.mul(&gelu_tanh_derivative(&x[0])))],
        // softplus' = σ(x) = 1 / (1 + e^−x)
        Op::Softplus => smallvec![Some(g.mul(&x[0].sigmoid()))],
        // σ' = σ(x)·σ(−x) (`σ(1 − σ)` is 0 once σ rounds to 1)
        Op::Sigmoid => smallvec![Some(g.mul(&out.mul(&x[0].neg().sigmoid())))],
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

        // Put the summed axes back (length 1), then broadcast to the input's shape.
        Op::Sum { axes, keepdim } => {
            smallvec![Some(restore_axes(g, axes, *keepdim).expand(&x[0].shape()))]
        }
        // The gradient goes to the maximal entries, split evenly on ties.
        Op::Max { axis, keepdim } => {
            let gk = restore_axes(g, &[*axis], *keepdim).expand(&x[0].shape());
            let share = max_shares(&x[0].value(), &out.value(), *axis, *keepdim);
            smallvec![Some(gk.mul(&g.lift(share)))]
        }
        // out = a·b:  da = g·bᵀ,  db = aᵀ·g  (summed over broadcast batch axes).
        Op::MatMul => {
            let (a, b) = (&x[0], &x[1]);
            smallvec![
                n(0).then(|| g.matmul(&b.mt()).sum_to(&a.shape())),
                n(1).then(|| matmul_rhs_grad(a, b, g))
            ]
        }

        // out = x·Wᵀ + b over the last axis:  dx = g·W,  dW = gᵀ·x (every leading axis
        // flattened into rows, so the sum runs over all of them),  db = g summed over rows.
        Op::Linear => {
            let (a, w) = (&x[0], &x[1]);
            let mut grads: InputGrads<D> = smallvec![
                n(0).then(|| g.matmul(w)),
                n(1).then(|| linear_weight_grad(a, g))
            ];
            if let Some(b) = x.get(2) {
                grads.push(n(2).then(|| g.sum_to(&b.shape())));
            }
            grads
        }

        Op::Transpose(a, b) => smallvec![Some(g.transpose(*a, *b))],
        Op::Permute(perm) => smallvec![Some(g.permute(&inverse_permutation(perm)))],
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
        // Each input gets its own slice of g.
        Op::Concat(axis) => concat_grads(g, x, *axis, need),
        Op::IndexSelect { axis, indices } => {
            smallvec![Some(g.index_add(*axis, indices, x[0].shape()[*axis]))]
        }
        Op::IndexAdd { axis, indices, .. } => smallvec![Some(g.index_select(*axis, indices))],
        Op::Gather(axis) => smallvec![Some(g.scatter_add(*axis, &x[1], &x[0].shape())), None],
        Op::ScatterAdd(axis) => smallvec![Some(g.gather(*axis, &x[1])), None],
        // The choice, as 0/1 (a mask value of 2, −1 or NaN picks `a` and must not scale
        // its gradient).
        Op::Where => {
            let (m, not_m) = choice_masks(&x[0].value());
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

        // LSTM cell: gates a = [a_i, a_f, a_g, a_o] (x[0]) and c_prev (x[1]) give
        // out = [h | c] with i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o),
        // c = f⊙c_prev + i⊙g, h = o⊙tanh c. Splitting g = [g_h | g_c]:
        //   dc = g_c + g_h⊙o⊙(1 − tanh²c)             (c reaches the loss two ways)
        //   da = [dc⊙g⊙σ'(a_i), dc⊙c_prev⊙σ'(a_f), dc⊙i⊙(1 − g²), g_h⊙tanh c⊙σ'(a_o)]
        //   dc_prev = dc⊙f,   with σ'(a) = σ(a)·σ(−a)
        // (`derivatives_rnn.rs` composes these; on tensors one fused pass computes them.)
        Op::LstmCell => {
            let (da, dc_prev) = g.lstm_cell_backward(&x[0], &x[1], out);
            smallvec![n(0).then_some(da), n(1).then_some(dc_prev)]
        }
        // LSTM over a sequence (x[0] = xw [T, N, 4H], x[1] = W_hh, x[2] = h0, x[3] = c0;
        // out = every step's [h_t | c_t]): backpropagation through time, the cell's rule
        // above at each step, visited last to first, where what reaches step t is
        //   g_t = g[t] + [d a_next·W_hh | dc_prev,next],   with a_t = xw[t] + h_prev·W_hhᵀ;
        //   d xw[t] = d a_t,   d W_hh = Σ_t d a_tᵀ·h_prev,t,
        //   d h0 = d a_first·W_hh,   d c0 = dc_prev,first.
        // The a_t are the gate pre-activations the forward pass saved, if it did.
        Op::LstmSequence { reverse } => {
            let (dxw, dw, dh0, dc0) =
                g.lstm_sequence_backward(&x[0], &x[1], &x[2], &x[3], out, saved, *reverse);
            smallvec![
                n(0).then_some(dxw),
                n(1).then_some(dw),
                n(2).then_some(dh0),
                n(3).then_some(dc0)
            ]
        }
        // GRU cell: x[0] = x·W_ihᵀ + b_ih, x[1] = hw = h·W_hhᵀ + b_hh (blocks r, z, n),
        // x[2] = h_prev; r = σ(x_r + hw_r), z = σ(x_z + hw_z), n = tanh(x_n + r⊙hw_n),
        // out = (1 − z)⊙n + z⊙h_prev:
        //   dn = g⊙(1 − z)⊙(1 − n²),  dr = dn⊙hw_n⊙σ'(a_r),  dz = g⊙(h_prev − n)⊙σ'(a_z)
        //   dx = [dr, dz, dn],  dhw = [dr, dz, dn⊙r],  dh_prev = g⊙z
        Op::GruCell => {
            let (dx, dhw, dh_prev) = g.gru_cell_backward(&x[0], &x[1], &x[2]);
            smallvec![
                n(0).then_some(dx),
                n(1).then_some(dhw),
                n(2).then_some(dh_prev)
            ]
        }
        Op::Custom(index) => custom(*index),
    }
}
