//! The fused LSTM and GRU cells (`step`) against the same equations composed from
//! elementwise ops (`composed_step`): values and every gradient, in f64, on odd sizes,
//! with ordinary and with saturated gates.

use autograd::{Tape, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

use super::cell::{composed_step, step, Carry, CellVars, RnnKind};

/// Runs one step both ways on the same inputs (weights drawn with standard deviation
/// `scale`, so a large one saturates the gates) and compares the two.
fn fused_equals_composed(kind: RnnKind, bias: bool, scale: f64, seed: u64) {
    let (n, f, h) = (3, 5, 7);
    let g = kind.gates();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw =
        |shape: &[usize], std: f64| Tensor::<f64>::rand_normal(shape, 0.0, std, &mut rng);
    let inputs = [
        draw(&[n, f], 1.0),
        draw(&[n, h], 1.0),
        draw(&[n, h], 1.0),
        draw(&[g * h, f], scale),
        draw(&[g * h, h], scale),
        draw(&[g * h], scale),
        draw(&[g * h], scale),
    ];
    // Σ h⊙u + Σ c⊙v with fixed random weights, so every output entry matters.
    let (u, v) = (draw(&[n, h], 1.0), draw(&[n, h], 1.0));
    let run = |fused: bool| {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = inputs.iter().map(|t| tape.var(t.clone())).collect();
        let lstm = kind == RnnKind::Lstm;
        let p = CellVars::new(
            kind,
            n,
            vars[3],
            vars[4],
            bias.then_some(vars[5]),
            bias.then_some(vars[6]),
        );
        let carry = Carry {
            h: vars[1],
            c: lstm.then_some(vars[2]),
        };
        let next = if fused {
            step(kind, &p, vars[0], carry)
        } else {
            composed_step(kind, &p, vars[0], carry)
        };
        let mut loss = (next.h * tape.constant(u.clone())).sum_all();
        let mut values = next.h.value().to_vec();
        if let Some(c) = next.c {
            loss = loss + (c * tape.constant(v.clone())).sum_all();
            values.extend(c.value().to_vec());
        }
        let grads = loss.backward();
        let used = if bias { 7 } else { 5 };
        let grads: Vec<Vec<f64>> = vars[..used]
            .iter()
            .enumerate()
            .filter(|&(i, _)| lstm || i != 2)
            .map(|(_, x)| grads[x].to_vec())
            .collect();
        (values, grads)
    };
    let ((fv, fg), (cv, cg)) = (run(true), run(false));
    let close = |a: &[f64], b: &[f64], what: &str| {
        assert_eq!(a.len(), b.len());
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                "{kind:?} (scale {scale}) {what}[{k}]: fused {x}, composed {y}"
            );
        }
    };
    close(&fv, &cv, "values");
    assert_eq!(fg.len(), cg.len());
    for (i, (a, b)) in fg.iter().zip(&cg).enumerate() {
        close(a, b, &format!("gradient of input {i}"));
    }
}

#[test]
fn fused_lstm_cell_equals_the_composed_equations() {
    fused_equals_composed(RnnKind::Lstm, true, 0.5, 1);
    fused_equals_composed(RnnKind::Lstm, false, 0.5, 2);
    // Gates far into saturation (pre-activations of tens): σ' and 1 − tanh² are tiny.
    fused_equals_composed(RnnKind::Lstm, true, 8.0, 3);
}

#[test]
fn fused_gru_cell_equals_the_composed_equations() {
    fused_equals_composed(RnnKind::Gru, true, 0.5, 4);
    fused_equals_composed(RnnKind::Gru, false, 0.5, 5);
    fused_equals_composed(RnnKind::Gru, true, 8.0, 6);
}
