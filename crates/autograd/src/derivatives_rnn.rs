//! The LSTM and GRU cell rules composed from [`BackwardOps`] primitives: the readable form
//! of the formulas in [`crate::backward`] and [`crate::forward`]. Run on `Var`s (a
//! recorded backward pass, tangents) they are differentiable again; tensors use the
//! fused kernels of `tensor/src/ops/rnn.rs`, which compute the same formulas in one pass.

use tensor::{Float, Tensor};

use crate::backward::BackwardOps;

/// The `k` gate blocks of `[N, k·H]`, each `[N, H]`.
fn blocks<T: Float, D: BackwardOps<T>>(a: &D, k: usize, h: usize) -> Vec<D> {
    (0..k).map(|j| a.narrow(1, j * h, h)).collect()
}

/// `[p₀ | p₁ | …]` along axis 1 (each `[N, H]`), as a sum of zero-padded blocks.
fn join<T: Float, D: BackwardOps<T>>(parts: &[D], h: usize) -> D {
    let k = parts.len();
    let mut padded = parts
        .iter()
        .enumerate()
        .map(|(j, p)| p.pad(1, j * h, k * h));
    let first = padded.next().expect("at least one block");
    padded.fold(first, |acc, p| acc.add(&p))
}

/// `σ'(a) = σ(a)·σ(−a)` (nonzero where σ rounds to 1, unlike `σ(1 − σ)`).
fn sigmoid_slope<T: Float, D: BackwardOps<T>>(a: &D) -> D {
    a.sigmoid().mul(&a.neg().sigmoid())
}

/// `1 − t²`, the slope of tanh where it equals `t`.
fn tanh_slope<T: Float, D: BackwardOps<T>>(t: &D) -> D {
    t.mul(t).neg().shift(1.0)
}

/// A tangent, or zeros shaped like `like` where it is `None`.
fn or_zero<T: Float, D: BackwardOps<T>>(t: Option<&D>, like: &D) -> D {
    t.cloned()
        .unwrap_or_else(|| like.lift(Tensor::zeros(&like.shape())))
}

/// The LSTM cell's gates from `a = [a_i, a_f, a_g, a_o]`: `(a blocks, i, f, g, o)`.
fn lstm_gates<T: Float, D: BackwardOps<T>>(a: &D, h: usize) -> (Vec<D>, [D; 4]) {
    let b = blocks(a, 4, h);
    let gates = [b[0].sigmoid(), b[1].sigmoid(), b[2].tanh(), b[3].sigmoid()];
    (b, gates)
}

/// Reverse rule of [`crate::op::Op::LstmCell`]: `(d gates, d c_prev)` from the gradient
/// `g = [g_h | g_c]` of `out = [h | c]`.
pub(crate) fn lstm_cell_grads<T: Float, D: BackwardOps<T>>(
    g: &D,
    a: &D,
    c_prev: &D,
    out: &D,
) -> (D, D) {
    let h = c_prev.shape()[1];
    let (b, [i, f, gg, o]) = lstm_gates(a, h);
    let tc = out.narrow(1, h, h).tanh();
    let (gh, gc) = (g.narrow(1, 0, h), g.narrow(1, h, h));
    // c feeds the output c directly and h through tanh.
    let dc = gc.add(&gh.mul(&o).mul(&tanh_slope(&tc)));
    let da = join(
        &[
            dc.mul(&gg).mul(&sigmoid_slope(&b[0])),
            dc.mul(c_prev).mul(&sigmoid_slope(&b[1])),
            dc.mul(&i).mul(&tanh_slope(&gg)),
            gh.mul(&tc).mul(&sigmoid_slope(&b[3])),
        ],
        h,
    );
    (da, dc.mul(&f))
}

/// Tangent rule of [`crate::op::Op::LstmCell`]: `d[h | c]` from `d gates` and `d c_prev`.
pub(crate) fn lstm_cell_tangent<T: Float, D: BackwardOps<T>>(
    a: &D,
    c_prev: &D,
    out: &D,
    da: Option<&D>,
    dc_prev: Option<&D>,
) -> D {
    let h = c_prev.shape()[1];
    let (b, [i, f, gg, o]) = lstm_gates(a, h);
    let d = blocks(&or_zero(da, a), 4, h);
    let (di, df) = (
        sigmoid_slope(&b[0]).mul(&d[0]),
        sigmoid_slope(&b[1]).mul(&d[1]),
    );
    let (dg, d_o) = (tanh_slope(&gg).mul(&d[2]), sigmoid_slope(&b[3]).mul(&d[3]));
    // dc = df⊙c_prev + f⊙dc_prev + di⊙g + i⊙dg
    let dc = df
        .mul(c_prev)
        .add(&f.mul(&or_zero(dc_prev, c_prev)))
        .add(&di.mul(&gg))
        .add(&i.mul(&dg));
    // dh = do⊙tanh c + o⊙(1 − tanh²c)⊙dc
    let tc = out.narrow(1, h, h).tanh();
    let dh = d_o.mul(&tc).add(&o.mul(&tanh_slope(&tc)).mul(&dc));
    join(&[dh, dc], h)
}

