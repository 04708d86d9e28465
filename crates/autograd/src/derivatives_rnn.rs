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
