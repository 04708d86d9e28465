//! The public recurrent layers, [`Rnn`], [`Lstm`] and [`Gru`], and their [`RnnBuilder`].
//!
//! Each follows the PyTorch class of the same name (`torch.nn.RNN`, `LSTM`, `GRU`):
//! equations, gate order, parameter names and shapes, initialization, options.

use std::marker::PhantomData;

use autograd::Var;
use rand::Rng;
use tensor::Float;

use super::cell::RnnKind;
use super::core::{Core, Options, RnnState};
use crate::module::{Module, Named};

/// The options of a recurrent layer, with PyTorch's defaults: one layer, biases,
/// time-major input (`batch_first = false`), no dropout, one direction.
///
/// ```
/// use nn::{Lstm, Module};
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let lstm = Lstm::<f32>::builder(8, 16)
///     .num_layers(2)
///     .bidirectional(true)
///     .batch_first(true)
///     .dropout(0.2, 7)
///     .build(&mut rng);
/// assert_eq!(lstm.parameters()[0].0, "weight_ih_l0");
/// assert_eq!(lstm.parameters()[0].1.shape(), [64, 8]);
/// assert_eq!(lstm.parameters()[12].1.shape(), [64, 32]); // weight_ih_l1: input 2 · 16
/// ```
#[derive(Debug)]
pub struct RnnBuilder<L> {
    kind: RnnKind,
    opts: Options,
    layer: PhantomData<fn() -> L>,
}

impl<L> RnnBuilder<L> {
    fn new(kind: RnnKind, input_size: usize, hidden_size: usize) -> Self {
        RnnBuilder {
            layer: PhantomData,
            kind,
            opts: Options {
                input_size,
                hidden_size,
                num_layers: 1,
                bias: true,
                batch_first: false,
                dropout: 0.0,
                bidirectional: false,
                seed: 0,
            },
        }
    }

    /// Stacked layers (PyTorch `num_layers`); layer `k > 0` reads layer `k − 1`'s output.
    #[must_use]
    pub fn num_layers(mut self, n: usize) -> Self {
        self.opts.num_layers = n;
        self
    }

    /// Whether the layers have biases `b_ih` and `b_hh` (default `true`).
    #[must_use]
    pub fn bias(mut self, bias: bool) -> Self {
        self.opts.bias = bias;
        self
    }

    /// Inputs and outputs `[N, T, F]` instead of `[T, N, F]` (the states stay
    /// `[layers · directions, N, H]`, as in PyTorch).
    #[must_use]
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.opts.batch_first = batch_first;
        self
    }

    /// Dropout with probability `p` on the outputs of every layer but the last, in
    /// training mode only (PyTorch `dropout`), with a seed for its masks.
    #[must_use]
    pub fn dropout(mut self, p: f64, seed: u64) -> Self {
        self.opts.dropout = p;
        self.opts.seed = seed;
        self
    }

    /// Runs a second set of layers backwards in time (`_reverse` parameters) and
    /// concatenates both directions' outputs: the output has `2 · hidden` features.
    #[must_use]
    pub fn bidirectional(mut self, bidirectional: bool) -> Self {
        self.opts.bidirectional = bidirectional;
        self
    }

    #[track_caller]
    fn core<T: Float>(self, rng: &mut impl Rng) -> Core<T> {
        Core::new(self.kind, self.opts, rng)
    }
}

/// PyTorch's `torch.nn.RNN`: `h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)` (or
/// `relu`, see [`RnnBuilder::relu`]). Parameters `weight_ih_l{k}` `[H, in]`,
/// `weight_hh_l{k}` `[H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[H]` (`_reverse` for the
/// backward direction), all drawn from `U(−1/√H, 1/√H)`.
///
/// As a [`Module`], `forward` returns the output sequence (PyTorch's `output`); follow it
/// with [`LastStep`](crate::LastStep) to classify or regress from the last step.
///
/// ```
/// use autograd::Tape;
/// use nn::{Module, Rnn};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let rnn = Rnn::<f32>::builder(3, 5).batch_first(true).relu().build(&mut rng);
/// let tape = Tape::new();
/// let y = rnn.forward(tape.constant(Tensor::ones(&[2, 7, 3])));
/// assert_eq!(y.shape(), [2, 7, 5]);
/// ```
#[derive(Debug)]
pub struct Rnn<T: Float = f32> {
    core: Core<T>,
}