/// The GRU cell's `(a_r, a_z, r, z, n, hw_n)` from its inputs.
struct GruParts<D> {
    a_r: D,
    a_z: D,
    r: D,
    z: D,
    n: D,
    hw_n: D,
}

fn gru_parts<T: Float, D: BackwardOps<T>>(x: &D, hw: &D, h: usize) -> GruParts<D> {
    let (bx, bh) = (blocks(x, 3, h), blocks(hw, 3, h));
    let (a_r, a_z) = (bx[0].add(&bh[0]), bx[1].add(&bh[1]));
    let (r, z) = (a_r.sigmoid(), a_z.sigmoid());
    let n = bx[2].add(&r.mul(&bh[2])).tanh();
    GruParts {
        a_r,
        a_z,
        r,
        z,
        n,
        hw_n: bh[2].clone(),
    }
}

/// Reverse rule of [`crate::op::Op::GruCell`]: `(d x, d hw, d h_prev)` from the gradient
/// `g` of `h'`.
pub(crate) fn gru_cell_grads<T: Float, D: BackwardOps<T>>(
    g: &D,
    x: &D,
    hw: &D,
    h_prev: &D,
) -> (D, D, D) {
    let h = h_prev.shape()[1];
    let p = gru_parts(x, hw, h);
    // h' = n + z⊙(h_prev − n)
    let dn = g.mul(&p.z.neg().shift(1.0)).mul(&tanh_slope(&p.n));
    let dr = dn.mul(&p.hw_n).mul(&sigmoid_slope(&p.a_r));
    let dz = g.mul(&h_prev.sub(&p.n)).mul(&sigmoid_slope(&p.a_z));
    let dx = join(&[dr.clone(), dz.clone(), dn.clone()], h);
    let dhw = join(&[dr, dz, dn.mul(&p.r)], h);
    (dx, dhw, g.mul(&p.z))
}

/// Tangent rule of [`crate::op::Op::GruCell`]: `d h'` from `d x`, `d hw`, `d h_prev`.
pub(crate) fn gru_cell_tangent<T: Float, D: BackwardOps<T>>(
    x: &D,
    hw: &D,
    h_prev: &D,
    tangents: [Option<&D>; 3],
) -> D {
    let h = h_prev.shape()[1];
    let p = gru_parts(x, hw, h);
    let dx = blocks(&or_zero(tangents[0], x), 3, h);
    let dhw = blocks(&or_zero(tangents[1], hw), 3, h);
    let dh_prev = or_zero(tangents[2], h_prev);
    let dr = sigmoid_slope(&p.a_r).mul(&dx[0].add(&dhw[0]));
    let dz = sigmoid_slope(&p.a_z).mul(&dx[1].add(&dhw[1]));
    // dn = (1 − n²)⊙(dx_n + dr⊙hw_n + r⊙dhw_n)
    let dn = tanh_slope(&p.n).mul(&dx[2].add(&dr.mul(&p.hw_n)).add(&p.r.mul(&dhw[2])));
    // dh' = dn + dz⊙(h_prev − n) + z⊙(dh_prev − dn)
    dn.add(&dz.mul(&h_prev.sub(&p.n)))
        .add(&p.z.mul(&dh_prev.sub(&dn)))
}

/// The steps of an [`crate::op::Op::LstmSequence`] in the order it visits them.
fn visit_order(steps: usize, reverse: bool) -> Vec<usize> {
    if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    }
}

/// Step `t` of a `[T, N, K]` value, as `[N, K]`.
fn at_step<T: Float, D: BackwardOps<T>>(v: &D, t: usize) -> D {
    let s = v.shape();
    v.narrow(0, t, 1).reshape(&s[1..])
}

/// `[T, N, K]` from its steps (`[N, K]` each, in time order), as a sum of zero-padded
/// slices (the composed form; tensors never take this path).
fn stack_steps<T: Float, D: BackwardOps<T>>(parts: &[D]) -> D {
    let steps = parts.len();
    let mut padded = parts.iter().enumerate().map(|(t, p)| {
        let s = p.shape();
        p.reshape(&[1, s[0], s[1]]).pad(0, t, steps)
    });
    let first = padded.next().expect("at least one step");
    padded.fold(first, |acc, p| acc.add(&p))
}

