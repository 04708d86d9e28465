//! Fused recurrent cells: the LSTM and GRU cell equations of PyTorch's `torch.nn.LSTM` and
//! `torch.nn.GRU` (from their documentation) in one pass over each batch row, and their
//! gradients in one more. The autograd crate records them as single ops; its derivative
//! table (`backward.rs`) states the same gradients in composed form.
//!
//! The gate pre-activations come in PyTorch's stacking order: LSTM `[a_i, a_f, a_g, a_o]`,
//! GRU `[r, z, n]`, each block `hidden` wide.

use crate::recycle;
use crate::simd::{run, Kernel};
use crate::storage::Storage;
use crate::{Float, Tensor};

/// Checks `[N, k·H]` against `[N, H]` and returns `(N, H)`.
#[track_caller]
pub(super) fn rows_and_hidden<T: Float>(
    op: &str,
    wide: &Tensor<T>,
    k: usize,
    narrow: &Tensor<T>,
) -> (usize, usize) {
    let (w, s) = (wide.shape(), narrow.shape());
    assert!(
        w.len() == 2
            && s.len() == 2
            && w[0] == s[0]
            && Some(w[1]) == k.checked_mul(s[1])
            && s[1] > 0,
        "{op}: gates {w:?} must be [N, {k}·H] for a state of shape {s:?} ([N, H], H ≥ 1)"
    );
    (s[0], s[1])
}

/// The elements of a tensor in row-major order, without a copy when contiguous.
pub(super) fn data<T: Float>(t: &Tensor<T>) -> Tensor<T> {
    t.contiguous()
}

/// The storage's elements, writable (it was just made, so it is unique).
pub(super) fn writable<T: Copy>(a: &mut Storage<T>) -> &mut [T] {
    a.get_mut().expect("new storage is unique")
}

pub(super) fn slice<T: Float>(t: &Tensor<T>) -> &[T] {
    t.as_slice().expect("contiguous")
}

/// `(σ(a), σ'(a))` from one exponential, with `σ'(a) = σ(a)·σ(−a) = e/(1 + e)²`,
/// `e = e^−|a|`: unlike `σ(1 − σ)` it stays nonzero when `σ` rounds to 1.
#[inline(always)]
fn sigmoid_pair<T: Float>(a: T) -> (T, T) {
    let e = (-a.abs()).fast_exp();
    let s = T::ONE / (T::ONE + e);
    let sigma = if a >= T::ZERO { s } else { e * s };
    (sigma, e * s * s)
}

