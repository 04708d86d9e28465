//! One direction of one recurrent layer over a whole sequence: the cell equations of
//! PyTorch's `RNN`, `LSTM` and `GRU` (from `torch.nn`'s documentation), composed from
//! `Var` ops, and the time loop with its masks for variable-length batches.
//!
//! The input projection `x_t·W_ihᵀ + b_ih` of every step is one matmul before the loop;
//! only `h·W_hhᵀ` runs per step.

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

/// The parameters of one direction of one layer, bound to a tape.
pub(super) struct CellVars<'t, T: Float> {
    pub(super) w_ih: Var<'t, T>,
    pub(super) w_hh: Var<'t, T>,
    pub(super) b_ih: Option<Var<'t, T>>,
    pub(super) b_hh: Option<Var<'t, T>>,
}

/// The state a direction carries: `h`, and `c` for the LSTM, each `[N, H]`.
#[derive(Clone, Copy)]
pub(super) struct Carry<'t, T: Float> {
    pub(super) h: Var<'t, T>,
    pub(super) c: Option<Var<'t, T>>,
}

/// Runs one direction over time-major `x` (`[T, N, F]`) from `start`; returns the output
/// of every step (`[N, H]` each, in time order) and the final carry.
///
/// With `masks` (one `[N, 1]` tensor per step, 1 where the step is inside the sequence),
/// a padded step keeps the carry unchanged and outputs zeros, so neither the outputs nor
/// the gradients nor the final state depend on what the padding holds. In reverse, each
/// sequence then starts at its own last real step, as in PyTorch's packed sequences.
pub(super) fn scan<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    x: Var<'t, T>,
    start: Carry<'t, T>,
    reverse: bool,
    masks: Option<&[Tensor<T>]>,
) -> (Vec<Var<'t, T>>, Carry<'t, T>) {
    let shape = x.shape();
    let (steps, n, f) = (shape[0], shape[1], shape[2]);
    let gh = p.w_ih.shape()[0];
    // Every step's input projection in one matmul: [T·N, F]·[F, G·H] (+ biases).
    let mut xp = x.reshape(&[(steps * n) as isize, f as isize]).matmul(p.w_ih.t());
    if let Some(b) = p.b_ih {
        xp = xp + b;
    }
    // For RNN and LSTM, b_hh simply adds to the gates: fold it into the projection.
    // The GRU keeps it per step, since r multiplies W_hn·h + b_hn.
    if kind != RnnKind::Gru {
        if let Some(b) = p.b_hh {
            xp = xp + b;
        }
    }
    let xp = xp.reshape(&[steps as isize, n as isize, gh as isize]);
    let mut carry = start;
    let mut outputs: Vec<Option<Var<'t, T>>> = vec![None; steps];
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    for t in order {
        let xt = xp.narrow(0, t, 1).reshape(&[n as isize, gh as isize]);
        let next = step(kind, p, xt, carry);
        let (out, next) = match masks {
            None => (next.h, next),
            Some(m) => {
                let mask = &m[t];
                let keep = |new: Var<'t, T>, old: Var<'t, T>| Var::where_(mask, new, old);
                let zeros = x.tape().constant(Tensor::zeros(&[1, 1]));
                let out = Var::where_(mask, next.h, zeros);
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
        };
        outputs[t] = Some(out);
        carry = next;
    }
    let outputs = outputs.into_iter().map(|o| o.expect("every step")).collect();
    (outputs, carry)
}

/// One step of the cell; `xt` is the step's input projection (with the biases folded in
/// as [`scan`] explains), `[N, G·H]`.
fn step<'t, T: Float>(
    kind: RnnKind,
    p: &CellVars<'t, T>,
    xt: Var<'t, T>,
    carry: Carry<'t, T>,
) -> Carry<'t, T> {
    let h = carry.h;
    let hw = h.matmul(p.w_hh.t());
    let hidden = h.shape()[1];
    match kind {
        RnnKind::Tanh => Carry {
            h: (xt + hw).tanh(),
            c: None,
        },
        RnnKind::Relu => Carry {
            h: (xt + hw).relu(),
            c: None,
        },
        RnnKind::Lstm => {
            // i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
            // One sigmoid over all four blocks (the g block's is unused) keeps the tape short.
            let gates = xt + hw;
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
            let hw = match p.b_hh {
                Some(b) => hw + b,
                None => hw,
            };
            let rz = (xt.narrow(1, 0, 2 * hidden) + hw.narrow(1, 0, 2 * hidden)).sigmoid();
            let r = rz.narrow(1, 0, hidden);
            let z = rz.narrow(1, hidden, hidden);
            let n = (xt.narrow(1, 2 * hidden, hidden) + r * hw.narrow(1, 2 * hidden, hidden)).tanh();
            Carry {
                h: n + z * (h - n),
                c: None,
            }
        }
    }
}
