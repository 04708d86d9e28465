//! Fused recurrent cells on `Var`: one node per LSTM or GRU step instead of a dozen. The
//! values come from the tensor kernels (`tensor/src/ops/rnn.rs`); the rules are in
//! [`crate::backward`] (and the tangents in [`crate::forward`]).

use smallvec::smallvec;
use tensor::Float;

use crate::op::Op;
use crate::tape::Var;

impl<'t, T: Float> Var<'t, T> {
    /// One LSTM cell step, fused (PyTorch's `torch.nn.LSTM` equations): from the gate
    /// pre-activations `self` = `[a_i, a_f, a_g, a_o]` (`[N, 4H]`) and the cell state
    /// `c_prev` (`[N, H]`), returns `[h | c]` (`[N, 2H]`): `i = σ(a_i)`, `f = σ(a_f)`,
    /// `g = tanh(a_g)`, `o = σ(a_o)`, `c = f⊙c_prev + i⊙g`, `h = o⊙tanh(c)`. Take `h`
    /// and `c` apart with `narrow(1, 0, H)` and `narrow(1, H, H)`.
    ///
    /// It equals the same equations composed from `sigmoid`, `tanh`, `narrow`, `*` and
    /// `+` (values and gradients), with one node on the tape instead of about twelve.
    ///
    /// # Panics
    /// If `self` is not `[N, 4H]` for `c_prev` of shape `[N, H]`, or the two are on
    /// different tapes.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let gates = tape.var(Tensor::<f64>::zeros(&[1, 4]));
    /// let c_prev = tape.var(Tensor::from([[2.0]]));
    /// let hc = gates.lstm_cell(c_prev); // i = f = o = ½, g = 0: c = 1, h = ½·tanh 1
    /// let v = hc.value().to_vec();
    /// assert_eq!(v[1], 1.0);
    /// assert!((v[0] - 0.5 * 1f64.tanh()).abs() < 1e-15);
    /// // d c / d c_prev = f = ½
    /// let g = hc.narrow(1, 1, 1).sum_all().backward();
    /// assert_eq!(g[&c_prev].item(), 0.5);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn lstm_cell(self, c_prev: Self) -> Self {
        self.same_tape(c_prev, "lstm_cell");
        let value = {
            let nodes = self.tape.nodes.borrow();
            nodes[self.id].value.lstm_cell(&nodes[c_prev.id].value)
        };
        self.tape
            .record(Op::LstmCell, smallvec![self.id, c_prev.id], value)
    }

    /// One direction of an LSTM layer over a whole sequence, fused: `self` holds the
    /// input projections `x_t·W_ihᵀ + b_ih + b_hh` of every step (`[T, N, 4H]`), `w_hh`
    /// is `[4H, H]`, `h0` and `c0` are `[N, H]`; returns every step's `[h_t | c_t]`
    /// (`[T, N, 2H]`), the steps run last to first if `reverse`. One tape node for the
    /// whole sequence; its backward is backpropagation through time in one pass
    /// ([`tensor::Tensor::lstm_sequence_backward`]), and it equals `T` chained
    /// [`Var::lstm_cell`] steps.
    ///
    /// # Panics
    /// If the shapes do not fit (see [`tensor::Tensor::lstm_sequence`]), `T` is 0, or the inputs
    /// are on different tapes.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let xw = tape.var(Tensor::<f64>::zeros(&[2, 1, 4]));
    /// let w_hh = tape.var(Tensor::zeros(&[4, 1]));
    /// let (h0, c0) = (tape.var(Tensor::zeros(&[1, 1])), tape.var(Tensor::from([[4.0]])));
    /// let out = xw.lstm_sequence(w_hh, h0, c0, false); // all gates ½, g = 0: c halves
    /// assert_eq!(out.value().to_vec()[3], 1.0);
    /// // c_1 = ¼·c0, so d c_1 / d c0 = ¼.
    /// let c1 = out.narrow(0, 1, 1).narrow(2, 1, 1).sum_all();
    /// assert_eq!(c1.backward()[&c0].item(), 0.25);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn lstm_sequence(self, w_hh: Self, h0: Self, c0: Self, reverse: bool) -> Self {
        for other in [w_hh, h0, c0] {
            self.same_tape(other, "lstm_sequence");
        }
        assert!(
            self.shape().first().is_some_and(|&t| t > 0),
            "lstm_sequence: inputs {:?} must be [T, N, 4H] with at least one step",
            self.shape()
        );
        let inputs = smallvec![self.id, w_hh.id, h0.id, c0.id];
        // With a gradient to come, the gate pre-activations are kept for the backward
        // pass (which otherwise recomputes them).
        let keep = self.tape.would_need_grad(&inputs);
        let (value, gates) = {
            let nodes = self.tape.nodes.borrow();
            let v = |id: usize| &nodes[id].value;
            let (xw, w, h, c) = (v(self.id), v(w_hh.id), v(h0.id), v(c0.id));
            if keep {
                let (out, gates) = xw.lstm_sequence_with_gates(w, h, c, reverse);
                (out, Some(gates))
            } else {
                (xw.lstm_sequence(w, h, c, reverse), None)
            }
        };
        self.tape
            .record_saved(Op::LstmSequence { reverse }, inputs, value, gates)
    }

    /// One GRU cell step, fused (PyTorch's `torch.nn.GRU` equations): from the input part
    /// `self` = `x·W_ihᵀ + b_ih` and the hidden part `hw` = `h·W_hhᵀ + b_hh` (both
    /// `[N, 3H]`, blocks `r, z, n`) and the previous state `h_prev` (`[N, H]`), returns
    /// `h'` (`[N, H]`): `r = σ(x_r + hw_r)`, `z = σ(x_z + hw_z)`,
    /// `n = tanh(x_n + r⊙hw_n)`, `h' = (1 − z)⊙n + z⊙h_prev`.
    ///
    /// # Panics
    /// If `self` and `hw` are not `[N, 3H]` for `h_prev` of shape `[N, H]`, or they are on
    /// different tapes.
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::zeros(&[1, 3]));
    /// let hw = tape.var(Tensor::<f64>::zeros(&[1, 3]));
    /// let h_prev = tape.var(Tensor::from([[2.0]]));
    /// let h = x.gru_cell(hw, h_prev); // r = z = ½, n = 0: h' = ½·h_prev
    /// assert_eq!(h.item(), 1.0);
    /// assert_eq!(h.backward()[&h_prev].item(), 0.5); // d h'/d h_prev = z
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gru_cell(self, hw: Self, h_prev: Self) -> Self {
        self.same_tape(hw, "gru_cell");
        self.same_tape(h_prev, "gru_cell");
        let value = {
            let nodes = self.tape.nodes.borrow();
            nodes[self.id]
                .value
                .gru_cell(&nodes[hw.id].value, &nodes[h_prev.id].value)
        };
        self.tape
            .record(Op::GruCell, smallvec![self.id, hw.id, h_prev.id], value)
    }
}