impl<T: Float> Tensor<T> {
    /// One LSTM cell step (PyTorch's `torch.nn.LSTM` equations): from the gate
    /// pre-activations `self` = `[a_i, a_f, a_g, a_o]` (`[N, 4H]`, that is
    /// `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`) and the cell state `c_prev` (`[N, H]`),
    /// returns `[h | c]` (`[N, 2H]`) with
    /// `i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)`,
    /// `c = f⊙c_prev + i⊙g`, `h = o⊙tanh(c)`.
    ///
    /// # Panics
    /// If `self` is not `[N, 4H]` for `c_prev` of shape `[N, H]`.
    ///
    /// ```
    /// use tensor::Tensor;
    /// // All gates at 0: i = f = o = ½, g = 0, so c = ½·c_prev and h = ½·tanh(c).
    /// let hc = Tensor::<f64>::zeros(&[1, 4]).lstm_cell(&Tensor::from([[2.0]])).to_vec();
    /// assert_eq!(hc[1], 1.0);
    /// assert!((hc[0] - 0.5 * 1f64.tanh()).abs() < 1e-15);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn lstm_cell(&self, c_prev: &Self) -> Self {
        let (n, h) = rows_and_hidden("lstm_cell", self, 4, c_prev);
        let (a, c0) = (data(self), data(c_prev));
        let (a, c0) = (slice(&a), slice(&c0));
        let mut out = recycle::zeroed(n * 2 * h);
        run(LstmRows {
            a,
            c0,
            out: writable(&mut out),
            h,
        });
        Tensor::from_storage(out, &[n, 2 * h])
    }

    /// The gradients of [`Tensor::lstm_cell`]: given the gradient `self` of its output
    /// `[h | c]` (`[N, 2H]`), its inputs `gates` (`[N, 4H]`) and `c_prev` (`[N, H]`), and
    /// its output `out`, returns `(d gates, d c_prev)`:
    /// `dc = g_c + g_h⊙o⊙(1 − tanh²c)`, `d a_i = dc⊙g⊙i(1 − i)`,
    /// `d a_f = dc⊙c_prev⊙f(1 − f)`, `d a_g = dc⊙i⊙(1 − g²)`,
    /// `d a_o = g_h⊙tanh(c)⊙o(1 − o)`, `d c_prev = dc⊙f`, where each `σ(1 − σ)` is
    /// computed as `σ(a)·σ(−a)` so that saturated gates keep their tiny gradients.
    ///
    /// # Panics
    /// If the shapes are not those of an `lstm_cell` call.
    #[track_caller]
    #[must_use]
    pub fn lstm_cell_backward(&self, gates: &Self, c_prev: &Self, out: &Self) -> (Self, Self) {
        let (n, h) = rows_and_hidden("lstm_cell_backward", gates, 4, c_prev);
        for t in [self, out] {
            rows_and_hidden("lstm_cell_backward", t, 2, c_prev);
        }
        let (g, a, c0, hc) = (data(self), data(gates), data(c_prev), data(out));
        let (g, a, c0, hc) = (slice(&g), slice(&a), slice(&c0), slice(&hc));
        let mut da = recycle::zeroed(n * 4 * h);
        let mut dc0 = recycle::zeroed(n * h);
        run(LstmBackwardRows {
            g,
            a,
            c0,
            hc,
            da: writable(&mut da),
            dc0: writable(&mut dc0),
            h,
        });
        (
            Tensor::from_storage(da, &[n, 4 * h]),
            Tensor::from_storage(dc0, &[n, h]),
        )
    }

    /// One GRU cell step (PyTorch's `torch.nn.GRU` equations): from the input part
    /// `self` = `x·W_ihᵀ + b_ih` and the hidden part `hw = h·W_hhᵀ + b_hh` (both `[N, 3H]`,
    /// blocks `r, z, n`) and the previous state `h_prev` (`[N, H]`), returns `h'`
    /// (`[N, H]`) with `r = σ(x_r + hw_r)`, `z = σ(x_z + hw_z)`,
    /// `n = tanh(x_n + r⊙hw_n)`, `h' = (1 − z)⊙n + z⊙h_prev`.
    ///
    /// # Panics
    /// If `self` and `hw` are not `[N, 3H]` for `h_prev` of shape `[N, H]`.
    ///
    /// ```
    /// use tensor::Tensor;
    /// // All pre-activations 0: r = z = ½, n = 0, so h' = ½·h_prev.
    /// let z = Tensor::<f64>::zeros(&[1, 3]);
    /// assert_eq!(z.gru_cell(&z, &Tensor::from([[2.0]])).to_vec(), vec![1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gru_cell(&self, hw: &Self, h_prev: &Self) -> Self {
        let (n, h) = rows_and_hidden("gru_cell", self, 3, h_prev);
        rows_and_hidden("gru_cell", hw, 3, h_prev);
        let (xs, hs, h0) = (data(self), data(hw), data(h_prev));
        let (xs, hs, h0) = (slice(&xs), slice(&hs), slice(&h0));
        let mut out = recycle::zeroed(n * h);
        run(GruRows {
            inputs: [xs, hs, h0],
            out: writable(&mut out),
            h,
        });
        Tensor::from_storage(out, &[n, h])
    }

    /// The gradients of [`Tensor::gru_cell`]: given the gradient `self` of its output
    /// (`[N, H]`) and its inputs `x` and `hw` (`[N, 3H]`) and `h_prev` (`[N, H]`), returns
    /// `(d x, d hw, d h_prev)`: with `dn = g⊙(1 − z)⊙(1 − n²)`,
    /// `dr = dn⊙hw_n⊙r(1 − r)` and `dz = g⊙(h_prev − n)⊙z(1 − z)`,
    /// `d x = [dr, dz, dn]`, `d hw = [dr, dz, dn⊙r]`, `d h_prev = g⊙z`.
    ///
    /// # Panics
    /// If the shapes are not those of a `gru_cell` call.
    #[track_caller]
    #[must_use]
    pub fn gru_cell_backward(&self, x: &Self, hw: &Self, h_prev: &Self) -> (Self, Self, Self) {
        let (n, h) = rows_and_hidden("gru_cell_backward", x, 3, h_prev);
        rows_and_hidden("gru_cell_backward", hw, 3, h_prev);
        rows_and_hidden("gru_cell_backward", self, 1, h_prev);
        let (g, xs, hs, h0) = (data(self), data(x), data(hw), data(h_prev));
        let (g, xs, hs, h0) = (slice(&g), slice(&xs), slice(&hs), slice(&h0));
        let mut dx = recycle::zeroed(n * 3 * h);
        let mut dhw = recycle::zeroed(n * 3 * h);
        let mut dh0 = recycle::zeroed(n * h);
        run(GruBackwardRows {
            g,
            inputs: [xs, hs, h0],
            grads: [writable(&mut dx), writable(&mut dhw), writable(&mut dh0)],
            h,
        });
        let wide = |v| Tensor::from_storage(v, &[n, 3 * h]);
        (wide(dx), wide(dhw), Tensor::from_storage(dh0, &[n, h]))
    }
}

