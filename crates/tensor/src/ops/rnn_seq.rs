//! One direction of an LSTM layer over a whole sequence in one op, and its gradients by
//! backpropagation through time: the same cell as [`Tensor::lstm_cell`], but the time
//! loop runs here, on buffers reused from step to step, and the products that do not
//! depend on the order of the steps are done once for all of them — the gate
//! pre-activations of the backward pass, `[h_prev]·W_hhᵀ` over all `T·N` rows, and the
//! weight gradient `Σ_t d a_tᵀ·h_prev,t` as one `[4H, T·N]·[T·N, H]` product.
//!
//! The batch rows do not interact, so the time loops run on blocks of rows at once, one
//! block per task on the thread pool: no synchronization per step. The blocks depend on
//! `N` only (not on the number of threads), so results do too.

use std::ops::Range;

use super::matmul::{gemm_into, MatrixView};
use super::rnn::{data, slice, writable, LstmBackwardRows, LstmRows};
use crate::parallel::{for_each, split_batch, split_matmul};
use crate::recycle;
use crate::simd::run;
use crate::storage::Storage;
use crate::{Float, Tensor};

/// The fewest rows a block of the time loop gets: fewer would leave the per-step
/// `[rows, H]·[H, 4H]` products too thin for gemm's kernels.
const BLOCK_ROWS: usize = 16;

/// The row blocks of a batch of `n`: `⌊n / 16⌋` (at least 1) blocks of nearly equal size.
fn row_blocks(n: usize) -> Vec<Range<usize>> {
    let count = (n / BLOCK_ROWS).max(1);
    (0..count)
        .map(|b| b * n / count..(b + 1) * n / count)
        .collect()
}

/// Splits each step's `[N, width]` slab of `buf` (`[T, N, width]`) at the block bounds:
/// `result[b][t]` is block `b`'s rows of step `t`.
fn per_block<'a, T>(
    buf: &'a mut [T],
    steps: usize,
    n: usize,
    width: usize,
    blocks: &[Range<usize>],
) -> Vec<Vec<&'a mut [T]>> {
    let mut parts: Vec<Vec<&mut [T]>> = blocks.iter().map(|_| Vec::new()).collect();
    if n * width == 0 {
        // Empty rows: every block gets an empty slice per step.
        for part in &mut parts {
            part.extend((0..steps).map(|_| <&mut [T]>::default()));
        }
        return parts;
    }
    for mut slab in buf.chunks_exact_mut(n * width) {
        for (part, rows) in parts.iter_mut().zip(blocks) {
            let (head, rest) = std::mem::take(&mut slab).split_at_mut(rows.len() * width);
            part.push(head);
            slab = rest;
        }
    }
    parts
}

/// Runs `f` on every block, on the thread pool when `parallel`.
fn for_blocks<I: Send>(items: Vec<I>, parallel: bool, f: impl Fn(I) + Sync + Send) {
    if parallel {
        for_each(items.into_iter(), f);
    } else {
        items.into_iter().for_each(f);
    }
}

/// A row-major matrix starting at element 0 with rows `stride` apart.
fn row_major(stride: usize) -> MatrixView {
    MatrixView {
        offset: 0,
        row_stride: stride as isize,
        col_stride: 1,
    }
}

/// `(T, N, H)` of an `lstm_sequence` call, or a panic naming every shape.
#[track_caller]
fn dims<T: Float>(
    op: &str,
    xw: &Tensor<T>,
    w_hh: &Tensor<T>,
    h0: &Tensor<T>,
    c0: &Tensor<T>,
) -> (usize, usize, usize) {
    let (x, w, h, c) = (xw.shape(), w_hh.shape(), h0.shape(), c0.shape());
    let fits = x.len() == 3
        && h.len() == 2
        && h == c
        && x[1] == h[0]
        && h[1] > 0
        // Checked: a huge H must fail the check, not wrap past it.
        && h[1].checked_mul(4).is_some_and(|g| x[2] == g && w == [g, h[1]]);
    assert!(
        fits,
        "{op}: inputs {x:?} must be [T, N, 4H], weight_hh {w:?} [4H, H], h0 {h:?} and c0 {c:?} [N, H], H ≥ 1"
    );
    (x[0], x[1], h[1])
}

/// The steps in the order the recurrence visits them.
fn order(steps: usize, reverse: bool) -> Vec<usize> {
    if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    }
}

