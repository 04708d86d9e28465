//! A gradcheck row for every op variant, run in f64 with contiguous, strided (step-2
//! slices) and broadcast (stride-0) inputs, each also compared, values and gradients,
//! with the same op on a contiguous copy; tolerances atol 1e-7, rtol 1e-5. The rows live
//! in `support/op_rows.rs` (shared with `jvp.rs`); `rows` matches on `OpKind` without a
//! `_` arm and the tests walk `OpKind::ALL`, so adding an op without a row does not
//! compile; each row must also record its op (checked), so a row cannot silently test
//! something else.

#[path = "support/op_rows.rs"]
mod op_rows;

use autograd::{gradcheck, gradgradcheck, GradcheckConfig, OpKind, Tape, Var};
use op_rows::{assert_records, broadcast_view, draw, non_contiguous, rows, Domain, Function};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

/// Runs `f` on a fresh tape: (output values, gradients of `sum(output · weights)` with
/// respect to each input), for comparing layouts.
fn values_and_grads(f: Function, inputs: &[Tensor<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|t| tape.var(t.clone())).collect();
    let out = f(&vars);
    let n = out.value().numel();
    let weights =
        Tensor::from_vec((0..n).map(|i| 1.0 + 0.1 * i as f64).collect(), &out.shape()).unwrap();
    let loss = (out * tape.constant(weights)).sum_all();
    let grads = loss.backward();
    let g = vars.iter().map(|v| grads[v].to_vec()).collect();
    (out.value().to_vec(), g)
}

/// Values that must agree up to summation order.
fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-12 * (1.0 + x.abs().max(y.abs())),
            "{what}: entry {i}: {x} vs {y}"
        );
    }
}

/// The tolerances every row passes with margin: about four orders of magnitude tighter
/// than PyTorch's defaults (atol 1e-5, rtol 1e-3), since f64 central differences with a
/// step of 1e-6 are accurate to ~1e-10 on these smooth functions.
const TIGHT: GradcheckConfig = GradcheckConfig {
    eps: 1e-6,
    atol: 1e-7,
    rtol: 1e-5,
};

#[test]
fn every_op_passes_gradcheck_on_contiguous_strided_and_broadcast_inputs() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut checked = 0;
    for kind in OpKind::ALL {
        let rows = rows(kind);
        assert!(!rows.is_empty(), "{kind:?} has no gradcheck row");
        for (r, case) in rows.into_iter().enumerate() {
            assert_records(kind, r, &case, &mut rng);
            let inputs: Vec<Tensor<f64>> = case
                .shapes
                .iter()
                .map(|s| draw(s, case.domain, &mut rng))
                .collect();
            let mut layouts = vec![("contiguous", inputs.clone())];
            layouts.push(("strided", inputs.iter().map(non_contiguous).collect()));
            // Broadcast views repeat values, so rows that need distinct values skip them.
            if !matches!(case.domain, Domain::Distinct) {
                let broadcast: Vec<Tensor<f64>> = inputs
                    .iter()
                    .map(|t| broadcast_view(t).unwrap_or_else(|| t.clone()))
                    .collect();
                layouts.push(("broadcast", broadcast));
            }
            let mut reference = None;
            for (layout, inputs) in layouts {
                if let Err(e) = gradcheck(case.f, &inputs, TIGHT) {
                    panic!("{kind:?} row {r} ({layout}): {e}");
                }
                // gradcheck perturbs contiguous copies, so also compare the op's values
                // and gradients on the view with those on a contiguous copy of it.
                let copies: Vec<Tensor<f64>> = inputs.iter().map(|t| t.contiguous()).collect();
                let (values, grads) = values_and_grads(case.f, &inputs);
                let (values_c, grads_c) = values_and_grads(case.f, &copies);
                let what = format!("{kind:?} row {r} ({layout} vs contiguous)");
                assert_close(&values, &values_c, &format!("{what}: values"));
                for (g, gc) in grads.iter().zip(&grads_c) {
                    assert_close(g, gc, &format!("{what}: gradients"));
                }
                if layout == "contiguous" {
                    reference = Some(values);
                }
                checked += 1;
            }
            assert!(reference.is_some());
        }
    }
    assert!(checked > 150, "only {checked} checks ran");
    eprintln!("{checked} gradchecks passed");
}

#[test]
fn every_op_passes_gradgradcheck() {
    // Second derivatives: every rule run on `Var`s (the `grad_graph` path). Custom ops are
    // differentiated once only (their backward runs on tensors), so they are skipped.
    let mut rng = StdRng::seed_from_u64(11);
    let mut checked = 0;
    for kind in OpKind::ALL {
        if kind == OpKind::Custom {
            continue;
        }
        for (r, case) in rows(kind).into_iter().enumerate() {
            let inputs: Vec<Tensor<f64>> = case
                .shapes
                .iter()
                .map(|s| draw(s, case.domain, &mut rng))
                .collect();
            if let Err(e) = gradgradcheck(case.f, &inputs, TIGHT) {
                panic!("{kind:?} row {r}: second derivatives: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} checks ran");
}