// The row loops below are `simd::Kernel`s: compiled inside a function built for the
// CPU's vector width (a closure given to `simd::dispatch` this large was not inlined
// there, so it lost the wider instructions and ran ten times slower).

/// The `K` blocks of one row, each `h` wide.
#[inline(always)]
fn split<T, const K: usize>(row: &[T], h: usize) -> [&[T]; K] {
    std::array::from_fn(|j| &row[j * h..][..h])
}

pub(super) struct LstmRows<'a, T> {
    pub(super) a: &'a [T],
    pub(super) c0: &'a [T],
    pub(super) out: &'a mut [T],
    pub(super) h: usize,
}

impl<T: Float> Kernel for LstmRows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let h = self.h;
        for ((a, c0), out) in self
            .a
            .chunks_exact(4 * h)
            .zip(self.c0.chunks_exact(h))
            .zip(self.out.chunks_exact_mut(2 * h))
        {
            let [ai, af, ag, ao] = split::<T, 4>(a, h);
            let (oh, oc) = out.split_at_mut(h);
            lstm_row([ai, af, ag, ao, c0], oh, oc);
        }
    }
}

/// Elements a row kernel handles at once: in local arrays, which the compiler knows
/// overlap nothing, so the loop over them becomes vector instructions. (Written
/// element by element into the output slices, the same loop ran one element at a
/// time: the compiler could not rule out that the outputs overlap the inputs.)
const CHUNK: usize = 16;

/// Elements `j .. j + CHUNK` of `s`, zero-padded past its end. (A whole chunk is copied
/// with a length known at compile time — a few vector moves; a variable-length copy is a
/// call to `memcpy`, which cost more than the arithmetic it feeds.)
#[inline(always)]
fn chunk<T: Float>(s: &[T], j: usize) -> [T; CHUNK] {
    let mut out = [T::ZERO; CHUNK];
    match s.get(j..j + CHUNK) {
        Some(whole) => out.copy_from_slice(whole),
        None => {
            let tail = &s[j..];
            out[..tail.len()].copy_from_slice(tail);
        }
    }
    out
}

/// [`chunk`] of each slice. (A loop rather than `array::map`, which was not inlined.)
#[inline(always)]
fn chunks<T: Float, const K: usize>(a: [&[T]; K], j: usize) -> [[T; CHUNK]; K] {
    let mut out = [[T::ZERO; CHUNK]; K];
    for (o, s) in out.iter_mut().zip(a) {
        *o = chunk(s, j);
    }
    out
}

