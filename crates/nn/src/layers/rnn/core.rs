//! The machinery [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) and [`Gru`](super::Gru)
//! share: parameters under PyTorch's names, the stack of layers and directions, dropout
//! between layers, initial and final states, and sequence lengths.

use std::sync::Mutex;

use autograd::{Param, Tape, Var};
use rand::Rng;
use tensor::{Float, Tensor};

use super::cell::{scan, Carry, CellVars, RnnKind};
use crate::init::Init;
use crate::module::Named;

/// The state a recurrent layer starts from or ends in, PyTorch's `h_0`/`h_n` (and
/// `c_0`/`c_n` for the LSTM): each `[num_layers · num_directions, N, hidden]`, layer by
/// layer, the forward direction before the reverse one. It is batch-major
/// whatever `batch_first` says, as in PyTorch.
#[derive(Clone, Copy, Debug)]
pub struct RnnState<'t, T: Float = f32> {
    /// The hidden state `h`.
    pub h: Var<'t, T>,
    /// The LSTM's cell state `c` (`None` for `Rnn` and `Gru`).
    pub c: Option<Var<'t, T>>,
}

/// Options shared by the three layer types (see [`RnnBuilder`](super::RnnBuilder)).
#[derive(Clone, Copy, Debug)]
pub(super) struct Options {
    pub(super) input_size: usize,
    pub(super) hidden_size: usize,
    pub(super) num_layers: usize,
    pub(super) bias: bool,
    pub(super) batch_first: bool,
    pub(super) dropout: f64,
    pub(super) bidirectional: bool,
    pub(super) seed: u64,
}

/// Parameters and options of a recurrent stack.
#[derive(Debug)]
pub(super) struct Core<T: Float> {
    pub(super) kind: RnnKind,
    pub(super) opts: Options,
    /// Per layer and direction: `weight_ih`, `weight_hh`, then `bias_ih`, `bias_hh`.
    params: Vec<Param<T>>,
    names: Vec<String>,
    pub(super) training: bool,
    pub(super) rng: Mutex<crate::rng::Rng>,
}

impl<T: Float> Core<T> {
    #[track_caller]
    pub(super) fn new(kind: RnnKind, opts: Options, rng: &mut impl Rng) -> Self {
        let o = opts;
        assert!(
            o.input_size > 0 && o.hidden_size > 0 && o.num_layers > 0,
            "{kind:?}: input_size {}, hidden_size {} and num_layers {} must be positive",
            o.input_size,
            o.hidden_size,
            o.num_layers
        );
        assert!(
            (0.0..=1.0).contains(&o.dropout),
            "{kind:?}: dropout must be in [0, 1], got {}",
            o.dropout
        );
        let (h, g) = (o.hidden_size, kind.gates());
        let dirs = if o.bidirectional { 2 } else { 1 };
        // The stacked gates' rows (g·h) and a deeper layer's input (h·dirs) must be sizes;
        // the weights' allocation checks the rest.
        assert!(
            h.checked_mul(g.max(dirs)).is_some(),
            "{kind:?}: hidden_size {h} is too large: {}·hidden_size overflows a size",
            g.max(dirs)
        );
        // PyTorch: every weight and bias from U(−1/√hidden, 1/√hidden).
        let init = |shape: &[usize], rng: &mut dyn rand::RngCore| {
            let mut rng = rng;
            Init::UniformFanIn.tensor::<T>(shape, h, h, &mut rng)
        };
        let (mut params, mut names) = (Vec::new(), Vec::new());
        for layer in 0..o.num_layers {
            let input = if layer == 0 { o.input_size } else { h * dirs };
            for dir in 0..dirs {
                let suffix = if dir == 1 { "_reverse" } else { "" };
                let mut entries = vec![
                    (format!("weight_ih_l{layer}{suffix}"), vec![g * h, input]),
                    (format!("weight_hh_l{layer}{suffix}"), vec![g * h, h]),
                ];
                if o.bias {
                    entries.push((format!("bias_ih_l{layer}{suffix}"), vec![g * h]));
                    entries.push((format!("bias_hh_l{layer}{suffix}"), vec![g * h]));
                }
                for (name, shape) in entries {
                    params.push(Param::new(name.clone(), init(&shape, rng)));
                    names.push(name);
                }
            }
        }
        Core {
            kind,
            opts,
            params,
            names,
            training: true,
            rng: Mutex::new(crate::rng::seeded(o.seed)),
        }
    }

