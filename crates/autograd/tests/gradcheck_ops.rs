//! A gradcheck row for every op variant, run in f64 with contiguous, transposed (or
//! sliced) and broadcast inputs. The rows live in `support/op_rows.rs` (shared with
//! `jvp.rs`); `rows` matches on `OpKind` without a `_` arm and the tests walk
//! `OpKind::ALL`, so adding an op without a row does not compile; each row must also
//! record its op (checked), so a row cannot silently test something else.

#[path = "support/op_rows.rs"]
mod op_rows;

use autograd::{gradcheck, gradgradcheck, GradcheckConfig, OpKind};
use op_rows::{assert_records, draw, non_contiguous, rows};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

#[test]
fn every_op_passes_gradcheck_on_contiguous_and_strided_inputs() {
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
            for strided in [false, true] {
                let inputs: Vec<Tensor<f64>> = if strided {
                    inputs.iter().map(non_contiguous).collect()
                } else {
                    inputs.clone()
                };
                if let Err(e) = gradcheck(case.f, &inputs, GradcheckConfig::default()) {
                    panic!("{kind:?} row {r} (strided: {strided}): {e}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} checks ran");
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
            if let Err(e) = gradgradcheck(case.f, &inputs, GradcheckConfig::default()) {
                panic!("{kind:?} row {r}: second derivatives: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} checks ran");
}
