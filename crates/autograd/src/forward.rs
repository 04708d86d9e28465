//! THE tangent table: every op's forward-mode (JVP) rule, in one exhaustive `match`, and
//! the one forward loop that pushes tangents along the tape. The forward-mode twin of
//! [`crate::backward`].
//!
//! Fixed names in every arm: `t(i)` is the tangent of input `i` (`dx[i]`, the directional
//! derivative of `x[i]` along the direction being pushed; `None` means zero), `x[0]`,
//! `x[1]`, … are the op's inputs and `out` its output. Each arm returns the tangent of
//! the output, `d out = J·dx`: the same local derivatives as the backward rule, applied
//! to the inputs' tangents instead of the output's gradient. Where the backward rule
//! transposes (a sum becomes a broadcast, a narrow becomes a pad, `g·bᵀ` becomes
//! `da·b`), this table does not: it applies `J`, the other applies `Jᵀ`.
//!
//! The two tables are written independently and check each other: for every op kind,
//! `crates/autograd/tests/jvp.rs` tests the dot-product identity ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩
//! (this table on the left, [`crate::backward::vjp`] on the right) on random `u`, `v`,
//! and each table against finite differences.
//!
//! Like the backward rules, these are written against [`BackwardOps`], so they run on
//! [`Tensor`]s (plain math) or on [`crate::Var`]s (the tangent computation is recorded,
//! so it can be differentiated in reverse: reverse-over-forward).

use smallvec::SmallVec;
use tensor::{Float, Tensor};

use crate::backward::BackwardOps;
use crate::derivatives::{
    bce_denominator, choice_masks, elu_derivative, gelu_derivative, gelu_tanh_derivative, mask,
    max_shares, pow_derivatives, relu_slope, sign, winner_shares,
};
use crate::derivatives_rnn::{gru_cell_tangent, lstm_cell_tangent, lstm_sequence_tangent};
use crate::op::Op;
use crate::tape::{NodeId, Tape};