/// The state `(h_prev, c_prev)` before each step of an LSTM sequence whose output is
/// `out` (`[T, N, 2H]`), indexed by step.
fn previous_states<T: Float, D: BackwardOps<T>>(
    out: &D,
    h0: &D,
    c0: &D,
    order: &[usize],
) -> Vec<(D, D)> {
    let h = h0.shape()[1];
    let mut prev: Vec<Option<(D, D)>> = vec![None; order.len()];
    for (i, &t) in order.iter().enumerate() {
        prev[t] = Some(match i.checked_sub(1).map(|j| order[j]) {
            None => (h0.clone(), c0.clone()),
            Some(p) => {
                let hc = at_step(out, p);
                (hc.narrow(1, 0, h), hc.narrow(1, h, h))
            }
        });
    }
    prev.into_iter().map(|p| p.expect("every step")).collect()
}

/// Reverse rule of [`crate::op::Op::LstmSequence`], composed: backpropagation through
/// time, the loop of [`Tensor::lstm_sequence_backward`] written with [`BackwardOps`].
/// Returns `(d xw, d W_hh, d h0, d c0)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lstm_sequence_grads<T: Float, D: BackwardOps<T>>(
    g: &D,
    xw: &D,
    w_hh: &D,
    h0: &D,
    c0: &D,
    out: &D,
    reverse: bool,
) -> (D, D, D, D) {
    let (steps, h) = (xw.shape()[0], h0.shape()[1]);
    let order = visit_order(steps, reverse);
    let prev = previous_states(out, h0, c0, &order);
    let w_t = w_hh.transpose(0, 1);
    let (mut dh, mut dc) = (
        h0.lift(Tensor::zeros(&h0.shape())),
        c0.lift(Tensor::zeros(&c0.shape())),
    );
    let mut dw: Option<D> = None;
    let mut da_steps: Vec<Option<D>> = vec![None; steps];
    for &t in order.iter().rev() {
        let (hp, cp) = &prev[t];
        let a = at_step(xw, t).add(&hp.matmul(&w_t));
        // What reaches [h_t | c_t]: the output's gradient and the later step's.
        let gt = at_step(g, t)
            .add(&dh.pad(1, 0, 2 * h))
            .add(&dc.pad(1, h, 2 * h));
        let (da, dc_prev) = gt.lstm_cell_backward(&a, cp, &at_step(out, t));
        let dw_t = da.transpose(0, 1).matmul(hp);
        dw = Some(match dw {
            None => dw_t,
            Some(sum) => sum.add(&dw_t),
        });
        dh = da.matmul(w_hh);
        dc = dc_prev;
        da_steps[t] = Some(da);
    }
    let da: Vec<D> = da_steps
        .into_iter()
        .map(|d| d.expect("every step"))
        .collect();
    let dw = dw.unwrap_or_else(|| w_hh.lift(Tensor::zeros(&w_hh.shape())));
    (stack_steps(&da), dw, dh, dc)
}

/// Tangent rule of [`crate::op::Op::LstmSequence`]: the cell's tangent rule step by
/// step, with `d a_t = d xw_t + d h_prev·W_hhᵀ + h_prev·d W_hhᵀ`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lstm_sequence_tangent<T: Float, D: BackwardOps<T>>(
    xw: &D,
    w_hh: &D,
    h0: &D,
    c0: &D,
    out: &D,
    reverse: bool,
    d: [Option<&D>; 4],
) -> D {
    let (steps, h) = (xw.shape()[0], h0.shape()[1]);
    let order = visit_order(steps, reverse);
    let prev = previous_states(out, h0, c0, &order);
    let w_t = w_hh.transpose(0, 1);
    let [dxw, dw, dh0, dc0] = d;
    let (mut dh, mut dc) = (or_zero(dh0, h0), or_zero(dc0, c0));
    let mut douts: Vec<Option<D>> = vec![None; steps];
    for &t in &order {
        let (hp, cp) = &prev[t];
        let a = at_step(xw, t).add(&hp.matmul(&w_t));
        let mut da = dh.matmul(&w_t);
        if let Some(dxw) = dxw {
            da = da.add(&at_step(dxw, t));
        }
        if let Some(dw) = dw {
            da = da.add(&hp.matmul(&dw.transpose(0, 1)));
        }
        let dout = lstm_cell_tangent(&a, cp, &at_step(out, t), Some(&da), Some(&dc));
        dh = dout.narrow(1, 0, h);
        dc = dout.narrow(1, h, h);
        douts[t] = Some(dout);
    }
    let douts: Vec<D> = douts.into_iter().map(|d| d.expect("every step")).collect();
    stack_steps(&douts)
}
