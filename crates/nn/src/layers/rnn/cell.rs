//! One direction of one recurrent layer over a whole sequence: the cell equations of
//! PyTorch's `RNN`, `LSTM` and `GRU` (from `torch.nn`'s documentation), composed from
//! `Var` ops, and the time loop with its masks for variable-length batches.
//!
//! For RNN and LSTM a step is one matmul, `[x_t, h, 1]·[W_ihᵀ; W_hhᵀ; b_ih + b_hh]`: the
//! weights are transposed and stacked once per forward pass (so the product reads them
//! row by row), and the bias rides along as the last row, multiplied by a column of ones
//! (no separate add, and its gradient is the same product's). The GRU needs
//! `W_hn·h + b_hn` apart, so it keeps two products.

use autograd::Var;
use tensor::{Float, Tensor};

/// Which recurrence a layer runs (the cell's equations and its number of gates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RnnKind {
    /// Elman RNN, `h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)`.
    Tanh,
    /// Elman RNN with `relu` in place of `tanh`.
    Relu,
    /// LSTM, gates `i, f, g, o` stacked in that order.
    Lstm,
    /// GRU, gates `r, z, n` stacked in that order.
    Gru,
}

impl RnnKind {
    /// The number of gate blocks stacked in `weight_ih` (rows = gates · hidden).
    #[must_use]
    pub fn gates(self) -> usize {
        match self {
            RnnKind::Tanh | RnnKind::Relu => 1,
            RnnKind::Lstm => 4,
            RnnKind::Gru => 3,
        }
    }
}

/// The parameters of one direction of one layer, bound to a tape, arranged for the time
/// loop (see [`CellVars::new`]).
pub(super) struct CellVars<'t, T: Float> {
    /// RNN and LSTM: `[W_ihᵀ; W_hhᵀ; b_ih + b_hh]` stacked, `[F + H (+ 1), G·H]`, so each
    /// step is one matmul of `[x_t, h (, 1)]`. GRU: `W_ih` alone.
    w: Var<'t, T>,
    /// RNN and LSTM with bias: the column of ones, `[N, 1]`, that multiplies the bias row.
    ones: Option<Var<'t, T>>,
    /// GRU only: `W_hh`.
    w_hh: Option<Var<'t, T>>,
    /// GRU only: `b_ih`, expanded to `[N, G·H]` once.
    b: Option<Var<'t, T>>,
    /// GRU only: `b_hh`, expanded to `[N, G·H]`.
    b_hh: Option<Var<'t, T>>,
}

impl<'t, T: Float> CellVars<'t, T> {
    /// Arranges one direction's parameters for a batch of `n`.
    pub(super) fn new(
        kind: RnnKind,
        n: usize,
        w_ih: Var<'t, T>,
        w_hh: Var<'t, T>,
        b_ih: Option<Var<'t, T>>,
        b_hh: Option<Var<'t, T>>,
    ) -> Self {
        let gh = w_ih.shape()[0];
        let expand = |b: Var<'t, T>| b.broadcast_to(&[n, gh]);
        if kind == RnnKind::Gru {
            // r multiplies W_hn·h + b_hn, so the two products stay apart.
            CellVars {
                w: w_ih,
                ones: None,
                w_hh: Some(w_hh),
                b: b_ih.map(expand),
                b_hh: b_hh.map(expand),
            }
        } else {
            let tape = w_ih.tape();
            let (w, ones) = match (b_ih, b_hh) {
                (Some(a), Some(b)) => (
                    Var::concat(&[w_ih.t(), w_hh.t(), (a + b).reshape(&[1, gh as isize])], 0),
                    Some(tape.constant(Tensor::ones(&[n, 1]))),
                ),
                _ => (Var::concat(&[w_ih.t(), w_hh.t()], 0), None),
            };
            CellVars {
                w,
                ones,
                w_hh: None,
                b: None,
                b_hh: None,
            }
        }
    }
}

/// The state a direction carries: `h`, and `c` for the LSTM, each `[N, H]`.
#[derive(Clone, Copy)]
pub(super) struct Carry<'t, T: Float> {
    pub(super) h: Var<'t, T>,
    pub(super) c: Option<Var<'t, T>>,
}

/// Runs one direction over the steps `xs` (`[N, F]` each, in time order) from `start`;
/// returns the output of every step (`[N, H]` each, in time order) and the final carry.
///
/// Each step is its own `Var` rather than a slice of one `[T, N, F]` tensor: the
/// gradient of a slice is a zero tensor of the whole's size, so slicing T steps out of
/// one tensor would cost O(T²) in the backward pass.
///
/// With `masks` (one `[N, 1]` tensor per step, 1 where the step is inside the sequence),
/// a padded step keeps the carry unchanged and outputs zeros, so neither the outputs nor
/// the gradients nor the final state depend on what the padding holds — not even a NaN or
/// an infinity there: the cell sees zeros in place of a padded input, and every choice is
/// a `where_`, which passes exact zeros back (a product with the mask would send 0·NaN).
/// In reverse, each sequence then starts at its own last real step, as in PyTorch's
/// packed sequences, which never read the padding.
pub(super) fn scan<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    xs: &[Var<'t, T>],
    start: Carry<'t, T>,
    reverse: bool,
    masks: Option<&[Tensor<T>]>,
) -> (Vec<Var<'t, T>>, Carry<'t, T>) {
    let steps = xs.len();
    let mut carry = start;
    let mut outputs: Vec<Option<Var<'t, T>>> = vec![None; steps];
    // The zeros that stand in for a padded step's input and output.
    let zeros = match (masks, xs.first()) {
        (Some(_), Some(x)) => {
            let tape = x.tape();
            Some((
                tape.constant(Tensor::zeros(&x.shape())),
                tape.constant(Tensor::zeros(&carry.h.shape())),
            ))
        }
        _ => None,
    };
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    for t in order {
        let (out, next) = match (masks, zeros) {
            (Some(m), Some((no_input, no_output))) => {
                let mask = &m[t];
                let keep = |new: Var<'t, T>, old: Var<'t, T>| Var::where_(mask, new, old);
                let next = step(kind, p, keep(xs[t], no_input), carry);
                let out = keep(next.h, no_output);
                let c = match (next.c, carry.c) {
                    (Some(new), Some(old)) => Some(keep(new, old)),
                    _ => None,
                };
                (
                    out,
                    Carry {
                        h: keep(next.h, carry.h),
                        c,
                    },
                )
            }
            _ => {
                let next = step(kind, p, xs[t], carry);
                (next.h, next)
            }
        };
        outputs[t] = Some(out);
        carry = next;
    }
    let outputs = outputs
        .into_iter()
        .map(|o| o.expect("every step"))
        .collect();
    (outputs, carry)
}