/// Copies the `h` and `c` halves of `[N, 2H]` rows into `[N, H]` buffers.
fn split_state<T: Float>(hc: &[T], h: usize, h_out: &mut [T], c_out: &mut [T]) {
    for ((row, hr), cr) in hc
        .chunks_exact(2 * h)
        .zip(h_out.chunks_exact_mut(h))
        .zip(c_out.chunks_exact_mut(h))
    {
        hr.copy_from_slice(&row[..h]);
        cr.copy_from_slice(&row[h..]);
    }
}

impl<T: Float> Tensor<T> {
    /// One direction of an LSTM layer over a whole sequence (PyTorch's `torch.nn.LSTM`
    /// equations, see [`Tensor::lstm_cell`]). `self` holds the input projections
    /// `x_t·W_ihᵀ + b_ih + b_hh` of every step, `[T, N, 4H]` (gates `i, f, g, o`);
    /// `w_hh` is `[4H, H]`, the initial states `h0`, `c0` are `[N, H]`. Each step
    /// computes `a_t = self[t] + h_prev·W_hhᵀ` and the cell; the result stacks every
    /// step's `[h_t | c_t]` as `[T, N, 2H]`, in time order. With `reverse`, the steps run
    /// from `T − 1` down to 0 (the backward direction of a bidirectional layer).
    ///
    /// # Panics
    /// If the shapes do not fit, naming all four.
    ///
    /// ```
    /// use tensor::Tensor;
    /// // Every gate at 0 (i = f = o = ½, g = 0): c halves each step, h = ½·tanh(c).
    /// let xw = Tensor::<f64>::zeros(&[2, 1, 4]);
    /// let w_hh = Tensor::zeros(&[4, 1]);
    /// let out = xw.lstm_sequence(&w_hh, &Tensor::zeros(&[1, 1]), &Tensor::from([[4.0]]), false);
    /// assert_eq!(out.shape(), &[2, 1, 2]);
    /// assert_eq!(out.to_vec()[1], 2.0); // c after step 0
    /// assert_eq!(out.to_vec()[3], 1.0); // c after step 1
    /// ```
    #[track_caller]
    #[must_use]
    pub fn lstm_sequence(&self, w_hh: &Self, h0: &Self, c0: &Self, reverse: bool) -> Self {
        self.lstm_sequence_impl(w_hh, h0, c0, reverse, false).0
    }

    /// [`Tensor::lstm_sequence`], also returning the gate pre-activations of every step,
    /// `a_t = self[t] + h_prev·W_hhᵀ` (`[T, N, 4H]`, in time order): given to
    /// [`Tensor::lstm_sequence_backward`], they spare it recomputing them (one
    /// `[T·N, H]·[H, 4H]` product).
    ///
    /// # Panics
    /// If the shapes do not fit, naming all four.
    #[track_caller]
    #[must_use]
    pub fn lstm_sequence_with_gates(
        &self,
        w_hh: &Self,
        h0: &Self,
        c0: &Self,
        reverse: bool,
    ) -> (Self, Self) {
        let (out, gates) = self.lstm_sequence_impl(w_hh, h0, c0, reverse, true);
        (out, gates.expect("gates were asked for"))
    }

    #[track_caller]
    fn lstm_sequence_impl(
        &self,
        w_hh: &Self,
        h0: &Self,
        c0: &Self,
        reverse: bool,
        keep_gates: bool,
    ) -> (Self, Option<Self>) {
        let (steps, n, h) = dims("lstm_sequence", self, w_hh, h0, c0);
        let (xw, wt, h0, c0) = (data(self), w_hh.t().contiguous(), data(h0), data(c0));
        let (xw, wt, h0, c0) = (slice(&xw), slice(&wt), slice(&h0), slice(&c0));
        let (n4, n2) = (n * 4 * h, n * 2 * h);
        // Every element of both is written below.
        let mut out = recycle::scratch(steps * n2);
        let mut gates = keep_gates.then(|| recycle::scratch(steps * n4));
        let blocks = row_blocks(n);
        let parallel = split_batch(2 * steps * n4 * h, blocks.len());
        let outs = per_block(writable(&mut out), steps, n, 2 * h, &blocks);
        let gate_parts: Vec<Option<Vec<&mut [T]>>> = match gates.as_mut() {
            Some(g) => per_block(writable(g), steps, n, 4 * h, &blocks)
                .into_iter()
                .map(Some)
                .collect(),
            None => blocks.iter().map(|_| None).collect(),
        };
        let work: Vec<_> = blocks.into_iter().zip(outs).zip(gate_parts).collect();
        for_blocks(work, parallel, |((rows, mut outs), mut kept)| {
            let nb = rows.len();
            let mut temp = if kept.is_some() {
                Vec::new()
            } else {
                vec![T::ZERO; nb * 4 * h]
            };
            let mut h_prev = h0[rows.start * h..rows.end * h].to_vec();
            let mut c_prev = c0[rows.start * h..rows.end * h].to_vec();
            for t in order(steps, reverse) {
                let a: &mut [T] = match kept.as_mut() {
                    Some(parts) => &mut *parts[t],
                    None => &mut temp,
                };
                // a_t = x_t·W_ihᵀ + b + h_prev·W_hhᵀ (the product added onto a copy of
                // the first).
                a.copy_from_slice(&xw[t * n4 + rows.start * 4 * h..][..nb * 4 * h]);
                gemm_into(
                    a,
                    nb,
                    4 * h,
                    h,
                    &h_prev,
                    row_major(h),
                    wt,
                    row_major(4 * h),
                    true,
                    false,
                );
                let cur = &mut *outs[t];
                run(LstmRows {
                    a,
                    c0: &c_prev,
                    out: &mut *cur,
                    h,
                });
                split_state(cur, h, &mut h_prev, &mut c_prev);
            }
        });
        (
            Tensor::from_storage(out, &[steps, n, 2 * h]),
            gates.map(|g| Tensor::from_storage(g, &[steps, n, 4 * h])),
        )
    }

