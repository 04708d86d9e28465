//! Recurrent layers' gradients and training-mode behaviour: finite differences for inputs,
//! initial states and parameters (`gradcheck`, `gradgradcheck`), padding invariance of
//! variable-length batches, and dropout between layers.

mod rnn_reference;

use autograd::{gradcheck, gradgradcheck, GradcheckConfig, Tape, Var};
use nn::{Lstm, Module, RnnState};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rnn_reference::{random, Kind, Layer, KINDS};
use tensor::Tensor;

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
        // Not even a NaN or an infinity in the padding reaches anything (`==` on the
        // vectors: a NaN anywhere would fail it).
        for pad in [123.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let (o2, h2, gx2, gp2) = run(pad);
            assert_eq!(o1, o2, "{kind:?}, padding {pad}");
            assert_eq!(h1, h2, "{kind:?}, padding {pad}");
            assert_eq!(gx1, gx2, "{kind:?}, padding {pad}");
            assert_eq!(gp1, gp2, "{kind:?}, padding {pad}");
        }
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
    for (p, e) in run(&plain).iter().zip(&c) {
        assert!((p - e).abs() <= 1e-14, "training-mode {p}, evaluation {e}");
    }
}

/// Without lengths an LSTM runs each layer as one sequence op; with lengths, step by step.
/// In training with dropout both draw the same masks in the same order, so full lengths
/// give the same outputs and gradients either way.
#[test]
fn the_sequence_op_and_the_step_graph_agree_in_training_with_dropout() {
    let build = || {
        Lstm::<f64>::builder(3, 5)
            .num_layers(3)
            .bidirectional(true)
            .dropout(0.4, 11)
            .build(&mut StdRng::seed_from_u64(2))
    };
    let (fused, stepwise) = (build(), build());
    let x = random(&[4, 2, 3], 5);
    let run = |l: &Lstm<f64>, lengths: Option<&[usize]>| {
        let tape = Tape::new();
        let xv = tape.var(x.clone());
        let (out, fin) = l.forward_with_state(xv, None, lengths);
        let loss = (out.square().sum_all() + fin.h.sum_all() + fin.c.unwrap().sum_all()) * 0.5;
        let g = loss.backward();
        let mut values = vec![out.value().to_vec(), g[&xv].to_vec()];
        values.extend(
            l.parameters()
                .iter()
                .map(|(_, p)| g.param(p).unwrap().to_vec()),
        );
        values
    };
    for pass in 0..2 {
        let (a, b) = (run(&fused, None), run(&stepwise, Some(&[4, 4])));
        for (u, v) in a.iter().zip(&b) {
            for (p, q) in u.iter().zip(v) {
                assert!(
                    (p - q).abs() <= 1e-12,
                    "pass {pass}: sequence op {p}, steps {q}"
                );
            }
        }
    }
}
