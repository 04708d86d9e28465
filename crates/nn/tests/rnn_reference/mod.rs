//! Shared by the recurrent-layer tests: PyTorch's RNN, LSTM and GRU equations written
//! out in plain `f64` loops (torch.nn documentation), and one interface over the three
//! layer types.

#![allow(dead_code)]

use autograd::Var;
use nn::{Gru, Lstm, Module, Rnn, RnnState};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    Tanh,
    Relu,
    Lstm,
    Gru,
}

pub(crate) fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// `W·v` for a row-major `W` of `rows × v.len()`, plus the slice `b` of a bias.
pub(crate) fn affine(w: &[f64], v: &[f64], b: Option<&[f64]>, rows: usize) -> Vec<f64> {
    (0..rows)
        .map(|r| {
            let dot: f64 = (0..v.len()).map(|k| w[r * v.len() + k] * v[k]).sum();
            dot + b.map_or(0.0, |b| b[r])
        })
        .collect()
}

/// One step of PyTorch's cell equations for one sequence.
pub(crate) fn cell(
    kind: Kind,
    p: &[Vec<f64>],
    x: &[f64],
    h: &[f64],
    c: &[f64],
    hs: usize,
) -> (Vec<f64>, Vec<f64>) {
    let g = match kind {
        Kind::Tanh | Kind::Relu => 1,
        Kind::Lstm => 4,
        Kind::Gru => 3,
    };
    let gi = affine(&p[0], x, p.get(2).map(|b| &b[..]), g * hs);
    let gh = affine(&p[1], h, p.get(3).map(|b| &b[..]), g * hs);
    match kind {
        Kind::Tanh => ((0..hs).map(|j| (gi[j] + gh[j]).tanh()).collect(), vec![]),
        Kind::Relu => ((0..hs).map(|j| (gi[j] + gh[j]).max(0.0)).collect(), vec![]),
        Kind::Lstm => {
            let a = |j: usize| gi[j] + gh[j];
            let mut h2 = vec![0.0; hs];
            let mut c2 = vec![0.0; hs];
            for j in 0..hs {
                let i = sigmoid(a(j));
                let f = sigmoid(a(hs + j));
                let gg = a(2 * hs + j).tanh();
                let o = sigmoid(a(3 * hs + j));
                c2[j] = f * c[j] + i * gg;
                h2[j] = o * c2[j].tanh();
            }
            (h2, c2)
        }
        Kind::Gru => {
            let mut h2 = vec![0.0; hs];
            for j in 0..hs {
                let r = sigmoid(gi[j] + gh[j]);
                let z = sigmoid(gi[hs + j] + gh[hs + j]);
                let n = (gi[2 * hs + j] + r * gh[2 * hs + j]).tanh();
                h2[j] = (1.0 - z) * n + z * h[j];
            }
            (h2, vec![])
        }
    }
}

/// The reference stack: `x[b][t]` features, returns (`out[b][t]`, `h_n[k][b]`, `c_n[k][b]`)
/// following PyTorch's packed-sequence semantics for `lengths`.
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub(crate) fn reference(
    kind: Kind,
    params: &[Vec<Vec<f64>>], // per (layer, dir): [w_ih, w_hh, b_ih, b_hh]
    layers: usize,
    dirs: usize,
    hs: usize,
    x: &[Vec<Vec<f64>>],
    h0: &[Vec<Vec<f64>>], // [k][b][j]
    c0: &[Vec<Vec<f64>>],
    lengths: &[usize],
) -> (Vec<Vec<Vec<f64>>>, Vec<Vec<Vec<f64>>>, Vec<Vec<Vec<f64>>>) {
    let n = x.len();
    let steps = x[0].len();
    let mut input = x.to_vec();
    let mut h_n = vec![];
    let mut c_n = vec![];
    for layer in 0..layers {
        let mut out = vec![vec![vec![0.0; hs * dirs]; steps]; n];
        for dir in 0..dirs {
            let k = layer * dirs + dir;
            let p = &params[k];
            let (mut hk, mut ck) = (vec![], vec![]);
            for b in 0..n {
                let (mut h, mut c) = (h0[k][b].clone(), c0[k][b].clone());
                let order: Vec<usize> = if dir == 0 {
                    (0..lengths[b]).collect()
                } else {
                    (0..lengths[b]).rev().collect()
                };
                for t in order {
                    let (h2, c2) = cell(kind, p, &input[b][t], &h, &c, hs);
                    out[b][t][dir * hs..(dir + 1) * hs].copy_from_slice(&h2);
                    h = h2;
                    c = c2;
                }
                hk.push(h);
                ck.push(c);
            }
            h_n.push(hk);
            c_n.push(ck);
        }
        input = out;
    }
    (input, h_n, c_n)
}