/// Writes the first `out.len() - j` (at most `CHUNK`) values of `v` at `out[j..]`.
#[inline(always)]
fn put<T: Float>(out: &mut [T], j: usize, v: &[T; CHUNK]) {
    let len = out.len();
    match out.get_mut(j..j + CHUNK) {
        Some(whole) => whole.copy_from_slice(v),
        None => out[j..].copy_from_slice(&v[..len - j]),
    }
}

/// One batch row of the LSTM cell, `CHUNK` elements at a time.
#[inline(always)]
fn lstm_row<T: Float>(a: [&[T]; 5], oh: &mut [T], oc: &mut [T]) {
    for j in (0..oh.len()).step_by(CHUNK) {
        let [ai, af, ag, ao, c0] = chunks(a, j);
        let (mut h, mut c) = ([T::ZERO; CHUNK], [T::ZERO; CHUNK]);
        for k in 0..CHUNK {
            c[k] = ai[k].fast_sigmoid() * ag[k].fast_tanh() + af[k].fast_sigmoid() * c0[k];
            h[k] = ao[k].fast_sigmoid() * c[k].fast_tanh();
        }
        put(oh, j, &h);
        put(oc, j, &c);
    }
}

pub(super) struct LstmBackwardRows<'a, T> {
    pub(super) g: &'a [T],
    pub(super) a: &'a [T],
    pub(super) c0: &'a [T],
    pub(super) hc: &'a [T],
    pub(super) da: &'a mut [T],
    pub(super) dc0: &'a mut [T],
    pub(super) h: usize,
}

impl<T: Float> Kernel for LstmBackwardRows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let h = self.h;
        for (((((g, a), c0), hc), da), dc0) in self
            .g
            .chunks_exact(2 * h)
            .zip(self.a.chunks_exact(4 * h))
            .zip(self.c0.chunks_exact(h))
            .zip(self.hc.chunks_exact(2 * h))
            .zip(self.da.chunks_exact_mut(4 * h))
            .zip(self.dc0.chunks_exact_mut(h))
        {
            let [gh, gc] = split::<T, 2>(g, h);
            let [ai, af, ag, ao] = split::<T, 4>(a, h);
            let (dai, rest) = da.split_at_mut(h);
            let (daf, rest) = rest.split_at_mut(h);
            let (dag, dao) = rest.split_at_mut(h);
            lstm_backward_row(
                [gh, gc, ai, af, ag, ao, c0, &hc[h..]],
                [dai, daf, dag, dao, dc0],
            );
        }
    }
}

/// One batch row of the LSTM cell's gradients, `CHUNK` elements at a time.
#[inline(always)]
fn lstm_backward_row<T: Float>(x: [&[T]; 8], mut d: [&mut [T]; 5]) {
    for j in (0..x[0].len()).step_by(CHUNK) {
        let [gh, gc, ai, af, ag, ao, c0, c] = chunks(x, j);
        let mut out = [[T::ZERO; CHUNK]; 5];
        for k in 0..CHUNK {
            let ((i, di), (f, df)) = (sigmoid_pair(ai[k]), sigmoid_pair(af[k]));
            let (gg, (o, d_o)) = (ag[k].fast_tanh(), sigmoid_pair(ao[k]));
            let tc = c[k].fast_tanh();
            let dc = gc[k] + gh[k] * o * (T::ONE - tc * tc);
            out[0][k] = dc * gg * di;
            out[1][k] = dc * c0[k] * df;
            out[2][k] = dc * i * (T::ONE - gg * gg);
            out[3][k] = gh[k] * tc * d_o;
            out[4][k] = dc * f;
        }
        for (d, v) in d.iter_mut().zip(&out) {
            put(d, j, v);
        }
    }
}

struct GruRows<'a, T> {
    /// `x·W_ihᵀ + b_ih`, `h·W_hhᵀ + b_hh`, `h_prev`.
    inputs: [&'a [T]; 3],
    out: &'a mut [T],
    h: usize,
}