/// One step of the cell on the step's input `x` (`[N, F]`): the LSTM and GRU through
/// their fused cell ops ([`Var::lstm_cell`], [`Var::gru_cell`]), one tape node each in
/// place of about twelve (`composed_step` below spells out the same equations).
pub(super) fn step<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    x: Var<'t, T>,
    carry: Carry<'t, T>,
) -> Carry<'t, T> {
    let h = carry.h;
    let hidden = h.shape()[1];
    match kind {
        RnnKind::Tanh | RnnKind::Relu => elman_step(kind, p, x, h),
        RnnKind::Lstm => {
            let hc = p
                .lstm_gates(x, h)
                .lstm_cell(carry.c.expect("an LSTM carries c"));
            Carry {
                h: hc.narrow(1, 0, hidden),
                c: Some(hc.narrow(1, hidden, hidden)),
            }
        }
        RnnKind::Gru => {
            let (xt, hw) = p.gru_products(x, h);
            Carry {
                h: xt.gru_cell(hw, h),
                c: None,
            }
        }
    }
}

fn with_bias<'t, T: Float>(v: Var<'t, T>, b: Option<Var<'t, T>>) -> Var<'t, T> {
    match b {
        Some(b) => v + b,
        None => v,
    }
}

impl<'t, T: Float> CellVars<'t, T> {
    /// RNN and LSTM: `[x, h, 1]·[W_ihᵀ; W_hhᵀ; b_ih + b_hh]`
    /// `= x·W_ihᵀ + h·W_hhᵀ + b_ih + b_hh`, `[N, G·H]`.
    fn lstm_gates(&self, x: Var<'t, T>, h: Var<'t, T>) -> Var<'t, T> {
        let xh = match self.ones {
            Some(ones) => Var::concat(&[x, h, ones], 1),
            None => Var::concat(&[x, h], 1),
        };
        xh.matmul(self.w)
    }

    /// GRU: `(x·W_ihᵀ + b_ih, h·W_hhᵀ + b_hh)`, each `[N, 3H]`.
    fn gru_products(&self, x: Var<'t, T>, h: Var<'t, T>) -> (Var<'t, T>, Var<'t, T>) {
        let xt = with_bias(x.matmul(self.w.t()), self.b);
        let hw = with_bias(h.matmul(self.w_hh.expect("GRU").t()), self.b_hh);
        (xt, hw)
    }
}

/// Elman RNN step: `h' = tanh(·)` or `relu(·)` of `[x, h]·[W_ih, W_hh]ᵀ + b`.
fn elman_step<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    x: Var<'t, T>,
    h: Var<'t, T>,
) -> Carry<'t, T> {
    let a = p.lstm_gates(x, h);
    let h = if kind == RnnKind::Tanh {
        a.tanh()
    } else {
        a.relu()
    };
    Carry { h, c: None }
}

/// The same step composed from elementwise ops, as PyTorch's documentation writes the
/// equations: the readable reference the fused cells are tested against
/// (`cell_tests.rs`).
#[cfg(test)]
pub(super) fn composed_step<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    x: Var<'t, T>,
    carry: Carry<'t, T>,
) -> Carry<'t, T> {
    let h = carry.h;
    let hidden = h.shape()[1];
    match kind {
        RnnKind::Tanh | RnnKind::Relu => elman_step(kind, p, x, h),
        RnnKind::Lstm => {
            // i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
            let gates = p.lstm_gates(x, h);
            let s = gates.sigmoid();
            let i = s.narrow(1, 0, hidden);
            let f = s.narrow(1, hidden, hidden);
            let g = gates.narrow(1, 2 * hidden, hidden).tanh();
            let o = s.narrow(1, 3 * hidden, hidden);
            let c_prev = carry.c.expect("an LSTM carries c");
            let c = f * c_prev + i * g;
            Carry {
                h: o * c.tanh(),
                c: Some(c),
            }
        }
        RnnKind::Gru => {
            // r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(… z …),
            // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n).
            let (xt, hw) = p.gru_products(x, h);
            let rz = (xt.narrow(1, 0, 2 * hidden) + hw.narrow(1, 0, 2 * hidden)).sigmoid();
            let r = rz.narrow(1, 0, hidden);
            let z = rz.narrow(1, hidden, hidden);
            let n =
                (xt.narrow(1, 2 * hidden, hidden) + r * hw.narrow(1, 2 * hidden, hidden)).tanh();
            Carry {
                h: n + z * (h - n),
                c: None,
            }
        }
    }
}