pub(crate) fn nested(t: &Tensor<f64>) -> Vec<Vec<Vec<f64>>> {
    let s = t.shape().to_vec();
    let v = t.contiguous().to_vec();
    (0..s[0])
        .map(|a| {
            (0..s[1])
                .map(|b| v[(a * s[1] + b) * s[2]..(a * s[1] + b + 1) * s[2]].to_vec())
                .collect()
        })
        .collect()
}

pub(crate) fn assert_all_close(got: &[Vec<Vec<f64>>], want: &[Vec<Vec<f64>>], what: &str) {
    for (a, (ga, wa)) in got.iter().zip(want).enumerate() {
        for (b, (gb, wb)) in ga.iter().zip(wa).enumerate() {
            for (j, (g, w)) in gb.iter().zip(wb).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "{what}[{a}][{b}][{j}]: ours {g}, equations {w}"
                );
            }
        }
    }
}

/// A layer of any kind, behind one interface for the tests.
pub(crate) enum Layer {
    Rnn(Rnn<f64>),
    Lstm(Lstm<f64>),
    Gru(Gru<f64>),
}

impl Layer {
    pub(crate) fn build(
        kind: Kind,
        i: usize,
        h: usize,
        layers: usize,
        bidi: bool,
        bf: bool,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        match kind {
            Kind::Tanh => Layer::Rnn(
                Rnn::builder(i, h)
                    .num_layers(layers)
                    .bidirectional(bidi)
                    .batch_first(bf)
                    .build(&mut rng),
            ),
            Kind::Relu => Layer::Rnn(
                Rnn::builder(i, h)
                    .relu()
                    .num_layers(layers)
                    .bidirectional(bidi)
                    .batch_first(bf)
                    .build(&mut rng),
            ),
            Kind::Lstm => Layer::Lstm(
                Lstm::builder(i, h)
                    .num_layers(layers)
                    .bidirectional(bidi)
                    .batch_first(bf)
                    .build(&mut rng),
            ),
            Kind::Gru => Layer::Gru(
                Gru::builder(i, h)
                    .num_layers(layers)
                    .bidirectional(bidi)
                    .batch_first(bf)
                    .build(&mut rng),
            ),
        }
    }

    pub(crate) fn module(&self) -> &dyn Module<f64> {
        match self {
            Layer::Rnn(l) => l,
            Layer::Lstm(l) => l,
            Layer::Gru(l) => l,
        }
    }

    pub(crate) fn set_training(&mut self, training: bool) {
        match self {
            Layer::Rnn(l) => l.set_training(training),
            Layer::Lstm(l) => l.set_training(training),
            Layer::Gru(l) => l.set_training(training),
        }
    }

    pub(crate) fn run<'t>(
        &self,
        x: Var<'t, f64>,
        state: Option<RnnState<'t, f64>>,
        lengths: Option<&[usize]>,
    ) -> (Var<'t, f64>, RnnState<'t, f64>) {
        match self {
            Layer::Rnn(l) => l.forward_with_state(x, state, lengths),
            Layer::Lstm(l) => l.forward_with_state(x, state, lengths),
            Layer::Gru(l) => l.forward_with_state(x, state, lengths),
        }
    }

    /// The parameters' values grouped per (layer, direction), in PyTorch's name order.
    pub(crate) fn grouped(&self) -> Vec<Vec<Vec<f64>>> {
        let params = self.module().parameters();
        let per = 4;
        params
            .chunks(per)
            .map(|c| c.iter().map(|(_, p)| p.value().to_vec()).collect())
            .collect()
    }
}

pub(crate) fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut rng)
}

pub(crate) const KINDS: [Kind; 4] = [Kind::Tanh, Kind::Relu, Kind::Lstm, Kind::Gru];