impl<T: Float> Kernel for GruRows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let h = self.h;
        let [xs, hs, h0] = self.inputs;
        for (((x, hw), h0), out) in xs
            .chunks_exact(3 * h)
            .zip(hs.chunks_exact(3 * h))
            .zip(h0.chunks_exact(h))
            .zip(self.out.chunks_exact_mut(h))
        {
            let [xr, xz, xn] = split::<T, 3>(x, h);
            let [hr, hz, hn] = split::<T, 3>(hw, h);
            for (((((((out, &h0), &xr), &xz), &xn), &hr), &hz), &hn) in out
                .iter_mut()
                .zip(h0)
                .zip(xr)
                .zip(xz)
                .zip(xn)
                .zip(hr)
                .zip(hz)
                .zip(hn)
            {
                let r = (xr + hr).fast_sigmoid();
                let z = (xz + hz).fast_sigmoid();
                let n = (xn + r * hn).fast_tanh();
                *out = n + z * (h0 - n);
            }
        }
    }
}

struct GruBackwardRows<'a, T> {
    g: &'a [T],
    /// `x·W_ihᵀ + b_ih`, `h·W_hhᵀ + b_hh`, `h_prev`.
    inputs: [&'a [T]; 3],
    /// Their gradients.
    grads: [&'a mut [T]; 3],
    h: usize,
}

impl<T: Float> Kernel for GruBackwardRows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let h = self.h;
        let [xs, hs, h0] = self.inputs;
        let [dx, dhw, dh0] = self.grads;
        for ((((((g, x), hw), h0), dx), dhw), dh0) in self
            .g
            .chunks_exact(h)
            .zip(xs.chunks_exact(3 * h))
            .zip(hs.chunks_exact(3 * h))
            .zip(h0.chunks_exact(h))
            .zip(dx.chunks_exact_mut(3 * h))
            .zip(dhw.chunks_exact_mut(3 * h))
            .zip(dh0.chunks_exact_mut(h))
        {
            let [xr, xz, xn] = split::<T, 3>(x, h);
            let [hr, hz, hn] = split::<T, 3>(hw, h);
            let (dxr, rest) = dx.split_at_mut(h);
            let (dxz, dxn) = rest.split_at_mut(h);
            let (dhr, rest) = dhw.split_at_mut(h);
            let (dhz, dhn) = rest.split_at_mut(h);
            let x = [g, xr, xz, xn, hr, hz, hn, h0];
            gru_backward_row(x, [&mut *dxn, &mut *dhr, &mut *dhz, dhn, dh0]);
            // d x_r = d hw_r and d x_z = d hw_z (only the n block differs, by r).
            dxr.copy_from_slice(dhr);
            dxz.copy_from_slice(dhz);
        }
    }
}

/// One batch row of the GRU cell's gradients, `CHUNK` elements at a time: `d x` and
/// `d hw` share their `r` and `z` blocks, so `d` is `[d x_n, d hw_r, d hw_z, d hw_n,
/// d h_prev]` and the caller copies the rest.
#[inline(always)]
fn gru_backward_row<T: Float>(x: [&[T]; 8], mut d: [&mut [T]; 5]) {
    for j in (0..x[0].len()).step_by(CHUNK) {
        let [g, xr, xz, xn, hr, hz, hn, h0] = chunks(x, j);
        let mut out = [[T::ZERO; CHUNK]; 5];
        for k in 0..CHUNK {
            let (r, d_r) = sigmoid_pair(xr[k] + hr[k]);
            let (z, d_z) = sigmoid_pair(xz[k] + hz[k]);
            let n = (xn[k] + r * hn[k]).fast_tanh();
            let dn = g[k] * (T::ONE - z) * (T::ONE - n * n);
            out[0][k] = dn;
            out[1][k] = dn * hn[k] * d_r;
            out[2][k] = g[k] * (h0[k] - n) * d_z;
            out[3][k] = dn * r;
            out[4][k] = g[k] * z;
        }
        for (d, v) in d.iter_mut().zip(&out) {
            put(d, j, v);
        }
    }
}
