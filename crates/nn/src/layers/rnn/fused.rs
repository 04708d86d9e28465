//! The LSTM stack on whole sequences: each layer and direction is one
//! [`Var::lstm_sequence`] op on the input projections of all steps, computed by one
//! matmul. Both this and the step-by-step path of `cell.rs` compute PyTorch's
//! equations; `tests/sequence.rs` checks each against plain loops.
//!
//! It runs whenever no `lengths` are given (masks need the per-step graph), in training
//! and evaluation. Measured (LSTM 8 → 64, T = 50, batch 32, one Adam step): see
//! `docs/decisions.md`, entries 41–44. Training through it was slower until tensors
//! recycled their storage (`tensor::recycle`): its `[T, N, 4H]` buffers were given back
//! to the operating system at every step and faulted in again.

use autograd::{Tape, Var};
use tensor::Float;

use super::core::{Core, RnnState};

impl<T: Float> Core<T> {
    /// `([W_ihᵀ; b_ih + b_hh], W_hh)` of one layer and direction, bound to `tape`: the
    /// bias as a last row under `W_ihᵀ` (`[F + 1, 4H]`), to multiply a column of ones
    /// (`[F, 4H]` without bias).
    fn lstm_weights<'t>(
        &self,
        tape: &'t Tape<T>,
        layer: usize,
        dir: usize,
    ) -> (Var<'t, T>, Var<'t, T>) {
        let p = self.layer_params(layer, dir);
        let w_ih = tape.param(&p[0]).t();
        let w = match (p.get(2), p.get(3)) {
            (Some(a), Some(b)) => {
                let bias = (tape.param(a) + tape.param(b)).reshape(&[1, -1]);
                Var::concat(&[w_ih, bias], 0)
            }
            _ => w_ih,
        };
        (w, tape.param(&p[1]))
    }

    /// The forward pass of an LSTM stack without lengths; `x` as the layer takes it,
    /// `state` the initial state (checked by the caller), `steps ≥ 1`. In training,
    /// dropout between layers draws the same masks, in the same order, as the
    /// step-by-step path (one `[N, F]` per step), so both give the same values.
    pub(super) fn forward_lstm_fused<'t>(
        &self,
        x: Var<'t, T>,
        state: RnnState<'t, T>,
        n: usize,
        steps: usize,
    ) -> (Var<'t, T>, RnnState<'t, T>) {
        let o = self.opts;
        let (dirs, h) = (self.directions(), o.hidden_size);
        let tape = x.tape();
        let c_state = state.c.expect("an LSTM carries c");
        // Time-major, [T, N, F].
        let mut input = if o.batch_first {
            x.permute(&[1, 0, 2])
        } else {
            x
        };
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let state_at =
            |s: Var<'t, T>, k: usize| s.narrow(0, k, 1).reshape(&[n as isize, h as isize]);
        for layer in 0..o.num_layers {
            let features = input.shape()[2];
            if layer > 0 && self.training && o.dropout > 0.0 {
                let masks: Vec<_> = (0..steps)
                    .map(|_| self.dropout_mask(&[n, features]))
                    .collect();
                let masks: Vec<_> = masks.iter().collect();
                input = input * tape.constant(tensor::Tensor::stack(&masks, 0));
            }
            let features = features as isize;
            let mut rows = input.reshape(&[(steps * n) as isize, features]);
            if o.bias {
                let ones = tape.constant(tensor::Tensor::ones(&[steps * n, 1]));
                rows = Var::concat(&[rows, ones], 1);
            }
            let mut outs = Vec::new();
            for dir in 0..dirs {
                let (w, w_hh) = self.lstm_weights(tape, layer, dir);
                // [x_t, 1]·[W_ihᵀ; b_ih + b_hh] for every step at once.
                let xw = rows
                    .matmul(w)
                    .reshape(&[steps as isize, n as isize, 4 * h as isize]);
                let k = layer * dirs + dir;
                let (h0, c0) = (state_at(state.h, k), state_at(c_state, k));
                let out = xw.lstm_sequence(w_hh, h0, c0, dir == 1);
                // The reverse direction ends at step 0.
                let last = if dir == 1 { 0 } else { steps - 1 };
                let fin = out
                    .narrow(0, last, 1)
                    .reshape(&[n as isize, 2 * h as isize]);
                h_n.push(fin.narrow(1, 0, h));
                c_n.push(fin.narrow(1, h, h));
                outs.push(out.narrow(2, 0, h));
            }
            input = match outs.as_slice() {
                [one] => *one,
                both => Var::concat(both, 2),
            };
        }
        let output = if o.batch_first {
            input.permute(&[1, 0, 2])
        } else {
            input
        };
        let final_state = RnnState {
            h: Var::stack(&h_n, 0),
            c: Some(Var::stack(&c_n, 0)),
        };
        (output, final_state)
    }
}