/// PyTorch's `torch.nn.LSTM`, gates stacked `i, f, g, o` in `weight_ih_l{k}` `[4H, in]`
/// and `weight_hh_l{k}` `[4H, H]`:
///
/// ```text
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
/// ```
///
/// Parameters are drawn from `U(−1/√H, 1/√H)`. As a [`Module`], `forward` returns the
/// output sequence; [`Lstm::forward_with_state`] also takes and returns `(h, c)` and
/// sequence lengths.
///
/// ```
/// use autograd::Tape;
/// use nn::{Lstm, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let lstm = Lstm::<f32>::builder(3, 4).batch_first(true).build(&mut rng);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[2, 5, 3]));
/// let (y, state) = lstm.forward_with_state(x, None, Some(&[5, 2]));
/// assert_eq!(y.shape(), [2, 5, 4]);
/// assert_eq!(state.h.shape(), [1, 2, 4]);
/// // The second sequence has 2 steps: its output past them is zero.
/// assert_eq!(y.value().narrow(0, 1, 1).narrow(1, 2, 3).to_vec(), vec![0.0; 12]);
/// ```
#[derive(Debug)]
pub struct Lstm<T: Float = f32> {
    core: Core<T>,
}

/// PyTorch's `torch.nn.GRU`, gates stacked `r, z, n` in `weight_ih_l{k}` `[3H, in]` and
/// `weight_hh_l{k}` `[3H, H]`, with `r` applied to `W_hn h + b_hn` as PyTorch does:
///
/// ```text
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// ```
/// use autograd::Tape;
/// use nn::{Gru, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let gru = Gru::<f32>::builder(1, 6).num_layers(2).build(&mut rng);
/// let tape = Tape::new();
/// let (y, state) = gru.forward_with_state(tape.constant(Tensor::ones(&[9, 4, 1])), None, None);
/// assert_eq!((y.shape(), state.h.shape()), (vec![9, 4, 6], vec![2, 4, 6]));
/// ```
#[derive(Debug)]
pub struct Gru<T: Float = f32> {
    core: Core<T>,
}

impl<T: Float> RnnBuilder<Rnn<T>> {
    /// `relu` instead of `tanh` (PyTorch `nonlinearity="relu"`).
    #[must_use]
    pub fn relu(mut self) -> Self {
        self.kind = RnnKind::Relu;
        self
    }

    /// Checks the options and draws the parameters.
    ///
    /// # Panics
    /// If a size or `num_layers` is zero, or dropout is outside `[0, 1]`.
    #[track_caller]
    #[must_use]
    pub fn build(self, rng: &mut impl Rng) -> Rnn<T> {
        Rnn {
            core: self.core(rng),
        }
    }
}