    pub(super) fn parameters(&self) -> Vec<Named<'_, T>> {
        self.names.iter().cloned().zip(&self.params).collect()
    }

    pub(super) fn output_size(&self) -> usize {
        self.opts.hidden_size * self.directions()
    }

    /// One sample's shape, `[any, input_size]`, when the batch axis comes first
    /// (`batch_first`); otherwise unknown to `fit`, which batches along the first axis.
    pub(super) fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.opts
            .batch_first
            .then(|| vec![None, Some(self.opts.input_size)])
    }

    /// `Lstm(8 → 64, layers=2, bidirectional, batch_first)`.
    pub(super) fn describe(&self, name: &str) -> String {
        let o = self.opts;
        let mut s = format!("{name}({} → {}", o.input_size, o.hidden_size);
        if self.kind == RnnKind::Relu {
            s.push_str(", relu");
        }
        if o.num_layers > 1 {
            s.push_str(&format!(", layers={}", o.num_layers));
        }
        if o.bidirectional {
            s.push_str(", bidirectional");
        }
        if o.batch_first {
            s.push_str(", batch_first");
        }
        s + ")"
    }

    pub(super) fn directions(&self) -> usize {
        if self.opts.bidirectional {
            2
        } else {
            1
        }
    }

    /// One layer and direction's parameters: `weight_ih`, `weight_hh`, then the biases.
    pub(super) fn layer_params(&self, layer: usize, dir: usize) -> &[Param<T>] {
        let per = if self.opts.bias { 4 } else { 2 };
        let at = (layer * self.directions() + dir) * per;
        &self.params[at..at + per]
    }

    fn cell_vars<'t>(
        &self,
        tape: &'t Tape<T>,
        layer: usize,
        dir: usize,
        n: usize,
    ) -> CellVars<'t, T> {
        let p = self.layer_params(layer, dir);
        CellVars::new(
            self.kind,
            n,
            tape.param(&p[0]),
            tape.param(&p[1]),
            p.get(2).map(|b| tape.param(b)),
            p.get(3).map(|b| tape.param(b)),
        )
    }

    /// The whole forward pass; see `Lstm::forward_with_state` for the contract.
    #[track_caller]
    pub(super) fn forward<'t>(
        &self,
        x: Var<'t, T>,
        state: Option<RnnState<'t, T>>,
        lengths: Option<&[usize]>,
    ) -> (Var<'t, T>, RnnState<'t, T>) {
        let name = format!("{:?}", self.kind);
        let o = self.opts;
        let shape = x.shape();
        assert!(
            shape.len() == 3 && shape[2] == o.input_size,
            "{name}: input of shape {shape:?} must be [{}, {}, {}] (batch_first = {})",
            if o.batch_first { "N" } else { "T" },
            if o.batch_first { "T" } else { "N" },
            o.input_size,
            o.batch_first
        );
        let tape = x.tape();
        let (n, steps) = if o.batch_first {
            (shape[0], shape[1])
        } else {
            (shape[1], shape[0])
        };
        // PyTorch refuses empty sequences too ("Expected sequence length to be larger
        // than 0 in RNN").
        assert!(
            steps > 0,
            "{name}: input of shape {shape:?} has no time steps (T = 0)"
        );
        let (dirs, h) = (self.directions(), o.hidden_size);
        let state_shape = [o.num_layers * dirs, n, h];
        let is_lstm = self.kind == RnnKind::Lstm;
        let state = state.unwrap_or_else(|| RnnState {
            h: tape.constant(Tensor::zeros(&state_shape)),
            c: is_lstm.then(|| tape.constant(Tensor::zeros(&state_shape))),
        });
        assert!(
            state.h.shape() == state_shape
                && state.c.map_or(!is_lstm, |c| is_lstm && c.shape() == state_shape),
            "{name}: the initial state must be h{} [{}, {n}, {h}] (layers · directions, N, hidden), got h {:?}, c {:?}{}",
            if is_lstm { " and c" } else { "" },
            state_shape[0],
            state.h.shape(),
            state.c.map(|c| c.shape()),
            if is_lstm {
                " (an LSTM needs c: Some(..))"
            } else {
                " (only an LSTM has a cell state: pass c: None)"
            }
        );
        // An LSTM without lengths runs each layer and direction as one sequence op
        // (`fused.rs`); lengths need the per-step masks of the graph below.
        if is_lstm && lengths.is_none() {
            return self.forward_lstm_fused(x, state, n, steps);
        }
        let masks = lengths.map(|l| step_masks::<T>(&name, l, n, steps));
        // One Var per step, `[N, F]` (see `scan` for why not one tensor).
        let time_axis = if o.batch_first { 1 } else { 0 };
        let f = o.input_size as isize;
        let mut input: Vec<Var<'t, T>> = (0..steps)
            .map(|t| x.narrow(time_axis, t, 1).reshape(&[n as isize, f]))
            .collect();
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        for layer in 0..o.num_layers {
            if layer > 0 && self.training && o.dropout > 0.0 {
                input = input
                    .into_iter()
                    .map(|v| v * tape.constant(self.dropout_mask(&v.shape())))
                    .collect();
            }
            let mut outs = Vec::new();
            for dir in 0..dirs {
                let k = layer * dirs + dir;
                let start = Carry {
                    h: state.h.narrow(0, k, 1).reshape(&[n as isize, h as isize]),
                    c: state
                        .c
                        .map(|c| c.narrow(0, k, 1).reshape(&[n as isize, h as isize])),
                };
                let p = self.cell_vars(tape, layer, dir, n);
                let (steps_out, last) =
                    scan(self.kind, &p, &input, start, dir == 1, masks.as_deref());
                outs.push(steps_out);
                h_n.push(last.h);
                c_n.extend(last.c);
            }
            input = if dirs == 1 {
                outs.pop().expect("one direction")
            } else {
                (0..steps)
                    .map(|t| Var::concat(&[outs[0][t], outs[1][t]], 1))
                    .collect()
            };
        }
        let output = Var::stack(&input, time_axis);
        let final_state = RnnState {
            h: Var::stack(&h_n, 0),
            c: is_lstm.then(|| Var::stack(&c_n, 0)),
        };
        (output, final_state)
    }

    /// Inverted-dropout mask between layers, from the layer's own seeded generator.
    pub(super) fn dropout_mask(&self, shape: &[usize]) -> Tensor<T> {
        let p = self.opts.dropout;
        if p >= 1.0 {
            return Tensor::zeros(shape);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        Tensor::<T>::rand_bernoulli(shape, 1.0 - p, &mut *rng)
            .mul_scalar(T::from_f64(1.0 / (1.0 - p)))
    }
}

/// One `[N, 1]` mask per step: 1 where step `t` is inside sequence `b` (`t < lengths[b]`).
#[track_caller]
fn step_masks<T: Float>(name: &str, lengths: &[usize], n: usize, steps: usize) -> Vec<Tensor<T>> {
    assert!(
        lengths.len() == n,
        "{name}: {} lengths for a batch of {n} (N is the input's second axis unless the \
         layer is batch_first(true): [T, N, F] by default, as PyTorch)",
        lengths.len()
    );
    if let Some((b, &l)) = lengths
        .iter()
        .enumerate()
        .find(|&(_, &l)| l == 0 || l > steps)
    {
        panic!("{name}: sequence {b} has length {l}; lengths must be in 1..={steps} (PyTorch's pack_padded_sequence rule)");
    }
    (0..steps)
        .map(|t| {
            let m = lengths
                .iter()
                .map(|&l| if t < l { T::ONE } else { T::ZERO })
                .collect();
            Tensor::from_vec(m, &[n, 1]).expect("[N, 1]")
        })
        .collect()
}