    /// The gradients of [`Tensor::lstm_sequence`] by backpropagation through time: given
    /// the gradient `self` of its output (`[T, N, 2H]`), its inputs and its output `out`,
    /// returns `(d xw, d w_hh, d h0, d c0)`. Walking the steps in the reverse of the
    /// order the forward pass visited them, the gradient reaching step `t`'s `[h | c]`
    /// is the output's plus what the step visited after `t` sends back (its
    /// `d a·W_hh` to `h`, its `d c_prev` to `c`); each step then applies
    /// the cell's rule ([`Tensor::lstm_cell_backward`]). `d xw` stacks the `d a_t`, and
    /// `d W_hh = Σ_t d a_tᵀ·h_prev,t` is one product over all steps. The gate
    /// pre-activations are `gates` when given (from [`Tensor::lstm_sequence_with_gates`]),
    /// else recomputed from `out`.
    ///
    /// # Panics
    /// If the shapes are not those of an `lstm_sequence` call (`gates` as `xw`).
    #[track_caller]
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn lstm_sequence_backward(
        &self,
        xw: &Self,
        w_hh: &Self,
        h0: &Self,
        c0: &Self,
        out: &Self,
        gates: Option<&Self>,
        reverse: bool,
    ) -> (Self, Self, Self, Self) {
        let (steps, n, h) = dims("lstm_sequence_backward", xw, w_hh, h0, c0);
        let want = [steps, n, 2 * h];
        assert!(
            self.shape() == want && out.shape() == want,
            "lstm_sequence_backward: gradient {:?} and output {:?} must be {want:?}",
            self.shape(),
            out.shape()
        );
        if let Some(a) = gates {
            assert!(
                a.shape() == xw.shape(),
                "lstm_sequence_backward: gates {:?} must be shaped as the inputs {:?}",
                a.shape(),
                xw.shape()
            );
        }
        let (nh, n4, n2) = (n * h, n * 4 * h, n * 2 * h);
        let (g, xw, w, wt, hc) = (
            data(self),
            data(xw),
            data(w_hh),
            w_hh.t().contiguous(),
            data(out),
        );
        let (g, xw, w, wt, hc) = (slice(&g), slice(&xw), slice(&w), slice(&wt), slice(&hc));
        let steps_in_order = order(steps, reverse);
        // Each step's previous state, [T, N, H] each: h0, c0 for the first step visited.
        let (mut hp, mut cp) = (recycle::scratch(steps * nh), recycle::scratch(steps * nh));
        {
            let (hpw, cpw) = (writable(&mut hp), writable(&mut cp));
            let (h0, c0) = (data(h0), data(c0));
            for (i, &t) in steps_in_order.iter().enumerate() {
                let (hs, cs) = (&mut hpw[t * nh..][..nh], &mut cpw[t * nh..][..nh]);
                match i.checked_sub(1).map(|j| steps_in_order[j]) {
                    None => {
                        hs.copy_from_slice(slice(&h0));
                        cs.copy_from_slice(slice(&c0));
                    }
                    Some(p) => split_state(&hc[p * n2..][..n2], h, hs, cs),
                }
            }
        }
        // The gate pre-activations (kept by the forward pass, or again for all steps in
        // one product), in the buffer that then receives their gradients step by step.
        let rows = steps * n;
        let big = split_matmul(2 * rows * 4 * h * h);
        // With saved gates, each step's kernel reads them and writes every element of
        // `d a_t` (so `da` starts as scratch); without, `da` first holds the recomputed
        // gates and each step copies its rows out before overwriting them.
        let saved = gates.map(data);
        let saved: Option<&[T]> = saved.as_ref().map(slice);
        let mut da: Storage<T> = match saved {
            Some(_) => recycle::scratch(steps * n4),
            None => {
                let mut da = recycle::copied(xw);
                gemm_into(
                    writable(&mut da),
                    rows,
                    4 * h,
                    h,
                    &hp,
                    row_major(h),
                    wt,
                    row_major(4 * h),
                    true,
                    big,
                );
                da
            }
        };
        let (mut dh0, mut dc0) = (recycle::scratch(nh), recycle::scratch(nh));
        let blocks = row_blocks(n);
        let parallel = split_batch(4 * steps * n4 * h, blocks.len());
        let work: Vec<_> = blocks
            .iter()
            .cloned()
            .zip(per_block(writable(&mut da), steps, n, 4 * h, &blocks))
            .zip(per_block(writable(&mut dh0), 1, n, h, &blocks))
            .zip(per_block(writable(&mut dc0), 1, n, h, &blocks))
            .collect();
        let cp_all: &[T] = &cp;
        for_blocks(
            work,
            parallel,
            |(((rows, mut das), mut dh_out), mut dc_out)| {
                let (r0, nb) = (rows.start, rows.len());
                let mut a = if saved.is_some() {
                    Vec::new()
                } else {
                    vec![T::ZERO; nb * 4 * h]
                };
                let (mut dh, mut dc, mut dc_step) = (
                    vec![T::ZERO; nb * h],
                    vec![T::ZERO; nb * h],
                    vec![T::ZERO; nb * h],
                );
                let mut gt = vec![T::ZERO; nb * 2 * h];
                for &t in steps_in_order.iter().rev() {
                    // The gradient reaching [h_t | c_t]: the output's, plus the later step's.
                    for (((row, gr), dhr), dcr) in gt
                        .chunks_exact_mut(2 * h)
                        .zip(g[t * n2 + r0 * 2 * h..][..nb * 2 * h].chunks_exact(2 * h))
                        .zip(dh.chunks_exact(h))
                        .zip(dc.chunks_exact(h))
                    {
                        for j in 0..h {
                            row[j] = gr[j] + dhr[j];
                            row[h + j] = gr[h + j] + dcr[j];
                        }
                    }
                    let dat = &mut *das[t];
                    let a_t: &[T] = match saved {
                        Some(gates) => &gates[t * n4 + r0 * 4 * h..][..nb * 4 * h],
                        None => {
                            a.copy_from_slice(dat);
                            &a
                        }
                    };
                    run(LstmBackwardRows {
                        g: &gt,
                        a: a_t,
                        c0: &cp_all[t * nh + r0 * h..][..nb * h],
                        hc: &hc[t * n2 + r0 * 2 * h..][..nb * 2 * h],
                        da: &mut *dat,
                        dc0: &mut dc_step,
                        h,
                    });
                    std::mem::swap(&mut dc, &mut dc_step);
                    // d h_prev = d a_t · W_hh, [rows, 4H]·[4H, H].
                    gemm_into(
                        &mut dh,
                        nb,
                        h,
                        4 * h,
                        dat,
                        row_major(4 * h),
                        w,
                        row_major(h),
                        false,
                        false,
                    );
                }
                dh_out[0].copy_from_slice(&dh);
                dc_out[0].copy_from_slice(&dc);
            },
        );
        // d W_hh = d aᵀ·H_prev over all T·N rows: [4H, T·N]·[T·N, H].
        let mut dw = recycle::zeroed(4 * h * h);
        let da_t = MatrixView {
            offset: 0,
            row_stride: 1,
            col_stride: (4 * h) as isize,
        };
        gemm_into(
            writable(&mut dw),
            4 * h,
            h,
            rows,
            &da,
            da_t,
            &hp,
            row_major(h),
            false,
            big,
        );
        recycle::give(hp);
        recycle::give(cp);
        let state = |v: Storage<T>| Tensor::from_storage(v, &[n, h]);
        (
            Tensor::from_storage(da, &[steps, n, 4 * h]),
            Tensor::from_storage(dw, &[4 * h, h]),
            state(dh0),
            state(dc0),
        )
    }
}