impl<T: Float> Rnn<T> {
    /// A one-layer `torch.nn.RNN` with PyTorch's defaults.
    ///
    /// # Panics
    /// If a size is zero.
    #[track_caller]
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut impl Rng) -> Self {
        Self::builder(input_size, hidden_size).build(rng)
    }

    /// The options, to set before [`RnnBuilder::build`].
    #[must_use]
    pub fn builder(input_size: usize, hidden_size: usize) -> RnnBuilder<Self> {
        RnnBuilder::new(RnnKind::Tanh, input_size, hidden_size)
    }

    /// The full forward pass of `torch.nn.RNN`: output sequence and final state.
    ///
    /// `x` is `[T, N, input_size]` (`[N, T, input_size]` with `batch_first`). The output
    /// holds the last layer's `h` at every step, `[T, N, D·H]` (or `[N, T, D·H]`), D = 2
    /// when bidirectional (forward features first). `state` is `h_0`, zeros when `None`;
    /// the returned state is `h_n`, see [`RnnState`].
    ///
    /// `lengths` (one per sequence, each in `1..=T`) make it a variable-length batch, like
    /// PyTorch's `pack_padded_sequence`: steps at or past a sequence's length are padding,
    /// whose output is zero and which change neither the other outputs, the gradients nor
    /// the final state (`h_n` is each sequence's state at its last real step; the reverse
    /// direction starts there).
    ///
    /// # Panics
    /// If `x` is not 3-D with `input_size` features, the state has the wrong shape, or a
    /// length is 0, larger than T, or there is not one per sequence.
    #[track_caller]
    pub fn forward_with_state<'t>(
        &self,
        x: Var<'t, T>,
        state: Option<RnnState<'t, T>>,
        lengths: Option<&[usize]>,
    ) -> (Var<'t, T>, RnnState<'t, T>) {
        self.core.forward(x, state, lengths)
    }

    /// Hidden size `H`.
    #[must_use]
    pub fn hidden_size(&self) -> usize {
        self.core.opts.hidden_size
    }

    /// Output features: `H`, or `2H` when bidirectional.
    #[must_use]
    pub fn output_size(&self) -> usize {
        self.core.output_size()
    }
}

impl<T: Float> Module<T> for Rnn<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        self.core.forward(x, None, None).0
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.core.parameters()
    }

    fn set_training(&mut self, training: bool) {
        self.core.training = training;
    }

    fn rngs(&self) -> Vec<(String, &std::sync::Mutex<crate::rng::Rng>)> {
        vec![("dropout_rng".to_string(), &self.core.rng)]
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.core.input_shape()
    }

    fn describe(&self) -> String {
        self.core.describe("Rnn")
    }
}

impl<T: Float> RnnBuilder<Lstm<T>> {
    /// Checks the options and draws the parameters.
    ///
    /// # Panics
    /// If a size or `num_layers` is zero, or dropout is outside `[0, 1]`.
    #[track_caller]
    #[must_use]
    pub fn build(self, rng: &mut impl Rng) -> Lstm<T> {
        Lstm {
            core: self.core(rng),
        }
    }
}

impl<T: Float> Lstm<T> {
    /// A one-layer `torch.nn.LSTM` with PyTorch's defaults.
    ///
    /// # Panics
    /// If a size is zero.
    #[track_caller]
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut impl Rng) -> Self {
        Self::builder(input_size, hidden_size).build(rng)
    }

    /// The options, to set before [`RnnBuilder::build`].
    #[must_use]
    pub fn builder(input_size: usize, hidden_size: usize) -> RnnBuilder<Self> {
        RnnBuilder::new(RnnKind::Lstm, input_size, hidden_size)
    }

    /// The full forward pass of `torch.nn.LSTM`: output sequence and final state.
    ///
    /// `x` is `[T, N, input_size]` (`[N, T, input_size]` with `batch_first`). The output
    /// holds the last layer's `h` at every step, `[T, N, D·H]` (or `[N, T, D·H]`), D = 2
    /// when bidirectional (forward features first). `state` is `h_0` and `c_0`, zeros when `None`;
    /// the returned state is `h_n` and `c_n`, see [`RnnState`].
    ///
    /// `lengths` (one per sequence, each in `1..=T`) make it a variable-length batch, like
    /// PyTorch's `pack_padded_sequence`: steps at or past a sequence's length are padding,
    /// whose output is zero and which change neither the other outputs, the gradients nor
    /// the final state (`h_n` is each sequence's state at its last real step; the reverse
    /// direction starts there).
    ///
    /// # Panics
    /// If `x` is not 3-D with `input_size` features, the state has the wrong shape, or a
    /// length is 0, larger than T, or there is not one per sequence.
    #[track_caller]
    pub fn forward_with_state<'t>(
        &self,
        x: Var<'t, T>,
        state: Option<RnnState<'t, T>>,
        lengths: Option<&[usize]>,
    ) -> (Var<'t, T>, RnnState<'t, T>) {
        self.core.forward(x, state, lengths)
    }

    /// Hidden size `H`.
    #[must_use]
    pub fn hidden_size(&self) -> usize {
        self.core.opts.hidden_size
    }

    /// Output features: `H`, or `2H` when bidirectional.
    #[must_use]
    pub fn output_size(&self) -> usize {
        self.core.output_size()
    }
}