/// `a + b` where `None` is zero.
fn plus<T: Float, D: BackwardOps<T>>(a: Option<D>, b: Option<D>) -> Option<D> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.add(&b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The tangent of an op's output given the tangents `dx` of its inputs (`None` = zero).
/// Returns `None` when the output's tangent is zero because every input's is.
///
/// `custom` computes the tangent of a user-defined op (its rule lives on the tape).
///
/// # Panics
/// If `dx` is shorter than the op's inputs.
#[allow(clippy::too_many_lines)] // one arm per op, as the backward table
pub fn jvp<T: Float, D: BackwardOps<T>>(
    op: &Op,
    x: &[D],
    dx: &[Option<D>],
    out: &D,
    custom: impl FnOnce(usize) -> Option<D>,
) -> Option<D> {
    let t = |i: usize| dx[i].as_ref();
    // `linear(f)`: an op linear in its one input, with f applied to the tangent.
    let linear = |f: &dyn Fn(&D) -> D| t(0).map(f);
    match op {
        Op::Leaf | Op::Constant | Op::Param(_) => None,

        Op::Add => plus(t(0).cloned(), t(1).cloned()),
        Op::Sub => plus(t(0).cloned(), t(1).map(D::neg)),
        // d(a·b) = da·b + a·db
        Op::Mul => plus(t(0).map(|da| da.mul(&x[1])), t(1).map(|db| x[0].mul(db))),
        // d(a/b) = da/b − (a/b)·db/b = (da − out·db)/b
        Op::Div => {
            let b = &x[1];
            plus(
                t(0).map(|da| da.div(b)),
                t(1).map(|db| out.mul(db).div(b).neg()),
            )
        }
        Op::Maximum | Op::Minimum => {
            // The winner's tangent; a tie averages both (the subgradient the VJP uses).
            let (wins, loses) =
                winner_shares(&x[0].value(), &x[1].value(), matches!(op, Op::Maximum));
            plus(
                t(0).map(|da| da.mul(&da.lift(wins))),
                t(1).map(|db| db.mul(&db.lift(loses))),
            )
        }
        Op::AddScalar(_) => t(0).cloned(),
        Op::MulScalar(s) => linear(&|d| d.scale(*s)),
        Op::Neg => linear(&|d| d.neg()),
        // d x^p = p·x^(p−1)·dx; the constant 1 for p = 0
        Op::PowScalar(p) if *p == 0.0 => linear(&|d| d.scale(0.0)),
        Op::PowScalar(p) => linear(&|d| x[0].powf(p - 1.0).mul(d).scale(*p)),
        // d e^x = e^x·dx
        Op::Exp => linear(&|d| out.mul(d)),
        Op::Ln => linear(&|d| d.div(&x[0])),
        // d √x = dx / (2√x)
        Op::Sqrt => linear(&|d| d.div(&out.scale(2.0))),
        Op::Abs => linear(&|d| d.mul(&d.lift(sign(&x[0].value())))),
        // d erf x = 2/√π · e^(−x²)·dx
        Op::Erf => linear(&|d| {
            let a = &x[0];
            a.mul(a)
                .neg()
                .exp()
                .scale(std::f64::consts::FRAC_2_SQRT_PI)
                .mul(d)
        }),
        Op::Sin => linear(&|d| x[0].cos().mul(d)),
        Op::Cos => linear(&|d| x[0].sin().mul(d).neg()),
        Op::Log1p => linear(&|d| d.div(&x[0].shift(1.0))),
        Op::Expm1 => linear(&|d| x[0].exp().mul(d)),
        // d a^b = b·a^(b−1)·da + a^b·ln a·db
        Op::Pow => {
            let (da, db) = pow_derivatives(&x[0], &x[1], out);
            plus(t(0).map(|t0| da.mul(t0)), t(1).map(|t1| db.mul(t1)))
        }
        // The target (input 1) is a constant: only p moves. d/dp = (p − y)/(p(1 − p)).
        Op::BinaryCrossEntropy => {
            let (p, y) = (&x[0], &x[1]);
            linear(&|d| p.sub(y).div(&bce_denominator(p)).mul(d))
        }
        Op::Relu => linear(&|d| d.mul(&d.lift(relu_slope(&x[0].value())))),
        Op::LeakyRelu(slope) => {
            let s = T::from_f64(*slope);
            let slopes = x[0].value().map(|v| if v > T::ZERO { T::ONE } else { s });
            linear(&|d| d.mul(&d.lift(slopes.clone())))
        }
        // x > 0: dx;  x ≤ 0: α·e^x·dx
        Op::Elu(alpha) => linear(&|d| elu_derivative(&x[0], *alpha).mul(d)),
        Op::Gelu => linear(&|d| gelu_derivative(&x[0]).mul(d)),
        Op::GeluTanh => linear(&|d| gelu_tanh_derivative(&x[0]).mul(d)),
        Op::Softplus => linear(&|d| x[0].sigmoid().mul(d)),
        // dσ = σ(x)·σ(−x)·dx
        Op::Sigmoid => linear(&|d| out.mul(&x[0].neg().sigmoid()).mul(d)),
        Op::Tanh => linear(&|d| out.mul(out).neg().shift(1.0).mul(d)),
        // d softmax = s ⊙ (dx − Σ_axis s⊙dx)   (J = diag(s) − s·sᵀ is symmetric)
        Op::Softmax(axis) => linear(&|d| out.mul(&d.sub(&out.mul(d).sum_keep(&[*axis])))),
        // d log_softmax = dx − Σ_axis softmax(x)⊙dx   (J = I − 1·sᵀ; its transpose is in backward)
        Op::LogSoftmax(axis) => linear(&|d| d.sub(&out.exp().mul(d).sum_keep(&[*axis]))),
        Op::Clamp(lo, hi) => {
            let (lo, hi) = (T::from_f64(*lo), T::from_f64(*hi));
            linear(&|d| d.mul(&d.lift(mask(&x[0].value(), |v| v >= lo && v <= hi))))
        }

        // Linear: the sum of the tangent (the backward rule broadcasts instead).
        Op::Sum { axes, .. } => linear(&|d| d.sum_keep(axes).reshape(&out.shape())),
        // The tangent of the maximal entry, averaged over ties.
        Op::Max { axis, keepdim } => linear(&|d| {
            let share = max_shares(&x[0].value(), &out.value(), *axis, *keepdim);
            d.mul(&d.lift(share))
                .sum_keep(&[*axis])
                .reshape(&out.shape())
        }),
        // d(a·b) = da·b + a·db
        Op::MatMul => plus(
            t(0).map(|da| da.matmul(&x[1])),
            t(1).map(|db| x[0].matmul(db)),
        ),
        // d(x·Wᵀ + b) = dx·Wᵀ + x·dWᵀ + db   (db repeated on every row)
        Op::Linear => plus(
            plus(
                t(0).map(|dx| dx.matmul(&x[1].mt())),
                t(1).map(|dw| x[0].matmul(&dw.mt())),
            ),
            dx.get(2)
                .and_then(Option::as_ref)
                .map(|db| db.expand(&out.shape())),
        ),

        // Views and index ops are linear: the same op on the tangent.
        Op::Transpose(a, b) => linear(&|d| d.transpose(*a, *b)),
        Op::Permute(perm) => linear(&|d| d.permute(perm)),
        Op::Reshape => linear(&|d| d.reshape(&out.shape())),
        Op::Expand => linear(&|d| d.expand(&out.shape())),
        Op::Unsqueeze(axis) => linear(&|d| d.unsqueeze(*axis)),
        Op::Squeeze(axis) => linear(&|d| d.squeeze(*axis)),
        Op::Narrow { axis, start, len } => linear(&|d| d.narrow(*axis, *start, *len)),
        Op::Pad { axis, start, len } => linear(&|d| d.pad(*axis, *start, *len)),
        // Each input's tangent placed where the input went (zero-padded, then summed).
        Op::Concat(axis) => concat_tangent(x, dx, *axis, out.shape()[*axis]),
        Op::IndexSelect { axis, indices } => linear(&|d| d.index_select(*axis, indices)),
        Op::IndexAdd { axis, indices, len } => linear(&|d| d.index_add(*axis, indices, *len)),
        Op::Gather(axis) => linear(&|d| d.gather(*axis, &x[1])),
        Op::ScatterAdd(axis) => linear(&|d| d.scatter_add(*axis, &x[1], &out.shape())),
        // The mask (input 0) is a constant: each side's tangent where it was picked.
        Op::Where => {
            let (m, not_m) = choice_masks(&x[0].value());
            plus(
                t(1).map(|d| d.mul(&d.lift(m.clone()))),
                t(2).map(|d| d.mul(&d.lift(not_m.clone()))),
            )
        }

        // The three convolutions are bilinear in their two inputs: d(a ⋆ w) = da ⋆ w + a ⋆ dw.
        Op::Conv2d(p) => plus(
            t(0).map(|da| da.conv2d(&x[1], *p)),
            t(1).map(|dw| x[0].conv2d(dw, *p)),
        ),
        Op::ConvTranspose2d {
            params,
            output_size,
        } => plus(
            t(0).map(|da| da.conv_transpose2d(&x[1], *params, *output_size)),
            t(1).map(|dw| x[0].conv_transpose2d(dw, *params, *output_size)),
        ),
        Op::Conv2dWeight {
            params,
            kernel_size,
        } => plus(
            t(0).map(|da| da.conv2d_weight(&x[1], *params, *kernel_size)),
            t(1).map(|de| x[0].conv2d_weight(de, *params, *kernel_size)),
        ),
        // Each output is one input entry (its window's first maximum, at the plane position
        // the forward kept in input 1): pick the tangent there.
        Op::MaxPool2d(_) => linear(&|d| {
            let (s, o) = (d.shape(), out.shape());
            let plane = |v: &D, sh: &[usize]| v.reshape(&[sh[0], sh[1], sh[2] * sh[3]]);
            plane(d, &s).gather(2, &plane(&x[1], &o)).reshape(&o)
        }),
        Op::MaxUnpool2d { output_size } => linear(&|d| d.max_unpool2d(&x[1], *output_size)),
        Op::AvgPool2d(p) => linear(&|d| d.avg_pool(*p)),
        Op::AvgPool2dAdjoint { pool, input_size } => {
            linear(&|d| d.avg_pool_adjoint(*pool, *input_size))
        }
        // d[h | c] = [do⊙tanh c + o⊙(1 − tanh²c)⊙dc | dc],
        // dc = df⊙c_prev + f⊙dc_prev + di⊙g + i⊙dg (di = σ'(a_i)⊙da_i, …)
        Op::LstmCell => Some(lstm_cell_tangent(&x[0], &x[1], out, t(0), t(1))),
        // The cell's rule at each step in visiting order, the state tangents carried:
        // d a_t = d xw[t] + d h_prev·W_hhᵀ + h_prev·d W_hhᵀ.
        Op::LstmSequence { reverse } => Some(lstm_sequence_tangent(
            &x[0],
            &x[1],
            &x[2],
            &x[3],
            out,
            *reverse,
            [t(0), t(1), t(2), t(3)],
        )),
        // dh' = dn + dz⊙(h_prev − n) + z⊙(dh_prev − dn),
        // dn = (1 − n²)⊙(dx_n + dr⊙hw_n + r⊙dhw_n), dr = σ'(a_r)⊙(dx_r + dhw_r), …
        Op::GruCell => Some(gru_cell_tangent(&x[0], &x[1], &x[2], [t(0), t(1), t(2)])),
        Op::Custom(index) => custom(*index),
    }
}

/// For `concat` along `axis` (total length `len`): each input's tangent zero-padded to
/// its place, summed.
fn concat_tangent<T: Float, D: BackwardOps<T>>(
    x: &[D],
    dx: &[Option<D>],
    axis: usize,
    len: usize,
) -> Option<D> {
    let mut start = 0;
    let mut acc = None;
    for (xi, di) in x.iter().zip(dx) {
        let n = xi.shape()[axis];
        acc = plus(acc, di.as_ref().map(|d| d.pad(axis, start, len)));
        start += n;
    }
    acc
}

/// The one forward loop, for pushing tangents on tensors (`D` = [`Tensor`]) or recorded
/// on the tape (`D` = [`crate::Var`]).
///
/// Walks the tape from the first seeded node up to `last` (inclusive): a seeded node
/// takes its seed, any other node whose inputs have a tangent gets one from the tangent
/// table ([`jvp`]), and `observe` sees each tangent as it is pushed. Nodes no seed
/// reaches keep `None` (a zero tangent), so constants cost nothing. Nodes that the loop
/// itself records (when `D` is a `Var`) lie beyond `last` and are not visited. Returns
/// the tangents by node id.
pub(crate) fn push_tangents<T: Float, D: BackwardOps<T>>(
    tape: &Tape<T>,
    seeds: Vec<(NodeId, D)>,
    last: NodeId,
    handle: impl Fn(NodeId) -> D,
    mut observe: impl FnMut(NodeId, &D),
) -> Vec<Option<D>> {
    let mut tangents: Vec<Option<D>> = vec![None; last + 1];
    let first = seeds.iter().map(|(id, _)| *id).min().unwrap_or(last + 1);
    for (id, seed) in seeds {
        match &mut tangents[id] {
            Some(acc) => acc.accumulate(seed),
            slot @ None => *slot = Some(seed),
        }
    }
    for i in first..=last {
        if let Some(seed) = &tangents[i] {
            observe(i, seed);
            continue;
        }
        let (op, inputs) = {
            let nodes = tape.nodes.borrow();
            (nodes[i].op.clone(), nodes[i].inputs.clone())
        };
        if inputs.iter().all(|&j| tangents[j].is_none()) {
            continue;
        }
        let x: SmallVec<[D; 3]> = inputs.iter().map(|&j| handle(j)).collect();
        let dx: SmallVec<[Option<D>; 3]> = inputs.iter().map(|&j| tangents[j].clone()).collect();
        let custom = |index| {
            let tangent_values: Vec<Tensor<T>> = dx
                .iter()
                .zip(&x)
                .map(|(d, xi)| {
                    d.as_ref()
                        .map_or_else(|| Tensor::zeros(&xi.shape()), D::value)
                })
                .collect();
            let values: Vec<Tensor<T>> = x.iter().map(D::value).collect();
            let out = handle(i);
            let dout =
                crate::function::custom_jvp(tape, index, &tangent_values, &values, &out.value());
            Some(out.lift(dout))
        };
        let tangent = jvp(&op, &x, &dx, &handle(i), custom);
        if let Some(d) = &tangent {
            debug_assert_eq!(
                d.shape(),
                handle(i).shape(),
                "the tangent rule for {} gave a tangent of the wrong shape",
                op.name()
            );
            observe(i, d);
        }
        tangents[i] = tangent;
    }
    tangents
}
