//! Recurrent layers against PyTorch's equations, written out here in plain `f64` loops
//! (torch.nn.RNN / LSTM / GRU documentation), on odd sizes: hidden ≠ input, T = 1, a
//! batch of one, two layers, bidirectional, initial states, variable lengths. Gradients
//! are checked against finite differences, for inputs, initial states and parameters.

use autograd::{gradcheck, gradgradcheck, GradcheckConfig, Tape, Var};
use nn::{Gru, Lstm, Module, Rnn, RnnState};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Tanh,
    Relu,
    Lstm,
    Gru,
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// `W·v` for a row-major `W` of `rows × v.len()`, plus the slice `b` of a bias.
fn affine(w: &[f64], v: &[f64], b: Option<&[f64]>, rows: usize) -> Vec<f64> {
    (0..rows)
        .map(|r| {
            let dot: f64 = (0..v.len()).map(|k| w[r * v.len() + k] * v[k]).sum();
            dot + b.map_or(0.0, |b| b[r])
        })
        .collect()
}

/// One step of PyTorch's cell equations for one sequence.
fn cell(
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
fn reference(
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

fn nested(t: &Tensor<f64>) -> Vec<Vec<Vec<f64>>> {
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

fn assert_all_close(got: &[Vec<Vec<f64>>], want: &[Vec<Vec<f64>>], what: &str) {
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
enum Layer {
    Rnn(Rnn<f64>),
    Lstm(Lstm<f64>),
    Gru(Gru<f64>),
}

impl Layer {
    fn build(kind: Kind, i: usize, h: usize, layers: usize, bidi: bool, bf: bool) -> Self {
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

    fn module(&self) -> &dyn Module<f64> {
        match self {
            Layer::Rnn(l) => l,
            Layer::Lstm(l) => l,
            Layer::Gru(l) => l,
        }
    }

    fn run<'t>(
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
    fn grouped(&self) -> Vec<Vec<Vec<f64>>> {
        let params = self.module().parameters();
        let per = 4;
        params
            .chunks(per)
            .map(|c| c.iter().map(|(_, p)| p.value().to_vec()).collect())
            .collect()
    }
}

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut rng)
}

/// Runs the layer and the reference on the same data and compares output, h_n and c_n.
#[allow(clippy::too_many_arguments)]
fn check(
    kind: Kind,
    input: usize,
    hidden: usize,
    layers: usize,
    bidi: bool,
    batch_first: bool,
    n: usize,
    steps: usize,
    lengths: Option<&[usize]>,
) {
    let layer = Layer::build(kind, input, hidden, layers, bidi, batch_first);
    let dirs = if bidi { 2 } else { 1 };
    let x_bm = random(&[n, steps, input], 1); // batch-major, for the reference
    let h0 = random(&[layers * dirs, n, hidden], 2);
    let c0 = random(&[layers * dirs, n, hidden], 3);
    let tape = Tape::new();
    let x = if batch_first {
        x_bm.clone()
    } else {
        x_bm.transpose(0, 1).contiguous()
    };
    let state = RnnState {
        h: tape.constant(h0.clone()),
        c: (kind == Kind::Lstm).then(|| tape.constant(c0.clone())),
    };
    let (out, fin) = layer.run(tape.constant(x), Some(state), lengths);
    let all = vec![steps; n];
    let lens = lengths.unwrap_or(&all);
    let (want_out, want_h, want_c) = reference(
        kind,
        &layer.grouped(),
        layers,
        dirs,
        hidden,
        &nested(&x_bm),
        &nested(&h0),
        &nested(&c0),
        lens,
    );
    let out = out.value();
    let out_bm = if batch_first {
        out
    } else {
        out.transpose(0, 1).contiguous()
    };
    assert_eq!(out_bm.shape(), &[n, steps, dirs * hidden]);
    assert_all_close(&nested(&out_bm), &want_out, "output");
    assert_all_close(&nested(&fin.h.value()), &want_h, "h_n");
    if kind == Kind::Lstm {
        assert_all_close(&nested(&fin.c.unwrap().value()), &want_c, "c_n");
    }
}

const KINDS: [Kind; 4] = [Kind::Tanh, Kind::Relu, Kind::Lstm, Kind::Gru];

#[test]
fn one_layer_hidden_differs_from_input() {
    for kind in KINDS {
        check(kind, 3, 5, 1, false, true, 2, 4, None);
    }
}

#[test]
fn a_single_step_and_a_batch_of_one() {
    for kind in KINDS {
        check(kind, 2, 3, 1, false, false, 1, 1, None);
        check(kind, 4, 1, 1, false, true, 1, 3, None);
    }
}

#[test]
fn two_layers_time_major() {
    for kind in KINDS {
        check(kind, 3, 4, 2, false, false, 3, 5, None);
    }
}

#[test]
fn bidirectional_two_layers() {
    for kind in KINDS {
        check(kind, 3, 2, 2, true, true, 2, 4, None);
    }
}

#[test]
fn variable_lengths_follow_packed_sequence_semantics() {
    for kind in KINDS {
        check(kind, 3, 4, 2, true, true, 3, 5, Some(&[5, 2, 1]));
        check(kind, 2, 3, 1, false, false, 2, 4, Some(&[1, 4]));
    }
}

#[test]
fn parameter_names_shapes_and_init_range_are_pytorchs() {
    let mut rng = StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::builder(3, 5)
        .num_layers(2)
        .bidirectional(true)
        .build(&mut rng);
    let got: Vec<(String, Vec<usize>)> = gru
        .parameters()
        .into_iter()
        .map(|(n, p)| (n, p.shape()))
        .collect();
    let mut want = vec![];
    for l in 0..2 {
        for sfx in ["", "_reverse"] {
            let input = if l == 0 { 3 } else { 10 };
            want.push((format!("weight_ih_l{l}{sfx}"), vec![15, input]));
            want.push((format!("weight_hh_l{l}{sfx}"), vec![15, 5]));
            want.push((format!("bias_ih_l{l}{sfx}"), vec![15]));
            want.push((format!("bias_hh_l{l}{sfx}"), vec![15]));
        }
    }
    assert_eq!(got, want);
    let bound = 1.0 / 5f32.sqrt();
    for (name, p) in gru.parameters() {
        assert!(
            p.value().to_vec().iter().all(|v| v.abs() <= bound),
            "{name} outside U(±1/√H)"
        );
    }
    let lstm = Lstm::<f32>::builder(2, 3).bias(false).build(&mut rng);
    assert_eq!(lstm.parameters().len(), 2);
    assert_eq!(lstm.parameters()[1].1.shape(), [12, 3]);
}

#[test]
fn padding_changes_neither_outputs_gradients_nor_final_state() {
    for kind in KINDS {
        let layer = Layer::build(kind, 2, 3, 2, true, true);
        let lengths = [4, 2];
        let run = |pad_value: f64| {
            let mut x = random(&[2, 4, 2], 9).to_vec();
            for t in 2..4 {
                for f in 0..2 {
                    x[(4 + t) * 2 + f] = pad_value;
                }
            }
            let tape = Tape::new();
            let xv = tape.var(Tensor::from_vec(x, &[2, 4, 2]).unwrap());
            let (out, fin) = layer.run(xv, None, Some(&lengths));
            let loss = out.square().sum_all() + fin.h.sum_all();
            let g = loss.backward();
            let params: Vec<Vec<f64>> = layer
                .module()
                .parameters()
                .iter()
                .map(|(_, p)| g.param(p).unwrap().to_vec())
                .collect();
            (
                out.value().to_vec(),
                fin.h.value().to_vec(),
                g[&xv].to_vec(),
                params,
            )
        };
        let (o1, h1, gx1, gp1) = run(0.0);
        let (o2, h2, gx2, gp2) = run(123.0);
        assert_eq!(o1, o2);
        assert_eq!(h1, h2);
        assert_eq!(gx1, gx2);
        assert_eq!(gp1, gp2);
        // Padded steps: zero output and no gradient into the padding.
        for t in 2..4 {
            assert!(o1[(4 + t) * 6..(4 + t + 1) * 6].iter().all(|&v| v == 0.0));
            assert!(gx1[(4 + t) * 2..(4 + t + 1) * 2].iter().all(|&v| v == 0.0));
        }
    }
}

/// Output and `h_n` of `layer` for input `v[0]`, `h_0 = v[1]`, `c_0 = v[2]`, lengths 3, 2.
fn outputs<'t>(layer: &Layer, kind: Kind, v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let state = RnnState {
        h: v[1],
        c: (kind == Kind::Lstm).then_some(v[2]),
    };
    let (out, fin) = layer.run(v[0], Some(state), Some(&[3, 2]));
    Var::concat(&[out.flatten(), fin.h.flatten()], 0)
}

#[test]
fn gradients_for_inputs_and_initial_states_match_finite_differences() {
    for kind in KINDS {
        let layer = Layer::build(kind, 2, 3, 2, true, true);
        let x = random(&[2, 3, 2], 4);
        let h0 = random(&[4, 2, 3], 5);
        let c0 = random(&[4, 2, 3], 6);
        let inputs = [x, h0, c0];
        gradcheck(
            |v| outputs(&layer, kind, v),
            &inputs,
            GradcheckConfig::default(),
        )
        .unwrap();
        if kind != Kind::Relu {
            gradgradcheck(
                |v| outputs(&layer, kind, v).square().sum_all(),
                &inputs,
                GradcheckConfig::default(),
            )
            .unwrap();
        }
    }
}

#[test]
fn parameter_gradients_match_finite_differences() {
    for kind in KINDS {
        let layer = Layer::build(kind, 2, 3, 2, true, false);
        let x = random(&[3, 2, 2], 8);
        let loss = || {
            let tape = Tape::new();
            let (out, fin) = layer.run(tape.constant(x.clone()), None, Some(&[3, 1]));
            let l = out.square().sum_all() + fin.h.sum_all();
            (l.value().item(), l.backward())
        };
        let (_, grads) = loss();
        let eps = 1e-6;
        for (name, p) in layer.module().parameters() {
            let analytic = grads.param(p).unwrap().to_vec();
            let base = p.value();
            for k in 0..base.numel() {
                let mut v = base.to_vec();
                v[k] += eps;
                p.set(Tensor::from_vec(v.clone(), base.shape()).unwrap());
                let up = loss().0;
                v[k] -= 2.0 * eps;
                p.set(Tensor::from_vec(v, base.shape()).unwrap());
                let down = loss().0;
                p.set(base.clone());
                let numeric = (up - down) / (2.0 * eps);
                assert!(
                    (analytic[k] - numeric).abs() <= 1e-6 + 1e-5 * numeric.abs(),
                    "{name}[{k}]: analytic {}, numeric {numeric}",
                    analytic[k]
                );
            }
        }
    }
}

#[test]
fn dropout_between_layers_in_training_only() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut lstm = Lstm::<f64>::builder(2, 4)
        .num_layers(2)
        .dropout(0.5, 3)
        .build(&mut rng);
    let x = random(&[3, 2, 2], 1);
    let run = |l: &Lstm<f64>| {
        let tape = Tape::new();
        l.forward(tape.constant(x.clone())).value().to_vec()
    };
    let (a, b) = (run(&lstm), run(&lstm));
    assert_ne!(a, b, "training: fresh masks each pass");
    lstm.set_training(false);
    let (c, d) = (run(&lstm), run(&lstm));
    assert_eq!(c, d);
    // With dropout off, the same weights give the evaluation output.
    let plain = Lstm::<f64>::builder(2, 4).num_layers(2).build(&mut rng);
    plain.load_state_dict(&lstm.state_dict(), true).unwrap();
    assert_eq!(run(&plain), c);
}

#[test]
#[should_panic(expected = "Lstm: input of shape [2, 3] must be [T, N, 4]")]
fn a_two_dimensional_input_panics_naming_the_shapes() {
    let mut rng = StdRng::seed_from_u64(0);
    let lstm = Lstm::<f32>::new(4, 2, &mut rng);
    let tape = Tape::new();
    let _ = lstm.forward(tape.constant(Tensor::zeros(&[2, 3])));
}

#[test]
#[should_panic(expected = "sequence 1 has length 6")]
fn a_length_past_the_sequence_panics() {
    let mut rng = StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::new(1, 2, &mut rng);
    let tape = Tape::new();
    let _ = gru.forward_with_state(
        tape.constant(Tensor::zeros(&[5, 2, 1])),
        None,
        Some(&[5, 6]),
    );
}