impl<T: Float> Module<T> for Lstm<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        self.core.forward(x, None, None).0
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.core.parameters()
    }

    fn set_training(&mut self, training: bool) {
        self.core.training = training;
    }

    fn rngs(&self) -> Vec<(String, &std::sync::Mutex<crate::rng::Rng>)> {
        vec![("dropout_rng".to_string(), &self.core.rng)]
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.core.input_shape()
    }

    fn describe(&self) -> String {
        self.core.describe("Lstm")
    }
}

impl<T: Float> RnnBuilder<Gru<T>> {
    /// Checks the options and draws the parameters.
    ///
    /// # Panics
    /// If a size or `num_layers` is zero, or dropout is outside `[0, 1]`.
    #[track_caller]
    #[must_use]
    pub fn build(self, rng: &mut impl Rng) -> Gru<T> {
        Gru {
            core: self.core(rng),
        }
    }
}

impl<T: Float> Gru<T> {
    /// A one-layer `torch.nn.GRU` with PyTorch's defaults.
    ///
    /// # Panics
    /// If a size is zero.
    #[track_caller]
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut impl Rng) -> Self {
        Self::builder(input_size, hidden_size).build(rng)
    }

    /// The options, to set before [`RnnBuilder::build`].
    #[must_use]
    pub fn builder(input_size: usize, hidden_size: usize) -> RnnBuilder<Self> {
        RnnBuilder::new(RnnKind::Gru, input_size, hidden_size)
    }

    /// The full forward pass of `torch.nn.GRU`: output sequence and final state.
    ///
    /// `x` is `[T, N, input_size]` (`[N, T, input_size]` with `batch_first`). The output
    /// holds the last layer's `h` at every step, `[T, N, D·H]` (or `[N, T, D·H]`), D = 2
    /// when bidirectional (forward features first). `state` is `h_0`, zeros when `None`;
    /// the returned state is `h_n`, see [`RnnState`].
    ///
    /// `lengths` (one per sequence, each in `1..=T`) make it a variable-length batch, like
    /// PyTorch's `pack_padded_sequence`: steps at or past a sequence's length are padding,
    /// whose output is zero and which change neither the other outputs, the gradients nor
    /// the final state (`h_n` is each sequence's state at its last real step; the reverse
    /// direction starts there).
    ///
    /// # Panics
    /// If `x` is not 3-D with `input_size` features, the state has the wrong shape, or a
    /// length is 0, larger than T, or there is not one per sequence.
    #[track_caller]
    pub fn forward_with_state<'t>(
        &self,
        x: Var<'t, T>,
        state: Option<RnnState<'t, T>>,
        lengths: Option<&[usize]>,
    ) -> (Var<'t, T>, RnnState<'t, T>) {
        self.core.forward(x, state, lengths)
    }

    /// Hidden size `H`.
    #[must_use]
    pub fn hidden_size(&self) -> usize {
        self.core.opts.hidden_size
    }

    /// Output features: `H`, or `2H` when bidirectional.
    #[must_use]
    pub fn output_size(&self) -> usize {
        self.core.output_size()
    }
}

impl<T: Float> Module<T> for Gru<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        self.core.forward(x, None, None).0
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.core.parameters()
    }

    fn set_training(&mut self, training: bool) {
        self.core.training = training;
    }

    fn rngs(&self) -> Vec<(String, &std::sync::Mutex<crate::rng::Rng>)> {
        vec![("dropout_rng".to_string(), &self.core.rng)]
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.core.input_shape()
    }

    fn describe(&self) -> String {
        self.core.describe("Gru")
    }
}
